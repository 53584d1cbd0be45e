"""Version parsing, bumping, PEP 440 spelling and tag mapping."""

from __future__ import annotations

from typing import Literal

import pytest
import semver

from releasekit.version import (
    BUMP_WORDS,
    VersionError,
    format_version,
    latest_release,
    parse_version,
    parse_written,
    pep440,
    resolve_target,
    tag_for,
    version_from_tag,
)

V = semver.Version.parse
Format = Literal["semver", "pep440"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.4.0", "1.4.0"),
        ("v1.4.0", "1.4.0"),
        ("1.4.0-rc.1", "1.4.0-rc.1"),
        ("1.4.0+build.5", "1.4.0+build.5"),
        (" 1.4.0\n", "1.4.0"),
    ],
)
def test_parse_version_accepts(text: str, expected: str) -> None:
    assert str(parse_version(text)) == expected


@pytest.mark.parametrize(
    ("text", "suggestion"),
    [
        ("1.4", "; did you mean 1.4.0?"),
        ("01.2.3", "; did you mean 1.2.3?"),
        ("1.4.0rc1", "; did you mean 1.4.0-rc.1?"),
        ("banana", ""),
        ("", ""),
        ("1.4.0-", ""),
    ],
)
def test_parse_version_rejects_with_a_suggestion(text: str, suggestion: str) -> None:
    with pytest.raises(VersionError) as caught:
        parse_version(text)
    expected = f"{text!r} is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.4.0 or 1.4.0-rc.1){suggestion}"
    assert str(caught.value) == expected
    assert caught.value.exit_code == 2


def test_bump_words() -> None:
    assert BUMP_WORDS == ("major", "minor", "patch", "prerelease")


@pytest.mark.parametrize(
    ("arg", "latest", "pre", "expected"),
    [
        ("major", "1.3.2", None, "2.0.0"),
        ("minor", "1.3.2", None, "1.4.0"),
        ("patch", "1.3.2", None, "1.3.3"),
        ("MINOR", "1.3.2", None, "1.4.0"),
        ("minor", "1.3.2", "rc", "1.4.0-rc.1"),
        ("major", "1.3.2", "beta", "2.0.0-beta.1"),
        ("patch", "1.3.2", "rc", "1.3.3-rc.1"),
        ("prerelease", "1.4.0-rc.1", None, "1.4.0-rc.2"),
        ("prerelease", "1.4.0-rc.1", "rc", "1.4.0-rc.2"),
        ("prerelease", "1.4.0-rc", None, "1.4.0-rc.1"),
        ("prerelease", "1.4.0-alpha.3", "beta", "1.4.0-beta.1"),
        ("prerelease", "1.3.2", "rc", "1.3.3-rc.1"),
        ("prerelease", "1.3.2", None, "1.3.3-rc.1"),
        # From a prerelease, a bump without a label finishes the release it leads to (as npm does) ...
        ("minor", "1.4.0-rc.2", None, "1.4.0"),
        ("patch", "1.4.0-rc.2", None, "1.4.0"),
        ("major", "1.4.0-rc.2", None, "2.0.0"),
        # ... and with a label it moves on to the next one.
        ("minor", "1.4.0-rc.2", "rc", "1.5.0-rc.1"),
        ("1.4.0", "1.3.2", None, "1.4.0"),
        ("v2.0.0-rc.1", "1.3.2", None, "2.0.0-rc.1"),
        ("1.4.0", "1.4.0-rc.2", None, "1.4.0"),
        ("0.1.0", None, None, "0.1.0"),
    ],
)
def test_resolve_target(arg: str, latest: str | None, pre: str | None, expected: str) -> None:
    assert str(resolve_target(arg, V(latest) if latest else None, pre)) == expected


def test_resolve_target_refuses_a_version_below_the_latest() -> None:
    with pytest.raises(VersionError) as caught:
        resolve_target("1.3.0", V("1.3.2"))
    assert str(caught.value) == (
        "1.3.0 is not above the latest release v1.3.2; give a higher version, "
        "e.g. 1.3.3 (patch), 1.4.0 (minor) or 2.0.0 (major)"
    )


def test_resolve_target_refuses_the_latest_itself_and_spells_its_tag() -> None:
    with pytest.raises(VersionError) as caught:
        resolve_target("1.3.2+build.7", V("1.3.2"), tag_format="release-{version}")
    assert str(caught.value).startswith("1.3.2+build.7 is already released as release-1.3.2 (that tag exists); ")


def test_resolve_target_refuses_a_label_that_sorts_lower() -> None:
    with pytest.raises(VersionError, match=r"^1\.4\.0-beta\.1 is not above the latest release v1\.4\.0-rc\.1; "):
        resolve_target("prerelease", V("1.4.0-rc.1"), "beta")


@pytest.mark.parametrize("word", BUMP_WORDS)
def test_resolve_target_needs_a_latest_release_to_bump(word: str) -> None:
    with pytest.raises(VersionError, match=r"no earlier release to bump .* give the first version explicitly"):
        resolve_target(word, None)


@pytest.mark.parametrize("pre", ["", "rc.1", "rc_1", "ß"])
def test_resolve_target_checks_the_label(pre: str) -> None:
    with pytest.raises(VersionError, match="may only contain letters, digits and '-'"):
        resolve_target("minor", V("1.3.2"), pre)


def test_resolve_target_wants_the_label_inside_an_explicit_version() -> None:
    with pytest.raises(VersionError, match=r"write it into the version, e.g. 1\.4\.0-rc\.1$"):
        resolve_target("1.4.0", V("1.3.2"), "rc")


