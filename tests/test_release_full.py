"""`releasekit release-full`, `watch` and `runs`: checks through the API, exactly one dispatch, the run followed to
its end and reported; every bad input refused before anything is dispatched. Real sandbox over HTTP, real git."""

from __future__ import annotations

import io
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from release_scene import REPOSITORY, Scene, fake_token, make_scene

from releasekit.sandbox.app import Sandbox

Factory = Callable[..., Sandbox]
WATCH = ("--poll", "0.05")
# The generated release-full.yml's last job runs `releasekit publish`; in the sandbox it builds from the tag.
PUBLISH = f'"{sys.executable}" -m releasekit publish "$GITHUB_REF_NAME" --skip-index --no-build-isolation'
DISPATCHES = f"/repos/{REPOSITORY}/actions/workflows/release-full.yml/dispatches"


@pytest.fixture
def scenes(tmp_path: Path, sandbox_factory: Factory) -> Iterator[Callable[..., Scene]]:
    count = 0

    def make(**options: Any) -> Scene:
        nonlocal count
        count += 1
        return make_scene(tmp_path / f"s{count}", sandbox_factory, index=False, publish_command=None, **options)

    yield make


@pytest.fixture
def scene(scenes: Callable[..., Scene]) -> Scene:
    return scenes()


def dispatches(scene: Scene) -> list[dict[str, Any]]:
    return scene.hub.requests("POST", DISPATCHES)


def full_runs(scene: Scene) -> list[Any]:
    return [r for r in scene.hub.runs(REPOSITORY) if r.path.endswith("release-full.yml")]


def refused(proc: subprocess.CompletedProcess[str], scene: Scene, *expected: str, code: int = 1) -> None:
    """A refusal: the exit code, the message, no traceback, and nothing dispatched."""
    assert proc.returncode == code, (proc.stdout, proc.stderr)
    for text in expected:
        assert text in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert dispatches(scene) == []
    assert full_runs(scene) == []


def push_change(scene: Scene, message: str, *, tag: str | None = None, branch: str = "main") -> None:
    scene.git("add", "-A")
    scene.git("commit", "-q", "-m", message)
    scene.git("push", "-q", "origin", f"HEAD:refs/heads/{branch}")
    if tag:
        scene.git("tag", "-a", tag, "-m", tag)
        scene.git("push", "-q", "origin", tag)


# --- the main job ------------------------------------------------------------------------------------------------


def test_release_full_dispatches_once_follows_the_run_and_reports_the_release(scene: Scene) -> None:
    scene.hub.script(workflow="release-full.yml", job="GitHub release", command=PUBLISH)
    proc = scene.releasekit("release-full", "1.3.2", *WATCH)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert len(dispatches(scene)) == 1
    body = dispatches(scene)[0]["body"]
    assert body["ref"] == "v1.3.2" and body["return_run_details"] is True
    assert body["inputs"]["version"] == "1.3.2" and len(body["inputs"]["correlation_id"]) == 12
    (run,) = full_runs(scene)
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


def test_only_one_request_gets_the_run_id(scene: Scene) -> None:
    from releasekit.backends.github import GitHub
    from releasekit.steps.dispatch import dispatch_run, plan_dispatch
    from releasekit.steps.watch import Clock

    gh = GitHub.from_env(REPOSITORY, env=scene.hub.env())
    declared = {"version": _spec(required=True), "correlation_id": _spec()}
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
    before = sum(gh.requests.values())
    dispatched = dispatch_run(gh, plan, clock=Clock(poll=0.05), timeout=5, report=lambda *_: None)
    # The POST's answer carries the run's id: one request, nothing more.
    assert gh.requests["POST"] == 1
    assert sum(gh.requests.values()) - before == 1
    assert dispatched.run_id == full_runs(scene)[0].id


def _spec(*, required: bool = False, kind: str = "string", options: tuple[str, ...] = ()) -> Any:
    from releasekit.steps.dispatch import InputSpec

    return InputSpec(kind, required, None, options)


