"""Pure version arithmetic: parse semantic, PEP 440 and CalVer versions, pick the next one by the project's scheme,
write them as semver or PEP 440, and map tags to versions."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from typing import Literal, SupportsInt

import semver
from packaging.version import InvalidVersion
from packaging.version import Version as Pep440Version

from releasekit.errors import ReleasekitError, excerpt

__all__ = [
    "BUMP_WORDS",
    "SCHEMES",
    "Scheme",
    "VersionError",
    "Written",
    "compare",
    "format_version",
    "is_development",
    "latest_development",
    "latest_release",
    "next_development",
    "parse_given",
    "parse_version",
    "parse_written",
    "pep440",
    "release_numbers",
    "resolve_target",
    "tag_for",
    "version_from_tag",
    "written",
]

BUMP_WORDS = ("major", "minor", "patch", "prerelease")

Scheme = Literal["semver", "pep440", "calver"]
SCHEMES: tuple[Scheme, ...] = ("semver", "pep440", "calver")

_PRE_LABEL = re.compile(r"^[0-9A-Za-z-]+$")
# Longer than any real version, and far below the 4,300 digits past which Python refuses to read an int (a tag
# `v1111…` of 5,000 digits made every parser here raise ValueError): longer text is not read as a version at all.
_MAX_VERSION_CHARS = 256
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


class Written(semver.Version):
    """A version kept as the project writes it (`26.2`, `1.4.0rc1`, `8.5.0.dev0`): a semver.Version for the code
    that needs one (26.2 is 26.2.0 there), and its PEP 440 text for tags, files and messages (`str()` gives it).
    Versions a project spells as semver stay plain semver.Version: nothing changes for them."""

    __slots__ = ("_text",)

    def __init__(
        self,
        major: SupportsInt,
        minor: SupportsInt = 0,
        patch: SupportsInt = 0,
        prerelease: str | None = None,
        build: str | None = None,
        *,
        text: str | None = None,
    ) -> None:
        super().__init__(major, minor, patch, prerelease, build)
        self._text = text

    @property
    def text(self) -> str | None:
        """The PEP 440 spelling (normalised), or None for a Written made by `replace` (then it is plain semver)."""
        return self._text

    def __str__(self) -> str:
        return self._text if self._text is not None else super().__str__()

    def __repr__(self) -> str:
        return f"Written({str(self)!r})"


def written(text: str) -> Written | None:
    """`text` read as PEP 440 (any spelling PEP 440 normalises: `1.4.0-RC1` is 1.4.0rc1), kept in its normal form;
    None if it is not PEP 440, has an epoch or more than three release numbers (semver cannot order those)."""
    try:
        pv = Pep440Version(text.strip()) if len(text) <= _MAX_VERSION_CHARS else None
    except InvalidVersion:
        return None
    if pv is None:
        return None
    if pv.epoch or len(pv.release) > 3:
        return None
    major, minor, patch = (*pv.release, 0, 0)[:3]
    parts: list[str] = []
    if pv.pre is not None:
        parts += [_SEMVER_LABEL[pv.pre[0]], str(pv.pre[1])]
    if pv.post is not None:
        parts += ["post", str(pv.post)]
    if pv.dev is not None:
        parts += ["dev", str(pv.dev)]
    return Written(major, minor, patch, ".".join(parts) or None, pv.local, text=str(pv))


def _as_pep440(v: semver.Version) -> Pep440Version | None:
    try:
        text = v.text if isinstance(v, Written) and v.text is not None else pep440(v)
        return Pep440Version(text)
    except (VersionError, InvalidVersion):
        return None


def compare(a: semver.Version, b: semver.Version) -> int:
    """-1, 0 or 1. Semver precedence between semver versions, as always; PEP 440's order as soon as either is a
    Written (so 1.4.post1 sorts above 1.4, and 26.2 equals 26.2.0). Build metadata and local versions never count."""
    if isinstance(a, Written) or isinstance(b, Written):
        pa, pb = _as_pep440(a), _as_pep440(b)
        if pa is not None and pb is not None:
            left, right = Pep440Version(pa.public), Pep440Version(pb.public)
            return (left > right) - (left < right)
    return a.compare(b)


def is_development(v: semver.Version) -> bool:
    """A PEP 440 development version (`8.5.0.dev0`): what a project's files hold between releases, or a tag that
    only marks where development starts (pytest's `9.2.0.dev0` for setuptools_scm), never a release."""
    pv = _as_pep440(v) if isinstance(v, Written) else None
    return pv is not None and pv.dev is not None


def parse_version(text: str) -> semver.Version:
    """A semantic version, with or without a leading `v`."""
    candidate = text.strip()
    if len(candidate) > _MAX_VERSION_CHARS:
        raise VersionError(f"{excerpt(text)} is not a version: a version is at most {_MAX_VERSION_CHARS} characters")
    bare = candidate[1:] if candidate[:1] in ("v", "V") else candidate
    try:
        return semver.Version.parse(bare)
    except ValueError:
        pass
    msg = f"{excerpt(text)} is not a semantic version ({_EXPECTED})"
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


def parse_given(text: str, scheme: Scheme = "semver") -> semver.Version:
    """A version as a person gives it. For `semver`: semver, or a three-number PEP 440 spelling (1.4.0rc1, kept as
    written); for `pep440` and `calver`: any PEP 440 spelling of one to three numbers (26.3, 2026.12.1, 1.4rc1)."""
    if scheme == "semver":
        try:
            return parse_version(text)
        except VersionError:
            given = written(text)
            if given is not None and len(release_numbers(given)) == 3:
                return given
            raise
    given = written(text)
    if given is None:
        msg = f"{excerpt(text)} is not a PEP 440 version with at most three numbers (e.g. 26.3, 2026.12.1 or 1.4.0rc1)"
        raise VersionError(msg)
    return given


def resolve_target(
    arg: str,
    latest: semver.Version | None,
    pre: str | None = None,
    *,
    tag_format: str = "v{version}",
    scheme: Scheme = "semver",
    today: datetime.date | None = None,
    tagged: bool = True,
) -> semver.Version:
    """The version a release makes: `arg` is an explicit version or one of BUMP_WORDS applied to `latest`, as
    `scheme` defines them (`today` dates a calver bump). `tagged` says `latest` is a release (its tag exists);
    otherwise it is what the version files hold, which may itself be released. `tag_format` spells `latest`."""
    word = arg.strip().lower()
    if pre is not None and not _PRE_LABEL.match(pre):
        msg = f"prerelease label {excerpt(pre)} may only contain letters, digits and '-', e.g. 'rc' or 'beta'"
        raise VersionError(msg)
    if word in BUMP_WORDS:
        if latest is None:
            msg = f"there is no earlier release to bump ({word}) from; give the first version explicitly, e.g. 0.1.0"
            raise VersionError(msg)
        target = _next(latest, word, pre, scheme, today)
    else:
        target = parse_given(arg, scheme)
        if pre is not None:
            # A label next to an explicit version is ambiguous (rc.1? the next rc?): make the version say it.
            example = f"{target}-{pre}.1" if scheme == "semver" and not isinstance(target, Written) else f"{target}rc1"
            msg = f"a prerelease label only goes with a bump word; write it into the version, e.g. {example}"
            raise VersionError(msg)
    order = 0 if latest is None else compare(target, latest)
    if latest is not None and (order < 0 or (order == 0 and tagged)):
        hints = []
        for bump in ("patch", "minor", "major"):
            try:
                hints.append(f"{_next(latest, bump, None, scheme, today)} ({bump})")
            except VersionError:
                continue  # calver has no `major`
        hint = "give a higher version, e.g. " + (", ".join(hints[:-1]) + " or " if len(hints) > 1 else "") + hints[-1]
        shown = tag_format.replace("{version}", str(latest))
        if not tagged:
            msg = f"{target} is below {latest}, the version the files hold (no release tag yet); {hint}"
        elif order == 0:
            msg = f"{target} is already released as {shown} (that tag exists); {hint}"
        else:
            msg = f"{target} is not above the latest release {shown}; {hint}"
        raise VersionError(msg)
    return target


def _next(
    latest: semver.Version, word: str, pre: str | None, scheme: Scheme, today: datetime.date | None
) -> semver.Version:
    if scheme != "semver":
        return _bump_written(latest, word, pre, scheme, today)
    bumped = _bump(latest, word, pre)
    if isinstance(latest, Written) and bumped.prerelease is not None:
        # A semver project that spells its prereleases the PEP 440 way (8.0.0rc1) keeps that spelling.
        respelled = written(pep440(bumped)) if _as_pep440(bumped) is not None else None
        return respelled if respelled is not None else bumped
    return bumped


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


def next_development(
    released: semver.Version, word: str, scheme: Scheme = "semver", today: datetime.date | None = None
) -> Written:
    """The development version that follows the release `released` (`release.next-dev`): its release numbers moved
    by `word` (major, minor or patch) as the scheme moves them, with `.dev0`, as pip, click and poetry start
    26.3.dev0, 8.5.0.dev0 and 2.5.0.dev0 right after a release. A prerelease or development version has none: its
    own release is still ahead, and every `.devN` of it sorts below it."""
    if released.prerelease is not None or is_development(released):
        msg = f"{released} is a prerelease: the development version follows its release, not the prerelease"
        raise VersionError(msg)
    if word == "major" and scheme == "calver":
        msg = "a calver version has no major: use `minor` (the next release) or `patch` (a fix)"
        raise VersionError(msg)
    if scheme == "semver":
        bumped = released.replace(build=None).next_version(word)
        numbers: tuple[int, ...] = (bumped.major, bumped.minor, bumped.patch)
    else:
        numbers = _numbers(release_numbers(released), word, scheme, today)
    return _make(numbers, dev=0)


def release_numbers(v: semver.Version) -> tuple[int, ...]:
    """The release numbers as the project writes them: (26, 2) for 26.2, (1, 4, 0) for 1.4.0 or semver 1.4.0."""
    pv = _as_pep440(v) if isinstance(v, Written) else None
    return pv.release if pv is not None else (v.major, v.minor, v.patch)


def _make(release: Sequence[int], pre: tuple[str, int] | None = None, dev: int | None = None) -> Written:
    text = ".".join(str(n) for n in release)
    if pre is not None:
        text += f"{pre[0]}{pre[1]}"
    if dev is not None:
        text += f".dev{dev}"
    made = written(text)
    assert made is not None, text  # at most three numbers and PEP 440's own labels: always readable
    return made


def _bump_written(
    latest: semver.Version, word: str, pre: str | None, scheme: Scheme, today: datetime.date | None
) -> Written:
    """PEP 440 and CalVer bumps: the release numbers move as the scheme says, written as many as the scheme writes
    (pep440 `1.4`: patch 1.4.1, minor 1.5, major 2.0); a pre or dev release is finished by the bump it leads to."""
    pv = _as_pep440(latest)
    if pv is None:
        raise VersionError(f"{latest} cannot be read as a PEP 440 version; give the next version explicitly")
    label = None
    if pre is not None:
        label = _PEP440_PRE.get(pre.lower()) or ("dev" if pre.lower() == "dev" else None)
        if label is None:
            msg = f"prerelease label {excerpt(pre)} is not PEP 440's; use a, b, rc (or alpha, beta, c) or dev"
            raise VersionError(msg)
    release = pv.release
    unfinished = pv.pre is not None or pv.dev is not None
    if word == "prerelease":
        if pv.pre is not None and label in (None, pv.pre[0]):
            return _make(release, (pv.pre[0], pv.pre[1] + 1))
        if unfinished:  # another label (a -> b), or a dev version's first prerelease: 8.5.0.dev0 -> 8.5.0rc1
            return _label(release, label or "rc")
        return _label(_numbers(release, "patch", scheme, today), label or "rc")
    if unfinished and label is None and all(n == 0 for n in release[{"major": 1, "minor": 2}.get(word, 3) :]):
        return _make(release)  # as semver does: `minor` of 1.5rc2 is 1.5, `patch` of 8.5.0.dev0 is 8.5.0
    numbers = _numbers(release, word, scheme, today)
    return _make(numbers) if label is None else _label(numbers, label)


def _label(release: Sequence[int], label: str) -> Written:
    return _make(release, dev=1) if label == "dev" else _make(release, (label, 1))


def _numbers(release: Sequence[int], word: str, scheme: Scheme, today: datetime.date | None) -> tuple[int, ...]:
    first, second, third = (*release, 0, 0)[:3]
    if scheme == "pep440":
        return {"major": (first + 1, 0), "minor": (first, second + 1)}.get(word, (first, second, third + 1))
    # calver: a two-digit year counts the year's releases, YY.N[.P] (pip: 26.0, 26.1, 26.1.1, 26.2); a four-digit
    # year carries the month, YYYY.MM.MICRO (2026.12.1). `minor` in a new year starts YY.0 or YYYY.M.0.
    if word == "patch":
        return (first, second, third + 1)
    if word == "major":
        msg = "a calver version has no major: `minor` starts the next release (the new year's first), `patch` a fix"
        raise VersionError(msg)
    day = today or datetime.datetime.now(datetime.timezone.utc).date()
    year = day.year if first >= 1000 else day.year % 100
    if first >= 1000:
        # YEAR.MONTH.MICRO: the first release of this month, or the next micro within the month.
        return (year, day.month, 0) if (year, day.month) > (first, second) else (first, second, third + 1)
    return (year, 0) if year > first else (first, second + 1)


def pep440(v: semver.Version) -> str:
    """`v` as PEP 440 writes it: 1.4.0-rc.1 is 1.4.0rc1, -dev.4 is .dev4, +build.5 is the local version +build.5.
    A Written version is already spelled: 26.2 stays 26.2."""
    if isinstance(v, Written) and v.text is not None:
        return v.text
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
    """`v` spelled the way a file of that format writes it (a semver file gets 26.2.0 for the Written 26.2)."""
    return pep440(v) if fmt == "pep440" else semver.Version.__str__(v)


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
    match = _PEP440.match(text) if len(text) <= _MAX_VERSION_CHARS else None
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
        msg = f"tag format {excerpt(tag_format)} must contain {{version}} exactly once, e.g. 'v{{version}}'"
        raise VersionError(msg)
    prefix, suffix = tag_format.split("{version}")
    return prefix, suffix


def tag_for(v: semver.Version, tag_format: str) -> str:
    """The git tag of version `v`."""
    prefix, suffix = _split_format(tag_format)
    return f"{prefix}{v}{suffix}"


def version_from_tag(tag: str, tag_format: str, scheme: Scheme = "semver") -> semver.Version | None:
    """The version a tag names, or None if the tag is not spelled by `tag_format`. Semver, or PEP 440 in its
    normal form: three numbers for `semver` (8.0.0rc1), two or three for `pep440` and `calver` (26.2)."""
    prefix, suffix = _split_format(tag_format)
    if len(tag) <= len(prefix) + len(suffix) or not tag.startswith(prefix) or not tag.endswith(suffix):
        return None
    middle = tag[len(prefix) : len(tag) - len(suffix)]
    if len(middle) > _MAX_VERSION_CHARS:
        return None
    # Strict here: with `v{version}`, `vv1.0.0` and `v01.4.0` are not release tags.
    try:
        return semver.Version.parse(middle)
    except ValueError:
        pass
    version = written(middle)
    if version is None or version.text != middle:
        return None
    numbers = len(release_numbers(version))
    return version if numbers == 3 or (scheme != "semver" and numbers == 2) else None


def latest_development(
    tags: Iterable[str], tag_format: str, scheme: Scheme = "semver"
) -> tuple[str, semver.Version] | None:
    """The highest development tag (`9.2.0.dev0`: where setuptools_scm projects start the next version), if any."""
    found = [(tag, v) for tag in tags if (v := version_from_tag(tag, tag_format, scheme)) and is_development(v)]
    best: tuple[str, semver.Version] | None = None
    for tag, version in sorted(found):
        if best is None or compare(version, best[1]) > 0:
            best = (tag, version)
    return best


def latest_release(
    tags: Iterable[str], tag_format: str, include_prereleases: bool = True, scheme: Scheme = "semver"
) -> tuple[str, semver.Version] | None:
    """The tag with the highest version among those `tag_format` spells, and its version. Development tags
    (`9.2.0.dev0`) are not releases. Tags whose versions only differ in build metadata tie; the tag name breaks
    the tie so the answer is stable."""
    best: tuple[semver.Version, str] | None = None
    for tag in tags:
        version = version_from_tag(tag, tag_format, scheme)
        if version is None or is_development(version):
            continue
        if version.prerelease is not None and not include_prereleases:
            continue
        if best is None or (compare(version, best[0]), tag) > (0, best[1]):
            best = (version, tag)
    return None if best is None else (best[1], best[0])
