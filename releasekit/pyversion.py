"""Where a Python project's build backend takes a dynamic version from: the git tag, or a file it reads.

`pyproject.toml` says `dynamic = ["version"]` and leaves the rest to the backend named in `[build-system]`: hatchling
reads `[tool.hatch.version]`, pdm-backend `[tool.pdm.version]`, flit the module's `__version__`, maturin the crate's
`Cargo.toml`, setuptools `[tool.setuptools.dynamic]`, and setuptools_scm, hatch-vcs, pdm's scm source, versioningit,
setuptools-git-versioning and poetry-dynamic-versioning (dunamai) the git tags. :func:`version_source` reads those
tables and says which, and why; it reads other files only through the `read` function it is given.
"""

from __future__ import annotations

import posixpath
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

__all__ = ["BackendFile", "Source", "version_source"]

Reader = Callable[[str], "str | None"]
"""Reads a file by its POSIX path relative to the repository root; None when it is absent or unreadable."""

# hatchling's default `pattern` for `[tool.hatch.version] path` (and what pdm-backend's file source and flit read):
# `__version__` or `VERSION`, `=`, a quoted string.
_ASSIGNMENT = re.compile(
    r"^(?P<prefix>(?:__version__|VERSION)[ \t]*(?::[ \t]*str[ \t]*)?=[ \t]*)(?P<quote>[\"'])v?"
    r"(?P<version>[^\"'\r\n]+)(?P=quote)",
    re.MULTILINE,
)


@dataclass(frozen=True)
class BackendFile:
    """A file the build backend reads the version from; the release bumps it like any version file."""

    path: str  # POSIX, relative to the repository root
    kind: Literal["toml", "regex"]
    locator: str  # a dotted TOML key, or a multi-line regex with a group `version`
    format: Literal["semver", "pep440"]
    version: str


@dataclass(frozen=True)
class Source:
    """What the backend does: `tag` (the git tag is the version), `file` (it reads `files`), `unknown`."""

    kind: Literal["tag", "file", "unknown"]
    tool: str  # who decides, for people: "setuptools_scm", "hatchling", "maturin", ...
    why: str  # the text in pyproject.toml that says so, e.g. `[tool.hatch.version] path = "httpx/__version__.py"`
    files: tuple[BackendFile, ...] = ()
    generated: tuple[str, ...] = ()  # files the backend writes at build time (setuptools_scm's `version_file`)
    problem: str = ""  # why a `file` source's file could not be used


def _get(data: object, dotted: str) -> object:
    for key in dotted.split("."):
        if not isinstance(data, Mapping) or key not in data:
            return None
        data = data[key]
    return data


def _requires(data: Mapping[str, object]) -> set[str]:
    """The distribution names in `[build-system] requires`, normalized (`setuptools_scm[toml]>=6` -> setuptools-scm)."""
    requires = _get(data, "build-system.requires")
    names = set()
    for spec in requires if isinstance(requires, list) else []:
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", str(spec))
        if match:
            names.add(re.sub(r"[-_.]+", "-", match[1]).lower())
    return names


def version_source(data: Mapping[str, object], pyproject: str, read: Reader) -> Source:
    """Where the version comes from for a `pyproject.toml` (at POSIX path `pyproject`) whose version is dynamic."""
    base = posixpath.dirname(pyproject)
    backend = str(_get(data, "build-system.build-backend") or _guess_backend(data))
    name = backend.split(":", maxsplit=1)[0].split(".", maxsplit=1)[0]
    tag = _tag_source(data, name)
    if tag is not None:
        return Source("tag", tag[0], tag[1], generated=_generated(data, base))
    if name == "hatchling":
        return _hatch(data, base, read)
    if name == "pdm":
        return _pdm(data, base, read)
    if name in ("flit_core", "flit"):
        return _flit(data, base, read)
    if name == "maturin":
        return _maturin(data, base, read)
    if name == "setuptools":
        return _setuptools(data, base, read)
    return Source("unknown", name, f'build-backend = "{backend}"')


