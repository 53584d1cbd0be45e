"""The Keep-a-Changelog file: promoting Unreleased, sections written from commits, release notes."""

from __future__ import annotations

import pytest
from conftest import EXAMPLES

from releasekit.changelog import ChangelogError, from_commits, promote, section, unreleased_entries, write_section

FLUXION = (EXAMPLES / "fluxion" / "CHANGELOG.md").read_text()
REPO = "https://github.com/fluxion-app/fluxion"
LINKS = {"repository": "fluxion-app/fluxion"}

PROMOTED = """\
# Changelog

All notable changes to Fluxion are documented in this file.

The format is based on [Keep a Changelog](https://keepachangelog.com/en/1.1.0/),
and this project adheres to [Semantic Versioning](https://semver.org/spec/v2.0.0.html).

## [Unreleased]

## [1.4.0] - 2026-11-20

### Added

- Voice pipeline: `VOICE_PIPELINE_HOST` selects the address to bind, so the
  runtime machine can serve the LAN without editing code.
- HTTP bridge: `/health` reports the voice pipeline address it forwards to.

### Fixed

- Voice pipeline: unknown paths now answer with a JSON 404 instead of an HTML
  error page.

## [1.3.2] - 2026-10-30

### Fixed

- The HTTP bridge no longer panics when `FLUXION_BRIDGE_PORT` is set but empty.
- Text-to-speech falls back to the secondary engine when the primary one fails
  to load, instead of leaving the call silent.

### Changed

- The macOS bundle declares macOS 11 as its minimum system version.

## [1.3.1] - 2026-09-12

### Added

- MCP server with a `/health` endpoint for the Claude Code integration
  (port 5000, `MCP_SERVER_PORT`).

### Fixed

- Slot filling kept the previous caller's name across calls.
- The Windows installer failed when the install path contained spaces.

[Unreleased]: https://github.com/fluxion-app/fluxion/compare/v1.4.0...HEAD
[1.4.0]: https://github.com/fluxion-app/fluxion/compare/v1.3.2...v1.4.0
[1.3.2]: https://github.com/fluxion-app/fluxion/compare/v1.3.1...v1.3.2
[1.3.1]: https://github.com/fluxion-app/fluxion/compare/v1.3.0...v1.3.1
"""

UNRELEASED = """\
### Added

- Voice pipeline: `VOICE_PIPELINE_HOST` selects the address to bind, so the
  runtime machine can serve the LAN without editing code.
- HTTP bridge: `/health` reports the voice pipeline address it forwards to.

### Fixed

- Voice pipeline: unknown paths now answer with a JSON 404 instead of an HTML
  error page."""

EMPTY_UNRELEASED = FLUXION[: FLUXION.index("### Added")] + FLUXION[FLUXION.index("## [1.3.2]") :]


# --- promote --------------------------------------------------------------------------------------------------


def test_promote_fluxion() -> None:
    assert promote(FLUXION, "1.4.0", "2026-11-20", tag="v1.4.0", previous_tag="v1.3.2", **LINKS) == PROMOTED


def test_promote_keeps_crlf() -> None:
    crlf = FLUXION.replace("\n", "\r\n")
    promoted = promote(crlf, "1.4.0", "2026-11-20", tag="v1.4.0", previous_tag="v1.3.2", **LINKS)
    assert promoted == PROMOTED.replace("\n", "\r\n")


def test_promote_the_first_release_links_its_tag() -> None:
    text = "# Changelog\n\n## Unreleased\n\n- First.\n\n[Unreleased]: https://x/o/r/compare/HEAD\n"
    promoted = promote(
        text, "0.1.0", "2026-01-02", tag="v0.1.0", previous_tag=None, repository="o/r", server_url="https://ghe.io/"
    )
    assert promoted == (
        "# Changelog\n\n## [Unreleased]\n\n## [0.1.0] - 2026-01-02\n\n- First.\n\n"
        "[Unreleased]: https://ghe.io/o/r/compare/v0.1.0...HEAD\n"
        "[0.1.0]: https://ghe.io/o/r/releases/tag/v0.1.0\n"
    )


