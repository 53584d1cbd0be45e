"""A copy of examples/fluxion whose GitHub and origin are a sandbox, and whose package index is a real pypiserver."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conftest import copy_example, git, releasekit_main

from releasekit.sandbox.app import Sandbox
from releasekit.sandbox.index import PackageIndex
from releasekit.steps.watch import Clock

REPOSITORY = "fluxion-app/fluxion"
# The generated release.yml's publish job runs `releasekit publish`; in the sandbox it runs this one, for real.
PUBLISH = f'"{sys.executable}" -m releasekit publish "$GITHUB_REF_NAME" --skip-index --no-build-isolation'


@dataclass
class Scene:
    hub: Sandbox
    project: Path
    index: PackageIndex | None
    env: dict[str, str]
    owns_index: bool = True  # False when the index was given to make_scene (shared): its owner stops it

    def release(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return self.releasekit("release", *args, env=env)

    def releasekit(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """The real command line in the project, with the sandbox's environment (plus `env`)."""
        return subprocess.run(
            [sys.executable, "-m", "releasekit", *args],
            cwd=self.project,
            capture_output=True,
            text=True,
            check=False,
            env={**self.env, **(env or {})},
            timeout=300,
        )

    def main(
        self, *args: str, env: dict[str, str] | None = None, clock: Clock | None = None
    ) -> subprocess.CompletedProcess[str]:
        """`releasekit.cli.main` in this process, as `releasekit(...)` runs it in a child: in the project (`-C`),
        with exactly the scene's environment (plus `env`), on `clock`; the same result type."""
        argv = ["-C", str(self.project), *args]
        return releasekit_main(argv, cwd=self.project, env={**self.env, **(env or {})}, only_env=True, clock=clock)

    def git(self, *args: str) -> str:
        return git(self.project, *args)

    def state(self) -> dict[str, Any]:
        """Everything a failed release must leave as it was: local refs, HEAD, files, and the remote's refs."""
        files = {
            p.relative_to(self.project).as_posix(): p.read_bytes()
            for p in sorted(self.project.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(self.project).parts
        }
        local = git(self.project, "for-each-ref", "--format=%(refname) %(objectname)", "refs/heads", "refs/tags")
        remote = git(self.project, "ls-remote", "origin")
        return {"files": files, "local": local, "head": git(self.project, "rev-parse", "HEAD"), "remote": remote}

    def releases(self) -> list[Any]:
        repo = self.hub.state.repo("fluxion-app", "fluxion")
        assert repo is not None
        return [r for r in self.hub.state.releases.values() if r.repo == repo.full_name]


def make_scene(
    tmp_path: Path,
    sandbox_factory: Callable[..., Sandbox],
    *,
    index: bool | PackageIndex = True,
    publish_command: str | None = PUBLISH,
    **hub_options: Any,
) -> Scene:
    """The scene; `index` True starts a package index of its own, False none, and a started PackageIndex is used
    as it is (shared between scenes; the caller stops it)."""
    hub = sandbox_factory(**hub_options)
    project = copy_example("fluxion", tmp_path)
    git(project, "init", "-q", "-b", "main")
    git(project, "config", "user.name", "Release Manager")
    git(project, "config", "user.email", "release@example.invalid")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "Fluxion 1.3.2")
    git(project, "tag", "-a", "v1.3.2", "-m", "Release 1.3.2")
    git(project, "commit", "-q", "--allow-empty", "-m", "feat(voice): bind address from VOICE_PIPELINE_HOST")
    hub.create_repo(REPOSITORY, seed=project)
    git(project, "remote", "add", "origin", str(hub.remote_url(REPOSITORY)))
    git(project, "fetch", "-q", "origin")
    git(project, "branch", "-q", "--set-upstream-to=origin/main", "main")
    if publish_command:
        hub.script(workflow="release.yml", job="GitHub release", command=publish_command)
    env = {**os.environ, **hub.env(), "RELEASEKIT_DEBUG": ""}
    env.pop("GH_TOKEN", None)
    package_index = None
    if isinstance(index, PackageIndex):
        package_index = index
    elif index:
        package_index = PackageIndex(tmp_path / "index").start()
    if package_index is not None:
        env.update({"RELEASEKIT_INDEX_URL": package_index.url, "PIP_CONFIG_FILE": os.devnull})
    return Scene(hub, project, package_index, env, owns_index=not isinstance(index, PackageIndex))


def publish_from(dist: Path) -> str:
    """The publish job's command as the generated release.yml runs it: the files its build job made (`--dist`),
    here built once beforehand, instead of building them in the job."""
    return f'"{sys.executable}" -m releasekit publish "$GITHUB_REF_NAME" --skip-index --dist "{dist}"'


def fake_token() -> str:
    return "ghp_" + secrets.token_hex(18)


FAST = ("--skip-ci-check", "--skip-sla-check", "--no-build-isolation", "--poll", "0.1")
