"""What a repository's tags say about how it is released: the tag format most recent version tags follow, and the
version scheme of their versions. `releasekit init` writes both; `release` uses the format to point at tags that a
configured format misses."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import semver

from releasekit.version import Scheme, compare, release_numbers, version_from_tag, written

__all__ = ["TagGuess", "guess_scheme", "guess_tag_format"]


@dataclass(frozen=True)
class TagGuess:
    """What a repository's tags say about how it is released: `releasekit init` writes it, with `found`."""

    tag_format: str
    scheme: Scheme
    found: str  # for people: what the guess rests on
    followed: int = 0  # how many of the recent version tags follow `tag_format` (0: there are none)


_TAG = re.compile(r"^(?P<prefix>[^0-9]*)(?P<version>[0-9].*)$")
_RECENT = 20  # the tags a guess reads: a project's old habits (`v1.0` in 2012) should not outvote today's


def guess_tag_format(tags: Sequence[str], files_version: str | None = None, *, year: int) -> TagGuess:
    """The tag format most of the recent version tags follow (`tags` newest first), and the scheme their
    versions follow; with no version tag, `v{version}` and the scheme of the version the files hold."""
    recent: list[tuple[str, str, semver.Version]] = []
    for tag in tags:
        match = _TAG.match(tag)
        if match is None:
            continue
        tag_format = match["prefix"] + "{version}"
        version = version_from_tag(tag, tag_format, "pep440")
        # Development tags (pytest's 9.2.0.dev0) are not releases, but they do show how the project spells tags.
        if version is not None:
            recent.append((tag, tag_format, version))
        if len(recent) == _RECENT:
            break
    if not recent:
        held = written(files_version) if files_version else None
        scheme = guess_scheme([held], year=year) if held is not None else "semver"
        found = "no version tags yet: the first release is tagged v<version>"
        if held is not None:
            found += f"; the files hold {files_version}"
        return TagGuess("v{version}", scheme, found)
    counts = Counter(tag_format for _, tag_format, _ in recent)
    # Most followed; on a tie, the one the newest tag follows.
    chosen = max(counts, key=lambda f: (counts[f], -next(i for i, r in enumerate(recent) if r[1] == f)))
    versions = [version for _, tag_format, version in recent if tag_format == chosen]
    # Named by its highest version: tags made in the same second have no order by date.
    newest, highest = next((tag, version) for tag, tag_format, version in recent if tag_format == chosen)
    for tag, tag_format, version in recent:
        if tag_format == chosen and compare(version, highest) > 0:
            newest, highest = tag, version
    if counts[chosen] == len(recent):
        found = f"found {len(recent)} version tag{'s' * (len(recent) > 1)} spelled like {newest}"
    else:
        found = f"{counts[chosen]} of the {len(recent)} latest version tags are spelled like {newest}"
    if len(counts) > 1:
        others = ", ".join(f"{f} ({n})" for f, n in counts.most_common() if f != chosen)
        found += f"; others: {others}"
    return TagGuess(chosen, guess_scheme(versions, year=year), found, counts[chosen])


def guess_scheme(versions: Sequence[semver.Version], *, year: int) -> Scheme:
    """`calver` for year-first versions (2026.12.1, or pip's 26.2 when the first numbers are recent years),
    `pep440` for other two-number versions (1.4), `semver` for MAJOR.MINOR.PATCH."""
    releases = [release_numbers(v) for v in versions]
    if not releases:
        return "semver"
    highest = max(releases)
    if 1990 <= highest[0] <= year + 1:
        return "calver"
    if not any(len(r) == 2 for r in releases):
        return "semver"
    short = year % 100
    return "calver" if short - 2 <= highest[0] <= short + 1 and all(r[0] >= short - 15 for r in releases) else "pep440"
