"""Which of the version files `releasekit init` found carry the project's version: a file holding another version
(a test helper's `package.json` at 1.0.0 beside Cargo.toml's 2.41.5) is left out, with a note, so a release never
bumps it. Pure: the files and the tags in, the files kept and the notes out."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING

from releasekit.tagguess import guess_tag_format
from releasekit.version import compare, latest_release, parse_written

if TYPE_CHECKING:
    import semver

    from releasekit.detect import DetectedVersionFile

__all__ = ["agreeing"]

# Which file says the project's version when the files disagree and no tag decides: the Python project's, then
# the Rust crate's, then the app's, nearest the root first.
_PRIMARY = ("pyproject.toml", "Cargo.toml", "tauri.conf.json", "package.json")


def agreeing(
    files: Sequence[DetectedVersionFile], tags: Sequence[str], *, year: int
) -> tuple[list[DetectedVersionFile], list[tuple[str, str]]]:
    """The files that hold the project's version, and a (path, note) for each one left out.

    Files that all hold one version are all kept, whatever the tags say (a `.dev` after a release is the current
    version's business, not this). When they disagree, the project's version is the latest release tag's (the tag
    format the tags follow); failing a file at that version, the version the most files hold ahead of it (the next
    release in development), else the one the most files hold; with no tag, the one the most files hold, then the
    primary manifest's."""
    groups: list[_Group] = []
    for vf in files:
        parsed = parse_written(vf.version, vf.format)
        for version, members in groups:
            if _same(version, members[0].version, parsed, vf.version):
                members.append(vf)
                break
        else:
            groups.append((parsed, [vf]))
    if len(groups) < 2:
        return list(files), []
    guess = guess_tag_format(tags, year=year)
    release = latest_release(tags, guess.tag_format, scheme=guess.scheme) if guess.followed else None
    if release is not None:
        tag, tagged = release
        same = [g for g in groups if g[0] is not None and compare(g[0], tagged) == 0]
        ahead = [g for g in groups if g[0] is not None and compare(g[0], tagged) > 0]
        if same:
            chosen, why = same[0], f"the latest release tag {tag}"
        elif ahead:  # most files; then the nearest to the tag
            chosen = max(ahead, key=functools.cmp_to_key(_nearest))
            why = f"the next release after the tag {tag}, held by {_files(chosen[1])}"
        else:
            chosen = max(groups, key=functools.cmp_to_key(_highest))
            why = f"held by {_files(chosen[1])}"
    else:
        chosen = max(groups, key=lambda g: (len(g[1]), tuple(-n for n in min(_rank(vf) for vf in g[1]))))
        why = f"held by {_files(chosen[1])}"
    project = chosen[1][0].version
    kept = [vf for vf in files if vf in chosen[1]]
    notes = [
        (
            vf.path,
            f"{vf.path}: holds {vf.version}, not {project} ({why}): left out; add it to versioning.files if it moves "
            "with the project",
        )
        for vf in files
        if vf not in chosen[1]
    ]
    return kept, notes


def _same(a: semver.Version | None, a_text: str, b: semver.Version | None, b_text: str) -> bool:
    if a is None or b is None:
        return a_text.strip() == b_text.strip()
    return compare(a, b) == 0


_Group = tuple["semver.Version | None", list["DetectedVersionFile"]]


def _cmp(a: semver.Version | None, b: semver.Version | None) -> int:
    if a is None or b is None:
        return 0
    return compare(a, b)


def _nearest(a: _Group, b: _Group) -> int:
    """More files first, then the lower version."""
    return len(a[1]) - len(b[1]) or _cmp(b[0], a[0])


def _highest(a: _Group, b: _Group) -> int:
    """More files first, then the higher version."""
    return len(a[1]) - len(b[1]) or _cmp(a[0], b[0])


def _rank(vf: DetectedVersionFile) -> tuple[int, int]:
    name = vf.path.rsplit("/", 1)[-1]
    return (vf.path.count("/"), _PRIMARY.index(name) if name in _PRIMARY else len(_PRIMARY))


def _files(files: Sequence[DetectedVersionFile]) -> str:
    names = [vf.path for vf in files]
    return names[0] if len(names) == 1 else f"{len(names)} files ({', '.join(names[:3])}{', ...' * (len(names) > 3)})"
