"""Inspect an existing repository, read-only, and report what ``releasekit init`` can prefill.

The result names the GitHub repository (from the ``origin`` remote), the default branch, the
files that carry the project's version, and the changelog.  Nothing here writes to disk: the
only side effects are reading files and running read-only ``git`` commands.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from releasekit.monorepo import Monorepo
    from releasekit.workflowfiles import ExistingWorkflowFile

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

__all__ = [
    "CHANGELOG_NAMES",
    "MAX_DEPTH",
    "SKIPPED_DIRS",
    "DetectedVersionFile",
    "Detection",
    "VersionFormat",
    "VersionKind",
    "detect",
    "find_changelog",
    "parse_github_remote",
]

VersionKind = Literal["toml", "json", "regex"]
VersionFormat = Literal["semver", "pep440"]

MAX_DEPTH = 4
"""Directories are descended at most this many levels below the root (``a/b/c/d/pyproject.toml``)."""

SKIPPED_DIRS = frozenset(
    {
        ".git",
        "node_modules",
        "target",
        ".venv",
        "venv",
        ".nox",
        ".tox",
        "dist",
        "build",
        "__pycache__",
        "site-packages",
    }
)
"""Directory names never descended into; hidden directories (``.name``) are skipped as well."""

CHANGELOG_NAMES = ("changelog", "changes", "history", "news", "release-notes", "releasenotes")
"""Changelog stems, by preference; matched case-insensitively, ``.md`` before ``.rst``."""

_CHANGELOG_SUFFIXES = (".md", ".rst")
_MAX_FILE_BYTES = 1 << 20
_GIT_TIMEOUT_SECONDS = 30
# Variables that would point git at another repository than ``root``.
_GIT_LOCATION_VARS = frozenset(
    {
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_COMMON_DIR",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_NAMESPACE",
    }
)


@dataclass(frozen=True)
class DetectedVersionFile:
    """One place that holds the project's version.

    ``locator`` is a dotted key for ``toml``/``json`` files (``"project.version"``,
    ``"package.version"``, ``"version"``).  For ``regex`` files it is a Python regular expression
    with a named group ``version``; it is anchored per line, so the caller must compile it with
    ``re.MULTILINE`` (``re.M``).
    """

    path: str
    """POSIX path relative to the repository root, e.g. ``"voice-agent/pyproject.toml"``."""
    kind: VersionKind
    locator: str
    format: VersionFormat
    """``pep440`` for ``pyproject.toml`` and ``.py`` files, ``semver`` otherwise."""
    version: str
    """The version string currently in the file."""


@dataclass(frozen=True)
class Detection:
    """Everything :func:`detect` found.

    ``version_files`` is sorted by (path, locator).  ``notes`` explains what was seen but not used:
    git notes first, then per-file notes (each starting with ``"<path>: "``) sorted by path, then
    changelog notes.  Notes never repeat the remote URL, which may carry credentials.
    """

    repository: str | None
    default_branch: str
    version_files: tuple[DetectedVersionFile, ...]
    changelog: str | None
    notes: tuple[str, ...]
    workflows: tuple[ExistingWorkflowFile, ...] = ()
    """The workflow files under ``.github/workflows`` that releasekit did not generate, sorted by name."""
    version_source: Literal["files", "tag"] = "files"
    """``tag`` when a ``pyproject.toml``'s build backend takes the version from the git tag (setuptools_scm, ...)."""
    python_projects: tuple[str, ...] = ()
    """The ``pyproject.toml`` files that declare a Python project (``[project]`` or ``[tool.poetry]``), sorted."""
    tags: tuple[str, ...] = ()
    """The repository's tags, newest first (at most 200): ``releasekit init`` reads the tag format from them."""
    monorepo: Monorepo | None = None
    """Set when the repository holds several independently versioned packages (``releasekit.monorepo``); then
    ``version_files`` holds only the files outside those packages."""
    package_files: tuple[DetectedVersionFile, ...] = ()
    """In a monorepo, the version files found inside its packages' folders, sorted by (path, locator)."""


# --------------------------------------------------------------------------- remotes

