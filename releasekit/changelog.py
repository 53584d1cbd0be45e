"""Reads and rewrites a changelog in the project's own style, Markdown or reStructuredText: promotes its Unreleased
section, writes a section from commits, finds a version's notes. The heading of a new version copies the file's
latest version heading (`## [2.4.1] - 2026-05-09`, `## 0.28.1 (6th December, 2024)`, `Version 8.4.2` over `----`
with `Released 2026-06-24` below it); a file with none gets Keep a Changelog's."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypedDict

from releasekit import changelog_text as ct
from releasekit.changelog_text import RELEASED_LINE, VERSION, Doc, Kind, Marker, Style, kind_of
from releasekit.conventional import parse as parse_message
from releasekit.errors import ReleasekitError

__all__ = [
    "ChangelogError",
    "commit_groups",
    "from_commits",
    "heading_of",
    "kind_of",
    "line_of",
    "lists_versions",
    "promote",
    "section",
    "unreleased_entries",
    "update",
    "write_section",
]

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


def _marker(doc: Doc, path: str) -> Marker | None:
    markers = ct.markers(doc)
    if len(markers) > 1:
        lines = ", ".join(str(ct.line_at(doc.text, m.heading.start)) for m in markers)
        where = f"{path}:{ct.line_at(doc.text, markers[1].heading.start)}"
        msg = f"{where}: several Unreleased sections (lines {lines}); merge them"
        raise ChangelogError(msg)
    return markers[0] if markers else None


# --- public API -------------------------------------------------------------------------------------------------


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
    """Turns the Unreleased section into the section of `version`, in the file's style; a standalone Unreleased
    heading stays above it, empty. Updates the link references when the file has them. `path` names the file
    in messages and says its format."""
    body, crlf = _lf(text)
    doc = ct.read_doc(body, path)
    links = _LinkArgs(version=version, tag=tag, previous=previous_tag, repository=repository, server_url=server_url)
    marker = _marker(doc, path)
    _refuse_existing(doc, version, path, marker)
    if marker is None:
        example = "## [Unreleased]" if doc.kind == "md" else "Unreleased"
        msg = (
            f"{path}: no '{example}' section to turn into {version}; add one listing the changes, "
            "or let releasekit write the section from the commits"
        )
        raise ChangelogError(msg)
    if ct.entries(doc, marker) is None:
        msg = (
            f"{path}:{ct.line_at(body, marker.heading.start)}: the Unreleased section is empty; list the changes of "
            f"{version} under it, or let releasekit write the section from the commits"
        )
        raise ChangelogError(msg)
    result, _ = _release_marker(doc, marker, style=ct.learn(doc, marker), version=version, date=date)
    return _crlf(_finish(result, doc.kind, links), crlf)


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
    """Adds the section of `version` with `body` below an empty Unreleased heading (kept), or fills an empty
    Unreleased version section, or goes above the latest version; an empty text becomes a Keep-a-Changelog file."""
    base = f"{server_url.rstrip('/')}/{repository}"
    source, crlf = _lf(text)
    if not source.strip():
        source = _HEADER.format(base=base) if kind_of(path) == "md" else ""
    doc = ct.read_doc(source, path)
    links = _LinkArgs(version=version, tag=tag, previous=previous_tag, repository=repository, server_url=server_url)
    marker = _marker(doc, path)
    _refuse_existing(doc, version, path, marker)
    style = ct.learn(doc, marker)
    body = body.strip()
    if marker is not None and ct.entries(doc, marker) is not None:
        msg = (
            f"{path}:{ct.line_at(source, marker.heading.start)}: the Unreleased section lists changes; release them "
            "as they are (promote it), or move them out of Unreleased first"
        )
        raise ChangelogError(msg)
    if marker is not None and marker.how != "heading":
        result, at = _release_marker(doc, marker, style=style, version=version, date=date)
        before, after = result[:at].rstrip("\n"), result[at:].lstrip("\n")
        result = f"{before}\n" + (f"\n{body}\n" if body else "") + (f"\n{after}" if after else "")
        return _crlf(_finish(result, doc.kind, links), crlf)
    if marker is not None:
        position = doc.span(marker.heading)[1]
    else:
        versions = doc.versions()
        if versions:
            position = versions[0][0].start
        elif doc.kind == "md":
            first = re.search(r"^## ", source, re.MULTILINE)
            position = first.start() if first else ct.links_start(source)
        else:
            position = len(source)
    block = _block(style, version, date) + (f"\n\n{body}" if body else "")
    before, after = source[:position].rstrip("\n"), source[position:].lstrip("\n")
    result = (f"{before}\n\n" if before else "") + f"{block}\n" + (f"\n{after}" if after else "")
    return _crlf(_finish(result, doc.kind, links), crlf)


def update(
    text: str,
    version: str,
    date: str,
    subjects: Sequence[str],
    *,
    tag: str,
    previous_tag: str | None,
    repository: str,
    server_url: str = "https://github.com",
    path: str = "CHANGELOG.md",
    entries: Sequence[tuple[str, list[str]]] = (),
) -> tuple[str, str]:
    """The changelog after the release, and what was done, for people: the Unreleased section promoted, else a
    section written from `subjects` in the file's style, after `entries` (groups of entries written elsewhere: change
    files' bodies by bump kind)."""
    if unreleased_entries(text, path=path) is not None:
        after = promote(
            text,
            version,
            date,
            tag=tag,
            previous_tag=previous_tag,
            repository=repository,
            server_url=server_url,
            path=path,
        )
        heading = heading_of(after, version, path=path) or version
        source, _ = _lf(text)
        was = next((m.version for m in ct.markers(ct.read_doc(source, path)) if m.version not in (None, version)), None)
        headed = f" (it was headed {was})" if was else ""
        count = sum(len(group) for _, group in entries)
        unused = f" (the {count} change file entries are not added: it is released as written)" if count else ""
        return after, f"{path}: the Unreleased section{headed} becomes {heading}{unused}"
    source, _ = _lf(text)
    doc = ct.read_doc(source if source.strip() else (_HEADER if kind_of(path) == "md" else ""), path)
    style = ct.learn(doc, _marker(doc, path))
    groups = [
        *((name, list(group)) for name, group in entries if group),
        *(commit_groups(subjects) if subjects else []),
    ]
    body = _render_groups(groups, style) if groups else ""
    after = write_section(
        text,
        version,
        date,
        body or "No changes recorded.",
        tag=tag,
        previous_tag=previous_tag,
        repository=repository,
        server_url=server_url,
        path=path,
    )
    heading = heading_of(after, version, path=path) or version
    since = previous_tag or "the first commit"
    count = sum(len(group) for _, group in entries)
    files = f"{count} change file{'s' * (count != 1)} and " if count else ""
    return after, f"{path}: {heading} written from {files}{len(subjects)} commit subjects since {since}"


