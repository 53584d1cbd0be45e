"""How a followed run is shown: a live job table on a terminal, one line per change otherwise (logs, CI), and the
closing summary (jobs and durations, the release's assets) or the failure (failed jobs and steps, their URLs)."""

from __future__ import annotations

import io
import os
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, TextIO

from releasekit.backends.records import JobInfo, ReleaseInfo, RunInfo
from releasekit.output import size_text

if TYPE_CHECKING:
    from releasekit.config.model import Config


def state(status: str, conclusion: str | None) -> str:
    return conclusion if status == "completed" and conclusion else status


def job_state(job: JobInfo) -> str:
    """A job's state, marked when the sandbox only simulated it (a rehearsal must not pass a simulation for a
    real result)."""
    text = state(job.status, job.conclusion)
    return f"{text} (simulated)" if job.simulated and job.conclusion != "skipped" else text


def simulated_note(jobs: Sequence[JobInfo]) -> list[str]:
    """A closing line naming the jobs the sandbox only simulated, or nothing."""
    names = [j.name for j in jobs if j.simulated and j.conclusion != "skipped"]
    if not names:
        return []
    return [f"  simulated by the sandbox, no command ran: {', '.join(names)}"]


def parse_timestamp(text: str | None) -> float | None:
    """`2026-11-24T10:00:00Z` (or with milliseconds or an offset) -> seconds since the epoch; None if unreadable."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


def seconds_between(start: str | None, end: str | None) -> float | None:
    """Seconds from one GitHub timestamp to another (or to now), None when unknown."""
    began = parse_timestamp(start)
    if began is None:
        return None
    ended = parse_timestamp(end) if end else time.time()
    return None if ended is None else max(0.0, ended - began)


def duration(job: JobInfo) -> str:
    if job.status == "queued" or job.conclusion == "skipped":
        return ""
    return clock_text(seconds_between(job.started_at, job.completed_at if job.status == "completed" else None))


def clock_text(seconds: float | None) -> str:
    if seconds is None:
        return ""
    whole = round(seconds)
    if whole >= 86400:
        return f"{whole // 86400}d{whole % 86400 // 3600:02d}h"
    if whole >= 3600:
        return f"{whole // 3600}h{whole % 3600 // 60:02d}m"
    return f"{whole // 60}m{whole % 60:02d}s" if whole >= 60 else f"{whole}s"


def machine_labels(config: Config) -> dict[str, frozenset[str]]:
    """Each configured machine's runner labels, lower-cased: how a job's labels tell which machine ran it."""
    out: dict[str, frozenset[str]] = {}
    for name, machine in config.machines.items():
        labels = {label.lower() for label in machine.labels or ()}
        if machine.runner:
            labels.add(machine.runner.lower())
        if labels:
            out[name] = frozenset(labels)
    return out


def machine_of(job: JobInfo, machines: Mapping[str, frozenset[str]]) -> str:
    """The configured machine a job ran on, found by its runner labels; else the runner's name or its labels."""
    labels = {label.lower() for label in job.labels}
    for name, wanted in machines.items():
        if wanted and wanted <= labels:
            return name
    return job.runner_name or ",".join(job.labels)


class LineDisplay:
    """One line per change: what a log or a CI console keeps."""

    def __init__(self, out: TextIO | None = None, machines: Mapping[str, frozenset[str]] | None = None) -> None:
        self.out = out or sys.stdout
        self.machines = machines or {}
        self.seen: dict[object, str] = {}

    def _say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def note(self, text: str) -> None:
        self._say(f"  ({text})")

    def update(self, run: RunInfo, jobs: Sequence[JobInfo]) -> None:
        run_state = state(run.status, run.conclusion)
        key = ("run", run.run_attempt)
        if self.seen.get(key) != run_state:
            self.seen[key] = run_state
            attempt = f" (attempt {run.run_attempt})" if run.run_attempt > 1 else ""
            self._say(f"  run {run.id} {run.name}{attempt}: {run_state}  {run.html_url}")
        for job in jobs:
            shown = state(job.status, job.conclusion)
            if self.seen.get(job.id) != shown:
                self.seen[job.id] = shown
                took = f" in {duration(job)}" if job.status == "completed" and duration(job) else ""
                self._say(f"    {job.name} [{machine_of(job, self.machines)}]: {job_state(job)}{took}")