def test_resolve_target_reports_a_bad_explicit_version() -> None:
    with pytest.raises(VersionError, match=r"did you mean 1\.4\.0\?$"):
        resolve_target("1.4", V("1.3.2"))


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("1.4.0", "1.4.0"),
        ("1.4.0-rc.1", "1.4.0rc1"),
        ("1.4.0-rc1", "1.4.0rc1"),
        ("1.4.0-alpha.2", "1.4.0a2"),
        ("1.4.0-a.2", "1.4.0a2"),
        ("1.4.0-beta.3", "1.4.0b3"),
        ("1.4.0-b.3", "1.4.0b3"),
        ("1.4.0-c.1", "1.4.0rc1"),
        ("1.4.0-RC.1", "1.4.0rc1"),
        ("1.4.0-dev.4", "1.4.0.dev4"),
        ("1.4.0-post.1", "1.4.0.post1"),
        ("1.4.0-rc", "1.4.0rc0"),
        ("1.4.0+x.y", "1.4.0+x.y"),
        ("1.4.0-rc.1+Build-5", "1.4.0rc1+build.5"),
    ],
)
def test_pep440(version: str, expected: str) -> None:
    assert pep440(V(version)) == expected
    assert format_version(V(version), "pep440") == expected


@pytest.mark.parametrize("version", ["1.4.0-foo.1", "1.4.0-rc.1.2", "1.4.0-1", "1.4.0-rc-1"])
def test_pep440_refuses_what_it_cannot_express(version: str) -> None:
    with pytest.raises(VersionError, match=r"cannot be written as a PEP 440 version.*`format: semver`"):
        pep440(V(version))


def test_format_version_semver() -> None:
    assert format_version(V("1.4.0-rc.1+b.2"), "semver") == "1.4.0-rc.1+b.2"


@pytest.mark.parametrize(
    ("text", "fmt", "expected"),
    [
        ("1.4.0", "semver", "1.4.0"),
        ("1.4.0rc1", "semver", "1.4.0-rc.1"),
        ("1.4.0rc1", "pep440", "1.4.0-rc.1"),
        ("1.4.0-rc.1", "pep440", "1.4.0-rc.1"),
        ("1.4.0a2", "pep440", "1.4.0-alpha.2"),
        ("1.4.0b3", "pep440", "1.4.0-beta.3"),
        ("1.4.0.dev4", "pep440", "1.4.0-dev.4"),
        ("1.4.0.post1", "pep440", "1.4.0-post.1"),
        ("1.4", "pep440", "1.4.0"),
        ("1.4.0+x.y", "pep440", "1.4.0+x.y"),
        ("v1.4.0", "pep440", "1.4.0"),
        # The one spelling the two read differently: a prerelease to semver, a post-release to PEP 440.
        ("1.4.0-1", "semver", "1.4.0-1"),
        ("1.4.0-1", "pep440", "1.4.0-post.1"),
    ],
)
def test_parse_written(text: str, fmt: Format, expected: str) -> None:
    assert str(parse_written(text, fmt)) == expected


@pytest.mark.parametrize("text", ["", "banana", "1!1.4.0", "1.4.0.0", "1.4.0rc1.dev2"])
def test_parse_written_unreadable(text: str) -> None:
    assert parse_written(text, "pep440") is None
    assert parse_written(text, "semver") is None


@pytest.mark.parametrize("version", ["1.4.0", "1.4.0-rc.1", "1.4.0-alpha.2", "1.4.0-dev.4", "1.4.0+x.y"])
def test_parse_written_reads_back_what_format_version_writes(version: str) -> None:
    formats: tuple[Format, ...] = ("semver", "pep440")
    for fmt in formats:
        assert parse_written(format_version(V(version), fmt), fmt) == V(version)


@pytest.mark.parametrize(
    ("tag_format", "tag"),
    [
        ("v{version}", "v1.4.0-rc.1"),
        ("release-{version}", "release-1.4.0-rc.1"),
        ("{version}-final", "1.4.0-rc.1-final"),
    ],
)
def test_tag_round_trip(tag_format: str, tag: str) -> None:
    assert tag_for(V("1.4.0-rc.1"), tag_format) == tag
    assert version_from_tag(tag, tag_format) == V("1.4.0-rc.1")


@pytest.mark.parametrize("tag", ["1.4.0", "vv1.4.0", "v1.4", "v", "release-1.4.0", "v01.4.0", "x1.4.0"])
def test_version_from_tag_ignores_other_tags(tag: str) -> None:
    assert version_from_tag(tag, "v{version}") is None


@pytest.mark.parametrize("tag_format", ["v", "{version}-{version}"])
def test_tag_format_needs_one_placeholder(tag_format: str) -> None:
    with pytest.raises(VersionError, match=r"must contain \{version\} exactly once"):
        tag_for(V("1.0.0"), tag_format)


def test_latest_release() -> None:
    tags = ["v1.2.0", "v1.10.0-rc.1", "v1.9.3", "nightly", "v1.10.0-beta.2", "release-9.0.0", "v1.9.3+b.1"]
    assert latest_release(tags, "v{version}") == ("v1.10.0-rc.1", V("1.10.0-rc.1"))
    assert latest_release(tags, "v{version}", include_prereleases=False) == ("v1.9.3+b.1", V("1.9.3+b.1"))
    assert latest_release(tags, "release-{version}") == ("release-9.0.0", V("9.0.0"))
    assert latest_release(["nightly"], "v{version}") is None
    assert latest_release([], "v{version}") is None


def test_latest_release_breaks_ties_the_same_way_whatever_the_order() -> None:
    tags = ["v1.0.0+a", "v1.0.0+b", "v1.0.0"]
    assert latest_release(tags, "v{version}") == latest_release(reversed(tags), "v{version}")