_URL_SCHEMES = frozenset({"http", "https", "ssh", "git", "git+ssh", "ssh+git"})
# scp-like syntax, ``[user[:password]@]host:path``: git's rule is a colon before any slash.
_SCP_LIKE = re.compile(r"(?:[^@/]+@)?(?P<host>[^/:@\s]+):(?P<path>.*)", re.DOTALL)
_PATH_SEGMENT = re.compile(r"[A-Za-z0-9_.-]+")


def parse_github_remote(url: str) -> str | None:
    """Return ``"owner/name"`` for a GitHub-style remote URL, or None.

    Accepts ``http(s)://[user[:pass]@]host[:port]/owner/name[.git][/]``,
    ``ssh://[user@]host[:port]/owner/name[.git]``, ``git://`` and scp-like
    ``[user@]host:owner/name[.git]`` for any host (GitHub Enterprise included).  Local paths,
    ``file://`` URLs and paths that are not exactly two segments give None.  Only the owner and
    name are ever returned, so credentials in the URL cannot leak through the result.
    """
    url = url.strip()
    if not url:
        return None
    if "://" in url:
        try:
            parts = urlsplit(url)
        except ValueError:
            return None
        if parts.scheme.lower() not in _URL_SCHEMES or not parts.hostname:
            return None
        return _owner_name(parts.path)
    match = _SCP_LIKE.fullmatch(url)
    # A one-letter "host" is a Windows drive ("C:\\src\\repo"), not a remote.
    if match is None or len(match["host"]) < 2:
        return None
    return _owner_name(match["path"])


def _owner_name(path: str) -> str | None:
    path = path.strip("/")
    path = path.removesuffix(".git")
    segments = path.split("/")
    if len(segments) != 2:
        return None
    for segment in segments:
        if segment in {".", ".."} or not _PATH_SEGMENT.fullmatch(segment):
            return None
    return "/".join(segments)


# --------------------------------------------------------------------------- git


class _GitFailed(Exception):
    """git could not be started at all."""


def _git(root: Path, *args: str) -> str | None:
    """Run a read-only git command in ``root``; its stripped stdout, or None if it failed."""
    env = {key: value for key, value in os.environ.items() if key not in _GIT_LOCATION_VARS}
    env["GIT_OPTIONAL_LOCKS"] = "0"  # never refresh the index or take locks: this is read-only
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            encoding="utf-8",
            errors="replace",
            env=env,
            timeout=_GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None
    except OSError as exc:
        raise _GitFailed(exc.strerror or str(exc)) from exc
    if proc.returncode != 0:
        return None
    return proc.stdout.strip()


def _strip_prefix(ref: str | None, prefix: str) -> str | None:
    if ref is None or not ref.startswith(prefix) or len(ref) == len(prefix):
        return None
    return ref[len(prefix) :]


_NO_REPOSITORY = "repository not detected, default branch 'main' assumed"


def _detect_git(root: Path) -> tuple[str | None, str, list[str]]:
    """Return (repository, default branch, notes)."""
    try:
        if _git(root, "rev-parse", "--git-dir") is None:
            return None, "main", [f"not a git repository: {_NO_REPOSITORY}"]
        repository, notes = _origin_repository(root)
        branch, branch_notes = _default_branch(root)
    except _GitFailed as exc:
        return None, "main", [f"git could not be run ({exc}): {_NO_REPOSITORY}"]
    return repository, branch, [*notes, *branch_notes]


def _origin_repository(root: Path) -> tuple[str | None, list[str]]:
    url = _git(root, "remote", "get-url", "origin")
    if url is None:
        return None, ["no 'origin' remote: repository not detected"]
    repository = parse_github_remote(url)
    if repository is None:
        # The URL itself is not repeated: it may carry credentials.
        return None, ["the 'origin' remote is not a GitHub-style owner/name URL: repository not detected"]
    return repository, []


