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

    @property
    def failed(self) -> bool:
        return self.state in ("failure", "error", "cancelled", "timed_out", "action_required", "startup_failure")

    @property
    def pending(self) -> bool:
        return self.state in ("pending", "queued", "in_progress", "waiting", "requested")


@dataclass(frozen=True)
class RunInfo:
    id: int
    name: str
    path: str
    event: str
    status: str
    conclusion: str | None
    head_sha: str
    head_branch: str | None
    html_url: str
    run_attempt: int
    created_at: str


@dataclass(frozen=True)
class JobInfo:
    id: int
    name: str
    status: str
    conclusion: str | None
    html_url: str
    started_at: str | None
    completed_at: str | None


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
