"""A watchdog process that cleans up after the sandbox even when the sandbox is killed (SIGKILL leaves it no chance).

The sandbox holds the write end of the janitor's stdin and closes it only when it stops; the operating system
closes it too when the sandbox dies, however it dies, so the janitor reads end-of-file either way. Meanwhile the
sandbox tells it, one JSON line each, what to undo: `{"remove": PATH}` (its temporary directory), `{"kill": PID}`
(a job's process group), `{"done": PID}` (that job ended by itself). At end-of-file the janitor stops the jobs
still listed, removes the directories and exits. After a clean stop there is nothing left for it to do.

Pipes and end-of-file work alike on Linux, macOS and Windows, unlike Linux's PR_SET_PDEATHSIG. This file is also
the janitor's program: it runs as `python -I -S janitor.py`, importing only the standard library, so it starts in
milliseconds and does not depend on releasekit being importable.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

# How long a job gets to end after SIGTERM before SIGKILL, and how long removal is retried: a process that was
# writing into the directory (a job being stopped, the package index) may still be at it, and Windows refuses to
# delete a file that is open.
_TERM_GRACE = 2.0
_REMOVE_FOR = 10.0


class Janitor:
    """The sandbox's handle on its watchdog. The process starts on first use: most sandboxes never need one."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._closed = False

    def remove_at_exit(self, path: Path) -> None:
        self._send({"remove": str(path)})

    def kill_at_exit(self, pid: int) -> None:
        """Stop process group `pid` (a job started with start_new_session) if it is still running then."""
        self._send({"kill": pid})

    def forget(self, pid: int) -> None:
        self._send({"done": pid}, start=False)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def _send(self, order: dict[str, object], *, start: bool = True) -> None:
        with self._lock:
            if self._closed or (self._proc is None and not start):
                return
            if self._proc is None:
                # stdout is not needed; stderr stays the sandbox's, so a janitor that fails says so.
                self._proc = subprocess.Popen(
                    [sys.executable, "-I", "-S", __file__], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL
                )
            stdin = self._proc.stdin
            assert stdin is not None
            try:
                stdin.write(json.dumps(order).encode() + b"\n")
                stdin.flush()
            except OSError:  # the janitor is gone (killed with us?); nothing better to do than go on
                pass

    def close(self, timeout: float = 15.0) -> None:
        """The sandbox stopped cleanly: let the janitor finish (usually with nothing to do) and reap it."""
        with self._lock:
            self._closed = True
            proc, self._proc = self._proc, None
        if proc is None:
            return
        assert proc.stdin is not None
        with contextlib.suppress(OSError):
            proc.stdin.close()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# -- the janitor process ------------------------------------------------------------------------------------------


def main(orders: IO[bytes]) -> None:
    # Ctrl-C in a terminal reaches the whole process group; the janitor must outlive the sandbox's clean stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    remove: list[Path] = []
    groups: set[int] = set()
    for line in orders:  # until end-of-file: the sandbox stopped, or died
        try:
            order = json.loads(line)
        except ValueError:
            continue
        if "remove" in order:
            remove.append(Path(order["remove"]))
        elif "kill" in order:
            groups.add(int(order["kill"]))
        elif "done" in order:
            groups.discard(int(order["done"]))
    stop_groups(groups)
    for path in remove:
        remove_tree(path)


def stop_groups(groups: set[int]) -> None:
    """SIGTERM each process group, SIGKILL what is left of them after a grace period (on Windows: the tree)."""
    if not groups:
        return
    if os.name == "nt":
        for pid in groups:
            subprocess.run(["taskkill", "/F", "/T", "/PID", str(pid)], capture_output=True, check=False)
        return
    alive = {pid for pid in groups if _signal_group(pid, signal.SIGTERM)}
    deadline = time.monotonic() + _TERM_GRACE
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = {pid for pid in alive if _group_alive(pid)}
    for pid in alive:
        _signal_group(pid, signal.SIGKILL)


def _signal_group(pid: int, signum: int) -> bool:
    try:
        os.killpg(pid, signum)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _group_alive(pgid: int) -> bool:
    """Whether a process of the group still runs. The jobs' processes were orphaned with the sandbox; their
    zombies wait for whoever adopted them to reap them, which may be slow or never (a container without an init),
    and still count for killpg(pgid, 0). Linux's /proc tells zombies apart; elsewhere ask killpg."""
    proc = Path("/proc")
    if not (proc / "self" / "stat").exists():
        return _signal_group(pgid, 0)
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # ended meanwhile
            continue
        # "pid (command) state ppid pgrp ...": the command may hold spaces and parentheses, so split after it.
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            return True
    return False


def remove_tree(path: Path) -> None:
    deadline = time.monotonic() + _REMOVE_FOR
    while True:
        shutil.rmtree(path, ignore_errors=True)
        if not os.path.lexists(path) or time.monotonic() > deadline:
            return
        time.sleep(0.1)


if __name__ == "__main__":
    main(sys.stdin.buffer)
