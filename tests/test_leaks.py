"""Nothing outlives the sandbox: `kill -9` of `releasekit sandbox --index` leaves no process and no temporary
directory behind; and loading the pytest plugin, which every pytest run of a project with releasekit installed
does, imports none of the sandbox."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import git
from sandbox_scene import make_project
from test_sandbox_cli import Running

posix_only = pytest.mark.skipif(os.name != "posix", reason="SIGKILL and process groups are POSIX's")


def eventually(leftovers: Callable[[], list[str]], timeout: float = 20.0) -> list[str]:
    """Poll until `leftovers()` is empty or the deadline passes; the last answer (empty when all is well)."""
    deadline = time.monotonic() + timeout
    while True:
        left = leftovers()
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def processes() -> dict[int, tuple[int, str, str]]:
    """pid -> (parent pid, state, command line), as `ps` shows them (Linux and macOS alike)."""
    out = subprocess.run(
        ["ps", "-A", "-ww", "-o", "pid=,ppid=,stat=,args="], capture_output=True, text=True, check=True
    )
    table = {}
    for line in out.stdout.splitlines():
        pid, ppid, stat, *args = line.split(None, 3)
        table[int(pid)] = (int(ppid), stat, args[0] if args else "")
    return table


def descendants(root: int) -> dict[int, str]:
    table = processes()
    found: dict[int, str] = {}
    parents = [root]
    while parents:
        parent = parents.pop()
        for pid, (ppid, _, args) in table.items():
            if ppid == parent and pid not in found:
                found[pid] = args
                parents.append(pid)
    return found


def running(pids: dict[int, str]) -> list[str]:
    """Those of `pids` still running (a zombie has ended: it only waits to be reaped by whoever adopted it)."""
    table = processes()
    return [f"{pid} {args}" for pid, args in pids.items() if pid in table and not table[pid][1].startswith("Z")]


def kill(leftovers: list[str]) -> None:
    for line in leftovers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(line.split()[0]), signal.SIGKILL)


def answers(url: str) -> bool:
    host, _, port = url.removeprefix("http://").rstrip("/").partition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except OSError:
        return False


@posix_only
def test_kill_9_leaves_no_index_no_job_and_no_state_behind(tmp_path: Path) -> None:
    project = make_project(tmp_path / "demo")
    job_pid = tmp_path / "job.pid"
    script = tmp_path / "script.yaml"
    # The job leaves a grandchild in its process group: `sleep` outlives its shell unless the group is stopped.
    command = f"sleep 300 & echo $! > {job_pid}; wait"
    script.write_text(json.dumps([{"workflow": "release.yml", "job": "build", "command": command}]))
    temp = tmp_path / "tmp"  # the sandbox's TMPDIR: whatever it leaves there is a leak
    temp.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_TOKEN", "GH_TOKEN")}
    args = ["--repo", f"acme/demo={project}", "--index", "--script", str(script), "--queue-seconds", "0.05"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "releasekit", "sandbox", *args],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**env, "TMPDIR": str(temp)},
    )
    children: dict[int, str] = {}
    try:
        hub = Running(proc)
        index_url = hub.exports["TWINE_REPOSITORY_URL"]
        git(project, "remote", "add", "sandbox", hub.remotes["acme/demo"])
        git(project, "tag", "-a", "v1.1.0", "-m", "v1.1.0")
        git(project, "push", "-q", "sandbox", "v1.1.0")
        assert not eventually(lambda: [] if job_pid.exists() and job_pid.read_text().strip() else ["no job yet"])
        children = descendants(proc.pid)
        index_answered = answers(index_url)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        left = eventually(lambda: running(children))
        kill(left)  # a failing test leaks nothing either
        proc.communicate(timeout=30)  # the children hold its pipes until they end

    state = Path(hub.remotes["acme/demo"]).parents[2]
    assert state.parent == temp and state.name.startswith("releasekit-sandbox-")
    assert index_answered
    assert any("releasekit.sandbox.index" in args for args in children.values()), children
    assert any("janitor.py" in args for args in children.values()), children
    assert int(job_pid.read_text()) in children  # the job's `sleep`, a grandchild in the job's process group
    assert left == []
    assert not answers(index_url)
    assert eventually(lambda: [str(p) for p in temp.iterdir()]) == []


@posix_only
def test_the_janitor_stops_a_job_group_and_removes_the_directory_when_its_owner_dies(tmp_path: Path) -> None:
    doomed = tmp_path / "releasekit-sandbox-x"
    (doomed / "logs").mkdir(parents=True)
    (doomed / "logs" / "1.txt").write_text("log\n")
    owner = (
        "import os, signal, subprocess, sys\n"
        "from pathlib import Path\n"
        "from releasekit.sandbox.janitor import Janitor\n"
        "job = subprocess.Popen('sleep 300 & sleep 300', shell=True, start_new_session=True)\n"
        "janitor = Janitor()\n"
        f"janitor.remove_at_exit(Path({str(doomed)!r}))\n"
        "janitor.kill_at_exit(job.pid)\n"
        "print(job.pid, janitor.pid, flush=True)\n"
        "sys.stdin.read()\n"  # until the test has seen the job, then die without any clean-up
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", owner], cwd=tmp_path, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdin is not None
    job, janitor = map(int, proc.stdout.readline().split())
    group = {pid: args for pid, args in descendants(proc.pid).items() if pid != janitor}
    assert job in group and len(group) >= 3, group  # the shell and its two sleeps
    proc.stdin.close()
    assert proc.wait(timeout=10) == -signal.SIGKILL
    proc.stdout.close()
    left = eventually(lambda: running({**group, janitor: "janitor"}))
    kill(left)
    assert left == []
    assert not doomed.exists()


def test_loading_the_pytest_plugin_imports_none_of_the_sandbox() -> None:
    # Loaded as pytest loads it, through the entry point, in a fresh interpreter.
    probe = (
        "import json, sys\n"
        "from importlib.metadata import entry_points\n"
        "[plugin] = [e for e in entry_points(group='pytest11') if e.value == 'releasekit.sandbox.pytest_plugin']\n"
        "module = plugin.load()\n"
        "print(json.dumps({'modules': sorted(sys.modules),"
        " 'fixtures': sorted(n for n in vars(module) if n in ('github_sandbox', 'sandbox_factory',"
        " 'sandbox_observers'))}))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    seen = json.loads(done.stdout)
    ours = [m for m in seen["modules"] if m == "releasekit" or m.startswith("releasekit.")]
    assert ours == ["releasekit", "releasekit.sandbox", "releasekit.sandbox.pytest_plugin"]
    assert not {"github", "yaml", "jinja2", "requests", "pypiserver"} & set(seen["modules"])
    assert seen["fixtures"] == ["github_sandbox", "sandbox_factory", "sandbox_observers"]
