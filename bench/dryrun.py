"""`releasekit release 1.4.0 --dry-run` on examples/fluxion beside `bump-my-version bump --dry-run` of the same files.

Both run as whole processes in one copy of examples/fluxion (a git repository tagged v1.3.2 whose origin and GitHub
are an in-process sandbox, CI green on HEAD, a real pypiserver as its index), interleaved round after round so
noise hits all alike. bump-my-version is configured for the files releasekit bumps (the five version files, the
two lock files and the changelog's heading) in a `.bumpversion.toml` committed to the copy. releasekit's dry run
does more (it checks origin, the token, CI, the tag, the index, and that the package builds and passes
`twine check`); the build is reused from releasekit's cache when the same tree was built before, which is the
case measured (the warm-up run builds it). For information, the same dry run with nothing cached
(`RELEASEKIT_NO_CACHE=1`: it builds). Target (issue 11): the cached dry run at most 1.5x bump-my-version.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from release import NAME, fluxion_copy

from releasekit.sandbox.app import Sandbox
from releasekit.sandbox.index import PackageIndex

BIN = Path(sys.executable).parent
TARGET = 1.5
ROUNDS = int(os.environ.get("BENCH_DRYRUN_ROUNDS", "9"))

BUMPVERSION = """\
[tool.bumpversion]
current_version = "1.3.2"
commit = false
tag = false

[[tool.bumpversion.files]]
filename = "voice-agent/pyproject.toml"
search = 'version = "{current_version}"'
replace = 'version = "{new_version}"'

[[tool.bumpversion.files]]
filename = "voice-agent/fluxion_voice/__init__.py"
search = '__version__ = "{current_version}"'
replace = '__version__ = "{new_version}"'

[[tool.bumpversion.files]]
filename = "src-tauri/Cargo.toml"
search = 'version = "{current_version}"'
replace = 'version = "{new_version}"'

[[tool.bumpversion.files]]
filename = "src-tauri/Cargo.lock"
search = 'name = "fluxion"\\nversion = "{current_version}"'
replace = 'name = "fluxion"\\nversion = "{new_version}"'
regex = true

[[tool.bumpversion.files]]
filename = "src-tauri/tauri.conf.json"
search = '"version": "{current_version}"'
replace = '"version": "{new_version}"'

[[tool.bumpversion.files]]
filename = "package.json"
search = '"version": "{current_version}"'
replace = '"version": "{new_version}"'

[[tool.bumpversion.files]]
filename = "package-lock.json"
search = '"version": "{current_version}"'
replace = '"version": "{new_version}"'

[[tool.bumpversion.files]]
filename = "CHANGELOG.md"
search = "## [Unreleased]"
replace = "## [Unreleased]\\n\\n## [{new_version}] - {now:%Y-%m-%d}"
"""


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()


BUMP = "bump-my-version bump --new-version 1.4.0 --dry-run"
CACHED = "releasekit release 1.4.0 --dry-run (build cached)"
UNCACHED = "releasekit release 1.4.0 --dry-run (nothing cached)"


def _timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, proc


def _project(work: Path) -> Path:
    """The copy of examples/fluxion, with bump-my-version's configuration committed (both tools see a clean tree)."""
    project = fluxion_copy(work)
    (project / ".bumpversion.toml").write_text(BUMPVERSION)
    _git(project, "add", ".bumpversion.toml")
    _git(project, "commit", "-q", "-m", "chore: bump-my-version's configuration, for the benchmark")
    return project


def _measure(commands: dict[str, tuple[list[str], dict[str, str]]], cwd: Path) -> tuple[dict[str, float], str]:
    """Median seconds of each command over ROUNDS interleaved rounds after a warm-up round (which also fills
    releasekit's build cache); and the cached dry run's output. Raises on a failed command."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    output = ""
    for warm_up in (True, *([False] * ROUNDS)):
        for name, (cmd, env) in commands.items():
            seconds, proc = _timed(cmd, cwd, env)
            if proc.returncode != 0:
                raise RuntimeError(f"`{name}` failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
            if not warm_up:
                times[name].append(seconds)
            if name == CACHED:
                output = proc.stdout
    return {name: statistics.median(t) for name, t in times.items()}, output


def run(work: Path) -> list[str]:
    bump = shutil.which("bump-my-version", path=str(BIN))
    if bump is None:
        return [f"bump-my-version is not installed beside {sys.executable} (`nox -s bench` installs it)"]
    (work / "gitconfig").write_text("")
    git_env = {"GIT_CONFIG_GLOBAL": str(work / "gitconfig"), "GIT_CONFIG_NOSYSTEM": "1"}
    os.environ.update(git_env)
    project = _project(work)
    hub = Sandbox(work / "hub").start()
    index = PackageIndex(work / "index").start()
    try:
        hub.create_repo(NAME, seed=project)
        _git(project, "remote", "add", "origin", str(hub.remote_url(NAME)))
        _git(project, "fetch", "-q", "origin")
        _git(project, "branch", "-q", "--set-upstream-to=origin/main", "main")
        head = _git(project, "rev-parse", "HEAD")
        hub.github().get_repo(NAME).get_commit(head).create_status("success", context="external-ci")
        base = {k: v for k, v in os.environ.items() if not k.startswith("RELEASEKIT_")}
        env = {
            **base,
            **git_env,
            **hub.env(),
            "RELEASEKIT_INDEX_URL": index.url,
            "RELEASEKIT_CACHE_DIR": str(work / "cache"),
            "PIP_CONFIG_FILE": os.devnull,
        }
        dry_run = [sys.executable, "-m", "releasekit", "release", "1.4.0", "--dry-run", "--no-build-isolation"]
        medians, cached = _measure(
            {
                BUMP: ([bump, "bump", "--new-version", "1.4.0", "--dry-run"], env),
                CACHED: (dry_run, env),
                UNCACHED: (dry_run, {**env, "RELEASEKIT_NO_CACHE": "1"}),
            },
            project,
        )
        if _git(project, "status", "--porcelain"):
            return ["a dry run changed the working tree"]
    except RuntimeError as exc:
        return [str(exc)]
    finally:
        index.stop()
        hub.stop()
    return _report(medians, cached, _version(bump))


def _report(medians: dict[str, float], cached: str, bump_version: str) -> list[str]:
    baseline = medians[BUMP]
    print("## `release --dry-run` on examples/fluxion beside bump-my-version (median of interleaved runs)")
    print()
    print(f"{ROUNDS} rounds after a warm-up; releasekit with `--no-build-isolation`; bump-my-version {bump_version}.")
    print()
    print("| command | median | x bump-my-version |")
    print("| --- | ---: | ---: |")
    for name, seconds in medians.items():
        print(f"| `{name}` | {seconds * 1000:.0f} ms | {seconds / baseline:.2f} |")
    verdict = next((line.strip() for line in cached.splitlines() if " package " in line), "(no package line)")
    print()
    print(f"The cached run's package verdict: `{verdict}`")
    ratio = medians[CACHED] / baseline
    print()
    print(f"Ratio (build cached): **{ratio:.2f}x** (target: at most {TARGET}x).")
    if ratio > TARGET:
        return [f"release --dry-run is {ratio:.2f}x bump-my-version --dry-run (target: at most {TARGET}x)"]
    return []


def _version(bump: str) -> str:
    proc = subprocess.run([bump, "--version"], capture_output=True, text=True, check=False)
    return proc.stdout.strip().rsplit(" ", 1)[-1] or "?"
