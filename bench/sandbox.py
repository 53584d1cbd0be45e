"""The sandbox's benchmarks: PyGithub round trips on loopback, and a 1 GiB release asset upload.

The sandbox runs in a child process (`bench/sandbox_server.py`), as it does for real, so the client and the server
do not share a GIL. Targets: a round trip through PyGithub under 5 ms median; the server's peak RSS under 100 MB
while a 1 GiB asset streams to disk. The server's own time per request is read from its request log (`ms`: from
the request's headers parsed to the answer ready to send), to split the client's cost from the server's.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from github import Auth, Github
from github.GitRelease import GitRelease
from github.Repository import Repository

HERE = Path(__file__).resolve().parent
REPOSITORY = "bench/demo"  # what sandbox_server.py hosts
ROUNDS = 300
WARM_UP = 20
RUNS = 10  # workflow runs on the listed page
GIB = 1 << 30
CHUNK = 1 << 20
ROUND_TRIP_TARGET_MS = 5.0
RSS_TARGET = 100_000_000  # bytes
FREE_NEEDED = 3 * GIB  # each upload lands 1 GiB in the sandbox's directory


@dataclass
class Server:
    proc: subprocess.Popen[str]
    api_url: str
    token: str
    directory: Path

    def memory(self, field: str) -> int | None:
        """VmRSS, VmHWM (peak RSS), ... of the server process in bytes; None where there is no /proc."""
        try:
            text = Path(f"/proc/{self.proc.pid}/status").read_text(encoding="ascii")
        except OSError:
            return None
        for line in text.splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) * 1024
        return None

    def reset_peak(self) -> None:
        # Linux: "5" resets VmHWM to the current RSS, so the next reading is the peak of what follows alone.
        # Should the write fail, the reading includes earlier peaks: it can only over-report.
        with contextlib.suppress(OSError):
            Path(f"/proc/{self.proc.pid}/clear_refs").write_text("5", encoding="ascii")

    def log_size(self) -> int:
        return (self.directory / "requests.jsonl").stat().st_size

    def log_since(self, offset: int) -> list[dict[str, Any]]:
        """Entries written after `offset`: each is written before its answer goes out, so none is missing."""
        with (self.directory / "requests.jsonl").open("rb") as handle:
            handle.seek(offset)
            return [json.loads(line) for line in handle.read().splitlines()]


@contextlib.contextmanager
def serving(directory: Path) -> Iterator[Server]:
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "sandbox_server.py"), str(directory)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None  # both are pipes
    try:
        line = proc.stdout.readline()
        if not line:
            msg = f"the sandbox server exited with status {proc.wait()} before it served"
            raise RuntimeError(msg)
        info = json.loads(line)
        yield Server(proc, info["api_url"], info["token"], directory)
    finally:
        proc.stdin.close()  # the server's signal to stop
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def prepare(gh: Github) -> tuple[Repository, GitRelease]:
    """A draft release to read and upload to, and a page of finished workflow runs to list."""
    repo = gh.get_repo(REPOSITORY)
    release = repo.create_git_release("v1.0.0", name="bench", message="", draft=True)
    workflow = repo.get_workflow("bench.yml")
    for _ in range(RUNS):
        workflow.create_dispatch("main", throw=True)
    deadline = time.monotonic() + 30
    while any(run.status != "completed" for run in repo.get_workflow_runs()):
        if time.monotonic() > deadline:
            msg = "the sandbox's workflow runs did not finish within 30 s"
            raise TimeoutError(msg)
        time.sleep(0.05)
    return repo, release


@dataclass
class Kind:
    """One kind of request timed, and how to find it in the server's log."""

    name: str
    call: Callable[[], object]
    path: str
    query: str = ""
    status: int = 200
    targeted: bool = True  # a PyGithub call, which the 5 ms target is about

    def logged(self, entry: dict[str, Any]) -> bool:
        return (entry["path"], entry["query"], entry["status"]) == (self.path, self.query, self.status)


