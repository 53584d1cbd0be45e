"""Plans the edit of every file that carries the version, changing only the version's characters in each."""

from __future__ import annotations

import copy
import difflib
import json
import posixpath
import re
import sys
from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import semver
import yaml
from packaging.version import InvalidVersion
from packaging.version import Version as Pep440Version

from releasekit.config.model import VersionFile
from releasekit.errors import ReleasekitError
from releasekit.locate import KeyPath, Kind, LocateError, find_slots
from releasekit.version import VersionError, format_version

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

__all__ = ["FileChange", "VersionFileError", "plan_bumps", "read_current"]

_FIX = "fix versioning.files in releasekit.yaml"
_BUG = "this is a releasekit bug, please report it (nothing was written)"
_CONTAINER = {"toml": "a table", "json": "an object", "yaml": "a mapping"}
_TOML_ERROR = re.compile(r"(?P<msg>.*) \(at (?:line (?P<line>\d+), column \d+|end of document)\)", re.DOTALL)


class VersionFileError(ReleasekitError):
    """A file that should carry the version cannot be read or edited as declared."""

    exit_code = 2


@dataclass(frozen=True)
class FileChange:
    """One planned edit: the whole text before and after, and where the version changed."""

    path: str  # posix, relative to the root
    before: str
    after: str
    old: str  # the version text found
    new: str
    line: int  # 1-based line of the (first) edit
    reason: str  # which value this is, e.g. "toml project.version" or "Cargo.lock entry for crate 'fluxion'"

    def diff(self) -> str:
        """A unified diff, as `git diff` shows it."""
        lines = difflib.unified_diff(_lines(self.before), _lines(self.after), f"a/{self.path}", f"b/{self.path}", n=3)
        return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def _lines(text: str) -> list[str]:
    # Not str.splitlines: it also splits at form feeds and other characters git does not treat as line ends.
    return re.findall(r"[^\n]*\n|[^\n]+\Z", text)