def _default_branch(root: Path) -> tuple[str, list[str]]:
    origin_head = _git(root, "symbolic-ref", "--quiet", "refs/remotes/origin/HEAD")
    branch = _strip_prefix(origin_head, "refs/remotes/origin/")
    if branch is not None:
        return branch, []
    branch = _strip_prefix(_git(root, "symbolic-ref", "--quiet", "HEAD"), "refs/heads/")
    if branch is None:
        return "main", ["origin/HEAD is not set and HEAD is detached: default branch 'main' assumed"]
    return branch, [f"origin/HEAD is not set: default branch taken from the current branch '{branch}'"]


# --------------------------------------------------------------------------- version files

_MISSING = object()


@dataclass
class _Findings:
    files: list[DetectedVersionFile] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (path, note), sorted by path later
    root: Path | None = None  # where a pyproject's backend files are read from
    tag_versioned: bool = False  # a build backend takes the version from the git tag
    python_projects: list[str] = field(default_factory=list)
    generated: set[str] = field(default_factory=set)  # written by a backend at build time: never a version file
    backend_files: list[DetectedVersionFile] = field(default_factory=list)  # the files a build backend reads

    def note(self, path: str, message: str) -> None:
        self.notes.append((path, f"{path}: {message}"))

    def add(self, path: str, kind: VersionKind, locator: str, fmt: VersionFormat, value: object) -> None:
        if not isinstance(value, str):
            self.note(path, f"{locator} is not a string (found {type(value).__name__}); not added")
        elif not value.strip():
            self.note(path, f"{locator} is empty; not added")
        else:
            self.files.append(DetectedVersionFile(path, kind, locator, fmt, value))


def _lookup(data: object, dotted: str) -> object:
    for key in dotted.split("."):
        if not isinstance(data, dict) or key not in data:
            return _MISSING
        data = data[key]
    return data


_TOML_ERROR = re.compile(r"(?P<msg>.*) \(at (?:line (?P<line>\d+), column \d+|end of document)\)", re.DOTALL)


def _load_toml(path: str, text: str, out: _Findings) -> dict[str, object] | None:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_ERROR.fullmatch(str(exc))
        if match is None:
            message, line = str(exc), "?"
        else:
            message = match["msg"]
            line = match["line"] or f"{max(len(text.splitlines()), 1)} (end of file)"
        out.note(path, f"invalid TOML at line {line} ({message}); not added")
        return None


def _load_json(path: str, text: str, out: _Findings) -> dict[str, object] | None:
    try:
        data: object = json.loads(text)
    except json.JSONDecodeError as exc:
        out.note(path, f"invalid JSON at line {exc.lineno} ({exc.msg}); not added")
        return None
    if not isinstance(data, dict):
        out.note(path, "the top level is not a JSON object; not added")
        return None
    return data


def _pyproject(path: str, text: str, out: _Findings) -> None:
    data = _load_toml(path, text, out)
    if data is None:
        return
    dynamic = _lookup(data, "project.dynamic")
    poetry = _lookup(data, "tool.poetry.version")
    if isinstance(_lookup(data, "project"), dict) or isinstance(_lookup(data, "tool.poetry"), dict):
        out.python_projects.append(path)
    if poetry is not _MISSING and _lookup(data, "tool.poetry-dynamic-versioning.enable") is True:
        _dynamic_version(path, data, out)
        return
    if isinstance(dynamic, list) and "version" in dynamic:
        if poetry is _MISSING:
            _dynamic_version(path, data, out)
        else:  # Poetry 2 declares `dynamic = ["version"]` and keeps the version in [tool.poetry]
            out.add(path, "toml", "tool.poetry.version", "pep440", poetry)
        return
    version = _lookup(data, "project.version")
    if version is not _MISSING:
        out.add(path, "toml", "project.version", "pep440", version)
    elif poetry is not _MISSING:
        out.add(path, "toml", "tool.poetry.version", "pep440", poetry)
    else:
        out.note(path, "no project.version or tool.poetry.version; not added")


