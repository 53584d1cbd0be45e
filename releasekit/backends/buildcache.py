"""Builds remembered by the exact tree they were built from, so that checking the same tree again does not build.

The key is a SHA-256 of what a preflight build reads: every path, type, mode and byte of the tree handed to
`python -m build` (git's export of HEAD, as the tar archive gives it, with the release's edits written over it),
the directory built, the build options, the variables added to the build's environment (the pretend version of a
project whose version is its git tag), and the interpreter and tools that build and check it. A tree that differs
in one byte, name or mode has another key, so a build is only ever reused for the very same tree. File times are
not in the key (git's export stamps every file with the commit's date): they decide neither whether a build
succeeds nor what `twine check` says, so a commit that changes nothing in the tree (an empty commit, a revert)
reuses the build of the one before.

An entry is written only after the build and `twine check --strict` passed; it holds the two files and their
SHA-256, checked on every use, so a damaged or edited entry is built again, never trusted. One thing no local key
can pin: an isolated build installs the build backend from the index when it runs, so an isolated build is reused
for a day at most. Entries live beside the render cache (`render/cache.py`: `$RELEASEKIT_CACHE_DIR`, else the user's
cache directory; `RELEASEKIT_NO_CACHE=1` turns both off); the newest few are kept.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
import tarfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from releasekit.backends.index import sha256_file
from releasekit.render.cache import cache_dir
from releasekit.render.files import sha256

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

_FORMAT = "1"
KEEP = 6  # entries kept; a release checks one tree, a dry run then the release the same one
ISOLATED_MAX_AGE = 24 * 3600.0
# Distributions whose version decides what `build` and `twine check` do, whatever the project builds with.
_TOOLS = ("build", "pyproject_hooks", "packaging", "pip", "twine", "readme_renderer", "docutils")


def tree_digest(archive: bytes, edits: Mapping[str, str]) -> str:
    """SHA-256 of a tar archive's members (name, type, mode, link target, content; not times or owners) and of the
    edits written over them (path and text). Every field is length-prefixed, so no two different inputs run together
    into the same bytes."""
    h = sha256(f"releasekit-tree\0{_FORMAT}\0".encode())
    members: list[tuple[str, str, int, bytes]] = []
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar:
            if member.isfile():
                handle = tar.extractfile(member)
                data = handle.read() if handle is not None else b""
                kind = "file"
            elif member.isdir():
                kind, data = "dir", b""
            else:  # symbolic links (git's only other kind), and anything else by its type and target
                kind, data = f"type-{member.type.decode(errors='replace')}", member.linkname.encode()
            members.append((member.name.rstrip("/"), kind, member.mode, data))
    for name, kind, mode, data in sorted(members):
        _field(h, name.encode())
        _field(h, f"{kind}:{mode:o}".encode())
        _field(h, data)
    # The edits are a section of their own rather than merged into the members: writing an edit through a
    # symbolic link changes its target, and keeping the member as the archive had it keeps such trees apart.
    _field(h, b"\0edits\0")
    for path, text in sorted(edits.items()):
        _field(h, path.encode())
        _field(h, text.encode("utf-8"))
    return str(h.hexdigest())


def _field(h: Any, data: bytes) -> None:  # h: a hash object, hashlib's or the builtin one
    h.update(f"{len(data)}:".encode())
    h.update(data)


def toolchain(*, isolation: bool, requires: Sequence[str]) -> str:
    """The interpreter and the tools' versions; without isolation also the installed `[build-system] requires`,
    which are then what builds the package."""
    from importlib import metadata

    names = [*_TOOLS, *(requires if not isolation else ())]
    versions = []
    for name in names:
        try:
            versions.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name}: not installed")
    return "\n".join([sys.executable, sys.version, *versions])


def build_requires(pyproject: bytes | None) -> list[str]:
    """The distribution names in `[build-system] requires` (empty when unreadable: the build then says why)."""
    if pyproject is None:
        return []
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        requires = tomllib.loads(pyproject.decode("utf-8")).get("build-system", {}).get("requires", [])
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, AttributeError):
        return []
    names = []
    for spec in requires if isinstance(requires, list) else []:
        try:
            names.append(Requirement(str(spec)).name)
        except InvalidRequirement:
            names.append(str(spec))
    return sorted(set(names))


def build_key(tree: str, *, package: str, isolation: bool, tools: str, env: Mapping[str, str] | None = None) -> str:
    """The cache key: the tree's digest, the directory built in it, the build options, the toolchain and the
    variables added to the build's environment (a tag-versioned project's pretend version decides its version)."""
    h = sha256(f"releasekit-build\0{_FORMAT}\0".encode())
    for part in (tree, package, f"isolation={isolation}", tools):
        _field(h, part.encode())
    for name, value in sorted((env or {}).items()):
        _field(h, f"env:{name}={value}".encode())
    return str(h.hexdigest())


@dataclass(frozen=True)
class Cached:
    files: list[Path]  # the sdist and the wheel, in the cache
    built_at: float  # time.time() of the build

    def when(self, now: float) -> str:
        """How long ago it was built, for people: "just now", "40 s ago", "12 min ago", "3 h ago"."""
        seconds = max(0, int(now - self.built_at))
        if seconds < 2:
            return "just now"
        if seconds < 120:
            return f"{seconds} s ago"
        return f"{seconds // 60} min ago" if seconds < 7200 else f"{seconds // 3600} h ago"


def _root() -> Path | None:
    base = cache_dir()
    return base / "builds" if base else None


def lookup(key: str, *, isolation: bool, now: float | None = None) -> Cached | None:
    """The entry for this key if it is whole (both files there with their recorded SHA-256) and, for an isolated
    build, younger than a day; None otherwise."""
    root = _root()
    if root is None:
        return None
    entry = root / key
    try:
        record = json.loads((entry / "entry.json").read_text(encoding="utf-8"))
        if record.get("format") != _FORMAT or record.get("key") != key or record.get("twine_check") != "passed":
            return None
        built_at = float(record["built_at"])
        now = time.time() if now is None else now
        if isolation and now - built_at > ISOLATED_MAX_AGE:
            return None
        files = []
        for name, digest in sorted(record["files"].items()):
            path = entry / name
            if Path(name).name != name or sha256_file(path) != digest:
                return None
            files.append(path)
        os.utime(entry)  # recently used: pruned last
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return Cached(files, built_at) if len(files) == 2 else None


def store(key: str, built: Sequence[Path], *, now: float | None = None) -> None:
    """Remember a build that passed `twine check`; a cache that cannot be written is skipped (it only saves time)."""
    root = _root()
    if root is None:
        return
    entry = root / key
    temp = root / f".{key}.{os.getpid()}.tmp"
    try:
        root.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(temp, ignore_errors=True)
        temp.mkdir()
        for path in built:
            shutil.copyfile(path, temp / path.name)
        record = {
            "format": _FORMAT,
            "key": key,
            "built_at": time.time() if now is None else now,
            "twine_check": "passed",
            "files": {path.name: sha256_file(temp / path.name) for path in built},
        }
        (temp / "entry.json").write_text(json.dumps(record, indent=1, sort_keys=True), encoding="utf-8")
        shutil.rmtree(entry, ignore_errors=True)
        temp.rename(entry)  # whole or absent: a reader never sees a half-written entry under its key
    except OSError:
        shutil.rmtree(temp, ignore_errors=True)
        return
    _prune(root)


def _prune(root: Path) -> None:
    try:
        entries = sorted(
            (p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
            key=lambda p: p.stat().st_mtime,
            reverse=True,
        )
    except OSError:
        return
    for stale in entries[KEEP:]:
        shutil.rmtree(stale, ignore_errors=True)
