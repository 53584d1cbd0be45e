"""Show a check: a terminal table, the same table in Markdown for `GITHUB_STEP_SUMMARY`, Mermaid trend charts
(GitHub renders `xychart-beta` blocks), and workflow-command annotations for each breach."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from releasekit.sla.verdict import Check, Row, Target, fmt_ms

HEADER = ("target", "layer", "samples", "p50", "p95", "max", "budget", "verdict")
_MARK = {"pass": "pass", "breach": "BREACH", "not measured": "NOT MEASURED", "missing (allowed)": "missing (allowed)"}
_EMOJI = {
    "pass": "✅ pass",
    "breach": "❌ breach",
    "not measured": "⚠️ not measured",
    "missing (allowed)": "(allowed) missing",
}


def _cells(row: Row, marks: Mapping[str, str], at_most: str = "<=") -> tuple[str, ...]:
    t, s = row.target, row.stats
    numbers = ("-", "-", "-") if s is None else (fmt_ms(s.p50), fmt_ms(s.p95), fmt_ms(s.max))
    return (
        t.name,
        t.layer or "-",
        "0" if s is None else str(s.count),
        *numbers,
        f"{t.statistic} {at_most} {fmt_ms(t.target_ms)} ms",
        marks[row.verdict],
    )


def table(check: Check) -> str:
    """A plain-text table, columns aligned."""
    rows = [HEADER, *(_cells(r, _MARK) for r in check.rows)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
    numeric = {2, 3, 4, 5}
    lines = []
    for r in rows:
        pairs = enumerate(zip(r, widths, strict=True))
        cells = [c.rjust(w) if i in numeric and r is not HEADER else c.ljust(w) for i, (c, w) in pairs]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def notes(check: Check) -> list[str]:
    """What the table does not say: breaches and gaps in words, and measured names no target declares."""
    out = [row.reason() for row in check.rows if row.verdict != "pass"]
    if check.undeclared:
        out.append(
            "measured but not declared in performance: "
            + ", ".join(check.undeclared)
            + " (declare a target for each, or stop recording them)"
        )
    return out


def markdown(check: Check, title: str = "Performance SLA") -> str:
    verdict = (
        "all targets met" if check.ok else (f"{len(check.breaches)} breached, {len(check.unmeasured)} not measured")
    )
    lines = [f"### {title}: {verdict}", "", "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(_md(c) for c in _cells(r, _EMOJI, "≤")) + " |" for r in check.rows]
    extra = notes(check)
    if extra:
        lines += ["", *(f"- {_md(n)}" for n in extra)]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def mermaid(series: Mapping[str, Sequence[tuple[str, float | None]]], targets: Mapping[str, Target]) -> str:
    """One `xychart-beta` per target: its statistic per run (a gap counts as 0) and the budget as a second line."""
    blocks = []
    for name, points in series.items():
        if not points or all(v is None for _, v in points):
            continue
        target = targets[name]
        values = [0.0 if v is None else v for _, v in points]
        top = max([*values, target.target_ms]) * 1.15
        labels = ", ".join(_quote(label) for label, _ in points)
        blocks.append(
            "\n".join(
                [
                    "```mermaid",
                    "xychart-beta",
                    f"    title {_quote(f'{name}: {target.statistic} per run, budget {fmt_ms(target.target_ms)} ms')}",
                    f"    x-axis [{labels}]",
                    f'    y-axis "ms" 0 --> {fmt_ms(top)}',
                    f"    bar [{', '.join(fmt_ms(v) for v in values)}]",
                    f"    line [{', '.join(fmt_ms(target.target_ms) for _ in values)}]",
                    "```",
                ]
            )
        )
    if not blocks:
        return ""
    return "#### Trend (bars: measured, line: budget)\n\n" + "\n\n".join(blocks) + "\n"


def _quote(text: str) -> str:
    return '"' + text.replace('"', "'").replace("\n", " ") + '"'


def workflow_commands(check: Check, file: str | None = None) -> list[str]:
    """GitHub workflow commands: an error per breach and per target not measured."""
    out = []
    for row in check.rows:
        if row.verdict in ("breach", "not measured"):
            title = "SLA breach" if row.verdict == "breach" else "SLA not measured"
            props = ([f"file={_escape_property(file)}"] if file else []) + [f"title={_escape_property(title)}"]
            out.append(f"::error {','.join(props)}::{_escape_data(row.reason())}")
    return out


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