def test_promote_without_link_references_adds_none() -> None:
    text = "# Changelog\n\n## [Unreleased]\n### Fixed\n- A [link](https://example.com).\n\n## [1.0.0] - 2026-01-01\n"
    promoted = promote(text, "1.1.0", "2026-02-03", tag="v1.1.0", previous_tag="v1.0.0", **LINKS)
    assert promoted == (
        "# Changelog\n\n## [Unreleased]\n\n## [1.1.0] - 2026-02-03\n### Fixed\n- A [link](https://example.com).\n\n"
        "## [1.0.0] - 2026-01-01\n"
    )


def test_promote_adds_the_unreleased_link_beside_version_links() -> None:
    text = "## [Unreleased]\n\n- B.\n\n## [1.0.0]\n\n- A.\n\n[1.0.0]: https://x/releases/tag/v1.0.0\n[1.1.0]: stale\n"
    promoted = promote(text, "1.1.0", "2026-02-03", tag="v1.1.0", previous_tag="v1.0.0", **LINKS)
    assert promoted.endswith(
        "- A.\n\n"
        f"[Unreleased]: {REPO}/compare/v1.1.0...HEAD\n"
        f"[1.1.0]: {REPO}/compare/v1.0.0...v1.1.0\n"
        "[1.0.0]: https://x/releases/tag/v1.0.0\n"
    )


def test_promote_refuses_a_version_that_has_a_section() -> None:
    with pytest.raises(ChangelogError) as caught:
        promote(FLUXION, "1.3.2", "2026-11-20", tag="v1.3.2", previous_tag="v1.3.1", **LINKS)
    assert str(caught.value) == (
        "CHANGELOG.md:21: 1.3.2 already has a section ('## [1.3.2] - 2026-10-30'); pick a new version"
    )
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "# Changelog\n\n## [1.0.0]\n",
            "docs/CHANGES.md: no '## [Unreleased]' section to turn into 1.1.0; add one listing the changes, "
            "or let releasekit write the section from the commits",
        ),
        (
            "# Changelog\n\n## [Unreleased]\n\n### Added\n\n### Fixed\n\n## [1.0.0]\n",
            "docs/CHANGES.md:3: the Unreleased section is empty; list the changes of 1.1.0 under it, "
            "or let releasekit write the section from the commits",
        ),
        (
            "# Changelog\n\n## [Unreleased]\n\n- A.\n\n## Unreleased\n\n- B.\n",
            "docs/CHANGES.md:7: several Unreleased sections (lines 3, 7); merge them",
        ),
    ],
)
def test_promote_needs_one_unreleased_section_with_entries(text: str, expected: str) -> None:
    with pytest.raises(ChangelogError) as caught:
        promote(text, "1.1.0", "2026-02-03", tag="v1.1.0", previous_tag="v1.0.0", path="docs/CHANGES.md", **LINKS)
    assert str(caught.value) == expected


# --- reading --------------------------------------------------------------------------------------------------


def test_unreleased_entries() -> None:
    assert unreleased_entries(FLUXION) == UNRELEASED
    assert unreleased_entries(FLUXION.replace("\n", "\r\n")) == UNRELEASED
    assert unreleased_entries(EMPTY_UNRELEASED) is None
    assert unreleased_entries("# Changelog\n\n## [Unreleased]\n\n### Added\n\n### Fixed\n") is None
    assert unreleased_entries("# Changelog\n\n## [1.0.0]\n\n- A.\n") is None
    assert unreleased_entries("## Unreleased\n- Only this.\n\n[Unreleased]: https://x/compare/HEAD\n") == (
        "- Only this."
    )


