"""Plans the edit of the version requirements that a repository's packages declare on the siblings a release moves to
a new version, so the workspace stays consistent: only the version's characters change in each, as in versionfiles.

Three manifests are read, by file name: `package.json` (npm, pnpm, yarn), `Cargo.toml` and `pyproject.toml`.
- package.json: `dependencies`, `devDependencies`, `peerDependencies`, `optionalDependencies`. A range that names
  one version (`2.0.3`, `^2.0.3`, `~2.0.3`, `>=2.0.3`, `=2.0.3`, also after `workspace:`) gets the new version with
  its operator kept; `workspace:*`, `workspace:^`, `workspace:~` and `*` follow by themselves and are left as they
  are (the plan says so); any other range (`1.x`, `>=1 <3`, `file:...`) is left as it is, and the plan says so.
- Cargo.toml: `[dependencies]`, `[dev-dependencies]`, `[build-dependencies]`, their `[target.'cfg'.*]` tables and
  `[workspace.dependencies]`: an entry with a `path` (a workspace sibling, not a registry crate) whose `version`
  names one full version (`2.0.3`, `^2.0.3`, `~2.0.3`, `=2.0.3`, `>=2.0.3`) gets the new version, operator kept.
  Cargo.lock records no requirement: the released crate's own entry is versionfiles' job.
- pyproject.toml: `[project] dependencies` and `optional-dependencies`: each lower bound (`>=`, `~=`, `==`) of a
  requirement on the released distribution moves to the new version; if the requirement would still exclude it
  (an upper bound `<2`, a `!=`), the release is refused, naming the file and the requirement, since widening a
  bound is a decision for a person.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Literal

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from releasekit.errors import ReleasekitError
from releasekit.locate import KeyPath
from releasekit.version import format_version
from releasekit.versionfiles import FileChange, _Document, _normalized_name, _read, _shown

if TYPE_CHECKING:
    import semver

    from releasekit.config.model import Config

__all__ = ["DependentError", "Dependents", "Released", "follow", "plan_dependents"]

Ecosystem = Literal["npm", "cargo", "python"]

# The manifest each ecosystem keeps, by file name.
MANIFESTS: dict[str, Ecosystem] = {"package.json": "npm", "Cargo.toml": "cargo", "pyproject.toml": "python"}

_NPM_TABLES = ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies")
_CARGO_TABLES = ("dependencies", "dev-dependencies", "build-dependencies")
# A range that names one version: an optional `workspace:`, an operator, the version (a leading `v` is npm's).
_NPM_ONE = re.compile(r"(?P<head>(?:workspace:)?(?:\^|~|>=|=)?v?)(?P<version>\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?)")
_NPM_FOLLOWS = ("*", "workspace:*", "workspace:^", "workspace:~")
_CARGO_ONE = re.compile(r"(?P<head>\s*(?:\^|~|=|>=)?\s*)(?P<version>\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?)\s*")
# PEP 508: the name, the extras, then the specifiers up to the environment marker.
_PEP508_HEAD = re.compile(r"\s*(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[[^\]]*\])?\s*")
_LOWER = re.compile(r"(?<![=!<>~])(?P<op>~=|==|>=)(?!=)(?P<space>\s*)(?P<version>[^\s,;()]+)")


class DependentError(ReleasekitError):
    """A sibling's requirement on a released package cannot follow the new version without a person's decision."""


@dataclass(frozen=True)
class Released:
    """A distribution a release moves to a new version: the package (its key under `packages:`), the ecosystem and
    name its manifests give it, and the version as that ecosystem spells it (PEP 440 for Python)."""

    package: str
    ecosystem: Ecosystem
    name: str
    version: str


@dataclass(frozen=True)
class Dependents:
    """The planned edits (a file once, all its requirements in one edit) and the plan's lines, one per requirement
    seen: `plugins/b/package.json: @scope/a ^2.0.3 -> ^2.1.0`, or why it is left as it is."""

    changes: tuple[FileChange, ...]
    lines: tuple[str, ...]


def plan_dependents(manifests: Mapping[str, str], released: Sequence[Released]) -> Dependents:
    """The edits of the manifests (path -> text; the kind from the file name) that require a released distribution.
    A manifest of a released package itself is read too: a sibling released in the same run gets both edits when
    the caller lays these over its own (the texts given are then the ones after its own edit)."""
    changes: list[FileChange] = []
    lines: list[str] = []
    for path in sorted(manifests):
        ecosystem = MANIFESTS.get(PurePosixPath(path).name)
        # Python compares names normalized (PEP 503); npm and Cargo names are exact.
        wanted = {_normalized_name(r.name) if ecosystem == "python" else r.name: r for r in released}
        wanted = {k: r for k, r in wanted.items() if r.ecosystem == ecosystem}
        if ecosystem is None or not wanted:
            continue
        document = _Document("toml" if ecosystem != "npm" else "json", path, manifests[path])
        finder = {"npm": _npm, "cargo": _cargo, "python": _python}[ecosystem]
        edits: list[tuple[KeyPath, str, str]] = []  # key path, old text, new text
        for key, name, old, new, note in finder(document, wanted):
            if new is None:
                lines.append(f"{path}: {name} {old} {note}")
            elif new != old:
                edits.append((key, old, new))
                lines.append(f"{path}: {name} {old} -> {new}")
        if not edits:
            continue
        after = document.replace([(key, new) for key, _, new in edits])
        key, old, new = edits[0]
        line = document.text.count("\n", 0, document.slots[key].start) + 1
        names = ", ".join(dict.fromkeys(_shown(k) for k, *_ in edits))
        change = FileChange(path, document.bom + document.text, after, old, new, line, f"dependents: {names}")
        changes.append(change)
    return Dependents(tuple(changes), tuple(lines))


# Each finder yields (key path, distribution name, old text, new text or None, note when None).
_Found = tuple[KeyPath, str, str, str | None, str]


def _npm(document: _Document, wanted: Mapping[str, Released]) -> list[_Found]:
    found: list[_Found] = []
    for table in _NPM_TABLES:
        _, deps = document.get((table,))
        for name in deps if isinstance(deps, dict) else []:  # in the file's order
            spec = deps[name]
            if name not in wanted or not isinstance(spec, str):
                continue
            key: KeyPath = (table, name)
            one = _NPM_ONE.fullmatch(spec)
            if spec.strip() in _NPM_FOLLOWS:
                found.append((key, name, spec, None, "left as it is (it follows the workspace by itself)"))
            elif one is None:
                found.append((key, name, spec, None, "left as it is (not a range of one version)"))
            else:
                found.append((key, name, spec, one["head"] + wanted[name].version, ""))
    return found


def _cargo(document: _Document, wanted: Mapping[str, Released]) -> list[_Found]:
    tables: list[KeyPath] = [(t,) for t in _CARGO_TABLES] + [("workspace", "dependencies")]
    _, targets = document.get(("target",))
    for target in targets if isinstance(targets, dict) else []:
        tables += [("target", target, t) for t in _CARGO_TABLES]
    found: list[_Found] = []
    for table in tables:
        _, deps = document.get(table)
        for key_name in deps if isinstance(deps, dict) else []:  # in the file's order
            entry = deps[key_name]
            if not isinstance(entry, dict) or "path" not in entry:
                continue  # a registry or git dependency, or `{ workspace = true }`: no sibling's version here
            crate = entry.get("package", key_name)
            spec = entry.get("version")
            if not isinstance(crate, str) or crate not in wanted or not isinstance(spec, str):
                continue
            key: KeyPath = (*table, key_name, "version")
            one = _CARGO_ONE.fullmatch(spec)
            if one is None:
                found.append((key, crate, spec, None, "left as it is (not a requirement of one full version)"))
            else:
                found.append((key, crate, spec, one["head"] + wanted[crate].version, ""))
    return found


def _python(document: _Document, wanted: Mapping[str, Released]) -> list[_Found]:
    lists: list[KeyPath] = [("project", "dependencies")]
    _, extras = document.get(("project", "optional-dependencies"))
    lists += [("project", "optional-dependencies", e) for e in (extras if isinstance(extras, dict) else {})]
    found: list[_Found] = []
    for where in lists:
        _, requirements = document.get(where)
        for index, text in enumerate(requirements if isinstance(requirements, list) else []):
            head = _PEP508_HEAD.match(text) if isinstance(text, str) else None
            if head is None or _normalized_name(head["name"]) not in wanted:
                continue
            released = wanted[_normalized_name(head["name"])]
            key: KeyPath = (*where, index)
            found.append((key, head["name"], text, *_moved(document.path, where, text, head.end(), released)))
    return found


def _moved(path: str, where: KeyPath, text: str, start: int, released: Released) -> tuple[str | None, str]:
    """The requirement with its lower bounds at the new version, or None and why it is left as it is."""
    marker = text.find(";", start)
    end = len(text) if marker < 0 else marker
    if text[start:end].lstrip().startswith("@"):
        return None, "left as it is (a URL requirement)"
    specifiers = text[start:end]
    bounds = list(_LOWER.finditer(specifiers))
    if not bounds or any("*" in b["version"] for b in bounds):
        return None, "left as it is (no lower bound to move)"
    moved = _LOWER.sub(lambda m: f"{m['op']}{m['space']}{released.version}", specifiers)
    new = text[:start] + moved + text[end:]
    try:
        allowed = Version(released.version) in SpecifierSet(moved.strip().strip("()"), prereleases=True)
    except (InvalidSpecifier, InvalidVersion):
        return None, "left as it is (not a specifier releasekit reads)"
    if not allowed:
        msg = (
            f"{path}: the requirement {text!r} in {_shown(where)} excludes {released.name} {released.version}, the "
            f"version being released; widen it (e.g. {released.name}>={released.version}) and commit that, or "
            f"release {released.package} at a version it allows"
        )
        raise DependentError(msg)
    return new, ""


# --- reading the repository ----------------------------------------------------------------------------------------

# Where each manifest holds the distribution's name, and the version keys that make a version file that manifest.
_NAME = {"npm": ("name",), "cargo": ("package", "name"), "python": ("project", "name")}
# (json, toml) of the version file that is the manifest itself.
_VERSION_KEY = {"npm": ("version", None), "cargo": (None, "package.version"), "python": (None, "project.version")}


def follow(
    root: Path, config: Config, versions: Mapping[str, semver.Version], changes: Sequence[FileChange]
) -> tuple[list[FileChange], tuple[str, ...]]:
    """`changes` (the release's own edits) with the edits of the declared packages' manifests (and the root
    Cargo.toml's `[workspace.dependencies]`) that require a released package laid over them: a manifest the release
    already edits gets one edit that holds both. Also the plan's lines about them."""
    texts = {c.path: c.after for c in changes}  # the last edit of a file holds all of them

    def text_of(path: str) -> str:
        return texts[path] if path in texts else _read(root, path)

    released = [d for name in sorted(versions) for d in _distributions(root, config, name, versions[name], text_of)]
    if not released:
        return list(changes), ()
    paths = {"Cargo.toml"} if (root / "Cargo.toml").is_file() else set()
    for package in config.packages.values():
        for manifest in MANIFESTS:
            path = posixpath.normpath(f"{package.path}/{manifest}")
            if (root / path).is_file():
                paths.add(path)
    planned = plan_dependents({path: text_of(path) for path in paths}, released)
    out = list(changes)
    where = {c.path: i for i, c in enumerate(out)}
    for change in planned.changes:
        if change.path in where:
            out[where[change.path]] = dataclasses.replace(out[where[change.path]], after=change.after)
        else:
            out.append(change)
    return out, planned.lines


def _distributions(
    root: Path, config: Config, name: str, version: semver.Version, text_of: Callable[[str], str]
) -> list[Released]:
    """What the package's manifests call it: the manifests among its version files, or else those in its folder
    (a package whose version is the tag's, or in a file of its own)."""
    package = config.packages[name]
    declared = [
        vf.path
        for vf in package.versioning.files
        if (ecosystem := MANIFESTS.get(PurePosixPath(vf.path).name)) is not None
        and (vf.json, vf.toml) == _VERSION_KEY[ecosystem]
    ]
    if not declared:
        declared = [posixpath.normpath(f"{package.path}/{m}") for m in MANIFESTS]
        declared = [path for path in declared if (root / path).is_file()]
    found: list[Released] = []
    for path in declared:
        ecosystem = MANIFESTS[PurePosixPath(path).name]
        document = _Document("json" if ecosystem == "npm" else "toml", path, text_of(path))
        _, distribution = document.get(_NAME[ecosystem])
        if isinstance(distribution, str):
            spelled = format_version(version, "pep440" if ecosystem == "python" else "semver")
            found.append(Released(name, ecosystem, distribution, spelled))
    return found
