"""Change files: the bumps a monorepo records as files instead of in its commit messages, read for `release auto`.

Two tools write them, both a Markdown file whose YAML frontmatter names packages and bumps and whose body is the
changelog entry:

- covector (tauri): `.changes/*.md` (not `readme.md`), keys are covector's package names, mapped to folders by
  `.changes/config.json` (`packages: {"fs-js": {"path": "./plugins/fs", "manager": "javascript"}}`). A key maps to
  the declared package whose `path` is that folder; when two packages share the folder (a crate and an npm
  package), the manager picks: `javascript` the one whose version file is a package.json, `rust` a Cargo.toml.
  A bump may carry covector's tag (`patch:bug`): the word before the colon counts.
- changesets (npm): `.changeset/*.md` (not `README.md`), keys are npm package names, mapped to the declared
  package whose folder's package.json has that `name`.

A bump is `patch`, `minor` or `major`, taken as written (major before 1.0.0 is 1.0.0, as both tools do); changesets'
`none` bumps nothing. covector's `prerelease`/`prepatch`/`preminor`/`premajor` belong to its pre-release mode
(`.changes/pre.json`), which releasekit does not read: refused, naming the file. A key that maps to no declared
package is a note, never an error. Pure: reads files under the root, no git.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal

import yaml

from releasekit.config.model import Config
from releasekit.conventional import ORDER, Bump
from releasekit.errors import ReleasekitError

__all__ = [
    "DIRECTORIES",
    "ChangeFile",
    "ChangeFileError",
    "ChangeSet",
    "Entry",
    "Pending",
    "consumed",
    "entry_text",
    "gather",
    "parse",
    "read",
    "removed_text",
]

Tool = Literal["covector", "changesets"]
DIRECTORIES: dict[str, Tool] = {".changes": "covector", ".changeset": "changesets"}
_SKIPPED = {"readme.md"}  # covector's readme.md, changesets' README.md
_PRE = ("prerelease", "prepatch", "preminor", "premajor")
_FRONTMATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(?P<head>.*?)^---[ \t]*\r?$\n?(?P<body>.*)\Z", re.DOTALL | re.M)
_MANIFEST = {"javascript": "package.json", "rust": "Cargo.toml"}


class ChangeFileError(ReleasekitError):
    """A change file releasekit cannot read as the tool that wrote it would."""


@dataclass(frozen=True)
class ChangeFile:
    """One change file: its path (posix, relative to the root), the tool it belongs to, each key's bump word (None:
    changesets' `none`), and its body, the changelog entry."""

    path: str
    tool: Tool
    bumps: tuple[tuple[str, Bump | None], ...]
    body: str

    @property
    def name(self) -> str:
        return PurePosixPath(self.path).name

    @property
    def summary(self) -> str:
        """The body's first line that says something (at most 100 characters), for the plan."""
        line = next((s.strip() for s in self.body.splitlines() if s.strip()), "(no description)")
        line = line.lstrip("#-* ").strip() or line
        return line if len(line) <= 100 else line[:99] + "…"


@dataclass(frozen=True)
class Entry:
    """A change file read against the config: the declared packages it bumps, and the keys that are none of them."""

    file: ChangeFile
    packages: tuple[tuple[str, Bump], ...]
    unknown: tuple[str, ...] = ()

    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.packages)


@dataclass(frozen=True)
class Pending:
    """One change file's part in one package's decision."""

    file: ChangeFile
    bump: Bump
    packages: tuple[str, ...]  # every declared package the file bumps

    def line(self) -> str:
        return f"{self.file.name} ({self.bump}): {self.file.summary}"


