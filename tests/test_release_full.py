"""`releasekit release-full`, `watch` and `runs`: checks through the API, exactly one dispatch, the run followed to
its end and reported; every bad input refused before anything is dispatched. Real sandbox over HTTP, real git.

One sandbox serves the whole file, and each test looks only at what its own commands did (`Since`). The commands
run in this process (`releasekit.cli.main`), and their waits move the sandbox's clock on instead of taking real
time (`SandboxTime`): a back-off of minutes, an hour's rate limit, a find timeout pass in milliseconds. Real time
and real processes only where they are the point: the main story (whose release job runs a real `releasekit
publish`), the nox session, and Ctrl-C (a signal needs a process)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import SharedSandboxes, git, isolate_git, releasekit_main
from release_scene import REPOSITORY, Scene, fake_token, make_scene

from releasekit.sandbox.app import Sandbox
from releasekit.sandbox.state import Run
from releasekit.steps.watch import Clock

# These scenes are about the dispatch: the performance gate before it (fluxion declares targets) has its own scene in
# test_sla_gate.py, so here it is skipped, as a user does with `--skip-sla-check`.
WATCH = ("--poll", "0.05")
NO_GATE = ("--skip-sla-check",)
# The generated release-full.yml's last job runs `releasekit publish`; in the sandbox it builds from the tag.
PUBLISH = f'"{sys.executable}" -m releasekit publish "$GITHUB_REF_NAME" --skip-index --no-build-isolation'
DISPATCHES = f"/repos/{REPOSITORY}/actions/workflows/release-full.yml/dispatches"


# --- the set-up: one sandbox and one project for the file ---------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    """fluxion at v1.3.2 (and one commit more) on a sandbox; every response checked against GitHub's description."""
    shared = SharedSandboxes(tmp_path_factory)
    with pytest.MonkeyPatch.context() as patch:
        isolate_git(tmp_path_factory, patch)
        try:
            yield make_scene(tmp_path_factory.mktemp("world"), shared.sandbox, index=False, publish_command=None)
        finally:
            shared.close()
    assert shared.recorder.checked > 0


@pytest.fixture
def scene(world: Scene) -> Iterator[Scene]:
    """The shared scene, put back after each test: no scripted outcome, fault or exhausted limit outlives it."""
    yield world
    hub = world.hub
    with hub.state.lock:
        hub.engine.rules.clear()
    hub.faults.clear()
    hub.dispatch_run_details = "yes"
    hub.limits.set("user", remaining=hub.limits.limit)


def dispatches(scene: Scene) -> list[dict[str, Any]]:
    return scene.hub.requests("POST", DISPATCHES)


def full_runs(scene: Scene) -> list[Run]:
    return [r for r in scene.hub.runs(REPOSITORY) if r.path.endswith("release-full.yml")]


@dataclass
class Since:
    """What the sandbox was asked and did from a moment on: dispatch POSTs received, release-full runs started."""

    scene: Scene
    posts: int = 0
    known: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        self.posts = len(dispatches(self.scene))
        self.known = frozenset(r.id for r in full_runs(self.scene))

    def dispatches(self) -> list[dict[str, Any]]:
        return dispatches(self.scene)[self.posts :]

    def runs(self) -> list[Run]:
        return [r for r in full_runs(self.scene) if r.id not in self.known]


@pytest.fixture
def since(scene: Scene) -> Since:
    return Since(scene)


@dataclass
class SandboxTime(Clock):
    """Time as the sandbox keeps it: a wait moves the sandbox's clock on (and its runs with it) instead of sleeping.
    `then` is called after each wait: the moment a test changes the world under a command that is following."""

    hub: Sandbox | None = None
    then: Callable[[], object] | None = None

    def _hub(self) -> Sandbox:
        assert self.hub is not None
        return self.hub

    def now(self) -> float:
        return self._hub().clock.now()

    def time(self) -> float:
        return self._hub().clock.now()

    def sleep(self, seconds: float) -> None:
        self.waited += seconds
        self._hub().clock.advance(seconds)
        self._hub().tick()
        if self.then is not None:
            self.then()