def heading_of(text: str, version: str, *, path: str = "CHANGELOG.md") -> str | None:
    """The title of the heading of `version`'s section."""
    doc = ct.read_doc(_lf(text)[0], path)
    return next((h.title for h, v in doc.versions() if v == version), None)


def line_of(text: str, version: str, *, path: str = "CHANGELOG.md") -> int:
    """The 1-based line of the heading of `version` (1 when there is none)."""
    body = _lf(text)[0]
    doc = ct.read_doc(body, path)
    heading = next((h for h, v in doc.versions() if v == version), None)
    if heading is None:
        return 1
    return ct.line_at(body, heading.start) + (1 if doc.kind == "rst" and len(heading.style) == 2 else 0)


def lists_versions(text: str, *, path: str = "CHANGELOG.md") -> bool:
    """The file has a version heading or an Unreleased section: a changelog, not a page that points to one."""
    return ct.read_doc(_lf(text)[0], path).version_level() is not None


def unreleased_entries(text: str, *, path: str = "CHANGELOG.md") -> str | None:
    """The body of the Unreleased section, stripped (LF line ends); None when there is no such section or it
    holds nothing but blank lines and subheadings (a template's empty `### Added`)."""
    doc = ct.read_doc(_lf(text)[0], path)
    markers = ct.markers(doc)
    return ct.entries(doc, markers[0]) if markers else None


def section(text: str, version: str, *, path: str = "CHANGELOG.md") -> str | None:
    """The body of the section of `version` (LF line ends), without its heading nor a `Released <date>` line:
    the release notes. None when the file has no such section; "" when the section is empty."""
    doc = ct.read_doc(_lf(text)[0], path)
    heading = next((h for h, v in doc.versions() if v == version), None)
    if heading is None:
        return None
    start, end = doc.span(heading)
    first = ct.first_line(doc, heading)
    if first is not None and RELEASED_LINE.match(doc.text[first[0] : first[1]]):
        start = min(first[1], end)
    return doc.text[start:end].strip()


