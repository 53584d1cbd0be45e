"""Read and write performance samples.

The results format is JSON lines, one sample per line: `{"name": "voice-e2e", "ms": 1234.5}`, with optional
`"labels": {"machine": "imac"}`. Tests append to the file named by `RELEASEKIT_SLA_RESULTS` (default
`sla-results.jsonl`). pytest-benchmark's JSON (`--benchmark-json`) is read too: each benchmark's raw timings when
it was saved with `--benchmark-save-data`, else its summary statistics.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from releasekit.errors import ReleasekitError

RESULTS_ENV = "RELEASEKIT_SLA_RESULTS"
DEFAULT_RESULTS = "sla-results.jsonl"
MAX_RESULTS_BYTES = 64 * 1024 * 1024  # a results file is machine-written; anything bigger is a mistake
_NAME_LIMIT = 200


class ResultsError(ReleasekitError):
    """A results file cannot be read; the message names the file and line."""

    exit_code = 2


@dataclass(frozen=True)
class Sample:
    """One measurement in milliseconds."""

    name: str
    ms: float
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Summary:
    """Statistics read from a tool that kept no raw samples (pytest-benchmark without `--benchmark-save-data`).

    Only the median and the maximum are known, so p95 and p99 are taken as the maximum (never optimistic)."""

    name: str
    count: int
    p50: float
    max: float


@dataclass(frozen=True)
class Results:
    """Everything read from one or more results files."""

    samples: tuple[Sample, ...] = ()
    summaries: tuple[Summary, ...] = ()
    files: tuple[str, ...] = ()

    def names(self) -> set[str]:
        return {s.name for s in self.samples} | {s.name for s in self.summaries}

    def __add__(self, other: Results) -> Results:
        return Results(self.samples + other.samples, self.summaries + other.summaries, self.files + other.files)


def results_path(environ: Mapping[str, str] | None = None) -> Path:
    """The file tests append to: `$RELEASEKIT_SLA_RESULTS`, else `sla-results.jsonl` in the working directory."""
    env = os.environ if environ is None else environ
    return Path(env.get(RESULTS_ENV) or DEFAULT_RESULTS)


def sample_line(name: str, ms: float, labels: Mapping[str, str] | None = None) -> str:
    """One line of the results format; refuses what a reader would refuse."""
    problem = _name_problem(name) or _ms_problem(ms)
    if problem:
        raise ValueError(problem)
    record: dict[str, object] = {"name": name, "ms": round(float(ms), 3)}
    if labels:
        record["labels"] = {str(k): str(v) for k, v in sorted(labels.items())}
    return json.dumps(record, sort_keys=False, separators=(", ", ": ")) + "\n"


def append(path: Path, lines: Iterable[str]) -> None:
    """Append lines in one write (O_APPEND), so parallel test workers never interleave within a line."""
    text = "".join(lines)
    if not text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def read_paths(paths: Iterable[Path]) -> Results:
    """Read files, and the `*.jsonl`/`*.json` files directly inside directories, in name order."""
    out = Results()
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in (".jsonl", ".json") and p.is_file())
            for child in found:
                out = out + read_file(child)
        else:
            out = out + read_file(path)
    return out


def read_file(path: Path) -> Results:
    try:
        size = path.stat().st_size
        if size > MAX_RESULTS_BYTES:
            msg = f"{path}: {size} bytes is over the {MAX_RESULTS_BYTES} byte limit for a results file"
            raise ResultsError(msg)
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        msg = f"{path}: no such results file (tests write it where ${RESULTS_ENV} points, default {DEFAULT_RESULTS})"
        raise ResultsError(msg) from None
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"{path}: cannot read it: {exc}"
        raise ResultsError(msg) from None
    return parse(text, str(path))


def parse(text: str, file: str) -> Results:
    """Parse a results file: pytest-benchmark JSON if it is one JSON object with `benchmarks`, else JSON lines."""
    stripped = text.lstrip()
    if stripped.startswith("{") and '"benchmarks"' in text:
        try:
            whole = json.loads(text)
        except ValueError:
            whole = None
        if isinstance(whole, dict) and "benchmarks" in whole:
            return _benchmark(whole, file)
    return Results(samples=tuple(_lines(text, file)), files=(file,))


def _lines(text: str, file: str) -> Iterator[Sample]:
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{file}:{number}"
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            msg = f'{where}: not JSON; each line is one sample like {{"name": "voice-e2e", "ms": 1234.5}}'
            raise ResultsError(msg) from None
        if not isinstance(record, dict):
            msg = f'{where}: a sample is a JSON object like {{"name": "voice-e2e", "ms": 1234.5}}'
            raise ResultsError(msg)
        name, ms, labels = record.get("name"), record.get("ms"), record.get("labels", {})
        problem = _name_problem(name) or _ms_problem(ms)
        if problem is None and not (
            isinstance(labels, dict) and all(isinstance(v, (str, int, float)) for v in labels.values())
        ):
            problem = '"labels" must be an object of strings'
        if problem:
            raise ResultsError(f"{where}: {problem}")
        assert isinstance(name, str) and isinstance(ms, (int, float))
        yield Sample(name, float(ms), {str(k): str(v) for k, v in labels.items()})


def _benchmark(data: dict[str, object], file: str) -> Results:
    benchmarks = data.get("benchmarks")
    if not isinstance(benchmarks, list):
        raise ResultsError(f"{file}: pytest-benchmark JSON without a list of benchmarks")
    samples: list[Sample] = []
    summaries: list[Summary] = []
    for index, bench in enumerate(benchmarks):
        where = f"{file}: benchmarks[{index}]"
        if not isinstance(bench, dict) or not isinstance(bench.get("stats"), dict):
            raise ResultsError(f"{where}: not a pytest-benchmark result (no stats)")
        extra = bench.get("extra_info") if isinstance(bench.get("extra_info"), dict) else {}
        assert isinstance(extra, dict)
        name = extra.get("sla") or bench.get("name")
        if _name_problem(name):
            raise ResultsError(f"{where}: {_name_problem(name)}")
        assert isinstance(name, str)
        stats = bench["stats"]
        raw = stats.get("data")
        if isinstance(raw, list) and raw and all(_is_number(v) for v in raw):
            samples.extend(Sample(name, float(v) * 1000.0) for v in raw)
            continue
        median, largest, rounds = stats.get("median"), stats.get("max"), stats.get("rounds")
        if not (_is_number(median) and _is_number(largest) and isinstance(rounds, int) and rounds > 0):
            raise ResultsError(f"{where}: stats lack median, max or rounds")
        assert isinstance(median, (int, float)) and isinstance(largest, (int, float))
        summaries.append(Summary(name, rounds, float(median) * 1000.0, float(largest) * 1000.0))
    return Results(tuple(samples), tuple(summaries), (file,))


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _name_problem(name: object) -> str | None:
    if not isinstance(name, str) or not name.strip():
        return '"name" must be a non-empty string'
    if len(name) > _NAME_LIMIT:
        return f'"name" is {len(name)} characters; the limit is {_NAME_LIMIT}'
    return None


def _ms_problem(ms: object) -> str | None:
    if not _is_number(ms):
        return '"ms" must be a finite number of milliseconds'
    assert isinstance(ms, (int, float))
    if ms < 0:
        return f'"ms" is {ms}; a duration cannot be negative'
    return None
