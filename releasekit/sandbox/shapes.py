"""GitHub's JSON shapes, built from the sandbox's state: field names, order and types as api.github.com sends them."""

from __future__ import annotations

import base64
import zlib
from typing import Any
from urllib.parse import quote

from releasekit.backends.records import SIMULATED_CHECK, SIMULATED_STEP
from releasekit.sandbox.clock import iso, iso_ms
from releasekit.sandbox.gitstore import CommitInfo, FileChange, TagInfo
from releasekit.sandbox.state import Artifact, Asset, Job, Release, Repo, Run, Status, Workflow

JSON = dict[str, Any]
BOT = "github-actions[bot]"
MAX_COMMIT_FILES = 300


def node_id(kind: str, ident: int | str) -> str:
    return kind + "_" + base64.b64encode(f"{kind}{ident}".encode()).decode().rstrip("=")


def user_id(login: str) -> int:
    # Stable per login, in GitHub's range for user ids.
    return 10_000_000 + zlib.crc32(login.encode()) % 90_000_000


class Shapes:
    """Builds response bodies with the URLs of one sandbox (`api` for the REST API, `web` for html_url)."""

    def __init__(self, api: str, web: str, uploads: str) -> None:
        self.api = api.rstrip("/")
        self.web = web.rstrip("/")
        self.uploads = uploads.rstrip("/")

    def user(self, login: str) -> JSON:
        api, uid = f"{self.api}/users/{login}", user_id(login)
        return {
            "login": login,
            "id": uid,
            "node_id": node_id("U", uid),
            "avatar_url": f"{self.web}/avatars/u/{uid}?v=4",
            "gravatar_id": "",
            "url": api,
            "html_url": f"{self.web}/{login}" if login != BOT else f"{self.web}/apps/github-actions",
            "followers_url": f"{api}/followers",
            "following_url": f"{api}/following{{/other_user}}",
            "gists_url": f"{api}/gists{{/gist_id}}",
            "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/subscriptions",
            "organizations_url": f"{api}/orgs",
            "repos_url": f"{api}/repos",
            "events_url": f"{api}/events{{/privacy}}",
            "received_events_url": f"{api}/received_events",
            "type": "Bot" if login.endswith("[bot]") else "User",
            "user_view_type": "public",
            "site_admin": False,
        }

    def public_user(self, login: str, created_at: float) -> JSON:
        """`GET /users/{login}`: the simple user plus the public profile."""
        return {
            **self.user(login),
            "name": login,
            "company": None,
            "blog": "",
            "location": None,
            "email": None,
            "hireable": None,
            "bio": None,
            "twitter_username": None,
            "public_repos": 0,
            "public_gists": 0,
            "followers": 0,
            "following": 0,
            "created_at": iso(created_at),
            "updated_at": iso(created_at),
        }

    def private_user(self, login: str, created_at: float) -> JSON:
        """`GET /user`, and `GET /users/{login}` for one's own login: the public user plus the private fields."""
        public = self.public_user(login, created_at)
        body: JSON = {}
        for key, value in public.items():
            body[key] = value
            if key == "twitter_username":  # where GitHub puts it: the address its notifications go to
                body["notification_email"] = f"{login}@users.noreply.sandbox"
        return {
            **body,
            "bio": "the releasekit sandbox's user",
            "private_gists": 0,
            "total_private_repos": 0,
            "owned_private_repos": 0,
            "disk_usage": 0,
            "collaborators": 0,
            "two_factor_authentication": False,
            "plan": {"name": "free", "space": 976562499, "collaborators": 0, "private_repos": 10000},
        }

    def repo_url(self, repo: Repo) -> str:
        return f"{self.api}/repos/{repo.full_name}"

    def minimal_repo(self, repo: Repo) -> JSON:
        api = self.repo_url(repo)
        return {
            "id": repo.id,
            "node_id": node_id("R", repo.id),
            "name": repo.name,
            "full_name": repo.full_name,
            "private": False,
            "owner": self.user(repo.owner),
            "html_url": f"{self.web}/{repo.full_name}",
            "description": repo.description,
            "fork": False,
            "url": api,
            "forks_url": f"{api}/forks",
            "keys_url": f"{api}/keys{{/key_id}}",
            "collaborators_url": f"{api}/collaborators{{/collaborator}}",
            "teams_url": f"{api}/teams",
            "hooks_url": f"{api}/hooks",
            "issue_events_url": f"{api}/issues/events{{/number}}",
            "events_url": f"{api}/events",
            "assignees_url": f"{api}/assignees{{/user}}",
            "branches_url": f"{api}/branches{{/branch}}",
            "tags_url": f"{api}/tags",
            "blobs_url": f"{api}/git/blobs{{/sha}}",
            "git_tags_url": f"{api}/git/tags{{/sha}}",
            "git_refs_url": f"{api}/git/refs{{/sha}}",
            "trees_url": f"{api}/git/trees{{/sha}}",
            "statuses_url": f"{api}/statuses/{{sha}}",
            "languages_url": f"{api}/languages",
            "stargazers_url": f"{api}/stargazers",
            "contributors_url": f"{api}/contributors",
            "subscribers_url": f"{api}/subscribers",
            "subscription_url": f"{api}/subscription",
            "commits_url": f"{api}/commits{{/sha}}",
            "git_commits_url": f"{api}/git/commits{{/sha}}",
            "comments_url": f"{api}/comments{{/number}}",
            "issue_comment_url": f"{api}/issues/comments{{/number}}",
            "contents_url": f"{api}/contents/{{+path}}",
            "compare_url": f"{api}/compare/{{base}}...{{head}}",
            "merges_url": f"{api}/merges",
            "archive_url": f"{api}/{{archive_format}}{{/ref}}",
            "downloads_url": f"{api}/downloads",
            "issues_url": f"{api}/issues{{/number}}",
            "pulls_url": f"{api}/pulls{{/number}}",
            "milestones_url": f"{api}/milestones{{/number}}",
            "notifications_url": f"{api}/notifications{{?since,all,participating}}",
            "labels_url": f"{api}/labels{{/name}}",
            "releases_url": f"{api}/releases{{/id}}",
            "deployments_url": f"{api}/deployments",
        }

    def full_repo(self, repo: Repo, clone_url: str, permissions: dict[str, bool]) -> JSON:
        return {
            **self.minimal_repo(repo),
            "created_at": iso(repo.created_at),
            "updated_at": iso(repo.updated_at),
            "pushed_at": iso(repo.pushed_at or repo.created_at),
            "git_url": clone_url,
            "ssh_url": clone_url,
            "clone_url": clone_url,
            "svn_url": f"{self.web}/{repo.full_name}",
            "homepage": None,
            "size": 0,
            "stargazers_count": 0,
            "watchers_count": 0,
            "language": None,
            "has_issues": True,
            "has_projects": True,
            "has_downloads": True,
            "has_wiki": True,
            "has_pages": False,
            "has_discussions": False,
            "forks_count": 0,
            "mirror_url": None,
            "archived": False,
            "disabled": False,
            "open_issues_count": 0,
            "license": None,
            "allow_forking": True,
            "is_template": False,
            "web_commit_signoff_required": False,
            "has_pull_requests": True,
            "pull_request_creation_policy": "all",
            "topics": [],
            "visibility": "public",
            "forks": 0,
            "open_issues": 0,
            "watchers": 0,
            "default_branch": repo.default_branch,
            "permissions": permissions,
            # No temp_clone_token: GitHub sent "" for public repositories until 2025 at least, nothing by 2026-08.
            "allow_squash_merge": True,
            "allow_merge_commit": True,
            "allow_rebase_merge": True,
            "allow_auto_merge": False,
            "delete_branch_on_merge": False,
            "allow_update_branch": False,
            "use_squash_pr_title_as_default": False,
            "squash_merge_commit_message": "COMMIT_MESSAGES",
            "squash_merge_commit_title": "COMMIT_OR_PR_TITLE",
            "merge_commit_message": "PR_TITLE",
            "merge_commit_title": "MERGE_MESSAGE",
            "network_count": 0,
            "subscribers_count": 0,
        }

    # -- git ----------------------------------------------------------------------------------------------------

    def ref(self, repo: Repo, ref: str, sha: str, kind: str) -> JSON:
        api = self.repo_url(repo)
        return {
            "ref": ref,
            "node_id": node_id("REF", f"{repo.id}:{ref}"),
            "url": f"{api}/git/{ref}",
            "object": {"sha": sha, "type": kind, "url": f"{api}/git/{kind}s/{sha}"},
        }

    def git_tag(self, repo: Repo, tag: TagInfo) -> JSON:
        api = self.repo_url(repo)
        return {
            "node_id": node_id("TAG", tag.sha),
            "sha": tag.sha,
            "url": f"{api}/git/tags/{tag.sha}",
            "tagger": {"name": tag.tagger_name, "email": tag.tagger_email, "date": iso(tag.tagger_date)},
            "object": {
                "sha": tag.object_sha,
                "type": tag.object_type,
                "url": f"{api}/git/{tag.object_type}s/{tag.object_sha}",
            },
            "tag": tag.tag,
            "message": tag.message,
            "verification": _unverified(tag.signature),
        }

    def commit(self, repo: Repo, info: CommitInfo, *, detail: bool, changes: list[FileChange] | None = None) -> JSON:
        """A commit; with `detail` (`GET .../commits/{ref}`), its `stats` and `files` from `changes`."""
        api = self.repo_url(repo)
        body: JSON = {
            "sha": info.sha,
            "node_id": node_id("C", info.sha),
            "commit": {
                "author": {"name": info.author_name, "email": info.author_email, "date": iso(info.author_date)},
                "committer": {
                    "name": info.committer_name,
                    "email": info.committer_email,
                    "date": iso(info.committer_date),
                },
                "message": info.message,
                "tree": {"sha": info.tree, "url": f"{api}/git/trees/{info.tree}"},
                "url": f"{api}/git/commits/{info.sha}",
                "comment_count": 0,
                "verification": _unverified(None),
            },
            "url": f"{api}/commits/{info.sha}",
            "html_url": f"{self.web}/{repo.full_name}/commit/{info.sha}",
            "comments_url": f"{api}/commits/{info.sha}/comments",
            "author": None,  # git identities are not linked to sandbox accounts, as for an unknown e-mail on GitHub
            "committer": None,
            "parents": [
                {"sha": p, "url": f"{api}/commits/{p}", "html_url": f"{self.web}/{repo.full_name}/commit/{p}"}
                for p in info.parents
            ],
        }
        if detail:
            changes = changes or []
            additions = sum(c.additions for c in changes)
            deletions = sum(c.deletions for c in changes)
            body["stats"] = {"total": additions + deletions, "additions": additions, "deletions": deletions}
            # GitHub lists at most 300 files in a commit's answer; `stats` counts them all.
            body["files"] = [self.diff_entry(repo, info, c) for c in changes[:MAX_COMMIT_FILES]]
        return body

    def diff_entry(self, repo: Repo, info: CommitInfo, change: FileChange) -> JSON:
        """One of a commit's `files`: a removed file's URLs name the parent commit, where the file still is."""
        at = info.parents[0] if change.status == "removed" and info.parents else info.sha
        path = quote(change.filename, safe="/")
        entry: JSON = {
            "sha": change.sha,
            "filename": change.filename,
            "status": change.status,
            "additions": change.additions,
            "deletions": change.deletions,
            "changes": change.additions + change.deletions,
            "blob_url": f"{self.web}/{repo.full_name}/blob/{at}/{path}",
            "raw_url": f"{self.web}/{repo.full_name}/raw/{at}/{path}",
            "contents_url": f"{self.repo_url(repo)}/contents/{path}?ref={at}",
        }
        if change.patch is not None:
            entry["patch"] = change.patch
        if change.previous_filename is not None:
            entry["previous_filename"] = change.previous_filename
        return entry

    def head_commit(self, info: CommitInfo) -> JSON:
        return {
            "id": info.sha,
            "tree_id": info.tree,
            "message": info.message,
            "timestamp": iso(info.committer_date),
            "author": {"name": info.author_name, "email": info.author_email},
            "committer": {"name": info.committer_name, "email": info.committer_email},
        }

    def tag(self, repo: Repo, name: str, commit_sha: str) -> JSON:
        api = self.repo_url(repo)
        return {
            "name": name,
            "zipball_url": f"{api}/zipball/refs/tags/{name}",
            "tarball_url": f"{api}/tarball/refs/tags/{name}",
            "commit": {"sha": commit_sha, "url": f"{api}/commits/{commit_sha}"},
            "node_id": node_id("REF", f"{repo.id}:refs/tags/{name}"),
        }

    def status(self, repo: Repo, status: Status) -> JSON:
        return {
            "url": f"{self.repo_url(repo)}/statuses/{status.sha}",
            "avatar_url": f"{self.web}/avatars/u/{user_id(status.creator)}?v=4",
            "id": status.id,
            "node_id": node_id("SC", status.id),
            "state": status.state,
            "description": status.description,
            "target_url": status.target_url,
            "context": status.context,
            "created_at": iso(status.created_at),
            "updated_at": iso(status.updated_at),
        }

    def created_status(self, repo: Repo, status: Status) -> JSON:
        return {**self.status(repo, status), "creator": self.user(status.creator)}

    def combined_status(self, repo: Repo, sha: str, statuses: list[Status], page: list[Status] | None = None) -> JSON:
        """The state of all `statuses` (the latest of each context), listing those of `page` (default: all)."""
        states = {s.state for s in statuses}
        if not statuses or "pending" in states:
            state = "pending"
        elif states & {"error", "failure"}:
            state = "failure"
        else:
            state = "success"
        api = self.repo_url(repo)
        return {
            "state": state,
            "statuses": [self.status(repo, s) for s in (statuses if page is None else page)],
            "sha": sha,
            "total_count": len(statuses),
            "repository": self.minimal_repo(repo),
            "commit_url": f"{api}/commits/{sha}",
            "url": f"{api}/commits/{sha}/status",
        }

    def check_run(self, repo: Repo, run: Run, job: Job) -> JSON:
        api = self.repo_url(repo)
        return {
            "id": job.id,
            "name": job.name,
            "node_id": node_id("CR", job.id),
            "head_sha": run.head_sha,
            "external_id": f"{run.id}-{job.key}",
            "url": f"{api}/check-runs/{job.id}",
            "html_url": f"{self.web}/{repo.full_name}/actions/runs/{run.id}/job/{job.id}",
            "details_url": f"{self.web}/{repo.full_name}/actions/runs/{run.id}/job/{job.id}",
            "status": job.status,
            "conclusion": job.conclusion,
            "started_at": iso(job.started_at) if job.started_at else None,
            "completed_at": iso(job.completed_at) if job.completed_at else None,
            "output": {
                "title": SIMULATED_CHECK if job.command is None else None,
                "summary": simulated_summary(job) if job.command is None else None,
                "text": None,
                "annotations_count": 0,
                "annotations_url": f"{api}/check-runs/{job.id}/annotations",
            },
            "check_suite": {"id": run.check_suite_id},
            "app": self.actions_app(),
            "pull_requests": [],
        }

    def actions_app(self) -> JSON:
        return {
            "id": 15368,
            "client_id": "Iv1.05c79e9ad1f6bdfa",
            "slug": "github-actions",
            "node_id": "MDM6QXBwMTUzNjg=",
            "owner": self.user("github"),
            "name": "GitHub Actions",
            "description": "Automate your workflow from idea to production",
            "external_url": "https://help.github.com/en/actions",
            "html_url": f"{self.web}/apps/github-actions",
            "created_at": "2018-07-30T09:30:17Z",
            "updated_at": "2024-04-10T20:33:16Z",
            "permissions": {
                "actions": "write",
                "checks": "write",
                "contents": "write",
                "metadata": "read",
                "statuses": "write",
            },
            "events": [
                "check_run",
                "check_suite",
                "create",
                "delete",
                "push",
                "release",
                "status",
                "workflow_dispatch",
            ],
        }

    # -- releases -----------------------------------------------------------------------------------------------

    def release(self, repo: Repo, release: Release) -> JSON:
        api = self.repo_url(repo)
        shown_tag = release.tag_name if not release.draft else release.untagged
        return {
            "url": f"{api}/releases/{release.id}",
            "assets_url": f"{api}/releases/{release.id}/assets",
            "upload_url": f"{self.uploads}/repos/{repo.full_name}/releases/{release.id}/assets{{?name,label}}",
            "html_url": f"{self.web}/{repo.full_name}/releases/tag/{shown_tag}",
            "id": release.id,
            "author": self.user(release.author),
            "node_id": node_id("RE", release.id),
            "tag_name": release.tag_name,
            "target_commitish": release.target_commitish,
            "name": release.name,
            "draft": release.draft,
            "immutable": False,
            "prerelease": release.prerelease,
            "created_at": iso(release.created_at),
            "updated_at": iso(release.updated_at),
            "published_at": iso(release.published_at) if release.published_at else None,
            "assets": [self.asset(repo, release, a) for a in release.assets],
            "tarball_url": f"{api}/tarball/{release.tag_name}" if not release.draft else None,
            "zipball_url": f"{api}/zipball/{release.tag_name}" if not release.draft else None,
            "body": release.body,
        }

    def asset(self, repo: Repo, release: Release, asset: Asset) -> JSON:
        tag = release.tag_name if not release.draft else release.untagged
        return {
            "url": f"{self.repo_url(repo)}/releases/assets/{asset.id}",
            "id": asset.id,
            "node_id": node_id("RA", asset.id),
            "name": asset.name,
            "label": asset.label,
            "uploader": self.user(asset.uploader),
            "content_type": asset.content_type,
            "state": "uploaded",
            "size": asset.size,
            "digest": asset.digest,
            "download_count": asset.download_count,
            "created_at": iso(asset.created_at),
            "updated_at": iso(asset.updated_at),
            "browser_download_url": f"{self.web}/{repo.full_name}/releases/download/{tag}/{asset.name}",
        }

    # -- actions ------------------------------------------------------------------------------------------------

    def workflow(self, repo: Repo, workflow: Workflow) -> JSON:
        api = self.repo_url(repo)
        file = workflow.path.rsplit("/", 1)[-1]
        return {
            "id": workflow.id,
            "node_id": node_id("W", workflow.id),
            "name": workflow.name,
            "path": workflow.path,
            "state": "active",
            "created_at": iso(workflow.created_at),
            "updated_at": iso(workflow.updated_at),
            "url": f"{api}/actions/workflows/{workflow.id}",
            "html_url": f"{self.web}/{repo.full_name}/blob/{repo.default_branch}/{workflow.path}",
            "badge_url": f"{self.web}/{repo.full_name}/workflows/{file}/badge.svg",
        }

    def run(self, repo: Repo, run: Run, actor: JSON, head_commit: JSON | None) -> JSON:
        api = f"{self.repo_url(repo)}/actions/runs/{run.id}"
        started = run.run_started_at or run.created_at
        return {
            "id": run.id,
            "name": run.name,
            "node_id": node_id("WFR", run.id),
            "head_branch": run.head_branch,
            "head_sha": run.head_sha,
            "path": run.path,
            "display_title": run.display_title,
            "run_number": run.run_number,
            "event": run.event,
            "status": run.status,
            "conclusion": run.conclusion,
            "workflow_id": run.workflow_id,
            "check_suite_id": run.check_suite_id,
            "check_suite_node_id": node_id("CS", run.check_suite_id),
            "url": api,
            "html_url": f"{self.web}/{repo.full_name}/actions/runs/{run.id}",
            "pull_requests": [],
            "created_at": iso(run.created_at),
            "updated_at": iso(run.updated_at),
            "actor": actor,
            "run_attempt": run.run_attempt,
            "referenced_workflows": [],
            "run_started_at": iso(started),
            "triggering_actor": actor,
            "jobs_url": f"{api}/jobs",
            "logs_url": f"{api}/logs",
            "check_suite_url": f"{self.repo_url(repo)}/check-suites/{run.check_suite_id}",
            "artifacts_url": f"{api}/artifacts",
            "cancel_url": f"{api}/cancel",
            "rerun_url": f"{api}/rerun",
            "previous_attempt_url": f"{api}/attempts/{run.run_attempt - 1}" if run.run_attempt > 1 else None,
            "workflow_url": f"{self.repo_url(repo)}/actions/workflows/{run.workflow_id}",
            "head_commit": head_commit,
            "repository": self.minimal_repo(repo),
            "head_repository": self.minimal_repo(repo),
        }

    def job(self, repo: Repo, run: Run, job: Job) -> JSON:
        api = self.repo_url(repo)
        return {
            "id": job.id,
            "run_id": run.id,
            "workflow_name": run.name,
            "head_branch": run.head_branch,
            "run_url": f"{api}/actions/runs/{run.id}",
            "run_attempt": job.attempt,
            "node_id": node_id("CR", job.id),
            "head_sha": run.head_sha,
            "url": f"{api}/actions/jobs/{job.id}",
            "html_url": f"{self.web}/{repo.full_name}/actions/runs/{run.id}/job/{job.id}",
            "status": job.status,
            "conclusion": job.conclusion,
            "created_at": iso(job.created_at),
            "started_at": iso(job.started_at or job.created_at),
            "completed_at": iso(job.completed_at) if job.completed_at else None,
            "name": job.name,
            "steps": _steps(job),
            "check_run_url": f"{api}/check-runs/{job.id}",
            "labels": list(job.labels),
            "runner_id": user_id(job.runner_name) % 1000 if job.runner_name else None,
            "runner_name": job.runner_name,
            "runner_group_id": 1 if job.runner_name else None,
            "runner_group_name": "Default" if job.runner_name else None,
        }

    def artifact(self, repo: Repo, run: Run, artifact: Artifact) -> JSON:
        api = self.repo_url(repo)
        return {
            "id": artifact.id,
            "node_id": node_id("A", artifact.id),
            "name": artifact.name,
            "size_in_bytes": artifact.size,
            "url": f"{api}/actions/artifacts/{artifact.id}",
            "archive_download_url": f"{api}/actions/artifacts/{artifact.id}/zip",
            "expired": False,
            "created_at": iso(artifact.created_at),
            "updated_at": iso(artifact.created_at),
            "expires_at": iso(artifact.created_at + 90 * 86400),
            "digest": artifact.digest,
            "workflow_run": {
                "id": run.id,
                "repository_id": repo.id,
                "head_repository_id": repo.id,
                "head_branch": run.head_branch,
                "head_sha": run.head_sha,
            },
        }


