"""Changelogs in their own style (Markdown, reST): promoting Unreleased, sections written from commits, notes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TypedDict

import pytest
import semver
from conftest import EXAMPLES, git, snapshot

from releasekit.backends.git import Git
from releasekit.changelog import (
    ChangelogError,
    from_commits,
    kind_of,
    lists_versions,
    promote,
    section,
    unreleased_entries,
    update,
    write_section,
)
from releasekit.config.loader import parse
from releasekit.detect import detect
from releasekit.journal import Journal
from releasekit.plan import ReleasePlan, changelog_change
from releasekit.steps.apply import abort, ensure_commit
from releasekit.versionfiles import FileChange

FLUXION = (EXAMPLES / "fluxion" / "CHANGELOG.md").read_text()
REPO = "https://github.com/fluxion-app/fluxion"
class _Links(TypedDict):
    repository: str


LINKS: _Links = {"repository": "fluxion-app/fluxion"}

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
        "# Changelog\n\n## Unreleased\n\n## [0.1.0] - 2026-01-02\n\n- First.\n\n"
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
        "[1.1.0]: https://x/releases/tag/v1.1.0\n"  # in the form of the latest version's link
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
        f"[1.1.0]: {REPO}/releases/tag/v1.1.0\n"
        f"[1.0.0]: {REPO}/releases/tag/v1.0.0\n"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# Changelog\n", "# Changelog\n\n## [0.1.0] - 2026-01-01\n\n- A.\n"),
        ("# Changelog", "# Changelog\n\n## [0.1.0] - 2026-01-01\n\n- A.\n"),
        # The file's headings carry no date: neither does the new one.
        ("## [0.0.1]\n", "## [0.1.0]\n\n- A.\n\n## [0.0.1]\n"),
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


# --- the file's own style: Markdown headings other than Keep a Changelog's ----------------------------------------

HTTPX = """\
# Changelog

