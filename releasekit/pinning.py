"""What `releasekit pin` decides, without I/O: which actions to pin, at which version, what changes in the lock, and
where the lock or the generated workflows disagree with what the versions name today.

`commands/pin.py` observes (the config, the lock, GitHub's refs and releases); the functions here only decide, so
each rule is tested with hand-made observations.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from releasekit.lock import LOCK_NAME, Lock, Pin

if TYPE_CHECKING:
    from releasekit.config.loader import Located

# A release tag in the form actions are released under: v4.1.0, 4.1.0, 2026.08.17 (CalVer orders the same way).
# A moving major tag (v4), a pre-release (v5.0.0-beta.1) or any other name is not a release.
_RELEASE_TAG = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)$")
# A `uses:` line of a generated workflow: `uses: owner/repo[/path]@<ref> # <version>`.
_USES = re.compile(r"^\s*(?:-\s+)?uses:\s*([A-Za-z0-9-]+/[A-Za-z0-9._-]+(?:/[^@\s]*)?)@(\S+)(?:\s+#\s*(\S.*?))?\s*$")
UNPINNED_SHA = "0" * 40  # what the renderer is shown for an action the lock lacks, to learn the whole set at once


def short(sha: str) -> str:
    return sha[:12]


@dataclass(frozen=True)
class _Recording(Lock):
    """A lock that answers every action (the ones it lacks with a placeholder) and remembers which were asked for."""

    asked: set[str] = field(default_factory=set)

    def pin(self, uses: str) -> Pin | None:
        action = "/".join(uses.split("/")[:2])
        self.asked.add(action)
        return self.pins.get(action) or Pin(action, "unpinned", UNPINNED_SHA)


def actions_needed(located: Located, lock: Lock) -> frozenset[str]:
    """Every action the generated workflows use: the templates' `pin(...)` calls, the standard blocks (checkout,
    Python) and the `uses:` steps of releasekit.yaml, exactly as rendering this config asks the lock for them."""
    from releasekit.render.engine import render

    recording = _Recording(lock.file, lock.pins)
    render(located, recording)
    return frozenset(recording.asked)


def release_key(tag: str) -> tuple[int, int, int] | None:
    """The numbers of a release tag (`v4.1.0` -> (4, 1, 0)); None for a moving major tag, a pre-release, a branch."""
    found = _RELEASE_TAG.match(tag)
    return None if found is None else (int(found[1]), int(found[2]), int(found[3]))


def newest_tag(tags: Iterable[str]) -> str | None:
    """The highest release tag among `tags` (ties, such as `v1.0.0` and `1.0.0`, broken by name: stable output)."""
    keyed = [(key, tag) for tag in tags if (key := release_key(tag)) is not None]
    return max(keyed)[1] if keyed else None


@dataclass(frozen=True)
class Newest:
    """What GitHub says is an action's newest version: its latest release's tag, else its highest release tag."""

    tag: str | None
    source: str  # "latest release", "highest version tag", or why there is none


def newest(latest_release: str | None, tags: Iterable[str] | None) -> Newest:
    if latest_release:
        return Newest(latest_release, "latest release")
    found = newest_tag(tags or ())
    if found is not None:
        return Newest(found, "highest version tag, no release")
    return Newest(None, "no release and no version tag")


@dataclass(frozen=True)
class Target:
    """The version an action is to be pinned at, and why."""

    action: str
    version: str
    why: str


def target(action: str, current: Pin | None, found: Newest | None, *, update: bool) -> Target | str:
    """The version to pin (a Target), or what stops it (a message). `found` is read from GitHub only when needed:
    with `update`, or for an action the lock lacks."""
    if current is not None and not update:
        return Target(action, current.version, "the lock's version")
    assert found is not None, "newest version not observed"
    if found.tag is not None:
        return Target(action, found.tag, found.source)
    if current is not None:
        # A branch-followed action (dtolnay/rust-toolchain@stable) has nothing newer to move to: its branch moves.
        return Target(action, current.version, f"{found.source}: kept {current.version}")
    return (
        f"{action}: the generated workflows use it, but it has {found.source} to pin; add it to {LOCK_NAME} with "
        'the branch or tag to follow, e.g. "version": "main" and any 40-character "sha", then run `releasekit pin`'
    )


@dataclass(frozen=True)
class Outcome:
    """One action's pin before and after."""

    action: str
    old: Pin | None
    new: Pin
    why: str

    @property
    def changed(self) -> bool:
        return self.old != self.new

    def columns(self) -> tuple[str, str, str]:
        new = f"{self.new.version} {short(self.new.sha)}"
        if self.old is None:
            return (self.action, f"added: {new}", f"({self.why}; the generated workflows use it)")
        if not self.changed:
            return (self.action, new, "unchanged")
        if self.old.version == self.new.version:
            moved = f"{self.new.version} {short(self.old.sha)} -> {short(self.new.sha)}"
            return (self.action, moved, f"({self.new.version} names another commit now)")
        old = f"{self.old.version} {short(self.old.sha)}"
        return (self.action, f"{old} -> {new}", f"({self.why})")


