"""List recent workflow runs, a line each: id, workflow, title, event and ref, result, age, URL."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from releasekit.github_rules import MAX_PER_PAGE


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "workflow",
        nargs="?",
        metavar="WORKFLOW",
        help="a workflow's file name (release-full.yml) or its key in releasekit.yaml (default: every workflow)",
    )
    parser.add_argument(
        "--limit", type=int, default=10, metavar="N", help=f"how many runs (default 10, at most {MAX_PER_PAGE})"
    )


def run(args: argparse.Namespace) -> int:
    from releasekit.backends import actions
    from releasekit.backends.github import GitHub
    from releasekit.config.loader import load
    from releasekit.errors import UsageError
    from releasekit.steps.runview import clock_text, parse_timestamp, state, table

    if not 1 <= args.limit <= MAX_PER_PAGE:
        raise UsageError(f"--limit must be between 1 and {MAX_PER_PAGE} (one page of GitHub's answer)")
    config = load(Path(args.directory) / args.config).config
    workflow = args.workflow
    if workflow in config.workflows:
        workflow = config.workflows[workflow].file_name(workflow)
    gh = GitHub.from_env(config.project.repository, needs="read the workflow runs of")
    found = actions.runs(gh, workflow, per_page=args.limit)
    where = workflow or "all workflows"
    if not found:
        print(f"{config.project.repository}: no runs of {where} yet")
        return 0
    now = args.clock.time() if args.clock else time.time()  # the ages as of the commands' clock
    rows = []
    for r in found:
        created = parse_timestamp(r.created_at)
        age = clock_text(now - created) + " ago" if created else ""
        rows.append(
            (
                str(r.id),
                r.path.rsplit("/", 1)[-1],
                r.name,
                f"{r.event} {r.head_branch or ''}".strip(),
                state(r.status, r.conclusion),
                age,
                r.html_url,
            )
        )
    latest = "the latest run" if len(found) == 1 else f"the latest {len(found)} runs"
    print(f"{config.project.repository}: {latest} of {where}")
    print("\n".join(table(rows, head=("run", "workflow", "title", "trigger", "result", "started", "url"))))
    return 0