def _dynamic_version(path: str, data: dict[str, object], out: _Findings) -> None:
    """The version is the build backend's: from the git tag (nothing to edit), or from a file it reads."""
    from releasekit.pyversion import version_source

    def read(rel: str) -> str | None:
        if out.root is None or rel.startswith("../"):
            return None
        target = out.root / rel
        return _read_text(target, rel, out) if target.is_file() else None

    source = version_source(data, path, read)
    if source.kind == "tag":
        out.tag_versioned = True
        out.generated.update(source.generated)
        out.note(path, f"version from git tags ({source.tool}: {source.why}): releases are the tags; nothing to edit")
    elif source.kind == "file":
        for bf in source.files:
            count = len(out.files)
            out.add(bf.path, bf.kind, bf.locator, bf.format, bf.version)
            out.backend_files += out.files[count:]
            out.note(path, f"version read by {source.tool} from {bf.path} ({source.why}): bumped there")
    else:
        why = f"{source.why}: {source.problem}" if source.problem else source.why
        out.note(
            path,
            f"version is dynamic and releasekit cannot tell where {source.tool} takes it from ({why}); not added: "
            "list the file that carries it in versioning.files, or set versioning.source: tag",
        )


def _cargo(path: str, text: str, out: _Findings) -> None:
    data = _load_toml(path, text, out)
    if data is None:
        return
    version = _lookup(data, "package.version")
    if isinstance(version, dict) and version.get("workspace") is True:
        out.note(path, "version is inherited from the workspace (version.workspace = true); not added")
    elif version is not _MISSING:
        out.add(path, "toml", "package.version", "semver", version)
    workspace = _lookup(data, "workspace.package.version")
    if workspace is not _MISSING:
        out.add(path, "toml", "workspace.package.version", "semver", workspace)
    if version is _MISSING and workspace is _MISSING:
        out.note(path, "no package.version or workspace.package.version; not added")


def _package_json(path: str, text: str, out: _Findings) -> None:
    data = _load_json(path, text, out)
    if data is None:
        return
    if "version" in data:
        out.add(path, "json", "version", "semver", data["version"])
    else:
        out.note(path, "no version field; not added")


def _tauri_conf(path: str, text: str, out: _Findings) -> None:
    data = _load_json(path, text, out)
    if data is None:
        return
    locator = "version"  # Tauri v2
    value = _lookup(data, locator)
    if value is _MISSING:
        locator = "package.version"  # Tauri v1
        value = _lookup(data, locator)
    if value is _MISSING:
        out.note(path, "no version (Tauri falls back to Cargo.toml's package.version); not added")
    elif isinstance(value, str) and value.endswith(".json"):
        out.note(path, f"{locator} points to {value}, which holds the version; not added")
    else:
        out.add(path, "json", locator, "semver", value)


_PY_VERSION_LINE = re.compile(
    r"^(?P<prefix>__version__(?:[ \t]*:[ \t]*str)?[ \t]*=[ \t]*)"
    r"(?P<quote>[\"'])(?P<version>[^\"'\r\n]+)(?P=quote)"
    r"(?P<rest>[ \t]*(?:#[^\r\n]*)?)(?P<cr>\r?)$",
    re.MULTILINE,
)


def _python(path: str, text: str, out: _Findings) -> None:
    matches = list(_PY_VERSION_LINE.finditer(text))
    if not matches:
        return  # most __init__.py files carry no version; that is not worth a note
    if len(matches) > 1:
        line = _line_of(text, matches[0])
        out.note(path, f"{len(matches)} __version__ assignments; using the first (line {line})")
    match = matches[0]
    quote = match["quote"]
    # The prefix holds only `__version__`, `:`, `str`, `=` and blanks: nothing regex-special.
    prefix = match["prefix"].replace("\t", r"\t")
    locator = f"^{prefix}{quote}(?P<version>[^{quote}]+){quote}"
    if not match["rest"]:
        locator += r"\r?$" if match["cr"] else "$"
    out.add(path, "regex", locator, "pep440", match["version"])


def _line_of(text: str, match: re.Match[str]) -> int:
    return text.count("\n", 0, match.start()) + 1