def _guess_backend(data: Mapping[str, object]) -> str:
    """No `build-backend`: pip falls back to setuptools, but a backend's own table says which one is meant."""
    for table, backend in (
        ("tool.hatch.version", "hatchling.build"),
        ("tool.pdm.version", "pdm.backend"),
        ("tool.maturin", "maturin"),
        ("tool.flit", "flit_core.buildapi"),
    ):
        if isinstance(_get(data, table), Mapping):
            return backend
    return "setuptools.build_meta:__legacy__"


def _tag_source(data: Mapping[str, object], backend: str) -> tuple[str, str] | None:
    """(tool, why) when the version is the git tag."""
    requires = _requires(data)
    if backend == "hatchling":
        source = _get(data, "tool.hatch.version.source")
        if source in ("vcs", "uv-dynamic-versioning", "versioningit"):
            tool = "hatch-vcs" if source == "vcs" else str(source)
            return tool, f'[tool.hatch.version] source = "{source}"'
        return None
    if backend == "pdm":
        if _get(data, "tool.pdm.version.source") == "scm":
            return "pdm-backend", '[tool.pdm.version] source = "scm"'
        return None
    if _get(data, "tool.poetry-dynamic-versioning.enable") is True:
        return "poetry-dynamic-versioning", "[tool.poetry-dynamic-versioning] enable = true"
    if isinstance(_get(data, "tool.setuptools_scm"), Mapping):
        return "setuptools_scm", "[tool.setuptools_scm]"
    if isinstance(_get(data, "tool.versioningit"), Mapping):
        return "versioningit", "[tool.versioningit]"
    if _get(data, "tool.setuptools-git-versioning.enabled") is True:
        return "setuptools-git-versioning", "[tool.setuptools-git-versioning] enabled = true"
    if (
        backend == "setuptools"
        and "setuptools-scm" in requires
        and _get(data, "tool.setuptools.dynamic.version") is None
    ):
        return "setuptools_scm", "setuptools-scm in [build-system] requires"
    return None


def _generated(data: Mapping[str, object], base: str) -> tuple[str, ...]:
    """Files a tag-versioning backend writes the version into at build time: never edited, never a version file."""
    out = []
    for key in (
        "tool.setuptools_scm.write_to",
        "tool.setuptools_scm.version_file",
        "tool.hatch.build.hooks.vcs.version-file",
        "tool.pdm.version.write_to",
    ):
        value = _get(data, key)
        if isinstance(value, str) and value:
            out.append(_join(base, value))
    return tuple(sorted(set(out)))


def _join(base: str, path: str) -> str:
    return posixpath.normpath(posixpath.join(base, path))


def _assignment_file(tool: str, why: str, path: str, read: Reader, pattern: str | None = None) -> Source:
    """A Python (or plain) file with `__version__ = "X"`, or a custom `pattern` with a group `version`."""
    if path.startswith("../") or path == "..":
        return Source("unknown", tool, why, problem=f"{path} is outside the repository")
    text = read(path)
    if text is None:
        return Source("unknown", tool, why, problem=f"{path} is missing or cannot be read")
    if pattern is not None:
        try:
            match = re.search(pattern, text, re.MULTILINE)
        except (re.error, OverflowError, RecursionError) as exc:  # `a{99999999999}` and 1,000 nested groups too
            return Source("unknown", tool, why, problem=f"its pattern is not a valid regex ({exc})")
        if match is None or "version" not in match.groupdict():
            return Source("unknown", tool, why, problem=f"its pattern finds no version in {path}")
        return Source("file", tool, why, files=(BackendFile(path, "regex", pattern, "pep440", match["version"]),))
    found = _ASSIGNMENT.search(text)
    if found is None:
        return Source("unknown", tool, why, problem=f'{path} has no `__version__ = "..."` line')
    quote = found["quote"]
    prefix = re.escape(found["prefix"]).replace(r"\ ", " ")
    v = "v?" if found.group(0)[len(found["prefix"]) + 1] == "v" else ""
    locator = f"^{prefix}{quote}{v}(?P<version>[^{quote}\\r\\n]+){quote}"
    return Source("file", tool, why, files=(BackendFile(path, "regex", locator, "pep440", found["version"]),))


