"""The sandbox's own endpoints under /_sandbox/: script outcomes, inject faults, move the clock, read the log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from releasekit.links import docs
from releasekit.sandbox.http import ApiError, Request, Response, not_found

if TYPE_CHECKING:
    from releasekit.sandbox.app import Sandbox

DOCS = docs("commands/sandbox.md")


def register(hub: Sandbox) -> None:  # noqa: PLR0915 - one closure per endpoint, registered together
    route = hub.router.add

    def health(request: Request, params: dict[str, str]) -> Response:
        return Response(200, {"ok": True, "api_url": hub.api_url})

    def overview(request: Request, params: dict[str, str]) -> Response:
        with hub.state.lock:
            repos = [
                {"full_name": r.full_name, "remote": hub.remote_url(r.full_name), "default_branch": r.default_branch}
                for r in hub.state.repos.values()
            ]
            runs = [
                {
                    "id": r.id,
                    "repo": r.repo,
                    "path": r.path,
                    "event": r.event,
                    "status": r.status,
                    "conclusion": r.conclusion,
                }
                for r in sorted(hub.state.runs.values(), key=lambda r: r.id)
            ]
            return Response(
                200,
                {
                    "api_url": hub.api_url,
                    "login": hub.login,
                    "repos": repos,
                    "runs": runs,
                    "clock_speed": hub.clock.speed,
                },
            )

    def create_repo(request: Request, params: dict[str, str]) -> Response:
        from releasekit.sandbox.app import SandboxError

        body = request.json()
        try:
            repo = hub.create_repo(
                str(body.get("full_name", "")), seed=body.get("seed"), default_branch=body.get("default_branch")
            )
        except SandboxError as exc:
            raise ApiError(422, str(exc), docs=DOCS) from None
        return Response(201, {"full_name": repo.full_name, "remote": hub.remote_url(repo.full_name)})

    def add_script(request: Request, params: dict[str, str]) -> Response:
        body = request.json()
        rules = body.get("rules", [body])
        try:
            added = [hub.script(**rule) for rule in rules]
        except (TypeError, ValueError) as exc:
            raise ApiError(422, f"bad script rule: {exc}", docs=DOCS) from None
        return Response(201, {"rules": len(added)})

    def clear_script(request: Request, params: dict[str, str]) -> Response:
        with hub.state.lock:
            hub.engine.rules.clear()
        return Response(204)

    def add_fault(request: Request, params: dict[str, str]) -> Response:
        body: dict[str, Any] = request.json()
        try:
            hub.fault(str(body.pop("method", "*")), str(body.pop("path", "*")), **body)
        except (TypeError, ValueError) as exc:
            raise ApiError(422, f"bad fault: {exc}", docs=DOCS) from None
        return Response(201, {"faults": len(hub.faults.items)})

    def clear_faults(request: Request, params: dict[str, str]) -> Response:
        hub.faults.clear()
        return Response(204)

    def clock(request: Request, params: dict[str, str]) -> Response:
        body = request.json()
        try:
            if "speed" in body:
                hub.clock.set_speed(float(body["speed"]))
            if "advance" in body:
                hub.clock.advance(float(body["advance"]))
        except (TypeError, ValueError) as exc:
            raise ApiError(422, f"bad clock change: {exc}", docs=DOCS) from None
        hub.tick()
        return Response(200, {"now": hub.clock.now(), "speed": hub.clock.speed})

    def rate_limit(request: Request, params: dict[str, str]) -> Response:
        body = request.json()
        if "status" in body:
            if body["status"] not in (403, 429):
                raise ApiError(422, "status must be 403 or 429", docs=DOCS)
            hub.limits.status = int(body["status"])
        hub.limits.set("user", limit=body.get("limit"), remaining=body.get("remaining"))
        return Response(200, hub.limits.core("user"))

    def requests_log(request: Request, params: dict[str, str]) -> Response:
        return Response(200, hub.requests(request.param("method"), request.param("path")))

    def job_log(request: Request, params: dict[str, str]) -> Response:
        if not params["job"].isdigit():
            raise not_found()
        with hub.state.lock:
            found = hub.state.job(int(params["job"]))
            if found is None:
                raise not_found()
            job = found[1]
        path = hub.engine.runner.log_path(job.id)
        if path.exists():
            return Response(200, stream=path, content_type="text/plain; charset=utf-8")
        lines = [f"{step}" for step in job.steps] + [
            f"Job {job.status}" + (f": {job.conclusion}" if job.conclusion else "")
        ]
        return Response(200, ("\n".join(lines) + "\n").encode(), content_type="text/plain; charset=utf-8")

    route("GET", "/_sandbox/health", health)
    route("GET", "/_sandbox", overview)
    route("POST", "/_sandbox/repos", create_repo)
    route("POST", "/_sandbox/script", add_script)
    route("DELETE", "/_sandbox/script", clear_script)
    route("POST", "/_sandbox/faults", add_fault)
    route("DELETE", "/_sandbox/faults", clear_faults)
    route("POST", "/_sandbox/clock", clock)
    route("POST", "/_sandbox/rate_limit", rate_limit)
    route("GET", "/_sandbox/requests", requests_log)
    route("GET", "/_sandbox/job-logs/{job}", job_log)
