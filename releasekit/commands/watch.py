"""Follow a workflow run to its end: a live table of its jobs on a terminal, a line per change otherwise; then a
summary (jobs, durations, the release's assets) or the failed jobs and steps. Ctrl-C detaches (the run goes on)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from releasekit.errors import UsageError

if TYPE_CHECKING:
    from releasekit.backends.github import GitHub
    from releasekit.config.model import Config
    from releasekit.steps.watch import Clock


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_id", metavar="RUN_ID", type=_run_id, help="the run's id (the number in its URL)")
    add_follow_arguments(parser)


def add_follow_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rerun-failed",
        action="store_true",
        help="when the run fails, re-run only its failed jobs (and those that need them) once, and follow again",
    )
    parser.add_argument(
        "--cancel-on-interrupt", action="store_true", help="Ctrl-C cancels the run (default: detach, the run goes on)"
    )
    parser.add_argument(
        "--poll",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="first poll interval; it backs off to 30 s on long runs (default 5)",
    )
    parser.add_argument(
        "--timeout", type=float, default=180.0, metavar="MINUTES", help="stop following after this long (default 180)"
    )


def _run_id(text: str) -> int:
    """A run id, or a URL of the run (or of one of its jobs or attempts): the number after /actions/runs/."""
    import re

    found = re.search(r"/actions/runs/(\d+)", text)
    digits = found.group(1) if found else text.strip()
    if not digits.isdigit():
        msg = f"{text!r} is not a run id; give the number from the run's URL (.../actions/runs/ID), or the URL"
        raise argparse.ArgumentTypeError(msg)
    return int(digits)


@dataclass(frozen=True)
class FollowOptions:
    poll: float
    timeout: float  # minutes
    rerun_failed: bool
    cancel_on_interrupt: bool

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> FollowOptions:
        if args.poll <= 0 or args.timeout <= 0:
            raise UsageError("--poll and --timeout must be positive")
        return cls(args.poll, args.timeout, args.rerun_failed, args.cancel_on_interrupt)


def run(args: argparse.Namespace) -> int:
    from releasekit.backends.actions import run as read_run
    from releasekit.config.loader import load
    from releasekit.steps.watch import Clock

    options = FollowOptions.from_args(args)
    config = load(Path(args.directory) / args.config).config
    clock = args.clock or Clock()
    gh = client_on(clock, config.project.repository, needs="read (and re-run or cancel) the workflow runs of")
    found = read_run(gh, args.run_id)
    print(
        f"releasekit watch: run {found.id} of {found.path or found.workflow_name} ({found.event} {found.head_branch})"
    )
    return drive(gh, config, found.id, options, tag=_tag_of(config, found.head_branch), clock=clock)


def client_on(clock: Clock, repository: str, *, needs: str) -> GitHub:
    """The GitHub client of a command that waits for GitHub: its pauses and its `now` are the clock's (a test's
    clock moves a sandbox's time instead of sleeping)."""
    from releasekit.backends.github import GitHub

    return GitHub.from_env(repository, needs=needs, sleep=clock.sleep, now=clock.time)


def _tag_of(config: Config, ref: str | None) -> str | None:
    """The release tag a run ran on, when its ref is one (its release is then shown at the end)."""
    from releasekit.version import version_from_tag

    if ref and version_from_tag(ref, config.project.tag_format, config.versioning.scheme) is not None:
        return ref
    return None


def drive(gh: GitHub, config: Config, run_id: int, options: FollowOptions, *, tag: str | None, clock: Clock) -> int:
    """Follow the run to the end and report it: 0 when it succeeded, 1 when it failed, 130 after Ctrl-C."""
    from releasekit.backends import actions
    from releasekit.steps.runview import display_for, failure, machine_labels, summary
    from releasekit.steps.watch import follow

    machines = machine_labels(config)
    clock = clock.polling(options.poll)
    display = display_for(machines=machines)
    gh.notice = display.note
    rerun = options.rerun_failed
    while True:
        try:
            result = follow(gh, run_id, clock=clock, timeout=options.timeout * 60, display=display)
        except KeyboardInterrupt:
            return _interrupted(gh, run_id, cancel=options.cancel_on_interrupt)
        if result.ok:
            release = gh.release_for_tag(tag) if tag else None
            print()
            print("\n".join(summary(result.run, result.jobs, release, machines)))
            if tag and release is None:
                print(f"No GitHub release of {tag} exists (yet); `releasekit publish {tag}` makes one.")
            return 0
        print()
        print("\n".join(failure(result.run, result.jobs, machines)))
        if not rerun:
            break
        rerun = False
        actions.rerun_failed(gh, result.run)
        print(f"re-running the failed jobs of run {run_id} (attempt {result.run.run_attempt + 1}); following again")
    if options.rerun_failed:
        print(f"It failed again. Fix the cause, then `releasekit watch {run_id} --rerun-failed` re-runs it once more.")
    else:
        print(f"Once the cause is fixed, `releasekit watch {run_id} --rerun-failed` re-runs the failed jobs.")
    return 1


def _interrupted(gh: GitHub, run_id: int, *, cancel: bool) -> int:
    if not cancel:
        print(f"\nStopped watching; run {run_id} goes on. Watch it again with `releasekit watch {run_id}`.")
        return 130
    from releasekit.backends.actions import cancel as cancel_run

    print(f"\nCancelling run {run_id} (--cancel-on-interrupt)...", flush=True)
    after = cancel_run(gh, run_id)
    print(f"Run {run_id} is {after.conclusion or after.status}: {after.html_url}")
    return 130
