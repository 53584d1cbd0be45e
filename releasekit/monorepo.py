"""Whether a repository holds several independently versioned packages (a monorepo), which releasekit does not
release yet: one version per repository today; releases per package are issue #15.

A repository is a monorepo when it declares a workspace (``pnpm-workspace.yaml``, ``package.json`` ``workspaces``,
Cargo's ``[workspace] members``, uv's ``[tool.uv.workspace] members``) whose members carry their own versions and
do not all agree, or when its tags form several named families (``dialog-v2.0.3``, ``dialog-js-v2.0.1``,
``@scope/pkg@1.2.0``, ``core-1.4.0``). One product whose version lives in several manifests (a Tauri app's
``package.json``, ``src-tauri/Cargo.toml`` and ``tauri.conf.json``) declares no workspace and is not one; nor is a
workspace whose members share one version (they are released together). Read-only, like :mod:`releasekit.detect`.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

__all__ = ["Monorepo", "Package", "find", "tag_family"]

_MAX_MEMBERS = 2000  # a glob such as `**` in a huge tree: enough to decide, never a crawl of everything
_MAX_DEPTH = 6  # how deep a `**` member pattern is followed
_SKIPPED = frozenset({"node_modules", "target", ".git", ".venv", "venv", "dist", "build"})

# `<name>-v<version>`, `<name>_v<version>`, `<name>/v<version>`, `<name>@<version>`, `<name>-<version>`: the name
# holds a letter (so `v1.2.3` and `1.2.3` are the repository's own tags, not a family) and the version starts
# with a digit and has a dot.
_FAMILY = re.compile(r"^(?P<name>.*?[A-Za-z].*?)(?:-v|_v|/v|@v?|-|_|/)(?P<version>[0-9]+\.[0-9][0-9A-Za-z.+-]*)$")
# `release-1.4` is a way to spell the repository's own tags, not a package.
_GENERIC = frozenset({"release", "releases", "rel", "version", "ver", "tag"})


@dataclass(frozen=True)
class Package:
    """One workspace member that carries its own version."""

    path: str  # its directory, POSIX and relative to the root ("plugins/dialog")
    name: str
    version: str
    manifest: str  # "package.json", "Cargo.toml" or "pyproject.toml"


@dataclass(frozen=True)
class Monorepo:
    """What makes the repository a monorepo: its workspace declarations, their packages, its tag families."""

    workspaces: tuple[str, ...]  # where each workspace is declared, e.g. "pnpm-workspace.yaml"
    packages: tuple[Package, ...]  # sorted by path, then manifest
    families: tuple[tuple[str, str], ...]  # (family name, its newest tag), newest first

    def owns(self, path: str) -> bool:
        """Whether `path` (POSIX, relative to the root) is inside one of the packages' directories."""
        return any(path.startswith(f"{p.path}/") for p in self.packages if p.path != ".")

    def summary(self) -> str:
        """One paragraph for people: how many packages and tag families, with a few named."""
        parts = []
        if self.packages:
            versions = len({p.version for p in self.packages})
            named = ", ".join(f"{p.name} {p.version}" for p in self.packages[:4])
            more = ", ..." if len(self.packages) > 4 else ""
            parts.append(
                f"{' and '.join(self.workspaces)} declare{'s' * (len(self.workspaces) == 1)} "
                f"{len(self.packages)} packages with {versions} different versions ({named}{more})"
            )
        if len(self.families) > 1:
            named = ", ".join(tag for _, tag in self.families[:4])
            more = ", ..." if len(self.families) > 4 else ""
            parts.append(f"its tags form {len(self.families)} families ({named}{more})")
        return "; ".join(parts)


def tag_family(tag: str) -> str | None:
    """The package a tag names (`dialog-js` for `dialog-js-v2.0.1`), or None for the repository's own tags
    (`v1.2.3`, `1.2.3`) and generic prefixes (`release-1.4`)."""
    match = _FAMILY.match(tag)
    if match is None:
        return None
    name = match["name"]
    return None if name.lower() in _GENERIC else name


def find(root: Path, tags: Sequence[str]) -> Monorepo | None:
    """The monorepo at `root` (`tags` newest first), or None when it holds one versioned project."""
    workspaces, packages = _workspace_packages(root)
    families: dict[str, str] = {}
    for tag in tags:
        name = tag_family(tag)
        if name is not None:
            families.setdefault(name, tag)
    independent = len(packages) > 1 and len({p.version for p in packages}) > 1
    if not independent and len(families) < 2:
        return None
    return Monorepo(
        tuple(workspaces) if independent else (),
        tuple(packages) if independent else (),
        tuple(families.items()) if len(families) > 1 else (),
    )


# --------------------------------------------------------------------------- workspaces


