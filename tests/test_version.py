"""Version parsing, bumping, PEP 440 spelling and tag mapping."""

from __future__ import annotations

import datetime
import re
from typing import Literal

import pytest
import semver

from releasekit.tagguess import guess_scheme, guess_tag_format
from releasekit.version import (
    BUMP_WORDS,
    Scheme,
    VersionError,
    Written,
    compare,
    format_version,
    latest_development,
    latest_release,
    parse_given,
    parse_version,
    parse_written,
    pep440,
    resolve_target,
    tag_for,
    version_from_tag,
    written,
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


# --------------------------------------------------------------------------- PEP 440 and CalVer, as written

DAY = datetime.date(2026, 12, 4)


def W(text: str) -> Written:
    version = written(text)
    assert version is not None
    return version


@pytest.mark.parametrize(
    ("text", "kept", "as_semver"),
    [
        ("26.2", "26.2", "26.2.0"),
        ("2026.12.1", "2026.12.1", "2026.12.1"),
        ("1.4.0rc1", "1.4.0rc1", "1.4.0-rc.1"),
        ("1.4.0-RC1", "1.4.0rc1", "1.4.0-rc.1"),
        ("8.5.0.dev", "8.5.0.dev0", "8.5.0-dev.0"),
        ("26.3.dev0", "26.3.dev0", "26.3.0-dev.0"),
        ("1.4.post1", "1.4.post1", "1.4.0-post.1"),
    ],
)
def test_written_keeps_the_pep440_spelling(text: str, kept: str, as_semver: str) -> None:
    version = W(text)
    assert str(version) == kept
    assert pep440(version) == kept
    assert format_version(version, "pep440") == kept
    assert format_version(version, "semver") == as_semver  # a semver file (Cargo.toml) needs three numbers
    assert tag_for(version, "{version}") == kept  # pip releases 26.2, tagged 26.2, not 26.2.0


@pytest.mark.parametrize("text", ["banana", "1!2.0", "1.2.3.4", ""])
def test_written_refuses_what_semver_cannot_order(text: str) -> None:
    assert written(text) is None


def test_compare_uses_pep440_order_for_written_versions() -> None:
    assert compare(W("26.2"), W("26.2.0")) == 0
    assert compare(W("1.4.post1"), W("1.4")) == 1  # semver would put -post.1 below 1.4.0
    assert compare(W("8.5.0.dev0"), V("8.4.2")) == 1
    assert compare(W("8.5.0.dev0"), V("8.5.0")) == -1
    assert compare(V("1.3.2+build.7"), V("1.3.2")) == 0  # semver, as always: build metadata does not count


@pytest.mark.parametrize(
    ("arg", "latest", "scheme", "expected"),
    [
        # PEP 440 short forms: as many numbers as the bump needs.
        ("patch", "1.4", "pep440", "1.4.1"),
        ("minor", "1.4", "pep440", "1.5"),
        ("major", "1.4", "pep440", "2.0"),
        ("minor", "1.4.2", "pep440", "1.5"),
        ("prerelease", "1.4", "pep440", "1.4.1rc1"),
        ("prerelease", "1.5rc1", "pep440", "1.5rc2"),
        ("minor", "1.5rc2", "pep440", "1.5"),  # a bump finishes the release the prerelease leads to
        ("patch", "8.5.0.dev0", "pep440", "8.5.0"),
        ("prerelease", "8.5.0.dev0", "pep440", "8.5.0rc1"),
        # CalVer, two-digit year counting the year's releases (pip): a new year starts YY.0.
        ("minor", "26.2", "calver", "26.3"),
        ("minor", "26.2.1", "calver", "26.3"),
        ("patch", "26.2", "calver", "26.2.1"),
        ("minor", "25.3", "calver", "26.0"),
        # CalVer, four-digit year with the month: this month's first release, or the next within the month.
        ("minor", "2026.11.3", "calver", "2026.12.0"),
        ("minor", "2026.12.3", "calver", "2026.12.4"),
        ("minor", "2025.12", "calver", "2026.12.0"),
        ("patch", "2026.12.1", "calver", "2026.12.2"),
        # Explicit versions as people write them.
        ("26.3", "26.2", "calver", "26.3"),
        ("2026.12.1", "2026.11.0", "calver", "2026.12.1"),
        ("1.4.0rc1", "1.3", "pep440", "1.4.0rc1"),
        ("1.4.0rc1", "1.3.2", "semver", "1.4.0rc1"),
        ("8.5.0", "8.5.0.dev0", "semver", "8.5.0"),
        # A semver project that spells prereleases the PEP 440 way keeps the spelling.
        ("prerelease", "8.0.0rc1", "semver", "8.0.0rc2"),
        ("patch", "8.0.0rc1", "semver", "8.0.0"),
    ],
)
def test_resolve_target_by_scheme(arg: str, latest: str, scheme: Scheme, expected: str) -> None:
    assert str(resolve_target(arg, W(latest), scheme=scheme, today=DAY)) == expected


def test_resolve_target_keeps_semver_bumps_for_semver_versions() -> None:
    version = resolve_target("patch", V("1.3.2"), scheme="semver", today=DAY)
    assert type(version) is semver.Version and str(version) == "1.3.3"


def test_calver_has_no_major() -> None:
    with pytest.raises(VersionError, match=r"a calver version has no major: `minor` starts"):
        resolve_target("major", W("26.2"), scheme="calver", today=DAY)


def test_resolve_target_refuses_a_written_version_already_released() -> None:
    with pytest.raises(VersionError) as caught:
        resolve_target("26.2.0", W("26.2"), scheme="calver", tag_format="{version}", today=DAY)
    assert str(caught.value) == (
        "26.2.0 is already released as 26.2 (that tag exists); "
        "give a higher version, e.g. 26.2.1 (patch) or 26.3 (minor)"
    )


def test_resolve_target_counts_from_the_files_of_an_untagged_repository() -> None:
    # The files say 4.0.0 and nothing is tagged: `patch` is 4.0.1, and 4.0.0 itself may still be released.
    assert str(resolve_target("patch", V("4.0.0"), tagged=False)) == "4.0.1"
    assert str(resolve_target("4.0.0", V("4.0.0"), tagged=False)) == "4.0.0"
    with pytest.raises(VersionError, match=r"^3\.9\.0 is below 4\.0\.0, the version the files hold \(no release tag"):
        resolve_target("3.9.0", V("4.0.0"), tagged=False)


@pytest.mark.parametrize(
    ("text", "scheme", "message"),
    [
        ("1.4", "semver", "did you mean 1.4.0?"),
        ("1.2.3.4", "pep440", "is not a PEP 440 version with at most three numbers"),
        ("banana", "calver", "is not a PEP 440 version"),
    ],
)
def test_parse_given_refuses(text: str, scheme: Scheme, message: str) -> None:
    with pytest.raises(VersionError, match=re.escape(message)):
        parse_given(text, scheme)


def test_pep440_labels_only_for_pep440_schemes() -> None:
    assert str(resolve_target("minor", W("1.4"), "beta", scheme="pep440")) == "1.5b1"
    with pytest.raises(VersionError, match="is not PEP 440's"):
        resolve_target("minor", W("1.4"), "nightly", scheme="pep440")


@pytest.mark.parametrize(
    ("tag", "scheme", "expected"),
    [
        ("26.2", "calver", "26.2"),
        ("26.2", "semver", None),
        ("8.0.0rc1", "semver", "8.0.0rc1"),
        ("9.2.0.dev0", "semver", "9.2.0.dev0"),
        ("1.4.0RC1", "pep440", None),  # not PEP 440's normal form: not a tag releasekit made
        ("3.x", "pep440", None),
    ],
)
def test_version_from_tag_by_scheme(tag: str, scheme: Scheme, expected: str | None) -> None:
    version = version_from_tag(tag, "{version}", scheme)
    assert (None if version is None else str(version)) == expected


def test_latest_release_skips_development_tags_and_orders_written_versions() -> None:
    # pytest tags 9.2.0.dev0 where development starts: that is not a release.
    assert latest_release(["9.2.0.dev0", "8.3.0", "8.3.0.dev0"], "{version}") == ("8.3.0", V("8.3.0"))
    assert latest_development(["9.2.0.dev0", "8.3.0", "10.0.0.dev0", "10.0.0rc1"], "{version}") == (
        "10.0.0.dev0",
        W("10.0.0.dev0"),
    )
    assert latest_development(["8.3.0"], "{version}") is None
    found = latest_release(["26.2", "26.1.1", "26.2.1", "3.x", "26.3.dev0"], "{version}", scheme="calver")
    assert found is not None and found[0] == "26.2.1"


@pytest.mark.parametrize(
    ("tags", "tag_format", "scheme", "found"),
    [
        (["8.4.2", "8.4.1", "3.x"], "{version}", "semver", "found 2 version tags spelled like 8.4.2"),
        (["v2.41.5", "v2.41.4"], "v{version}", "semver", "found 2 version tags spelled like v2.41.5"),
        (
            ["release-1.4", "release-1.3", "v0.1.0"],
            "release-{version}",
            "pep440",
            "2 of the 3 latest version tags are spelled like release-1.4; others: v{version} (1)",
        ),
        (["26.2.1", "26.2", "26.1", "25.3"], "{version}", "calver", "found 4 version tags spelled like 26.2.1"),
        (["2026.12.1", "2026.11.0"], "{version}", "calver", "found 2 version tags spelled like 2026.12.1"),
        # Development tags are no releases, but they show the spelling.
        (["9.2.0.dev0", "8.3.0"], "{version}", "semver", "found 2 version tags spelled like 9.2.0.dev0"),
        (["nightly"], "v{version}", "semver", "no version tags yet: the first release is tagged v<version>"),
    ],
)
def test_guess_tag_format(tags: list[str], tag_format: str, scheme: Scheme, found: str) -> None:
    guess = guess_tag_format(tags, year=2026)
    assert (guess.tag_format, guess.scheme, guess.found) == (tag_format, scheme, found)


def test_guess_tag_format_without_tags_reads_the_files_version() -> None:
    assert guess_tag_format([], "4.0.0", year=2026).scheme == "semver"
    assert guess_tag_format([], "26.3.dev0", year=2026).scheme == "calver"
    assert guess_tag_format([], "1.4", year=2026).scheme == "pep440"
    assert guess_tag_format([], "4.0.0", year=2026).found.endswith("; the files hold 4.0.0")


def test_guess_scheme_needs_recent_years_for_two_digit_calver() -> None:
    assert guess_scheme([W("26.2"), W("25.3")], year=2026) == "calver"
    assert guess_scheme([W("1.4"), W("1.3")], year=2026) == "pep440"
    assert guess_scheme([W("20.1")], year=2026) == "pep440"  # not this year's: a version like any other
    assert guess_scheme([V("24.1.0")], year=2026) == "semver"
