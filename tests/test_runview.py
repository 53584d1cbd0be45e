"""The pure parts of following a run: the job table and summary, machines from labels, the poll back-off, and the
dispatch inputs read from a workflow file and checked."""

from __future__ import annotations

import dataclasses
import io

import pytest

from releasekit.backends.records import SIMULATED_STEP, AssetInfo, JobInfo, ReleaseInfo, RunInfo, StepInfo
from releasekit.steps.dispatch import (
    DispatchError,
    DispatchPlan,
    InputSpec,
    check_inputs,
    declared_inputs,
    plan_dispatch,
)
from releasekit.steps.runview import TableDisplay, clock_text, display_for, failure, machine_of, summary
from releasekit.steps.watch import Clock

MACHINES = {"imac": frozenset({"macos", "imac"}), "ubuntu": frozenset({"ubuntu-24.04"})}


def _run(status: str = "in_progress", conclusion: str | None = None, attempt: int = 1) -> RunInfo:
    return RunInfo(
        1,
        "Release Full 1.4.0 [abc]",
        ".github/workflows/release-full.yml",
        "workflow_dispatch",
        status,
        conclusion,
        "a" * 40,
        "v1.4.0",
        "https://x/runs/1",
        attempt,
        "2026-11-24T10:00:00Z",
        "2026-11-24T10:31:05Z",
    )


def _job(name: str, status: str, conclusion: str | None = None, **extra: object) -> JobInfo:
    fields: dict[str, object] = {
        "started_at": "2026-11-24T10:00:05Z",
        "completed_at": "2026-11-24T10:12:10Z" if status == "completed" else None,
        "labels": ("ubuntu-24.04",),
        **extra,
    }
    return JobInfo(2, name, status, conclusion, "https://x/runs/1/job/2", **fields)  # type: ignore[arg-type]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_job_table_is_redrawn_in_place_on_a_terminal() -> None:
    out = Terminal()
    display = display_for(out, MACHINES)
    assert isinstance(display, TableDisplay)
    display.update(_run(), [_job("build (ubuntu)", "in_progress")])
    display.update(_run(), [_job("build (ubuntu)", "completed", "success")])
    text = out.getvalue()
    assert "\x1b[3F" in text  # the second table is drawn over the first (3 lines: run, job, elapsed)
    assert "build (ubuntu)  ubuntu  success  12m05s" in text.rsplit("\x1b[3F", 1)[1]
    display.note("the GitHub API is not answering")
    display.update(_run(), [_job("build (ubuntu)", "completed", "success")])
    assert not out.getvalue().endswith("\x1b[3F")  # after a note the table starts afresh below it
    assert out.getvalue().count("\x1b[3F") == 1


def test_one_line_per_change_elsewhere() -> None:
    out = io.StringIO()
    display = display_for(out, MACHINES)
    job = _job("build (imac)", "in_progress", labels=("self-hosted", "macOS", "imac"))
    display.update(_run(), [job])
    display.update(_run(), [job])  # nothing changed: nothing printed
    display.update(_run(attempt=2), [job])
    lines = out.getvalue().splitlines()
    assert lines == [
        "  run 1 Release Full 1.4.0 [abc]: in_progress  https://x/runs/1",
        "    build (imac) [imac]: in_progress",
        "  run 1 Release Full 1.4.0 [abc] (attempt 2): in_progress  https://x/runs/1",
    ]


def _simulated(name: str, status: str, conclusion: str | None = None) -> JobInfo:
    steps = (StepInfo(1, "Set up job", "completed", conclusion), StepInfo(2, SIMULATED_STEP, "completed", "skipped"))
    return dataclasses.replace(_job(name, status, conclusion, steps=steps), id=3)


def test_a_job_the_sandbox_only_simulated_is_marked_wherever_it_is_shown() -> None:
    out = io.StringIO()
    display = display_for(out, MACHINES)
    real = _job("GitHub release", "completed", "success")
    display.update(_run(), [_simulated("build", "in_progress"), real])
    display.update(_run(), [_simulated("build", "completed", "success"), real])
    assert out.getvalue().splitlines()[1:] == [
        "    build [ubuntu]: in_progress (simulated)",
        "    GitHub release [ubuntu]: success in 12m05s",
        "    build [ubuntu]: success (simulated) in 12m05s",
    ]
    terminal = Terminal()
    display_for(terminal, MACHINES).update(_run(), [_simulated("build", "completed", "success")])
    assert "success (simulated)" in terminal.getvalue()
    done = _run("completed", "success")
    lines = summary(done, [_simulated("build", "completed", "success"), real], None, MACHINES)
    assert lines[1:] == [
        "  job             machine  result               took",
        "  build           ubuntu   success (simulated)  12m05s",
        "  GitHub release  ubuntu   success              12m05s",
        "  simulated by the sandbox, no command ran: build",
    ]
    assert summary(done, [real], None, MACHINES)[-1] == "  GitHub release  ubuntu   success  12m05s"
    lines = failure(_run("completed", "failure"), [_simulated("build", "completed", "failure")], MACHINES)
    assert lines[1] == "  build [ubuntu]: failure (simulated)  https://x/runs/1/job/2"