def _hatch(data: Mapping[str, object], base: str, read: Reader) -> Source:
    path = _get(data, "tool.hatch.version.path")
    if not isinstance(path, str):
        return Source("unknown", "hatchling", "[tool.hatch.version] has no `path`")
    pattern = _get(data, "tool.hatch.version.pattern")
    why = f'[tool.hatch.version] path = "{path}"'
    return _assignment_file("hatchling", why, _join(base, path), read, pattern if isinstance(pattern, str) else None)


def _pdm(data: Mapping[str, object], base: str, read: Reader) -> Source:
    source, path = _get(data, "tool.pdm.version.source"), _get(data, "tool.pdm.version.path")
    if source == "file" and isinstance(path, str):
        return _assignment_file(
            "pdm-backend", f'[tool.pdm.version] source = "file", path = "{path}"', _join(base, path), read
        )
    return Source("unknown", "pdm-backend", f"[tool.pdm.version] source = {source!r}")


def _flit(data: Mapping[str, object], base: str, read: Reader) -> Source:
    module = _get(data, "tool.flit.module.name") or str(_get(data, "project.name") or "").replace("-", "_")
    module_path = str(module).replace(".", "/")
    why = f"the module {module}'s __version__"
    for candidate in (
        f"{module_path}/__init__.py",
        f"src/{module_path}/__init__.py",
        f"{module_path}.py",
        f"src/{module_path}.py",
    ):
        full = _join(base, candidate)
        if read(full) is not None:
            return _assignment_file("flit", why, full, read)
    return Source("unknown", "flit", why, problem=f"no {module_path}/__init__.py or {module_path}.py found")


def _maturin(data: Mapping[str, object], base: str, read: Reader) -> Source:
    manifest = _get(data, "tool.maturin.manifest-path")
    path = _join(base, manifest if isinstance(manifest, str) else "Cargo.toml")
    why = 'build-backend = "maturin"'
    text = read(path)
    if text is None:
        return Source("unknown", "maturin", why, problem=f"{path} is missing or cannot be read")
    try:
        version = _get(tomllib.loads(text), "package.version")
    except tomllib.TOMLDecodeError as exc:
        return Source("unknown", "maturin", why, problem=f"{path} is not valid TOML ({exc})")
    if isinstance(version, Mapping):
        return Source("unknown", "maturin", why, problem=f"{path} inherits the version from its workspace")
    if not isinstance(version, str):
        return Source("unknown", "maturin", why, problem=f"{path} has no package.version")
    return Source("file", "maturin", why, files=(BackendFile(path, "toml", "package.version", "semver", version),))


def _setuptools(data: Mapping[str, object], base: str, read: Reader) -> Source:
    dynamic = _get(data, "tool.setuptools.dynamic.version")
    attr = _get(dynamic, "attr")
    if isinstance(attr, str) and "." in attr:
        module, variable = attr.rsplit(".", 1)
        why = f'[tool.setuptools.dynamic] version = {{attr = "{attr}"}}'
        dirs = _get(data, "tool.setuptools.package-dir")
        roots = [str(dirs[""])] if isinstance(dirs, Mapping) and "" in dirs else [".", "src"]
        module_path = module.replace(".", "/")
        for root in roots:
            for candidate in (f"{module_path}/__init__.py", f"{module_path}.py"):
                full = _join(base, posixpath.join(root, candidate))
                if read(full) is not None:
                    pattern = None if variable in ("__version__", "VERSION") else _variable_pattern(variable)
                    return _assignment_file("setuptools", why, full, read, pattern)
        return Source("unknown", "setuptools", why, problem=f"the module {module} was not found")
    file = _get(dynamic, "file")
    if isinstance(file, list) and len(file) == 1:
        file = file[0]
    if isinstance(file, str):
        why = f'[tool.setuptools.dynamic] version = {{file = "{file}"}}'
        return _assignment_file("setuptools", why, _join(base, file), read, r"\A\s*(?P<version>[^\s]+)")
    return Source("unknown", "setuptools", "no [tool.setuptools.dynamic] version and no setuptools_scm")


def _variable_pattern(variable: str) -> str:
    return rf"^{re.escape(variable)}[ \t]*=[ \t]*[\"'](?P<version>[^\"'\r\n]+)[\"']"
