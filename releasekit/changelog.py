"""Reads and rewrites a Keep-a-Changelog file: promotes Unreleased, writes a section from commits, finds notes."""

from __future__ import annotations

import re
from collections.abc import Sequence

from releasekit.errors import ReleasekitError

__all__ = ["ChangelogError", "from_commits", "promote", "section", "unreleased_entries", "write_section"]

_UNRELEASED = re.compile(r"^## \[?unreleased\]?[ \t]*$", re.IGNORECASE | re.MULTILINE)
_NEXT_HEADING = re.compile(r"^#{1,2} ", re.MULTILINE)
_LINK = re.compile(r"^\[(?P<label>[^\]]+)\]:[ \t]*\S+")
_VERSION_LABEL = re.compile(r"^v?\d+\.\d+")

_GROUPS = ("Breaking changes", "Added", "Fixed", "Changed", "Documentation", "Other")
_TYPE_GROUP = {"feat": "Added", "fix": "Fixed", "perf": "Changed", "refactor": "Changed", "docs": "Documentation"}
_CONVENTIONAL = re.compile(r"^(?P<type>[A-Za-z]+)(?:\((?P<scope>[^()]*)\))?(?P<bang>!)?:[ \t]*(?P<text>\S.*)$")
_BREAKING = re.compile(r"^BREAKING[ -]CHANGE:[ \t]*(?P<text>\S.*)$")
# Commits that are not changes: the release commit itself, and the subjects git and forges give merges.
_NOT_A_CHANGE = re.compile(
    r"^(?:chore\(release\)!?:|Merge (?:pull request|branch|remote-tracking branch|tag|commit) |Merge '.*' into )"
)

_HEADER = """# Changelog

All notable changes to this project are documented in this file.

The format is based on [Keep a Changelog](https://keepachangelog.com/en/1.1.0/),
and this project adheres to [Semantic Versioning](https://semver.org/spec/v2.0.0.html).

## [Unreleased]

[Unreleased]: {base}/compare/HEAD
"""


class ChangelogError(ReleasekitError):
    """The changelog cannot take the release as asked."""

    exit_code = 2


def promote(
    text: str,
    version: str,
    date: str,
    *,
    tag: str,
    previous_tag: str | None,
    repository: str,
    server_url: str = "https://github.com",
    path: str = "CHANGELOG.md",
) -> str:
    """Renames the Unreleased section to `## [version] - date`, opens a fresh empty Unreleased above it, and
    updates the link references when the file has them. `path` only names the file in messages."""
    body, crlf = _lf(text)
    _refuse_existing(body, version, path)
    heading = _unreleased(body, path)
    if heading is None:
        msg = (
            f"{path}: no '## [Unreleased]' section to turn into {version}; add one listing the changes, "
            "or let releasekit write the section from the commits"
        )
        raise ChangelogError(msg)
    if unreleased_entries(body) is None:
        msg = (
            f"{path}:{_line(body, heading.start())}: the Unreleased section is empty; list the changes of {version} "
            "under it, or let releasekit write the section from the commits"
        )
        raise ChangelogError(msg)
    body = f"{body[: heading.start()]}## [Unreleased]\n\n## [{version}] - {date}{body[heading.end() :]}"
    return _crlf(_links(body, version, tag, previous_tag, f"{server_url.rstrip('/')}/{repository}"), crlf)


def write_section(
    text: str,
    version: str,
    date: str,
    body: str,
    *,
    tag: str,
    previous_tag: str | None,
    repository: str,
    server_url: str = "https://github.com",
    path: str = "CHANGELOG.md",
) -> str:
    """Adds `## [version] - date` with `body` below an empty Unreleased section (kept), or below the preamble
    when there is none; an empty text becomes a new Keep-a-Changelog file."""
    base = f"{server_url.rstrip('/')}/{repository}"
    source, crlf = _lf(text)
    if not source.strip():
        source = _HEADER.format(base=base)
    _refuse_existing(source, version, path)
    heading = _unreleased(source, path)
    if heading is not None:
        if unreleased_entries(source) is not None:
            msg = (
                f"{path}:{_line(source, heading.start())}: the Unreleased section lists changes; release them "
                "as they are (promote it), or move them out of Unreleased first"
            )
            raise ChangelogError(msg)
        position = _section_span(source, heading.end())[1]
    else:
        first = re.search(r"^## ", source, re.MULTILINE)
        position = first.start() if first else _links_start(source)
    block = f"## [{version}] - {date}" + (f"\n\n{body.strip()}" if body.strip() else "")
    before, after = source[:position].rstrip("\n"), source[position:].lstrip("\n")
    result = (f"{before}\n\n" if before else "") + f"{block}\n" + (f"\n{after}" if after else "")
    return _crlf(_links(result, version, tag, previous_tag, base), crlf)


def unreleased_entries(text: str) -> str | None:
    """The body of the Unreleased section, stripped (LF line ends); None when there is no such section or it
    holds nothing but blank lines and subheadings (a template's empty `### Added`)."""
    body, _ = _lf(text)
    heading = _UNRELEASED.search(body)
    if heading is None:
        return None
    start, end = _section_span(body, heading.end())
    entries = body[start:end].strip()
    return entries if any(line.strip() and not line.startswith("#") for line in entries.split("\n")) else None


