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


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def run(args: argparse.Namespace) -> int:
    from releasekit.render import cache
    from releasekit.render.files import builtin_templates, generated_files

    root = Path(args.directory).resolve()
    config_path = root / args.config
    # The lock and project templates sit beside the config; the generated files go under the project root.
    digest = cache.inputs_digest(config_path.parent, config_path, builtin_templates())
    if args.check and digest is not None:
        # Fast path: these exact inputs were rendered before, and the tree still holds exactly that output.
        known = cache.up_to_date(digest, generated_files(root))
        if known is not None:
            print(f"{_plural(known, 'generated file')} up to date.")
            return 0
    return _render_and_compare(args, root, digest)


def _render_and_compare(args: argparse.Namespace, root: Path, digest: str | None) -> int:
    from releasekit.config.loader import load
    from releasekit.lock import load_lock
    from releasekit.render import cache, writer
    from releasekit.render.engine import render

    located = load(Path(args.directory) / args.config)  # shown in messages as the user gave it
    lock = load_lock(located.root)
    outputs = render(located, lock)
    changes = writer.plan(root, outputs)
    if digest is not None:
        cache.remember(digest, {o.path: o.text for o in outputs})
    if args.check:
        if not changes:
            print(f"{_plural(len(outputs), 'generated file')} up to date.")
            return 0
        for change in changes:
            print(change.diff(), end="")
        for change in changes:
            print(f"{change.path}: {change.why}")
        print(
            f"{_plural(len(changes), 'file')} out of date; run `releasekit workflows` (or `nox -s workflows`) "
            "and commit the result."
        )
        return 1
    writer.apply(root, changes)
    changed = {c.path: c for c in changes}
    for out in outputs:
        found = changed.get(out.path)
        status = "unchanged" if found is None else ("created" if found.kind == "missing" else "updated")
        print(f"{status:9} {out.path}")
    for change in changes:
        if change.kind == "undeclared":
            print(f"{'removed':9} {change.path}")
    return 0
