"""Follow a workflow run through the API: find the run a push or dispatch started, then follow it to the end.

What a poll costs: the run is read with a conditional request (GitHub does not charge an unchanged answer, a 304,
against the rate limit), and its jobs only when the run changed (a job starting or finishing moves the run's
`updated_at`), or every `refresh` seconds while jobs run, for the steps. The interval backs off as the run gets
older, from `poll` up to `max_poll`. A lost API is waited for; a rate limit is waited out. Display is separate
(`runview.py`): it is told of every change.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from releasekit.backends import actions
from releasekit.backends.github import GitHub, RateLimited, Unreachable
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
        return [j for j in self.jobs if j.failed]


@dataclass
class Clock:
    """Time as the watcher sees it: `now()` to measure, `time()` to compare with GitHub's timestamps, `sleep()` to
    wait, and the poll interval. `speed` > 1 runs it faster than real time, for a sandbox whose clock is sped up the
    same way (benchmarks); a poll of 5 s at speed 100 sleeps 50 ms. Tests pass a subclass that moves a sandbox's
    clock instead of sleeping (`releasekit.cli.main(argv, clock=...)`), so that no test waits through a back-off.
    """

    poll: float = 5.0
    max_poll: float = 30.0
    speed: float = 1.0
    waited: float = 0.0  # seconds (of this clock) spent waiting for GitHub, for `RELEASEKIT_TIMINGS`
    _origin: float = field(default_factory=time.monotonic)

    def now(self) -> float:
        return (time.monotonic() - self._origin) * self.speed

    def time(self) -> float:
        """Seconds since the epoch."""
        return time.time()

    def sleep(self, seconds: float) -> None:
        self.waited += seconds
        time.sleep(seconds / self.speed)

    def polling(self, poll: float) -> Clock:
        """The same time with another first poll interval."""
        return dataclasses.replace(self, poll=poll)

    def interval(self, elapsed: float) -> float:
        """The pause before the next poll: `poll` for a young run, then a twentieth of its age, up to `max_poll`."""
        return min(max(self.poll, elapsed / 20), max(self.poll, self.max_poll))


class Display(Protocol):
    def update(self, run: RunInfo, jobs: Sequence[JobInfo]) -> None: ...

    def note(self, text: str) -> None: ...


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

    def newest() -> RunInfo | None:
        found = actions.runs(gh, workflow, event=event, head_sha=head_sha, branch=branch)
        return max(found, key=lambda r: r.id) if found else None

    run = wait_for_run(clock=clock, timeout=timeout, lookup=newest)
    if run is None:
        msg = (
            f"no run of {workflow} started for {branch or head_sha[:12]} ({event}, commit {head_sha[:12]}) "
            f"within {timeout:.0f} s; check the workflow's triggers and the repository's Actions page"
        )
        raise WatchError(msg)
    return run


def wait_for_run(*, clock: Clock, timeout: float, lookup: Callable[[], RunInfo | None]) -> RunInfo | None:
    """Call `lookup` until it finds the run or `timeout` passes (None then)."""
    deadline = clock.now() + timeout
    while True:
        found = lookup()
        if found is not None or clock.now() >= deadline:
            return found
        clock.sleep(clock.poll)


def follow(
    gh: GitHub,
    run_id: int,
    *,
    clock: Clock,
    timeout: float,
    display: Display,
    refresh: float = 300.0,
) -> RunResult:
    """Poll the run (and its jobs when it changed) until it completes; the display is told of every change."""
    started = clock.now()
    deadline = started + timeout
    last_run: RunInfo | None = None
    jobs: tuple[JobInfo, ...] = ()
    jobs_read = started
    outage = 0.0
    while True:
        try:
            run = actions.run(gh, run_id)
            stale = clock.now() - jobs_read >= refresh and any(j.status != "completed" for j in jobs)
            if run != last_run or stale or not jobs:
                jobs = tuple(actions.jobs(gh, run_id))
                jobs_read = clock.now()
        except Unreachable as exc:
            outage = min(max(outage * 2, clock.poll), clock.max_poll * 2)
            display.note(f"the GitHub API is not answering ({exc.reason}); still watching, next try in {outage:.0f} s")
            _pause(clock, outage, deadline, run_id)
            continue
        except RateLimited as exc:
            # Waited out in steps, asking again after each: a limit can come back before its announced reset.
            step = min(exc.wait, max(clock.max_poll * 2, clock.poll))
            display.note(f"GitHub's rate limit is exhausted for {exc.wait:.0f} s more; asking again in {step:.0f} s")
            _pause(clock, step, deadline, run_id, last_run)
            continue
        if outage:
            display.note("the GitHub API answers again")
            outage = 0.0
        last_run = run
        display.update(run, jobs)
        if run.status == "completed":
            return RunResult(run, jobs)
        _pause(clock, clock.interval(clock.now() - started), deadline, run_id, run)


def _pause(clock: Clock, seconds: float, deadline: float, run_id: int, run: RunInfo | None = None) -> None:
    if clock.now() >= deadline:
        state = f"it is still {run.status}: {run.html_url}" if run else "GitHub did not answer"
        msg = (
            f"run {run_id} did not finish in the time given (--timeout); {state}. "
            f"Follow it on with `releasekit watch {run_id}`"
        )
        raise WatchError(msg)
    clock.sleep(min(seconds, max(deadline - clock.now(), 0.0) + 0.001))
