"""Generate .github/workflows/*.yml from releasekit.yaml, all files or none; --check verifies and writes nothing."""

from __future__ import annotations

import argparse
from pathlib import Path

# `typing` is not imported at run time: this module is on the `workflows --check` fast path (BENCHMARKS.md).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from releasekit.config.model import Config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; print a diff and exit 1 if a file is missing, stale, hand-edited or no longer declared",
    )
    parser.add_argument(
        "--adopt",
        metavar="FILE",
        help="take a hand-written workflow under .github/workflows over: show the difference from what releasekit "
        "generates for the declared workflow with that `file`; writes nothing without --yes",
    )
    parser.add_argument(
        "--yes", action="store_true", help="with --adopt: replace the file (its old text stays in git or a backup)"
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def run(args: argparse.Namespace) -> int:
    from releasekit.render import cache
    from releasekit.render.files import builtin_templates, generated_files

    root = Path(args.directory).resolve()
    if args.adopt is not None or args.yes:
        return _adopt(args, root)
    config_path = root / args.config
    # The lock and project templates sit beside the config; the generated files go under the project root.
    digest = cache.inputs_digest(config_path.parent, config_path, builtin_templates())
    if args.check and digest is not None:
        # Fast path: these exact inputs were rendered before, and the tree still holds exactly that output.
        known = cache.up_to_date(digest, generated_files(root))
        if known is not None:
            _warn(cache.warnings_of(digest))
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
    from releasekit.toollock import unpinned_installs

    outputs = render(located, lock)
    changes = writer.plan(root, outputs)
    warnings = unpinned_installs(located.config)
    if digest is not None:
        cache.remember(digest, {o.path: o.text for o in outputs}, warnings)
    _warn(warnings)
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
    _report_existing(located.config, root)
    return 0


def _warn(warnings: list[str]) -> None:
    """Warnings about the user's own steps (e.g. an unpinned `pip install`), on stderr: they do not fail."""
    import sys

    for line in warnings:
        print(f"warning: {line}", file=sys.stderr)


def _report_existing(config: Config, root: Path) -> None:
    """One line per workflow listed under existing-workflows: left alone, or missing (then a release that follows
    it would wait for a run that never starts)."""
    import sys

    from releasekit.render.files import WORKFLOWS_DIR

    for existing in config.existing_workflows:
        path = f"{WORKFLOWS_DIR}/{existing.file}"
        if (root / path).is_file():
            releases = f", releases on {existing.release}" if existing.release else ""
            print(f"{'kept':9} {path} (existing, not generated{releases})")
        else:
            print(f"note: {path} is listed under existing-workflows but does not exist", file=sys.stderr)


def _adopt(args: argparse.Namespace, root: Path) -> int:
    """Show what taking a hand-written workflow over changes; with --yes, replace it, keeping its old text."""
    from releasekit.config.loader import load
    from releasekit.errors import UsageError
    from releasekit.lock import load_lock
    from releasekit.render import writer
    from releasekit.render.engine import render

    if args.adopt is None:
        raise UsageError("--yes goes with --adopt FILE (it confirms replacing that file)")
    if args.check:
        raise UsageError("--adopt and --check do not go together: --adopt without --yes writes nothing already")
    located = load(Path(args.directory) / args.config)
    outputs = render(located, load_lock(located.root))
    existing = [e.file for e in located.config.existing_workflows]
    change = writer.adoption(root, outputs, args.adopt, existing)
    print(change.diff(), end="")
    if not args.yes:
        print(f"{change.path}: {change.why}")
        print(f"Nothing was written. Replace it with `releasekit workflows --adopt {args.adopt} --yes`.")
        return 0
    changes = [change]
    if _committed_as(root, change.path, change.old or ""):
        kept = f"its old text is in git: `git show HEAD:{change.path}`"
    else:  # not committed as it is: the hand-written text would be lost, so it is kept beside it
        backup = f"{change.path}.orig"
        if (root / backup).exists():
            raise writer.AdoptRefused(
                f"--adopt {args.adopt}: {change.path} is not committed as it is, and {backup} (where its text would "
                f"be kept) exists already; commit the file or move {backup} away. Nothing was written."
            )
        changes.append(writer.Change(backup, "missing", None, change.old))
        kept = f"its old text is kept in {backup} (GitHub runs only .yml and .yaml files)"
    # The requirements files the adopted workflow installs from, when they are not there yet (never an overwrite).
    from releasekit.render.files import REQUIREMENTS_DIR

    needed = [
        writer.Change(o.path, "missing", None, o.text)
        for o in outputs
        if o.path.startswith(f"{REQUIREMENTS_DIR}/") and o.path in (change.new or "") and not (root / o.path).exists()
    ]
    changes += needed
    writer.apply(root, changes)  # all or none
    print(f"{'adopted':9} {change.path}: {kept}")
    for extra in needed:
        print(f"{'created':9} {extra.path}")
    print("Run `releasekit workflows` for the other generated files, and commit the result.")
    return 0


def _committed_as(root: Path, path: str, text: str) -> bool:
    """Whether `path` (relative to root) is in the HEAD commit with exactly `text`."""
    import os
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), "show", f"HEAD:./{path}"],
            capture_output=True,
            env=env,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0 and proc.stdout == text.encode("utf-8")
