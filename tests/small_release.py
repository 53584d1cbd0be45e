"""A small project to release, for the race and interrupt tests (tests/test_release_race.py,
tests/test_release_interrupt.py): a pyproject.toml version, a Keep a Changelog file, `release.next-dev` (so a release
makes both commits), no workflow to follow and no package to build, so that a release takes a few git calls. Its
origin is a bare repository (the sandbox's, when the preflight's token check needs GitHub)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import git

REPOSITORY = "acme/demo"
CONFIG = """project:
  name: demo
  repository: acme/demo
versioning:
  files:
    - path: pyproject.toml
      toml: project.version
  changelog: CHANGELOG.md
release:
  next-dev: true
"""
CHANGELOG = "# Changelog\n\n## [Unreleased]\n\n- Faster start.\n\n## [1.3.2] - 2026-01-05\n\n- First.\n"


def seed(path: Path) -> Path:
    """The project at 1.3.2, tagged v1.3.2, in a new repository at `path`."""
    path.mkdir(parents=True)
    (path / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1.3.2"\n')
    (path / "CHANGELOG.md").write_text(CHANGELOG)
    (path / "releasekit.yaml").write_text(CONFIG)
    (path / "releasekit.lock").write_text('{"lock-version": 1, "actions": {}}\n')  # no workflow: no pin needed
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "Demo 1.3.2")
    git(path, "tag", "-a", "v1.3.2", "-m", "Release 1.3.2")
    return path


def clone(origin: Path | str, dest: Path, who: str) -> Path:
    """A clone of `origin` at `dest` whose commits are `who`'s (two clones never make the same commit)."""
    git(dest.parent, "clone", "-q", str(origin), str(dest))
    git(dest, "config", "user.name", who)
    git(dest, "config", "user.email", f"{who.lower()}@example.invalid")
    return dest


def state(repo: Path) -> dict[str, Any]:
    """What a release that is undone must leave as it was: HEAD and its branch, the branches and tags, the index,
    the working tree (every file's bytes, untracked ones too), and no journal."""
    files = {
        p.relative_to(repo).as_posix(): p.read_bytes()
        for p in sorted(repo.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(repo).parts
    }
    refs = git(repo, "for-each-ref", "--format=%(refname) %(objectname)", "refs/heads", "refs/tags")
    branch = (repo / ".git" / "HEAD").read_text().strip().removeprefix("ref: ")
    return {
        "head": dict(line.split(" ") for line in refs.splitlines()).get(branch, branch),
        "branch": branch,
        "refs": refs,
        "index": git(repo, "ls-files", "--stage"),
        "files": files,
        "journal": (repo / ".git" / "releasekit" / "release.json").exists(),
    }


def remote_refs(repo: Path) -> dict[str, str]:
    """origin's refs as `git ls-remote` shows them: ref -> sha (`^{}`: the commit an annotated tag is on)."""
    return {ref: sha for sha, ref in (line.split("\t") for line in git(repo, "ls-remote", "origin").splitlines())}