@pytest.mark.parametrize(("mode", "posts", "how"), [("ignore", 1, "ignored"), ("reject", 2, "refused")])
def test_older_enterprise_servers_fall_back_to_the_correlation_id(
    scenes: Callable[..., Scene], mode: str, posts: int, how: str
) -> None:
    scene = scenes(dispatch_run_details=mode)
    proc = scene.releasekit("release-full", "1.3.2", *WATCH)
    assert proc.returncode == 0, proc.stderr
    assert f"the server {how} return_run_details" in proc.stdout
    assert "found by its correlation id" in proc.stdout
    sent = dispatches(scene)
    assert len(sent) == posts  # "reject": the first POST was refused (422), so nothing was dispatched by it
    assert [s["status"] for s in sent] == ([204] if mode == "ignore" else [422, 204])
    assert len(full_runs(scene)) == 1


def test_without_a_correlation_input_the_newest_run_after_the_dispatch_is_taken(scenes: Callable[..., Scene]) -> None:
    from releasekit.backends.github import GitHub
    from releasekit.steps.dispatch import DispatchPlan, dispatch_run
    from releasekit.steps.watch import Clock

    scene = scenes(dispatch_run_details="ignore")
    gh = GitHub.from_env(REPOSITORY, env=scene.hub.env())
    older = scene.releasekit("release-full", "1.3.2", "--no-watch")  # an earlier run of the same workflow
    assert older.returncode == 0, older.stderr
    plan = DispatchPlan("release-full.yml", ".github/workflows/release-full.yml", "v1.3.2", {"version": "1.3.2"}, None)
    dispatched = dispatch_run(gh, plan, clock=Clock(poll=0.05), timeout=5, report=lambda *_: None)
    assert dispatched.how == "found as the newest run"
    assert dispatched.run_id == max(r.id for r in full_runs(scene))
    assert len(full_runs(scene)) == 2


def test_a_lost_answer_is_looked_for_not_sent_again(scene: Scene) -> None:
    scene.hub.fault("POST", DISPATCHES, action="drop-after", count=1)
    proc = scene.releasekit("release-full", "1.3.2", *WATCH)
    assert proc.returncode == 0, proc.stderr
    assert "the answer was lost" in proc.stdout and "found after a lost answer" in proc.stdout
    assert len(dispatches(scene)) == 1 and len(full_runs(scene)) == 1


def test_a_dispatch_that_got_lost_is_reported_with_the_command_to_finish(scene: Scene) -> None:
    scene.hub.fault("POST", DISPATCHES, action="drop", count=1)
    proc = scene.releasekit("release-full", "1.3.2", *WATCH, "--find-timeout", "1")
    assert proc.returncode == 1
    assert "got no answer" in proc.stderr and "It was not sent again" in proc.stderr
    assert "releasekit runs release-full.yml" in proc.stderr
    assert len(scene.hub.requests("POST", DISPATCHES)) <= 1 and full_runs(scene) == []


def test_a_failed_job_is_named_with_its_step_and_rerun_failed_reruns_only_it(scene: Scene) -> None:
    scene.hub.script(
        workflow="release-full.yml",
        job="build (windows-pc)",
        conclusion="failure",
        step="Build the desktop installers",
        times=2,
    )
    failed = scene.releasekit("release-full", "1.3.2", *WATCH)
    assert failed.returncode == 1
    assert "build (windows-pc) [windows-pc]: failure  http" in failed.stdout
    assert "step " in failed.stdout and "'Build the desktop installers': failure" in failed.stdout
    assert "#step:" in failed.stdout
    assert "releasekit watch" in failed.stdout and "--rerun-failed" in failed.stdout
    run_id = full_runs(scene)[0].id
    # The second scripted failure is used up by this re-run; the third attempt passes.
    again = scene.releasekit("watch", str(run_id), *WATCH, "--rerun-failed")
    assert again.returncode == 1
    assert "attempt 2" in again.stdout
    proc = scene.releasekit("watch", str(run_id), *WATCH, "--rerun-failed")
    assert proc.returncode == 0, proc.stdout
    (run,) = full_runs(scene)
    assert run.run_attempt == 3 and run.conclusion == "success"
    assert len(dispatches(scene)) == 1
    reruns = scene.hub.requests("POST", f"/repos/{REPOSITORY}/actions/runs/{run_id}/rerun-failed-jobs")
    assert len(reruns) == 2


