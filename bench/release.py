"""`releasekit release` end to end on a copy of examples/fluxion, against an in-process sandbox and pypiserver.

Measures the tool's own overhead (total minus git, the package build and the waiting for GitHub, as reported by
`RELEASEKIT_TIMINGS=1`; target: under 1 s) and counts the API requests each step makes, from the sandbox's log.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from releasekit.sandbox.app import Sandbox
from releasekit.sandbox.index import PackageIndex

REPO = Path(__file__).resolve().parents[1]
NAME = "fluxion-app/fluxion"
VERSIONS = ("1.4.0", "1.5.0", "1.6.0")
TIMINGS = re.compile(
    r"timings: total (?P<total>[\d.]+) s = git (?P<git>[\d.]+) s \((?P<calls>\d+) calls\) \+ build (?P<build>[\d.]+) s "
    r"\+ waiting (?P<waiting>[\d.]+) s \+ releasekit (?P<own>[\d.]+) s"
)


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()


def fluxion_copy(work: Path) -> Path:
    """A copy of examples/fluxion as a git repository tagged v1.3.2 (as tests/release_scene.py makes it)."""
    project = work / "fluxion"
    shutil.copytree(REPO / "examples" / "fluxion", project, ignore=shutil.ignore_patterns("__pycache__", "dist"))
    _git(project, "init", "-q", "-b", "main")
    _git(project, "config", "user.name", "Bench")
    _git(project, "config", "user.email", "bench@example.invalid")
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "-m", "Fluxion 1.3.2")
    _git(project, "tag", "-a", "v1.3.2", "-m", "Release 1.3.2")
    return project


def step_of(entry: dict[str, Any], last_show: bool) -> str:
    path = entry["path"]
    if path == f"/repos/{NAME}":
        return "preflight: repository and push permission"
    if path.endswith(("/check-runs", "/status")):
        return "preflight: CI of HEAD (check runs, combined status)"
    if "/actions/workflows/" in path:
        return "drive: find the run the tag started"
    if "/actions/runs/" in path:
        return "drive: follow the run (run + jobs per poll)"
    if last_show:
        return "drive: show the published release"
    return "publish (the workflow's job): tag, draft, 3 uploads, publish"


def run(work: Path) -> list[str]:
    env_base = {**os.environ, "GIT_CONFIG_GLOBAL": str(work / "gitconfig"), "GIT_CONFIG_NOSYSTEM": "1"}
    (work / "gitconfig").write_text("")
    os.environ.update({"GIT_CONFIG_GLOBAL": env_base["GIT_CONFIG_GLOBAL"], "GIT_CONFIG_NOSYSTEM": "1"})
    project = fluxion_copy(work)
    hub = Sandbox(work / "hub", job_seconds=0.05, queue_seconds=0.02).start()
    index = PackageIndex(work / "index").start()
    failures: list[str] = []
    try:
        hub.create_repo(NAME, seed=project)
        _git(project, "remote", "add", "origin", str(hub.remote_url(NAME)))
        _git(project, "fetch", "-q", "origin")
        publish = f'"{sys.executable}" -m releasekit publish "$GITHUB_REF_NAME" --skip-index --no-build-isolation'
        hub.script(workflow="release.yml", job="GitHub release", command=publish)
        head = _git(project, "rev-parse", "HEAD")
        hub.github().get_repo(NAME).get_commit(head).create_status("success", context="external-ci")
        env = {
            **env_base,
            **hub.env(),
            "RELEASEKIT_INDEX_URL": index.url,
            "PIP_CONFIG_FILE": os.devnull,
            "RELEASEKIT_TIMINGS": "1",
        }
        rows: list[dict[str, float]] = []
        per_step: Counter[str] = Counter()
        not_modified = 0
        for version in VERSIONS:
            mark = len(hub.requests())
            proc = subprocess.run(
                [sys.executable, "-m", "releasekit", "release", version, "--no-build-isolation", "--poll", "0.05"],
                cwd=project,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            found = TIMINGS.search(proc.stderr)
            if proc.returncode != 0 or found is None:
                return [f"release {version} failed:\n{proc.stdout}\n{proc.stderr}"]
            rows.append({k: float(v) for k, v in found.groupdict().items()})
            entries = hub.requests()[mark:]
            shows = [i for i, e in enumerate(entries) if e["method"] == "GET" and "/releases/tags/" in e["path"]]
            if version == VERSIONS[0]:
                for i, entry in enumerate(entries):
                    per_step[step_of(entry, i == shows[-1])] += 1
                    not_modified += entry["status"] == 304
    finally:
        index.stop()
        hub.stop()
    print("## `releasekit release` on examples/fluxion (sandbox, pypiserver)")
    print()
    print("| release | total | git (calls) | build + twine check | waiting for GitHub | releasekit's own |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for version, row in zip(VERSIONS, rows, strict=True):
        print(
            f"| {version} | {row['total']:.2f} s | {row['git']:.2f} s ({row['calls']:.0f}) | {row['build']:.2f} s "
            f"| {row['waiting']:.2f} s | **{row['own']:.2f} s** |"
        )
    own = statistics.median(r["own"] for r in rows)
    print()
    print(f"Median overhead: {own:.2f} s (target: under 1 s).")
    print()
    print(f"API requests of the {VERSIONS[0]} release, by step ({not_modified} answered 304 Not Modified):")
    print()
    print("| step | requests |")
    print("| --- | ---: |")
    for step, count in per_step.items():
        print(f"| {step} | {count} |")
    print(f"| total | {sum(per_step.values())} |")
    if own >= 1.0:
        failures.append(f"release overhead {own:.2f} s (target: under 1 s)")
    return failures