Result = subprocess.CompletedProcess[str]


@pytest.fixture
def cli(scene: Scene) -> Callable[..., Result]:
    """`cli("release-full", "1.3.2")`: `releasekit.cli.main` in this process, in the project (or `project=`), with
    the sandbox's token (plus `env`), on the sandbox's time (`clock=`; `real_time=True` for the real clock)."""

    def run(
        *args: str,
        project: Path | None = None,
        env: dict[str, str] | None = None,
        clock: Clock | None = None,
        real_time: bool = False,
    ) -> Result:
        where = project or scene.project
        if not real_time and clock is None:
            clock = SandboxTime(hub=scene.hub)
        environment = {k: v for k, v in os.environ.items() if k not in ("GH_TOKEN", "RELEASEKIT_DEBUG")}
        environment.update({**scene.hub.env(), **(env or {})})
        if args and args[0] == "release-full" and "--skip-sla-check" not in args:
            args = (*args, *NO_GATE)
        return releasekit_main(
            ["-C", str(where), *args], cwd=where, env=environment, only_env=True, clock=None if real_time else clock
        )

    return run


def refused(proc: Result, since: Since, *expected: str, code: int = 1) -> None:
    """A refusal: the exit code, the message, no internal error, and nothing dispatched."""
    assert proc.returncode == code, (proc.stdout, proc.stderr)
    for text in expected:
        assert text in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout and "internal error" not in proc.stderr
    assert since.dispatches() == []
    assert since.runs() == []


def fork(scene: Scene, tmp_path: Path) -> Path:
    """A copy of the project (its git history and its origin, the sandbox, with it) to change without touching the
    shared one."""
    return Path(shutil.copytree(scene.project, tmp_path / "fluxion", symlinks=True))


def push_change(project: Path, message: str, *, tag: str | None = None, branch: str = "main") -> None:
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", message)
    git(project, "push", "-q", "origin", f"HEAD:refs/heads/{branch}")
    if tag:
        git(project, "tag", "-a", tag, "-m", tag)
        git(project, "push", "-q", "origin", tag)


# --- the main job ------------------------------------------------------------------------------------------------


def test_release_full_dispatches_once_follows_the_run_and_reports_the_release(
    scene: Scene, cli: Callable[..., Result], since: Since
) -> None:
    """The whole story in real time, the release job running a real `releasekit publish`."""
    scene.hub.script(workflow="release-full.yml", job="GitHub release", command=PUBLISH)
    proc = cli("release-full", "1.3.2", *WATCH, real_time=True)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    (sent,) = since.dispatches()
    body = sent["body"]
    assert body["ref"] == "v1.3.2" and body["return_run_details"] is True
    assert body["inputs"]["version"] == "1.3.2" and len(body["inputs"]["correlation_id"]) == 12
    (run,) = since.runs()
    assert run.conclusion == "success"
    assert f"run {run.id} (returned by the dispatch" in out
    assert f"Release Full 1.3.2 [{body['inputs']['correlation_id']}]" in out  # run-name carries the correlation id
    # One line per change: the matrix legs on their machines.
    assert "build (imac) [imac]: in_progress" in out and "build (windows-pc) [windows-pc]: success" in out
    # The summary: jobs with durations, then the release's assets with sizes and digests.
    summary = out.split(": success in ", 1)[1]
    assert "build (ubuntu)      ubuntu      success" in summary
    assert "GitHub release v1.3.2: http://127.0.0.1" in summary
    assert "fluxion_voice-1.3.2-py3-none-any.whl" in summary and "sha256:" in summary
    assert "SHA256SUMS" in summary