@dataclass(frozen=True)
class ChangeSet:
    """Every pending change file of the repository, mapped to its declared packages."""

    entries: tuple[Entry, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def for_package(self, name: str, counts: Callable[[ChangeFile], bool] = lambda _: True) -> list[Pending]:
        """The change files that bump `name` (and `counts` for it: not consumed by an earlier release of it)."""
        return [
            Pending(e.file, bump, e.names())
            for e in self.entries
            for key, bump in e.packages
            if key == name and counts(e.file)
        ]


def parse(text: str, path: str, tool: Tool) -> ChangeFile:
    """A change file's frontmatter and body. Raises ChangeFileError, naming the file and what to fix."""
    found = _FRONTMATTER.match(text)
    if found is None:
        msg = f"{path}: a {tool} change file starts with YAML frontmatter between `---` lines; none found"
        raise ChangeFileError(msg)
    try:
        head = yaml.safe_load(found["head"]) if found["head"].strip() else {}
    except yaml.YAMLError as exc:
        raise ChangeFileError(f"{path}: its frontmatter is not YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(head, dict):
        raise ChangeFileError(f'{path}: its frontmatter is not a mapping of package to bump (`"name": patch`)')
    bumps: list[tuple[str, Bump | None]] = []
    for key, value in head.items():
        word = str(value).strip().lower().split(":", 1)[0] if value is not None else ""
        if word in _PRE:
            msg = (
                f"{path}: {key!r} asks for covector's {word!r}, which belongs to covector's pre-release mode "
                "(.changes/pre.json); releasekit does not read it: write patch, minor or major, or release the "
                f"package by hand with a prerelease (`releasekit release NAME minor --pre rc`)"
            )
            raise ChangeFileError(msg)
        if word == "none" and tool == "changesets":
            bumps.append((str(key), None))
            continue
        if word not in ORDER:
            raise ChangeFileError(f"{path}: {key!r} has the bump {value!r}; write patch, minor or major")
        bumps.append((str(key), word))
    return ChangeFile(path, tool, tuple(bumps), found["body"].strip("\n").replace("\r\n", "\n"))


def read(root: Path) -> list[ChangeFile]:
    """Every change file under `.changes/` and `.changeset/`, by path."""
    files: list[ChangeFile] = []
    for directory, tool in DIRECTORIES.items():
        folder = root / directory
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.md")):
            if path.name.lower() in _SKIPPED or not path.is_file():
                continue
            rel = f"{directory}/{path.name}"
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise ChangeFileError(f"{rel}: cannot be read: {exc}") from None
            files.append(parse(text, rel, tool))
    return files


def gather(root: Path, config: Config) -> ChangeSet:
    """The repository's change files mapped to the config's packages (none when it declares no `packages:`)."""
    if not config.packages:
        return ChangeSet()
    files = read(root)
    if not files:
        return ChangeSet()
    covector = _covector_keys(root, config) if any(f.tool == "covector" for f in files) else {}
    npm = _npm_names(root, config) if any(f.tool == "changesets" for f in files) else {}
    entries: list[Entry] = []
    notes: list[str] = []
    for f in files:
        known = covector if f.tool == "covector" else npm
        packages = tuple((known[key], bump) for key, bump in f.bumps if key in known and bump is not None)
        unknown = tuple(key for key, _ in f.bumps if key not in known)
        if unknown:
            how = ".changes/config.json's packages" if f.tool == "covector" else "a declared package's package.json"
            notes.append(f"{f.path}: {', '.join(unknown)}: not a declared package (by {how}); left out")
        entries.append(Entry(f, packages, unknown))
    return ChangeSet(tuple(entries), tuple(notes))


def consumed(
    entries: Iterable[Entry], released: set[str], counts: Callable[[str, ChangeFile], bool]
) -> tuple[list[str], list[str]]:
    """The change files a release of `released` deletes, and a note for each it keeps. A file goes when every
    package it bumps and that still counts it (`counts(name, file)`: not consumed by an earlier release of that
    package) is released now; one of them left out keeps it (its other packages do not count it again: their
    release tags are newer than it)."""
    removed: list[str] = []
    kept: list[str] = []
    for e in entries:
        used = [name for name in e.names() if name in released and counts(name, e.file)]
        if not used:
            continue
        waiting = [name for name in e.names() if name not in released and counts(name, e.file)]
        if waiting:
            kept.append(f"{e.file.path} kept: it also bumps {', '.join(waiting)}, not released now")
        else:
            removed.append(e.file.path)
    return removed, kept


def removed_text(paths: Iterable[str]) -> str:
    """`2 news fragments: a, b; 1 change file: .changes/x.md`: what the release commit deletes, for the plan."""
    every = list(paths)
    changes = [p for p in every if p.split("/", 1)[0] in DIRECTORIES]
    fragments = [p for p in every if p not in changes]
    parts = []
    for found, noun in ((fragments, "news fragment"), (changes, "change file")):
        if found:
            parts.append(f"{len(found)} {noun}{'s' * (len(found) != 1)}: {', '.join(found)}")
    return "; ".join(parts)


def entry_text(body: str) -> str:
    """A change file's body as one list entry (without its bullet): continuation lines indented two spaces."""
    lines = body.strip("\n").splitlines()
    first = lines[0].lstrip() if lines else ""
    return "\n".join([first, *(f"  {line}" if line.strip() else "" for line in lines[1:])])


def _norm(path: str) -> str:
    parts = [p for p in PurePosixPath(path.replace("\\", "/")).parts if p not in (".", "/")]
    return "/".join(parts)


def _covector_keys(root: Path, config: Config) -> dict[str, str]:
    """covector package key -> declared package, by `.changes/config.json` paths (and managers, for a shared
    folder)."""
    source = root / ".changes" / "config.json"
    try:
        data = json.loads(source.read_text(encoding="utf-8")) if source.is_file() else {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ChangeFileError(f".changes/config.json: not JSON: {exc}; covector reads its packages there") from None
    packages = data.get("packages") if isinstance(data, dict) else None
    by_path: dict[str, list[str]] = {}
    for name in config.package_names():
        by_path.setdefault(_norm(config.packages[name].path), []).append(name)
    found: dict[str, str] = {}
    for key, spec in (packages or {}).items() if isinstance(packages, dict) else ():
        if not isinstance(spec, dict) or not isinstance(spec.get("path"), str):
            continue
        candidates = by_path.get(_norm(spec["path"]), [])
        chosen = _by_manager(config, candidates, spec.get("manager"))
        if chosen is not None:
            found[str(key)] = chosen
    return found


def _by_manager(config: Config, candidates: list[str], manager: object) -> str | None:
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    manifest = _MANIFEST.get(str(manager))
    matching = [
        name
        for name in candidates
        if manifest is not None
        and any(PurePosixPath(f.path).name == manifest for f in config.packages[name].versioning.files)
    ]
    return matching[0] if len(matching) == 1 else None


def _npm_names(root: Path, config: Config) -> Mapping[str, str]:
    """npm package name (a declared package's package.json `name`) -> declared package."""
    found: dict[str, str] = {}
    for name in config.package_names():
        manifest = root / config.packages[name].path / "package.json"
        try:
            data = json.loads(manifest.read_text(encoding="utf-8")) if manifest.is_file() else None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue
        if isinstance(data, dict) and isinstance(data.get("name"), str):
            own = any(PurePosixPath(f.path).name == "package.json" for f in config.packages[name].versioning.files)
            if own or data["name"] not in found:  # a shared folder: the package whose version file it is
                found[data["name"]] = name
    return found
