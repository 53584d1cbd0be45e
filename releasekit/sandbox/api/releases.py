"""Releases (list, get, by tag, latest, create, update, delete, generate notes) and their assets (upload, download)."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from typing import TYPE_CHECKING, Any

from releasekit.sandbox.api import checks
from releasekit.sandbox.api.checks import invalid, parse_id
from releasekit.sandbox.gitstore import MAX_REF_BYTES, ZERO_SHA, GitError, ref_name_ok
from releasekit.sandbox.http import ApiError, Request, Response, not_found, paginate, validation_failed
from releasekit.sandbox.state import Asset, Release

if TYPE_CHECKING:
    from pathlib import Path

    from releasekit.sandbox.app import Sandbox
    from releasekit.sandbox.state import Repo

DOCS = "https://docs.github.com/rest/releases/releases"
DOCS_ASSETS = "https://docs.github.com/rest/releases/assets"


MAX_BODY = 125_000  # "body is too long (maximum is 125000 characters)"
MAX_NAME = 255  # a release's or an asset's name, and a label
MAKE_LATEST = ("true", "false", "legacy")


def safe_asset_name(name: str) -> str:
    """GitHub renames asset files with special characters: each run of them becomes a '.', no leading/trailing '.';
    a name left with nothing before its extension is called `default` (`🎉.pdf` is stored as `default.pdf`,
    `.config` as `default.config`: softprops/action-gh-release#542 and #741 report both from github.com; `..` as
    `default`), so that no asset is ever stored without a name."""

    def clean(part: str) -> str:
        return re.sub(r"[^A-Za-z0-9._+-]+", ".", part).strip(".")

    stem, dot, extension = name.rpartition(".")
    if dot and not clean(stem) and clean(extension):
        return f"default.{clean(extension)}"
    return clean(name) or "default"


def tag_problem(tag: str) -> str | None:
    """Why a release may not have this tag name, in GitHub's words; None when git and GitHub take it."""
    if len(tag.encode("utf-8", "surrogatepass")) > MAX_REF_BYTES - len("refs/tags/"):
        return f"tag_name is too long (maximum is {MAX_REF_BYTES - len('refs/tags/')} bytes)"
    if not tag.strip() or not ref_name_ok(f"refs/tags/{tag}"):
        return "tag_name is not a valid tag"
    return None