def test_only_one_request_gets_the_run_id(scene: Scene, since: Since) -> None:
    from releasekit.backends.github import GitHub
    from releasekit.steps.dispatch import InputSpec, dispatch_run, plan_dispatch

    gh = GitHub.from_env(REPOSITORY, env=scene.hub.env())
    declared = {"version": InputSpec("string", True, None, ()), "correlation_id": InputSpec("string", False, None, ())}
    plan, problems = plan_dispatch(
        workflow="release-full.yml",
        path=".github/workflows/release-full.yml",
        ref="v1.3.2",
        declared=declared,
        configured={},
        given={},
        version="1.3.2",
    )
    assert problems == []
    clock = SandboxTime(poll=0.05, hub=scene.hub)
    dispatched = dispatch_run(gh, plan, clock=clock, timeout=5, report=lambda *_: None)
    # The POST's answer carries the run's id: one request, nothing more, and no wait.
    assert gh.requests["POST"] == 1
    assert sum(gh.requests.values()) == 1
    assert clock.waited == 0
    assert [dispatched.run_id] == [r.id for r in since.runs()]


# The sandbox's answers as older GitHub Enterprise Server: the statuses of the dispatch POSTs, and what the server did
# with return_run_details.
OLDER_SERVERS = {"ignore": ([204], "ignored"), "reject": ([422, 204], "refused"), "reject-400": ([400, 204], "refused")}


@pytest.mark.parametrize("mode", OLDER_SERVERS)
def test_older_enterprise_servers_fall_back_to_the_correlation_id(
    scene: Scene, cli: Callable[..., Result], since: Since, mode: str
) -> None:
    """A server that ignores return_run_details (204), or refuses the key it does not know ("is not a permitted
    key": 422, or 400 on some versions): the run is found by its correlation id, after one accepted dispatch."""
    statuses, how = OLDER_SERVERS[mode]
    scene.hub.dispatch_run_details = mode
    proc = cli("release-full", "1.3.2", *WATCH)
    assert proc.returncode == 0, proc.stderr
    assert f"the server {how} return_run_details" in proc.stdout
    assert "found by its correlation id" in proc.stdout
    sent = since.dispatches()
    # A refused POST dispatched nothing; the second, without the key, is the one dispatch.
    assert [s["status"] for s in sent] == statuses
    assert ("return_run_details" in sent[-1]["body"]) is (mode == "ignore")
    (run,) = since.runs()
    assert run.conclusion == "success"


def test_without_a_correlation_input_the_newest_run_after_the_dispatch_is_taken(
    scene: Scene, cli: Callable[..., Result], since: Since
) -> None:
    from releasekit.backends.github import GitHub
    from releasekit.steps.dispatch import DispatchPlan, dispatch_run

    scene.hub.dispatch_run_details = "ignore"
    gh = GitHub.from_env(REPOSITORY, env=scene.hub.env())
    older = cli("release-full", "1.3.2", "--no-watch")  # an earlier run of the same workflow
    assert older.returncode == 0, older.stderr
    plan = DispatchPlan("release-full.yml", ".github/workflows/release-full.yml", "v1.3.2", {"version": "1.3.2"}, None)
    clock = SandboxTime(poll=0.05, hub=scene.hub)
    dispatched = dispatch_run(gh, plan, clock=clock, timeout=5, report=lambda *_: None)
    assert dispatched.how == "found as the newest run"
    assert dispatched.run_id == max(r.id for r in since.runs())
    assert len(since.runs()) == 2


def test_a_lost_answer_is_looked_for_not_sent_again(scene: Scene, cli: Callable[..., Result], since: Since) -> None:
    scene.hub.fault("POST", DISPATCHES, action="drop-after", count=1)
    proc = cli("release-full", "1.3.2", *WATCH)
    assert proc.returncode == 0, proc.stderr
    assert "the answer was lost" in proc.stdout and "found after a lost answer" in proc.stdout
    assert len(since.dispatches()) == 1 and len(since.runs()) == 1