def test_section() -> None:
    assert section(FLUXION, "1.3.2") == (
        "### Fixed\n\n"
        "- The HTTP bridge no longer panics when `FLUXION_BRIDGE_PORT` is set but empty.\n"
        "- Text-to-speech falls back to the secondary engine when the primary one fails\n"
        "  to load, instead of leaving the call silent.\n\n"
        "### Changed\n\n"
        "- The macOS bundle declares macOS 11 as its minimum system version."
    )
    # The last section stops where the link references begin.
    assert section(FLUXION, "1.3.1") == (
        "### Added\n\n"
        "- MCP server with a `/health` endpoint for the Claude Code integration\n"
        "  (port 5000, `MCP_SERVER_PORT`).\n\n"
        "### Fixed\n\n"
        "- Slot filling kept the previous caller's name across calls.\n"
        "- The Windows installer failed when the install path contained spaces."
    )
    assert section(PROMOTED, "1.4.0") == UNRELEASED
    assert section(FLUXION, "1.3.0") is None
    assert section(FLUXION, "1.3") is None
    assert section("## [1.4.0-rc.1] - 2026-01-01\n\n- RC.\n", "1.4.0") is None
    assert section("## v1.4.0\n\n- Plain.\n## 1.3.0\n", "1.4.0") == "- Plain."
    assert section("## [1.4.0] - 2026-01-01\n\n## [1.3.0]\n", "1.4.0") == ""


# --- from commits ---------------------------------------------------------------------------------------------


def test_from_commits_groups_by_type_in_a_fixed_order() -> None:
    subjects = [
        "docs: explain the voice pipeline ports",
        "fix(bridge): parse an empty FLUXION_BRIDGE_PORT as the default",
        "Tidy the README",
        "feat(voice): VOICE_PIPELINE_HOST selects the bind address",
        "chore(release): 1.3.2",
        "Merge pull request #41 from fluxion-app/voice-host",
        "Merge branch 'main' into develop",
        "feat!: drop Python 3.8",
        "refactor(tts): one fallback path",
        "fix: BREAKING CHANGE the /health body is JSON",
        "BREAKING CHANGE: the MCP port moved to 5000",
        "perf: cache the intent model",
        "ci: run E2E on the iMac",
        "feat: health endpoint for the MCP server",
        "",
        "Merge sort for the slot candidates",
    ]
    assert from_commits(subjects) == (
        "### Breaking changes\n\n"
        "- drop Python 3.8\n"
        "- BREAKING CHANGE the /health body is JSON\n"
        "- the MCP port moved to 5000\n\n"
        "### Added\n\n"
        "- **voice:** VOICE_PIPELINE_HOST selects the bind address\n"
        "- health endpoint for the MCP server\n\n"
        "### Fixed\n\n"
        "- **bridge:** parse an empty FLUXION_BRIDGE_PORT as the default\n\n"
        "### Changed\n\n"
        "- **tts:** one fallback path\n"
        "- cache the intent model\n\n"
        "### Documentation\n\n"
        "- explain the voice pipeline ports\n\n"
        "### Other\n\n"
        "- Tidy the README\n"
        "- ci: run E2E on the iMac\n"
        "- Merge sort for the slot candidates"
    )


def test_from_commits_with_nothing_to_say() -> None:
    assert from_commits([]) == ""
    assert from_commits(["chore(release): 1.0.0", "Merge tag 'v1.0.0'"]) == ""


# --- write_section --------------------------------------------------------------------------------------------


def test_write_section_below_an_empty_unreleased() -> None:
    body = from_commits(["feat: a thing", "fix(ui): a bug"])
    written = write_section(EMPTY_UNRELEASED, "1.4.0", "2026-11-20", body, tag="v1.4.0", previous_tag="v1.3.2", **LINKS)
    expected = EMPTY_UNRELEASED.replace(
        "## [Unreleased]\n\n",
        "## [Unreleased]\n\n## [1.4.0] - 2026-11-20\n\n### Added\n\n- a thing\n\n### Fixed\n\n- **ui:** a bug\n\n",
    ).replace(
        f"[Unreleased]: {REPO}/compare/v1.3.2...HEAD\n",
        f"[Unreleased]: {REPO}/compare/v1.4.0...HEAD\n[1.4.0]: {REPO}/compare/v1.3.2...v1.4.0\n",
    )
    assert written == expected


