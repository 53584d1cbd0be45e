"""Git data: references (get, matching, create, update, delete) and annotated tag objects."""

from __future__ import annotations

from typing import TYPE_CHECKING

from releasekit.sandbox.api import checks
from releasekit.sandbox.api.checks import shown
from releasekit.sandbox.clock import parse_iso
from releasekit.sandbox.gitstore import ZERO_SHA, GitError, ref_name_ok
from releasekit.sandbox.http import ApiError, Request, Response, not_found, paginate

if TYPE_CHECKING:
    from releasekit.sandbox.app import Sandbox
    from releasekit.sandbox.state import Repo

DOCS_REFS = "https://docs.github.com/rest/git/refs"
DOCS_TAGS = "https://docs.github.com/rest/git/tags"


def register(hub: Sandbox) -> None:  # noqa: PLR0915 - one closure per endpoint, registered together
    route = hub.router.add
    shapes = hub.shapes

    def ref_body(repo: Repo, ref: str, sha: str) -> dict[str, object]:
        kind = hub.git(repo).object_type(sha) or "commit"
        return shapes.ref(repo, ref, sha, kind)

    def get_ref(request: Request, params: dict[str, str]) -> Response:
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            full = "refs/" + params["ref"]
            sha = hub.git(repo).refs().get(full)
            if sha is None:
                raise not_found(f"{DOCS_REFS}#get-a-reference")
            return Response(200, ref_body(repo, full, sha))

    def matching(request: Request, params: dict[str, str], *, legacy: bool = False) -> Response:
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            prefix = "refs/" + params.get("ref", "")
            refs = sorted((r, s) for r, s in hub.git(repo).refs().items() if r.startswith(prefix))
            if legacy:
                # The old `GET git/refs/X` answers one object for an exact name, a list for a prefix, 404 for none.
                exact = [(r, s) for r, s in refs if r == prefix]
                if exact:
                    return Response(200, ref_body(repo, *exact[0]))
                if not refs:
                    raise not_found(f"{DOCS_REFS}#get-a-reference")
            page, headers = paginate(request, refs, hub.api_url)
            return Response(200, [ref_body(repo, r, s) for r, s in page], headers)

    def create_ref(request: Request, params: dict[str, str]) -> Response:
        body = checks.json_body(request)
        docs = f"{DOCS_REFS}#create-a-reference"
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            ref, sha = body.get("ref"), body.get("sha")
            if not isinstance(ref, str) or not isinstance(sha, str):
                raise ApiError(422, 'Invalid request.\n\n"ref" and "sha" are required.', docs=docs)
            if not ref.startswith("refs/") or ref.count("/") < 2 or not ref_name_ok(ref):
                raise ApiError(422, f"{shown(ref)} is not a valid ref name.", docs=docs)
            git = hub.git(repo)
            if git.object_type(sha) is None:
                raise ApiError(422, "Object does not exist", docs=docs)
            if ref in git.refs():
                raise ApiError(422, "Reference already exists", docs=docs)
            try:
                git.update_ref(ref, sha, ZERO_SHA)
            except GitError:  # another ref is in the way (refs/heads/a when refs/heads/a/b is asked), or a race
                raise ApiError(422, "Reference update failed", docs=docs) from None
            hub.engine.on_push(repo, ZERO_SHA, sha, ref, actor=request.login, by_job=request.run_id is not None)
            answer = ref_body(repo, ref, sha)
            return Response(201, answer, {"Location": str(answer["url"])})

    def update_ref(request: Request, params: dict[str, str]) -> Response:
        body = checks.json_body(request)
        docs = f"{DOCS_REFS}#update-a-reference"
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            ref, sha = "refs/" + params["ref"], body.get("sha")
            force = checks.field(body, "force", "boolean", docs) or False
            git = hub.git(repo)
            old = git.refs().get(ref)
            if old is None:
                raise ApiError(422, "Reference does not exist", docs=docs)
            if not isinstance(sha, str) or git.object_type(sha) is None:
                raise ApiError(422, "Object does not exist", docs=docs)
            if not force and not git.is_ancestor(old, sha):
                raise ApiError(422, "Update is not a fast forward", docs=docs)
            try:
                git.update_ref(ref, sha, old)
            except GitError:
                raise ApiError(409, "Reference update failed", docs=docs) from None
            hub.engine.on_push(repo, old, sha, ref, actor=request.login, by_job=request.run_id is not None)
            return Response(200, ref_body(repo, ref, sha))

    def delete_ref(request: Request, params: dict[str, str]) -> Response:
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            ref = "refs/" + params["ref"]
            git = hub.git(repo)
            old = git.refs().get(ref)
            if old is None:
                raise ApiError(422, "Reference does not exist", docs=f"{DOCS_REFS}#delete-a-reference")
            git.delete_ref(ref)
            hub.engine.on_push(repo, old, ZERO_SHA, ref, actor=request.login, by_job=request.run_id is not None)
            hub.touch()
            return Response(204)

    def create_tag(request: Request, params: dict[str, str]) -> Response:
        body = checks.json_body(request)
        docs = f"{DOCS_TAGS}#create-a-tag-object"
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            git = hub.git(repo)
            tag, obj, kind = body.get("tag"), body.get("object"), body.get("type", "commit")
            message = body.get("message", "")
            if not isinstance(tag, str) or not isinstance(obj, str) or not isinstance(message, str):
                raise ApiError(422, 'Invalid request.\n\n"tag", "message" and "object" are required.', docs=docs)
            # The body's types first, as GitHub checks its schema before it looks anything up.
            checks.field(body, "type", "string", docs)
            tagger = checks.field(body, "tagger", "object", docs) or {}
            for key in ("name", "email", "date"):
                checks.field(tagger, key, "string", docs, where=f"tagger/properties/{key}")
            if not ref_name_ok(f"refs/tags/{tag}"):
                raise checks.invalid("Tag", "tag", "tag is not a valid tag name", docs)
            if kind not in ("commit", "tree", "blob", "tag") or git.object_type(obj) != kind:
                raise ApiError(422, "Object does not exist", docs=docs)
            name = tagger.get("name") or hub.login
            email = tagger.get("email") or f"{hub.login}@users.noreply.sandbox"
            when = int(hub.clock.now())
            if tagger.get("date"):
                try:
                    when = int(parse_iso(tagger["date"]))
                except (ValueError, OverflowError):
                    raise checks.invalid("Tag", "tagger.date", "tagger.date is not a valid date", docs) from None
            try:
                sha = git.make_tag(tag, obj, kind, message, (name, email, when))
            except GitError as exc:
                raise ApiError(422, f"Invalid tag: {shown(str(exc), 200)}", docs=docs) from None
            info = git.tag(sha)
            assert info is not None
            return Response(201, shapes.git_tag(repo, info))

    def get_tag(request: Request, params: dict[str, str]) -> Response:
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            info = hub.git(repo).tag(params["sha"])
            if info is None:
                raise not_found(f"{DOCS_TAGS}#get-a-tag")
            return Response(200, shapes.git_tag(repo, info))

    route("GET", "/repos/{owner}/{repo}/git/ref/{ref*}", get_ref)
    route("GET", "/repos/{owner}/{repo}/git/matching-refs/{ref*}", matching)
    route("GET", "/repos/{owner}/{repo}/git/refs", matching)
    route("GET", "/repos/{owner}/{repo}/git/refs/{ref*}", lambda r, p: matching(r, p, legacy=True))
    route("POST", "/repos/{owner}/{repo}/git/refs", create_ref)
    route("PATCH", "/repos/{owner}/{repo}/git/refs/{ref*}", update_ref)
    route("DELETE", "/repos/{owner}/{repo}/git/refs/{ref*}", delete_ref)
    route("POST", "/repos/{owner}/{repo}/git/tags", create_tag)
    route("GET", "/repos/{owner}/{repo}/git/tags/{sha}", get_tag)