def test_a_dispatch_that_got_lost_is_reported_with_the_command_to_finish(
    scene: Scene, cli: Callable[..., Result], since: Since
) -> None:
    scene.hub.fault("POST", DISPATCHES, action="drop", count=1)
    listing = f"/repos/{REPOSITORY}/actions/workflows/release-full.yml/runs"
    started, lists = scene.hub.clock.now(), len(scene.hub.requests("GET", listing))
    proc = cli("release-full", "1.3.2", "--find-timeout", "60")
    assert proc.returncode == 1
    assert "got no answer" in proc.stderr and "It was not sent again" in proc.stderr
    assert "no run of it showed up within 60 s" in proc.stderr
    assert "releasekit runs release-full.yml" in proc.stderr
    assert len(since.dispatches()) <= 1 and since.runs() == []
    # Looked for the whole minute (every 2 s, the default --poll capped), on the sandbox's clock.
    assert scene.hub.clock.now() - started >= 60
    assert 30 <= len(scene.hub.requests("GET", listing)) - lists <= 32


def test_a_failed_job_is_named_with_its_step_and_rerun_failed_reruns_only_it(
    scene: Scene, cli: Callable[..., Result], since: Since
) -> None:
    scene.hub.script(
        workflow="release-full.yml",
        job="build (windows-pc)",
        conclusion="failure",
        step="Build the desktop installers",
        times=2,
    )
    failed = cli("release-full", "1.3.2", *WATCH)
    assert failed.returncode == 1
    assert "build (windows-pc) [windows-pc]: failure (simulated)  http" in failed.stdout
    assert "step " in failed.stdout and "'Build the desktop installers': failure" in failed.stdout
    assert "#step:" in failed.stdout
    assert "releasekit watch" in failed.stdout and "--rerun-failed" in failed.stdout
    (run,) = since.runs()
    # The second scripted failure is used up by this re-run; the third attempt passes.
    again = cli("watch", str(run.id), *WATCH, "--rerun-failed")
    assert again.returncode == 1
    assert "attempt 2" in again.stdout
    proc = cli("watch", str(run.id), *WATCH, "--rerun-failed")
    assert proc.returncode == 0, proc.stdout
    (run,) = since.runs()
    assert run.run_attempt == 3 and run.conclusion == "success"
    assert len(since.dispatches()) == 1
    reruns = scene.hub.requests("POST", f"/repos/{REPOSITORY}/actions/runs/{run.id}/rerun-failed-jobs")
    assert len(reruns) == 2


def test_release_full_rerun_failed_in_one_go(scene: Scene, cli: Callable[..., Result], since: Since) -> None:
    scene.hub.script(workflow="release-full.yml", job="build (windows-pc)", conclusion="failure", times=1)
    proc = cli("release-full", "1.3.2", *WATCH, "--rerun-failed")
    assert proc.returncode == 0, proc.stdout
    assert "re-running the failed jobs" in proc.stdout
    assert "(attempt 2): success" in proc.stdout
    (run,) = since.runs()
    assert run.run_attempt == 2 and len(since.dispatches()) == 1


def test_dry_run(cli: Callable[..., Result], since: Since) -> None:
    dry = cli("release-full", "v1.3.2", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "nothing was dispatched" in dry.stdout and DISPATCHES in dry.stdout
    assert since.dispatches() == [] and since.runs() == []


def test_no_watch_then_runs_lists_the_run(cli: Callable[..., Result], since: Since) -> None:
    proc = cli("release-full", "1.3.2", "--no-watch")
    assert proc.returncode == 0, proc.stderr
    (run,) = since.runs()
    assert f"releasekit watch {run.id}" in proc.stdout
    listed = cli("runs", "release-full", "--limit", "1")  # the workflow's key in releasekit.yaml
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0] == f"{REPOSITORY}: the latest run of release-full.yml"
    assert lines[1].split() == ["run", "workflow", "title", "trigger", "result", "started", "url"]
    assert lines[2].startswith(f"  {run.id}  release-full.yml")
    assert "Release Full 1.3.2 [" in lines[2] and "workflow_dispatch v1.3.2" in lines[2]
    every = cli("runs")
    assert every.returncode == 0 and "all workflows" in every.stdout
    unknown = cli("runs", "nope.yml")
    assert unknown.returncode == 1 and "has no workflow 'nope.yml'" in unknown.stderr


# --- bad input: refused, nothing dispatched ----------------------------------------------------------------------


