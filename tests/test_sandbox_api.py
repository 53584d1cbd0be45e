"""The sandbox's REST API driven by PyGithub (only base_url differs from github.com) and by raw HTTP."""

from __future__ import annotations

import hashlib
import json
import socket
from pathlib import Path

import pytest
from github import GithubException, InputGitAuthor, UnknownObjectException
from sandbox_scene import api, git_output, host, make_project, push

from releasekit.sandbox.app import Sandbox


@pytest.fixture
def scene(github_sandbox: Sandbox, tmp_path: Path) -> tuple[Sandbox, Path]:
    root = make_project(tmp_path / "demo")
    host(github_sandbox, root)
    return github_sandbox, root


def test_repository_user_and_rate_limit(scene: tuple[Sandbox, Path]) -> None:
    hub, _ = scene
    gh = hub.github()
    repo = gh.get_repo("acme/demo")
    assert (repo.full_name, repo.default_branch, repo.permissions.push) == ("acme/demo", "main", True)
    assert repo.clone_url == hub.remote_url("acme/demo")
    assert gh.get_user().login == "sandbox-user"
    core = gh.get_rate_limit().resources.core
    assert core.limit == 5000
    assert core.remaining == 5000 - core.used


def test_tags_commits_and_refs(scene: tuple[Sandbox, Path]) -> None:
    hub, root = scene
    repo = hub.github().get_repo("acme/demo")
    head = git_output(root, "rev-parse", "HEAD")
    assert [t.name for t in repo.get_tags()] == ["v1.0.0"]
    commit = repo.get_commit("main")
    assert (commit.sha, commit.commit.message) == (head, "fix: second")
    assert next(c.sha for c in repo.get_commits()) == head
    ref = repo.get_git_ref("heads/main")
    assert (ref.ref, ref.object.sha, ref.object.type) == ("refs/heads/main", head, "commit")
    assert [r.ref for r in repo.get_git_matching_refs("tags/v1")] == ["refs/tags/v1.0.0"]
    with pytest.raises(UnknownObjectException):
        repo.get_git_ref("heads/nope")


def test_git_ref_writes_follow_github_rules(scene: tuple[Sandbox, Path]) -> None:
    hub, root = scene
    repo = hub.github().get_repo("acme/demo")
    head = git_output(root, "rev-parse", "HEAD")
    first = git_output(root, "rev-parse", "HEAD~1")
    branch = repo.create_git_ref("refs/heads/topic", first)
    assert branch.object.sha == first
    with pytest.raises(GithubException) as exists:
        repo.create_git_ref("refs/heads/topic", head)
    assert (exists.value.status, exists.value.data["message"]) == (422, "Reference already exists")
    with pytest.raises(GithubException) as missing:
        repo.create_git_ref("refs/heads/other", "0" * 40)
    assert missing.value.data["message"] == "Object does not exist"
    branch.edit(head)  # a fast forward
    assert repo.get_git_ref("heads/topic").object.sha == head
    with pytest.raises(GithubException) as backwards:
        branch.edit(first)
    assert backwards.value.data["message"] == "Update is not a fast forward"
    branch.edit(first, force=True)
    assert git_output(Path(hub.remote_url("acme/demo")), "rev-parse", "refs/heads/topic") == first
    branch.delete()
    assert "refs/heads/topic" not in git_output(Path(hub.remote_url("acme/demo")), "for-each-ref")


def test_annotated_tag_objects(scene: tuple[Sandbox, Path]) -> None:
    hub, root = scene
    repo = hub.github().get_repo("acme/demo")
    head = git_output(root, "rev-parse", "HEAD")
    tagger = InputGitAuthor("Rel Eng", "releng@example.invalid", "2026-11-24T10:00:00Z")
    tag = repo.create_git_tag("v1.1.0", "Release 1.1.0\n", head, "commit", tagger)
    assert (tag.tag, tag.object.sha, tag.tagger.name, tag.message) == ("v1.1.0", head, "Rel Eng", "Release 1.1.0\n")
    assert repo.get_git_tag(tag.sha).verification.reason == "unsigned"
    repo.create_git_ref("refs/tags/v1.1.0", tag.sha)
    git_dir = Path(hub.remote_url("acme/demo"))
    assert git_output(git_dir, "cat-file", "-t", "v1.1.0") == "tag"
    assert git_output(git_dir, "rev-parse", "v1.1.0^{commit}") == head


