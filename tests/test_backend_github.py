"""The GitHub client against the sandbox over real HTTP: reads retried, writes verified and never sent twice."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import git

from releasekit.backends.github import GitHub, GitHubError, TokenRejected, Unreachable, credentials, redact
from releasekit.sandbox.app import Sandbox

REPO = "octo/app"


@pytest.fixture
def hub(sandbox_factory: Callable[..., Sandbox], tmp_path: Path) -> Sandbox:
    sandbox = sandbox_factory()
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    (work / "README.md").write_text("app\n")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "init")
    git(work, "tag", "-a", "v1.0.0", "-m", "1.0.0")
    sandbox.create_repo(REPO, seed=work)
    return sandbox


def client(hub: Sandbox, **options: object) -> GitHub:
    return GitHub(REPO, url=hub.api_url, token=hub.token, sleep=lambda _s: None, **options)  # type: ignore[arg-type]


def test_credentials_order_and_redaction() -> None:
    assert credentials({"GH_TOKEN": "b" * 10}) == credentials({"GITHUB_TOKEN": "", "GH_TOKEN": "b" * 10})
    found = credentials({"GITHUB_TOKEN": "a" * 10, "GH_TOKEN": "b" * 10})
    assert found is not None and found.source == "GITHUB_TOKEN"
    assert credentials({}) is None
    assert redact("token is " + "a" * 10, {"GITHUB_TOKEN": "a" * 10}) == "token is ***"


def test_reads_retry_transient_errors(hub: Sandbox) -> None:
    hub.fault("GET", f"/repos/{REPO}", status=502, count=2)
    gh = client(hub)
    assert gh.repo().can_push
    assert gh.requests["GET"] == 3


def test_reads_give_up_with_a_clear_error(hub: Sandbox) -> None:
    hub.fault("GET", f"/repos/{REPO}", action="drop", count=10)
    with pytest.raises(Unreachable, match=r"no answer from the GitHub API at http://127\.0\.0\.1:\d+ after 4 attempts"):
        client(hub).repo()


def test_rate_limit_longer_than_the_wait_is_reported(hub: Sandbox) -> None:
    hub.limits.set("user", remaining=0)
    with pytest.raises(GitHubError, match="rate limit is exhausted until"):
        client(hub, max_wait=1.0).repo()


def test_rejected_token(hub: Sandbox) -> None:
    gh = GitHub(REPO, url=hub.api_url, token="ghp_" + "0" * 36, sleep=lambda _s: None)
    with pytest.raises(TokenRejected, match="GitHub rejected the token") as info:
        gh.repo()
    assert "0" * 36 not in str(info.value)


def test_unchanged_polls_are_free(hub: Sandbox) -> None:
    gh = client(hub)
    gh.get("/releases", what="listing")
    gh.get("/releases", what="listing")
    last = hub.requests("GET", f"/repos/{REPO}/releases")[-1]
    assert last["status"] == 304 and last["charged"] is False


def test_a_write_whose_answer_is_lost_is_not_sent_again(hub: Sandbox) -> None:
    hub.fault("POST", f"/repos/{REPO}/releases", action="drop-after")
    gh = client(hub)
    release = gh.create_release("v1.0.0", name="v1.0.0", body="notes", prerelease=False)
    assert release.draft and release.tag_name == "v1.0.0"
    assert len(hub.requests("POST", f"/repos/{REPO}/releases")) == 1
    assert len(hub.state.releases) == 1


def test_a_write_that_did_not_happen_is_sent_again(hub: Sandbox) -> None:
    hub.fault("POST", f"/repos/{REPO}/releases", action="drop")
    gh = client(hub)
    gh.create_release("v1.0.0", name="v1.0.0", body="notes", prerelease=False)
    assert len(hub.requests("POST", f"/repos/{REPO}/releases")) == 2
    assert len(hub.state.releases) == 1


def test_an_upload_whose_answer_is_lost_is_found_not_resent(hub: Sandbox, tmp_path: Path) -> None:
    gh = client(hub)
    release = gh.create_release("v1.0.0", name="v1.0.0", body="", prerelease=False)
    asset = tmp_path / "app.tar.gz"
    asset.write_bytes(b"x" * 100_000)
    digest = "sha256:" + hashlib.sha256(asset.read_bytes()).hexdigest()
    hub.fault("POST", "/api/uploads/*", action="drop-after")
    uploaded = gh.upload_asset(release, asset, "app.tar.gz", digest)
    assert uploaded.name == "app.tar.gz" and uploaded.digest == digest
    assert len(hub.requests("POST", "/api/uploads/*")) == 1


def test_refused_writes_are_not_retried(hub: Sandbox) -> None:
    gh = client(hub)
    with pytest.raises(GitHubError, match="422"):
        gh.create_release("", name="x", body="", prerelease=False)
    assert len(hub.requests("POST", f"/repos/{REPO}/releases")) == 1


def test_release_for_tag_finds_drafts(hub: Sandbox) -> None:
    gh = client(hub)
    assert gh.release_for_tag("v1.0.0") is None
    gh.create_release("v1.0.0", name="v1.0.0", body="", prerelease=False)
    found = gh.release_for_tag("v1.0.0")
    assert found is not None and found.draft
    assert gh.tag_object("v1.0.0") is not None
    assert gh.tag_object("v9.9.9") is None


def test_github_enterprise_server_urls(hub: Sandbox, tmp_path: Path) -> None:
    """GHES serves the API under /api/v3 (GITHUB_API_URL=https://HOST/api/v3); uploads go to /api/uploads."""
    gh = GitHub(REPO, url=hub.api_url + "/api/v3", token=hub.token, sleep=lambda _s: None)
    assert gh.repo().full_name == REPO
    release = gh.create_release("v1.0.0", name="v1.0.0", body="", prerelease=False)
    asset = tmp_path / "notes.txt"
    asset.write_text("hello\n")
    digest = "sha256:" + hashlib.sha256(asset.read_bytes()).hexdigest()
    assert gh.upload_asset(release, asset, "notes.txt", digest).digest == digest
    assert gh.update_release(release, draft=False).draft is False


def test_retry_after_is_honoured(hub: Sandbox) -> None:
    hub.fault("GET", f"/repos/{REPO}", status=429, headers={"retry-after": "2"})
    waits: list[float] = []
    gh = GitHub(REPO, url=hub.api_url, token=hub.token, sleep=waits.append)
    assert gh.repo().full_name == REPO
    assert waits == [2.0]
