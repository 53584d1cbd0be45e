"""Whether a repository holds several independently versioned packages (a monorepo), and the packages
`releasekit init` declares for it (`packages:` in releasekit.yaml).

A repository is a monorepo when it declares a workspace (``pnpm-workspace.yaml``, ``package.json`` ``workspaces``,
Cargo's ``[workspace] members``, uv's ``[tool.uv.workspace] members``), or holds folders that each carry a
``pyproject.toml`` with its own version (and no Python project at the root), whose packages carry their own
versions and do not all agree, or when its tags form several named families (``dialog-v2.0.3``,
``dialog-js-v2.0.1``, ``@scope/pkg@1.2.0``, ``core-1.4.0``). One product whose version lives in several manifests
(a Tauri app's ``package.json``, ``src-tauri/Cargo.toml`` and ``tauri.conf.json``) declares no workspace and is not
one; nor is a workspace whose members share one version and tag (they are released together). Read-only, like
:mod:`releasekit.detect`.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from releasekit.detect import DetectedVersionFile

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

__all__ = ["Monorepo", "Package", "PackagePlan", "find", "plan", "tag_family"]

_MAX_MEMBERS = 2000  # a glob such as `**` in a huge tree: enough to decide, never a crawl of everything
_MAX_DEPTH = 6  # how deep a `**` member pattern is followed
_SKIPPED = frozenset({"node_modules", "target", ".git", ".venv", "venv", "dist", "build"})
# Folders whose pyproject.toml files are not packages of the repository: fixtures, examples, documentation.
_NOT_PACKAGES = _SKIPPED | frozenset(
    {"tests", "test", "testing", "fixtures", "examples", "example", "docs", "doc", "samples", "templates"}
)

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
    # Tag families name the packages even when their versions agree (changesets' fixed groups tag each one).
    keep = independent or len(packages) > 1
    return Monorepo(
        tuple(workspaces) if keep else (),
        tuple(packages) if keep else (),
        tuple(families.items()) if len(families) > 1 or keep else (),
    )


# --------------------------------------------------------------------------- the packages init declares

_MANIFESTS = ("pyproject.toml", "Cargo.toml", "package.json")  # a folder's packages, in this order
_LOCATORS = {"pyproject.toml": ("toml", "project.version"), "Cargo.toml": ("toml", "package.version")}
# Words in a tag family's name that say which manifest's package it tags (`dialog-js` is the npm package).
_LANGUAGE_WORDS = {
    **dict.fromkeys(("js", "ts", "npm", "node"), "package.json"),
    **dict.fromkeys(("rs", "rust", "crate", "cargo"), "Cargo.toml"),
    **dict.fromkeys(("py", "python", "pypi"), "pyproject.toml"),
}
_SUFFIXES = {"package.json": "js", "Cargo.toml": "rs", "pyproject.toml": "py"}
_KEY = re.compile(r"^[A-Za-z0-9@][A-Za-z0-9@._/-]*$")  # config.model.PACKAGE_NAME


@dataclass(frozen=True)
class PackagePlan:
    """One entry of the `packages:` section `releasekit init` writes for a monorepo."""

    name: str  # its key: the tag family it matched, else the package's own name
    package: Package
    tag_format: str  # "dialog-v{version}"
    latest_tag: str | None  # the newest tag of its family
    files: tuple[DetectedVersionFile, ...]  # its manifest first, then files in its folder at its version
    changelog: str | None  # from the repository root
    changelog_of: str | None = None  # when its folder's changelog went to the other package there: that one's name


def plan(root: Path, monorepo: Monorepo, found: Sequence[DetectedVersionFile]) -> list[PackagePlan]:
    """One entry per package (per manifest: a folder with a Cargo crate and an npm package has two), sorted by name.

    Each takes the tag family that names it (its words, its manifest's language, its version), else its own name
    and `{name}-v{version}`; its manifest and the other version files `found` in its folder at its version; and its
    folder's changelog, which a folder's packages cannot share: it goes to the one whose version the changelog's
    newest section names (else the first of pyproject.toml, Cargo.toml, package.json)."""
    from releasekit.detect import DetectedVersionFile, find_changelog

    packages = sorted(monorepo.packages, key=lambda p: (p.path, _MANIFESTS.index(p.manifest)))
    families = _match_families(packages, monorepo.families)
    names = _names(packages, families)
    manifests = {_join(p.path, p.manifest) for p in packages}
    folders = sorted({p.path for p in packages}, key=lambda f: (-len(f), f))  # the deepest folder owns a file
    extras: dict[Package, list[DetectedVersionFile]] = {p: [] for p in packages}
    for vf in found:
        folder = next((f for f in folders if f == "." or vf.path.startswith(f"{f}/")), None)
        owner = next((p for p in packages if p.path == folder and p.version == vf.version), None)
        if owner is not None and vf.path not in manifests:
            extras[owner].append(vf)
    changelogs: dict[Package, str] = {}
    for folder in sorted(set(folders)):
        name, _ = find_changelog(root / folder)
        if name is not None:
            here = [p for p in packages if p.path == folder]
            changelogs[_changelog_owner(root, _join(folder, name), here)] = _join(folder, name)
    plans = []
    for p in packages:
        manifest = _join(p.path, p.manifest)
        kind, locator = _LOCATORS.get(p.manifest, ("json", "version"))
        fmt = "pep440" if p.manifest == "pyproject.toml" else "semver"
        own = DetectedVersionFile(manifest, kind, locator, fmt, p.version)  # type: ignore[arg-type]
        changelog = changelogs.get(p)
        shared = next((q for q, c in changelogs.items() if q.path == p.path and q is not p), None)
        family = families.get(p)
        plans.append(
            PackagePlan(
                names[p],
                p,
                _tag_format(family[1]) if family else f"{names[p]}-v{{version}}",
                family[1] if family else None,
                (own, *sorted(extras[p], key=lambda f: (f.path, f.locator))),
                changelog,
                names[shared] if changelog is None and shared is not None else None,
            )
        )
    return sorted(plans, key=lambda e: e.name)


def _join(folder: str, name: str) -> str:
    return name if folder == "." else f"{folder}/{name}"


def _words(text: str) -> set[str]:
    return {w for w in re.split(r"[^a-z0-9]+", text.lower()) if w}


def _match_families(packages: Sequence[Package], families: Sequence[tuple[str, str]]) -> dict[Package, tuple[str, str]]:
    """The tag family (name, newest tag) of each package that has one. A family matches a package when the words
    of its name (less a language word such as `js`) are all in the package's name or folder, and its language
    word, if any, is the manifest's; of the matches, one at the package's version first, then one whose language
    word agrees, then the one whose words are most of the package's. Each family and package is used once."""
    pairs = []
    for family, tag in families:
        words = _words(family)
        languages = {_LANGUAGE_WORDS[w] for w in words if w in _LANGUAGE_WORDS}
        core = {w for w in words if w not in _LANGUAGE_WORDS}
        match = _FAMILY.match(tag)
        version = match["version"] if match else ""
        for i, p in enumerate(packages):
            own = _words(p.name) | _words(p.path.rsplit("/", 1)[-1])
            if not core or not core <= own or (languages and languages != {p.manifest}):
                continue
            score = (version == p.version, bool(languages), len(core) - len(own))
            pairs.append((score, family, tag, i))
    pairs.sort(key=lambda pair: (tuple(-int(x) for x in pair[0]), pair[1], pair[3]))
    chosen: dict[Package, tuple[str, str]] = {}
    used: set[str] = set()
    for _, family, tag, i in pairs:
        if family not in used and packages[i] not in chosen:
            chosen[packages[i]] = (family, tag)
            used.add(family)
    return chosen


def _names(packages: Sequence[Package], families: dict[Package, tuple[str, str]]) -> dict[Package, str]:
    """Each package's key: its family's name, else its own name (its folder if that is not a valid key or makes
    tags git refuses); a name two packages would share gets the manifest's language (`-js`, `-rs`, `-py`), then a
    number."""
    from releasekit.config.checks import tag_format

    def usable(name: str) -> bool:  # a key, and `<name>-v{version}` makes tags git accepts
        return bool(_KEY.match(name)) and tag_format(f"{name}-v{{version}}") is None

    names: dict[Package, str] = {}
    taken = {family for family, _ in families.values()}
    for p in packages:
        if p in families:
            names[p] = families[p][0]
            continue
        base = p.name if usable(p.name) else p.path if usable(p.path) else "package"
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}-{_SUFFIXES[p.manifest]}" if n == 2 else f"{base}-{_SUFFIXES[p.manifest]}{n - 1}"
        names[p] = name
        taken.add(name)
    return names