def test_write_section_keeps_a_template_unreleased_and_crlf() -> None:
    text = "# Changelog\r\n\r\n## [Unreleased]\r\n\r\n### Added\r\n\r\n## [1.0.0] - 2026-01-01\r\n\r\n- A.\r\n"
    written = write_section(text, "1.1.0", "2026-02-03", "- B.", tag="v1.1.0", previous_tag="v1.0.0", **LINKS)
    assert written == (
        "# Changelog\r\n\r\n## [Unreleased]\r\n\r\n### Added\r\n\r\n## [1.1.0] - 2026-02-03\r\n\r\n- B.\r\n\r\n"
        "## [1.0.0] - 2026-01-01\r\n\r\n- A.\r\n"
    )


def test_write_section_after_the_preamble_when_there_is_no_unreleased() -> None:
    text = (
        "# Changelog\n\nNotes.\n\n## [1.0.0] - 2026-01-01\n\n- A.\n\n"
        "[1.0.0]: https://github.com/fluxion-app/fluxion/releases/tag/v1.0.0\n"
    )
    written = write_section(text, "1.1.0", "2026-02-03", "- B.\n", tag="v1.1.0", previous_tag="v1.0.0", **LINKS)
    assert written == (
        "# Changelog\n\nNotes.\n\n## [1.1.0] - 2026-02-03\n\n- B.\n\n## [1.0.0] - 2026-01-01\n\n- A.\n\n"
        f"[1.1.0]: {REPO}/compare/v1.0.0...v1.1.0\n"
        f"[1.0.0]: {REPO}/releases/tag/v1.0.0\n"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# Changelog\n", "# Changelog\n\n## [0.1.0] - 2026-01-01\n\n- A.\n"),
        ("# Changelog", "# Changelog\n\n## [0.1.0] - 2026-01-01\n\n- A.\n"),
        ("## [0.0.1]\n", "## [0.1.0] - 2026-01-01\n\n- A.\n\n## [0.0.1]\n"),
    ],
)
def test_write_section_in_a_bare_file(text: str, expected: str) -> None:
    assert write_section(text, "0.1.0", "2026-01-01", "- A.", tag="v0.1.0", previous_tag=None, **LINKS) == expected


@pytest.mark.parametrize("text", ["", " \n"])
def test_write_section_creates_the_file(text: str) -> None:
    written = write_section(
        text, "0.1.0", "2026-01-01", "### Added\n\n- Everything.", tag="v0.1.0", previous_tag=None, **LINKS
    )
    assert written == (
        "# Changelog\n\n"
        "All notable changes to this project are documented in this file.\n\n"
        "The format is based on [Keep a Changelog](https://keepachangelog.com/en/1.1.0/),\n"
        "and this project adheres to [Semantic Versioning](https://semver.org/spec/v2.0.0.html).\n\n"
        "## [Unreleased]\n\n"
        "## [0.1.0] - 2026-01-01\n\n"
        "### Added\n\n"
        "- Everything.\n\n"
        f"[Unreleased]: {REPO}/compare/v0.1.0...HEAD\n"
        f"[0.1.0]: {REPO}/releases/tag/v0.1.0\n"
    )
    assert section(written, "0.1.0") == "### Added\n\n- Everything."
    assert unreleased_entries(written) is None


def test_write_section_with_an_empty_body() -> None:
    written = write_section("## [Unreleased]\n", "1.0.0", "2026-01-01", "", tag="v1.0.0", previous_tag=None, **LINKS)
    assert written == "## [Unreleased]\n\n## [1.0.0] - 2026-01-01\n"


def test_write_section_refuses_unreleased_entries_and_existing_versions() -> None:
    with pytest.raises(ChangelogError) as caught:
        write_section(FLUXION, "1.4.0", "2026-11-20", "- X.", tag="v1.4.0", previous_tag="v1.3.2", **LINKS)
    assert str(caught.value) == (
        "CHANGELOG.md:8: the Unreleased section lists changes; release them as they are (promote it), "
        "or move them out of Unreleased first"
    )
    with pytest.raises(ChangelogError, match=r"^CHANGELOG\.md:33: 1\.3\.1 already has a section"):
        write_section(FLUXION, "1.3.1", "2026-11-20", "- X.", tag="v1.3.1", previous_tag="v1.3.0", **LINKS)