def test_release_full_rerun_failed_in_one_go(scene: Scene) -> None:
    scene.hub.script(workflow="release-full.yml", job="build (windows-pc)", conclusion="failure", times=1)
    proc = scene.releasekit("release-full", "1.3.2", *WATCH, "--rerun-failed")
    assert proc.returncode == 0, proc.stdout
    assert "re-running the failed jobs" in proc.stdout
    assert "(attempt 2): success" in proc.stdout
    (run,) = full_runs(scene)
    assert run.run_attempt == 2 and len(dispatches(scene)) == 1


def test_dry_run_and_no_watch(scene: Scene) -> None:
    dry = scene.releasekit("release-full", "v1.3.2", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "nothing was dispatched" in dry.stdout and DISPATCHES in dry.stdout
    assert dispatches(scene) == []
    proc = scene.releasekit("release-full", "1.3.2", "--no-watch")
    assert proc.returncode == 0
    run_id = full_runs(scene)[0].id
    assert f"releasekit watch {run_id}" in proc.stdout


# --- bad input: refused, nothing dispatched ----------------------------------------------------------------------


def test_a_version_without_a_tag(scene: Scene) -> None:
    proc = scene.releasekit("release-full", "1.9.9")
    refused(proc, scene, "tag v1.9.9 is not on GitHub", "releasekit release 1.9.9")


def test_a_version_that_is_not_one(scene: Scene) -> None:
    proc = scene.releasekit("release-full", "one-point-four")
    refused(proc, scene, "'one-point-four'", code=2)


def test_an_undeclared_input_and_a_bad_input_syntax(scene: Scene) -> None:
    proc = scene.releasekit("release-full", "1.3.2", "--input", "channel=beta")
    refused(proc, scene, "input 'channel' is not declared", "it declares: correlation_id, version")
    proc = scene.releasekit("release-full", "1.3.2", "--input", "channel")
    refused(proc, scene, "write NAME=VALUE", code=2)
    proc = scene.releasekit("release-full", "1.3.2", "--input", "versoin=1.3.2")
    refused(proc, scene, "input 'versoin' is not declared", "did you mean 'version'?")


def test_the_inputs_releasekit_fills_in_are_not_overridden(scene: Scene) -> None:
    proc = scene.releasekit("release-full", "1.3.2", "--input", "version=9.9.9")
    refused(proc, scene, "--input sets 'version', which releasekit fills in itself (with 1.3.2")
    proc = scene.releasekit("release-full", "1.3.2", "--input", "correlation_id=mine")
    refused(proc, scene, "--input sets 'correlation_id', which releasekit fills in itself (to find the run)")


def test_required_and_typed_inputs(scene: Scene) -> None:
    config = scene.project / "releasekit.yaml"
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
    assert scene.releasekit("workflows").returncode == 0
    push_change(scene, "release-full: channel, notarize, build-number", tag="v1.3.3")
    missing = scene.releasekit("release-full", "1.3.3")
    refused(missing, scene, "input 'channel' is required", "--input channel=VALUE")
    choice = scene.releasekit("release-full", "1.3.3", "--input", "channel=nightly")
    refused(choice, scene, "'nightly' is not one of its choices (stable, beta)")
    boolean = scene.releasekit("release-full", "1.3.3", "--input", "channel=beta", "--input", "notarize=yes")
    refused(boolean, scene, "'yes' is not a boolean")
    number = scene.releasekit("release-full", "1.3.3", "--input", "channel=beta", "--input", "build-number=x1")
    refused(number, scene, "'x1' is not a number")
    many = [f"--input=extra{i}=1" for i in range(25)]
    too_many = scene.releasekit("release-full", "1.3.3", "--input", "channel=beta", *many)
    refused(too_many, scene, "GitHub accepts at most 25")
    # Inputs from releasekit.yaml (`{version}` filled in), and --input overriding one of them.
    config.write_text(
        config.read_text() + "\nrelease:\n  full:\n    inputs:\n      channel: stable\n      build-number: 7\n"
    )
    ok = scene.releasekit("release-full", "1.3.3", "--input", "channel=beta", *WATCH)
    assert ok.returncode == 0, ok.stderr
    sent = dispatches(scene)[0]["body"]["inputs"]
    assert {k: v for k, v in sent.items() if k != "correlation_id"} == {
        "version": "1.3.3",
        "channel": "beta",
        "build-number": "7",
    }


def test_configured_inputs_are_checked_when_the_config_loads(scene: Scene) -> None:
    config = scene.project / "releasekit.yaml"
    original = config.read_text()
    config.write_text(original + "\nrelease:\n  full:\n    inputs:\n      nope: x\n")
    proc = scene.releasekit("release-full", "1.3.2")
    assert proc.returncode == 2
    assert "release.full.inputs.nope: workflows.release-full declares no such input" in proc.stderr
    assert "releasekit.yaml:" in proc.stderr
    config.write_text(original + "\nrelease:\n  full:\n    workflow: release\n")
    proc = scene.releasekit("release-full", "1.3.2")
    assert proc.returncode == 2
    assert "'release' has no workflow_dispatch trigger" in proc.stderr
    assert dispatches(scene) == []


def test_a_workflow_without_workflow_dispatch_at_the_ref(scene: Scene) -> None:
    scene.git("checkout", "-q", "-b", "no-dispatch")
    workflow = scene.project / ".github/workflows/release-full.yml"
    workflow.write_text(
        "name: Release Full\non:\n  push:\n    branches: [never]\n"
        "jobs:\n  build:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo\n"
    )
    push_change(scene, "release-full by push only", branch="no-dispatch")
    proc = scene.releasekit("release-full", "1.3.2", "--ref", "no-dispatch")
    refused(proc, scene, "at no-dispatch has no workflow_dispatch trigger")


def test_an_unknown_workflow(scene: Scene) -> None:
    config = scene.project / "releasekit.yaml"
    text = config.read_text().replace(
        "\npublish:\n",
        "\n  nightly:\n    name: Nightly\n    template: test-suite\n    triggers:\n      workflow_dispatch: {}\n"
        "    machines: [ubuntu]\n\npublish:\n",
    )
    config.write_text(text + "\nrelease:\n  full:\n    workflow: nightly\n")
    proc = scene.releasekit("release-full", "1.3.2")
    refused(proc, scene, "has no workflow 'nightly.yml' on GitHub", "release-full.yml", "releasekit workflows")


def test_a_rejected_token(scene: Scene) -> None:
    proc = scene.releasekit("release-full", "1.3.2", env={"GITHUB_TOKEN": fake_token()})
    refused(proc, scene, "GitHub rejected the token (401")
    assert fake_token()[:4] not in proc.stderr.replace("ghp_", "")  # no token text at all


def test_watch_a_run_that_does_not_exist(scene: Scene) -> None:
    proc = scene.releasekit("watch", "424242")
    assert proc.returncode == 1
    assert "has no workflow run 424242" in proc.stderr and "releasekit runs" in proc.stderr
    bad = scene.releasekit("watch", "latest")
    assert bad.returncode == 2 and "is not a run id" in bad.stderr
    # A job's URL (as a failure prints it) names its run too.
    url = f"{scene.hub.api_url}/{REPOSITORY}/actions/runs/424242/job/7"
    proc = scene.releasekit("watch", url)
    assert proc.returncode == 1 and "has no workflow run 424242" in proc.stderr


# --- following: outages, rate limits, Ctrl-C --------------------------------------------------------------------


def test_the_api_going_away_mid_watch_is_waited_for(scene: Scene) -> None:
    proc = _following(scene, seconds=4)
    scene.hub.fault("GET", f"/repos/{REPOSITORY}/actions/runs/*", action="drop", count=5)
    scene.hub.fault("GET", f"/repos/{REPOSITORY}/actions/runs/*", status=503, count=2)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "the GitHub API is not answering" in out and "the GitHub API answers again" in out
    assert len(dispatches(scene)) == 1 and full_runs(scene)[0].conclusion == "success"


def _following(scene: Scene, *extra: str, seconds: float) -> subprocess.Popen[str]:
    """`release-full 1.3.2` in a child process, its builds taking `seconds`, returned once its run is in progress."""
    scene.hub.script(workflow="release-full.yml", job="build*", seconds=seconds)
    proc = subprocess.Popen(
        [sys.executable, "-m", "releasekit", "release-full", "1.3.2", *WATCH, *extra],
        cwd=scene.project,
        env=scene.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    scene.hub.wait_for(lambda: any(r.status == "in_progress" for r in full_runs(scene)), what="the run to start")
    return proc


def _interrupt(scene: Scene, *extra: str) -> tuple[int, str, int]:
    proc = _following(scene, *extra, seconds=60)
    time.sleep(0.3)  # the watcher is following by now
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert "Traceback" not in err, err
    return proc.returncode, out, full_runs(scene)[0].id


def test_ctrl_c_detaches_and_says_how_to_reattach(scene: Scene) -> None:
    code, out, run_id = _interrupt(scene)
    assert code == 130
    assert f"run {run_id} goes on" in out and f"releasekit watch {run_id}" in out
    assert full_runs(scene)[0].status == "in_progress"


def test_ctrl_c_with_cancel_on_interrupt_cancels_the_run(scene: Scene) -> None:
    code, out, run_id = _interrupt(scene, "--cancel-on-interrupt")
    assert code == 130
    assert f"Run {run_id} is cancelled" in out
    assert len(out.splitlines()) < 30  # a cancelled run is not reported step by step
    assert full_runs(scene)[0].conclusion == "cancelled"
    assert len(scene.hub.requests("POST", f"/repos/{REPOSITORY}/actions/runs/{run_id}/cancel")) == 1


def test_follow_waits_out_an_exhausted_rate_limit(scene: Scene) -> None:
    from releasekit.backends import actions
    from releasekit.backends.github import GitHub
    from releasekit.steps.runview import LineDisplay
    from releasekit.steps.watch import Clock, follow

    hub = scene.hub

    class SandboxTime(Clock):
        """The watcher's waits move the sandbox's clock instead of taking real time."""

        def sleep(self, seconds: float) -> None:
            self.waited += seconds
            hub.clock.advance(seconds)
            time.sleep(0.01)

    gh = GitHub.from_env(REPOSITORY, env=hub.env(), max_wait=5)
    answer = actions.dispatch(gh, "release-full.yml", ref="v1.3.2", inputs={"version": "1.3.2"})
    assert answer.run_id is not None
    hub.limits.set("user", remaining=0)
    out = io.StringIO()
    result = follow(gh, answer.run_id, clock=SandboxTime(poll=1), timeout=7200, display=LineDisplay(out))
    assert result.ok
    assert "rate limit is exhausted for" in out.getvalue() and "asking again in 60 s" in out.getvalue()


# --- runs ---------------------------------------------------------------------------------------------------------


def test_runs_lists_recent_runs(scene: Scene) -> None:
    assert scene.releasekit("release-full", "1.3.2", "--no-watch").returncode == 0
    proc = scene.releasekit("runs", "release-full")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == f"{REPOSITORY}: the latest run of release-full.yml"
    assert lines[1].split() == ["run", "workflow", "title", "trigger", "result", "started", "url"]
    assert (
        "release-full.yml" in lines[2] and "Release Full 1.3.2 [" in lines[2] and "workflow_dispatch v1.3.2" in lines[2]
    )
    every = scene.releasekit("runs")
    assert every.returncode == 0 and "all workflows" in every.stdout
    unknown = scene.releasekit("runs", "nope.yml")
    assert unknown.returncode == 1 and "has no workflow 'nope.yml'" in unknown.stderr


def test_nox_release_full_session(scene: Scene) -> None:
    """`nox -s release_full -- 1.3.2` in the project (its noxfile imports releasekit.nox) is the same command."""
    proc = subprocess.run(
        [sys.executable, "-m", "nox", "-s", "release_full", "--", "1.3.2", *WATCH],
        cwd=scene.project,
        env=scene.env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Release Full 1.3.2 [" in proc.stdout and ": success in " in proc.stdout
    assert len(dispatches(scene)) == 1 and full_runs(scene)[0].conclusion == "success"
    listed = subprocess.run(
        [sys.executable, "-m", "nox", "--list"], cwd=scene.project, capture_output=True, text=True, check=False
    )
    assert "release_full" in listed.stdout
