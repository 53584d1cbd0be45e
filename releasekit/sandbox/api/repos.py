"""Repository, user, rate limit, tags, commits, commit statuses and check runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from releasekit.sandbox.api import checks
from releasekit.sandbox.api.checks import shown
from releasekit.sandbox.http import ApiError, Request, Response, not_found, paginate, validation_failed
from releasekit.sandbox.shapes import BOT
from releasekit.sandbox.state import Status

if TYPE_CHECKING:
    from releasekit.sandbox.app import Sandbox
    from releasekit.sandbox.gitstore import FileChange

DOCS_COMMITS = "https://docs.github.com/rest/commits/commits#get-a-commit"
MAX_CACHED_COMMITS = 1000
MAX_STATUS_DESCRIPTION = 140  # GitHub: "description is too long (maximum is 140 characters)"
MAX_STATUS_TEXT = 1000  # a context or target URL longer than this is no context or URL


def register(hub: Sandbox) -> None:  # noqa: PLR0915 - one closure per endpoint, registered together
    route = hub.router.add
    shapes = hub.shapes
    changed_files: dict[str, list[FileChange]] = {}

    def user(request: Request, params: dict[str, str]) -> Response:
        if request.run_id is not None:
            # A GITHUB_TOKEN is an installation token: GitHub answers /user with 403 for it.
            raise ApiError(
                403,
                "Resource not accessible by integration",
                docs="https://docs.github.com/rest/users/users#get-the-authenticated-user",
            )
        return Response(200, shapes.private_user(hub.login, hub.created_at))

    def other_user(request: Request, params: dict[str, str]) -> Response:
        # GitHub answers a public profile, with the private fields added when one asks about oneself, and 404 for
        # a login nobody has. The sandbox's accounts: its user, the owners of its repositories, the Actions bot.
        login = params["login"]
        if login == request.login:
            return Response(200, shapes.private_user(login, hub.created_at))
        with hub.state.lock:
            owners = {repo.owner.lower() for repo in hub.state.repos.values()}
        known = owners | {hub.login.lower(), BOT, "github"}
        if login.lower() not in known:
            raise not_found("https://docs.github.com/rest/users/users#get-a-user")
        return Response(200, shapes.public_user(login, hub.created_at))

    def rate_limit(request: Request, params: dict[str, str]) -> Response:
        key = "user" if request.run_id is None else f"job:{request.run_id}"
        core = hub.limits.core(key)
        reset = core["reset"]
        resources = {
            "core": core,
            "search": {"limit": 30, "used": 0, "remaining": 30, "reset": reset},
            "graphql": {"limit": 5000, "used": 0, "remaining": 5000, "reset": reset},
            "integration_manifest": {"limit": 5000, "used": 0, "remaining": 5000, "reset": reset},
            "code_search": {"limit": 10, "used": 0, "remaining": 10, "reset": reset},
        }
        return Response(200, {"resources": resources, "rate": dict(core)})

    def get_repo(request: Request, params: dict[str, str]) -> Response:
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            push = request.run_id is None or hub.state.runs.get(request.run_id) is not None
            permissions = {
                "admin": request.run_id is None,
                "maintain": request.run_id is None,
                "push": push,
                "triage": True,
                "pull": True,
            }
            return Response(200, shapes.full_repo(repo, hub.remote_url(repo.full_name), permissions))

    def list_tags(request: Request, params: dict[str, str]) -> Response:
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            # Newest tag first, by the date of the commit it points at, as GitHub lists them.
            tags = sorted(hub.git(repo).tags(), key=lambda t: (t[2], t[0]), reverse=True)
            page, headers = paginate(request, tags, hub.api_url)
            return Response(200, [shapes.tag(repo, name, sha) for name, sha, _ in page], headers)

    def list_commits(request: Request, params: dict[str, str]) -> Response:
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            git = hub.git(repo)
            start = git.resolve_commit(request.param("sha") or f"refs/heads/{repo.default_branch}")
            if start is None:
                return Response(200, [])
            shas = git.git("rev-list", "--max-count=300", start).split()
            page, headers = paginate(request, shas, hub.api_url)
            return Response(200, [shapes.commit(repo, hub.commit_info(repo, s), detail=False) for s in page], headers)

    def get_commit(request: Request, params: dict[str, str]) -> Response:
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            git = hub.git(repo)
            sha = git.resolve_commit(params["ref"])
            if sha is None:
                raise ApiError(422, f"No commit found for SHA: {shown(params['ref'])}", docs=DOCS_COMMITS)
            info = hub.commit_info(repo, sha)
            key = f"{repo.full_name}@{sha}"
            changes = changed_files.get(key)
            if changes is None:  # a commit never changes: each is compared with its parent once
                changes = git.changes(sha, info.parents[0] if info.parents else None)
                if len(changed_files) >= MAX_CACHED_COMMITS:
                    changed_files.clear()
                changed_files[key] = changes
            return Response(200, shapes.commit(repo, info, detail=True, changes=changes))

    def combined_status(request: Request, params: dict[str, str]) -> Response:
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            sha = hub.git(repo).resolve_commit(params["ref"])
            if sha is None:
                raise not_found(
                    "https://docs.github.com/rest/commits/statuses#get-the-combined-status-for-a-specific-reference"
                )
            latest: dict[str, Status] = {}
            for status in hub.state.statuses:  # the newest status of each context counts
                if status.sha == sha and status.repo == repo.full_name:
                    latest[status.context] = status
            statuses = sorted(latest.values(), key=lambda s: s.id)
            # As on GitHub: `statuses` is one page (30 unless per_page says, 100 at most) with a Link header;
            # `state` and `total_count` cover them all.
            page, headers = paginate(request, statuses, hub.api_url)
            return Response(200, shapes.combined_status(repo, sha, statuses, page), headers)

    def create_status(request: Request, params: dict[str, str]) -> Response:
        body = checks.json_body(request)
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            sha = hub.git(repo).resolve_commit(params["sha"])
            docs = "https://docs.github.com/rest/commits/statuses#create-a-commit-status"
            if sha is None or sha != params["sha"]:
                raise validation_failed("Status", "sha", "invalid", docs)
            state = checks.field(body, "state", "string", docs)
            if state not in ("error", "failure", "pending", "success"):
                raise validation_failed("Status", "state", "invalid", docs)
            description = checks.field(body, "description", "string", docs, nullable=True)
            target_url = checks.field(body, "target_url", "string", docs, nullable=True)
            context = checks.field(body, "context", "string", docs) or "default"
            if description is not None:
                checks.too_long("Status", "description", description, MAX_STATUS_DESCRIPTION, docs)
            checks.too_long("Status", "context", context, MAX_STATUS_TEXT, docs)
            if target_url is not None:
                checks.too_long("Status", "target_url", target_url, MAX_STATUS_TEXT, docs)
            now = hub.clock.now()
            status = Status(
                hub.state.new_id(),
                repo.full_name,
                sha,
                state,
                context,
                description,
                target_url,
                now,
                now,
                request.login,
            )
            hub.state.statuses.append(status)
            hub.touch()
            return Response(201, shapes.created_status(repo, status))

    def check_runs(request: Request, params: dict[str, str]) -> Response:
        from releasekit.sandbox.engine import latest_jobs

        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            sha = hub.git(repo).resolve_commit(params["ref"])
            if sha is None:
                raise ApiError(
                    422,
                    f"No commit found for SHA: {shown(params['ref'])}",
                    docs="https://docs.github.com/rest/checks/runs#list-check-runs-for-a-git-reference",
                )
            pairs = [
                (run, job)
                for run in sorted(hub.state.runs.values(), key=lambda r: r.id, reverse=True)
                if run.repo == repo.full_name and run.head_sha == sha
                for job in latest_jobs(run)
            ]
            wanted_status, wanted_name = request.param("status"), request.param("check_name")
            pairs = [
                (r, j)
                for r, j in pairs
                if (not wanted_status or j.status == wanted_status) and (not wanted_name or j.name == wanted_name)
            ]
            page, headers = paginate(request, pairs, hub.api_url)
            body: dict[str, Any] = {
                "total_count": len(pairs),
                "check_runs": [shapes.check_run(repo, r, j) for r, j in page],
            }
            return Response(200, body, headers)

    route("GET", "/user", user)
    route("GET", "/users/{login}", other_user)
    route("GET", "/rate_limit", rate_limit)
    route("GET", "/repos/{owner}/{repo}", get_repo)
    route("GET", "/repos/{owner}/{repo}/tags", list_tags)
    route("GET", "/repos/{owner}/{repo}/commits", list_commits)
    route("GET", "/repos/{owner}/{repo}/commits/{ref*}/status", combined_status)
    route("GET", "/repos/{owner}/{repo}/commits/{ref*}/check-runs", check_runs)
    route("GET", "/repos/{owner}/{repo}/commits/{ref*}", get_commit)
    route("POST", "/repos/{owner}/{repo}/statuses/{sha}", create_status)