def test_a_version_without_a_tag(cli: Callable[..., Result], since: Since) -> None:
    proc = cli("release-full", "1.9.9")
    refused(proc, since, "tag v1.9.9 is not on GitHub", "releasekit release 1.9.9")


def test_a_version_that_is_not_one(cli: Callable[..., Result], since: Since) -> None:
    proc = cli("release-full", "one-point-four")
    refused(proc, since, "'one-point-four'", code=2)


def test_an_undeclared_input_and_a_bad_input_syntax(cli: Callable[..., Result], since: Since) -> None:
    proc = cli("release-full", "1.3.2", "--input", "channel=beta")
    refused(proc, since, "input 'channel' is not declared", "it declares: correlation_id, version")
    proc = cli("release-full", "1.3.2", "--input", "channel")
    refused(proc, since, "write NAME=VALUE", code=2)
    proc = cli("release-full", "1.3.2", "--input", "versoin=1.3.2")
    refused(proc, since, "input 'versoin' is not declared", "did you mean 'version'?")


def test_the_inputs_releasekit_fills_in_are_not_overridden(cli: Callable[..., Result], since: Since) -> None:
    proc = cli("release-full", "1.3.2", "--input", "version=9.9.9")
    refused(proc, since, "--input sets 'version', which releasekit fills in itself (with 1.3.2")
    proc = cli("release-full", "1.3.2", "--input", "correlation_id=mine")
    refused(proc, since, "--input sets 'correlation_id', which releasekit fills in itself (to find the run)")


def test_required_and_typed_inputs(scene: Scene, cli: Callable[..., Result], since: Since, tmp_path: Path) -> None:
    """Typed inputs declared in releasekit.yaml, generated, pushed with a new tag, and read back from GitHub at that
    tag: every problem is listed at once, before anything is dispatched."""
    project = fork(scene, tmp_path)
    config = project / "releasekit.yaml"
    text = config.read_text()
    anchor = "            description: Version to build and publish; its tag must exist\n"
    assert anchor in text
    config.write_text(
        text.replace(
            anchor,
            anchor
            + "          channel: {type: choice, options: [stable, beta], required: true}\n"
            + "          notarize: {type: boolean, default: false}\n"
            + "          build-number: {type: number}\n",
        )
    )
    assert cli("workflows", project=project).returncode == 0
    push_change(project, "release-full: channel, notarize, build-number", tag="v1.3.3")
    missing = cli("release-full", "1.3.3", project=project)
    refused(missing, since, "input 'channel' is required", "--input channel=VALUE")
    many = [f"--input=extra{i}=1" for i in range(25)]
    bad = ("--input", "channel=nightly", "--input", "notarize=yes", "--input", "build-number=+7", *many)
    wrong = cli("release-full", "1.3.3", *bad, project=project)
    refused(
        wrong,
        since,
        "'nightly' is not one of its choices (stable, beta)",
        "'yes' is not a boolean",
        "'+7' is not a number",
        "input 'extra0' is not declared",
        "GitHub accepts at most 25",
    )
    # Inputs from releasekit.yaml (`{version}` filled in), and --input overriding one of them.
    config.write_text(
        config.read_text() + "\nrelease:\n  full:\n    inputs:\n      channel: stable\n      build-number: 7\n"
    )
    ok = cli("release-full", "1.3.3", "--input", "channel=beta", *WATCH, project=project)
    assert ok.returncode == 0, ok.stderr
    (sent,) = since.dispatches()
    assert {k: v for k, v in sent["body"]["inputs"].items() if k != "correlation_id"} == {
        "version": "1.3.3",
        "channel": "beta",
        "build-number": "7",
    }


def test_configured_inputs_are_checked_when_the_config_loads(
    scene: Scene, cli: Callable[..., Result], since: Since, tmp_path: Path
) -> None:
    project = fork(scene, tmp_path)
    config = project / "releasekit.yaml"
    original = config.read_text()
    config.write_text(original + "\nrelease:\n  full:\n    inputs:\n      nope: x\n")
    proc = cli("release-full", "1.3.2", project=project)
    refused(proc, since, "release.full.inputs.nope: workflows.release-full declares no such input", code=2)
    assert "releasekit.yaml:" in proc.stderr
    config.write_text(original + "\nrelease:\n  full:\n    workflow: release\n")
    proc = cli("release-full", "1.3.2", project=project)
    refused(proc, since, "'release' has no workflow_dispatch trigger", code=2)


