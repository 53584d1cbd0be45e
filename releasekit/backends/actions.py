"""GitHub Actions through the API: workflows, a workflow file at a ref, dispatches, runs and their jobs, cancelling,
re-running failed jobs. Functions over one `GitHub` client; they return the small records of `records.py`."""

from __future__ import annotations

import base64
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from releasekit.backends.github import GitHub, GitHubError, quote_path
from releasekit.backends.records import JobInfo, RunInfo, WorkflowInfo, job_record, run_record, workflow_record


class UnknownWorkflow(GitHubError):
    """The repository on GitHub has no such workflow."""


def workflow(gh: GitHub, name: str) -> WorkflowInfo:
    """A workflow by file name (`release-full.yml`) or id."""
    data = gh.get(f"/actions/workflows/{quote_path(name)}", what=f"reading workflow {name}", missing_ok=True)
    if data is None:
        known = ", ".join(sorted(w.path.rsplit("/", 1)[-1] for w in workflows(gh))) or "none"
        msg = (
            f"{gh.repository} has no workflow {name!r} on GitHub (its workflows: {known}); push "
            f".github/workflows/{name} to the default branch (generate it with `releasekit workflows`)"
        )
        raise UnknownWorkflow(msg)
    return workflow_record(data)


def workflows(gh: GitHub) -> list[WorkflowInfo]:
    data = gh.get_all("/actions/workflows", what="listing workflows", items="workflows")
    return [workflow_record(w) for w in data]


def file_at(gh: GitHub, path: str, ref: str) -> str | None:
    """A file's text at a ref (branch, tag or commit), or None when it is not there."""
    quoted = "/".join(urllib.parse.quote(part, safe="") for part in path.split("/"))
    data = gh.get(f"/contents/{quoted}", {"ref": ref}, what=f"reading {path} at {ref}", missing_ok=True)
    if data is None or not isinstance(data, Mapping) or data.get("type") != "file":
        return None
    if data.get("encoding") != "base64":
        msg = f"{path} at {ref} is too large for the contents API ({data.get('size')} bytes); a workflow never is"
        raise GitHubError(msg)
    return base64.b64decode(data.get("content") or "").decode("utf-8", errors="replace")


# How older GitHub Enterprise Server refuses a body key it does not know. The status is not documented: 422 is what
# the dispatches endpoint gives for a bad request today, and 400 "Invalid request ... is not a permitted key" has been
# seen from older servers. Either is taken as that refusal only when the message names the key.
_UNKNOWN_KEY_STATUS = frozenset({400, 422})


@dataclass(frozen=True)
class DispatchAnswer:
    run_id: int | None  # given when the server returns run details
    html_url: str | None
    details: str  # "returned"; "ignored" (204, older GitHub Enterprise); "rejected" (400/422 for the field, resent)
    requests: int  # POSTs sent (2 only when the field was rejected: a refused request dispatches nothing)


def dispatch(gh: GitHub, workflow_file: str, *, ref: str, inputs: Mapping[str, str]) -> DispatchAnswer:
    """Dispatch once, asking for the run's id. Raises OutcomeUnknown when the answer is lost (the caller looks for
    the run); a refusal is a GitHubError with GitHub's message."""
    path = f"/actions/workflows/{quote_path(workflow_file)}/dispatches"
    what = f"dispatching {workflow_file} on {ref}"
    body: dict[str, Any] = {"ref": ref, "inputs": dict(inputs), "return_run_details": True}
    status, data = gh.send_once("POST", path, body=body, what=what)
    posts, without_details = 1, "ignored"
    if status in _UNKNOWN_KEY_STATUS and "return_run_details" in _text(data):
        # An older GitHub Enterprise Server refuses the field it does not know ('"return_run_details" is not a
        # permitted key'): the request was refused as a whole, nothing was dispatched, so sending it without the
        # field is not a repeat.
        del body["return_run_details"]
        status, data = gh.send_once("POST", path, body=body, what=what)
        posts, without_details = 2, "rejected"
    if status == 200 and isinstance(data, Mapping) and data.get("workflow_run_id"):
        return DispatchAnswer(int(data["workflow_run_id"]), data.get("html_url"), "returned", posts)
    if 200 <= status < 300:
        return DispatchAnswer(None, None, without_details, posts)
    if status == 422:
        raise GitHubError(f"{what}: GitHub refused it (422): {_text(data)}")
    raise gh.refusal(status, data, what)


def runs(
    gh: GitHub,
    workflow_file: str | None = None,
    *,
    event: str | None = None,
    branch: str | None = None,
    head_sha: str | None = None,
    per_page: int = 20,
) -> list[RunInfo]:
    """Recent runs, newest first: of one workflow, or of the whole repository."""
    params: dict[str, Any] = {"per_page": per_page}
    for key, value in (("event", event), ("branch", branch), ("head_sha", head_sha)):
        if value:
            params[key] = value
    if workflow_file is None:
        data = gh.get("/actions/runs", params, what="listing workflow runs")
    else:
        data = gh.get(
            f"/actions/workflows/{quote_path(workflow_file)}/runs",
            params,
            what=f"listing runs of {workflow_file}",
            missing_ok=True,
        )
        if data is None:
            workflow(gh, workflow_file)  # raises UnknownWorkflow with the list of workflows
            return []
    return [run_record(r) for r in data.get("workflow_runs", [])]


def run(gh: GitHub, run_id: int) -> RunInfo:
    data = gh.get(f"/actions/runs/{run_id}", what=f"reading run {run_id}", missing_ok=True)
    if data is None:
        msg = (
            f"{gh.repository} has no workflow run {run_id}; list the recent ones with `releasekit runs` "
            "(the id is the number in the run's URL, .../actions/runs/ID)"
        )
        raise GitHubError(msg)
    return run_record(data)


def jobs(gh: GitHub, run_id: int) -> list[JobInfo]:
    """The jobs of the run's latest attempt (jobs carried over from an earlier attempt included)."""
    data = gh.get_all(f"/actions/runs/{run_id}/jobs", what=f"reading the jobs of run {run_id}", items="jobs")
    return [job_record(j) for j in data]


def cancel(gh: GitHub, run_id: int) -> RunInfo:
    """Ask GitHub to cancel the run; verified by reading it back, never sent twice."""

    def verify() -> RunInfo | None:
        current = run(gh, run_id)
        return current if current.status == "completed" or current.conclusion == "cancelled" else None

    return gh.write(
        "POST",
        f"/actions/runs/{run_id}/cancel",
        what=f"cancelling run {run_id}",
        verify=verify,
        accept=lambda _: run(gh, run_id),
    )


def rerun_failed(gh: GitHub, run: RunInfo) -> None:
    """Re-run the failed jobs (and the jobs that need them) as a new attempt; verified by the attempt number."""

    def verify() -> bool | None:
        return True if _attempt(gh, run.id) > run.run_attempt else None

    gh.write(
        "POST",
        f"/actions/runs/{run.id}/rerun-failed-jobs",
        what=f"re-running the failed jobs of run {run.id}",
        verify=verify,
        accept=lambda _: True,
    )


def _attempt(gh: GitHub, run_id: int) -> int:
    return run(gh, run_id).run_attempt


def job_log_tail(gh: GitHub, job_id: int, lines: int = 12) -> list[str]:
    """The last lines of a job's log, best effort (a diagnostic: any failure gives no lines)."""
    return gh.log_tail(f"/actions/jobs/{job_id}/logs", lines)


def _text(data: Any) -> str:
    if isinstance(data, Mapping):
        return str(data.get("message") or "")
    return str(data or "")
