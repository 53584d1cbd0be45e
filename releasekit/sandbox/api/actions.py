"""GitHub Actions: workflows, dispatches, runs (filters, jobs, cancel, re-run failed jobs), artifacts, job logs."""

from __future__ import annotations

import hashlib
import hmac
import io
import zipfile
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from releasekit.sandbox.api import checks
from releasekit.sandbox.api.checks import parse_id, shown
from releasekit.sandbox.clock import parse_iso
from releasekit.sandbox.engine import attempt_jobs, latest_jobs
from releasekit.sandbox.http import ApiError, Request, Response, constant_time_equal, not_found, paginate
from releasekit.sandbox.runner import stored_artifact
from releasekit.sandbox.workflow import WorkflowFileError, dispatch_errors, resolved_inputs

if TYPE_CHECKING:
    from pathlib import Path

    from releasekit.sandbox.app import Sandbox
    from releasekit.sandbox.state import Artifact, Repo, Run, Workflow

DOCS_WF = "https://docs.github.com/rest/actions/workflows"
DOCS_RUNS = "https://docs.github.com/rest/actions/workflow-runs"
DOCS_JOBS = "https://docs.github.com/rest/actions/workflow-jobs"
DOCS_ARTIFACTS = "https://docs.github.com/rest/actions/artifacts"
ZIP_ROUTE = "/_sandbox/artifact-zips"  # public, as the sandbox's Sandbox.public_route says; signed per artifact
DISPATCH_KEYS = {"ref", "inputs", "return_run_details"}
CONCLUSION_FILTERS = {"action_required", "cancelled", "failure", "neutral", "skipped", "stale", "success", "timed_out"}


def created_filter(expression: str) -> tuple[float, float]:
    """GitHub's search date syntax for `created`: `2026-11-24`, `>=T`, `<T`, `A..B` -> [start, end) in seconds."""
    text = expression.strip()

    def bound(value: str, *, upper: bool) -> float:
        if len(value) == 10:  # a date stands for the whole day
            day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=timezone.utc)
            return (day + timedelta(days=1)).timestamp() if upper else day.timestamp()
        return parse_iso(value) + (1 if upper else 0)

    low, high = float("-inf"), float("inf")
    try:
        if ".." in text:
            a, b = text.split("..", 1)
            low = bound(a, upper=False) if a not in ("", "*") else low
            high = bound(b, upper=True) if b not in ("", "*") else high
        elif text.startswith(">="):
            low = bound(text[2:], upper=False)
        elif text.startswith(">"):
            low = bound(text[1:], upper=True)
        elif text.startswith("<="):
            high = bound(text[2:], upper=True)
        elif text.startswith("<"):
            high = bound(text[1:], upper=False)
        else:
            low, high = bound(text, upper=False), bound(text, upper=True)
    except (ValueError, OverflowError):  # not a date, or a day after 9999-12-31
        raise ApiError(422, f"Invalid value for parameter 'created': {shown(expression)}", docs=DOCS_RUNS) from None
    return low, high


