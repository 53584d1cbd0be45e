"""Workflow runs as GitHub makes them: from pushes and dispatches, read at the ref, queued, in progress, completed."""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from releasekit.sandbox.http import ApiError
from releasekit.sandbox.rehearsal import publishes
from releasekit.sandbox.runner import CommandRunner, staged_upload, stored_artifact
from releasekit.sandbox.state import Artifact, Job, Repo, Run, Workflow
from releasekit.sandbox.workflow import (
    ExprContext,
    PlannedJob,
    WorkflowFileError,
    WorkflowSpec,
    condition_holds,
    interpolate,
    parse_workflow,
    plan_jobs,
    push_matches,
)

if TYPE_CHECKING:
    from releasekit.sandbox.app import Sandbox

WORKFLOWS_DIR = ".github/workflows"
CONCLUSIONS = ("success", "failure", "cancelled")
_OS_LABELS = {"self-hosted", "linux", "macos", "windows", "x64", "arm64", "arm", "x86"}


@dataclass
class Rule:
    """A scripted outcome for the jobs it matches (every given field must match; None matches anything)."""

    workflow: str | None = None  # glob on the workflow's file name or path: "release.yml", "release-*"
    job: str | None = None  # glob on the job's display name: "build (windows*"
    event: str | None = None  # push | workflow_dispatch
    attempt: int | None = None  # only this run attempt
    conclusion: str | None = None  # success | failure | cancelled
    seconds: float | None = None  # how long the job runs (sandbox time)
    command: str | None = None  # run for real in a checkout of the run's commit; its exit status decides
    step: str | None = None  # the step shown as failed
    artifacts: tuple[str, ...] = ()  # artifact names the job uploads when it succeeds
    # artifact name -> glob of files in the checkout that a job with a `command` uploads after it ends, whatever its
    # outcome (as an `actions/upload-artifact` step with `if: always()`): the artifact's zip holds those files
    uploads: dict[str, str] | None = None
    times: int | None = None  # how many jobs the rule applies to before it is used up

    def matches(self, run: Run, job_name: str) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        file = run.path.rsplit("/", 1)[-1]
        return (
            (
                self.workflow is None
                or fnmatch.fnmatchcase(file, self.workflow)
                or fnmatch.fnmatchcase(run.path, self.workflow)
            )
            and (self.job is None or fnmatch.fnmatchcase(job_name, self.job))
            and (self.event is None or self.event == run.event)
            and (self.attempt is None or self.attempt == run.run_attempt)
        )


def make_rule(raw: dict[str, Any]) -> Rule:
    known = {f.name for f in fields(Rule)}
    unknown = sorted(set(raw) - known)
    if unknown:
        msg = f"unknown script key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        raise ValueError(msg)
    rule = Rule(**{**raw, "artifacts": tuple(raw.get("artifacts") or ())})
    if rule.conclusion is not None and rule.conclusion not in CONCLUSIONS:
        msg = f"script conclusion must be one of {', '.join(CONCLUSIONS)}, not {rule.conclusion!r}"
        raise ValueError(msg)
    if rule.seconds is not None and rule.seconds < 0:
        msg = f"script seconds must be >= 0, not {rule.seconds}"
        raise ValueError(msg)
    return rule


def latest_jobs(run: Run) -> list[Job]:
    """The jobs of the run's latest attempt (jobs that succeeded earlier are carried over, as on GitHub)."""
    latest: dict[str, Job] = {}
    for job in run.jobs:
        if job.key not in latest or job.attempt >= latest[job.key].attempt:
            latest[job.key] = job
    return list(latest.values())


def attempt_jobs(run: Run, attempt: int) -> list[Job]:
    latest: dict[str, Job] = {}
    for job in run.jobs:
        if job.attempt <= attempt and (job.key not in latest or job.attempt >= latest[job.key].attempt):
            latest[job.key] = job
    return list(latest.values())


