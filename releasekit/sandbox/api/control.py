"""The sandbox's own endpoints under /_sandbox/: script outcomes, inject faults, move the clock, read the log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from releasekit.links import docs
from releasekit.sandbox.api import checks
from releasekit.sandbox.api.checks import Control, excerpt, parse_id
from releasekit.sandbox.clock import MAX_ADVANCE, MAX_SPEED
from releasekit.sandbox.engine import CONCLUSIONS, make_rule
from releasekit.sandbox.gitstore import MAX_REF_BYTES, GitError, ref_name_ok
from releasekit.sandbox.http import ApiError, Request, Response, not_found
from releasekit.sandbox.limits import MAX_FAULT_TEXT, MAX_LIMIT, FieldError

if TYPE_CHECKING:
    from releasekit.sandbox.app import Sandbox

DOCS = docs("commands/sandbox.md")
FAULT_KEYS = ("method", "path", "action", "status", "count", "seconds", "message", "headers")
MAX_SCRIPT_RULES = 1000
MAX_SCRIPT_SECONDS = 5 * 86400.0  # a self-hosted runner's longest job (GitHub-hosted: 6 hours)
MAX_SCRIPT_TEXT = 10_000
MAX_ARTIFACTS = 100
# What GitHub refuses in an artifact's name (actions/upload-artifact): `" : < > | * ? \r \n \\ /`, and NUL.
_ARTIFACT_FORBIDDEN = frozenset('":<>|*?\r\n\\/\0')


def script_rule(check: Control, rule: dict[str, Any]) -> None:
    """The types and ranges of one script rule's fields (unknown keys are the engine's to name)."""
    for name in ("workflow", "job", "event", "step", "command"):
        check.text(rule, name, MAX_SCRIPT_TEXT)
    if not isinstance(rule.get("conclusion", ""), (str, type(None))):
        raise check.error("conclusion", f"conclusion must be one of {', '.join(CONCLUSIONS)} or null")
    check.number(rule, "attempt", 1, 1000, integer=True)
    check.number(rule, "times", 0, 1_000_000, integer=True)
    check.number(rule, "seconds", 0, MAX_SCRIPT_SECONDS)
    artifacts = rule.get("artifacts")
    if artifacts is not None and not (
        isinstance(artifacts, list)
        and len(artifacts) <= MAX_ARTIFACTS
        and all(
            isinstance(a, str) and 0 < len(a) <= 255 and a.strip() and not _ARTIFACT_FORBIDDEN & set(a)
            for a in artifacts
        )
    ):
        message = (
            f"artifacts must be a list of at most {MAX_ARTIFACTS} names (1 to 255 characters, none of "
            f"{excerpt(''.join(sorted(_ARTIFACT_FORBIDDEN - {chr(0)})))})"
        )
        raise check.error("artifacts", message)
    uploads = rule.get("uploads")
    if uploads is not None and not (
        isinstance(uploads, dict)
        and len(uploads) <= MAX_ARTIFACTS
        and all(
            isinstance(name, str)
            and 0 < len(name) <= 255
            and name.strip()
            and not _ARTIFACT_FORBIDDEN & set(name)
            and isinstance(glob, str)
            and 0 < len(glob) <= 1000
            and "\0" not in glob
            for name, glob in uploads.items()
        )
    ):
        message = (
            f"uploads must map at most {MAX_ARTIFACTS} artifact names to a glob of files in the job's checkout, "
            'e.g. {"sla-results": "sla-results.jsonl"}'
        )
        raise check.error("uploads", message)


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

        body = checks.json_body(request)
        check = Control("bad repository", DOCS)
        check.only_keys(body, ("full_name", "seed", "default_branch"))
        full_name = check.text(body, "full_name", 200) or ""
        seed = check.text(body, "seed", 4096)
        branch = check.text(body, "default_branch", MAX_REF_BYTES)
        if branch is not None and not ref_name_ok(f"refs/heads/{branch}"):
            raise check.error("default_branch", f"default_branch {excerpt(branch)} is not a branch name git takes")
        try:
            repo = hub.create_repo(full_name, seed=seed, default_branch=branch)
        except (SandboxError, GitError) as exc:
            raise ApiError(422, str(exc), docs=DOCS) from None
        return Response(201, {"full_name": repo.full_name, "remote": hub.remote_url(repo.full_name)})

    def add_script(request: Request, params: dict[str, str]) -> Response:
        body = checks.json_body(request)
        check = Control("bad script rule", DOCS)
        rules = body.get("rules", [body])
        if not isinstance(rules, list) or len(rules) > MAX_SCRIPT_RULES or not all(isinstance(r, dict) for r in rules):
            raise check.error("rules", f"rules must be a list of at most {MAX_SCRIPT_RULES} objects")
        for rule in rules:
            script_rule(check, rule)
        try:
            made = [make_rule(rule) for rule in rules]
        except (TypeError, ValueError) as exc:
            raise ApiError(422, f"bad script rule: {exc}", docs=DOCS) from None
        with hub.state.lock:  # all or nothing: one bad rule adds none
            hub.engine.rules.extend(made)
        return Response(201, {"rules": len(made)})

    def clear_script(request: Request, params: dict[str, str]) -> Response:
        with hub.state.lock:
            hub.engine.rules.clear()
        return Response(204)

    def add_fault(request: Request, params: dict[str, str]) -> Response:
        body: dict[str, Any] = checks.json_body(request)
        check = Control("bad fault", DOCS)
        check.only_keys(body, FAULT_KEYS)
        options = {k: v for k, v in body.items() if k not in ("method", "path")}
        method = check.text(body, "method", 20) or "*"
        path = check.text(body, "path", MAX_FAULT_TEXT) or "*"
        try:
            hub.fault(method, path, **options)
        except FieldError as exc:
            raise check.error(exc.field, str(exc)) from None
        except (TypeError, ValueError, AttributeError) as exc:
            raise ApiError(422, f"bad fault: {exc}", docs=DOCS) from None
        return Response(201, {"faults": len(hub.faults.items)})

    def clear_faults(request: Request, params: dict[str, str]) -> Response:
        hub.faults.clear()
        return Response(204)

    def clock(request: Request, params: dict[str, str]) -> Response:
        body = checks.json_body(request)
        check = Control("bad clock change", DOCS)
        check.only_keys(body, ("speed", "advance"))
        speed = check.number(body, "speed", 0, MAX_SPEED)
        advance = check.number(body, "advance", 0, MAX_ADVANCE)
        if speed == 0:
            raise check.error("speed", f"speed must be a number above 0 and at most {MAX_SPEED:,.0f}, not 0")
        try:  # the advance first: it is the one that can still be refused (past the year 9000), before any change
            if advance is not None:
                hub.clock.advance(advance)
            if speed is not None:
                hub.clock.set_speed(speed)
        except ValueError as exc:
            raise check.error("advance" if advance is not None else "speed", str(exc)) from None
        hub.tick()
        return Response(200, {"now": hub.clock.now(), "speed": hub.clock.speed})

    def rate_limit(request: Request, params: dict[str, str]) -> Response:
        body = checks.json_body(request)
        check = Control("bad rate limit", DOCS)
        check.only_keys(body, ("status", "limit", "remaining"))
        status = check.choice(body, "status", (403, 429))
        limit = check.number(body, "limit", 0, MAX_LIMIT, integer=True)
        remaining = check.number(body, "remaining", 0, MAX_LIMIT, integer=True)
        if status is not None:
            hub.limits.status = status
        hub.limits.set("user", limit=limit, remaining=remaining)
        return Response(200, hub.limits.core("user"))

    def requests_log(request: Request, params: dict[str, str]) -> Response:
        return Response(200, hub.requests(request.param("method"), request.param("path")))

    def job_log(request: Request, params: dict[str, str]) -> Response:
        job_id = parse_id(params["job"])
        if job_id is None:
            raise not_found()
        with hub.state.lock:
            found = hub.state.job(job_id)
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
