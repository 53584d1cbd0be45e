"""Pin the Python tools the generated workflows install: `--update` resolves each requirement set (build, twine,
releasekit, the build backend; the sets declared under `python-requirements`) to exact versions with every file's
hash from the package index and records them in `releasekit.lock`; `--check` verifies the lock and the
requirements files written from it, offline."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from releasekit.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from releasekit.config.loader import Located


def add_arguments(parser: argparse.ArgumentParser) -> None:
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument(
        "--update",
        action="store_true",
        help="resolve every requirement set from the package index (publish.python.index, or RELEASEKIT_INDEX_URL) "
        "and record exact versions and all file hashes in releasekit.lock",
    )
    mode.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if a set is missing from the lock, was locked for other requirements, or its "
        "requirements file under .github/releasekit differs from the lock",
    )
    parser.add_argument(
        "--find-links",
        metavar="DIR",
        action="append",
        default=[],
        help="with --update: also take distributions from DIR (e.g. a releasekit wheel not yet on the index); "
        "their hashes are the local files'",
    )


def run(args: argparse.Namespace) -> int:
    from releasekit.config.loader import load

    located = load(Path(args.directory) / args.config)
    if args.find_links and not args.update:
        raise UsageError("--find-links goes with --update (it is where resolution looks)")
    return _update(args, located) if args.update else _check(located)


def _index_url(located: Located) -> str:
    from releasekit.backends.index import index_target

    python = located.config.publish.python
    return index_target(python.index if python else "pypi", os.environ.get("RELEASEKIT_INDEX_URL")).simple_url


def _update(args: argparse.Namespace, located: Located) -> int:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    from releasekit import toollock
    from releasekit.backends.pip import lock_set
    from releasekit.lock import LOCK_NAME, load_lock
    from releasekit.output import say

    config, root = located.config, located.root
    from releasekit.render.engine import check_requirements

    load_lock(root)  # the actions part must be there and valid: this command only adds the python section
    check_requirements(located)
    links = []
    for link in args.find_links:
        path = (Path(args.directory) / link).resolve()
        if not path.is_dir():
            raise UsageError(f"--find-links {link}: no such directory")
        links.append(path)
    simple = _index_url(located)
    sets = toollock.needed_sets(config)
    if not sets:
        say("lock", "no workflow installs Python packages: nothing to pin")
    locked = {}
    for name, targets in sets.items():
        wanted = toollock.roots(config, root, name)
        where = ", ".join(f"{t.os} {t.python or 'any Python'}" for t in targets)
        say("resolve", f"{name}: {', '.join(wanted)} (for {where}) from {simple}")
        entry = lock_set(wanted, targets, simple_url=simple, find_links=links)
        hashes = sum(len(p.hashes) for p in entry.packages)
        asked = {canonicalize_name(Requirement(r).name) for r in wanted}
        pins = ", ".join(f"{p.name} {p.version}" for p in entry.packages if p.name in asked)
        others = len(entry.packages) - sum(p.name in asked for p in entry.packages)
        say("locked", f"{name}: {pins} and {others} dependencies; {hashes} file hashes")
        locked[name] = entry
    toollock.write_section(root / LOCK_NAME, locked)
    print(f"{LOCK_NAME}: {len(locked)} requirement set(s) pinned. Run `releasekit workflows` to write their files.")
    return 0


def _check(located: Located) -> int:
    from releasekit import toollock
    from releasekit.lock import LOCK_NAME
    from releasekit.render.engine import requirements_outputs

    config, root = located.config, located.root
    locked = toollock.read_section(root / LOCK_NAME)
    problems = []
    sets = toollock.needed_sets(config)
    for name in sets:
        wanted = toollock.roots(config, root, name)
        entry = locked.get(name)
        if entry is None:
            problems.append(f"{name}: not in {LOCK_NAME} (wants {', '.join(wanted)})")
        elif entry.requires != wanted:
            problems.append(
                f"{name}: locked for {', '.join(entry.requires) or 'nothing'}, but the project now wants "
                f"{', '.join(wanted)}"
            )
    for name in sorted(set(locked) - set(sets)):
        problems.append(f"{name}: in {LOCK_NAME} but no workflow installs it any more")
    for out in requirements_outputs(located, Path(located.file).name):
        path = root / out.path
        try:
            current = path.read_text(encoding="utf-8")
        except OSError:
            current = None
        if current != out.text:
            problems.append(f"{out.path}: {'missing' if current is None else 'differs from ' + LOCK_NAME}")
    if problems:
        for line in problems:
            print(line)
        print(
            f"{len(problems)} problem(s). Run `releasekit lock --update`, then `releasekit workflows`, and commit "
            "the result."
        )
        return 1
    print(f"{LOCK_NAME}: {len(sets)} requirement set(s) locked, their files up to date.")
    return 0