def section(text: str, version: str) -> str | None:
    """The body of the section of `version` (LF line ends), without its heading: the release notes. None when
    the file has no such section; "" when the section is empty."""
    body, _ = _lf(text)
    heading = _version_heading(body, version)
    if heading is None:
        return None
    start, end = _section_span(body, heading.end())
    return body[start:end].strip()


def from_commits(subjects: Sequence[str]) -> str:
    """A section body from commit subjects, grouped by conventional-commit type in a fixed order, commits in
    the order given. Release commits (`chore(release): ...`) and merges are left out."""
    groups: dict[str, list[str]] = {name: [] for name in _GROUPS}
    for subject in subjects:
        line = subject.strip().split("\n", 1)[0]
        if not line or _NOT_A_CHANGE.match(line):
            continue
        conventional, breaking_footer = _CONVENTIONAL.match(line), _BREAKING.match(line)
        if breaking_footer:
            groups["Breaking changes"].append(f"- {breaking_footer['text']}")
            continue
        if conventional is None:
            groups["Other"].append(f"- {line}")
            continue
        scope = f"**{conventional['scope']}:** " if conventional["scope"] else ""
        entry = f"- {scope}{conventional['text']}"
        if conventional["bang"] or "BREAKING CHANGE" in subject:
            groups["Breaking changes"].append(entry)
        elif conventional["type"].lower() in _TYPE_GROUP:
            groups[_TYPE_GROUP[conventional["type"].lower()]].append(entry)
        else:
            # `ci:`, `test:`, `chore(deps):` ... say more with their type than without: keep the subject whole.
            groups["Other"].append(f"- {line}")
    return "\n\n".join(f"### {name}\n\n" + "\n".join(entries) for name, entries in groups.items() if entries)


# --- helpers ------------------------------------------------------------------------------------------------


def _lf(text: str) -> tuple[str, bool]:
    # Work on LF text; a CRLF file gets its line ends back at the end.
    return text.replace("\r\n", "\n"), "\r\n" in text


def _crlf(text: str, crlf: bool) -> str:
    return text.replace("\n", "\r\n") if crlf else text


def _line(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def _unreleased(text: str, path: str) -> re.Match[str] | None:
    headings = list(_UNRELEASED.finditer(text))
    if len(headings) > 1:
        lines = ", ".join(str(_line(text, h.start())) for h in headings)
        msg = f"{path}:{_line(text, headings[1].start())}: several Unreleased sections (lines {lines}); merge them"
        raise ChangelogError(msg)
    return headings[0] if headings else None


def _version_heading(text: str, version: str) -> re.Match[str] | None:
    # `## [1.4.0] - date`, `## 1.4.0`, `## v1.4.0`; not `## [1.4.0-rc.1]` when asked for 1.4.0.
    return re.search(rf"^## \[?v?{re.escape(version)}\]?(?=[ \t]|$).*$", text, re.MULTILINE)


def _refuse_existing(text: str, version: str, path: str) -> None:
    heading = _version_heading(text, version)
    if heading is not None:
        msg = (
            f"{path}:{_line(text, heading.start())}: {version} already has a section ({heading.group()!r}); "
            "pick a new version"
        )
        raise ChangelogError(msg)


def _links_start(text: str) -> int:
    """Where the link reference definitions at the bottom of the file begin (len(text) if there are none)."""
    lines = text.split("\n")
    start = len(lines)
    while start > 0 and (not lines[start - 1].strip() or _LINK.match(lines[start - 1])):
        start -= 1
    while start < len(lines) and not lines[start].strip():
        start += 1
    return len(text) if start == len(lines) else sum(len(line) + 1 for line in lines[:start])


def _section_span(text: str, heading_end: int) -> tuple[int, int]:
    """The body of the section whose heading ends at `heading_end`: up to the next heading or the links."""
    start = min(heading_end + 1, len(text))
    following = _NEXT_HEADING.search(text, start)
    end = following.start() if following else len(text)
    links = _links_start(text)
    return start, max(start, min(end, links))


def _links(text: str, version: str, tag: str, previous_tag: str | None, base: str) -> str:
    """Adds the link of the new version and points Unreleased past it, if the file keeps link references."""
    lines = text.split("\n")

    def label(index: int) -> str:
        match = _LINK.match(lines[index])
        return match["label"].lower() if match else ""

    links_at = _line(text, _links_start(text)) - 1
    # A stale definition for this version (a section was deleted and the link left behind) is replaced.
    lines = [line for i, line in enumerate(lines) if i < links_at or label(i) != version.lower()]
    found = [i for i in range(links_at, len(lines)) if label(i) == "unreleased" or _VERSION_LABEL.match(label(i))]
    if not found:
        return text
    compare = f"{base}/compare/{previous_tag}...{tag}" if previous_tag else f"{base}/releases/tag/{tag}"
    new = [f"[{version}]: {compare}"]
    unreleased = next((i for i in found if label(i) == "unreleased"), None)
    if unreleased is not None or _UNRELEASED.search(text):
        new.insert(0, f"[Unreleased]: {base}/compare/{tag}...HEAD")
    if unreleased is not None:
        lines[unreleased : unreleased + 1] = new
    else:
        lines[found[0] : found[0]] = new
    return "\n".join(lines)
