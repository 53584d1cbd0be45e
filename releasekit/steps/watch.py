"""Follow a workflow run through the API: find the run a push or dispatch started, then its jobs to the end.

Display is separate from polling: a live job table on a terminal, one line per change otherwise (logs, CI).
Polls use conditional requests (ETags), which GitHub does not charge against the rate limit when unchanged.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from releasekit.backends.github import GitHub
from releasekit.backends.records import JobInfo, RunInfo
from releasekit.errors import ReleasekitError


class WatchError(ReleasekitError):
    """The run did not start, or did not finish, in time."""


@dataclass(frozen=True)
class RunResult:
    run: RunInfo
    jobs: tuple[JobInfo, ...]

    @property
    def ok(self) -> bool:
        return self.run.conclusion == "success"

    @property
    def failed_jobs(self) -> list[JobInfo]:
        return [j for j in self.jobs if j.conclusion in ("failure", "cancelled", "timed_out", "startup_failure")]


@dataclass
class Clock:
    """Time as the watcher sees it (tests and benchmarks pass a faster poll, never a fake clock)."""

    poll: float = 5.0
    waited: float = 0.0  # seconds spent waiting for GitHub, for `RELEASEKIT_TIMINGS`

    def sleep(self, seconds: float) -> None:
        self.waited += seconds
        time.sleep(seconds)


def find_run(
    gh: GitHub,
    workflow: str,
    *,
    event: str,
    head_sha: str,
    branch: str | None,
    clock: Clock,
    timeout: float,
) -> RunInfo:
    """The newest run of `workflow` for this event and commit (and tag or branch), waiting for it to appear."""
    deadline = time.monotonic() + timeout
    while True:
        runs = gh.find_runs(workflow, event=event, head_sha=head_sha, branch=branch)
        if runs:
            return max(runs, key=lambda r: r.id)
        if time.monotonic() >= deadline:
            msg = (
                f"no run of {workflow} started for {branch or head_sha[:12]} ({event}, commit {head_sha[:12]}) "
                f"within {timeout:.0f} s; check the workflow's triggers and the repository's Actions page"
            )
            raise WatchError(msg)
        clock.sleep(clock.poll)


def follow(
    gh: GitHub,
    run_id: int,
    *,
    clock: Clock,
    timeout: float,
    display: Display,
) -> RunResult:
    """Poll the run and its jobs until the run completes; the display is told of every change."""
    deadline = time.monotonic() + timeout
    while True:
        run = gh.run(run_id)
        jobs = tuple(gh.jobs(run_id))
        display.update(run, jobs)
        if run.status == "completed":
            return RunResult(run, jobs)
        if time.monotonic() >= deadline:
            msg = f"run {run_id} did not finish within {timeout / 60:.0f} min; it is still {run.status}: {run.html_url}"
            raise WatchError(msg)
        clock.sleep(clock.poll)


def _state(status: str, conclusion: str | None) -> str:
    return conclusion if status == "completed" and conclusion else status


class Display:
    """One line per change: what a log or a CI console keeps."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self.seen: dict[object, str] = {}

    def _say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def update(self, run: RunInfo, jobs: Sequence[JobInfo]) -> None:
        state = _state(run.status, run.conclusion)
        if self.seen.get("run") != state:
            self.seen["run"] = state
            self._say(f"  run {run.id} {run.name}: {state}  {run.html_url}")
        for job in jobs:
            job_state = _state(job.status, job.conclusion)
            if self.seen.get(job.id) != job_state:
                self.seen[job.id] = job_state
                self._say(f"    {job.name}: {job_state}")


class TableDisplay(Display):
    """A live table of the jobs, redrawn in place on a terminal."""

    def __init__(self, out: TextIO | None = None) -> None:
        super().__init__(out)
        self.drawn = 0
        self.started = time.monotonic()

    def update(self, run: RunInfo, jobs: Sequence[JobInfo]) -> None:
        lines = [f"  run {run.id} {run.name}: {_state(run.status, run.conclusion)}  {run.html_url}"]
        width = max((len(j.name) for j in jobs), default=0)
        for job in jobs:
            lines.append(f"    {job.name:<{width}}  {_state(job.status, job.conclusion)}")
        lines.append(f"  {time.monotonic() - self.started:.0f} s")
        text = "".join("\x1b[2K" + line + "\n" for line in lines)
        if self.drawn:
            text = f"\x1b[{self.drawn}F" + text  # back to the table's first line, then redraw it
        self.out.write(text)
        self.out.flush()
        self.drawn = len(lines)


def display_for(out: TextIO | None = None) -> Display:
    out = out or sys.stdout
    return TableDisplay(out) if out.isatty() else Display(out)