class TableDisplay(LineDisplay):
    """A live table of the jobs (name, machine, status, duration), redrawn in place on a terminal."""

    def __init__(self, out: TextIO | None = None, machines: Mapping[str, frozenset[str]] | None = None) -> None:
        super().__init__(out, machines)
        self.drawn = 0
        self.started = time.monotonic()

    def note(self, text: str) -> None:
        self.drawn = 0  # the note scrolls the table away; draw a fresh one below it
        super().note(text)

    def update(self, run: RunInfo, jobs: Sequence[JobInfo]) -> None:
        attempt = f" (attempt {run.run_attempt})" if run.run_attempt > 1 else ""
        lines = [f"  run {run.id} {run.name}{attempt}: {state(run.status, run.conclusion)}  {run.html_url}"]
        lines += table(
            [(j.name, machine_of(j, self.machines), job_state(j), duration(j)) for j in jobs],
            indent=4,
        )
        lines.append(f"  {clock_text(time.monotonic() - self.started)} watching")
        # A line wider than the terminal would wrap onto two rows, and the redraw would move up too few.
        width = _columns(self.out) - 1
        text = "".join("\x1b[2K" + line[:width] + "\n" for line in lines)
        if self.drawn:
            text = f"\x1b[{self.drawn}F" + text  # back to the table's first line, then redraw it
        self.out.write(text)
        self.out.flush()
        self.drawn = len(lines)


def _columns(out: TextIO) -> int:
    try:
        return os.get_terminal_size(out.fileno()).columns
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return 80


def display_for(out: TextIO | None = None, machines: Mapping[str, frozenset[str]] | None = None) -> LineDisplay:
    out = out or sys.stdout
    return TableDisplay(out, machines) if out.isatty() else LineDisplay(out, machines)


def table(rows: Sequence[Sequence[str]], *, indent: int = 2, head: Sequence[str] | None = None) -> list[str]:
    """Rows as aligned columns (the last column is not padded)."""
    every = [tuple(head)] if head else []
    every += [tuple(r) for r in rows]
    if not every:
        return []
    widths = [max(len(r[i]) for r in every) for i in range(len(every[0]) - 1)]
    pad = " " * indent
    return [pad + "  ".join([*(c.ljust(w) for c, w in zip(r, widths, strict=False)), r[-1]]).rstrip() for r in every]


def summary(
    run: RunInfo, jobs: Sequence[JobInfo], release: ReleaseInfo | None, machines: Mapping[str, frozenset[str]]
) -> list[str]:
    """The closing report of a successful run: its jobs and durations, then the release and its assets."""
    took = clock_text(seconds_between(run.started_at or run.created_at, run.updated_at))
    out = [f"{run.name}: {state(run.status, run.conclusion)} in {took} (run {run.id}, attempt {run.run_attempt})"]
    out += table(
        [(j.name, machine_of(j, machines), job_state(j), duration(j)) for j in jobs],
        head=("job", "machine", "result", "took"),
    )
    out += simulated_note(jobs)
    if release is None:
        return out
    return out + release_lines(release)


def release_lines(release: ReleaseInfo) -> list[str]:
    """A release and its assets with sizes and digests."""
    out: list[str] = []
    kind = "draft" if release.draft else "prerelease" if release.prerelease else "release"
    out.append(f"GitHub {kind} {release.name or release.tag_name}: {release.html_url}")
    out += table(
        [(a.name, size_text(a.size), a.digest or "(no digest)") for a in release.assets],
        head=("asset", "size", "digest"),
    )
    return out


def failure(run: RunInfo, jobs: Sequence[JobInfo], machines: Mapping[str, frozenset[str]]) -> list[str]:
    """The failed jobs of a run, each with its failed steps and their URLs; cancelled jobs on one line."""
    out = [f"{run.name}: {state(run.status, run.conclusion)} (run {run.id}, attempt {run.run_attempt})"]
    cancelled: list[str] = []
    for job in jobs:
        if not job.failed:
            continue
        if job.conclusion == "cancelled" and not job.failed_steps:
            cancelled.append(job.name)
            continue
        marked = " (simulated)" if job.simulated else ""
        out.append(f"  {job.name} [{machine_of(job, machines)}]: {job.conclusion}{marked}  {job.html_url}")
        out += [f"    step {s.number} {s.name!r}: {s.conclusion}  {job.step_url(s)}" for s in job.failed_steps]
    if cancelled:
        out.append(f"  cancelled: {', '.join(cancelled)}")
    return out
