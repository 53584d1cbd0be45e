"""`releasekit sla`: samples, nearest-rank percentiles, verdicts, the terminal table, the job summary (Markdown and
a Mermaid chart), annotations, and the recorder tests use. All in-process, on small generated results files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_releasekit

from releasekit.sla.recorder import SlaRecorder
from releasekit.sla.samples import ResultsError, Sample, parse, sample_line
from releasekit.sla.verdict import Target, check, percentile, stats_of

CONFIG = """\
project: {name: demo, repository: o/demo}
performance:
  regex-match: {layer: L0, operation: Regex match, target-ms: 1}
  voice-e2e: {layer: E2E, operation: Voice in->out, target-ms: 2000}
"""


def lines(**series: list[float]) -> str:
    return "".join(sample_line(name.replace("_", "-"), ms) for name, values in series.items() for ms in values)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "releasekit.yaml").write_text(CONFIG)
    return tmp_path


def test_percentiles_are_nearest_rank_and_measured_values() -> None:
    ordered = [float(v) for v in range(1, 21)]
    assert percentile(ordered, 0.95) == 19.0
    assert percentile(ordered, 0.50) == 10.0
    assert percentile([7.0], 0.99) == 7.0
    stats = stats_of([3.0, 1.0, 2.0])
    assert stats is not None
    assert (stats.count, stats.p50, stats.p95, stats.max) == (3, 2.0, 3.0, 3.0)


def test_verdicts_pass_breach_not_measured_allowed_and_undeclared() -> None:
    results = parse(lines(fast=[1.0] * 5, slow=[10.0] * 19 + [99.0], few=[1.0], extra=[1.0]), "r.jsonl")
    targets = [
        Target("fast", 2),
        Target("slow", 50),  # p95 of 20 is the 19th: 10 ms, the one 99 ms outlier is the tail beyond it
        Target("slow-max", 50, statistic="max"),
        Target("few", 5),
        Target("gone", 5, allow_missing=True),
    ]
    verdicts = {row.target.name: row.verdict for row in check(targets, results).rows}
    assert verdicts == {
        "fast": "pass",
        "slow": "pass",
        "slow-max": "not measured",
        "few": "not measured",
        "gone": "missing (allowed)",
    }
    strict = check([Target("slow", 50, statistic="max")], results)
    assert [r.verdict for r in strict.rows] == ["breach"]
    assert strict.undeclared == ("extra", "fast", "few")


def test_results_errors_name_file_and_line() -> None:
    with pytest.raises(ResultsError, match=r"r\.jsonl:2: not JSON"):
        parse('{"name": "a", "ms": 1}\n{oops\n', "r.jsonl")
    with pytest.raises(ResultsError, match=r'r\.jsonl:1: "ms" must be a finite number'):
        parse('{"name": "a", "ms": "fast"}\n', "r.jsonl")
    with pytest.raises(ResultsError, match=r"r\.jsonl:1: .*negative"):
        parse('{"name": "a", "ms": -1}\n', "r.jsonl")
    with pytest.raises(ValueError, match="finite"):
        sample_line("a", float("nan"))


def test_pytest_benchmark_json_raw_data_and_summary() -> None:
    raw = {
        "benchmarks": [
            {"name": "test_regex", "extra_info": {"sla": "regex-match"}, "stats": {"data": [0.0005, 0.0007]}}
        ]
    }
    results = parse(json.dumps(raw), "bench.json")
    assert results.samples == (Sample("regex-match", 0.5), Sample("regex-match", 0.7))
    summary = {"benchmarks": [{"name": "intent", "stats": {"median": 0.002, "max": 0.009, "rounds": 40}}]}
    stats = check([Target("intent", 5)], parse(json.dumps(summary), "b.json")).rows[0]
    assert stats.stats is not None
    assert (stats.stats.count, stats.stats.p50, stats.stats.p95) == (40, 2.0, 9.0)  # the tail is the maximum
    assert stats.verdict == "breach"


def test_check_within_targets_exits_0(project: Path) -> None:
    (project / "sla-results.jsonl").write_text(lines(regex_match=[0.1] * 5, voice_e2e=[1200.0] * 20))
    done = run_releasekit("sla", "check", cwd=project)
    assert done.returncode == 0, done.stderr
    assert "sla: 2 targets met" in done.stdout
    assert "voice-e2e    E2E         20  1200  1200  1200  p95 <= 2000 ms  pass" in done.stdout


def test_breach_exits_1_naming_it_with_summary_chart_and_annotation(project: Path) -> None:
    history = project / "history"
    history.mkdir()
    (history / "7.jsonl").write_text(lines(voice_e2e=[1500.0] * 5))
    (history / "10.jsonl").write_text(lines(voice_e2e=[1900.0] * 5))
    results = project / "now.jsonl"
    results.write_text(lines(regex_match=[0.1] * 5, voice_e2e=[1000.0] * 15 + [2500.0] * 5, warmup=[3.0]))
    summary = project / "summary.md"
    env = {"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_ACTIONS": "true"}
    done = run_releasekit("sla", "check", str(results), "--history", str(history), cwd=project, env=env)
    assert done.returncode == 1
    assert "note: voice-e2e: p95 2500 ms > target 2000 ms (20 samples)" in done.stdout
    assert "note: measured but not declared in performance: warmup" in done.stdout
    assert "::error title=SLA breach::voice-e2e: p95 2500 ms > target 2000 ms (20 samples)" in done.stdout
    assert done.stdout.rstrip().endswith("sla: failed: voice-e2e")
    text = summary.read_text()
    assert "| voice-e2e | E2E | 20 | 1000 | 2500 | 2500 | p95 ≤ 2000 ms | ❌ breach |" in text
    assert "```mermaid\nxychart-beta\n" in text
    assert 'x-axis ["7", "10", "this run"]' in text  # runs in natural order, this run last
    assert "bar [1500, 1900, 2500]" in text


def test_not_measured_fails_and_bad_input_is_exit_2(project: Path) -> None:
    (project / "r.jsonl").write_text(lines(regex_match=[0.1] * 5))
    done = run_releasekit("sla", "check", "r.jsonl", cwd=project)
    assert done.returncode == 1
    assert "voice-e2e: 0 samples, 5 needed (not measured)" in done.stdout
    missing = run_releasekit("sla", "check", "nope.jsonl", cwd=project)
    assert missing.returncode == 2
    assert "nope.jsonl: no such results file" in missing.stderr
    assert "Traceback" not in missing.stderr
    (project / "releasekit.yaml").write_text("project: {name: demo, repository: o/demo}\n")
    empty = run_releasekit("sla", "check", "r.jsonl", cwd=project)
    assert empty.returncode == 2
    assert "declares no performance targets" in empty.stderr


def test_report_shows_the_trend(project: Path) -> None:
    history = project / "runs"
    for run, ms in (("1", 1500.0), ("2", 2500.0)):
        (history / run).mkdir(parents=True)
        (history / run / "sla-results.jsonl").write_text(lines(voice_e2e=[ms] * 5))
    done = run_releasekit("sla", "report", "runs", cwd=project)
    assert done.returncode == 0, done.stderr
    rows = done.stdout.splitlines()
    assert rows[1].split() == ["1", "-", "1500"]
    assert rows[2].split() == ["2", "-", "2500", "!"]
    png = run_releasekit("sla", "report", "runs", "--png", "t.png", cwd=project)
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert png.returncode == 2
        assert "--png needs matplotlib" in png.stderr
    else:
        assert png.returncode == 0
        assert (project / "t.png").read_bytes()[:4] == b"\x89PNG"


def test_recorder_appends_a_sample_per_block_and_nothing_for_a_failure(tmp_path: Path) -> None:
    ticks = iter([10.0, 10.25, 20.0, 21.0])
    recorder = SlaRecorder(tmp_path / "out" / "r.jsonl", labels={"machine": "imac"}, clock=lambda: next(ticks))
    with recorder.measure("voice-e2e"):
        pass
    with pytest.raises(RuntimeError), recorder.measure("voice-e2e"):
        raise RuntimeError
    recorder.record("intent", 4.5, run="2")
    written = (tmp_path / "out" / "r.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in written] == [
        {"name": "voice-e2e", "ms": 250.0, "labels": {"machine": "imac"}},
        {"name": "intent", "ms": 4.5, "labels": {"machine": "imac", "run": "2"}},
    ]


def test_the_sla_fixture_writes_where_the_environment_points(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sla: SlaRecorder
) -> None:
    import os

    assert sla.path == Path(os.environ.get("RELEASEKIT_SLA_RESULTS") or "sla-results.jsonl")
    monkeypatch.setenv("RELEASEKIT_SLA_RESULTS", str(tmp_path / "e2e.jsonl"))
    fresh = SlaRecorder()
    fresh.record("regex-match", 0.2)
    assert (tmp_path / "e2e.jsonl").read_text() == '{"name": "regex-match", "ms": 0.2}\n'


def _zip(files: dict[str, str]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def test_gate_picks_the_nearest_commit_then_the_newest_run_within_max_age() -> None:
    from releasekit.sla.gate import RunRef, candidates

    now = 1_000_000.0
    ancestry = {"head": 0, "parent": 1, "grandparent": 2}
    runs = [
        RunRef(1, "grandparent", "success", now - 100, ""),
        RunRef(2, "parent", "failure", now - 200, ""),
        RunRef(3, "parent", "success", now - 50, ""),
        RunRef(4, "elsewhere", "success", now - 10, ""),  # not an ancestor: another branch's run
        RunRef(5, "head", "success", now - 10 * 86400, ""),  # on the commit, but too old
    ]
    assert [(d, r.id) for d, r in candidates(runs, ancestry, now, 7 * 86400)] == [(1, 3), (1, 2), (2, 1)]
    assert candidates(runs, {"elsewhere-only": 0}, now, 7 * 86400) == []


def test_gate_reads_every_results_file_in_the_artifact_and_names_the_breach() -> None:
    from releasekit.sla.gate import RunRef, judge, results_from_zip

    data = _zip({"sla-results.jsonl": lines(voice_e2e=[2500.0] * 5), "more/r.jsonl": lines(regex_match=[0.2] * 5)})
    results = results_from_zip(data, "run 9 artifact sla-results")
    assert len(results.samples) == 10
    run = RunRef(9, "a" * 40, "failure", 0.0, "http://example.invalid/runs/9")
    outcome = judge([Target("voice-e2e", 2000), Target("regex-match", 1)], results, run, 2)
    assert not outcome.ok
    assert outcome.detail == (
        "voice-e2e: p95 2500 ms > target 2000 ms (5 samples); evidence: run 9 of aaaaaaaaaaaa (2 commits back, "
        "failure) http://example.invalid/runs/9"
    )
    assert "--skip-sla-check" in outcome.fix
    with pytest.raises(ResultsError, match="run 9: not a zip archive"):
        results_from_zip(b"not a zip", "run 9")


E2E_WORKFLOW = (
    "workflows: {e2e-tests: {triggers: {workflow_dispatch: {}}, machines: [ubuntu]}}\n"
    "machines: {ubuntu: {runner: ubuntu-latest}}\n"
)


def _config(performance: str, workflows: str = E2E_WORKFLOW) -> object:
    from releasekit.config.loader import parse

    text = "project: {name: demo, repository: o/demo}\n" + workflows + performance
    return parse(text, "releasekit.yaml", Path("/nonexistent-root")).config


def test_the_gate_reads_its_settings_beside_the_targets() -> None:
    from releasekit.errors import ConfigError
    from releasekit.sla.targets import gate_of

    config = _config("performance:\n  gate: {max-age: 36h, artifact: perf}\n  voice-e2e: {target-ms: 2000}\n")
    gate = gate_of(config)  # type: ignore[arg-type]
    assert gate is not None and gate.settings is not None
    assert [t.name for t in gate.targets] == ["voice-e2e"]
    assert (gate.settings.workflow_file, gate.settings.max_age_seconds, gate.settings.artifact) == (
        "e2e-tests.yml",
        36 * 3600.0,
        "perf",
    )
    off = _config("performance:\n  gate: {enabled: false}\n  voice-e2e: {target-ms: 2000}\n")
    assert gate_of(off) is None  # type: ignore[arg-type]
    elsewhere = gate_of(_config("performance:\n  gate: {workflow: nightly}\n  a: {target-ms: 1}\n"))  # type: ignore[arg-type]
    assert elsewhere is not None and elsewhere.settings is None
    assert "performance.gate.workflow is 'nightly', which is not a key under `workflows`" in elsewhere.problem
    none = gate_of(_config("performance:\n  a: {target-ms: 1}\n", workflows=""))  # type: ignore[arg-type]
    assert none is not None and "no workflow from the `e2e-tests` template" in none.problem
    with pytest.raises(ConfigError, match=r"releasekit.yaml:5:19: performance.gate.max-age: .7 days. is not valid"):
        _config("performance:\n  gate: {max-age: 7 days}\n")
    with pytest.raises(ConfigError, match=r"releasekit.yaml:5:3: performance: invalid name '9lives'"):
        _config("performance:\n  9lives: {target-ms: 1}\n")


def test_the_evidence_is_every_machines_artifact_the_newest_of_each_unexpired() -> None:
    from releasekit.sla.gate import evidence_artifacts

    listed = [
        {"id": 1, "name": "sla-results-imac", "expired": False},
        {"id": 4, "name": "sla-results-imac", "expired": False},
        {"id": 2, "name": "sla-results-windows-pc", "expired": True},
        {"id": 3, "name": "sla-results", "expired": False},
        {"id": 5, "name": "sla-resultsX", "expired": False},
        {"id": 6, "name": "service-logs-0", "expired": False},
    ]
    assert [a["id"] for a in evidence_artifacts(listed, "sla-results")] == [3, 4]
