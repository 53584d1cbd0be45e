"""Following a workflow run through the API, against in-process sandboxes whose clock runs SPEED times faster.

1. Dispatch to run id: the requests `dispatch_run` makes when the server returns the run's id (github.com;
   target: exactly 1), and, for information, when the server ignores `return_run_details` (a 204) or rejects it
   (a 422, then sent again without it): the run is then found by its correlation id.
2. A 30-minute run of examples/fluxion's release-full.yml followed by releasekit's `follow` (polls of 5 s backing
   off to 30 s, conditional reads, in sandbox time): the requests charged against the rate limit (target: at most
   20). Side by side, on a second identical run dispatched just after, a naive poller that reads the run and its
   jobs every 3 s without If-None-Match. Each follower's requests are told apart by the run id in their path.
"""

from __future__ import annotations

import io
import json
import os
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from release import fluxion_copy

from releasekit.backends.github import GitHub
from releasekit.sandbox.app import Sandbox
from releasekit.sandbox.clock import parse_iso
from releasekit.steps.dispatch import DispatchPlan, declared_inputs, dispatch_run, plan_dispatch
from releasekit.steps.runview import LineDisplay
from releasekit.steps.watch import Clock, follow

REPO = Path(__file__).resolve().parents[1]
NAME = "fluxion-app/fluxion"
WORKFLOW = "release-full.yml"
WORKFLOW_PATH = f".github/workflows/{WORKFLOW}"
VERSION = "1.3.2"
REF = f"refs/tags/v{VERSION}"
SPEED = 100.0  # the sandbox's clock, and the follower's: a 30-minute run lasts 18 s
QUEUE_SECONDS = 5.0
JOB_SECONDS = {  # sandbox time: the builds run side by side, then the upload, then the release (30 minutes)
    "build (ubuntu)": 12 * 60,
    "build (imac)": 20 * 60,
    "build (windows-pc)": 24 * 60,
    "upload to pypi": 2 * 60,
    "GitHub release": 4 * 60,
}
FOLLOW_POLL = 5.0
NAIVE_EVERY = 3.0
DISPATCH_TARGET = 1
CHARGED_TARGET = 20


def _hub(directory: Path, project: Path, **options: Any) -> Sandbox:
    hub = Sandbox(directory, queue_seconds=QUEUE_SECONDS, clock_speed=SPEED, **options).start()
    for job, seconds in JOB_SECONDS.items():
        hub.script(workflow=WORKFLOW, job=job, seconds=seconds)
    hub.create_repo(NAME, seed=project)
    return hub


def _client(hub: Sandbox) -> GitHub:
    return GitHub(NAME, url=hub.api_url, token=hub.token)


def _plan(project: Path) -> DispatchPlan:
    declared = declared_inputs((project / WORKFLOW_PATH).read_text(encoding="utf-8"), WORKFLOW_PATH)
    plan, problems = plan_dispatch(
        workflow=WORKFLOW,
        path=WORKFLOW_PATH,
        ref=REF,
        declared=declared,
        configured={},
        given={},
        version=VERSION,
    )
    if problems:
        raise RuntimeError("; ".join(problems))
    return plan


@dataclass
class Dispatch:
    run_id: int
    how: str
    client: int  # requests counted by the GitHub client
    logged: list[dict[str, Any]]  # the sandbox's log entries of the dispatch


def _dispatch(hub: Sandbox, project: Path) -> Dispatch:
    gh = _client(hub)
    mark = len(hub.requests())
    done = dispatch_run(
        gh, _plan(project), clock=Clock(poll=1.0, speed=SPEED), timeout=60.0, report=lambda _step, _text: None
    )
    return Dispatch(done.run_id, done.how, sum(gh.requests.values()), hub.requests()[mark:])


