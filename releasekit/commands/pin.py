"""Pin every action the generated workflows use to the full commit SHA its version names, read through the GitHub
API, in releasekit.lock; --check verifies the lock and the workflows and writes nothing; --update moves each action
to its newest release."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from releasekit.errors import ReleasekitError

if TYPE_CHECKING:
    from releasekit.backends.github import GitHub
    from releasekit.lock import Lock
    from releasekit.pinning import Mismatch, Newest, Outcome

# An annotated tag may name another tag object; git allows chains, real ones are one link long. A longer chain is
# a malformed repository, refused rather than followed forever.
MAX_PEEL = 8


class PinError(ReleasekitError):
    """An action or its version could not be resolved; nothing was written."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 naming every pin whose version names another commit today, every action the "
        "workflows use that the lock lacks, and every generated `uses:` line that disagrees with the lock",
    )
    mode.add_argument(
        "--update",
        action="store_true",
        help="move each action to its newest release (its latest GitHub release, else its highest version tag)",
    )


def run(args: argparse.Namespace) -> int:
    from releasekit.config.loader import load
    from releasekit.lock import LOCK_NAME, load_lock
    from releasekit.pinning import actions_needed

    located = load(Path(args.directory) / args.config)
    lock = load_lock(located.root)
    needed = actions_needed(located, lock)
    gh = _client(args)
    gh.notice = lambda text: print(f"note: {text}", file=sys.stderr)  # a rate limit waited out, say
    if args.check:
        # The lock sits beside the config; the generated files are under the project root (as `workflows` has it).
        return _check(gh, Path(args.directory).resolve(), lock, needed)
    outcomes = _resolve_all(gh, lock, needed, update=args.update)
    changed = [o for o in outcomes if o.changed]
    _print_outcomes(outcomes, needed)
    if not changed:
        count = _plural(len(outcomes), "action")
        print(f"{lock.file} is up to date: {count}, each pinned to the commit its version names.")
        return 0
    _write(located.root / LOCK_NAME, outcomes)
    print(
        f"{lock.file}: {_plural(len(changed), 'pin')} changed. Run `releasekit workflows` to regenerate the workflows, "
        "then review and commit them with the lock."
    )
    return 0


def _client(args: argparse.Namespace) -> GitHub:
    """The API client, made as the other commands make theirs (token and API URL from the environment); any token
    will do: it only reads the actions' public repositories."""
    from releasekit.backends.github import GitHub

    options: dict[str, Any] = {}
    if args.clock is not None:  # tests: a clock that never sleeps through a back-off
        options = {"sleep": args.clock.sleep, "now": args.clock.time}
    return GitHub.from_env("the actions' repositories", needs="read", **options)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


# -- observing GitHub ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Resolved:
    sha: str
    kind: str  # "tag", "annotated tag" or "branch"


def _object(data: Any, what: str) -> tuple[str, str]:
    """The (type, sha) a ref or tag object points at."""
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict) or not isinstance(obj.get("type"), str) or not isinstance(obj.get("sha"), str):
        raise PinError(f"{what}: GitHub's answer has no object type and SHA; run the command again")
    return obj["type"], obj["sha"]


def _resolve(gh: GitHub, action: str, version: str) -> _Resolved | str:
    """The commit `version` names in `action`'s repository today: a tag (annotated tags peeled to their commit),
    else a branch. A message when there is neither, or no such repository."""
    from releasekit.backends.github import quote_path

    for namespace, kind in (("tags", "tag"), ("heads", "branch")):
        what = f"{action} {version}: reading refs/{namespace}/{version}"
        data = gh.get(f"/repos/{action}/git/ref/{namespace}/{quote_path(version)}", what=what, missing_ok=True)
        if data is None:
            continue
        obj_type, sha = _object(data, what)
        peeled = 0
        while obj_type == "tag":  # an annotated tag: its ref names the tag object, which names the commit
            if peeled == MAX_PEEL:
                return (
                    f"{action} {version}: the tag is a chain of more than {MAX_PEEL} tag objects; pin another version"
                )
            what = f"{action} {version}: reading tag object {sha}"
            data = gh.get(f"/repos/{action}/git/tags/{sha}", what=what, missing_ok=True)
            if data is None:
                return f"{what}: not found (the tag was deleted meanwhile?); run the command again"
            obj_type, sha = _object(data, what)
            peeled += 1
        if obj_type != "commit":
            return f"{action} {version}: the {kind} names a {obj_type}, not a commit; pin another version"
        return _Resolved(sha, "annotated tag" if peeled else kind)
    if gh.get(f"/repos/{action}", what=f"reading repository {action}", missing_ok=True) is None:
        return (
            f"{action}: no such repository on {gh.url} (or the token cannot see it); check the action's name in "
            "releasekit.yaml, the templates, or releasekit.lock"
        )
    return (
        f"{action} {version}: no tag or branch {version!r} in {action}; correct the version in releasekit.lock, "
        "or run `releasekit pin --update` to move it to the newest release"
    )