_Handler = Callable[[str, str, _Findings], None]
_HANDLERS: dict[str, _Handler] = {
    "pyproject.toml": _pyproject,
    "Cargo.toml": _cargo,
    "package.json": _package_json,
    "tauri.conf.json": _tauri_conf,
    "__init__.py": _python,
    "version.py": _python,
    "_version.py": _python,
}


def _walk(root: Path, out: _Findings) -> Iterator[tuple[str, Path]]:
    """Yield (POSIX path relative to root, path) for candidate files, in sorted order."""

    def on_error(exc: OSError) -> None:
        rel = _relative(root, exc.filename)
        out.note(rel, f"could not be listed ({exc.strerror or exc}); skipped")

    for dirpath, dirnames, filenames in os.walk(root, onerror=on_error):
        rel_dir = Path(dirpath).relative_to(root)
        depth = len(rel_dir.parts)
        dirnames[:] = sorted(
            name for name in dirnames if depth < MAX_DEPTH and name not in SKIPPED_DIRS and not name.startswith(".")
        )
        for name in sorted(filenames):
            if name in _HANDLERS:
                yield (rel_dir / name).as_posix(), Path(dirpath, name)


def _relative(root: Path, filename: object) -> str:
    if not isinstance(filename, str):
        return "."
    try:
        return Path(filename).relative_to(root).as_posix()
    except ValueError:
        return filename


def _read_text(path: Path, rel: str, out: _Findings) -> str | None:
    try:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            out.note(rel, "is a symbolic link; not added")
            return None
        if not stat.S_ISREG(info.st_mode):
            return None
        if info.st_size > _MAX_FILE_BYTES:
            out.note(rel, f"is larger than {_MAX_FILE_BYTES} bytes; not read")
            return None
        raw = path.read_bytes()
    except OSError as exc:
        out.note(rel, f"could not be read ({exc.strerror or exc}); not added")
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        out.note(rel, f"is not valid UTF-8 (byte {exc.start}); not added")
        return None


# --------------------------------------------------------------------------- changelog


def find_changelog(root: Path) -> tuple[str | None, list[str]]:
    """The changelog of the project at ``root`` (a path relative to it, or None) and notes about the choice."""
    return _find_changelog(root)


def _find_changelog(root: Path) -> tuple[str | None, list[str]]:
    """Towncrier's file when the project configures towncrier; else a file named like a changelog
    (CHANGELOG_NAMES) at the root, then in docs/ or doc/, one that lists versions before a stub that only points
    elsewhere (pytest's CHANGELOG.rst)."""
    from releasekit import changelog, towncrier

    tool = towncrier.find(root)
    if tool is not None:
        note = (
            f"changelog: {tool.filename} is compiled by towncrier from {tool.directory}/ ([tool.towncrier] in "
            f"{tool.source}): a release runs `towncrier build`, so towncrier must be installed beside releasekit"
        )
        return tool.filename, [note]
    candidates: list[tuple[bool, int, int, int, str]] = []
    for place, folder in enumerate(("", "docs", "doc")):
        try:
            entries = list((root / folder).iterdir())
        except OSError:
            continue
        for entry in entries:
            stem, dot, suffix = entry.name.lower().rpartition(".")
            if not dot or stem not in CHANGELOG_NAMES or f".{suffix}" not in _CHANGELOG_SUFFIXES:
                continue
            if not entry.is_file():
                continue
            rel = f"{folder}/{entry.name}" if folder else entry.name
            found = _Findings()
            text = _read_text(entry, rel, found)
            stub = text is None or not changelog.lists_versions(text, path=rel)
            if folder and stub:
                continue  # a documentation page named "changelog" that lists no version is not one
            rank = (CHANGELOG_NAMES.index(stem), _CHANGELOG_SUFFIXES.index(f".{suffix}"))
            candidates.append((stub, place, *rank, rel))
    if not candidates:
        return None, []
    candidates.sort()
    chosen = candidates[0][-1]
    notes = []
    if len(candidates) > 1:
        others = ", ".join(c[-1] for c in candidates[1:])
        notes.append(f"several changelogs; using {chosen} (also found: {others})")
    return chosen, notes


# --------------------------------------------------------------------------- entry point


