"""How a changelog file is written, Markdown or reStructuredText: its headings and their levels, the Unreleased
part in the file's own spelling, the style of its latest version heading (title, date format, a `Released` line,
bullets, subheadings), and its link references. Pure functions on text; `releasekit.changelog` edits with them."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "Doc",
    "Heading",
    "Kind",
    "Marker",
    "Style",
    "entries",
    "first_line",
    "format_date",
    "kind_of",
    "learn",
    "line_at",
    "links_start",
    "markers",
    "read_doc",
    "render_heading",
    "title_for",
    "update_links",
]

Kind = Literal["md", "rst"]

# A version near the start of a heading: `[1.4.0] - date`, `v1.4.0`, `Version 8.4.2`, `pytest 9.1.1 (date)`.
VERSION = re.compile(
    r"^(?:[^\d\s\[][^\s]*\s+){0,2}\[?v?(?P<version>\d+(?:\.\d+)+"
    r"(?:(?:[-+.]?[A-Za-z][0-9A-Za-z]*|-\d[0-9A-Za-z]*)(?:\.[0-9A-Za-z]+)*)?)\]?(?=$|[\s,:;()-])"
)
_UNRELEASED_TITLE = re.compile(r"^\[?unreleased\]?[ \t]*:?$", re.IGNORECASE)
_UNRELEASED_WORD = re.compile(r"\bunreleased\b", re.IGNORECASE)
_UNRELEASED_LINE = re.compile(r"^[*_]*unreleased[*_.]*[ \t]*$", re.IGNORECASE)
RELEASED_LINE = re.compile(r"^(?P<lead>[*_]*(?:released|release date)[*_]*:?[*_]*[ \t]+)", re.IGNORECASE)
_MD_HEADING = re.compile(r"^(?P<marks>#{1,6})[ \t]+(?P<title>.*?)[ \t]*$")
_FENCE = re.compile(r"^[ \t]{0,3}(```|~~~)")
_RST_ADORNMENT = re.compile(r"^([!-/:-@\[-`{-~])\1+[ \t]*$")
_LINK = re.compile(r"^\[(?P<label>[^\]]+)\]:[ \t]*(?P<url>\S+)")
_VERSION_LABEL = re.compile(r"^v?\d+\.\d+")
_BULLET = re.compile(r"^([-*+][ \t]+)(?=\S)", re.MULTILINE)  # the marker and its spacing: `- `, `*   `

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_DAY = r"(?P<day>\d{1,2})(?P<ord>st|nd|rd|th)?"
_MONTH = r"(?P<month>(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?)"
_DATES = (
    re.compile(r"(?P<year>\d{4})(?P<sep>[-/])(?P<m>\d{2})(?P=sep)(?P<d>\d{2})"),
    re.compile(rf"{_DAY} {_MONTH}(?P<comma>,?) (?P<year>\d{{4}})"),
    re.compile(rf"{_MONTH} {_DAY}(?P<comma>,?) (?P<year>\d{{4}})"),
)


# --- the file as headings ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    start: int  # offset of its first line (the overline in reST)
    end: int  # offset of the line end of its last line
    title: str
    style: str  # "##" in Markdown; the underline character in reST, doubled when there is an overline
    level: int  # 1 is the top


@dataclass(frozen=True)
class Marker:
    """The Unreleased part: a heading of its own (`## [Unreleased]`), a version heading that says so
    (`1.5.0 (unreleased)`), or a version heading over an `Unreleased` line (click's `Version 8.5.0`)."""

    heading: Heading
    how: Literal["heading", "title", "line"]
    version: str | None
    line: tuple[int, int] | None  # the span of the `Unreleased` line


@dataclass(frozen=True)
class Style:
    """A new version's heading as the file writes them."""

    kind: Kind
    style: str
    level: int
    title: str  # with {version} and {date}
    date: re.Match[str] | None  # a date as the file writes it, to copy its format
    released: str | None  # a `Released {date}` line under the heading
    bullet: str
    sub_style: str | None  # subheadings for the commit groups; None for a flat list


@dataclass(frozen=True)
class Doc:
    text: str
    kind: Kind
    headings: tuple[Heading, ...]

    def span(self, heading: Heading) -> tuple[int, int]:
        """The body of a section: up to the next heading of its level or above, or the link references."""
        start = min(heading.end + 1, len(self.text))
        end = next((h.start for h in self.headings if h.start > heading.start and h.level <= heading.level), None)
        limit = links_start(self.text) if self.kind == "md" else len(self.text)
        return start, max(start, min(limit, len(self.text) if end is None else end))

    def version_level(self) -> int | None:
        return next((h.level for h in self.headings if VERSION.match(h.title) or is_unreleased_title(h)), None)

    def versions(self) -> list[tuple[Heading, str]]:
        level = self.version_level()
        out = []
        for h in self.headings:
            match = VERSION.match(h.title)
            if h.level == level and match:
                out.append((h, match["version"]))
        return out


def is_unreleased_title(h: Heading) -> bool:
    return bool(_UNRELEASED_TITLE.match(h.title))


def kind_of(path: str, text: str = "") -> Kind:
    """reStructuredText for `.rst` and `.txt`, and for a file without suffix that has reST headings only."""
    name = path.rsplit("/", 1)[-1].lower()
    if name.endswith((".rst", ".txt")):
        return "rst"
    if "." not in name and text and not parse_headings(text, "md") and parse_headings(text, "rst"):
        return "rst"
    return "md"


def parse_headings(text: str, kind: Kind) -> tuple[Heading, ...]:
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    found: list[tuple[int, int, str, str]] = []
    if kind == "md":
        fence: str | None = None
        for i, line in enumerate(lines):
            opened = _FENCE.match(line)
            if opened:
                fence = None if fence == opened[1] else (fence or opened[1])
                continue
            heading = _MD_HEADING.match(line) if fence is None else None
            if heading:
                title = re.sub(r"[ \t]+#+$", "", heading["title"])
                found.append((offsets[i], offsets[i] + len(line), title, heading["marks"]))
    else:
        i = 0
        while i + 1 < len(lines):
            text_line, under = lines[i], lines[i + 1]
            adorned = _RST_ADORNMENT.match(under)
            if (
                text_line.strip()
                and not text_line[0].isspace()
                and not _RST_ADORNMENT.match(text_line)
                and adorned
                and len(under.rstrip()) >= len(text_line.rstrip())
            ):
                over = i > 0 and lines[i - 1].rstrip() == under.rstrip()
                start = offsets[i - 1] if over else offsets[i]
                style = adorned[1] * (2 if over else 1)
                found.append((start, offsets[i + 1] + len(under), text_line.strip(), style))
                i += 2
                continue
            i += 1
    order: list[str] = []
    headings = []
    for start, end, title, style in found:
        if kind == "md":
            level = len(style)
        else:
            if style not in order:
                order.append(style)
            level = order.index(style) + 1
        headings.append(Heading(start, end, title, style, level))
    return tuple(headings)


def read_doc(text: str, path: str) -> Doc:
    kind = kind_of(path, text)
    return Doc(text, kind, parse_headings(text, kind))


def render_heading(kind: Kind, style: str, title: str) -> str:
    if kind == "md":
        return f"{style} {title}"
    line = style[0] * max(len(title), 3)
    return f"{line}\n{title}\n{line}" if len(style) == 2 else f"{title}\n{line}"


# --- the Unreleased part and the style ------------------------------------------------------------------------


def first_line(doc: Doc, heading: Heading) -> tuple[int, int] | None:
    start, end = doc.span(heading)
    for match in re.finditer(r"^.*$", doc.text[start:end], re.MULTILINE):
        if match.group().strip():
            return start + match.start(), start + match.end()
    return None


def markers(doc: Doc) -> list[Marker]:
    level = doc.version_level()
    out = []
    for h in doc.headings:
        if h.level != level:
            continue
        if is_unreleased_title(h):
            out.append(Marker(h, "heading", None, None))
            continue
        version = VERSION.match(h.title)
        if version is None:
            continue
        if _UNRELEASED_WORD.search(h.title[version.end() :]):
            out.append(Marker(h, "title", version["version"], None))
            continue
        first = first_line(doc, h)
        if first is not None and _UNRELEASED_LINE.match(doc.text[first[0] : first[1]]):
            out.append(Marker(h, "line", version["version"], first))
    return out


def entries(doc: Doc, marker: Marker) -> str | None:
    start, end = doc.span(marker.heading)
    if marker.line is not None:
        start = min(marker.line[1] + 1, end)
    inner = [h for h in doc.headings if start <= h.start < end]
    kept, position = [], start
    for h in inner:
        kept.append(doc.text[position : h.start])
        position = h.end
    kept.append(doc.text[position:end])
    body = doc.text[start:end].strip()
    return body if "".join(kept).strip() else None


def learn(doc: Doc, marker: Marker | None) -> Style:
    """How the file writes a version's heading, from its latest released version heading; else from the
    Unreleased part; else Keep a Changelog's `## [{version}] - {date}` (reST: `{version} ({date})`)."""
    released = [(h, v) for h, v in doc.versions() if marker is None or h is not marker.heading]
    bullets = _BULLET.findall(doc.text)
    bullet = max(sorted(set(bullets)), key=bullets.count) if bullets else "- "
    level = doc.version_level()
    sub = _sub_style(doc, level)
    if released:
        heading = released[0][0]
        title = heading.title
        match = VERSION.match(title)
        assert match is not None  # released holds version headings only
        template = title[: match.start("version")] + "{version}" + title[match.end("version") :]
        date = _find_date(template)
        if date:
            template = template[: date.start()] + "{date}" + template[date.end() :]
        line = first_line(doc, heading)
        line_text = doc.text[line[0] : line[1]] if line else ""
        lead, line_date = RELEASED_LINE.match(line_text), _find_date(line_text)
        released_line = None
        if lead and line_date:
            released_line = line_text[: line_date.start()] + "{date}" + line_text[line_date.end() :]
            date = date or line_date
        return Style(doc.kind, heading.style, heading.level, template, date, released_line, bullet, sub)
    if marker is not None:
        style, level = marker.heading.style, marker.heading.level
        title = marker.heading.title.replace(marker.version or "", "{version}", 1)
        if marker.how == "line":
            return Style(doc.kind, style, level, title, _find_date("2000-01-01"), "Released {date}", bullet, sub)
        if marker.how == "title":
            title = _UNRELEASED_WORD.sub("{date}", title)
            return Style(doc.kind, style, level, title, _find_date("2000-01-01"), None, bullet, sub)
    if doc.kind == "md":
        level = level or 2
        title = "[{version}] - {date}"
        return Style("md", "#" * level, level, title, _find_date("2000-01-01"), None, bullet, sub or "#" * (level + 1))
    used = {h.style for h in doc.headings}
    style = marker.heading.style if marker else next((c for c in "-=~^\"'+" if c not in used), "-")
    return Style("rst", style, level or 2, "{version} ({date})", _find_date("2000-01-01"), None, bullet, sub)


def _sub_style(doc: Doc, level: int | None) -> str | None:
    """The style of the headings inside version sections (`### Added`), or None when the file uses none."""
    if level is None:
        return None
    for h in doc.headings:
        if h.level == level + 1:
            return h.style
    return None


def _find_date(text: str) -> re.Match[str] | None:
    found = [m for pattern in _DATES for m in [pattern.search(text)] if m]
    return min(found, key=lambda m: m.start()) if found else None


def format_date(iso: str, like: re.Match[str] | None) -> str:
    """`iso` (YYYY-MM-DD) written as the file writes its dates."""
    if like is None:
        return iso
    day = datetime.date.fromisoformat(iso)
    parts = like.groupdict()
    if parts.get("sep"):
        return day.strftime(f"%Y{parts['sep']}%m{parts['sep']}%d")
    name = _MONTHS[day.month - 1]
    month = parts["month"] or ""
    if len(month.rstrip(".")) == 3:
        name = name[:3] + ("." if month.endswith(".") and day.month != 5 else "")
    ordinal = ""
    if parts.get("ord"):
        ordinal = "th" if 10 <= day.day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day.day % 10, "th")
    number = f"{day.day}{ordinal}"
    comma = parts.get("comma") or ""
    if like.re is _DATES[1]:
        return f"{number} {name}{comma} {day.year}"
    return f"{name} {number}{comma} {day.year}"