def pins_of(outcomes: Iterable[Outcome]) -> dict[str, tuple[str, str]]:
    """The lock's "actions", as `lock.lock_text` and `lock.with_actions` take them."""
    return {o.action: (o.new.version, o.new.sha) for o in outcomes}


@dataclass(frozen=True)
class Mismatch:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def lock_mismatches(lock: Lock, needed: Iterable[str], resolved: Mapping[str, str]) -> list[Mismatch]:
    """Where the lock does not hold what its versions name today (`resolved`: action -> the commit its locked
    version names now), and the actions the workflows use that it lacks."""
    found: list[Mismatch] = []
    for action in sorted(set(lock.pins) | set(needed)):
        pin = lock.pins.get(action)
        if pin is None:
            found.append(
                Mismatch(
                    lock.file, f"{action}: the generated workflows use it, but it is not pinned; run `releasekit pin`"
                )
            )
            continue
        now = resolved.get(action)
        if now is not None and now != pin.sha:
            found.append(
                Mismatch(
                    lock.file,
                    f"{action}: {pin.version} names {now} on GitHub, but the lock has {pin.sha}. If the lock was "
                    f"edited, restore it from git; if {pin.version} moved, read the action's changes from "
                    f"{short(pin.sha)} to {short(now)}, then run `releasekit pin` to take them",
                )
            )
    return found


def workflow_mismatches(lock: Lock, files: Mapping[str, str]) -> list[Mismatch]:
    """`uses:` lines of generated workflows (path -> text) whose commit or version comment is not the lock's: one
    entry per file and distinct `uses:` value, at its first line, naming the others."""
    seen: dict[tuple[str, str, str, str], list[int]] = {}
    for path, text in sorted(files.items()):
        for number, line in enumerate(text.splitlines(), start=1):
            match = _USES.match(line)
            if match is not None:
                seen.setdefault((path, match[1], match[2], match[3] or ""), []).append(number)
    found: list[Mismatch] = []
    for (path, uses, ref, comment), numbers in seen.items():
        pin = lock.pin(uses)
        if pin is not None and (ref, comment) == (pin.sha, pin.version):
            continue
        also = f" (also line{'s' * (len(numbers) > 2)} {', '.join(map(str, numbers[1:]))})" if numbers[1:] else ""
        where = f"{path}:{numbers[0]}"
        if pin is None:
            found.append(Mismatch(where, f"uses {uses}{also}, which {lock.file} does not pin; run `releasekit pin`"))
            continue
        written = f"{short(ref)} # {comment}" if comment else ref
        found.append(
            Mismatch(
                where,
                f"{uses}@{written}{also}, but {lock.file} has {pin.version} ({short(pin.sha)}); run "
                "`releasekit workflows` and commit the result",
            )
        )
    return found