@dataclass
class Followed:
    run_id: int
    polls: int
    wall: float
    conclusion: str | None
    client: int | None = None  # requests counted by releasekit's GitHub client
    created: float = 0.0  # the run's creation (sandbox time)
    length: float = 0.0  # from its creation to its last update (sandbox seconds)
    entries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def charged(self) -> list[dict[str, Any]]:
        return [e for e in self.entries if e["charged"]]

    @property
    def not_modified(self) -> int:
        return sum(e["status"] == 304 for e in self.entries)


def _run_entries(entries: list[dict[str, Any]], run_id: int) -> list[dict[str, Any]]:
    """The log entries of requests about one run (the run itself and its jobs)."""
    base = f"/repos/{NAME}/actions/runs/{run_id}"
    return [e for e in entries if e["path"] == base or e["path"].startswith(base + "/")]


def _follow_releasekit(hub: Sandbox, run_id: int) -> Followed:
    gh = _client(hub)
    started = time.perf_counter()
    result = follow(
        gh,
        run_id,
        clock=Clock(poll=FOLLOW_POLL, speed=SPEED),
        timeout=3 * 3600.0,
        display=LineDisplay(io.StringIO()),
    )
    wall = time.perf_counter() - started
    # The polls are counted from the log afterwards: a poll reads the run once (and its jobs when it changed).
    return Followed(run_id, 0, wall, result.run.conclusion, client=sum(gh.requests.values()))


def _get(url: str, token: str) -> Any:
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}", "Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def _follow_naive(hub: Sandbox, run_id: int) -> Followed:
    """GET the run and its jobs every NAIVE_EVERY seconds of sandbox time until the run completes: no ETags."""
    url = f"{hub.api_url}/repos/{NAME}/actions/runs/{run_id}"
    started = time.perf_counter()
    origin = hub.clock.now()
    polls = 0
    while True:
        polls += 1
        run = _get(url, hub.token)
        _get(f"{url}/jobs?per_page=100", hub.token)
        if run["status"] == "completed":
            break
        due = origin + polls * NAIVE_EVERY
        time.sleep(max(0.0, hub.clock.real_seconds(due - hub.clock.now())))
    return Followed(run_id, polls, time.perf_counter() - started, run.get("conclusion"))