def _unverified(signature: str | None) -> JSON:
    # The sandbox holds no keys to check signatures with, so a signed tag reads as GitHub reads an unknown key.
    return {
        "verified": False,
        "reason": "unknown_key" if signature else "unsigned",
        "signature": signature,
        "payload": None,
        "verified_at": None,
    }


def simulated_summary(job: Job) -> str:
    """What a job the sandbox only simulates says of itself (a check run's output summary)."""
    decided = "a script" if job.scripted else "the sandbox's default"
    return f"No command ran: the sandbox set this job's result ({job.outcome}, by {decided})."


def _steps(job: Job) -> list[JSON]:
    """Steps as GitHub lists them: done ones completed, the current one in progress, later ones queued. A job the
    sandbox only simulates ends with SIMULATED_STEP (skipped once the job is done), so that no client mistakes it
    for a real one; after the others, so that their numbers (`#step:N` in a log URL) stay the workflow's."""
    names = job.steps or ["Set up job", "Complete job"]
    out: list[JSON] = []
    start = job.started_at
    count = len(names)
    failed_index = _failed_step_index(job, names)
    for number, name in enumerate(names, start=1):
        status, conclusion, began, ended = "queued", None, None, None
        if start is not None:
            span = job.seconds / count if job.seconds else 0.0
            began = start + span * (number - 1)
            if job.status == "completed":
                ended = began + span
                status = "completed"
                if job.conclusion in ("success", "failure") and failed_index is not None:
                    conclusion = (
                        "failure"
                        if number - 1 == failed_index
                        else ("skipped" if number - 1 > failed_index and name != "Complete job" else "success")
                    )
                elif job.conclusion == "cancelled":
                    conclusion = "cancelled"
                else:
                    conclusion = job.conclusion
            else:
                status = "in_progress" if number == 1 else "queued"
        out.append(
            {
                "name": name,
                "status": status,
                "conclusion": conclusion,
                "number": number,
                "started_at": iso_ms(began) if began is not None else None,
                "completed_at": iso_ms(ended) if ended is not None else None,
            }
        )
    if job.command is None:
        done = job.status == "completed"
        moment = iso_ms(job.completed_at) if done and job.completed_at is not None else None
        out.append(
            {
                "name": SIMULATED_STEP,
                "status": "completed" if done else "queued",
                "conclusion": "skipped" if done else None,
                "number": count + 1,
                "started_at": moment,
                "completed_at": moment,
            }
        )
    return out


def _failed_step_index(job: Job, names: list[str]) -> int | None:
    if job.conclusion != "failure":
        return None
    if job.failed_step and job.failed_step in names:
        return names.index(job.failed_step)
    # The last step before "Complete job" is where a job fails unless a script says otherwise.
    return max(0, len(names) - 2)