class Engine:
    def __init__(self, hub: Sandbox) -> None:
        self.hub = hub
        self.rules: list[Rule] = []
        self.runner = CommandRunner(hub)
        # Called (under the state lock) each time a run is created or changes status: the CLI prints them.
        self.listeners: list[Callable[[Run], None]] = []
        self._specs: dict[tuple[str, str, str], WorkflowSpec | WorkflowFileError | None] = {}

    def _changed(self, run: Run) -> None:
        for listener in self.listeners:
            listener(run)

    def stop(self) -> None:
        self.runner.stop()

    def add_rule(self, raw: dict[str, Any]) -> Rule:
        rule = make_rule(raw)
        with self.hub.state.lock:
            self.rules.append(rule)
        return rule

    # -- workflows ----------------------------------------------------------------------------------------------

    def workflow_record(self, repo: Repo, path: str, name: str) -> Workflow:
        record = repo.workflows.get(path)
        now = self.hub.clock.now()
        if record is None:
            record = repo.workflows[path] = Workflow(self.hub.state.new_id(), path, name, now, now)
        elif record.name != name:
            record.name, record.updated_at = name, now
        return record

    def workflow_files(self, repo: Repo, commit: str) -> list[str]:
        git = self.hub.git(repo)
        return [f"{WORKFLOWS_DIR}/{n}" for n in git.list_dir(commit, WORKFLOWS_DIR) if n.endswith((".yml", ".yaml"))]

    def load(self, repo: Repo, commit: str, path: str) -> WorkflowSpec | WorkflowFileError | None:
        """The workflow file at a commit, parsed once: a file at a commit never changes, and every list of the
        workflows reads them all (one git process each)."""
        key = (repo.full_name, commit, path)
        if key not in self._specs:
            self._specs[key] = self._read(repo, commit, path)
        return self._specs[key]

    def _read(self, repo: Repo, commit: str, path: str) -> WorkflowSpec | WorkflowFileError | None:
        text = self.hub.git(repo).read_file(commit, path)
        if text is None:
            return None
        try:
            return parse_workflow(path, text)
        except WorkflowFileError as exc:
            return exc

    def refresh_workflows(self, repo: Repo) -> None:
        """GitHub lists the workflows of the default branch (and keeps those that ran)."""
        head = self.hub.git(repo).resolve_commit(f"refs/heads/{repo.default_branch}")
        if head is None:
            return
        for path in self.workflow_files(repo, head):
            spec = self.load(repo, head, path)
            self.workflow_record(repo, path, spec.name if isinstance(spec, WorkflowSpec) else path)

    # -- events -------------------------------------------------------------------------------------------------

    def on_push(self, repo: Repo, old: str, new: str, ref: str, *, actor: str, by_job: bool) -> list[Run]:
        repo.pushed_at = repo.updated_at = self.hub.clock.now()
        if ref == f"refs/heads/{repo.default_branch}":
            self.refresh_workflows(repo)
        if set(new) == {"0"} or not ref.startswith(("refs/heads/", "refs/tags/")):
            return []  # a deleted branch or tag starts no push workflow
        if by_job:
            return []  # GitHub: events made with a run's GITHUB_TOKEN start no new runs (no recursion)
        git = self.hub.git(repo)
        commit = git.resolve_commit(new)
        if commit is None:
            return []
        changed = None
        if ref.startswith("refs/heads/") and set(old) != {"0"}:
            changed = git.changed_paths(old, commit)
        runs = []
        for path in self.workflow_files(repo, commit):
            spec = self.load(repo, commit, path)
            if isinstance(spec, WorkflowFileError):
                # An unreadable workflow file still shows up as a failed run on GitHub, naming the problem.
                runs.append(self._new_run(repo, None, path, "push", ref, commit, actor, {}, error=str(spec)))
                continue
            if spec is not None and push_matches(spec, ref, changed):
                runs.append(self._new_run(repo, spec, path, "push", ref, commit, actor, {}))
        return runs

    def dispatch(  # noqa: PLR0917 - the event's own fields
        self, repo: Repo, spec: WorkflowSpec, ref: str, commit: str, inputs: dict[str, Any], actor: str
    ) -> Run:
        return self._new_run(repo, spec, spec.path, "workflow_dispatch", ref, commit, actor, inputs)

    def _new_run(  # noqa: PLR0917 - the event's own fields
        self,
        repo: Repo,
        spec: WorkflowSpec | None,
        path: str,
        event: str,
        ref: str,
        commit: str,
        actor: str,
        inputs: dict[str, Any],
        *,
        error: str | None = None,
    ) -> Run:
        state, now = self.hub.state, self.hub.clock.now()
        name = spec.name if spec is not None else path
        workflow = self.workflow_record(repo, path, name)
        number = repo.run_numbers.get(path, 0) + 1
        repo.run_numbers[path] = number
        short = ref.split("/", 2)[2] if ref.count("/") >= 2 else ref
        run_id = state.new_id()
        info = self.hub.commit_info(repo, commit)
        run = Run(
            id=run_id,
            repo=repo.full_name,
            workflow_id=workflow.id,
            path=path,
            name=name,
            display_title="",
            event=event,
            head_branch=short,
            head_sha=commit,
            ref=ref,
            run_number=number,
            actor=actor,
            inputs=inputs,
            created_at=now,
            updated_at=now,
            check_suite_id=state.new_id(),
            attempt_started={"1": now},
            error=error,
        )
        ctx = self.context(repo, run)
        subject = info.message.splitlines()[0] if info.message else ""
        if spec is not None and spec.run_name:
            run.display_title = interpolate(spec.run_name, ctx)
        else:
            run.display_title = subject if event == "push" else name
        state.runs[run.id] = run
        if spec is None:
            run.status, run.conclusion, run.run_started_at = "completed", "failure", now
            self._changed(run)
            return run
        try:
            planned_jobs = plan_jobs(spec, ctx)
        except ValueError as exc:
            # GitHub fails the run when it cannot evaluate a job's strategy or name (here, for instance, a matrix
            # read with fromJSON from the outputs of a job the sandbox only simulates, which has none).
            run.error = f"{path}: {exc}"
            run.status, run.conclusion, run.run_started_at = "completed", "failure", now
            self.hub.touch()
            self._changed(run)
            return run
        for planned in planned_jobs:
            self._add_job(run, planned, now)
        if not run.jobs:
            run.status, run.conclusion, run.run_started_at = "completed", "success", now
        self.hub.touch()
        self._changed(run)
        return run

    def context(self, repo: Repo, run: Run, **extra: Any) -> ExprContext:
        ref_type = "tag" if run.ref.startswith("refs/tags/") else "branch"
        event: dict[str, Any] = (
            {"inputs": {k: _as_text(v) for k, v in run.inputs.items()}}
            if run.event == "workflow_dispatch"
            else {
                "ref": run.ref,
                "after": run.head_sha,
            }
        )
        github = {
            "ref": run.ref,
            "ref_name": run.head_branch,
            "ref_type": ref_type,
            "sha": run.head_sha,
            "actor": run.actor,
            "triggering_actor": run.actor,
            "event_name": run.event,
            "event": event,
            "repository": repo.full_name,
            "repository_owner": repo.owner,
            "run_id": str(run.id),
            "run_number": str(run.run_number),
            "run_attempt": str(run.run_attempt),
            "workflow": run.name,
            "server_url": self.hub.api_url,
            "api_url": self.hub.api_url,
        }
        return ExprContext(github=github, inputs=dict(run.inputs), **extra)

    def _add_job(self, run: Run, source: PlannedJob | Job, now: float) -> None:
        """A job of the run's current attempt, planned from the workflow or re-run from an earlier attempt."""
        job = Job(
            id=self.hub.state.new_id(),
            run_id=run.id,
            attempt=run.run_attempt,
            key=source.key,
            job_id=source.job_id,
            name=source.name,
            labels=list(source.labels),
            steps=list(source.steps),
            needs=list(source.needs),
            condition=source.condition,
            matrix=dict(source.matrix),
            created_at=now,
        )
        self._script(run, job)
        run.jobs.append(job)

    def _script(self, run: Run, job: Job) -> None:
        job.seconds = self.hub.job_seconds
        job.runner_name = _runner_name(job.labels)
        for rule in self.rules:
            if not rule.matches(run, job.name):
                continue
            if rule.times is not None:
                rule.times -= 1
            if rule.conclusion is not None:
                job.outcome, job.scripted = rule.conclusion, True
            if rule.seconds is not None:
                job.seconds = rule.seconds
            if rule.command is not None:
                job.command = rule.command
            if rule.step is not None:
                job.failed_step = rule.step
            if rule.artifacts:
                job.artifacts = list(rule.artifacts)
            if rule.uploads:
                job.uploads = dict(rule.uploads)
        if job.command is None and not job.scripted:
            job.command = publishes(self, run, job)

    # -- progress -----------------------------------------------------------------------------------------------

    def advance(self, now: float) -> bool:
        changed = False
        for run in list(self.hub.state.runs.values()):
            if run.status != "completed":
                changed |= self._advance_run(run, now)
        return changed

    def _advance_run(self, run: Run, now: float) -> bool:
        changed = False
        if run.status == "queued":
            begin = run.attempt_started.get(str(run.run_attempt), run.created_at) + self.hub.queue_seconds
            if now < begin:
                return False
            run.status, run.run_started_at, run.updated_at = "in_progress", begin, begin
            self._changed(run)
            changed = True
        repo = self.hub.state.repo(*run.repo.split("/", 1))
        if repo is None:  # repositories are never removed; a run always has its own
            return changed
        jobs = latest_jobs(run)
        progress = True
        while progress:
            progress = False
            by_id: dict[str, list[Job]] = {}
            for job in jobs:
                by_id.setdefault(job.job_id, []).append(job)
            for job in jobs:
                if job.status == "queued":
                    progress |= self._maybe_start(run, job, by_id, now, repo)
                if job.status == "in_progress" and job.command is None:
                    end = (job.started_at or now) + job.seconds
                    if now >= end:
                        self._complete(run, job, job.outcome, end)
                        progress = True
            changed |= progress
        if jobs and all(j.status == "completed" for j in jobs):
            self._finish_run(run, jobs)
            changed = True
        return changed

    def _maybe_start(self, run: Run, job: Job, by_id: dict[str, list[Job]], now: float, repo: Repo) -> bool:
        needed = [j for need in job.needs for j in by_id.get(need, [])]
        if any(j.status != "completed" for j in needed):
            return False
        ready = max([run.run_started_at or now, *(j.completed_at or now for j in needed)])
        results = {need: _result(by_id.get(need, [])) for need in job.needs}
        failed = any(r in ("failure", "cancelled") for r in results.values())
        ctx = self.context(repo, run, matrix=job.matrix, needs=results, job_status="failure" if failed else "success")
        if not condition_holds(job.condition, ctx):
            job.status, job.conclusion, job.started_at, job.completed_at = "completed", "skipped", ready, ready
            return True
        job.status, job.started_at = "in_progress", ready
        run.updated_at = max(run.updated_at, ready)
        if job.command is not None:
            job.started_at = now
            self.runner.launch(repo, run, job)
        return True

    def _complete(self, run: Run, job: Job, conclusion: str, when: float) -> None:
        job.status, job.conclusion, job.completed_at = "completed", conclusion, when
        run.updated_at = max(run.updated_at, when)
        if conclusion == "success":
            for name in job.artifacts:
                self.hub.state.artifacts.append(Artifact(self.hub.state.new_id(), run.id, name, 0, None, when))
        for name in job.uploads:
            staged = staged_upload(self.hub.directory, job.id, name)
            if staged.exists():
                artifact = Artifact(self.hub.state.new_id(), run.id, name, staged.stat().st_size, None, when)
                artifact.digest = "sha256:" + hashlib.sha256(staged.read_bytes()).hexdigest()
                staged.replace(stored_artifact(self.hub.directory, artifact.id))
                self.hub.state.artifacts.append(artifact)

    def command_finished(self, run_id: int, job_id: int, exit_code: int) -> None:
        """Called by the runner when a real command exits: its status decides the job's conclusion."""
        with self.hub.state.lock:
            found = self.hub.state.job(job_id)
            if found is None or found[1].status == "completed":
                return
            run, job = found
            job.exit_code = exit_code
            self._complete(run, job, "success" if exit_code == 0 else "failure", self.hub.clock.now())
            self.hub.touch()

    def _finish_run(self, run: Run, jobs: list[Job]) -> None:
        conclusions = {j.conclusion for j in jobs}
        run.status = "completed"
        run.conclusion = (
            "failure" if "failure" in conclusions else "cancelled" if "cancelled" in conclusions else "success"
        )
        run.updated_at = max([run.updated_at, *(j.completed_at or 0.0 for j in jobs)])
        self.hub.revoke_job_tokens(run.id)
        self._changed(run)

    def cancel(self, run: Run) -> None:
        if run.status == "completed":
            raise ApiError(
                409,
                "Cannot cancel a workflow run that is completed.",
                docs="https://docs.github.com/rest/actions/workflow-runs#cancel-a-workflow-run",
            )
        now = self.hub.clock.now()
        for job in latest_jobs(run):
            if job.status != "completed":
                self.runner.kill(job.id)
                job.status, job.conclusion, job.completed_at = "completed", "cancelled", now
                job.started_at = job.started_at or now
        run.status, run.conclusion, run.updated_at = "completed", "cancelled", now
        self.hub.revoke_job_tokens(run.id)
        self.hub.touch()
        self._changed(run)

    def rerun_failed(self, run: Run) -> None:
        docs = "https://docs.github.com/rest/actions/workflow-runs#re-run-failed-jobs-from-a-workflow-run"
        if run.status != "completed":
            raise ApiError(403, "This workflow is already running", docs=docs)
        jobs = latest_jobs(run)
        # The failed jobs (matrix legs one by one), then every job that needs one of them, transitively.
        again = {j.key for j in jobs if j.conclusion in ("failure", "cancelled")}
        if not again:
            raise ApiError(403, "This workflow run has no failed jobs to re-run", docs=docs)
        grew = True
        while grew:
            ids = {j.job_id for j in jobs if j.key in again}
            grown = again | {j.key for j in jobs if set(j.needs) & ids}
            grew, again = grown != again, grown
        now = self.hub.clock.now()
        run.run_attempt += 1
        run.attempt_started[str(run.run_attempt)] = now
        run.status, run.conclusion, run.updated_at, run.run_started_at = "queued", None, now, None
        for old in jobs:
            if old.key in again:
                self._add_job(run, old, now)
        self.hub.touch()
        self._changed(run)


def _result(jobs: list[Job]) -> str:
    conclusions = {j.conclusion for j in jobs}
    for result in ("failure", "cancelled"):
        if result in conclusions:
            return result
    return "skipped" if conclusions == {"skipped"} else "success"


def _runner_name(labels: list[str]) -> str:
    if "self-hosted" in labels:
        named = [label for label in labels if label.lower() not in _OS_LABELS]
        return named[-1] if named else "self-hosted"
    return "GitHub Actions 1"


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