def title_for(style: Style, version: str, date: str) -> str:
    return style.title.replace("{version}", version).replace("{date}", format_date(date, style.date))


def line_at(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def links_start(text: str) -> int:
    """Where the link reference definitions at the bottom of the file begin (len(text) if there are none)."""
    lines = text.split("\n")
    start = len(lines)
    while start > 0 and (not lines[start - 1].strip() or _LINK.match(lines[start - 1])):
        start -= 1
    while start < len(lines) and not lines[start].strip():
        start += 1
    return len(text) if start == len(lines) else sum(len(line) + 1 for line in lines[:start])


def update_links(text: str, version: str, tag: str, previous_tag: str | None, base: str) -> str:
    """Adds the link of the new version and moves Unreleased past it, if the file keeps link references: in the
    form of the latest version's link (a compare view or the release page), else a compare view."""
    lines = text.split("\n")

    def label(index: int) -> str:
        match = _LINK.match(lines[index])
        return match["label"].lower() if match else ""

    links_at = line_at(text, links_start(text)) - 1
    # A stale definition for this version (a section was deleted and the link left behind) is replaced.
    lines = [line for i, line in enumerate(lines) if i < links_at or label(i) != version.lower()]
    found = [i for i in range(links_at, len(lines)) if label(i) == "unreleased" or _VERSION_LABEL.match(label(i))]
    if not found:
        return text
    compare = f"{base}/compare/{previous_tag}...{tag}" if previous_tag else f"{base}/releases/tag/{tag}"
    latest = next((i for i in found if label(i) != "unreleased"), None)
    if latest is not None:
        url = _LINK.match(lines[latest])["url"]  # type: ignore[index]  # found holds link lines only
        page = re.match(r"^(?P<base>.+)/releases/tag/[^/]+$", url)
        if page:
            compare = f"{page['base']}/releases/tag/{tag}"
        view = re.match(r"^(?P<base>.+)/compare/[^/]+\.\.\.[^/]+$", url)
        if view and previous_tag:
            compare = f"{view['base']}/compare/{previous_tag}...{tag}"
    new = [f"[{version}]: {compare}"]
    unreleased = next((i for i in found if label(i) == "unreleased"), None)
    if unreleased is not None:
        old = _LINK.match(lines[unreleased])["url"]  # type: ignore[index]
        target = (
            old.replace(f"/compare/{previous_tag}...", f"/compare/{tag}...")
            if previous_tag and f"/compare/{previous_tag}..." in old
            else f"{base}/compare/{tag}...HEAD"
        )
        new.insert(0, f"{lines[unreleased].split(':', 1)[0]}: {target}")
        lines[unreleased : unreleased + 1] = new
    else:
        if any(is_unreleased_title(h) for h in parse_headings(text, "md")):
            new.insert(0, f"[Unreleased]: {base}/compare/{tag}...HEAD")
        lines[found[0] : found[0]] = new
    return "\n".join(lines)
