"""releasekit's benchmarks, whole-process, measured side by side in one run (this machine is noisy).

1. `releasekit workflows --check` on examples/fluxion against `python -c pass` in the same environment
   (target: at most 4x), with the render cache warm (the normal case) and off (the first run, or a changed input).
2. `releasekit workflows` on synthetic configs of 10, 100 and 1,000 workflows (target: 1,000 in under 2 s, linear).
3. The sandbox, in its own process (bench/sandbox.py): PyGithub round trips on loopback (target: under 5 ms median)
   and a 1 GiB release asset upload (target: the server's peak RSS under 100 MB).
4. `releasekit release` end to end on examples/fluxion (bench/release.py): the tool's own overhead beyond git, the
   build and the waiting (target: under 1 s), and the API requests per step.
5. `releasekit release 1.4.0 --dry-run` on examples/fluxion beside `bump-my-version bump --dry-run` of the same
   files (bench/dryrun.py), interleaved; the build reused from releasekit's cache (target: at most 1.5x).
6. Following a workflow run (bench/watch.py), against in-process sandboxes with the clock at 100x: the requests
   from a dispatch to its run id (target: exactly 1), and the requests charged against the rate limit to follow a
   30-minute release-full run (target: at most 20), beside a naive poller on an identical run.

`--only check|scale|sandbox|release|dryrun|watch` (repeatable) runs some of them. Prints Markdown tables for
BENCHMARKS.md; exits 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import dryrun
import release
import sandbox
import watch

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
RELEASEKIT = shutil.which("releasekit", path=str(BIN)) or "releasekit"


def wall(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def interleaved(cmds: dict[str, list[str]], cwd: Path, env: dict[str, dict[str, str]], rounds: int) -> dict[str, float]:
    """Median seconds of each command, run in turn round after round so noise hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in cmds}
    for name, cmd in cmds.items():  # warm-up: page cache, pyc files, the render cache
        wall(cmd, cwd, env[name])
    for _ in range(rounds):
        for name, cmd in cmds.items():
            times[name].append(wall(cmd, cwd, env[name]))
    return {name: statistics.median(t) for name, t in times.items()}


def synthetic_config(n: int) -> str:
    lines = [
        "project: {name: synthetic, repository: bench/synthetic}",
        "versioning: {files: [{path: pyproject.toml, toml: project.version}]}",
        "machines:",
        '  linux: {runner: ubuntu-24.04, python: "3.12"}',
        '  mac: {runner: macos-14, python: "3.12"}',
        "workflows:",
    ]
    for i in range(n):
        machines = "[linux, mac]" if i % 2 else "[linux]"
        lines += [
            f"  wf-{i:04d}:",
            "    template: test-suite",
            f"    triggers: {{push: {{branches: [main, 'release/{i}']}}, pull_request: {{branches: [main]}}}}",
            f"    machines: {machines}",
            f"    steps: {{setup: [python -m pip install -e .], test: ['python -m pytest -k case{i}']}}",
        ]
    return "\n".join(lines) + "\n"


BASE_ENV = {k: v for k, v in os.environ.items() if not k.startswith("RELEASEKIT_")}
CACHE_OFF_ENV = {**BASE_ENV, "RELEASEKIT_NO_CACHE": "1"}


def check(work: Path) -> list[str]:
    """`workflows --check` on examples/fluxion against `python -c pass`; returns the targets missed."""
    cache_env = {**BASE_ENV, "RELEASEKIT_CACHE_DIR": str(work / "cache")}
    miss_dir = work / "cache-miss"
    miss_env = {**BASE_ENV, "RELEASEKIT_CACHE_DIR": str(miss_dir)}
    # The config was just edited: no render entry for it yet, templates already compiled.
    miss_cmd = ["sh", "-c", f'rm -f "{miss_dir}"/workflows-*.json; exec "{RELEASEKIT}" workflows --check']
    fluxion = work / "fluxion"
    shutil.copytree(REPO / "examples/fluxion", fluxion)
    subprocess.run([RELEASEKIT, "workflows"], cwd=fluxion, env=cache_env, check=True, stdout=subprocess.DEVNULL)
    medians = interleaved(
        {
            "python -c pass": [sys.executable, "-c", "pass"],
            "releasekit workflows --check (cache warm)": [RELEASEKIT, "workflows", "--check"],
            "releasekit workflows --check (config changed)": miss_cmd,
            "releasekit workflows --check (cache off)": [RELEASEKIT, "workflows", "--check"],
        },
        fluxion,
        {
            "python -c pass": BASE_ENV,
            "releasekit workflows --check (cache warm)": cache_env,
            "releasekit workflows --check (config changed)": miss_env,
            "releasekit workflows --check (cache off)": CACHE_OFF_ENV,
        },
        rounds=int(os.environ.get("BENCH_ROUNDS", "30")),
    )
    baseline = medians["python -c pass"]
    print("## `workflows --check` on examples/fluxion, whole process (median of interleaved runs)\n")
    print("| command | median | x `python -c pass` |")
    print("| --- | ---: | ---: |")
    for name, seconds in medians.items():
        print(f"| `{name}` | {seconds * 1000:.1f} ms | {seconds / baseline:.2f} |")
    warm_ratio = medians["releasekit workflows --check (cache warm)"] / baseline
    if warm_ratio > 4:
        return [f"--check is {warm_ratio:.2f}x python -c pass (target: at most 4x)"]
    return []


def scale(work: Path) -> list[str]:
    """`releasekit workflows` on 10, 100 and 1,000 synthetic workflows; returns the targets missed."""
    print("## `releasekit workflows` on synthetic configs, whole process (cache off)\n")
    print("| workflows | median | per workflow |")
    print("| ---: | ---: | ---: |")
    results: dict[int, float] = {}
    for n in (10, 100, 1000):
        project = work / f"synthetic-{n}"
        project.mkdir()
        (project / "releasekit.yaml").write_text(synthetic_config(n))
        shutil.copy(REPO / "releasekit.lock", project / "releasekit.lock")
        runs = []
        for _ in range(3 if n == 1000 else 5):
            shutil.rmtree(project / ".github", ignore_errors=True)
            runs.append(wall([RELEASEKIT, "workflows"], project, CACHE_OFF_ENV))
        results[n] = statistics.median(runs)
        print(f"| {n} | {results[n] * 1000:.0f} ms | {results[n] / n * 1000:.2f} ms |")
    growth = (results[1000] - results[100]) / (results[100] - results[10])
    print(f"\nGrowth from 100 to 1,000 over growth from 10 to 100: {growth:.1f} (linear: 10.0)")
    if results[1000] >= 2:
        return [f"1,000 workflows took {results[1000]:.2f} s (target: under 2 s)"]
    return []


SECTIONS: dict[str, Callable[[Path], list[str]]] = {
    "check": check,
    "scale": scale,
    "sandbox": sandbox.run,
    "release": release.run,
    "dryrun": dryrun.run,
    "watch": watch.run,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="releasekit's benchmarks (the figures in BENCHMARKS.md)")
    parser.add_argument(
        "--only", action="append", choices=list(SECTIONS), help="run only this section (repeatable; default: all)"
    )
    chosen = set(parser.parse_args(argv).only or SECTIONS)
    failures: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        first = True
        for name, section in SECTIONS.items():
            if name in chosen:
                if not first:
                    print()
                first = False
                work = Path(tmp) / name
                work.mkdir()
                failures += section(work)
    for failure in failures:
        print(f"\nMISSED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