def test_machines_come_from_runner_labels() -> None:
    assert machine_of(_job("a", "queued", labels=("self-hosted", "macOS", "imac")), MACHINES) == "imac"
    assert machine_of(_job("b", "queued", labels=("ubuntu-24.04",)), MACHINES) == "ubuntu"
    assert machine_of(_job("c", "queued", labels=("self-hosted", "gpu"), runner_name="box-7"), MACHINES) == "box-7"
    assert machine_of(_job("d", "queued", labels=("windows-2025",)), MACHINES) == "windows-2025"


@pytest.mark.parametrize(
    ("seconds", "text"), [(None, ""), (0.4, "0s"), (59, "59s"), (61, "1m01s"), (3725, "1h02m"), (90000, "1d01h")]
)
def test_durations(seconds: float | None, text: str) -> None:
    assert clock_text(seconds) == text


def test_the_summary_lists_jobs_then_assets_with_sizes_and_digests() -> None:
    asset = AssetInfo(9, "Fluxion_1.4.0_x64.dmg", 48_213_004, "sha256:" + "b" * 64, "uploaded", "https://x/dl")
    release = ReleaseInfo(5, "v1.4.0", "v1.4.0", False, False, "https://x/releases/v1.4.0", "", "", (asset,))
    lines = summary(_run("completed", "success"), [_job("build (ubuntu)", "completed", "success")], release, MACHINES)
    assert lines == [
        "Release Full 1.4.0 [abc]: success in 31m05s (run 1, attempt 1)",
        "  job             machine  result   took",
        "  build (ubuntu)  ubuntu   success  12m05s",
        "GitHub release v1.4.0: https://x/releases/v1.4.0",
        "  asset                  size     digest",
        "  Fluxion_1.4.0_x64.dmg  48.2 MB  sha256:" + "b" * 64,
    ]


def test_a_failure_names_the_failed_steps_with_their_urls() -> None:
    steps = (StepInfo(1, "Set up job", "completed", "success"), StepInfo(7, "Build", "completed", "failure"))
    job = _job("build (ubuntu)", "completed", "failure", steps=steps)
    ok = _job("build (imac)", "completed", "success")
    lines = failure(_run("completed", "failure"), [job, ok], MACHINES)
    assert lines[1:] == [
        "  build (ubuntu) [ubuntu]: failure  https://x/runs/1/job/2",
        "    step 7 'Build': failure  https://x/runs/1/job/2#step:7:1",
    ]


def test_polling_backs_off_on_long_runs() -> None:
    clock = Clock(poll=5, max_poll=30)
    assert [clock.interval(t) for t in (0, 60, 100, 300, 600, 1800)] == [5, 5, 5, 15, 30, 30]
    assert Clock(poll=0.05).interval(0) == 0.05


WORKFLOW = """
name: Release Full
on:
  workflow_dispatch:
    inputs:
      version: {type: string, required: true}
      channel: {type: choice, options: [stable, beta], default: stable}
      notarize: {type: boolean, default: false}
      build: {type: number, required: true}
jobs: {}
"""


def test_declared_inputs_are_read_from_the_workflow_file() -> None:
    declared = declared_inputs(WORKFLOW, "release-full.yml")
    assert declared is not None
    assert declared["channel"] == InputSpec("choice", False, "stable", ("stable", "beta"))
    assert declared["notarize"].default == "false"
    assert declared_inputs("on: workflow_dispatch\njobs: {}\n", "x") == {}
    assert declared_inputs("on: [push, workflow_dispatch]\njobs: {}\n", "x") == {}
    assert declared_inputs("on: {push: {branches: [main]}}\njobs: {}\n", "x") is None
    with pytest.raises(DispatchError, match="not valid YAML"):
        declared_inputs("on: [", "x")