def commit_groups(subjects: Sequence[str]) -> list[tuple[str, list[str]]]:
    """Commit subjects (or whole messages: a `BREAKING CHANGE:` footer in the body counts) grouped by
    conventional-commit type in a fixed order, commits in the order given, as entries without their bullet. Release
    commits (`chore(release): ...`) and merges are left out."""
    groups: dict[str, list[str]] = {name: [] for name in _GROUPS}
    for subject in subjects:
        line = subject.strip().split("\n", 1)[0]
        if not line or _NOT_A_CHANGE.match(line):
            continue
        conventional, breaking_footer = _CONVENTIONAL.match(line), _BREAKING.match(line)
        if breaking_footer:
            groups["Breaking changes"].append(breaking_footer["text"])
            continue
        message = parse_message(subject)
        # A BREAKING CHANGE footer says what users must change: the entry carries it.
        notes = "".join(f": {n}" for n in message.breaking_notes if n != "(no description)")
        if conventional is None:
            groups["Breaking changes" if message.breaking else "Other"].append(line + notes)
            continue
        scope = f"**{conventional['scope']}:** " if conventional["scope"] else ""
        entry = f"{scope}{conventional['text']}{notes}"
        if message.breaking:
            groups["Breaking changes"].append(entry)
        elif conventional["type"].lower() in _TYPE_GROUP:
            groups[_TYPE_GROUP[conventional["type"].lower()]].append(entry)
        else:
            # `ci:`, `test:`, `chore(deps):` ... say more with their type than without: keep the subject whole.
            groups["Other"].append(line)
    return [(name, entries) for name, entries in groups.items() if entries]


def from_commits(subjects: Sequence[str]) -> str:
    """A Keep-a-Changelog section body from commit subjects (see `commit_groups`)."""
    return "\n\n".join(
        f"### {name}\n\n" + "\n".join(f"- {e}" for e in entries) for name, entries in commit_groups(subjects)
    )


# --- helpers ------------------------------------------------------------------------------------------------


def _render_groups(groups: list[tuple[str, list[str]]], style: Style) -> str:
    def bullet(entry: str) -> str:
        return f"{style.bullet}{entry}"

    if style.sub_style is None:
        # One list: the breaking changes still say so, as they would under their own subheading.
        return "\n".join(
            bullet(f"**Breaking:** {e}" if name == "Breaking changes" else e)
            for name, entries in groups
            for e in entries
        )
    return "\n\n".join(
        ct.render_heading(style.kind, style.sub_style, name) + "\n\n" + "\n".join(bullet(e) for e in entries)
        for name, entries in groups
    )


def _block(style: Style, version: str, date: str) -> str:
    heading = ct.render_heading(style.kind, style.style, ct.title_for(style, version, date))
    if style.released:
        heading += "\n\n" + style.released.replace("{date}", ct.format_date(date, style.date))
    return heading


def _release_marker(doc: Doc, marker: Marker, *, style: Style, version: str, date: str) -> tuple[str, int]:
    """The text with the Unreleased marker turned into `version`'s section, and where its body begins. A section
    headed with another version (the next one as guessed when it was opened) takes the version released: its
    changes are the ones this release carries."""
    text, heading = doc.text, marker.heading
    if marker.how == "heading":
        own = text[heading.start : heading.end]
        block = _block(style, version, date)
        body_at = heading.start + len(own) + 2 + len(block)
        return text[: heading.start] + f"{own}\n\n{block}" + text[heading.end :], body_at
    if marker.how == "title":
        new = ct.render_heading(doc.kind, heading.style, ct.title_for(style, version, date))
        return text[: heading.start] + new + text[heading.end :], heading.start + len(new)
    assert marker.line is not None
    line = (style.released or "Released {date}").replace("{date}", ct.format_date(date, style.date))
    text = text[: marker.line[0]] + line + text[marker.line[1] :]
    body_at = marker.line[0] + len(line)
    if marker.version != version:
        found = VERSION.match(heading.title)
        assert found is not None  # a "line" marker is under a version heading
        title = heading.title[: found.start("version")] + version + heading.title[found.end("version") :]
        new = ct.render_heading(doc.kind, heading.style, title)
        text = text[: heading.start] + new + text[heading.end :]
        body_at += len(new) - (heading.end - heading.start)
    return text, body_at


class _LinkArgs(TypedDict):
    version: str
    tag: str
    previous: str | None
    repository: str
    server_url: str


def _finish(text: str, kind: Kind, links: _LinkArgs) -> str:
    """Markdown files get their link references updated; reST has none of that kind."""
    if kind != "md":
        return text
    base = f"{links['server_url'].rstrip('/')}/{links['repository']}"
    return ct.update_links(text, links["version"], links["tag"], links["previous"], base)


def _lf(text: str) -> tuple[str, bool]:
    # Work on LF text; a CRLF file gets its line ends back at the end.
    return text.replace("\r\n", "\n"), "\r\n" in text


def _crlf(text: str, crlf: bool) -> str:
    return text.replace("\n", "\r\n") if crlf else text


def _refuse_existing(doc: Doc, version: str, path: str, marker: Marker | None) -> None:
    for heading, found in doc.versions():
        if found == version and (marker is None or heading is not marker.heading):
            msg = (
                f"{path}:{ct.line_at(doc.text, heading.start)}: {version} already has a section "
                f"({doc.text[heading.start : heading.end]!r}); pick a new version"
            )
            raise ChangelogError(msg)
