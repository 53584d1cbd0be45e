"""Generate .github/workflows/*.yml from releasekit.yaml, all files or none; --check verifies and writes nothing."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; print a diff and exit 1 if a file is missing, stale, hand-edited or no longer declared",
    )


def run(args: argparse.Namespace) -> int:
    from releasekit.config.loader import load
    from releasekit.lock import load_lock
    from releasekit.render import writer
    from releasekit.render.engine import render

    root = Path(args.directory)
    located = load(root / args.config)
    lock = load_lock(located.root)
    outputs = render(located, lock)
    changes = writer.plan(located.root, outputs)
    if args.check:
        if not changes:
            print(f"{len(outputs)} generated file{'s' * (len(outputs) != 1)} up to date.")
            return 0
        for change in changes:
            print(change.diff(), end="")
        for change in changes:
            print(f"{change.path}: {change.why}")
        print(f"{len(changes)} file{'s' * (len(changes) != 1)} out of date; run `releasekit workflows` "
              "(or `nox -s workflows`) and commit the result.")
        return 1
    writer.apply(located.root, changes)
    changed = {c.path: c for c in changes}
    for out in outputs:
        status = "unchanged" if out.path not in changed else ("created" if changed[out.path].kind == "missing"
                                                               else "updated")
        print(f"{status:9} {out.path}")
    for change in changes:
        if change.kind == "undeclared":
            print(f"{'removed':9} {change.path}")
    return 0