def test_statuses_and_check_runs_for_a_ref(scene: tuple[Sandbox, Path]) -> None:
    hub, root = scene
    repo = hub.github().get_repo("acme/demo")
    head = git_output(root, "rev-parse", "HEAD")
    assert repo.get_commit(head).get_combined_status().state == "pending"  # no statuses yet, as on GitHub
    repo.get_commit(head).create_status("success", context="lint")
    repo.get_commit(head).create_status("failure", context="docs")
    combined = repo.get_commit(head).get_combined_status()
    assert (combined.state, combined.total_count) == ("failure", 2)
    repo.get_commit(head).create_status("success", context="docs")  # the newest status of a context counts
    assert repo.get_commit(head).get_combined_status().state == "success"
    (root / "x.txt").write_text("x")
    git_output(root, "add", "x.txt")
    git_output(root, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "x")
    push(root, "main")  # CI runs for main; its jobs are the commit's check runs
    hub.wait_for(lambda: any(r.status == "completed" for r in hub.runs("acme/demo")), what="the CI run")
    pushed = git_output(root, "rev-parse", "HEAD")
    runs = repo.get_commit(pushed).get_check_runs()
    assert runs.totalCount == 4
    assert {r.name for r in runs} == {
        "test (ubuntu-24.04, 3.12)",
        "test (ubuntu-24.04, 3.13)",
        "test (windows-2025, 3.12)",
        "test (windows-2025, 3.13)",
    }


def test_release_lifecycle_with_assets(scene: tuple[Sandbox, Path], tmp_path: Path) -> None:
    hub, root = scene
    repo = hub.github().get_repo("acme/demo")
    draft = repo.create_git_release("v1.1.0", "1.1.0", "notes", draft=True)
    assert draft.draft and "untagged-" in draft.html_url
    with pytest.raises(UnknownObjectException):
        repo.get_release("v1.1.0")  # GitHub finds only published releases by tag
    wheel = tmp_path / "demo-1.1.0-py3-none-any.whl"
    wheel.write_bytes(b"wheel bytes" * 1000)
    asset = draft.upload_asset(str(wheel), label="the wheel")
    assert (asset.name, asset.size, asset.label) == (wheel.name, 11000, "the wheel")
    assert asset.digest == "sha256:" + hashlib.sha256(wheel.read_bytes()).hexdigest()
    with pytest.raises(GithubException) as duplicate:
        draft.upload_asset(str(wheel))
    assert duplicate.value.status == 422
    assert duplicate.value.data["errors"][0] == {"resource": "ReleaseAsset", "code": "already_exists", "field": "name"}
    assert "refs/tags/v1.1.0" not in git_output(Path(hub.remote_url("acme/demo")), "for-each-ref")
    published = draft.update_release("1.1.0", "notes", draft=False)
    assert published.published_at is not None
    # Publishing created the tag at target_commitish (main), as GitHub does.
    assert git_output(Path(hub.remote_url("acme/demo")), "rev-parse", "v1.1.0") == git_output(root, "rev-parse", "HEAD")
    assert repo.get_latest_release().tag_name == "v1.1.0"
    assert repo.get_release("v1.1.0").id == published.id
    [listed] = list(published.get_assets())
    download = api(
        hub, "GET", f"/repos/acme/demo/releases/assets/{listed.id}", headers={"Accept": "application/octet-stream"}
    )
    assert download.content == wheel.read_bytes()  # via the 302 to browser_download_url
    assert download.history[0].status_code == 302
    listed.delete_asset()
    assert list(repo.get_release(published.id).get_assets()) == []
    published.delete_release()
    with pytest.raises(UnknownObjectException):
        repo.get_release(published.id)


def test_release_for_a_published_tag_twice_is_refused(scene: tuple[Sandbox, Path]) -> None:
    hub, _ = scene
    repo = hub.github().get_repo("acme/demo")
    repo.create_git_release("v1.0.0", "1.0.0", "")
    with pytest.raises(GithubException) as twice:
        repo.create_git_release("v1.0.0", "again", "")
    assert twice.value.data["errors"] == [{"resource": "Release", "code": "already_exists", "field": "tag_name"}]