def _line(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def _shown(path: KeyPath) -> str:
    """A key path as people write it: `package.version`, `package[3].version`, `packages[""].version`."""
    shown = ""
    for part in path:
        if isinstance(part, int) or not re.fullmatch(r"[A-Za-z0-9_-]+", part):
            shown += f"[{json.dumps(part)}]"
        else:
            shown += f".{part}" if shown else part
    return shown


def _load(kind: Kind, path: str, text: str) -> Any:
    """The parsed document; an unreadable one is an error located at the parser's line."""
    try:
        if kind == "toml":
            return tomllib.loads(text)
        if kind == "json":
            # NaN would never equal itself in the after-edit check; keep such constants as their text.
            return json.loads(text, parse_constant=str)
        return yaml.safe_load(text)
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_ERROR.fullmatch(str(exc))
        message = match["msg"] if match else str(exc)
        line = match["line"] if match and match["line"] else str(text.count("\n") + 1)
    except json.JSONDecodeError as exc:
        message, line = exc.msg, str(exc.lineno)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        message = getattr(exc, "problem", None) or str(exc)
        line = str(mark.line + 1) if mark is not None else "1"
    msg = f"{path}:{line}: invalid {kind.upper()}: {message}; fix the file (releasekit reads it to change the version)"
    raise VersionFileError(msg)


class _Document:
    """A TOML, JSON or YAML file: its text, its data, and where each value is written."""

    def __init__(self, kind: Kind, path: str, text: str) -> None:
        # tomllib and json refuse a byte order mark; set it aside and put it back on write.
        self.bom = "\ufeff" if text.startswith("\ufeff") else ""
        self.kind, self.path, self.text = kind, path, text[len(self.bom) :]
        self.data = _load(kind, path, self.text)
        try:
            self.slots = find_slots(self.text, kind)
        except LocateError as exc:
            raise VersionFileError(f"{path}:{_line(self.text, exc.index)}: {exc}; {_BUG}") from exc

    def get(self, path: KeyPath) -> tuple[bool, Any]:
        data = self.data
        try:
            for part in path:
                data = data[part]  # paths hold names and list indexes, never an index into a string
        except (KeyError, IndexError, TypeError):
            return False, None
        return True, data

    def string(self, path: KeyPath) -> tuple[str, int]:
        """The string at `path` and its line; an error if it is missing or not a string."""
        found, value = self.get(path)
        if not found:
            raise VersionFileError(f"{self.path}: no key '{_shown(path)}'; {_FIX}")
        slot = self.slots.get(path)
        if isinstance(value, str) and slot is not None and slot.string:
            return value, _line(self.text, slot.start)
        starts = [s.start for p, s in self.slots.items() if p[: len(path)] == path]
        where = (f"{self.path}:{_line(self.text, min(starts))}" if starts else self.path) + f": '{_shown(path)}'"
        if isinstance(value, str):  # only YAML has strings without a string slot
            msg = f"{where} is a YAML alias or block scalar (| or >); write the version itself there, on one line"
        elif self.kind == "toml" and value == {"workspace": True}:
            msg = (
                f"{where} is inherited from the workspace ({{ workspace = true }}); declare the workspace's "
                "Cargo.toml with `toml: workspace.package.version` in versioning.files instead"
            )
        else:
            msg = f"{where} is {_describe(self.kind, value)}, not a string; {_FIX}"
        raise VersionFileError(msg)

    def replace(self, edits: Sequence[tuple[KeyPath, str]]) -> str:
        """The whole text with the strings at these paths replaced, after checking that nothing else changed."""
        text = self.text
        for slot, new in sorted(((self.slots[p], new) for p, new in edits), key=lambda e: -e[0].start):
            text = text[: slot.start] + new + text[slot.end :]
        expected = copy.deepcopy(self.data)
        for path, new in edits:
            parent = expected
            for part in path[:-1]:
                parent = parent[part]
            parent[path[-1]] = new
        try:
            same = _load(self.kind, self.path, text) == expected
        except VersionFileError:
            same = False
        if not same:
            keys = ", ".join(f"'{_shown(p)}'" for p, _ in edits)
            msg = f"{self.path}: the edit of {keys} would change more than the version; {_BUG}"
            raise VersionFileError(msg)
        return self.bom + text


def _describe(kind: Kind, value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"a number ({value!r}; quote it)"
    return {dict: _CONTAINER[kind], list: "an array", type(None): "null"}.get(type(value), f"a {type(value).__name__}")


# --- regex ----------------------------------------------------------------------------------------------------


def _regex_span(path: str, text: str, pattern: str) -> tuple[int, int]:
    """The span of the `version` group of the one match of `pattern` (multi-line mode)."""
    try:
        regex = re.compile(pattern, re.MULTILINE)
    except re.error as exc:
        raise VersionFileError(f"{path}: invalid regex {pattern!r} ({exc}); {_FIX}") from exc
    if "version" not in regex.groupindex:
        raise VersionFileError(f"{path}: regex {pattern!r} has no group (?P<version>...); {_FIX}")
    # `$` in multi-line mode matches only before "\n", so a CRLF file (git's autocrlf on Windows) would never
    # match `...$`. Match on the text with LF line ends and map the positions back.
    crlf = [m.start() - n for n, m in enumerate(re.finditer("\r\n", text))]

    def original(index: int) -> int:
        return index + bisect_left(crlf, index)

    matches = list(regex.finditer(text.replace("\r\n", "\n")))
    lines = [_line(text, original(m.start())) for m in matches]
    where = f"{path}:{lines[0]}" if lines else path
    if len(matches) != 1:
        found = f"{len(matches)} times (lines {', '.join(map(str, lines))})" if matches else "nothing"
        msg = f"{where}: regex {pattern!r} matches {found}; it must match exactly once: {_FIX}"
        raise VersionFileError(msg)
    start, end = matches[0].span("version")
    if start < 0:
        msg = f"{where}: regex {pattern!r} matches, but its group 'version' captures nothing; {_FIX}"
        raise VersionFileError(msg)
    return original(start), original(end)


# --- the plan -------------------------------------------------------------------------------------------------


def _declared(vf: VersionFile) -> tuple[Kind | Literal["regex"], str]:
    for kind in ("toml", "json", "yaml", "regex"):
        key = getattr(vf, kind)
        if key is not None:
            return kind, key
    raise VersionFileError(f"{vf.path}: give one of toml, json, yaml or regex to say where the version is; {_FIX}")


def _read(root: Path, path: str) -> str:
    file = root / path
    if not file.is_file():
        raise VersionFileError(f"{path}: not found; {_FIX}")
    try:
        # newline="" keeps CRLF line ends as they are.
        with file.open(encoding="utf-8", newline="") as handle:
            return handle.read()
    except UnicodeDecodeError as exc:
        msg = f"{path}: not UTF-8 ({exc.reason} at byte {exc.start}); save it as UTF-8 so releasekit can edit it"
        raise VersionFileError(msg) from exc


def read_current(root: Path, vf: VersionFile) -> tuple[str, int]:
    """The version text at the declared location of `vf`, and its 1-based line."""
    kind, key = _declared(vf)
    text = _read(root, vf.path)
    if kind == "regex":
        start, end = _regex_span(vf.path, text, key)
        return text[start:end], _line(text, start)
    return _Document(kind, vf.path, text).string(tuple(key.split(".")))


def plan_bumps(
    root: Path, files: Sequence[VersionFile], version: semver.Version, texts: Mapping[str, str] | None = None
) -> list[FileChange]:
    """The edits that write `version` into every declared file and the lock files that repeat it, in declared
    order, each lock file right after the file it follows. Files already at `version` are left out (but must
    still hold the version where declared). A file named twice gets its second edit on top of the first. `texts`
    are files as an earlier edit leaves them (the release commit's, for the development commit after it)."""
    texts = dict(texts or {})
    changes: list[FileChange] = []

    def text_of(path: str) -> str:
        return texts[path] if path in texts else _read(root, path)

    for vf in files:
        kind, key = _declared(vf)
        try:
            new = format_version(version, vf.effective_format)
        except VersionError as exc:
            raise VersionFileError(f"{vf.path}: {exc}") from exc
        text = text_of(vf.path)
        planned: list[FileChange | None] = []
        if kind == "regex":
            planned.append(_regex_change(vf.path, text, key, new))
        else:
            document = _Document(kind, vf.path, text)
            path = tuple(key.split("."))
            planned.append(_change(document, [path], new, f"{kind} {key}"))
            name = PurePosixPath(vf.path).name
            if kind == "toml" and key == "package.version" and name == "Cargo.toml":
                planned.append(_cargo_lock_change(root, vf.path, document, new, text_of))
            if kind == "toml" and key == "workspace.package.version" and name == "Cargo.toml":
                planned.append(_cargo_workspace_lock_change(root, vf.path, document, new, text_of))
            if kind == "toml" and key in _PYPROJECT_VERSION and name == "pyproject.toml":
                planned.append(_uv_lock_change(root, vf.path, document, new, text_of))
            if kind == "json" and key == "version" and name == "package.json":
                planned.extend(_npm_lock_changes(root, vf.path, new, text_of))
        for change in planned:
            if change is not None:
                changes.append(change)
                texts[change.path] = change.after
    return changes


def _change(
    document: _Document, paths: Sequence[KeyPath], new: str, reason: str, also: Sequence[tuple[KeyPath, str]] = ()
) -> FileChange | None:
    """The edit writing `new` at `paths` (and the `also` edits with it), or None when they already hold it."""
    found = [(path, *document.string(path)) for path in paths]
    edits = [(path, new) for path, old, _ in found if old != new]
    if not edits:
        return None
    _, old, line = next(f for f in found if f[1] != new)
    edits += also
    return FileChange(document.path, document.bom + document.text, document.replace(edits), old, new, line, reason)


def _lock_references(packages: Any, crates: Mapping[str, str], new: str) -> list[tuple[KeyPath, str]]:
    """The `name version` references to these crates (name -> old version) in the lock's `dependencies` lists,
    spelled with the new version. Cargo writes the version there only when the lock holds two crates of one name
    (the workspace's and a crates.io copy); a bare `name` follows by itself."""
    edits: list[tuple[KeyPath, str]] = []
    for i, entry in enumerate(packages if isinstance(packages, list) else []):
        deps = entry.get("dependencies") if isinstance(entry, dict) else None
        for j, dep in enumerate(deps if isinstance(deps, list) else []):
            name, _, version = dep.partition(" ") if isinstance(dep, str) else ("", "", "")
            if name in crates and version == crates[name]:
                edits.append((("package", i, "dependencies", j), f"{name} {new}"))
    return edits


def _regex_change(path: str, text: str, pattern: str, new: str) -> FileChange | None:
    start, end = _regex_span(path, text, pattern)
    if text[start:end] == new:
        return None
    after = text[:start] + new + text[end:]
    # The bug guard: the same regex must find the new version, once, where the old one was.
    if _regex_span(path, after, pattern) != (start, start + len(new)):
        raise VersionFileError(f"{path}: after the edit regex {pattern!r} no longer finds the version; {_BUG}")
    return FileChange(path, text, after, text[start:end], new, _line(text, start), "regex")


def _cargo_lock_change(
    root: Path, manifest: str, document: _Document, new: str, text_of: Callable[[str], str]
) -> FileChange | None:
    """The crate's own entry in the nearest Cargo.lock (a workspace keeps one lock at its root)."""
    found, crate = document.get(("package", "name"))
    if not found or not isinstance(crate, str):
        return None
    lock = _nearest(root, manifest, "Cargo.lock")
    if lock is None:
        return None
    lock_document = _Document("toml", lock, text_of(lock))
    _, packages = lock_document.get(("package",))
    # The crate being released is the entry without a `source`: registry and git packages of the same name
    # (another version of it pulled in as a dependency) have one.
    entries = [
        index
        for index, entry in enumerate(packages if isinstance(packages, list) else [])
        if isinstance(entry, dict) and entry.get("name") == crate and "source" not in entry
    ]
    if len(entries) != 1:
        return None
    also = _lock_references(packages, {crate: packages[entries[0]].get("version")}, new)
    path: KeyPath = ("package", entries[0], "version")
    return _change(lock_document, [path], new, f"Cargo.lock entry for crate {crate!r}", also)


def _nearest(root: Path, manifest: str, name: str) -> str | None:
    """The lock file `name` beside the manifest or in the nearest directory above it (a workspace keeps one)."""
    parts = PurePosixPath(manifest).parent.parts
    nearest = ("/".join((*parts[:depth], name)) for depth in range(len(parts), -1, -1))
    return next((candidate for candidate in nearest if (root / candidate).is_file()), None)


def _cargo_workspace_lock_change(
    root: Path, manifest: str, document: _Document, new: str, text_of: Callable[[str], str]
) -> FileChange | None:
    """The Cargo.lock entries of the workspace's crates whose version is the workspace's (`version.workspace =
    true`): the ones the bump of `workspace.package.version` changes. A crate with a version of its own keeps it."""
    _, old = document.get(("workspace", "package", "version"))
    lock = _nearest(root, manifest, "Cargo.lock")
    if not isinstance(old, str) or lock is None:
        return None
    crates = sorted(_inheriting_crates(root, manifest, document, text_of))
    lock_document = _Document("toml", lock, text_of(lock))
    _, packages = lock_document.get(("package",))
    paths: list[KeyPath] = []
    for crate in crates:
        # As for a single crate: the workspace's own entry is the one without a `source`.
        entries = [
            index
            for index, entry in enumerate(packages if isinstance(packages, list) else [])
            if isinstance(entry, dict) and entry.get("name") == crate and "source" not in entry
        ]
        if len(entries) == 1 and packages[entries[0]].get("version") == old:
            paths.append(("package", entries[0], "version"))
    if not paths:
        return None
    names = ", ".join(repr(packages[path[1]]["name"]) for path in paths)
    also = _lock_references(packages, {packages[path[1]]["name"]: old for path in paths}, new)
    return _change(lock_document, paths, new, f"Cargo.lock entries for workspace crates {names}", also)


def _inheriting_crates(root: Path, manifest: str, document: _Document, text_of: Callable[[str], str]) -> set[str]:
    """The names of the workspace's crates (the root package and `workspace.members`, less `workspace.exclude`)
    whose `package.version` is `{ workspace = true }`."""
    base = PurePosixPath(manifest).parent
    _, members = document.get(("workspace", "members"))
    _, excluded = document.get(("workspace", "exclude"))
    skip = (
        {(base / item).as_posix() for item in excluded if isinstance(item, str)}
        if isinstance(excluded, list)
        else set()
    )
    manifests = {manifest: document.data}
    for pattern in members if isinstance(members, list) else []:
        if not isinstance(pattern, str):
            continue
        for directory in sorted((root / base).glob(pattern)):
            relative = directory.relative_to(root).as_posix()
            member = f"{relative}/Cargo.toml"
            if relative not in skip and (root / member).is_file() and member not in manifests:
                manifests[member] = _load("toml", member, text_of(member))
    crates = set()
    for data in manifests.values():
        package = data.get("package") if isinstance(data, dict) else None
        if (
            isinstance(package, dict)
            and isinstance(package.get("name"), str)
            and package.get("version") == {"workspace": True}
        ):
            crates.add(package["name"])
    return crates


# Where pyproject.toml gives a static version that uv records in uv.lock (`[project]`; Poetry 1's own table).
_PYPROJECT_VERSION = ("project.version", "tool.poetry.version")


def _uv_lock_change(
    root: Path, manifest: str, document: _Document, new: str, text_of: Callable[[str], str]
) -> FileChange | None:
    """The project's own entry in uv.lock: the `[[package]]` of its (normalized) name whose source is the
    project's directory (`{ editable = "." }`, `{ virtual = "." }`, or a workspace member's path). uv writes the
    version normalized (`8.5.0.dev` as `8.5.0.dev0`), and none for a dynamic version (then nothing changes).
    poetry.lock and pdm.lock list only the dependencies, never the project itself: they have nothing to follow."""
    key = ("project", "name") if document.get(("project", "name"))[0] else ("tool", "poetry", "name")
    _, project = document.get(key)
    lock = _nearest(root, manifest, "uv.lock")
    if not isinstance(project, str) or lock is None:
        return None
    wanted = _normalized_name(project)
    directory = PurePosixPath(manifest).parent
    lock_dir = PurePosixPath(lock).parent
    lock_document = _Document("toml", lock, text_of(lock))
    _, packages = lock_document.get(("package",))
    entries = []
    for index, entry in enumerate(packages if isinstance(packages, list) else []):
        if not isinstance(entry, dict) or _normalized_name(str(entry.get("name"))) != wanted:
            continue
        source = entry.get("source")
        local = [source.get(kind) for kind in ("editable", "virtual")] if isinstance(source, dict) else []
        if any(isinstance(p, str) and posixpath.normpath((lock_dir / p).as_posix()) == str(directory) for p in local):
            entries.append(index)
    if len(entries) != 1 or not isinstance(packages[entries[0]].get("version"), str):
        return None
    return _change(lock_document, [("package", entries[0], "version")], _pep440(new), f"uv.lock entry for {project!r}")


def _normalized_name(name: str) -> str:
    """A Python distribution name as uv and pip compare them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _pep440(text: str) -> str:
    """The version as Python packaging tools write it (`1.4.0-rc.1` -> `1.4.0rc1`); as given if not PEP 440."""
    try:
        return str(Pep440Version(text))
    except InvalidVersion:
        return text


def _npm_lock_changes(root: Path, manifest: str, new: str, text_of: Callable[[str], str]) -> list[FileChange | None]:
    """package-lock.json and npm-shrinkwrap.json repeat the version at the top and as packages[""].version."""
    changes: list[FileChange | None] = []
    for name in ("package-lock.json", "npm-shrinkwrap.json"):
        lock = str(PurePosixPath(manifest).with_name(name))
        if not (root / lock).is_file():
            continue
        document = _Document("json", lock, text_of(lock))
        # lockfileVersion 1 has no `packages`; lockfileVersion 3 may omit the top-level `version`.
        paths: list[KeyPath] = [p for p in (("version",), ("packages", "", "version")) if document.get(p)[0]]
        if paths:
            reason = f"{name} " + " and ".join(_shown(p) for p in paths)
            changes.append(_change(document, paths, new, reason))
    return changes
