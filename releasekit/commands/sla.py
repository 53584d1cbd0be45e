"""Check performance samples against the targets under `performance:` in releasekit.yaml.

`releasekit sla check [FILE...]` reads the samples the tests wrote (JSON lines, or pytest-benchmark JSON; default:
$RELEASEKIT_SLA_RESULTS, else sla-results.jsonl), prints a table and exits 1 when a target is breached or not
measured. In GitHub Actions it also writes the table, and a trend chart from `--history DIR`, to the job summary, and
annotates each breach. `releasekit sla fetch DIR` downloads past E2E runs' results from GitHub for `--history`;
`releasekit sla report DIR` shows the trend over them (`--png FILE` draws it).
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from releasekit.errors import ReleasekitError, UsageError
from releasekit.output import count_text

if TYPE_CHECKING:
    from releasekit.config.model import Config
    from releasekit.sla.samples import Results
    from releasekit.sla.verdict import Target


class SlaError(ReleasekitError):
    exit_code = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="sla_command", metavar="ACTION", required=True)
    check = sub.add_parser("check", help="compare samples with the targets; exit 1 on a breach")
    check.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="results files or directories (default: $RELEASEKIT_SLA_RESULTS, else sla-results.jsonl)",
    )
    check.add_argument(
        "--history", metavar="DIR", help="past runs' results, one file or directory per run, for the chart"
    )
    check.add_argument("--history-limit", type=int, default=20, metavar="N", help="chart at most the last N runs (20)")
    check.add_argument(
        "--summary",
        metavar="FILE",
        help="write the Markdown summary to FILE (default in GitHub Actions: $GITHUB_STEP_SUMMARY)",
    )
    fetch = sub.add_parser(
        "fetch", help="download the last N E2E runs' results from GitHub into DIR/<run number>/, for --history"
    )
    fetch.add_argument("history", metavar="DIR", help="where to write them (created)")
    fetch.add_argument("--limit", type=int, default=20, metavar="N", help="the last N runs that kept results (20)")
    report = sub.add_parser("report", help="the trend over past runs' results, as a table (and --png FILE)")
    report.add_argument("history", metavar="DIR", help="past runs' results, one file or directory per run")
    report.add_argument("--limit", type=int, default=20, metavar="N", help="the last N runs (20)")
    report.add_argument("--png", metavar="FILE", help="also draw the trend to a PNG (needs matplotlib)")


def run(args: argparse.Namespace) -> int:
    from releasekit.config.loader import load

    config = load(Path(args.directory) / args.config).config
    targets = targets_of(config)
    if args.sla_command == "check":
        return _check(args, targets)
    if args.sla_command == "fetch":
        return _fetch(args, config)
    return _report(args, targets)


def _fetch(args: argparse.Namespace, config: Config) -> int:
    """The history `check --history` charts: the results artifacts of the E2E workflow's last runs (in GitHub
    Actions, the run doing the fetching is left out: it is "this run")."""
    from releasekit.backends.github import GitHub
    from releasekit.sla.gate import fetch_history
    from releasekit.sla.targets import gate_of

    if args.limit < 1:
        raise UsageError("--limit must be at least 1")
    gate = gate_of(config)
    if gate is None or gate.settings is None:
        problem = gate.problem if gate is not None else "the performance gate is off (performance.gate.enabled)"
        raise SlaError(f"no E2E workflow to read results from: {problem}")
    gh = GitHub.from_env(config.project.repository, needs="read the Actions runs and artifacts of")
    own = os.environ.get("GITHUB_RUN_ID", "")
    dest = Path(args.history)
    fetched = fetch_history(gh, gate.settings, dest, limit=args.limit, leave_out=int(own) if own.isdigit() else None)
    for number, files in fetched:
        print(f"run {number}: {count_text(files, 'file')} -> {dest / str(number)}")
    print(f"sla: {count_text(len(fetched), 'run')} of {gate.settings.workflow_file} fetched into {dest}")
    return 0


def targets_of(config: Config) -> list[Target]:
    from releasekit.sla import targets

    found = list(targets.targets_of(config))
    if not found:
        msg = (
            "releasekit.yaml declares no performance targets; add them under `performance:`, e.g.\n"
            "  performance:\n    voice-e2e: {target-ms: 2000}"
        )
        raise SlaError(msg)
    return found


def _check(args: argparse.Namespace, targets: list[Target]) -> int:
    from releasekit.sla import summary
    from releasekit.sla.samples import read_paths, results_path
    from releasekit.sla.verdict import check, history_series, targets_by_name

    paths = [Path(f) for f in args.files] or [results_path()]
    results = read_paths(paths)
    runs = _history(Path(args.history), args.history_limit, leave_out=paths) if args.history else []
    verdict = check(targets, results)
    print(summary.table(verdict))
    for note in summary.notes(verdict):
        print(f"note: {note}")
    summary_file = args.summary or os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        chart = summary.mermaid(history_series([*runs, ("this run", results)], targets), targets_by_name(targets))
        with Path(summary_file).open("a", encoding="utf-8") as out:
            out.write(summary.markdown(verdict) + ("\n" + chart if chart else ""))
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for line in summary.workflow_commands(verdict):
            print(line)
    if verdict.ok:
        print(f"sla: {count_text(len(verdict.rows), 'target')} met")
        return 0
    failed = [row.target.name for row in (*verdict.breaches, *verdict.unmeasured)]
    print(f"sla: failed: {', '.join(failed)}")
    return 1


def _history(directory: Path, limit: int, leave_out: Sequence[Path] = ()) -> list[tuple[str, Results]]:
    """Past runs, oldest first: each file or directory directly under DIR is one run, named by it (the results being
    checked are left out, should they already be in DIR: they are charted as "this run")."""
    from releasekit.sla.samples import read_paths

    if limit < 1:
        raise UsageError("--history-limit/--limit must be at least 1")
    if not directory.is_dir():
        raise SlaError(f"{directory}: no such directory of past results")
    skip = {p.resolve() for p in leave_out}
    entries = [
        p for p in directory.iterdir() if (p.is_dir() or p.suffix in (".jsonl", ".json")) and p.resolve() not in skip
    ]
    entries.sort(key=lambda p: _natural(p.name))
    return [(p.stem if p.is_file() else p.name, read_paths([p])) for p in entries[-limit:]]


def _natural(name: str) -> list[object]:
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", name) if part]


def _report(args: argparse.Namespace, targets: list[Target]) -> int:
    from releasekit.sla.verdict import fmt_ms, history_series

    runs = _history(Path(args.history), args.limit)
    if not runs:
        raise SlaError(f"{args.history}: holds no results (one .jsonl/.json file or directory per run)")
    series = history_series(runs, targets)
    header = ["run", *(f"{t.name} {t.statistic}" for t in targets)]
    rows = [header]
    for index, (label, _) in enumerate(runs):
        cells = [label]
        for t in targets:
            value = series[t.name][index][1]
            mark = "" if value is None or value <= t.target_ms else " !"
            cells.append("-" if value is None else fmt_ms(value) + mark)
        rows.append(cells)
    rows.append(["budget", *(fmt_ms(t.target_ms) for t in targets)])
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for r in rows:
        line = (c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        print("  ".join(line).rstrip())
    print("(ms; ! marks a breach)")
    if args.png:
        _png(Path(args.png), [label for label, _ in runs], series, targets)
        print(f"sla: chart written to {args.png}")
    return 0


def _png(
    path: Path, labels: Sequence[str], series: dict[str, list[tuple[str, float | None]]], targets: list[Target]
) -> None:
    from releasekit.sla.verdict import fmt_ms

    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot
    except ImportError:
        msg = "--png needs matplotlib: pip install 'releasekit[charts]' (or matplotlib), then run again"
        raise SlaError(msg) from None
    figure, axes = pyplot.subplots(len(targets), 1, figsize=(8, 2.2 * len(targets)), squeeze=False)
    for ax, target in zip(axes[:, 0], targets, strict=False):
        values = [v for _, v in series[target.name]]
        xs = range(len(labels))
        known = [(x, v) for x, v in zip(xs, values, strict=True) if v is not None]
        ax.plot([x for x, _ in known], [v for _, v in known], marker="o")
        over = [(x, v) for x, v in known if v > target.target_ms]
        ax.plot([x for x, _ in over], [v for _, v in over], "o", color="red")  # the breaches
        ax.axhline(target.target_ms, color="red", linestyle="--", linewidth=1)
        ax.set_ylim(bottom=0)
        ax.set_title(f"{target.name} ({target.statistic}, budget {fmt_ms(target.target_ms)} ms)", fontsize=9)
        ax.set_xticks(list(xs))
        ax.set_xticklabels(labels, fontsize=7, rotation=30)
        ax.set_ylabel("ms", fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    pyplot.close(figure)