The format is based on [Keep a Changelog](https://keepachangelog.com/en/1.0.0/).

## 0.28.1 (6th December, 2024)

* Fix SSL case where `verify=False` together with client side certificates.

## 0.28.0 (28th November, 2024)

* The deprecated `app` argument has now been removed.
"""


def test_a_section_copies_the_latest_version_heading_date_and_bullets() -> None:
    after, source = update(
        HTTPX, "0.28.2", "2026-12-01", ["fix: a bug", "Tidy"], tag="0.28.2", previous_tag="0.28.1", **LINKS
    )
    # No subheadings in the file's sections: a flat list, in the groups' order.
    assert after == HTTPX.replace("## 0.28.1", "## 0.28.2 (1st December, 2026)\n\n* a bug\n* Tidy\n\n## 0.28.1")
    assert source == "CHANGELOG.md: 0.28.2 (1st December, 2026) written from 2 commit subjects since 0.28.1"


def test_an_unreleased_heading_in_the_files_own_spelling_stays() -> None:
    text = HTTPX.replace("## 0.28.1", "## [UNRELEASED]\n\n### Added\n\n* `FunctionAuth`. (#3699)\n\n## 0.28.1")
    after, source = update(text, "0.29.0", "2026-12-23", [], tag="0.29.0", previous_tag="0.28.1", **LINKS)
    assert after == text.replace("## [UNRELEASED]\n", "## [UNRELEASED]\n\n## 0.29.0 (23rd December, 2026)\n")
    assert source == "CHANGELOG.md: the Unreleased section becomes 0.29.0 (23rd December, 2026)"
    assert section(after, "0.29.0") == "### Added\n\n* `FunctionAuth`. (#3699)"


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("## 1.0.0 (December 6, 2024)", "## 1.1.0 (March 2, 2026)"),
        ("## 1.0.0 (Dec 6 2024)", "## 1.1.0 (Mar 2 2026)"),
        ("## v1.0.0 - 2024/12/06", "## v1.1.0 - 2026/03/02"),
        ("## 1.0.0 - 6 December 2024", "## 1.1.0 - 2 March 2026"),
        ("# Version 1.0.0", "# Version 1.1.0"),
        ("## [1.0.0-rc.1] - 2024-12-06", "## [1.1.0] - 2026-03-02"),
    ],
)
def test_heading_shapes_and_date_formats(heading: str, expected: str) -> None:
    text = f"# Changes\n\n{heading}\n\n- A.\n"
    after, _ = update(text, "1.1.0", "2026-03-02", ["B"], tag="v1.1.0", previous_tag="v1.0.0", **LINKS)
    assert after == f"# Changes\n\n{expected}\n\n- B\n\n{heading}\n\n- A.\n"


CLICK_MD = """\
## Version 8.5.0

Unreleased

- Add PowerShell completion. {issue}`2672`

## Version 8.4.2

Released 2026-06-24

- Fix Fish shell completion.
"""


def test_a_version_heading_over_an_unreleased_line_is_released() -> None:
    after, source = update(CLICK_MD, "8.5.0", "2026-12-04", [], tag="8.5.0", previous_tag="8.4.2", **LINKS)
    assert after == CLICK_MD.replace("Unreleased\n", "Released 2026-12-04\n", 1)
    assert source == "CHANGELOG.md: the Unreleased section becomes Version 8.5.0"
    assert section(after, "8.5.0") == "- Add PowerShell completion. {issue}`2672`"
    assert section(CLICK_MD, "8.4.2") == "- Fix Fish shell completion."


def test_an_unreleased_section_headed_with_another_version_takes_the_released_one() -> None:
    # click's main says `Version 8.5.0 / Unreleased`; a patch release carries those changes as 8.4.3.
    after, source = update(CLICK_MD, "8.4.3", "2026-12-04", [], tag="8.4.3", previous_tag="8.4.2", **LINKS)
    assert after == CLICK_MD.replace("## Version 8.5.0\n\nUnreleased\n", "## Version 8.4.3\n\nReleased 2026-12-04\n")
    assert source == "CHANGELOG.md: the Unreleased section (it was headed 8.5.0) becomes Version 8.4.3"
    rst = CLICK_RST.replace("8.1.8", "8.1.10")
    promoted = promote(rst, "8.1.11", "2025-05-10", tag="8.1.11", previous_tag="8.1.10", path="CHANGES.rst", **LINKS)
    assert promoted == rst.replace(
        "Version 8.2.0\n-------------\n\nUnreleased\n", "Version 8.1.11\n--------------\n\nReleased 2025-05-10\n"
    )


def test_an_empty_unreleased_version_section_is_filled_from_the_commits() -> None:
    text = CLICK_MD.replace("- Add PowerShell completion. {issue}`2672`\n\n", "")
    after, _ = update(text, "8.5.0", "2026-12-04", ["fix: x"], tag="8.5.0", previous_tag="8.4.2", **LINKS)
    assert after.startswith("## Version 8.5.0\n\nReleased 2026-12-04\n\n- x\n\n## Version 8.4.2\n")


def test_a_version_heading_that_says_unreleased_gets_the_date() -> None:
    text = "# Changes\n\n## 1.1.0 (unreleased)\n\n- B.\n\n## 1.0.0 (2024-12-06)\n\n- A.\n"
    promoted = promote(text, "1.1.0", "2026-03-02", tag="v1.1.0", previous_tag="v1.0.0", **LINKS)
    assert promoted == text.replace("(unreleased)", "(2026-03-02)")


def test_links_follow_the_files_own_forms() -> None:
    # poetry: no Unreleased heading, an [Unreleased] link comparing with `main`, versions linking release pages.
    text = (
        "# Change Log\n\n## [2.4.1] - 2026-05-09\n\n- A.\n\n\n"
        "[Unreleased]: https://github.com/python-poetry/poetry/compare/2.4.1...main\n"
        "[2.4.1]: https://github.com/python-poetry/poetry/releases/tag/2.4.1\n"
    )
    after, _ = update(text, "2.5.0", "2026-12-04", ["B"], tag="2.5.0", previous_tag="2.4.1", **LINKS)
    assert after == (
        "# Change Log\n\n## [2.5.0] - 2026-12-04\n\n- B\n\n## [2.4.1] - 2026-05-09\n\n- A.\n\n\n"
        "[Unreleased]: https://github.com/python-poetry/poetry/compare/2.5.0...main\n"
        "[2.5.0]: https://github.com/python-poetry/poetry/releases/tag/2.5.0\n"
        "[2.4.1]: https://github.com/python-poetry/poetry/releases/tag/2.4.1\n"
    )


def test_headings_inside_code_fences_are_not_sections() -> None:
    text = "## [Unreleased]\n\n- Run:\n\n  ```sh\n  # release it\n  ```\n\n## [1.0.0] - 2026-01-01\n"
    assert unreleased_entries(text) == "- Run:\n\n  ```sh\n  # release it\n  ```"


# --- reStructuredText -------------------------------------------------------------------------------------------

CLICK_RST = """\
.. currentmodule:: click

Version 8.2.0
-------------

Unreleased

-   Drop support for Python 3.7. :pr:`2588`

Version 8.1.8
-------------

Released 2024-12-19

-   Fix an issue with type hints. :issue:`2781`
"""


def test_rst_an_unreleased_line_under_a_version_heading() -> None:
    assert unreleased_entries(CLICK_RST, path="CHANGES.rst") == "-   Drop support for Python 3.7. :pr:`2588`"
    promoted = promote(CLICK_RST, "8.2.0", "2025-05-10", tag="8.2.0", previous_tag="8.1.8", path="CHANGES.rst", **LINKS)
    assert promoted == CLICK_RST.replace("Unreleased\n", "Released 2025-05-10\n")
    assert section(promoted, "8.1.8", path="CHANGES.rst") == "-   Fix an issue with type hints. :issue:`2781`"


def test_rst_a_new_section_has_an_underline_of_its_length() -> None:
    text = CLICK_RST.replace("Unreleased\n\n-   Drop support for Python 3.7. :pr:`2588`\n", "Released 2025-05-10\n")
    after, source = update(
        text,
        "8.2.10",
        "2025-06-01",
        ["fix: y"],
        tag="8.2.10",
        previous_tag="8.2.0",
        path="CHANGES.rst",
        repository="o/r",
    )
    assert after == text.replace(
        "Version 8.2.0\n", "Version 8.2.10\n--------------\n\nReleased 2025-06-01\n\n-   y\n\nVersion 8.2.0\n", 1
    )
    assert source == "CHANGES.rst: Version 8.2.10 written from 1 commit subjects since 8.2.0"


PYTEST_RST = """\
=========
Changelog
=========

.. towncrier release notes start

pytest 9.1.1 (2026-06-19)
=========================

Bug fixes
---------

- Fixed a logic bug.
"""


def test_rst_section_levels_follow_the_file() -> None:
    after, _ = update(
        PYTEST_RST,
        "9.2.0",
        "2026-12-04",
        ["feat: a", "Tidy"],
        tag="9.2.0",
        previous_tag="9.1.1",
        path="changelog.rst",
        repository="o/r",
    )
    assert after == PYTEST_RST.replace(
        "pytest 9.1.1",
        "pytest 9.2.0 (2026-12-04)\n=========================\n\nAdded\n-----\n\n- a\n\nOther\n-----\n\n- Tidy\n\n"
        "pytest 9.1.1",
    )
    assert section(after, "9.1.1", path="changelog.rst") == "Bug fixes\n---------\n\n- Fixed a logic bug."


def test_rst_unreleased_heading_and_a_new_file_style() -> None:
    text = "Changes\n=======\n\nUnreleased\n----------\n\n* B.\n"
    promoted = promote(text, "0.1.0", "2026-03-02", tag="v0.1.0", previous_tag=None, path="NEWS.rst", **LINKS)
    assert promoted == "Changes\n=======\n\nUnreleased\n----------\n\n0.1.0 (2026-03-02)\n------------------\n\n* B.\n"


def test_kind_and_what_lists_versions() -> None:
    assert kind_of("docs/CHANGES.rst") == "rst" and kind_of("HISTORY.md") == "md"
    assert kind_of("CHANGES", "1.0\n===\n\n- A.\n") == "rst"
    assert lists_versions("## [Unreleased]\n") and lists_versions("v1.0\n----\n", path="a.rst")
    assert not lists_versions("The changelog is at https://docs.example.org.\n", path="CHANGELOG.rst")


# --- the plan's changelog edit ----------------------------------------------------------------------------------


def _plan(
    root: Path, changelog: str, previous: str | None, subjects: list[str]
) -> tuple[FileChange | None, str, tuple[str, ...]]:
    config = parse(
        f"project: {{name: demo, repository: acme/demo}}\nversioning:\n  changelog: {changelog}\n",
        "releasekit.yaml",
        root,
    ).config
    return changelog_change(
        config,
        root,
        semver.Version.parse("1.1.0"),
        tag="v1.1.0",
        previous=previous,
        today="2026-12-04",
        subjects=subjects,
    )


def test_a_first_release_writes_no_history(tmp_path: Path) -> None:
    history = [f"commit {n}" for n in range(140)]
    change, source, removed = _plan(tmp_path, "CHANGELOG.md", None, history)
    assert (change, removed) == (None, ())
    assert source == (
        "CHANGELOG.md: not written: it does not exist and there is no earlier release tag (releasekit does not "
        "write the whole history, 140 commits); create it with an Unreleased section listing the changes to have one"
    )
    (tmp_path / "CHANGES.rst").write_text("Changes\n=======\n\nUnreleased\n----------\n")
    change, source, _ = _plan(tmp_path, "CHANGES.rst", None, history)
    assert change is None and source.startswith("CHANGES.rst: not written: there is no earlier release tag and ")
    # Listed changes are released even without a tag.
    (tmp_path / "CHANGES.rst").write_text("Changes\n=======\n\nUnreleased\n----------\n\n- First.\n")
    change, source, _ = _plan(tmp_path, "CHANGES.rst", None, history)
    assert change is not None and change.line == 7
    assert change.after.endswith("\n1.1.0 (2026-12-04)\n------------------\n\n- First.\n")
    assert source == "CHANGES.rst: the Unreleased section becomes 1.1.0 (2026-12-04)"


def test_without_a_changelog_a_section_of_the_commits_since_the_last_tag(tmp_path: Path) -> None:
    change, source, _ = _plan(tmp_path, "CHANGELOG.md", "v1.0.0", ["fix: one", "Merge branch 'x'"])
    assert change is not None and change.before == ""
    assert "## [1.1.0] - 2026-12-04\n\n### Fixed\n\n- one\n\n[Unreleased]" in change.after
    assert change.line == 10
    assert source == "CHANGELOG.md: [1.1.0] - 2026-12-04 written from 2 commit subjects since v1.0.0"


TOWNCRIER_PYPROJECT = """\
[project]
name = "demo"
version = "1.0.0"

[tool.towncrier]
directory = "changelog"
filename = "docs/changes.rst"
"""

TOWNCRIER_CHANGES = """\
Changes
=======

.. towncrier release notes start

demo 1.0.0 (2026-01-01)
=======================

- First.
"""


def _towncrier_project(root: Path) -> None:
    (root / "docs").mkdir()
    (root / "changelog").mkdir()
    (root / "pyproject.toml").write_text(TOWNCRIER_PYPROJECT)
    (root / "docs/changes.rst").write_text(TOWNCRIER_CHANGES)
    (root / "changelog/12.bugfix.rst").write_text("Fixed a bug.\n")
    (root / "changelog/13.feature.rst").write_text("A new thing.\n")


def test_towncrier_compiles_the_fragments_into_the_plan(tmp_path: Path) -> None:
    _towncrier_project(tmp_path)
    before = snapshot(tmp_path)
    change, source, removed = _plan(tmp_path, "docs/changes.rst", "v1.0.0", ["fix: ignored"])
    assert change is not None
    assert change.after == TOWNCRIER_CHANGES.replace(
        "demo 1.0.0",
        "demo 1.1.0 (2026-12-04)\n=======================\n\nFeatures\n--------\n\n- A new thing. (#13)\n\n\n"
        "Bugfixes\n--------\n\n- Fixed a bug. (#12)\n\n\ndemo 1.0.0",
    )
    assert change.line == 6
    assert removed == ("changelog/12.bugfix.rst", "changelog/13.feature.rst")
    assert source == "docs/changes.rst: compiled by towncrier from 2 news fragments in changelog/"
    assert snapshot(tmp_path) == before  # built in a scratch copy
    # init proposes towncrier's file, and says towncrier must be installed.
    detection = detect(tmp_path)
    assert detection.changelog == "docs/changes.rst"
    assert any("compiled by towncrier from changelog/" in note for note in detection.notes)


def test_towncrier_missing_or_failing_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _towncrier_project(tmp_path)
    (tmp_path / "changelog/_template.rst").write_text("{% for x in y %}\n")  # a broken template
    with (tmp_path / "pyproject.toml").open("a") as f:
        f.write('template = "changelog/_template.rst"\n')
    with pytest.raises(ChangelogError) as caught:
        _plan(tmp_path, "docs/changes.rst", "v1.0.0", [])
    assert str(caught.value).startswith(
        "towncrier could not build docs/changes.rst for 1.1.0 (pyproject.toml [tool.towncrier]): "
    )
    (tmp_path / "changelog/_template.rst").unlink()
    with pytest.raises(ChangelogError) as caught:
        _plan(tmp_path, "docs/changes.rst", "v1.0.0", [])
    assert str(caught.value) == (
        "pyproject.toml: [tool.towncrier] template = 'changelog/_template.rst' does not exist; towncrier needs it to "
        "build docs/changes.rst"
    )
    monkeypatch.setitem(sys.modules, "towncrier", None)  # importlib finds no module named towncrier
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ChangelogError) as caught:
        _plan(tmp_path, "docs/changes.rst", "v1.0.0", [])
    assert str(caught.value) == (
        "pyproject.toml configures towncrier ([tool.towncrier]) to write docs/changes.rst, and towncrier is not "
        "installed; install it beside releasekit (`pip install towncrier`), or set versioning.changelog to another file"
    )


def test_the_release_commit_removes_the_fragments_and_abort_restores_them(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "--bare", "origin.git")
    tmp_path = tmp_path / "project"
    tmp_path.mkdir()
    _towncrier_project(tmp_path)
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "remote", "add", "origin", "../origin.git")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "start")
    git(tmp_path, "config", "user.name", "t")
    git(tmp_path, "config", "user.email", "t@example.invalid")
    change, _, removed = _plan(tmp_path, "docs/changes.rst", "v1.0.0", [])
    assert change is not None
    repo = Git(tmp_path)
    journal = Journal(
        version="1.1.0",
        tag="v1.1.0",
        branch="main",
        base=git(tmp_path, "rev-parse", "HEAD"),
        message="Release 1.1.0",
        files={change.path: change.after},
        started="now",
        removed=list(removed),
    )
    before = _worktree(tmp_path)
    ensure_commit(repo, journal, lambda *_: None)
    assert git(tmp_path, "show", "--name-status", "--format=", "HEAD").split("\n") == [
        "D\tchangelog/12.bugfix.rst",
        "D\tchangelog/13.feature.rst",
        "M\tdocs/changes.rst",
    ]
    assert git(tmp_path, "status", "--porcelain") == ""
    git(tmp_path, "reset", "-q", "--hard", "HEAD^")
    # A release killed after writing: abort brings the edited file and the fragments back.
    (tmp_path / "docs/changes.rst").write_text(change.after)
    for rel in removed:
        (tmp_path / rel).unlink()
    abort(repo, journal, lambda *_: None)
    assert _worktree(tmp_path) == before
    assert git(tmp_path, "status", "--porcelain") == ""


def _worktree(root: Path) -> dict[str, bytes]:
    return {rel: data for rel, data in snapshot(root).items() if not rel.startswith(".git/")}


def test_the_dry_run_plan_shows_the_changelog_diff_and_the_removed_fragments(tmp_path: Path) -> None:
    _towncrier_project(tmp_path)
    change, source, removed = _plan(tmp_path, "docs/changes.rst", "v1.0.0", [])
    assert change is not None
    plan = ReleasePlan(
        repository="acme/demo",
        version=semver.Version.parse("1.1.0"),
        tag="v1.1.0",
        previous_tag="v1.0.0",
        branch="main",
        base="0" * 40,
        changes=(change,),
        message="Release 1.1.0",
        sign=False,
        run=None,
        publishes=(),
        changelog_source=source,
        removed=removed,
    )
    described = plan.describe()
    assert (
        "   changelog: docs/changes.rst: compiled by towncrier from 2 news fragments in changelog/\n"
        "   remove 2 news fragments: changelog/12.bugfix.rst, changelog/13.feature.rst\n"
    ) in described
    assert (
        "--- a/docs/changes.rst\n+++ b/docs/changes.rst\n@@ -3,6 +3,21 @@\n \n .. towncrier release notes start\n \n"
        "+demo 1.1.0 (2026-12-04)\n+=======================\n"
    ) in described


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"NEWS.rst": "1.0 (2026-01-01)\n================\n"}, "NEWS.rst"),
        # pytest's root CHANGELOG.rst only points to the docs: a file that lists versions wins.
        (
            {"CHANGELOG.rst": "Changelog\n=========\n\nSee the docs.\n", "docs/changes.md": "## 1.0.0\n"},
            "docs/changes.md",
        ),
        ({"CHANGELOG.rst": "Changelog\n=========\n\nSee the docs.\n"}, "CHANGELOG.rst"),
        ({"doc/history.rst": "Release notes\n=============\n"}, None),
        ({"HISTORY.md": "## 1.0.0\n", "changes.md": "## [Unreleased]\n"}, "changes.md"),
    ],
)
def test_init_finds_the_changelog(tmp_path: Path, files: dict[str, str], expected: str | None) -> None:
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    assert detect(tmp_path).changelog == expected
