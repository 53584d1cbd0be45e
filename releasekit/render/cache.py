"""Remember which outputs a set of inputs renders to, so `workflows --check` can verify without rendering.

Rendering is a pure function of the config, the lock, the templates and releasekit's own code, so an entry keyed
by the digest of all of them can never be stale. On a hit, `--check` only hashes the files on disk: no YAML
parser, no Jinja, no rendering. Anything unexpected (no entry, a file that differs, an unreadable cache) falls back
to the full render, which reports the difference. The cache lives outside the repository
(`$RELEASEKIT_CACHE_DIR`, else `$XDG_CACHE_HOME/releasekit`, else `~/.cache/releasekit`) and
`RELEASEKIT_NO_CACHE=1` turns it off.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from releasekit.config.limits import MAX_CONFIG_BYTES
from releasekit.render.files import sha256, sha256_hex

_PACKAGE = Path(__file__).resolve().parent.parent
_FORMAT = "1"


def cache_dir() -> Path | None:
    if os.environ.get("RELEASEKIT_NO_CACHE"):
        return None
    explicit = os.environ.get("RELEASEKIT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "releasekit"


def _files(directory: Path, pattern: str) -> list[Path]:
    try:
        return sorted(p for p in directory.rglob(pattern) if p.is_file())
    except OSError:
        return []


def _dependency_stamp(module: str) -> str:
    """Which installed version of a rendering dependency is in use, without importing it."""
    import importlib.util

    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return f"{module}:missing"
    stat = Path(spec.origin).stat()
    return f"{module}:{spec.origin}:{stat.st_size}:{stat.st_mtime_ns}"


def inputs_digest(config_dir: Path, config: Path, builtin_templates: Path) -> str | None:
    """Digest of everything rendering reads (the config, the lock and project templates beside it, the built-in
    templates, releasekit's code); None if some input cannot be read."""
    h = sha256(_FORMAT.encode())
    sources: Iterable[Path] = [
        *_files(_PACKAGE, "*.py"),
        *_files(builtin_templates, "*.j2"),
        *_files(config_dir / "templates", "*.j2"),
    ]
    try:
        for name, path in (("config", config), ("lock", config_dir / "releasekit.lock")):
            if not path.is_file() or path.stat().st_size > MAX_CONFIG_BYTES:
                return None  # `--config /dev/zero`, or a 10 GB file: the loader refuses it, after reading 1 MB
            h.update(f"\0{name}\0".encode())
            h.update(path.read_bytes())
        for path in sources:
            h.update(f"\0{path.as_posix()}\0".encode())
            h.update(path.read_bytes())
    except OSError:
        return None
    for module in ("jinja2", "yaml", "markupsafe"):
        h.update(_dependency_stamp(module).encode())
    return str(h.hexdigest())


def _entry(digest: str) -> Path | None:
    base = cache_dir()
    return base / f"workflows-{digest}.json" if base else None


_WARNINGS = "!warnings"  # not a path: the warnings the render printed, printed again on a hit


def remember(digest: str, outputs: dict[str, str], warnings: list[str] | None = None) -> None:
    """Record `{path: text}` (and the render's warnings) for these inputs; a cache that cannot be written is
    silently skipped."""
    entry = _entry(digest)
    if entry is None:
        return
    record: dict[str, object] = {path: sha256_hex(text.encode("utf-8")) for path, text in sorted(outputs.items())}
    if warnings:
        record[_WARNINGS] = list(warnings)
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        temp = entry.with_suffix(f".{os.getpid()}.tmp")
        temp.write_text(json.dumps(record, indent=0), encoding="utf-8")
        temp.replace(entry)
    except OSError:
        pass


def up_to_date(digest: str, generated: dict[str, str]) -> int | None:
    """The number of generated files if the tree's generated files (`{path: text}`, as `files.generated_files`
    reads them) are exactly what these inputs render to; None if unknown."""
    entry = _entry(digest)
    if entry is None:
        return None
    try:
        record: dict[str, str] = json.loads(entry.read_text(encoding="utf-8"))
        record.pop(_WARNINGS, None)
        for path, want in record.items():
            text = generated.get(path)
            if text is None or sha256_hex(text.encode("utf-8")) != want:
                return None  # missing, or no longer carrying releasekit's header, or different
    except (OSError, ValueError, AttributeError):
        return None
    if set(generated) - set(record):
        return None  # a generated file that is no longer declared
    return len(record)


def warnings_of(digest: str) -> list[str]:
    """The warnings recorded with these inputs' render ([] when none, or unknown)."""
    entry = _entry(digest)
    try:
        found = json.loads(entry.read_text(encoding="utf-8")).get(_WARNINGS, []) if entry else []
    except (OSError, ValueError, AttributeError):
        return []
    return [str(w) for w in found] if isinstance(found, list) else []