def _newest(gh: GitHub, action: str) -> Newest | str:
    """The action's newest version as GitHub tells it; a message when there is no such repository."""
    from releasekit.pinning import newest

    latest = gh.get(f"/repos/{action}/releases/latest", what=f"{action}: reading its latest release", missing_ok=True)
    if isinstance(latest, dict) and isinstance(latest.get("tag_name"), str):
        return newest(latest["tag_name"], None)
    # No release (404), which is also the answer for a repository that does not exist.
    if gh.get(f"/repos/{action}", what=f"reading repository {action}", missing_ok=True) is None:
        return f"{action}: no such repository on {gh.url} (or the token cannot see it); check the action's name"
    refs = gh.get_all(f"/repos/{action}/git/matching-refs/tags", what=f"{action}: listing its tags")
    names = [str(r.get("ref", "")).removeprefix("refs/tags/") for r in refs if isinstance(r, dict)]
    return newest(None, names)


def _resolve_all(gh: GitHub, lock: Lock, needed: Iterable[str], *, update: bool) -> list[Outcome]:
    """Every action of the lock and of the workflows, resolved; every problem at once, or none (nothing written)."""
    from releasekit.lock import Pin
    from releasekit.pinning import Outcome, target

    outcomes: list[Outcome] = []
    problems: list[str] = []
    for action in sorted(set(lock.pins) | set(needed)):
        current = lock.pins.get(action)
        found = _newest(gh, action) if update or current is None else None
        if isinstance(found, str):
            problems.append(found)
            continue
        chosen = target(action, current, found, update=update)
        if isinstance(chosen, str):
            problems.append(chosen)
            continue
        resolved = _resolve(gh, action, chosen.version)
        if isinstance(resolved, str):
            problems.append(resolved)
            continue
        why = chosen.why if resolved.kind == "tag" else f"{chosen.why}; {resolved.kind}"
        outcomes.append(Outcome(action, current, Pin(action, chosen.version, resolved.sha), why))
    if problems:
        raise PinError("\n".join([*problems, f"Nothing was written to {lock.file}."]))
    return outcomes


# -- acting --------------------------------------------------------------------------------------------------------


def _print_outcomes(outcomes: Iterable[Outcome], needed: frozenset[str]) -> None:
    from releasekit.steps.runview import table

    rows = []
    for outcome in outcomes:
        action, pinned, note = outcome.columns()
        if outcome.action not in needed:
            note += " (not used by the generated workflows)"
        rows.append((action, pinned, note))
    print("\n".join(table(rows, indent=0)))


def _write(path: Path, outcomes: Iterable[Outcome]) -> None:
    """Replace the lock's "actions" at once (a temporary file, then a rename), keeping its other sections."""
    from releasekit.lock import with_actions
    from releasekit.pinning import pins_of
    from releasekit.render.writer import Change, apply

    old = path.read_text(encoding="utf-8")
    apply(path.parent, [Change(path.name, "stale", old, with_actions(old, pins_of(outcomes)))])


def _check(gh: GitHub, root: Path, lock: Lock, needed: frozenset[str]) -> int:
    from releasekit.pinning import lock_mismatches, workflow_mismatches
    from releasekit.render.files import generated_files

    resolved: dict[str, str] = {}
    problems: list[Mismatch | str] = []
    for action, pin in sorted(lock.pins.items()):
        found = _resolve(gh, action, pin.version)
        if isinstance(found, str):
            problems.append(f"{lock.file}: {found}")
        else:
            resolved[action] = found.sha
    problems += lock_mismatches(lock, needed, resolved)
    problems += workflow_mismatches(lock, generated_files(root))
    if problems:
        for problem in problems:
            print(problem)
        print(f"{_plural(len(problems), 'problem')}; nothing was written.")
        return 1
    print(
        f"{lock.file}: {_plural(len(lock.pins), 'pin')}, each the commit its version names on GitHub today; "
        "the generated workflows agree with it."
    )
    return 0
