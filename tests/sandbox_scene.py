"""A small project for sandbox tests: a git repository with workflows, hosted in a sandbox, driven by PyGithub."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from conftest import git

from releasekit.sandbox.app import Sandbox

CI = """\
name: CI
on:
  push:
    branches: [main, "release/**"]
    paths-ignore: ["docs/**"]
jobs:
  test:
    name: test
    runs-on: ${{ matrix.os }}
    strategy:
      matrix:
        os: [ubuntu-24.04, windows-2025]
        python: ["3.12", "3.13"]
    steps:
      - uses: actions/checkout@v4
      - run: pytest
"""

RELEASE = """\
name: Release
run-name: Release ${{ github.ref_name }}
on:
  push:
    tags: ["v*"]
jobs:
  build:
    runs-on: ubuntu-24.04
    steps:
      - run: python -m build
  publish:
    needs: build
    runs-on: ubuntu-24.04
    steps:
      - name: Publish the GitHub release
        run: releasekit publish "$GITHUB_REF_NAME"
"""

FULL = """\
name: Release Full
run-name: Release Full ${{ inputs.version }} [${{ inputs.correlation_id }}]
on:
  workflow_dispatch:
    inputs:
      version:
        description: version to build
        required: true
        type: string
      channel:
        type: choice
        options: [stable, beta]
        default: stable
      sign:
        type: boolean
        default: true
      correlation_id:
        type: string
        default: ""
jobs:
  build:
    name: build (${{ matrix.machine }})
    runs-on: [self-hosted, "${{ matrix.machine }}"]
    strategy:
      matrix:
        machine: [imac, windows-pc]
    steps:
      - run: make installers
  publish:
    needs: build
    runs-on: ubuntu-24.04
    steps:
      - run: make publish
"""


def make_project(root: Path, *, extra: dict[str, str] | None = None) -> Path:
    """A git repository on `main` with the three workflows, a tag v1.0.0 and two commits."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    files = {
        ".github/workflows/ci.yml": CI,
        ".github/workflows/release.yml": RELEASE,
        ".github/workflows/release-full.yml": FULL,
        "README.md": "demo\n",
        **(extra or {}),
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "feat: first")
    git(root, "tag", "v1.0.0")
    (root / "src.txt").write_text("1\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "fix: second")
    return root


def host(hub: Sandbox, root: Path, name: str = "acme/demo") -> str:
    """Host the project in the sandbox and point its `origin` there; returns the remote path."""
    hub.create_repo(name, seed=root)
    remote = hub.remote_url(name)
    git(root, "remote", "add", "origin", remote)
    git(root, "fetch", "-q", "origin")
    return remote


def push(root: Path, *refs: str) -> None:
    git(root, "push", "-q", "origin", *refs)


def api(hub: Sandbox, method: str, path: str, *, token: str | None = "default", **kwargs: Any) -> requests.Response:
    """A raw request (for what PyGithub hides: headers, statuses, bodies)."""
    headers = dict(kwargs.pop("headers", {}))
    if token is not None:
        headers["Authorization"] = f"token {hub.token if token == 'default' else token}"
    return requests.request(method, hub.api_url + path, headers=headers, timeout=10, **kwargs)


def wait(predicate: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    msg = "timed out"
    raise AssertionError(msg)


def git_output(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout.strip()
