"""What the sandbox remembers besides git: repositories, releases, assets, runs, jobs, statuses; saved as JSON."""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

# GitHub's ids passed 2**32 years ago (run ids are ~10**10): start there so 32-bit assumptions fail here too.
FIRST_ID = 10_000_000_001


@dataclass
class Asset:
    id: int
    release_id: int
    name: str
    label: str | None
    content_type: str
    size: int
    digest: str
    created_at: float
    updated_at: float
    uploader: str
    download_count: int = 0


@dataclass
class Release:
    id: int
    repo: str
    tag_name: str
    target_commitish: str
    name: str | None
    body: str | None
    draft: bool
    prerelease: bool
    created_at: float
    published_at: float | None
    updated_at: float
    author: str
    assets: list[Asset] = field(default_factory=list)
    untagged: str = ""  # the `untagged-<hex>` name GitHub shows a draft under


@dataclass
class Status:
    id: int
    repo: str
    sha: str
    state: str
    context: str
    description: str | None
    target_url: str | None
    created_at: float
    updated_at: float
    creator: str


@dataclass
class Workflow:
    id: int
    path: str
    name: str
    created_at: float
    updated_at: float


@dataclass
class Job:
    id: int
    run_id: int
    attempt: int
    key: str
    job_id: str
    name: str
    labels: list[str]
    steps: list[str]
    needs: list[str]
    condition: str | None
    matrix: dict[str, Any]
    created_at: float
    status: str = "queued"
    conclusion: str | None = None
    started_at: float | None = None
    completed_at: float | None = None
    seconds: float = 0.0  # planned duration once started (scripted jobs)
    outcome: str = "success"  # scripted conclusion
    failed_step: str | None = None
    command: str | None = None  # executed for real when set; else the job is only simulated
    scripted: bool = False  # a script rule set its outcome
    exit_code: int | None = None
    runner_name: str | None = None
    artifacts: list[str] = field(default_factory=list)
    uploads: dict[str, str] = field(default_factory=dict)  # artifact name -> glob, uploaded when a command ends


@dataclass
class Run:
    id: int
    repo: str
    workflow_id: int
    path: str
    name: str
    display_title: str
    event: str
    head_branch: str | None
    head_sha: str
    ref: str
    run_number: int
    actor: str
    inputs: dict[str, Any]
    created_at: float
    updated_at: float
    check_suite_id: int
    status: str = "queued"
    conclusion: str | None = None
    run_attempt: int = 1
    run_started_at: float | None = None
    jobs: list[Job] = field(default_factory=list)
    attempt_started: dict[str, float] = field(default_factory=dict)
    error: str | None = None  # "Invalid workflow file" runs carry GitHub's message


@dataclass
class Artifact:
    id: int
    run_id: int
    name: str
    size: int
    digest: str | None
    created_at: float


@dataclass
class Repo:
    id: int
    owner: str
    name: str
    default_branch: str
    description: str | None
    created_at: float
    updated_at: float
    pushed_at: float | None
    push_log_offset: int = 0
    workflows: dict[str, Workflow] = field(default_factory=dict)  # path -> workflow
    run_numbers: dict[str, int] = field(default_factory=dict)  # workflow path -> last run_number

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass
class State:
    next_id: int = FIRST_ID
    repos: dict[str, Repo] = field(default_factory=dict)  # "owner/name" (lower case) -> repo
    releases: dict[int, Release] = field(default_factory=dict)
    runs: dict[int, Run] = field(default_factory=dict)
    statuses: list[Status] = field(default_factory=list)
    artifacts: list[Artifact] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    def new_id(self) -> int:
        with self.lock:
            self.next_id += 1
            return self.next_id

    def repo(self, owner: str, name: str) -> Repo | None:
        return self.repos.get(f"{owner}/{name}".lower())

    def asset(self, asset_id: int) -> tuple[Release, Asset] | None:
        for release in self.releases.values():
            for asset in release.assets:
                if asset.id == asset_id:
                    return release, asset
        return None

    def job(self, job_id: int) -> tuple[Run, Job] | None:
        for run in self.runs.values():
            for job in run.jobs:
                if job.id == job_id:
                    return run, job
        return None

    # -- persistence ----------------------------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        with self.lock:
            data = {
                "next_id": self.next_id,
                "repos": [asdict(r) for r in self.repos.values()],
                "releases": [asdict(r) for r in self.releases.values()],
                "runs": [asdict(r) for r in self.runs.values()],
                "statuses": [asdict(s) for s in self.statuses],
                "artifacts": [asdict(a) for a in self.artifacts],
            }
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> State:
        data = json.loads(path.read_text(encoding="utf-8"))
        state = cls(next_id=int(data["next_id"]))
        for raw in data["repos"]:
            repo = _build(Repo, raw)
            repo.workflows = {p: _build(Workflow, w) for p, w in raw["workflows"].items()}
            state.repos[repo.full_name.lower()] = repo
        for raw in data["releases"]:
            release = _build(Release, raw)
            release.assets = [_build(Asset, a) for a in raw["assets"]]
            state.releases[release.id] = release
        for raw in data["runs"]:
            run = _build(Run, raw)
            run.jobs = [_build(Job, j) for j in raw["jobs"]]
            state.runs[run.id] = run
        state.statuses = [_build(Status, s) for s in data["statuses"]]
        state.artifacts = [_build(Artifact, a) for a in data["artifacts"]]
        return state


T = TypeVar("T")


def _build(kind: type[T], raw: dict[str, Any]) -> T:
    names = {f.name for f in fields(kind)}  # type: ignore[arg-type]
    return kind(**{k: v for k, v in raw.items() if k in names})
