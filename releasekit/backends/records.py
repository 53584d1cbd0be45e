"""The small frozen records the GitHub client returns, built from GitHub's JSON (PyGithub's objects stay inside)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RepoInfo:
    full_name: str
    default_branch: str
    html_url: str
    can_push: bool
    admin: bool


@dataclass(frozen=True)
class Check:
    """A check run or a commit status, reduced to what a release needs to know."""

    name: str
    state: str  # success | failure | pending | neutral | skipped | cancelled | ...
    url: str
    simulated: bool = False  # a sandbox's check run of a job it only simulated (no command ran)

    @property
    def failed(self) -> bool:
        return self.state in ("failure", "error", "cancelled", "timed_out", "action_required", "startup_failure")

    @property
    def pending(self) -> bool:
        return self.state in ("pending", "queued", "in_progress", "waiting", "requested")


@dataclass(frozen=True)
class RunInfo:
    id: int
    name: str  # the run's title (display_title: run-name), else the workflow's name
    path: str
    event: str
    status: str
    conclusion: str | None
    head_sha: str
    head_branch: str | None
    html_url: str
    run_attempt: int
    created_at: str
    updated_at: str = ""
    workflow_name: str = ""
    run_number: int = 0
    started_at: str = ""  # when the latest attempt started (run_started_at)


# The conclusions of a job (or step) that did not succeed and that re-running the failed jobs runs again.
FAILED_CONCLUSIONS = frozenset({"failure", "cancelled", "timed_out", "startup_failure"})
# The step `releasekit sandbox` lists in a job it only simulates (no command ran: its result is the sandbox's, by
# default success). A step name is free text on GitHub, so the marker fits GitHub's contract; the run view reads it.
SIMULATED_STEP = "Simulated by the sandbox (no command ran)"
# The sandbox's check run of a simulated job says so in its `output.title` (free text in GitHub's description).
SIMULATED_CHECK = "Simulated by the sandbox"


@dataclass(frozen=True)
class StepInfo:
    number: int
    name: str
    status: str
    conclusion: str | None


@dataclass(frozen=True)
class JobInfo:
    id: int
    name: str
    status: str
    conclusion: str | None
    html_url: str
    started_at: str | None
    completed_at: str | None
    labels: tuple[str, ...] = ()
    runner_name: str | None = None
    run_attempt: int = 1
    steps: tuple[StepInfo, ...] = ()

    @property
    def failed(self) -> bool:
        return self.conclusion in FAILED_CONCLUSIONS

    @property
    def failed_steps(self) -> list[StepInfo]:
        """The steps that failed (a cancelled job's steps are only cancelled: they are not listed)."""
        return [s for s in self.steps if s.conclusion in ("failure", "timed_out")]

    @property
    def simulated(self) -> bool:
        """A job the sandbox only simulated: its result says nothing of the workflow's real steps."""
        return any(s.name == SIMULATED_STEP for s in self.steps)

    def step_url(self, step: StepInfo) -> str:
        """The step's place in the job's log page, as GitHub links it."""
        return f"{self.html_url}#step:{step.number}:1"


@dataclass(frozen=True)
class WorkflowInfo:
    id: int
    name: str
    path: str  # .github/workflows/release-full.yml
    state: str  # active, disabled_manually, disabled_inactivity, ...
    html_url: str


@dataclass(frozen=True)
class AssetInfo:
    id: int
    name: str
    size: int
    digest: str | None  # "sha256:<hex>" (GitHub computes it on upload)
    state: str
    download_url: str


@dataclass(frozen=True)
class ReleaseInfo:
    id: int
    tag_name: str
    name: str
    draft: bool
    prerelease: bool
    html_url: str
    upload_url: str
    body: str
    assets: tuple[AssetInfo, ...]


def run_record(r: Mapping[str, Any]) -> RunInfo:
    return RunInfo(
        id=r["id"],
        name=r.get("display_title") or r.get("name") or "",
        path=r.get("path") or "",
        event=r.get("event") or "",
        status=r.get("status") or "",
        conclusion=r.get("conclusion"),
        head_sha=r.get("head_sha") or "",
        head_branch=r.get("head_branch"),
        html_url=r.get("html_url") or "",
        run_attempt=r.get("run_attempt") or 1,
        created_at=r.get("created_at") or "",
        updated_at=r.get("updated_at") or "",
        workflow_name=r.get("name") or "",
        run_number=r.get("run_number") or 0,
        started_at=r.get("run_started_at") or r.get("created_at") or "",
    )


def job_record(j: Mapping[str, Any]) -> JobInfo:
    return JobInfo(
        id=j["id"],
        name=j.get("name") or "",
        status=j.get("status") or "",
        conclusion=j.get("conclusion"),
        html_url=j.get("html_url") or "",
        started_at=j.get("started_at"),
        completed_at=j.get("completed_at"),
        labels=tuple(j.get("labels") or ()),
        runner_name=j.get("runner_name"),
        run_attempt=j.get("run_attempt") or 1,
        steps=tuple(
            StepInfo(s.get("number") or i, s.get("name") or "", s.get("status") or "", s.get("conclusion"))
            for i, s in enumerate(j.get("steps") or [], start=1)
        ),
    )


def workflow_record(w: Mapping[str, Any]) -> WorkflowInfo:
    return WorkflowInfo(
        id=w["id"],
        name=w.get("name") or "",
        path=w.get("path") or "",
        state=w.get("state") or "active",
        html_url=w.get("html_url") or "",
    )


def asset_record(a: Mapping[str, Any]) -> AssetInfo:
    return AssetInfo(
        id=a["id"],
        name=a["name"],
        size=a.get("size") or 0,
        digest=a.get("digest"),
        state=a.get("state") or "uploaded",
        download_url=a.get("browser_download_url") or "",
    )


def release_record(r: Mapping[str, Any]) -> ReleaseInfo:
    return ReleaseInfo(
        id=r["id"],
        tag_name=r["tag_name"],
        name=r.get("name") or "",
        draft=bool(r.get("draft")),
        prerelease=bool(r.get("prerelease")),
        html_url=r.get("html_url") or "",
        upload_url=r.get("upload_url") or "",
        body=r.get("body") or "",
        assets=tuple(asset_record(a) for a in r.get("assets") or []),
    )
