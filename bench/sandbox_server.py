"""Serve a sandbox in its own process for the benchmarks: `python bench/sandbox_server.py DIRECTORY`.

It hosts one repository, `bench/demo`, seeded from a fresh git repository with one dispatchable workflow, prints
`{"api_url", "token"}` as one JSON line, and serves until its stdin closes or it gets SIGTERM. The state, the request
log (`requests.jsonl`) and uploaded assets live in DIRECTORY, which the caller owns and removes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from types import FrameType

from releasekit.sandbox.app import Sandbox

REPOSITORY = "bench/demo"
WORKFLOW = """\
name: Bench
on:
  workflow_dispatch:
jobs:
  build:
    runs-on: ubuntu-24.04
    steps:
      - run: make
"""


def seed(root: Path) -> Path:
    """A git repository on `main` with one commit holding the workflow; the user's git configuration kept out."""
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CEILING_DIRECTORIES": str(root),
    }
    identity = ["-c", "user.name=releasekit bench", "-c", "user.email=bench@example.invalid"]
    workflow = root / ".github/workflows/bench.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(WORKFLOW, encoding="utf-8")
    (root / "README.md").write_text("bench\n", encoding="utf-8")
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "bench: seed"]):
        subprocess.run(["git", *identity, *args], cwd=root, env=env, check=True, capture_output=True)
    return root


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: sandbox_server.py DIRECTORY", file=sys.stderr)
        return 2
    done = threading.Event()

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        done.set()

    def wait_for_stdin_eof() -> None:
        sys.stdin.read()
        done.set()

    signal.signal(signal.SIGTERM, on_sigterm)
    # Runs are only dispatched to have a list to read: let them finish at once so the state is steady when timed.
    hub = Sandbox(argv[1], job_seconds=0.05, queue_seconds=0.05)
    with tempfile.TemporaryDirectory(prefix="releasekit-bench-seed-") as tmp:
        hub.create_repo(REPOSITORY, seed=seed(Path(tmp)))
    hub.start()
    try:
        print(json.dumps({"api_url": hub.api_url, "token": hub.token}), flush=True)
        threading.Thread(target=wait_for_stdin_eof, daemon=True, name="stdin-eof").start()
        done.wait()
    finally:
        hub.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