def _tag_format(tag: str) -> str:
    """`dialog-v{version}` for `dialog-v2.0.3`."""
    match = _FAMILY.match(tag)
    return tag[: match.start("version")] + "{version}" if match else tag


def _changelog_owner(root: Path, path: str, here: Sequence[Package]) -> Package:
    """Of the packages in one folder, the one its changelog follows: the one at the version of the changelog's
    newest section, else the first."""
    from releasekit import changelog_text

    if len(here) > 1:
        text = _read(root / path)
        if text is not None:
            versions = [v for _, v in changelog_text.read_doc(text.replace("\r\n", "\n"), path).versions()]
            for p in here:
                if versions and versions[0] == p.version:
                    return p
    return here[0]


# --------------------------------------------------------------------------- workspaces


def _workspace_packages(root: Path) -> tuple[list[str], list[Package]]:
    """The workspace declarations at the root and the members each declares that carry their own version."""
    declared: list[tuple[str, str, list[Path]]] = []  # (where, manifest, member directories)
    pnpm = _read(root / "pnpm-workspace.yaml")
    if pnpm is not None:
        import yaml

        try:
            data = yaml.safe_load(pnpm)
        except yaml.YAMLError:
            data = None
        globs = _strings(data.get("packages") if isinstance(data, dict) else None)
        declared.append(("pnpm-workspace.yaml", "package.json", _members(root, *_split_negated(globs))))
    package_json = _json(root / "package.json")
    if package_json is not None:
        ws = package_json.get("workspaces")
        globs = _strings(ws.get("packages") if isinstance(ws, dict) else ws)
        if globs:
            declared.append(("package.json workspaces", "package.json", _members(root, *_split_negated(globs))))
    cargo = _toml(root / "Cargo.toml")
    workspace = cargo.get("workspace") if cargo else None
    if isinstance(workspace, dict) and _strings(workspace.get("members")):
        members = _members(root, _strings(workspace["members"]), _strings(workspace.get("exclude")))
        declared.append(("Cargo.toml [workspace]", "Cargo.toml", members))
    pyproject = _toml(root / "pyproject.toml")
    uv = _dig(pyproject, "tool", "uv", "workspace")
    if isinstance(uv, dict) and _strings(uv.get("members")):
        members = _members(root, _strings(uv["members"]), _strings(uv.get("exclude")))
        declared.append(("pyproject.toml [tool.uv.workspace]", "pyproject.toml", members))
    elif _dig(pyproject, "project") is None and _dig(pyproject, "tool", "poetry") is None:
        # No Python project at the root: folders that each hold a pyproject.toml (one or two levels down) are its
        # packages; a root project would make them its examples and test fixtures.
        declared.append(("a pyproject.toml in each folder", "pyproject.toml", _pyproject_folders(root)))
    where: list[str] = []
    packages: dict[tuple[str, str], Package] = {}
    for name, manifest, directories in declared:
        found = False
        for directory in directories:
            package = _package(root, directory, manifest)
            if package is not None:
                packages.setdefault((package.path, manifest), package)
                found = True
        if found:
            where.append(name)
    return where, sorted(packages.values(), key=lambda p: (p.path, p.manifest))


def _pyproject_folders(root: Path) -> list[Path]:
    """The folders one or two levels below the root that hold a pyproject.toml, never inside tests, examples,
    documentation, installed environments or hidden folders."""
    found = []
    for pattern in ("*/pyproject.toml", "*/*/pyproject.toml"):
        for path in sorted(root.glob(pattern)):
            parts = path.parent.relative_to(root).parts
            if not _NOT_PACKAGES.intersection(parts) and not any(part.startswith(".") for part in parts):
                found.append(path.parent)
    return found


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