def _clock_text(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def _charged_times(followed: Followed) -> dict[str, list[str]]:
    """When the follower's charged requests were made, in sandbox time since the run was created."""
    out: dict[str, list[str]] = {"run": [], "jobs": []}
    for entry in followed.charged:
        kind = "jobs" if entry["path"].endswith("/jobs") else "run"
        out[kind].append(_clock_text(parse_iso(entry["time"]) - followed.created))
    return out


def _follow_both(hub: Sandbox, ours: int, theirs: int) -> dict[str, Followed]:
    """releasekit's `follow` on one run and the naive poller on the other, at the same time."""
    mark = len(hub.requests())  # the followers' requests only: not the dispatches' (which read the run)
    with ThreadPoolExecutor(max_workers=2) as pool:
        mine = pool.submit(_follow_releasekit, hub, ours)
        naive = pool.submit(_follow_naive, hub, theirs)
        followed = {"releasekit": mine.result(), "naive": naive.result()}
    finished = {r.id: r for r in hub.runs(NAME)}
    for one in followed.values():
        one.entries = _run_entries(hub.requests()[mark:], one.run_id)
        one.created = finished[one.run_id].created_at
        one.length = finished[one.run_id].updated_at - one.created
    followed["releasekit"].polls = sum(not e["path"].endswith("/jobs") for e in followed["releasekit"].entries)
    return followed


def run(work: Path) -> list[str]:
    gitconfig = work / "gitconfig"  # git as release.py runs it: no global or system configuration
    gitconfig.write_text("")
    os.environ.update({"GIT_CONFIG_GLOBAL": str(gitconfig), "GIT_CONFIG_NOSYSTEM": "1"})
    project = fluxion_copy(work)
    dispatches: dict[str, Dispatch] = {}
    for mode in ("ignore", "reject"):
        hub = _hub(work / f"hub-{mode}", project, dispatch_run_details=mode)
        try:
            dispatches[mode] = _dispatch(hub, project)
        finally:
            hub.stop()
    hub = _hub(work / "hub", project)
    try:
        dispatches["yes"] = _dispatch(hub, project)
        second = _dispatch(hub, project)
        followed = _follow_both(hub, dispatches["yes"].run_id, second.run_id)
    finally:
        hub.stop()
    print(f"## Following a run (release-full, sandbox clock at {SPEED:.0f}x)")
    print()
    _print_dispatches(dispatches)
    print()
    _print_follows(followed)
    print()
    print(f"Targets: dispatch to run id in {DISPATCH_TARGET} request; at most {CHARGED_TARGET} charged to follow.")
    failures: list[str] = []
    mine = dispatches["yes"]
    if mine.client != DISPATCH_TARGET or len(mine.logged) != DISPATCH_TARGET:
        failures.append(
            f"dispatch to run id took {mine.client} requests (client), {len(mine.logged)} (sandbox log) "
            f"(target: exactly {DISPATCH_TARGET})"
        )
    charged = len(followed["releasekit"].charged)
    if charged > CHARGED_TARGET:
        failures.append(f"following a 30-minute run was charged {charged} requests (target: at most {CHARGED_TARGET})")
    return failures


def _print_dispatches(dispatches: dict[str, Dispatch]) -> None:
    print("Dispatch to run id: the requests `dispatch_run` made, by how the server answers `return_run_details`:")
    print()
    print("| server | requests (client) | requests (sandbox log) | requests sent | the run |")
    print("| --- | ---: | ---: | --- | --- |")
    labels = {
        "yes": "returns the run id (github.com)",
        "ignore": "ignores the field: 204 (older GHES)",
        "reject": "rejects the field: 422 (older GHES)",
    }
    for mode in ("yes", "ignore", "reject"):
        one = dispatches[mode]
        sent = ", ".join(f"{_what(e['method'], e['path'])}: {e['status']}" for e in one.logged)
        print(f"| {labels[mode]} | {one.client} | {len(one.logged)} | {sent} | {one.how} |")


def _print_follows(followed: dict[str, Followed]) -> None:
    print(
        "Following a 30-minute run (builds of 12, 20 and 24 min side by side, upload 2 min, release 4 min), "
        "two runs at the same time:"
    )
    print()
    print("| follower | run length | requests | charged | 304 (free) | polls | wall | conclusion |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    names = {
        "releasekit": "releasekit `follow` (poll 5 s, backing off to 30 s; If-None-Match)",
        "naive": "naive: run + jobs every 3 s, no If-None-Match",
    }
    for name, one in followed.items():
        print(
            f"| {names[name]} | {_clock_text(one.length)} | {len(one.entries)} | **{len(one.charged)}** "
            f"| {one.not_modified} | {one.polls} | {one.wall:.1f} s | {one.conclusion} |"
        )
    ours, naive = followed["releasekit"], followed["naive"]
    ratio = len(naive.charged) / max(len(ours.charged), 1)
    print()
    print(
        f"The naive poller is charged {ratio:.0f}x as many requests ({len(naive.charged)} / {len(ours.charged)}). "
        f"releasekit's client counted {ours.client} requests for its follow (the sandbox's log: {len(ours.entries)})."
    )
    print()
    print("When `follow`'s charged requests were made (sandbox time since the dispatch, m:ss):")
    print()
    for kind, at in _charged_times(ours).items():
        print(f"- {kind} ({len(at)}): {', '.join(at) or 'none'}")


def _what(method: str, path: str) -> str:
    if path.endswith("/dispatches"):
        return f"{method} dispatches"
    if path.endswith(f"/{WORKFLOW}/runs"):
        return f"{method} the workflow's runs"
    return f"{method} the run" if "/actions/runs/" in path else f"{method} {path}"
