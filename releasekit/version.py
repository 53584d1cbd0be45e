"""Pure version arithmetic: parse semantic versions, pick the next one, write them as semver or PEP 440, map tags."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

import semver

from releasekit.errors import ReleasekitError

__all__ = [
    "BUMP_WORDS",
    "VersionError",
    "format_version",
    "latest_release",
    "parse_version",
    "parse_written",
    "pep440",
    "resolve_target",
    "tag_for",
    "version_from_tag",
]

BUMP_WORDS = ("major", "minor", "patch", "prerelease")

_PRE_LABEL = re.compile(r"^[0-9A-Za-z-]+$")
_EXPECTED = "MAJOR.MINOR.PATCH, e.g. 1.4.0 or 1.4.0-rc.1"

# What people write instead of semver (`1.4`, `01.2.3`, `1.4.0rc1`), read loosely to suggest the semver spelling.
_LOOSE = re.compile(
    r"^[vV]?(?P<release>\d+(?:\.\d+){0,2})"
    r"(?:[-_.]?(?P<label>alpha|beta|rc|dev|post|a|b|c)[-_.]?(?P<number>\d+)?)?$",
    re.IGNORECASE,
)

# PEP 440 spellings of pre-releases. `c`, `pre` and `preview` are PEP 440's own aliases of `rc`.
_PEP440_PRE = {"alpha": "a", "a": "a", "beta": "b", "b": "b", "rc": "rc", "c": "rc", "pre": "rc", "preview": "rc"}
_PEP440_SUFFIX = {"dev": ".dev", "post": ".post"}
_SEMVER_LABEL = {"a": "alpha", "b": "beta", "rc": "rc", "dev": "dev", "post": "post"}
_PRE_IDENTIFIERS = re.compile(r"^(?P<label>[A-Za-z]+)(?:\.?(?P<number>0|[1-9]\d*))?$")

# A version as PEP 440 writes it (the subset that maps onto semver: no epoch, at most three release numbers,
# one of pre/post/dev). Separators and spellings follow PEP 440's normalisation rules.
_PEP440 = re.compile(
    r"^[vV]?(?P<release>\d+(?:\.\d+){0,2})"
    r"(?:[-_.]?(?P<pre>alpha|beta|preview|pre|rc|a|b|c)[-_.]?(?P<pre_n>\d+)?"
    r"|-(?P<post_implicit>\d+)"
    r"|[-_.]?(?:post|rev|r)[-_.]?(?P<post_n>\d+)?(?P<post>)"
    r"|[-_.]?dev[-_.]?(?P<dev_n>\d+)?(?P<dev>))?"
    r"(?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?$",
    re.IGNORECASE,
)


class VersionError(ReleasekitError):
    """A version, bump or tag that cannot be used."""

    exit_code = 2


def parse_version(text: str) -> semver.Version:
    """A semantic version, with or without a leading `v`."""
    candidate = text.strip()
    bare = candidate[1:] if candidate[:1] in ("v", "V") else candidate
    try:
        return semver.Version.parse(bare)
    except ValueError:
        pass
    msg = f"{text!r} is not a semantic version ({_EXPECTED})"
    suggestion = _suggest(candidate)
    if suggestion is not None:
        msg += f"; did you mean {suggestion}?"
    raise VersionError(msg)


def _suggest(text: str) -> str | None:
    match = _LOOSE.match(text)
    if match is None:
        return None
    numbers = [int(n) for n in match["release"].split(".")]
    numbers += [0] * (3 - len(numbers))
    suggestion = ".".join(str(n) for n in numbers)
    if match["label"]:
        label = _SEMVER_LABEL.get(match["label"].lower(), match["label"].lower())
        suggestion += f"-{label}.{int(match['number'] or 0)}"
    return suggestion


def resolve_target(
    arg: str, latest: semver.Version | None, pre: str | None = None, *, tag_format: str = "v{version}"
) -> semver.Version:
    """The version a release makes: `arg` is an explicit version or one of BUMP_WORDS applied to `latest`.
    `tag_format` only spells the latest release in messages."""
    word = arg.strip().lower()
    if pre is not None and not _PRE_LABEL.match(pre):
        msg = f"prerelease label {pre!r} may only contain letters, digits and '-', e.g. 'rc' or 'beta'"
        raise VersionError(msg)
    if word in BUMP_WORDS:
        if latest is None:
            msg = f"there is no earlier release to bump ({word}) from; give the first version explicitly, e.g. 0.1.0"
            raise VersionError(msg)
        target = _bump(latest, word, pre)
    else:
        target = parse_version(arg)
        if pre is not None:
            # A label next to an explicit version is ambiguous (rc.1? the next rc?): make the version say it.
            msg = f"a prerelease label only goes with a bump word; write it into the version, e.g. {target}-{pre}.1"
            raise VersionError(msg)
    if latest is not None and target.compare(latest) <= 0:
        shown = tag_format.replace("{version}", str(latest))
        hint = (
            f"give a higher version, e.g. {_bump(latest, 'patch', None)} (patch), "
            f"{_bump(latest, 'minor', None)} (minor) or {_bump(latest, 'major', None)} (major)"
        )
        if target.compare(latest) == 0:
            msg = f"{target} is already released as {shown} (that tag exists); {hint}"
        else:
            msg = f"{target} is not above the latest release {shown}; {hint}"
        raise VersionError(msg)
    return target


def _bump(latest: semver.Version, word: str, pre: str | None) -> semver.Version:
    if word == "prerelease":
        if latest.prerelease is None:
            return semver.Version(latest.major, latest.minor, latest.patch + 1, prerelease=f"{pre or 'rc'}.1")
        current = latest.prerelease
        if pre is None or current == pre or current.startswith(pre + "."):
            parts = current.split(".")
            if parts[-1].isdigit():
                parts[-1] = str(int(parts[-1]) + 1)
            else:
                parts.append("1")
            return latest.replace(prerelease=".".join(parts), build=None)
        # Switching labels (alpha -> beta) restarts the count; resolve_target refuses a label that sorts lower.
        return latest.replace(prerelease=f"{pre}.1", build=None)
    if pre is None:
        # As npm does: `patch` of 1.4.0-rc.2 is 1.4.0, the release the prereleases led to.
        return latest.next_version(word)
    # With a label (npm's preminor & co.) the release numbers always move, so the result sorts above `latest`.
    released = latest.replace(prerelease=None, build=None)
    bumped: semver.Version = getattr(released, f"bump_{word}")()
    return bumped.replace(prerelease=f"{pre}.1")


def pep440(v: semver.Version) -> str:
    """`v` as PEP 440 writes it: 1.4.0-rc.1 is 1.4.0rc1, -dev.4 is .dev4, +build.5 is the local version +build.5."""
    text = f"{v.major}.{v.minor}.{v.patch}"
    if v.prerelease is not None:
        text += _pep440_suffix(v)
    if v.build is not None:
        # PEP 440 normalises `-` in a local version to `.`; semver build metadata may contain hyphens.
        text += "+" + v.build.replace("-", ".").lower()
    return text


def _pep440_suffix(v: semver.Version) -> str:
    assert v.prerelease is not None
    match = _PRE_IDENTIFIERS.match(v.prerelease)
    label = match["label"].lower() if match else None
    if match is None or label is None or (label not in _PEP440_PRE and label not in _PEP440_SUFFIX):
        msg = (
            f"{v} cannot be written as a PEP 440 version: its prerelease {v.prerelease!r} is not one of "
            "alpha.N, beta.N, rc.N, dev.N or post.N; use such a prerelease, or set `format: semver` on this "
            "file in versioning.files"
        )
        raise VersionError(msg)
    # A missing number is 0, as PEP 440 normalises `1.4.0rc` to `1.4.0rc0`.
    number = int(match["number"] or 0)
    if label in _PEP440_PRE:
        return f"{_PEP440_PRE[label]}{number}"
    return f"{_PEP440_SUFFIX[label]}{number}"


def format_version(v: semver.Version, fmt: Literal["semver", "pep440"]) -> str:
    """`v` spelled the way a file of that format writes it."""
    return pep440(v) if fmt == "pep440" else str(v)


def parse_written(text: str, fmt: Literal["semver", "pep440"]) -> semver.Version | None:
    """A version read back from a file, written in either spelling; `fmt` decides the few strings both read
    differently (`1.4.0-1` is a prerelease to semver, a post-release to PEP 440). None if it is neither."""
    readers = (_read_pep440, _read_semver) if fmt == "pep440" else (_read_semver, _read_pep440)
    for read in readers:
        version = read(text.strip())
        if version is not None:
            return version
    return None


def _read_semver(text: str) -> semver.Version | None:
    try:
        return parse_version(text)
    except VersionError:
        return None


def _read_pep440(text: str) -> semver.Version | None:
    match = _PEP440.match(text)
    if match is None:
        return None
    numbers = [int(n) for n in match["release"].split(".")]
    major, minor, patch = numbers + [0] * (3 - len(numbers))
    prerelease = None
    if match["pre"]:
        prerelease = f"{_SEMVER_LABEL[_PEP440_PRE[match['pre'].lower()]]}.{int(match['pre_n'] or 0)}"
    elif match["post_implicit"]:
        prerelease = f"post.{int(match['post_implicit'])}"
    elif match["post"] is not None:
        prerelease = f"post.{int(match['post_n'] or 0)}"
    elif match["dev"] is not None:
        prerelease = f"dev.{int(match['dev_n'] or 0)}"
    build = re.sub(r"[-_]", ".", match["local"]) if match["local"] else None
    return semver.Version(major, minor, patch, prerelease=prerelease, build=build)


def _split_format(tag_format: str) -> tuple[str, str]:
    if tag_format.count("{version}") != 1:
        msg = f"tag format {tag_format!r} must contain {{version}} exactly once, e.g. 'v{{version}}'"
        raise VersionError(msg)
    prefix, suffix = tag_format.split("{version}")
    return prefix, suffix


def tag_for(v: semver.Version, tag_format: str) -> str:
    """The git tag of version `v`."""
    prefix, suffix = _split_format(tag_format)
    return f"{prefix}{v}{suffix}"


def version_from_tag(tag: str, tag_format: str) -> semver.Version | None:
    """The version a tag names, or None if the tag is not spelled by `tag_format`."""
    prefix, suffix = _split_format(tag_format)
    if len(tag) <= len(prefix) + len(suffix) or not tag.startswith(prefix) or not tag.endswith(suffix):
        return None
    # Strict semver here: with `v{version}`, `vv1.0.0` is not a release tag.
    try:
        return semver.Version.parse(tag[len(prefix) : len(tag) - len(suffix)])
    except ValueError:
        return None


def latest_release(
    tags: Iterable[str], tag_format: str, include_prereleases: bool = True
) -> tuple[str, semver.Version] | None:
    """The tag with the highest version (semver precedence) among those `tag_format` spells, and its version.
    Tags whose versions only differ in build metadata tie; the tag name breaks the tie so the answer is stable."""
    best: tuple[semver.Version, str] | None = None
    for tag in tags:
        version = version_from_tag(tag, tag_format)
        if version is None or (version.prerelease is not None and not include_prereleases):
            continue
        if best is None or (version.compare(best[0]), tag) > (0, best[1]):
            best = (version, tag)
    return None if best is None else (best[1], best[0])