def detect(root: Path) -> Detection:
    """Inspect the repository at ``root`` without changing anything.

    A missing git repository, ``origin`` remote or ``origin/HEAD`` is reported in ``notes``, as
    is every version file that was found but could not be used.  Raises ``NotADirectoryError``
    only if ``root`` is not a directory.
    """
    root = Path(root)
    if not root.is_dir():
        raise NotADirectoryError(f"{root} is not a directory")
    repository, default_branch, git_notes = _detect_git(root)

    found = _Findings(root=root)
    for rel, path in _walk(root, found):
        text = _read_text(path, rel, found)
        if text is not None:
            _HANDLERS[path.name](rel, text, found)

    from releasekit import monorepo

    tags = _recent_tags(root)
    workspace = monorepo.find(root, tags)
    version_files = _version_files(found)  # before the notes are gathered: it notes what it leaves out
    package_files = tuple(vf for vf in version_files if workspace is not None and workspace.owns(vf.path))
    version_files = _agreeing(version_files, tags, workspace, found)
    changelog, changelog_notes = _find_changelog(root)
    from releasekit import workflowfiles

    workflows, workflow_notes = workflowfiles.find(root)
    file_notes = [message for _, message in sorted(found.notes, key=lambda item: item[0])]
    return Detection(
        repository=repository,
        default_branch=default_branch,
        version_files=version_files,
        changelog=changelog,
        notes=(*git_notes, *file_notes, *changelog_notes, *workflow_notes),
        workflows=workflows,
        version_source="tag" if found.tag_versioned else "files",
        python_projects=tuple(sorted(found.python_projects)),
        tags=tags,
        monorepo=workspace,
        package_files=package_files,
    )


def _recent_tags(root: Path) -> tuple[str, ...]:
    """The tags, newest first by their date (an annotated tag's own, else its commit's); none outside git."""
    try:
        out = _git(root, "for-each-ref", "--sort=-creatordate", "--count=200", "--format=%(refname)", "refs/tags")
    except _GitFailed:
        return ()
    return tuple(line.removeprefix("refs/tags/") for line in (out or "").splitlines() if line)


def _agreeing(
    files: tuple[DetectedVersionFile, ...], tags: tuple[str, ...], workspace: Monorepo | None, out: _Findings
) -> tuple[DetectedVersionFile, ...]:
    """The files that carry the project's version (``releasekit.versionagree``), the others noted; in a monorepo,
    only the files outside its packages, read against the repository's own tags (not the packages' families)."""
    import datetime

    from releasekit.monorepo import tag_family
    from releasekit.versionagree import agreeing

    if workspace is not None:
        inside = [vf for vf in files if workspace.owns(vf.path)]
        if inside:
            out.notes.append(
                (
                    "",
                    f"{len(inside)} version files of the {len(workspace.packages)} workspace packages left out of "
                    "the repository's own versioning: they hold the packages' own versions",
                )
            )
        files = tuple(vf for vf in files if not workspace.owns(vf.path))
        tags = tuple(tag for tag in tags if tag_family(tag) is None)
    kept, notes = agreeing(files, tags, year=datetime.datetime.now(datetime.timezone.utc).year)
    out.notes += notes
    return tuple(kept)


def _version_files(found: _Findings) -> tuple[DetectedVersionFile, ...]:
    """Sorted by (path, locator); one entry per place (a backend's file may also be found by the walk, as
    maturin's Cargo.toml is); never a file a backend writes at build time (setuptools_scm's `version_file`)."""
    kept: dict[tuple[str, str], DetectedVersionFile] = {}
    # What a build backend reads wins over the walk's own guess at the same file: one regex per file (two
    # spellings of one `__version__` line would both edit it), one entry per TOML/JSON key.
    for vf in sorted(found.files, key=lambda f: f not in found.backend_files):
        if vf.path in found.generated:
            found.note(vf.path, "is written by the build backend from the git tag; not added")
            continue
        kept.setdefault((vf.path, "" if vf.kind == "regex" else vf.locator), vf)
    return tuple(sorted(kept.values(), key=lambda f: (f.path, f.locator)))
