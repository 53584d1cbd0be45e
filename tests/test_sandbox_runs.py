"""Workflow runs in the sandbox: started by pushes and dispatches as on GitHub, scripted, re-run, executed for real."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import git
from github import GithubException
from sandbox_scene import FULL, api, git_output, host, make_project, push

from releasekit.backends.records import SIMULATED_STEP, job_record
from releasekit.commands.sandbox import run_line
from releasekit.sandbox.app import Sandbox
from releasekit.sandbox.state import Run


@pytest.fixture
def scene(github_sandbox: Sandbox, tmp_path: Path) -> tuple[Sandbox, Path]:
    root = make_project(tmp_path / "demo")
    host(github_sandbox, root)
    return github_sandbox, root


def commit(root: Path, name: str, text: str = "x\n", message: str = "change") -> str:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git_output(root, "rev-parse", "HEAD")


def finished(hub: Sandbox, count: int = 1) -> list[Run]:
    def done() -> list[Run] | None:
        runs = hub.runs("acme/demo")
        return runs if len(runs) >= count and all(r.status == "completed" for r in runs) else None

    result: list[Run] = hub.wait_for(done, what=f"{count} completed run(s)")
    return result


def test_a_tag_push_starts_the_release_workflow_and_it_progresses(scene: tuple[Sandbox, Path]) -> None:
    hub, root = scene
    git(root, "tag", "-a", "v1.1.0", "-m", "v1.1.0")
    push(root, "v1.1.0")
    repo = hub.github().get_repo("acme/demo")
    [run] = list(repo.get_workflow_runs())  # visible at once: the push is read before the request is answered
    assert (run.name, run.event, run.head_branch, run.display_title) == ("Release", "push", "v1.1.0", "Release v1.1.0")
    assert run.head_sha == git_output(root, "rev-parse", "v1.1.0^{commit}")
    assert run.status in ("queued", "in_progress")
    seen = {run.status}
    while run.status != "completed":
        run.update()
        seen.add(run.status)
    assert "in_progress" in seen and run.conclusion == "success"
    jobs = list(run.jobs())
    assert [j.name for j in jobs] == ["build", "publish"]
    build, publish = jobs
    assert publish.started_at >= build.completed_at  # `needs:` orders the jobs
    # No script and no command: the sandbox only simulates the job, and its steps say so.
    assert [s.name for s in publish.steps] == [
        "Set up job",
        "Publish the GitHub release",
        "Complete job",
        SIMULATED_STEP,
    ]
    assert [s.conclusion for s in publish.steps] == ["success", "success", "success", "skipped"]


def test_branch_and_path_filters_decide_which_pushes_run(scene: tuple[Sandbox, Path]) -> None:
    hub, root = scene
    commit(root, "docs/guide.md")
    push(root, "main")  # only docs changed: CI's paths-ignore skips it
    commit(root, "src/a.py")
    git(root, "checkout", "-q", "-b", "feature")
    commit(root, "src/b.py")
    push(root, "feature")  # not a CI branch
    git(root, "checkout", "-q", "-b", "release/1.x")
    push(root, "release/1.x")  # release/** matches
    git(root, "tag", "1.0-not-v")
    push(root, "1.0-not-v")  # release.yml wants v*
    runs = hub.runs("acme/demo")
    assert [(r.name, r.head_branch) for r in runs] == [("CI", "release/1.x")]
    assert len(runs[0].jobs) == 4  # os x python matrix


def test_workflows_are_read_at_the_pushed_ref(scene: tuple[Sandbox, Path]) -> None:
    hub, root = scene
    git(root, "checkout", "-q", "-b", "release/2.x")
    workflow = (root / ".github/workflows/ci.yml").read_text().replace("name: CI", "name: CI on the branch")
    commit(root, ".github/workflows/ci.yml", workflow)
    push(root, "release/2.x")
    [run] = hub.runs("acme/demo")
    assert run.name == "CI on the branch"
    listed = {w.name for w in hub.github().get_repo("acme/demo").get_workflows()}
    assert "CI" in listed  # the default branch's file names the workflow in the list


def test_an_invalid_workflow_file_shows_as_a_failed_run(scene: tuple[Sandbox, Path]) -> None:
    hub, root = scene
    commit(root, ".github/workflows/broken.yml", "on: push\njobs:\n  x: [\n")
    push(root, "main")
    runs = {r.path: r for r in finished(hub, 2)}
    broken = runs[".github/workflows/broken.yml"]
    assert (broken.conclusion, broken.jobs) == ("failure", [])
    assert broken.error is not None and "line" in broken.error


def test_a_matrix_the_sandbox_cannot_evaluate_fails_the_run_not_the_sandbox(scene: tuple[Sandbox, Path]) -> None:
    """A matrix read with fromJSON from a simulated job's outputs (which are empty), as real monorepos write it:
    the run fails with the reason, as GitHub fails a run whose strategy it cannot evaluate; the push goes through."""
    hub, root = scene
    workflow = (
        "on: push\njobs:\n  changes:\n    runs-on: ubuntu-latest\n    outputs:\n"
        "      packages: ${{ steps.filter.outputs.packages }}\n    steps:\n      - id: filter\n        run: echo\n"
        "  test:\n    needs: changes\n    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n"
        "        package: ${{ fromJSON(needs.changes.outputs.packages) }}\n    steps:\n      - run: echo\n"
    )
    commit(root, ".github/workflows/changes.yml", workflow)
    push(root, "main")
    runs = {r.path: r for r in finished(hub, 2)}
    failed = runs[".github/workflows/changes.yml"]
    assert (failed.conclusion, failed.jobs) == ("failure", [])
    assert failed.error is not None and "fromJSON" in failed.error


def test_dispatch_returns_the_run_id_when_asked(scene: tuple[Sandbox, Path]) -> None:
    hub, _ = scene
    answer = api(
        hub,
        "POST",
        "/repos/acme/demo/actions/workflows/release-full.yml/dispatches",
        json={"ref": "v1.0.0", "inputs": {"version": "1.0.0", "correlation_id": "rk-1"}, "return_run_details": True},
    )
    assert answer.status_code == 200
    run_id = answer.json()["workflow_run_id"]
    assert answer.json()["run_url"] == f"{hub.api_url}/repos/acme/demo/actions/runs/{run_id}"
    run = hub.github().get_repo("acme/demo").get_workflow_run(run_id)
    assert (run.event, run.head_branch, run.display_title) == (
        "workflow_dispatch",
        "v1.0.0",
        "Release Full 1.0.0 [rk-1]",
    )
    assert [j.name for j in run.jobs()] == ["build (imac)", "build (windows-pc)", "publish"]
    assert [j.labels for j in run.jobs()][:2] == [["self-hosted", "imac"], ["self-hosted", "windows-pc"]]
    without = api(
        hub,
        "POST",
        "/repos/acme/demo/actions/workflows/release-full.yml/dispatches",
        json={"ref": "main", "inputs": {"version": "2"}},
    )
    assert (without.status_code, without.content) == (204, b"")


@pytest.mark.parametrize(
    ("mode", "status"),
    [("ignore", 204), ("reject", 422), ("reject-400", 400)],
)
def test_older_enterprise_servers_ignore_or_reject_return_run_details(
    sandbox_factory: object, tmp_path: Path, mode: str, status: int
) -> None:
    hub: Sandbox = sandbox_factory(dispatch_run_details=mode)  # type: ignore[operator]
    root = make_project(tmp_path / "demo")
    host(hub, root)
    answer = api(
        hub,
        "POST",
        "/repos/acme/demo/actions/workflows/release-full.yml/dispatches",
        json={"ref": "main", "inputs": {"version": "1"}, "return_run_details": True},
    )
    assert answer.status_code == status
    if status in (400, 422):
        assert answer.json()["message"] == 'Invalid request.\n\n"return_run_details" is not a permitted key.'
        assert hub.runs("acme/demo") == []  # nothing was dispatched
    else:
        assert len(hub.runs("acme/demo")) == 1


@pytest.mark.parametrize(
    ("workflow", "body", "message"),
    [
        ("ci.yml", {"ref": "main"}, "Workflow does not have 'workflow_dispatch' trigger"),
        ("release-full.yml", {"ref": "main", "inputs": {}}, "Required input 'version' not provided"),
        (
            "release-full.yml",
            {"ref": "main", "inputs": {"version": "1", "colour": "red"}},
            'Unexpected inputs provided: ["colour"]',
        ),
        (
            "release-full.yml",
            {"ref": "main", "inputs": {"version": "1", "channel": "nightly"}},
            "Provided value 'nightly' for input 'channel' not in the list of allowed values",
        ),
        (
            "release-full.yml",
            {"ref": "main", "inputs": {"version": "1", "sign": "maybe"}},
            "Provided value 'maybe' for input 'sign' is not a valid boolean",
        ),
        ("release-full.yml", {"ref": "v9.9.9", "inputs": {"version": "1"}}, "No ref found for: v9.9.9"),
    ],
)
def test_bad_dispatches_are_refused_with_githubs_422(
    scene: tuple[Sandbox, Path], workflow: str, body: dict[str, object], message: str
) -> None:
    hub, _ = scene
    answer = api(hub, "POST", f"/repos/acme/demo/actions/workflows/{workflow}/dispatches", json=body)
    assert (answer.status_code, answer.json()["message"]) == (422, message)
    assert hub.runs("acme/demo") == []


def test_pygithub_dispatch_and_unknown_workflow(scene: tuple[Sandbox, Path]) -> None:
    hub, _ = scene
    repo = hub.github().get_repo("acme/demo")
    workflow = repo.get_workflow("release-full.yml")
    assert workflow.create_dispatch("main", {"version": "1.2.3"}) is True
    assert [r.display_title for r in workflow.get_runs()] == ["Release Full 1.2.3 []"]
    with pytest.raises(GithubException) as unknown:
        repo.get_workflow("nope.yml")
    assert unknown.value.status == 404


def test_run_list_filters(scene: tuple[Sandbox, Path]) -> None:
    hub, root = scene
    commit(root, "src/c.py")
    push(root, "main")
    git(root, "tag", "v1.1.0")
    push(root, "v1.1.0")
    api(
        hub,
        "POST",
        "/repos/acme/demo/actions/workflows/release-full.yml/dispatches",
        json={"ref": "main", "inputs": {"version": "1"}},
    )
    finished(hub, 3)

    def listed(query: str) -> list[str]:
        body = api(hub, "GET", f"/repos/acme/demo/actions/runs?{query}").json()
        assert body["total_count"] == len(body["workflow_runs"])
        return [r["name"] for r in body["workflow_runs"]]

    assert listed("") == ["Release Full", "Release", "CI"]  # newest first
    assert listed("event=workflow_dispatch") == ["Release Full"]
    assert listed("branch=v1.1.0") == ["Release"]
    assert listed("status=success") == ["Release Full", "Release", "CI"]
    assert listed("status=in_progress") == []
    assert listed(f"head_sha={git_output(root, 'rev-parse', 'HEAD')}&event=push") == ["Release", "CI"]
    assert listed("created=>=2000-01-01T00:00:00Z") == ["Release Full", "Release", "CI"]
    assert listed("created=<2000-01-01") == []
    assert listed("actor=someone-else") == []
    bad = api(hub, "GET", "/repos/acme/demo/actions/runs?created=yesterday")
    assert bad.status_code == 422


def test_scripted_failure_then_rerun_failed_jobs(scene: tuple[Sandbox, Path]) -> None:
    hub, _ = scene
    hub.script(
        workflow="release-full.yml", job="build (windows*", conclusion="failure", step="Run make installers", times=1
    )
    repo = hub.github().get_repo("acme/demo")
    repo.get_workflow("release-full.yml").create_dispatch("main", {"version": "1"})
    [first] = finished(hub)
    run = repo.get_workflow_run(first.id)
    assert run.conclusion == "failure"
    jobs = {j.name: j for j in run.jobs()}
    assert (jobs["build (imac)"].conclusion, jobs["build (windows-pc)"].conclusion) == ("success", "failure")
    assert jobs["publish"].conclusion == "skipped"  # its need failed
    failed_step = next(s for s in jobs["build (windows-pc)"].steps if s.conclusion == "failure")
    assert failed_step.name == "Run make installers"
    assert run.cancel() is False  # PyGithub reports the 409 as False
    refused = api(hub, "POST", f"/repos/acme/demo/actions/runs/{run.id}/cancel")
    assert (refused.status_code, refused.json()["message"]) == (409, "Cannot cancel a workflow run that is completed.")
    assert run.rerun_failed_jobs() is True
    run.update()
    assert (run.run_attempt, run.status) == (2, "queued")
    [again] = finished(hub)
    run.update()
    assert (run.conclusion, run.run_attempt) == ("success", 2)
    latest = {j.name: j for j in run.jobs()}
    assert latest["build (imac)"].id == jobs["build (imac)"].id  # carried over from attempt 1
    assert latest["build (windows-pc)"].id != jobs["build (windows-pc)"].id
    everything = api(hub, "GET", f"/repos/acme/demo/actions/runs/{run.id}/jobs?filter=all").json()
    assert everything["total_count"] == 5
    attempt1 = api(hub, "GET", f"/repos/acme/demo/actions/runs/{run.id}/attempts/1/jobs").json()
    assert sorted(j["conclusion"] for j in attempt1["jobs"]) == ["failure", "skipped", "success"]
    assert again.id == first.id


def test_cancel_a_running_run(sandbox_factory: object, tmp_path: Path) -> None:
    hub: Sandbox = sandbox_factory(job_seconds=60)  # type: ignore[operator]
    root = make_project(tmp_path / "demo")
    host(hub, root)
    hub.github().get_repo("acme/demo").get_workflow("release-full.yml").create_dispatch("main", {"version": "1"})
    run = hub.github().get_repo("acme/demo").get_workflow_runs()[0]
    assert run.cancel() is True
    run.update()
    assert (run.status, run.conclusion) == ("completed", "cancelled")
    assert {j.conclusion for j in run.jobs()} == {"cancelled"}
    assert run.cancel() is False  # 409: already completed


def test_the_sandbox_clock_can_be_sped_up_and_moved(sandbox_factory: object, tmp_path: Path) -> None:
    hub: Sandbox = sandbox_factory(job_seconds=1800, queue_seconds=5)  # type: ignore[operator]
    root = make_project(tmp_path / "demo")
    host(hub, root)
    hub.github().get_repo("acme/demo").get_workflow("release-full.yml").create_dispatch("main", {"version": "1"})
    [run] = hub.runs("acme/demo")
    assert run.status == "queued"
    api(hub, "POST", "/_sandbox/clock", json={"advance": 10})
    assert run.status == "in_progress"
    hub.clock.advance(3 * 1800)
    [done] = finished(hub)
    assert done.conclusion == "success"
    # Queued 5 s, then two levels of jobs (the build matrix in parallel, then publish), in sandbox time.
    assert done.updated_at - done.created_at == pytest.approx(5 + 2 * 1800)


def test_a_job_runs_a_real_command_with_a_runners_environment(scene: tuple[Sandbox, Path]) -> None:
    hub, root = scene
    report = (
        'python -c "import json, os; print(json.dumps('
        "{k: v for k, v in os.environ.items() if k.startswith(('GITHUB_', 'INPUT_', 'RUNNER_'))}))\""
    )
    hub.script(workflow="release-full.yml", job="publish", command=f"{report} && test -f README.md")
    hub.script(workflow="release-full.yml", job="build (imac)", command="echo building on $RUNNER_NAME; exit 3")
    hub.github().get_repo("acme/demo").get_workflow("release-full.yml").create_dispatch("v1.0.0", {"version": "1.0.0"})
    [run] = finished(hub)
    jobs = {j.name: j for j in run.jobs}
    assert (jobs["build (imac)"].conclusion, jobs["build (imac)"].exit_code) == ("failure", 3)
    assert jobs["publish"].conclusion == "skipped"
    log = api(hub, "GET", f"/repos/acme/demo/actions/jobs/{jobs['build (imac)'].id}/logs").text
    assert "building on imac" in log and "exit code 3" in log
    # Now let the build pass and look at what the publish job saw.
    hub.engine.rules.clear()
    hub.script(workflow="release-full.yml", job="publish", command=f"{report} && test -f README.md")
    hub.github().get_repo("acme/demo").get_workflow_run(run.id).rerun_failed_jobs()
    [run] = finished(hub)
    publish = next(j for j in run.jobs if j.name == "publish" and j.attempt == 2)
    assert publish.conclusion == "success"
    text = api(hub, "GET", f"/repos/acme/demo/actions/jobs/{publish.id}/logs").text
    seen = json.loads(next(line for line in text.splitlines() if line.startswith("{")))
    assert seen["GITHUB_REPOSITORY"] == "acme/demo"
    assert (seen["GITHUB_REF"], seen["GITHUB_REF_NAME"], seen["GITHUB_REF_TYPE"]) == (
        "refs/tags/v1.0.0",
        "v1.0.0",
        "tag",
    )
    assert seen["GITHUB_SHA"] == git_output(root, "rev-parse", "v1.0.0^{commit}")
    assert (seen["GITHUB_API_URL"], seen["GITHUB_RUN_ID"], seen["GITHUB_RUN_ATTEMPT"]) == (
        hub.api_url,
        str(run.id),
        "2",
    )
    assert seen["INPUT_VERSION"] == "1.0.0" and seen["INPUT_CHANNEL"] == "stable" and seen["INPUT_SIGN"] == "true"
    assert json.loads(Path(seen["GITHUB_EVENT_PATH"]).read_text())["inputs"]["version"] == "1.0.0"
    assert seen["GITHUB_TOKEN"] != hub.token and seen["GITHUB_TOKEN"].startswith("rks_job_")
    # The run's token died with the run.
    assert api(hub, "GET", "/repos/acme/demo", token=seen["GITHUB_TOKEN"]).status_code == 401


def test_a_jobs_token_can_use_the_api_but_its_pushes_start_no_runs(scene: tuple[Sandbox, Path]) -> None:
    hub, _ = scene
    script = (
        'python -c "import os, json, urllib.request as u; '
        "h={'Authorization': 'token ' + os.environ['GITHUB_TOKEN'], 'Content-Type': 'application/json'}; "
        "d=json.dumps({'ref': 'refs/tags/v7.0.0', 'sha': os.environ['GITHUB_SHA']}).encode(); "
        "url=os.environ['GITHUB_API_URL'] + '/repos/' + os.environ['GITHUB_REPOSITORY'] + '/git/refs'; "
        "r=u.urlopen(u.Request(url, d, h)); "
        'print(r.status)"'
    )
    hub.script(workflow="release-full.yml", job="publish", command=script)
    hub.github().get_repo("acme/demo").get_workflow("release-full.yml").create_dispatch("main", {"version": "1"})
    [run] = finished(hub)
    assert run.conclusion == "success"
    assert "refs/tags/v7.0.0" in git_output(Path(hub.remote_url("acme/demo")), "for-each-ref")
    assert len(hub.runs("acme/demo")) == 1  # release.yml matches v7.0.0, but GITHUB_TOKEN events start no runs
    created = next(e for e in hub.requests("POST", "/repos/acme/demo/git/refs"))
    assert created["run_id"] == run.id and created["authorization"] == "token ***"


def test_state_survives_a_restart_in_the_same_directory(tmp_path: Path) -> None:
    root = make_project(tmp_path / "demo")
    state = tmp_path / "state"
    with Sandbox(state, job_seconds=0.1, queue_seconds=0.01) as hub:
        host(hub, root)
        hub.github().get_repo("acme/demo").create_git_release("v1.0.0", "one", "")
        hub.github().get_repo("acme/demo").get_workflow("release-full.yml").create_dispatch("main", {"version": "1"})
        hub.wait_for(lambda: hub.runs("acme/demo")[0].status == "completed")
        token = hub.token
    with Sandbox(state) as again:
        assert again.token != token  # tokens are never stored
        repo = again.github().get_repo("acme/demo")
        assert repo.get_latest_release().name == "one"
        assert [r.conclusion for r in repo.get_workflow_runs()] == ["success"]
        assert json.loads((state / "state.json").read_text())["repos"][0]["name"] == "demo"


def test_full_release_workflow_from_the_scene_declares_its_inputs() -> None:
    assert "correlation_id" in FULL


# The publish step of a releasekit-generated release.yml (templates/_release.j2), in a workflow of its shape.
GENERATED_RELEASE = """\
name: Release
on:
  push:
    tags: ["v*"]
  workflow_dispatch:
jobs:
  build:
    runs-on: ubuntu-24.04
    steps:
      - run: python -m build
  github-release:
    name: GitHub release
    needs: [build]
    runs-on: ubuntu-24.04
    steps:
      - name: Publish the GitHub release
        env:
          TAG: "${{ github.ref_name }}"
        run: |
          python -m pip install "releasekit==0.1.0"
          releasekit publish "$TAG" --dist dist/
"""


def test_simulated_jobs_say_so_in_the_jobs_and_check_runs_and_real_ones_do_not(
    sandbox_factory: object, tmp_path: Path
) -> None:
    hub: Sandbox = sandbox_factory()  # type: ignore[operator]
    root = make_project(tmp_path / "demo")
    host(hub, root)
    hub.script(workflow="release.yml", job="build", command="true")
    git(root, "tag", "-a", "v1.1.0", "-m", "v1.1.0")
    push(root, "v1.1.0")
    [run] = finished(hub)
    listed = api(hub, "GET", f"/repos/acme/demo/actions/runs/{run.id}/jobs").json()["jobs"]
    jobs = {j["name"]: job_record(j) for j in listed}
    assert (jobs["build"].simulated, jobs["publish"].simulated) == (False, True)
    checks = api(hub, "GET", "/repos/acme/demo/commits/v1.1.0/check-runs").json()["check_runs"]
    outputs = {c["name"]: c["output"] for c in checks}
    assert outputs["build"]["title"] is None
    assert outputs["publish"]["title"] == "Simulated by the sandbox"
    assert outputs["publish"]["summary"] == (
        "No command ran: the sandbox set this job's result (success, by the sandbox's default)."
    )
    assert run_line(run).endswith("(push v1.1.0): success  (simulated: publish; real: build)")


def test_a_scripted_outcome_is_still_a_simulation_and_says_who_decided(scene: tuple[Sandbox, Path]) -> None:
    hub, root = scene
    hub.script(workflow="release.yml", conclusion="failure")
    git(root, "tag", "-a", "v1.1.0", "-m", "v1.1.0")
    push(root, "v1.1.0")
    [run] = finished(hub)
    checks = api(hub, "GET", "/repos/acme/demo/commits/v1.1.0/check-runs").json()["check_runs"]
    summaries = {c["name"]: (c["conclusion"], c["output"]["summary"]) for c in checks}
    assert summaries["build"][0] == "failure" and summaries["build"][1].endswith("(failure, by a script).")
    assert summaries["publish"][0] == "skipped"  # its `needs:` failed
    assert run_line(run).endswith("(push v1.1.0): failure  (simulated: every job)")


def test_a_generated_release_workflow_runs_the_publish_command_for_real_on_a_tag_push(
    sandbox_factory: object, tmp_path: Path
) -> None:
    published = tmp_path / "published.txt"
    command = f'printf "%s %s %.8s" "$GITHUB_REF_NAME" "$GITHUB_REF_TYPE" "$GITHUB_TOKEN" > "{published}"'
    hub: Sandbox = sandbox_factory(publish_command=command)  # type: ignore[operator]
    root = make_project(tmp_path / "demo", extra={".github/workflows/release.yml": GENERATED_RELEASE})
    host(hub, root)
    git(root, "tag", "-a", "v1.1.0", "-m", "v1.1.0")
    push(root, "v1.1.0")
    [run] = finished(hub)
    by_name = {job.name: job for job in run.jobs}
    assert (by_name["build"].command, by_name["GitHub release"].command) == (None, command)
    assert run.conclusion == "success"
    assert published.read_text().split() == ["v1.1.0", "tag", "rks_job_"]  # the run's own token
    assert run_line(run).endswith("(simulated: build; real: GitHub release)")


def test_a_script_a_dispatch_or_a_hand_written_step_keeps_the_publish_job_simulated(
    sandbox_factory: object, tmp_path: Path
) -> None:
    hub: Sandbox = sandbox_factory(publish_command="false")  # type: ignore[operator]
    root = make_project(tmp_path / "demo", extra={".github/workflows/release.yml": GENERATED_RELEASE})
    host(hub, root)
    hub.script(workflow="release.yml", job="GitHub release", conclusion="failure", times=1)
    git(root, "tag", "-a", "v1.1.0", "-m", "v1.1.0")
    push(root, "v1.1.0")
    [run] = finished(hub)
    assert [(j.name, j.command, j.conclusion) for j in run.jobs] == [
        ("build", None, "success"),
        ("GitHub release", None, "failure"),
    ]
    # A dispatched run (a full release attaching what its other jobs built) is not the tag push's publish.
    answer = api(
        hub,
        "POST",
        "/repos/acme/demo/actions/workflows/release.yml/dispatches",
        json={"ref": "v1.1.0", "return_run_details": True},
    )
    dispatched = hub.state.runs[answer.json()["workflow_run_id"]]
    assert [j.command for j in dispatched.jobs] == [None, None]
    # Only the generated publish step counts: the scene's other release workflow (`releasekit publish
    # "$GITHUB_REF_NAME"`, hand-written) stays simulated.
    other = make_project(tmp_path / "other")
    host(hub, other, "acme/other")
    git(other, "tag", "-a", "v1.1.0", "-m", "v1.1.0")
    push(other, "v1.1.0")
    [run] = hub.wait_for(lambda: [r for r in hub.runs("acme/other") if r.status == "completed"] or None)
    assert [j.command for j in run.jobs] == [None, None]


GENERATED_TWO_PUBLISHES = GENERATED_RELEASE.replace(
    "  github-release:",
    """  python-index:
    name: upload to pypi
    needs: [build]
    runs-on: ubuntu-24.04
    steps:
      - name: Upload to pypi
        run: releasekit publish "$TAG" --index-only --dist python-dist/
  github-release:""",
).replace('releasekit publish "$TAG" --dist dist/', 'releasekit publish "$TAG" --dist dist/ --skip-index')


@pytest.mark.parametrize(("base", "index_job"), [("true", "true --index-only"), ("true --skip-index", None)])
def test_a_rehearsal_runs_each_publish_job_with_its_own_flags(
    sandbox_factory: object, tmp_path: Path, base: str, index_job: str | None
) -> None:
    """The python-index job runs the real command with `--index-only` (against the sandbox's index), the GitHub
    release job with `--skip-index`; without an index (a base command that skips it) the index job is simulated."""
    hub: Sandbox = sandbox_factory(publish_command=base)  # type: ignore[operator]
    root = make_project(tmp_path / "demo", extra={".github/workflows/release.yml": GENERATED_TWO_PUBLISHES})
    host(hub, root)
    git(root, "tag", "-a", "v1.1.0", "-m", "v1.1.0")
    push(root, "v1.1.0")
    [run] = finished(hub)
    commands = {job.name: job.command for job in run.jobs}
    assert commands == {"build": None, "upload to pypi": index_job, "GitHub release": "true --skip-index"}
    assert run.conclusion == "success"


def test_seeding_counts_as_a_push_of_the_default_branch(sandbox_factory: object, tmp_path: Path) -> None:
    hub: Sandbox = sandbox_factory()  # type: ignore[operator]
    root = make_project(tmp_path / "demo")
    hub.create_repo("acme/demo", seed=root, push=True)
    runs = hub.runs("acme/demo")
    assert [(r.name, r.event, r.head_branch, r.head_sha) for r in runs] == [
        ("CI", "push", "main", git_output(root, "rev-parse", "HEAD"))
    ]  # the branch's CI only: tags that came with the seed start nothing
    finished(hub)
    checks = api(hub, "GET", "/repos/acme/demo/commits/main/check-runs").json()
    assert checks["total_count"] == 4 and {c["conclusion"] for c in checks["check_runs"]} == {"success"}
    hub.create_repo("acme/quiet", seed=root)  # the library's default: a seed alone is no push
    assert hub.runs("acme/quiet") == []