def register(hub: Sandbox) -> None:  # noqa: PLR0915 - one closure per endpoint, registered together
    route = hub.router.add
    shapes = hub.shapes
    assets_dir = hub.directory / "assets"

    def asset_file(asset: Asset) -> Path:
        return assets_dir / str(asset.id)

    def release_of(repo: Repo, raw_id: str) -> Release:
        number = parse_id(raw_id)
        release = hub.state.releases.get(number) if number is not None else None
        if release is None or release.repo != repo.full_name:
            raise not_found(f"{DOCS}#get-a-release")
        return release

    def ordered(repo: Repo) -> list[Release]:
        mine = [r for r in hub.state.releases.values() if r.repo == repo.full_name]
        return sorted(mine, key=lambda r: (r.created_at, r.id), reverse=True)

    def ensure_tag(repo: Repo, release: Release, request: Request) -> None:
        """Publishing a release whose tag does not exist creates it at target_commitish, as GitHub does."""
        git = hub.git(repo)
        ref = f"refs/tags/{release.tag_name}"
        if ref in git.refs():
            return
        commit = git.resolve_commit(release.target_commitish)
        if commit is None:
            raise validation_failed("Release", "target_commitish", "invalid", f"{DOCS}#create-a-release")
        try:
            git.update_ref(ref, commit, ZERO_SHA)
        except GitError:  # refused by git after all, or made by a push meanwhile: nothing was changed
            raise invalid("Release", "tag_name", "tag_name is not a valid tag", f"{DOCS}#create-a-release") from None
        hub.engine.on_push(repo, ZERO_SHA, commit, ref, actor=request.login, by_job=request.run_id is not None)

    def published_clash(repo: Repo, tag: str, other_than: int | None = None) -> bool:
        return any(r.tag_name == tag and not r.draft and r.id != other_than for r in ordered(repo))

    def list_releases(request: Request, params: dict[str, str]) -> Response:
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            page, headers = paginate(request, ordered(repo), hub.api_url)
            return Response(200, [shapes.release(repo, r) for r in page], headers)

    def release_fields(body: dict[str, Any], docs: str) -> dict[str, Any]:
        """The fields of a create or update body, typed as GitHub's schema types them (absent ones left out)."""
        out: dict[str, Any] = {}
        for name in ("tag_name", "target_commitish", "make_latest", "discussion_category_name"):
            if name in body:
                out[name] = checks.field(body, name, "string", docs)
        for name in ("name", "body"):
            if name in body:
                out[name] = checks.field(body, name, "string", docs, nullable=True)
        for name in ("draft", "prerelease", "generate_release_notes"):
            if name in body:
                out[name] = checks.field(body, name, "boolean", docs)
        if "tag_name" in out:
            problem = tag_problem(out["tag_name"])
            if problem is not None:
                raise invalid("Release", "tag_name", problem, docs)
        if out.get("target_commitish") is not None:
            checks.too_long("Release", "target_commitish", out["target_commitish"], MAX_REF_BYTES, docs)
        if out.get("name") is not None:
            checks.too_long("Release", "name", out["name"], MAX_NAME, docs)
        if out.get("body") is not None:
            checks.too_long("Release", "body", out["body"], MAX_BODY, docs)
        if "make_latest" in out and out["make_latest"] not in MAKE_LATEST:
            message = f"make_latest must be one of {', '.join(MAKE_LATEST)}"
            raise invalid("Release", "make_latest", message, docs, code="invalid")
        return out

    def create(request: Request, params: dict[str, str]) -> Response:
        body = checks.json_body(request)
        docs = f"{DOCS}#create-a-release"
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            if not body.get("tag_name"):
                raise validation_failed("Release", "tag_name", "missing_field", docs)
            given = release_fields(body, docs)
            tag = given["tag_name"]
            draft = bool(given.get("draft", False))
            if published_clash(repo, tag):
                raise validation_failed("Release", "tag_name", "already_exists", docs)
            now = hub.clock.now()
            target = given.get("target_commitish") or repo.default_branch
            text = given.get("body")
            if given.get("generate_release_notes"):
                notes = generate(repo, tag, target, None)["body"]
                text = f"{text}\n\n{notes}" if text else notes
            release = Release(
                id=hub.state.new_id(),
                repo=repo.full_name,
                tag_name=tag,
                target_commitish=target,
                name=given.get("name"),
                body=text,
                draft=draft,
                prerelease=bool(given.get("prerelease", False)),
                created_at=now,
                published_at=None if draft else now,
                updated_at=now,
                author=request.login,
                untagged=f"untagged-{secrets.token_hex(10)}",
            )
            if not draft:
                ensure_tag(repo, release, request)
            hub.state.releases[release.id] = release
            hub.touch()
            answer = shapes.release(repo, release)
            return Response(201, answer, {"Location": answer["url"]})

    def get_release(request: Request, params: dict[str, str]) -> Response:
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            return Response(200, shapes.release(repo, release_of(repo, params["id"])))

    def latest(request: Request, params: dict[str, str]) -> Response:
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            for release in ordered(repo):
                if not release.draft and not release.prerelease:
                    return Response(200, shapes.release(repo, release))
            raise not_found(f"{DOCS}#get-the-latest-release")

    def by_tag(request: Request, params: dict[str, str]) -> Response:
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            for release in ordered(repo):  # drafts have no tag yet: GitHub finds only published releases here
                if release.tag_name == params["tag"] and not release.draft:
                    return Response(200, shapes.release(repo, release))
            raise not_found(f"{DOCS}#get-a-release-by-tag-name")

    def update(request: Request, params: dict[str, str]) -> Response:
        body = checks.json_body(request)
        docs = f"{DOCS}#update-a-release"
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            release = release_of(repo, params["id"])
            given = release_fields(body, docs)
            tag = given.get("tag_name", release.tag_name)
            draft = given.get("draft", release.draft)
            if not draft and published_clash(repo, tag, other_than=release.id):
                raise validation_failed("Release", "tag_name", "already_exists", docs)
            # The tag first (publishing a draft, or naming a published release's new tag makes it, as on GitHub):
            # when git refuses it, the release is left exactly as it was.
            if not draft:
                before = (release.tag_name, release.target_commitish)
                release.tag_name = tag
                release.target_commitish = given.get("target_commitish") or release.target_commitish
                try:
                    ensure_tag(repo, release, request)
                except ApiError:
                    release.tag_name, release.target_commitish = before
                    raise
                if release.draft:
                    release.published_at = hub.clock.now()
            for key in ("name", "body"):
                if key in given:
                    setattr(release, key, given[key])
            if "prerelease" in given:
                release.prerelease = given["prerelease"]
            if given.get("target_commitish"):
                release.target_commitish = given["target_commitish"]
            release.tag_name = tag
            release.draft = draft
            release.updated_at = hub.clock.now()
            hub.touch()
            return Response(200, shapes.release(repo, release))

    def delete(request: Request, params: dict[str, str]) -> Response:
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            release = release_of(repo, params["id"])
            for asset in release.assets:
                asset_file(asset).unlink(missing_ok=True)
            del hub.state.releases[release.id]
            hub.touch()
            return Response(204)

    def generate(repo: Repo, tag: str, target: str, previous: str | None) -> dict[str, str]:
        git = hub.git(repo)
        head = git.resolve_commit(f"refs/tags/{tag}") or git.resolve_commit(target)
        if previous is None and head is not None:
            candidates = [(date, name) for name, sha, date in git.tags() if name != tag and git.is_ancestor(sha, head)]
            previous = max(candidates)[1] if candidates else None
        web = f"{hub.api_url}/{repo.full_name}"
        # The sandbox has no pull requests, so, like GitHub for a repository without any, it lists none.
        link = f"{web}/compare/{previous}...{tag}" if previous else f"{web}/commits/{tag}"
        return {"name": tag, "body": f"**Full Changelog**: {link}"}

    def generate_notes(request: Request, params: dict[str, str]) -> Response:
        body = checks.json_body(request)
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            docs = f"{DOCS}#generate-release-notes-content-for-a-release"
            if not body.get("tag_name"):
                raise validation_failed("Release", "tag_name", "missing_field", docs)
            tag = checks.field(body, "tag_name", "string", docs)
            previous = checks.field(body, "previous_tag_name", "string", docs)
            target = checks.field(body, "target_commitish", "string", docs) or repo.default_branch
            checks.field(body, "configuration_file_path", "string", docs)
            problem = tag_problem(tag)
            if problem is not None:
                raise invalid("Release", "tag_name", problem, docs)
            if previous is not None and f"refs/tags/{previous}" not in hub.git(repo).refs():
                raise not_found(docs)
            return Response(200, generate(repo, tag, target, previous))

    # -- assets -------------------------------------------------------------------------------------------------

    def find_asset(repo: Repo, raw_id: str) -> tuple[Release, Asset]:
        number = parse_id(raw_id)
        found = hub.state.asset(number) if number is not None else None
        if found is None or found[0].repo != repo.full_name:
            raise not_found(f"{DOCS_ASSETS}#get-a-release-asset")
        return found

    def list_assets(request: Request, params: dict[str, str]) -> Response:
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            release = release_of(repo, params["id"])
            page, headers = paginate(request, list(release.assets), hub.api_url)
            return Response(200, [shapes.asset(repo, release, a) for a in page], headers)

    def get_asset(request: Request, params: dict[str, str]) -> Response:
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            release, asset = find_asset(repo, params["id"])
            answer = shapes.asset(repo, release, asset)
            if "application/octet-stream" in (request.headers.get("Accept") or ""):
                return Response(302, b"", {"Location": answer["browser_download_url"]})
            return Response(200, answer)

    def update_asset(request: Request, params: dict[str, str]) -> Response:
        body = checks.json_body(request)
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            release, asset = find_asset(repo, params["id"])
            docs = f"{DOCS_ASSETS}#update-a-release-asset"
            name = checks.field(body, "name", "string", docs)
            label = checks.field(body, "label", "string", docs)
            checks.field(body, "state", "string", docs)
            if name is not None:
                name = safe_asset_name(name)
                checks.too_long("ReleaseAsset", "name", name, MAX_NAME, docs)
                if any(a.name == name and a is not asset for a in release.assets):
                    raise validation_failed("ReleaseAsset", "name", "already_exists", docs)
                asset.name = name
            if label is not None:
                checks.too_long("ReleaseAsset", "label", label, MAX_NAME, docs)
                asset.label = label
            asset.updated_at = hub.clock.now()
            hub.touch()
            return Response(200, shapes.asset(repo, release, asset))

    def delete_asset(request: Request, params: dict[str, str]) -> Response:
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            release, asset = find_asset(repo, params["id"])
            release.assets.remove(asset)
            asset_file(asset).unlink(missing_ok=True)
            hub.touch()
            return Response(204)

    def upload(request: Request, params: dict[str, str]) -> Response:
        docs = f"{DOCS_ASSETS}#upload-a-release-asset"
        raw_name = request.param("name")
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            release_of(repo, params["id"])
        if not raw_name:
            request.drain()
            raise validation_failed("ReleaseAsset", "name", "missing_field", docs)
        name = safe_asset_name(raw_name)
        label = request.param("label") or None
        for field_name, value in (("name", name), ("label", label or "")):
            if len(value) > MAX_NAME:
                request.drain()
                checks.too_long("ReleaseAsset", field_name, value, MAX_NAME, docs)
        # Stream to disk while hashing: a 1 GiB asset never sits in memory.
        assets_dir.mkdir(parents=True, exist_ok=True)
        part = assets_dir / f"upload-{uuid.uuid4().hex}.part"
        digest, size = hashlib.sha256(), 0
        try:
            with part.open("wb") as out:
                for chunk in request.body_stream():
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        request.drain()
        with hub.state.lock:
            release = release_of(repo, params["id"])
            if any(a.name == name for a in release.assets):
                part.unlink(missing_ok=True)
                raise validation_failed("ReleaseAsset", "name", "already_exists", docs)
            now = hub.clock.now()
            asset = Asset(
                id=hub.state.new_id(),
                release_id=release.id,
                name=name,
                label=label,
                content_type=request.headers.get("Content-Type") or "application/octet-stream",
                size=size,
                digest=f"sha256:{digest.hexdigest()}",
                created_at=now,
                updated_at=now,
                uploader=request.login,
            )
            part.replace(asset_file(asset))
            release.assets.append(asset)
            hub.touch()
            return Response(201, shapes.asset(repo, release, asset))

    def download(request: Request, params: dict[str, str]) -> Response:
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            for release in ordered(repo):
                shown = release.untagged if release.draft else release.tag_name
                if shown != params["tag"]:
                    continue
                if release.draft:
                    hub.authenticate(request)  # a draft's files are only for those who can see the draft
                for asset in release.assets:
                    if asset.name == params["name"]:
                        asset.download_count += 1
                        hub.touch()
                        return Response(200, stream=asset_file(asset), content_type="application/octet-stream")
            raise not_found()

    route("GET", "/repos/{owner}/{repo}/releases", list_releases)
    route("POST", "/repos/{owner}/{repo}/releases", create)
    route("GET", "/repos/{owner}/{repo}/releases/latest", latest)
    route("GET", "/repos/{owner}/{repo}/releases/tags/{tag*}", by_tag)
    route("POST", "/repos/{owner}/{repo}/releases/generate-notes", generate_notes)
    route("GET", "/repos/{owner}/{repo}/releases/assets/{id}", get_asset)
    route("PATCH", "/repos/{owner}/{repo}/releases/assets/{id}", update_asset)
    route("DELETE", "/repos/{owner}/{repo}/releases/assets/{id}", delete_asset)
    route("GET", "/repos/{owner}/{repo}/releases/{id}", get_release)
    route("PATCH", "/repos/{owner}/{repo}/releases/{id}", update)
    route("DELETE", "/repos/{owner}/{repo}/releases/{id}", delete)
    route("GET", "/repos/{owner}/{repo}/releases/{id}/assets", list_assets)
    route("POST", "/api/uploads/repos/{owner}/{repo}/releases/{id}/assets", upload)
    route("GET", "/{owner}/{repo}/releases/download/{tag*}/{name}", download)
