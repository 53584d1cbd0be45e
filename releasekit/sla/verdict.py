"""Compare samples with targets: pure functions, no I/O.

Percentiles are nearest-rank (the p95 of 20 samples is the 19th smallest): every reported value is one that was
measured, and a percentile never understates a slow tail by interpolating below it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from releasekit.output import count_text
from releasekit.sla.samples import Results

Statistic = Literal["p50", "p95", "p99", "max"]
STATISTICS: tuple[Statistic, ...] = ("p50", "p95", "p99", "max")
Verdict = Literal["pass", "breach", "not measured", "missing (allowed)"]


@dataclass(frozen=True)
class Target:
    """One declared performance target."""

    name: str
    target_ms: float
    statistic: Statistic = "p95"
    min_samples: int = 5
    allow_missing: bool = False
    layer: str | None = None
    operation: str | None = None


@dataclass(frozen=True)
class Stats:
    count: int
    p50: float
    p95: float
    p99: float
    max: float

    def get(self, statistic: Statistic) -> float:
        return float(getattr(self, statistic))


@dataclass(frozen=True)
class Row:
    target: Target
    stats: Stats | None
    verdict: Verdict

    @property
    def measured(self) -> float | None:
        return None if self.stats is None else self.stats.get(self.target.statistic)

    def reason(self) -> str:
        """One sentence for a person: what was measured against what."""
        t = self.target
        if self.verdict in ("pass", "breach"):
            assert self.stats is not None
            sign = ">" if self.verdict == "breach" else "<="
            return (
                f"{t.name}: {t.statistic} {fmt_ms(self.stats.get(t.statistic))} ms {sign} target "
                f"{fmt_ms(t.target_ms)} ms ({self.stats.count} samples)"
            )
        count = 0 if self.stats is None else self.stats.count
        return f"{t.name}: {count_text(count, 'sample')}, {t.min_samples} needed ({self.verdict})"


@dataclass(frozen=True)
class Check:
    """Every target's row, and the measured names no target declares."""

    rows: tuple[Row, ...]
    undeclared: tuple[str, ...]

    @property
    def breaches(self) -> tuple[Row, ...]:
        return tuple(r for r in self.rows if r.verdict == "breach")

    @property
    def unmeasured(self) -> tuple[Row, ...]:
        return tuple(r for r in self.rows if r.verdict == "not measured")

    @property
    def ok(self) -> bool:
        return not self.breaches and not self.unmeasured


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending, non-empty sequence."""
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def stats_of(values: Iterable[float]) -> Stats | None:
    ordered = sorted(values)
    if not ordered:
        return None
    return Stats(
        len(ordered), percentile(ordered, 0.50), percentile(ordered, 0.95), percentile(ordered, 0.99), ordered[-1]
    )


def stats_by_name(results: Results) -> dict[str, Stats]:
    grouped: dict[str, list[float]] = {}
    for sample in results.samples:
        grouped.setdefault(sample.name, []).append(sample.ms)
    out = {name: s for name, values in grouped.items() if (s := stats_of(values)) is not None}
    for summary in results.summaries:
        known = out.get(summary.name)
        if known is None:  # a summary knows only the median and the maximum: the tail is taken as the maximum
            out[summary.name] = Stats(summary.count, summary.p50, summary.max, summary.max, summary.max)
        else:  # raw samples beside a summary: keep the samples' percentiles, the worse maximum, the total count
            worst = max(known.max, summary.max)
            out[summary.name] = Stats(known.count + summary.count, known.p50, known.p95, known.p99, worst)
    return out


def check(targets: Iterable[Target], results: Results) -> Check:
    by_name = stats_by_name(results)
    rows: list[Row] = []
    declared: set[str] = set()
    for target in targets:
        declared.add(target.name)
        stats = by_name.get(target.name)
        rows.append(Row(target, stats, _verdict(target, stats)))
    undeclared = tuple(sorted(set(by_name) - declared))
    return Check(tuple(rows), undeclared)


def _verdict(target: Target, stats: Stats | None) -> Verdict:
    if stats is None or stats.count < target.min_samples:
        return "missing (allowed)" if target.allow_missing else "not measured"
    return "breach" if stats.get(target.statistic) > target.target_ms else "pass"


def fmt_ms(value: float) -> str:
    """Milliseconds as people read them: 0.042, 4.2, 42, 1234."""
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{value:.3f}".rstrip("0").rstrip(".") or "0"


def history_series(
    runs: Sequence[tuple[str, Results]], targets: Iterable[Target]
) -> dict[str, list[tuple[str, float | None]]]:
    """For each target, its statistic in each run (None where the run did not measure it), oldest first."""
    targets = list(targets)
    series: dict[str, list[tuple[str, float | None]]] = {t.name: [] for t in targets}
    for label, results in runs:
        by_name = stats_by_name(results)
        for target in targets:
            stats = by_name.get(target.name)
            series[target.name].append((label, None if stats is None else stats.get(target.statistic)))
    return series


def targets_by_name(targets: Iterable[Target]) -> Mapping[str, Target]:
    return {t.name: t for t in targets}
