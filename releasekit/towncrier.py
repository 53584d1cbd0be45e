"""Towncrier-managed changelogs: find the project's towncrier configuration, and compile its news fragments into
the changelog with towncrier itself, in a scratch copy, so that the release plan holds the file's new text and
the fragments it removes before anything in the repository changes."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from releasekit.changelog import ChangelogError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["Towncrier", "TowncrierBuild", "build", "find"]

_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class Towncrier:
    """The parts of a `[tool.towncrier]` table releasekit needs; paths are posix, relative to the root."""

    source: str  # the file that holds the table: pyproject.toml or towncrier.toml
    filename: str  # the changelog it writes
    directory: str  # the news fragments
    template: str | None  # a template file inside the repository, if the config names one
    name: str | None  # the project name towncrier puts in titles, when the config does not say


@dataclass(frozen=True)
class TowncrierBuild:
    after: str  # the changelog's new text
    removed: tuple[str, ...]  # the fragments towncrier consumed, posix paths relative to the root
    fragments: int


def find(root: Path) -> Towncrier | None:
    """The towncrier configuration at the root (`towncrier.toml` first, as towncrier reads it), or None."""
    for source in ("towncrier.toml", "pyproject.toml"):
        path = root / source
        if not path.is_file():
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        table = data.get("tool", {}).get("towncrier")
        if isinstance(table, dict):
            project = data.get("project", {})
            return _from_table(source, table, project.get("name") if isinstance(project, dict) else None)
    return None


def _from_table(source: str, table: dict[str, Any], project_name: Any) -> Towncrier:
    package, package_dir = str(table.get("package", "")), str(table.get("package_dir", "."))
    if "directory" in table:
        directory = str(table["directory"])
    else:
        # towncrier's default: the package's `newsfragments`, else `newsfragments` at the root.
        directory = str(PurePosixPath(package_dir, package, "newsfragments")) if package else "newsfragments"
    template = table.get("template")
    # `package:resource` names a template shipped in a package (towncrier's own by default): nothing to copy.
    local = template if isinstance(template, str) and ":" not in template else None
    name = table.get("name") or (project_name if isinstance(project_name, str) else None) or package or None
    return Towncrier(
        source=source,
        filename=str(PurePosixPath(str(table.get("filename", "NEWS.rst")))),
        directory=str(PurePosixPath(directory.rstrip("/"))),
        template=str(PurePosixPath(local)) if local else None,
        name=None if table.get("name") else name,
    )


def command() -> list[str] | None:
    """How to run towncrier: this Python's module if it has it, else a `towncrier` on PATH."""
    if importlib.util.find_spec("towncrier") is not None:
        return [sys.executable, "-m", "towncrier"]
    found = shutil.which("towncrier")
    return [found] if found else None


def build(root: Path, config: Towncrier, version: str, date: str) -> TowncrierBuild:
    """Runs `towncrier build --version V --date D --yes` on a scratch copy of the configuration, the changelog,
    the fragments and the template, and reads what it made. Nothing in `root` changes."""
    runner = command()
    if runner is None:
        msg = (
            f"{config.source} configures towncrier ([tool.towncrier]) to write {config.filename}, and towncrier is "
            "not installed; install it beside releasekit (`pip install towncrier`), or set versioning.changelog "
            "to another file"
        )
        raise ChangelogError(msg)
    if config.template and not (root / config.template).is_file():
        msg = (
            f"{config.source}: [tool.towncrier] template = {config.template!r} does not exist; towncrier needs it "
            f"to build {config.filename}"
        )
        raise ChangelogError(msg)
    fragments = root / config.directory
    with tempfile.TemporaryDirectory(prefix="releasekit-towncrier-") as scratch:
        work = Path(scratch)
        # A repository of its own, so that towncrier's `git rm` of the fragments can only touch the scratch copy
        # (and no GIT_DIR or GIT_WORK_TREE of the caller's can point git elsewhere).
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        subprocess.run(["git", "init", "-q", str(work)], check=True, capture_output=True, env=env)
        for rel in (config.source, config.filename, config.template):
            if rel and (root / rel).is_file():
                (work / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(root / rel, work / rel)
        if fragments.is_dir():
            shutil.copytree(fragments, work / config.directory, dirs_exist_ok=True)
        before = _files(work / config.directory)
        args = [*runner, "build", "--version", version, "--date", date, "--yes"]
        if config.name:
            args += ["--name", config.name]
        try:
            proc = subprocess.run(
                args, cwd=work, capture_output=True, text=True, timeout=_TIMEOUT_SECONDS, check=False, env=env
            )
        except subprocess.TimeoutExpired:
            msg = (
                f"towncrier did not build {config.filename} in {_TIMEOUT_SECONDS} s; "
                "run `towncrier build --draft` to see why"
            )
            raise ChangelogError(msg) from None
        if proc.returncode != 0:
            # towncrier names the scratch copy's paths: say them as the repository's.
            said = (proc.stderr.strip() or proc.stdout.strip()).replace(f"{work}/", "").splitlines()
            msg = (
                f"towncrier could not build {config.filename} for {version} ({config.source} [tool.towncrier]): "
                f"{said[-1] if said else f'exit status {proc.returncode}'}"
            )
            raise ChangelogError(msg)
        written = work / config.filename
        after = written.read_text(encoding="utf-8") if written.is_file() else ""
        removed = tuple(
            sorted(str(PurePosixPath(config.directory, rel)) for rel in before - _files(work / config.directory))
        )
    return TowncrierBuild(after=after, removed=removed, fragments=len(removed))


def _files(directory: Path) -> set[str]:
    if not directory.is_dir():
        return set()
    return {path.relative_to(directory).as_posix() for path in directory.rglob("*") if path.is_file()}
