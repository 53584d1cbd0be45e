"""The performance gate, end to end: the sandbox's e2e-tests job records samples as the fluxion example's E2E test
does (the demo runs that test for real), its results are uploaded as the run's `sla-results` artifact, and
`releasekit release` reads them through the API:
refused on a breach (naming the run and the target), allowed on a passing run, and `--skip-sla-check` is said."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable

from release_scene import REPOSITORY, Scene

PYTHON = shlex.quote(sys.executable)


NAMES = ("regex-match", "intent", "slot-filling", "faiss-search", "groq-llm", "voice-e2e")


def e2e_command(llm_ms: int) -> str:
    """The e2e job, quickly: six samples of each layer (the Groq call taking `llm_ms`), written where
    RELEASEKIT_SLA_RESULTS points, as the example's E2E test writes them (the demo runs that test itself); then
    `releasekit sla check`, as the workflow's `sla` job runs it, decides the job. The results are uploaded anyway."""
    write = (
        "import json, os; "
        f"names = {NAMES!r}; "
        f"ms = {{n: ({llm_ms} if n in ('groq-llm', 'voice-e2e') else 0.5) for n in names}}; "
        "open(os.environ['RELEASEKIT_SLA_RESULTS'], 'a').write("
        "''.join(json.dumps({'name': n, 'ms': ms[n]}) + chr(10) for n in names for _ in range(6)))"
    )
    return (
        "export RELEASEKIT_SLA_RESULTS=$PWD/sla-results.jsonl; "
        f"{PYTHON} -c {shlex.quote(write)} && {PYTHON} -m releasekit sla check"
    )


def run_e2e(scene: Scene, llm_ms: int) -> int:
    """Dispatch the E2E workflow on main and wait for its run to finish; the run's id."""
    hub = scene.hub
    hub.script(
        workflow="e2e-tests.yml", job="e2e", command=e2e_command(llm_ms), uploads={"sla-results": "sla-results.jsonl"}
    )
    before = {run.id for run in hub.runs(REPOSITORY)}
    hub.github().get_repo(REPOSITORY).get_workflow("e2e-tests.yml").create_dispatch("main")
    run = hub.wait_for(
        lambda: next((r for r in hub.runs(REPOSITORY) if r.id not in before and r.status == "completed"), None),
        timeout=60,
        what="the E2E run",
    )
    hub.clock.advance(1)  # the next run finishes later
    return int(run.id)


def test_a_breach_refuses_the_release_a_passing_run_allows_it(scenes: Callable[..., Scene]) -> None:
    scene = scenes()
    flags = ("1.4.0", "--dry-run", "--skip-ci-check", "--no-build-isolation")

    none = scene.main("release", *flags)
    assert none.returncode == 1
    assert "FAIL sla           no performance evidence: no completed run of e2e-tests.yml on" in none.stdout

    slow = run_e2e(scene, llm_ms=520)  # a Groq call over its 500 ms budget
    [artifact] = [a for a in scene.hub.state.artifacts if a.run_id == slow]
    assert artifact.name == "sla-results" and artifact.size > 0
    before = scene.state()
    refused = scene.main("release", *flags)
    assert refused.returncode == 1, refused.stdout
    assert "FAIL sla           groq-llm: p95 5" in refused.stdout
    assert f"evidence: run {slow} of " in refused.stdout and "(this commit, failure)" in refused.stdout
    assert "The release would stop: 1 preflight check(s) failed." in refused.stdout
    assert scene.state() == before

    fast = run_e2e(scene, llm_ms=5)
    allowed = scene.main("release", *flags)
    assert allowed.returncode == 0, allowed.stdout
    assert f"ok   sla           6 targets met by run {fast} of " in allowed.stdout

    skipped = scene.main("release", *flags, "--skip-sla-check")
    assert "skip sla           NOT CHECKED (--skip-sla-check)" in skipped.stdout

    # release-full judges the tagged commit: v1.3.2 is older than both runs (they ran on its child), so no evidence.
    full = scene.main("release-full", "1.3.2", "--dry-run")
    assert full.returncode == 1
    assert "performance gate: no performance evidence: no completed run of e2e-tests.yml on" in full.stderr
    assert "Dry run" not in full.stdout
    unchecked = scene.main("release-full", "1.3.2", "--dry-run", "--skip-sla-check")
    assert unchecked.returncode == 0, unchecked.stderr
    assert "NOT CHECKED (--skip-sla-check): no performance evidence required" in unchecked.stdout

    # The E2E workflow's `sla` job charts the trend from the earlier runs' results, fetched through the API.
    fetched = scene.main("sla", "fetch", "history", "--limit", "5", env={"GITHUB_RUN_ID": str(fast)})
    assert fetched.returncode == 0, fetched.stderr
    history = scene.project / "history"
    assert [p.name for p in history.iterdir()] == [str(scene.hub.state.runs[slow].run_number)]  # this run left out
    report = scene.main("sla", "report", "history")
    assert "520 !" in report.stdout  # the breached Groq budget, marked