def round_trips(server: Server, gh: Github, repo: Repository, release: GitRelease) -> list[str]:
    session = requests.Session()
    session.headers["Authorization"] = f"token {server.token}"
    repo.update()  # takes the ETag the conditional GET sends

    def not_modified() -> None:
        if repo.update():
            msg = "repo.update() got a 200, not the 304 this benchmark times"
            raise RuntimeError(msg)

    def plain(path: str, query: str) -> Callable[[], None]:
        url = f"{server.api_url}{path}?{query}"
        return lambda: session.get(url, timeout=10).raise_for_status()

    split = urlsplit(server.api_url)
    connection = http.client.HTTPConnection(split.hostname or "127.0.0.1", split.port, timeout=10)

    def raw(path: str, query: str) -> Callable[[], None]:
        def call() -> None:
            connection.request("GET", f"{path}?{query}")
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                msg = f"GET {path} answered {response.status}"
                raise RuntimeError(msg)

        return call

    repo_path = f"/repos/{REPOSITORY}"
    kinds = [
        Kind("`gh.get_repo(name)`", lambda: gh.get_repo(REPOSITORY), repo_path),
        Kind("`repo.get_release(id)`", lambda: repo.get_release(release.id), f"{repo_path}/releases/{release.id}"),
        Kind(
            f"`repo.get_workflow_runs()[0]` (a page of {RUNS} runs)",
            lambda: repo.get_workflow_runs()[0],
            f"{repo_path}/actions/runs",
        ),
        Kind("`repo.update()` answered 304", not_modified, repo_path, status=304),
        # The same GET as gh.get_repo without PyGithub; the query only tells the two apart in the server's log.
        Kind(
            "`requests`: the same GET as `gh.get_repo`",
            plain(repo_path, "via=requests"),
            repo_path,
            "via=requests",
            targeted=False,
        ),
        # Floors: http.server and the client library on loopback, with no token, no routing and little JSON.
        Kind(
            "`requests`: GET `/_sandbox/health`",
            plain("/_sandbox/health", "via=requests"),
            "/_sandbox/health",
            "via=requests",
            targeted=False,
        ),
        Kind(
            "`http.client`: GET `/_sandbox/health`",
            raw("/_sandbox/health", "via=http.client"),
            "/_sandbox/health",
            "via=http.client",
            targeted=False,
        ),
    ]
    for kind in kinds:
        for _ in range(WARM_UP):
            kind.call()
    offset = server.log_size()
    times: dict[str, list[float]] = {kind.name: [] for kind in kinds}
    for _ in range(ROUNDS):  # interleaved, so noise hits every kind alike
        for kind in kinds:
            start = time.perf_counter()
            kind.call()
            times[kind.name].append((time.perf_counter() - start) * 1000)
    entries = server.log_since(offset)

    print(f"## Sandbox: request round trips on loopback, server in another process ({ROUNDS} of each, interleaved)\n")
    print("| request | median | p95 | server median | the rest (client, HTTP, loopback) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    failures = []
    for kind in kinds:
        values = times[kind.name]
        median = statistics.median(values)
        served = [float(e["ms"]) for e in entries if kind.logged(e)]
        if len(served) != ROUNDS:
            msg = f"{kind.name}: {len(served)} requests in the server's log, not {ROUNDS}"
            raise RuntimeError(msg)
        server_median = statistics.median(served)
        print(
            f"| {kind.name} | {median:.2f} ms | {percentile(values, 0.95):.2f} ms | {server_median:.2f} ms "
            f"| {median - server_median:.2f} ms |"
        )
        if kind.targeted and median >= ROUND_TRIP_TARGET_MS:
            failures.append(f"{kind.name} takes {median:.2f} ms median (target: under {ROUND_TRIP_TARGET_MS:g} ms)")
    return failures


def uploads(server: Server, release: GitRelease, work: Path) -> list[str]:
    print("\n## Sandbox: a 1 GiB release asset upload, server in another process\n")
    print("| upload | wall | throughput | server handler | server RSS before | server peak RSS | size, digest |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    upload_url = release.upload_url.split("{", 1)[0]
    failures: list[str] = []
    notes: list[str] = []

    def chunked() -> tuple[dict[str, Any], str, float]:
        digest = hashlib.sha256()

        def body() -> Iterator[bytes]:  # made on the fly, 1 MiB at a time; every chunk differs
            block = os.urandom(CHUNK)
            for index in range(GIB // CHUNK):
                chunk = index.to_bytes(8, "big") + block[8:]
                digest.update(chunk)
                yield chunk

        start = time.perf_counter()  # hashing on the fly is part of the client's work, and timed
        response = requests.post(
            f"{upload_url}?name=big-chunked.bin",
            data=body(),
            headers={"Authorization": f"token {server.token}", "Content-Type": "application/octet-stream"},
            timeout=120,
        )
        seconds = time.perf_counter() - start
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer, f"sha256:{digest.hexdigest()}", seconds

    def with_length() -> tuple[dict[str, Any], str, float]:
        # PyGithub's own upload (what releasekit does): it opens the file and sends it with a Content-Length.
        # The file is sparse: 1 GiB of zeros that take no disk, read from the page cache at memory speed.
        with tempfile.NamedTemporaryFile(dir=work, suffix=".bin") as handle:
            handle.truncate(GIB)
            handle.flush()
            digest = hashlib.sha256()
            zeros = bytes(CHUNK)
            for _ in range(GIB // CHUNK):
                digest.update(zeros)
            start = time.perf_counter()  # the file is made and hashed beforehand: only the upload is timed
            asset = release.upload_asset(handle.name, name="big-length.bin", content_type="application/octet-stream")
            seconds = time.perf_counter() - start
        answer = {"id": asset.id, "size": asset.size, "digest": asset.digest}
        return answer, f"sha256:{digest.hexdigest()}", seconds

    for label, upload in (
        ("chunked (`requests`, a generator of 1 MiB chunks)", chunked),
        ("Content-Length (PyGithub `upload_asset`, sparse file)", with_length),
    ):
        free = shutil.disk_usage(server.directory).free
        if free < FREE_NEEDED:
            notes.append(f"skipped {label}: {free / GIB:.1f} GiB free in {server.directory}, 3 GiB wanted")
            continue
        before = server.memory("VmRSS")
        server.reset_peak()
        offset = server.log_size()
        answer, expected, seconds = upload()
        peak = server.memory("VmHWM")
        handler = [e["ms"] for e in server.log_since(offset) if e["path"].startswith("/api/uploads/")]
        intact = answer["size"] == GIB and answer["digest"] == expected
        verdict = "match" if intact else f"MISMATCH: {answer['size']} bytes, {answer['digest']}"
        print(
            f"| {label} | {seconds:.2f} s | {GIB / seconds / 1e6:.0f} MB/s | {handler[0] / 1000:.2f} s "
            f"| {megabytes(before)} | {megabytes(peak)} | {verdict} |"
        )
        if not intact:
            failures.append(f"{label}: the sandbox stored {answer['size']} bytes, {answer['digest']}")
        if peak is not None and peak >= RSS_TARGET:
            failures.append(f"{label}: server peak RSS {peak / 1e6:.0f} MB (target: under 100 MB)")
        requests.delete(
            f"{server.api_url}/repos/{REPOSITORY}/releases/assets/{answer['id']}",
            headers={"Authorization": f"token {server.token}"},
            timeout=30,
        ).raise_for_status()
    client_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    print(f"\nThe benchmark process (the client) peaked at {client_peak / 1e6:.0f} MB RSS over its whole run.")
    for note in notes:
        print(f"\nNOTE: {note}")
    return failures


def megabytes(size: int | None) -> str:
    return "n/a" if size is None else f"{size / 1e6:.1f} MB"


def run(work: Path) -> list[str]:
    """Both sandbox benchmarks against one sandbox process; returns the targets missed."""
    directory = work / "sandbox"
    with serving(directory) as server:
        at_start = server.memory("VmHWM")
        gh = Github(
            auth=Auth.Token(server.token),
            base_url=server.api_url,
            retry=None,
            seconds_between_requests=0,
            seconds_between_writes=0,
            timeout=120,  # a 1 GiB upload; the default 15 s is per socket operation, but be generous
        )
        repo, release = prepare(gh)
        failures = round_trips(server, gh, repo, release)
        after = server.memory("VmHWM")
        print(f"\nServer peak RSS: {megabytes(at_start)} after start-up, {megabytes(after)} after the round trips.")
        failures += uploads(server, release, work)
    return failures