def test_generate_release_notes_name_the_range(scene: tuple[Sandbox, Path]) -> None:
    hub, root = scene
    repo = hub.github().get_repo("acme/demo")
    push(root, "main")
    notes = repo.generate_release_notes("v1.1.0", target_commitish="main")
    assert notes.name == "v1.1.0"
    assert notes.body == f"**Full Changelog**: {hub.api_url}/acme/demo/compare/v1.0.0...v1.1.0"


def test_authentication_and_error_shapes(scene: tuple[Sandbox, Path]) -> None:
    hub, _ = scene
    none = api(hub, "GET", "/repos/acme/demo", token=None)
    assert none.status_code == 401
    assert none.json()["message"] == "Requires authentication"
    bad = api(hub, "GET", "/repos/acme/demo", token="rks_" + "0" * 40)
    assert (bad.status_code, bad.json()["message"], bad.json()["status"]) == (401, "Bad credentials", "401")
    missing = api(hub, "GET", "/repos/acme/nope")
    assert (missing.status_code, missing.json()["message"]) == (404, "Not Found")
    assert missing.json()["documentation_url"].startswith("https://docs.github.com/rest")
    broken = api(hub, "POST", "/repos/acme/demo/git/refs", data="{not json")
    assert (broken.status_code, broken.json()["message"]) == (400, "Problems parsing JSON")


def test_pagination_follows_link_headers(scene: tuple[Sandbox, Path]) -> None:
    hub, root = scene
    for n in range(35):
        git_output(root, "tag", f"t{n:02d}")
    push(root, "--tags")
    repo = hub.github(per_page=10).get_repo("acme/demo")
    tags = repo.get_tags()
    assert tags.totalCount == 36
    assert len({t.name for t in tags}) == 36
    first = api(hub, "GET", "/repos/acme/demo/tags?per_page=10")
    assert 'rel="next"' in first.headers["Link"] and "page=4" in first.headers["Link"]