def _workspace_packages(root: Path) -> tuple[list[str], list[Package]]:
    """The workspace declarations at the root and the members each declares that carry their own version."""
    declared: list[tuple[str, str, list[str], list[str]]] = []  # (where, manifest, include, exclude)
    pnpm = _read(root / "pnpm-workspace.yaml")
    if pnpm is not None:
        import yaml

        try:
            data = yaml.safe_load(pnpm)
        except yaml.YAMLError:
            data = None
        globs = _strings(data.get("packages") if isinstance(data, dict) else None)
        declared.append(("pnpm-workspace.yaml", "package.json", *_split_negated(globs)))
    package_json = _json(root / "package.json")
    if package_json is not None:
        ws = package_json.get("workspaces")
        globs = _strings(ws.get("packages") if isinstance(ws, dict) else ws)
        if globs:
            declared.append(("package.json workspaces", "package.json", *_split_negated(globs)))
    cargo = _toml(root / "Cargo.toml")
    workspace = cargo.get("workspace") if cargo else None
    if isinstance(workspace, dict) and _strings(workspace.get("members")):
        declared.append(
            ("Cargo.toml [workspace]", "Cargo.toml", _strings(workspace["members"]), _strings(workspace.get("exclude")))
        )
    pyproject = _toml(root / "pyproject.toml")
    uv = _dig(pyproject, "tool", "uv", "workspace")
    if isinstance(uv, dict) and _strings(uv.get("members")):
        declared.append(
            (
                "pyproject.toml [tool.uv.workspace]",
                "pyproject.toml",
                _strings(uv["members"]),
                _strings(uv.get("exclude")),
            )
        )
    where: list[str] = []
    packages: dict[tuple[str, str], Package] = {}
    for name, manifest, include, exclude in declared:
        found = False
        for directory in _members(root, include, exclude):
            package = _package(root, directory, manifest)
            if package is not None:
                packages.setdefault((package.path, manifest), package)
                found = True
        if found:
            where.append(name)
    return where, sorted(packages.values(), key=lambda p: (p.path, p.manifest))


def _members(root: Path, include: Iterable[str], exclude: Iterable[str]) -> list[Path]:
    excluded = {path for pattern in exclude for path in _glob(root, pattern)}
    members: list[Path] = []
    for pattern in include:
        for path in _glob(root, pattern):
            if path not in excluded and path not in members and path.is_dir():
                members.append(path)
            if len(members) >= _MAX_MEMBERS:
                return members
    return members


def _glob(root: Path, pattern: str) -> list[Path]:
    pattern = pattern.strip().removeprefix("./").rstrip("/")
    if not pattern or pattern.startswith(("/", "..")) or "/../" in pattern:
        return []  # a member outside the repository is not one of its packages
    if pattern == ".":
        return [root]
    if "**" in pattern:  # walked here, so node_modules and target are never descended into
        return _walk_glob(root, pattern)
    try:
        found = sorted(root.glob(pattern))
    except (ValueError, OSError):
        return []
    return [p for p in found if not _SKIPPED.intersection(p.relative_to(root).parts)]


def _walk_glob(root: Path, pattern: str) -> list[Path]:
    """The directories `pattern` (with `**`) matches, at most _MAX_DEPTH levels down, skipping _SKIPPED and hidden
    directories."""
    regex = re.compile(
        "".join(
            ".*" if part == "**" else "[^/]*" if part == "*" else "[^/]" if part == "?" else re.escape(part)
            for part in re.split(r"(\*\*|\*|\?)", pattern)
        )
    )
    found: list[Path] = []
    for dirpath, dirnames, _ in os.walk(root):
        rel = Path(dirpath).relative_to(root)
        dirnames[:] = sorted(
            d for d in dirnames if d not in _SKIPPED and not d.startswith(".") and len(rel.parts) < _MAX_DEPTH
        )
        if rel.parts and regex.fullmatch(rel.as_posix()):
            found.append(Path(dirpath))
        if len(found) >= _MAX_MEMBERS:
            break
    return found


def _package(root: Path, directory: Path, manifest: str) -> Package | None:
    """The member at `directory` if it carries its own version and is released (not `private`, not
    `publish = false`); a Cargo crate with `version.workspace = true` shares the workspace's version."""
    rel = directory.relative_to(root).as_posix() or "."
    name: object
    version: object
    if manifest == "package.json":
        data = _json(directory / manifest)
        if data is None or data.get("private") is True:
            return None
        name, version = data.get("name"), data.get("version")
    elif manifest == "Cargo.toml":
        toml = _toml(directory / manifest)
        package = toml.get("package") if toml else None
        if not isinstance(package, dict) or package.get("publish") is False:
            return None
        name, version = package.get("name"), package.get("version")
    else:
        project = _dig(_toml(directory / manifest), "project")
        if not isinstance(project, dict):
            return None
        name, version = project.get("name"), project.get("version")
    if not isinstance(version, str) or not version.strip():
        return None
    return Package(rel, name if isinstance(name, str) and name else rel, version.strip(), manifest)


# --------------------------------------------------------------------------- reading


def _read(path: Path) -> str | None:
    try:
        if not path.is_file() or path.is_symlink() or path.stat().st_size > 1 << 20:
            return None
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None


def _json(path: Path) -> dict[str, object] | None:
    text = _read(path)
    try:
        data: object = json.loads(text) if text is not None else None
    except json.JSONDecodeError:
        return None  # detect's own walk reports the invalid file
    return data if isinstance(data, dict) else None


def _toml(path: Path) -> dict[str, object] | None:
    text = _read(path)
    try:
        return tomllib.loads(text) if text is not None else None
    except tomllib.TOMLDecodeError:
        return None


def _dig(data: object, *keys: str) -> object:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _split_negated(globs: list[str]) -> tuple[list[str], list[str]]:
    return [g for g in globs if not g.startswith("!")], [g[1:] for g in globs if g.startswith("!")]