def register(hub: Sandbox) -> None:  # noqa: PLR0915 - one closure per endpoint, registered together
    route = hub.router.add
    shapes = hub.shapes

    def find_workflow(repo: Repo, ident: str) -> Workflow:
        hub.engine.refresh_workflows(repo)
        for workflow in repo.workflows.values():
            if str(workflow.id) == ident or workflow.path.rsplit("/", 1)[-1] == ident:
                return workflow
        raise not_found(f"{DOCS_WF}#get-a-workflow")

    def find_run(repo: Repo, raw_id: str) -> Run:
        number = parse_id(raw_id)
        run = hub.state.runs.get(number) if number is not None else None
        if run is None or run.repo != repo.full_name:
            raise not_found(f"{DOCS_RUNS}#get-a-workflow-run")
        return run

    def run_body(repo: Repo, run: Run) -> dict[str, Any]:
        actor = shapes.user(run.actor)
        return shapes.run(repo, run, actor, shapes.head_commit(hub.commit_info(repo, run.head_sha)))

    def list_workflows(request: Request, params: dict[str, str]) -> Response:
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            hub.engine.refresh_workflows(repo)
            items = sorted(repo.workflows.values(), key=lambda w: w.id)
            page, headers = paginate(request, items, hub.api_url)
            return Response(
                200, {"total_count": len(items), "workflows": [shapes.workflow(repo, w) for w in page]}, headers
            )

    def get_workflow(request: Request, params: dict[str, str]) -> Response:
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            return Response(200, shapes.workflow(repo, find_workflow(repo, params["workflow"])))

    def dispatch(request: Request, params: dict[str, str]) -> Response:
        body = checks.json_body(request)
        docs = f"{DOCS_WF}#create-a-workflow-dispatch-event"
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            workflow = find_workflow(repo, params["workflow"])
            rejects = hub.dispatch_run_details.startswith("reject")
            allowed = DISPATCH_KEYS - {"return_run_details"} if rejects else DISPATCH_KEYS
            for key in sorted(set(body) - allowed):
                # Older GitHub Enterprise Server rejects the field it does not know, in these words; with 422, or
                # with 400 on some versions.
                status = 400 if hub.dispatch_run_details == "reject-400" else 422
                raise ApiError(status, f'Invalid request.\n\n"{key}" is not a permitted key.', docs=docs)
            ref = body.get("ref")
            if not isinstance(ref, str) or not ref:
                raise ApiError(422, 'Invalid request.\n\n"ref" wasn\'t supplied.', docs=docs)
            details = checks.field(body, "return_run_details", "boolean", docs)
            inputs = body.get("inputs") or {}
            if not isinstance(inputs, dict):
                raise ApiError(422, "Invalid request.\n\nFor 'properties/inputs', it is not an object.", docs=docs)
            full_ref, commit = resolve_ref(repo, ref)
            if commit is None:
                raise ApiError(422, f"No ref found for: {ref}", docs=docs)
            spec = hub.engine.load(repo, commit, workflow.path)
            if spec is None:
                raise ApiError(422, f"Workflow does not exist at ref {ref}", docs=docs)
            if isinstance(spec, WorkflowFileError):
                raise ApiError(422, str(spec), docs=docs)
            problems = dispatch_errors(spec, inputs)
            if problems:
                raise ApiError(422, problems[0], docs=docs)
            run = hub.engine.dispatch(repo, spec, full_ref, commit, resolved_inputs(spec, inputs), request.login)
            if details and hub.dispatch_run_details == "yes":
                answer = run_body(repo, run)
                return Response(
                    200, {"workflow_run_id": run.id, "run_url": answer["url"], "html_url": answer["html_url"]}
                )
            return Response(204)

    def resolve_ref(repo: Repo, ref: str) -> tuple[str, str | None]:
        git = hub.git(repo)
        refs = git.refs()
        for full in (ref, f"refs/heads/{ref}", f"refs/tags/{ref}"):
            if full.startswith("refs/") and full in refs:
                return full, git.resolve_commit(full)
        return ref, None

    def list_runs(request: Request, params: dict[str, str]) -> Response:
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            workflow = find_workflow(repo, params["workflow"]) if "workflow" in params else None
            runs = [
                r
                for r in hub.state.runs.values()
                if r.repo == repo.full_name and (workflow is None or r.workflow_id == workflow.id)
            ]
            runs = filter_runs(request, runs)
            runs.sort(key=lambda r: (r.created_at, r.id), reverse=True)
            page, headers = paginate(request, runs, hub.api_url)
            return Response(
                200, {"total_count": len(runs), "workflow_runs": [run_body(repo, r) for r in page]}, headers
            )

    def filter_runs(request: Request, runs: list[Run]) -> list[Run]:
        actor, branch, event = request.param("actor"), request.param("branch"), request.param("event")
        status, head_sha, suite = request.param("status"), request.param("head_sha"), request.param("check_suite_id")
        created = request.param("created")
        low, high = created_filter(created) if created else (float("-inf"), float("inf"))
        out = []
        for run in runs:
            if actor and run.actor != actor:
                continue
            if branch and run.head_branch != branch:
                continue
            if event and run.event != event:
                continue
            if status and (run.conclusion != status if status in CONCLUSION_FILTERS else run.status != status):
                continue
            if head_sha and run.head_sha != head_sha:
                continue
            if suite and str(run.check_suite_id) != suite:
                continue
            if not low <= int(run.created_at) < high:
                continue
            out.append(run)
        return out

    def get_run(request: Request, params: dict[str, str]) -> Response:
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            return Response(200, run_body(repo, find_run(repo, params["run"])))

    def list_jobs(request: Request, params: dict[str, str]) -> Response:
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            run = find_run(repo, params["run"])
            if "attempt" in params:
                number = parse_id(params["attempt"]) or 0
                if not 1 <= number <= run.run_attempt:
                    raise not_found(f"{DOCS_JOBS}#list-jobs-for-a-workflow-run-attempt")
                jobs = attempt_jobs(run, number)
            elif request.param("filter", "latest") == "all":
                jobs = list(run.jobs)
            else:
                jobs = latest_jobs(run)
            jobs.sort(key=lambda j: j.id)
            page, headers = paginate(request, jobs, hub.api_url)
            return Response(200, {"total_count": len(jobs), "jobs": [shapes.job(repo, run, j) for j in page]}, headers)

    def get_job(request: Request, params: dict[str, str]) -> Response:
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            job_id = parse_id(params["job"])
            found = hub.state.job(job_id) if job_id is not None else None
            if found is None or found[0].repo != repo.full_name:
                raise not_found(f"{DOCS_JOBS}#get-a-job-for-a-workflow-run")
            return Response(200, shapes.job(repo, *found))

    def job_logs(request: Request, params: dict[str, str]) -> Response:
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            job_id = parse_id(params["job"])
            found = hub.state.job(job_id) if job_id is not None else None
            if found is None or found[0].repo != repo.full_name:
                raise not_found(f"{DOCS_JOBS}#download-job-logs-for-a-workflow-run")
            # GitHub redirects to a short-lived download URL; the sandbox serves the log itself.
            return Response(302, b"", {"Location": f"{hub.api_url}/_sandbox/job-logs/{params['job']}"})

    def cancel(request: Request, params: dict[str, str]) -> Response:
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            hub.engine.cancel(find_run(repo, params["run"]))
            return Response(202, {})

    def rerun_failed(request: Request, params: dict[str, str]) -> Response:
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            hub.engine.rerun_failed(find_run(repo, params["run"]))
            return Response(201, {})

    def artifacts(request: Request, params: dict[str, str]) -> Response:
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            run = find_run(repo, params["run"])
            items = [a for a in hub.state.artifacts if a.run_id == run.id]
            name = request.param("name")
            items = [a for a in items if not name or a.name == name]
            page, headers = paginate(request, items, hub.api_url)
            return Response(
                200, {"total_count": len(items), "artifacts": [shapes.artifact(repo, run, a) for a in page]}, headers
            )

    # -- repository artifacts -----------------------------------------------------------------------------------

    def find_artifact(repo: Repo, raw_id: str) -> tuple[Artifact, Run]:
        number = parse_id(raw_id)
        for artifact in hub.state.artifacts:
            if artifact.id == number:
                run = hub.state.runs.get(artifact.run_id)
                if run is not None and run.repo == repo.full_name:
                    return artifact, run
        raise not_found(f"{DOCS_ARTIFACTS}#get-an-artifact")

    def repo_artifacts(request: Request, params: dict[str, str]) -> Response:
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            name = request.param("name")
            found = [
                (artifact, run)
                for artifact in hub.state.artifacts
                if (run := hub.state.runs.get(artifact.run_id)) is not None
                and run.repo == repo.full_name
                and (not name or artifact.name == name)
            ]
            found.sort(key=lambda pair: (pair[0].created_at, pair[0].id), reverse=True)  # newest first
            page, headers = paginate(request, found, hub.api_url)
            body = {"total_count": len(found), "artifacts": [shapes.artifact(repo, r, a) for a, r in page]}
            return Response(200, body, headers)

    def get_artifact(request: Request, params: dict[str, str]) -> Response:
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            artifact, run = find_artifact(repo, params["artifact"])
            return Response(200, shapes.artifact(repo, run, artifact))

    def delete_artifact(request: Request, params: dict[str, str]) -> Response:
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            artifact, _ = find_artifact(repo, params["artifact"])
            hub.state.artifacts.remove(artifact)
            artifact_zip(hub, artifact.id).unlink(missing_ok=True)
            hub.touch()
            return Response(204)

    def download_artifact(request: Request, params: dict[str, str]) -> Response:
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            artifact, _ = find_artifact(repo, params["artifact"])
            if params["format"] != "zip":  # the only archive format GitHub serves
                raise not_found(f"{DOCS_ARTIFACTS}#download-an-artifact")
            # GitHub redirects to a short-lived signed URL that needs no token; the sandbox signs with its own.
            location = f"{hub.api_url}{ZIP_ROUTE}/{artifact.id}?sig={artifact_signature(hub, artifact.id)}"
            return Response(302, b"", {"Location": location})

    def serve_zip(request: Request, params: dict[str, str]) -> Response:
        number = parse_id(params["artifact"])
        signature = request.param("sig") or ""
        if number is None or not constant_time_equal(signature, artifact_signature(hub, number)):
            raise not_found()
        with hub.state.lock:
            if not any(a.id == number for a in hub.state.artifacts):
                raise not_found()
        stored = artifact_zip(hub, number)
        if stored.is_file():
            return Response(200, stream=stored, content_type="application/zip")
        return Response(200, EMPTY_ZIP, content_type="application/zip")

    base = "/repos/{owner}/{repo}/actions"
    route("GET", f"{base}/workflows", list_workflows)
    route("GET", f"{base}/workflows/{{workflow}}", get_workflow)
    route("POST", f"{base}/workflows/{{workflow}}/dispatches", dispatch)
    route("GET", f"{base}/workflows/{{workflow}}/runs", list_runs)
    route("GET", f"{base}/runs", list_runs)
    route("GET", f"{base}/runs/{{run}}", get_run)
    route("GET", f"{base}/runs/{{run}}/jobs", list_jobs)
    route("GET", f"{base}/runs/{{run}}/attempts/{{attempt}}/jobs", list_jobs)
    route("POST", f"{base}/runs/{{run}}/cancel", cancel)
    route("POST", f"{base}/runs/{{run}}/rerun-failed-jobs", rerun_failed)
    route("GET", f"{base}/runs/{{run}}/artifacts", artifacts)
    route("GET", f"{base}/jobs/{{job}}", get_job)
    route("GET", f"{base}/jobs/{{job}}/logs", job_logs)
    route("GET", f"{base}/artifacts", repo_artifacts)
    route("GET", f"{base}/artifacts/{{artifact}}", get_artifact)
    route("DELETE", f"{base}/artifacts/{{artifact}}", delete_artifact)
    route("GET", f"{base}/artifacts/{{artifact}}/{{format}}", download_artifact)
    route("GET", f"{ZIP_ROUTE}/{{artifact}}", serve_zip)


def artifact_zip(hub: Sandbox, artifact_id: int) -> Path:
    """Where an artifact's zip is kept (none: the download is an empty zip)."""
    return stored_artifact(hub.directory, artifact_id)


def artifact_signature(hub: Sandbox, artifact_id: int) -> str:
    """The download URL's signature: only who was given the URL by the API can fetch the zip without a token."""
    return hmac.new(hub.token.encode(), f"artifact:{artifact_id}".encode(), hashlib.sha256).hexdigest()[:32]


def _empty_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w"):
        pass
    return buffer.getvalue()


EMPTY_ZIP = _empty_zip()