def test_etag_304_is_not_charged(scene: tuple[Sandbox, Path]) -> None:
    hub, _ = scene
    first = api(hub, "GET", "/repos/acme/demo")
    etag, remaining = first.headers["ETag"], int(first.headers["x-ratelimit-remaining"])
    again = api(hub, "GET", "/repos/acme/demo", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert int(again.headers["x-ratelimit-remaining"]) == remaining
    assert again.headers["ETag"] == etag
    changed = api(hub, "GET", "/repos/acme/demo", headers={"If-None-Match": 'W/"other"'})
    assert changed.status_code == 200
    assert int(changed.headers["x-ratelimit-remaining"]) == remaining - 1
    # PyGithub's conditional update() sees "not modified".
    repo = hub.github().get_repo("acme/demo")
    assert repo.update() is False
    assert hub.requests("GET", "/repos/acme/demo")[-1]["status"] == 304


def test_rate_limit_exhausted_answers_403_then_429_with_retry_after(scene: tuple[Sandbox, Path]) -> None:
    hub, _ = scene
    hub.limits.set("user", remaining=1)
    assert api(hub, "GET", "/repos/acme/demo").status_code == 200
    limited = api(hub, "GET", "/repos/acme/demo")
    assert limited.status_code == 403
    assert limited.headers["x-ratelimit-remaining"] == "0"
    assert 0 < int(limited.headers["retry-after"]) <= 3600
    assert limited.json()["message"].startswith("API rate limit exceeded")
    assert api(hub, "GET", "/rate_limit").status_code == 200  # never limited, never charged
    hub.limits.status = 429
    assert api(hub, "GET", "/repos/acme/demo").status_code == 429
    hub.clock.advance(3601)  # the window resets
    assert api(hub, "GET", "/repos/acme/demo").status_code == 200


def test_faults_answer_a_status_drop_or_hang_for_the_next_n_matching_requests(scene: tuple[Sandbox, Path]) -> None:
    hub, _ = scene
    hub.fault("POST", "/repos/*/releases", status=502, count=2)
    for _ in range(2):
        assert api(hub, "POST", "/repos/acme/demo/releases", json={"tag_name": "v9"}).status_code == 502
    assert api(hub, "GET", "/repos/acme/demo").status_code == 200  # other requests are untouched
    assert api(hub, "POST", "/repos/acme/demo/releases", json={"tag_name": "v9"}).status_code == 201
    hub.fault("GET", "/repos/acme/demo", action="drop")
    with pytest.raises(Exception, match=r"Connection aborted|RemoteDisconnected|ConnectionError"):
        api(hub, "GET", "/repos/acme/demo")
    hub.fault("GET", "/user", action="hang", seconds=2)
    with pytest.raises(Exception, match=r"timed out|Timeout"):
        _timeout_get(hub, "/user", 0.3)
    faults = [e for e in hub.requests() if "fault" in e]
    assert [e["fault"] for e in faults] == ["status", "status", "drop", "hang"]


def _timeout_get(hub: Sandbox, path: str, timeout: float) -> None:
    import requests

    requests.get(hub.api_url + path, headers={"Authorization": f"token {hub.token}"}, timeout=timeout)


def test_request_log_redacts_the_token(scene: tuple[Sandbox, Path]) -> None:
    hub, _ = scene
    hub.github().get_repo("acme/demo").get_releases().totalCount  # noqa: B018 - the request is the point
    api(hub, "POST", "/repos/acme/demo/releases", json={"tag_name": "v2.0.0", "draft": True})
    text = (hub.directory / "requests.jsonl").read_text()
    assert hub.token not in text
    entries = [json.loads(line) for line in text.splitlines()]
    assert {e["authorization"] for e in entries} == {"token ***"}
    post = next(e for e in entries if e["method"] == "POST")
    assert post["body"] == {"tag_name": "v2.0.0", "draft": True}
    assert post["status"] == 201 and post["charged"] is True


def test_upload_streams_a_large_asset_from_a_generator(scene: tuple[Sandbox, Path]) -> None:
    hub, _ = scene
    release = hub.github().get_repo("acme/demo").create_git_release("v3.0.0", "3", "", draft=True)
    url = release.upload_url.split("{")[0] + "?name=big.bin"
    chunk = b"\x00" * (1 << 20)
    digest = hashlib.sha256()
    for _ in range(16):
        digest.update(chunk)
    answer = api(hub, "POST", url.replace(hub.api_url, ""), data=(chunk for _ in range(16)))  # chunked encoding
    assert answer.status_code == 201
    assert (answer.json()["size"], answer.json()["digest"]) == (16 << 20, "sha256:" + digest.hexdigest())


def test_sandbox_answers_on_loopback_only_by_default(github_sandbox: Sandbox) -> None:
    assert github_sandbox.api_url.startswith("http://127.0.0.1:")
    with socket.create_connection(("127.0.0.1", github_sandbox.port), timeout=2):
        pass


def test_the_control_api_scripts_faults_limits_and_log(scene: tuple[Sandbox, Path]) -> None:
    hub, _ = scene
    rules = {"rules": [{"workflow": "release-full.yml", "job": "publish", "conclusion": "failure"}]}
    assert api(hub, "POST", "/_sandbox/script", json=rules).status_code == 201
    bad = api(hub, "POST", "/_sandbox/script", json={"job": "x", "conclusion": "exploded"})
    assert (bad.status_code, bad.json()["message"]) == (
        422,
        "bad script rule: script conclusion must be one of success, failure, cancelled, not 'exploded'",
    )
    assert len(hub.engine.rules) == 1
    assert api(hub, "DELETE", "/_sandbox/script").status_code == 204 and hub.engine.rules == []
    fault = {"method": "GET", "path": "/repos/acme/demo", "status": 503, "count": 1}
    assert api(hub, "POST", "/_sandbox/faults", json=fault).status_code == 201
    assert api(hub, "GET", "/repos/acme/demo").status_code == 503
    assert api(hub, "POST", "/_sandbox/faults", json={"action": "explode"}).status_code == 422
    limited = api(hub, "POST", "/_sandbox/rate_limit", json={"remaining": 0, "status": 429})
    assert limited.json()["remaining"] == 0
    assert api(hub, "GET", "/repos/acme/demo").status_code == 429
    log = api(hub, "GET", "/_sandbox/requests?method=GET&path=/repos/acme/demo").json()
    assert [e["status"] for e in log] == [503, 429]
    overview = api(hub, "GET", "/_sandbox").json()
    assert overview["repos"] == [
        {"full_name": "acme/demo", "remote": hub.remote_url("acme/demo"), "default_branch": "main"}
    ]
    assert api(hub, "GET", "/_sandbox", token=None).status_code == 401  # the control API needs the token too