def test_a_workflow_without_workflow_dispatch_at_the_ref(
    scene: Scene, cli: Callable[..., Result], since: Since, tmp_path: Path
) -> None:
    project = fork(scene, tmp_path)
    git(project, "checkout", "-q", "-b", "no-dispatch")
    (project / ".github/workflows/release-full.yml").write_text(
        "name: Release Full\non:\n  push:\n    branches: [never]\n"
        "jobs:\n  build:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo\n"
    )
    push_change(project, "release-full by push only", branch="no-dispatch")
    proc = cli("release-full", "1.3.2", "--ref", "no-dispatch", project=project)
    refused(proc, since, "at no-dispatch has no workflow_dispatch trigger")


def test_an_unknown_workflow(scene: Scene, cli: Callable[..., Result], since: Since, tmp_path: Path) -> None:
    project = fork(scene, tmp_path)
    config = project / "releasekit.yaml"
    text = config.read_text().replace(
        "\npublish:\n",
        "\n  nightly:\n    name: Nightly\n    template: test-suite\n    triggers:\n      workflow_dispatch: {}\n"
        "    machines: [ubuntu]\n\npublish:\n",
    )
    config.write_text(text + "\nrelease:\n  full:\n    workflow: nightly\n")
    proc = cli("release-full", "1.3.2", project=project)
    refused(proc, since, "has no workflow 'nightly.yml' on GitHub", "release-full.yml", "releasekit workflows")


def test_a_rejected_token(cli: Callable[..., Result], since: Since) -> None:
    token = fake_token()
    proc = cli("release-full", "1.3.2", env={"GITHUB_TOKEN": token})
    refused(proc, since, "GitHub rejected the token (401")
    assert token[4:] not in proc.stderr + proc.stdout  # no token text at all


def test_watch_a_run_that_does_not_exist(scene: Scene, cli: Callable[..., Result]) -> None:
    proc = cli("watch", "424242")
    assert proc.returncode == 1
    assert "has no workflow run 424242" in proc.stderr and "releasekit runs" in proc.stderr
    bad = cli("watch", "latest")
    assert bad.returncode == 2 and "is not a run id" in bad.stderr
    # A job's URL (as a failure prints it) names its run too.
    url = f"{scene.hub.api_url}/{REPOSITORY}/actions/runs/424242/job/7"
    proc = cli("watch", url)
    assert proc.returncode == 1 and "has no workflow run 424242" in proc.stderr


# --- following: outages, rate limits, Ctrl-C --------------------------------------------------------------------


def test_the_api_going_away_mid_watch_is_waited_for(scene: Scene, cli: Callable[..., Result], since: Since) -> None:
    """Once the run is followed, the API drops five connections and answers 503 twice: the client's retries and the
    watcher's back-off wait it out (on the sandbox's clock), and the run is followed to its end."""
    hub = scene.hub
    outage: list[str] = []

    def go_away() -> None:
        if not outage and any(r.status == "in_progress" for r in since.runs()):
            outage.append("injected")
            hub.fault("GET", f"/repos/{REPOSITORY}/actions/runs/*", action="drop", count=5)
            hub.fault("GET", f"/repos/{REPOSITORY}/actions/runs/*", status=503, count=2)

    clock = SandboxTime(hub=hub, then=go_away)
    proc = cli("release-full", "1.3.2", *WATCH, clock=clock)
    assert proc.returncode == 0, proc.stderr
    assert outage == ["injected"]
    assert "the GitHub API is not answering" in proc.stdout and "the GitHub API answers again" in proc.stdout
    assert len(since.dispatches()) == 1 and since.runs()[0].conclusion == "success"
    faulted = [e for e in hub.requests("GET", f"/repos/{REPOSITORY}/actions/runs/*") if e.get("fault")]
    assert [(e["fault"], e["status"]) for e in faulted] == [("drop", 0)] * 5 + [("status", 503)] * 2