def test_inputs_are_checked_as_github_would() -> None:
    declared = declared_inputs(WORKFLOW, "w")
    assert declared is not None
    assert check_inputs(declared, {"version": "1.4.0", "build": "12"}, where="w") == []
    problems = check_inputs(declared, {"channel": "nightly", "notarize": "1", "build": "x", "nope": ""}, where="w")
    assert problems == [
        "input 'nope' is not declared in w (it declares: build, channel, notarize, version)",
        "input 'version' is required by w: give it with --input version=VALUE",
        "input 'channel': 'nightly' is not one of its choices (stable, beta)",
        "input 'notarize': '1' is not a boolean: give true or false",
        "input 'build': 'x' is not a number: give digits, with an optional '-', fraction and exponent (-1.5e3)",
    ]
    # A misspelt name is pointed at the one meant; more than GitHub takes is refused with the count.
    many = {"version": "1.4.0", "build": "1", "chanel": "beta", **{f"extra{i}": "" for i in range(23)}}
    problems = check_inputs(declared, many, where="w")
    assert problems[0] == (
        "input 'chanel' is not declared in w (did you mean 'channel'? it declares: build, channel, notarize, version)"
    )
    assert problems[-1] == "26 inputs given; GitHub accepts at most 25"


def test_the_plan_fills_in_the_version_and_a_correlation_id() -> None:
    declared = {"version": InputSpec("string", True, None, ()), "correlation_id": InputSpec("string", False, "", ())}
    plan, problems = plan_dispatch(
        workflow="release-full.yml",
        path=".github/workflows/release-full.yml",
        ref="v1.4.0",
        declared=declared,
        configured={},
        given={},
        version="1.4.0",
        correlation_id="c0ffee",
    )
    assert problems == []
    assert plan.inputs == {"version": "1.4.0", "correlation_id": "c0ffee"}
    plan, problems = plan_dispatch(
        workflow="w.yml", path="w.yml", ref="main", declared=None, configured={}, given={}, version="1.4.0"
    )
    assert "has no workflow_dispatch trigger" in problems[0]


FULL = {
    "version": InputSpec("string", True, None, ()),
    "correlation_id": InputSpec("string", False, "", ()),
    "channel": InputSpec("choice", True, None, ("stable", "beta")),
    "build-number": InputSpec("number", False, None, ()),
}


def _plan(configured: dict[str, str], given: dict[str, str]) -> tuple[DispatchPlan, list[str]]:
    return plan_dispatch(
        workflow="release-full.yml",
        path=".github/workflows/release-full.yml",
        ref="v1.4.0",
        declared=FULL,
        configured=configured,
        given=given,
        version="1.4.0",
        correlation_id="c0ffee",
    )


def test_configured_inputs_are_sent_and_given_ones_override_them() -> None:
    plan, problems = _plan({"channel": "stable", "build-number": "7"}, {"channel": "beta"})
    assert problems == []
    assert plan.inputs == {"version": "1.4.0", "channel": "beta", "build-number": "7", "correlation_id": "c0ffee"}
    assert plan.inputs_text == "version=1.4.0, channel=beta, build-number=7, correlation_id=c0ffee"


def test_the_inputs_releasekit_fills_in_cannot_be_set() -> None:
    """The version (unless it is the same) and the correlation id, from --input or from releasekit.yaml."""
    _, problems = _plan({"channel": "stable", "correlation_id": "x"}, {"version": "9.9.9"})
    assert problems == [
        "--input sets 'version', which releasekit fills in itself (with 1.4.0, the version given); leave it out",
        "release.full.inputs sets 'correlation_id', which releasekit fills in itself (to find the run); leave it out",
    ]
    _, problems = _plan({"channel": "stable"}, {"version": "1.4.0"})
    assert problems == []


def test_every_problem_is_listed_at_once() -> None:
    _, problems = _plan({}, {"channel": "nightly", "build-number": "+7"})
    assert problems == [
        "input 'channel': 'nightly' is not one of its choices (stable, beta)",
        "input 'build-number': '+7' is not a number: give digits, with an optional '-', fraction and exponent (-1.5e3)",
    ]
    _, problems = _plan({}, {})
    assert problems == [
        "input 'channel' is required by .github/workflows/release-full.yml at v1.4.0: give it with --input "
        "channel=VALUE"
    ]


def test_table_lines_are_cut_to_the_terminal_width() -> None:
    """A wrapped line would take two rows and the in-place redraw would move up too few."""
    out = Terminal()  # no real terminal behind it: 80 columns
    display = TableDisplay(out, MACHINES)
    display.update(_run(), [_job("build (" + "x" * 120 + ")", "in_progress")])
    rows = out.getvalue().split("\n")[:-1]
    assert all(len(row.replace("\x1b[2K", "")) <= 79 for row in rows)