def test_follow_waits_out_an_exhausted_rate_limit(scene: Scene, cli: Callable[..., Result], since: Since) -> None:
    """The rate limit runs out while the run is followed: it is waited out in steps, asking again after each, until
    GitHub's hour is over (on the sandbox's clock), and the run is followed to its end."""
    hub = scene.hub
    exhausted: list[float] = []

    def exhaust() -> None:
        if not exhausted:
            exhausted.append(hub.clock.now())
            hub.limits.set("user", remaining=0)

    clock = SandboxTime(hub=hub, then=exhaust)
    proc = cli("release-full", "1.3.2", "--poll", "1", clock=clock)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "rate limit is exhausted for" in out and "asking again in 60 s" in out
    assert ": success in " in out
    assert hub.limits.core("user")["reset"] > exhausted[0]  # the limit did reset, an hour on


def _following(scene: Scene, *extra: str) -> tuple[subprocess.Popen[str], int]:
    """`release-full 1.3.2` in a child process, its builds taking a minute, returned once it follows the run: it has
    read the run's jobs (what the watcher does first)."""
    scene.hub.script(workflow="release-full.yml", job="build*", seconds=60)
    before = Since(scene)
    proc = subprocess.Popen(
        [sys.executable, "-m", "releasekit", "release-full", "1.3.2", *WATCH, *NO_GATE, *extra],
        cwd=scene.project,
        env=scene.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def followed() -> int | None:
        if proc.poll() is not None:
            raise AssertionError(proc.communicate())
        for run in before.runs():
            if scene.hub.requests("GET", f"/repos/{REPOSITORY}/actions/runs/{run.id}/jobs"):
                return run.id
        return None

    run_id: int = scene.hub.wait_for(followed, timeout=60, what="the child to follow its run")
    return proc, run_id


def _interrupt(scene: Scene, *extra: str) -> tuple[int, str, int]:
    proc, run_id = _following(scene, *extra)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert "Traceback" not in err, err
    return proc.returncode, out, run_id


def _run(scene: Scene, run_id: int) -> Run:
    (run,) = [r for r in full_runs(scene) if r.id == run_id]
    return run


def test_ctrl_c_detaches_and_says_how_to_reattach(scene: Scene) -> None:
    code, out, run_id = _interrupt(scene)
    assert code == 130
    assert f"run {run_id} goes on" in out and f"releasekit watch {run_id}" in out
    assert _run(scene, run_id).status == "in_progress"


def test_ctrl_c_with_cancel_on_interrupt_cancels_the_run(scene: Scene) -> None:
    code, out, run_id = _interrupt(scene, "--cancel-on-interrupt")
    assert code == 130
    assert f"Run {run_id} is cancelled" in out
    assert len(out.splitlines()) < 30  # a cancelled run is not reported step by step
    assert _run(scene, run_id).conclusion == "cancelled"
    assert len(scene.hub.requests("POST", f"/repos/{REPOSITORY}/actions/runs/{run_id}/cancel")) == 1


# --- nox ----------------------------------------------------------------------------------------------------------


def test_nox_release_full_session(scene: Scene, since: Since) -> None:
    """`nox -s release_full -- 1.3.2` in the project (its noxfile imports releasekit.nox) is the same command."""
    proc = subprocess.run(
        [sys.executable, "-m", "nox", "-s", "release_full", "--", "1.3.2", *WATCH, *NO_GATE],
        cwd=scene.project,
        env=scene.env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Release Full 1.3.2 [" in proc.stdout and ": success in " in proc.stdout
    assert len(since.dispatches()) == 1 and since.runs()[0].conclusion == "success"
    listed = subprocess.run(
        [sys.executable, "-m", "nox", "--list"], cwd=scene.project, capture_output=True, text=True, check=False
    )
    assert "release_full" in listed.stdout
