"""Lists longer than a page, read whole: the client follows `Link: rel="next"`, the sandbox pages like GitHub.

A red check run or a failing status on page 2 must stop a release as surely as one on page 1; a release's assets,
a run's jobs, the workflows and the releases searched by tag are read to the last page, at 100 a page.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

import pytest
import requests
from conftest import git

from releasekit.backends import actions
from releasekit.backends.git import Status
from releasekit.backends.github import GitHub, GitHubError, next_page
from releasekit.github_rules import MAX_PER_PAGE
from releasekit.sandbox.app import Sandbox
from releasekit.steps.preflight import Context, Options, Verdict, ci_green

REPO = "octo/app"
MANY = MAX_PER_PAGE + 5  # one full page and a few on the next


def make_hub(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path, files: dict[str, str] | None = None
) -> tuple[Sandbox, str]:
    """A sandbox (jobs finish at once) hosting REPO, seeded from a one-commit repository holding `files`; and the
    commit's SHA."""
    hub = sandbox_factory(queue_seconds=0, job_seconds=0)
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    (work / "README.md").write_text("app\n")
    for name, text in (files or {}).items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(text)
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "init")
    hub.create_repo(REPO, seed=work)
    return hub, git(work, "rev-parse", "HEAD")


def client(hub: Sandbox) -> GitHub:
    return GitHub(REPO, url=hub.api_url, token=hub.token, sleep=lambda _s: None)


def ci_verdict(gh: GitHub, sha: str) -> Verdict:
    """The release's CI check on `sha`: ci_green reads only the head, the options and the client."""
    unused = cast(Any, None)
    ctx = Context(unused, unused, Status("main", sha, ()), unused, lambda: gh, Options())
    return ci_green(ctx)


def get_requests(hub: Sandbox, path: str) -> list[dict[str, Any]]:
    return hub.requests("GET", f"/repos/{REPO}{path}")


def raw_get(hub: Sandbox, url: str, **params: int) -> requests.Response:
    """One page as the sandbox sends it (`url`: a path under the repository, or a `Link` URL)."""
    full = url if url.startswith("http") else f"{hub.api_url}/repos/{REPO}{url}"
    return requests.get(full, params=params, headers={"Authorization": f"token {hub.token}"}, timeout=10)


def matrix_workflow(jobs: int) -> str:
    values = ", ".join(str(n) for n in range(1, jobs + 1))
    return (
        "name: CI\non: workflow_dispatch\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
        f"    strategy:\n      matrix:\n        n: [{values}]\n    steps:\n      - run: echo ${{{{ matrix.n }}}}\n"
    )


@pytest.fixture
def matrix_run(sandbox_factory: Callable[..., Sandbox], tmp_path: Path) -> tuple[Sandbox, int, str]:
    """A finished Actions run of MANY matrix jobs on main's head, the last of them (page 2) failed: MANY check runs."""
    hub, sha = make_hub(sandbox_factory, tmp_path, {".github/workflows/ci.yml": matrix_workflow(MANY)})
    hub.script(workflow="ci.yml", job=f"test ({MANY})", conclusion="failure")
    hub.github().get_repo(REPO).get_workflow("ci.yml").create_dispatch("main")
    [run] = hub.wait_for(
        lambda: [r for r in hub.runs(REPO) if r.status == "completed"], what="the matrix run to finish"
    )
    assert len(run.jobs) == MANY and run.head_sha == sha
    return hub, run.id, sha


def test_a_red_check_run_on_page_2_blocks_the_release(matrix_run: tuple[Sandbox, int, str]) -> None:
    hub, _, sha = matrix_run
    gh = client(hub)
    verdict = ci_verdict(gh, sha)
    assert not verdict.ok
    assert verdict.detail.startswith(f"1 failed on {sha[:12]}: test ({MANY}) (failure) http")
    # Two pages of check runs at 100 a page, one of statuses (there are none).
    pages = get_requests(hub, f"/commits/{sha}/check-runs")
    assert [p["query"] for p in pages] == ["filter=latest&per_page=100", "filter=latest&page=2&per_page=100"]
    assert len(get_requests(hub, f"/commits/{sha}/status")) == 1
    assert len(gh.checks(sha)) == MANY
    # Page 1 alone is all green: reading only it is the bug this guards against.
    first = raw_get(hub, f"/commits/{sha}/check-runs", per_page=MAX_PER_PAGE).json()
    assert first["total_count"] == MANY
    assert {r["conclusion"] for r in first["check_runs"]} == {"success"}


def test_the_jobs_of_a_run_are_read_whole(matrix_run: tuple[Sandbox, int, str]) -> None:
    hub, run_id, _ = matrix_run
    jobs = actions.jobs(client(hub), run_id)
    assert [j.name for j in jobs] == [f"test ({n})" for n in range(1, MANY + 1)]
    assert [j.name for j in jobs if j.failed] == [f"test ({MANY})"]
    assert len(get_requests(hub, f"/actions/runs/{run_id}/jobs")) == 2


def test_polling_every_page_of_an_unchanged_list_is_free(matrix_run: tuple[Sandbox, int, str]) -> None:
    """A watch polls the jobs: each page is asked again with its ETag, and an unchanged one costs nothing."""
    hub, run_id, _ = matrix_run
    gh = client(hub)
    first = actions.jobs(gh, run_id)
    assert actions.jobs(gh, run_id) == first
    again = get_requests(hub, f"/actions/runs/{run_id}/jobs")[2:]
    assert [(r["status"], r["charged"]) for r in again] == [(304, False), (304, False)]


def test_a_failing_status_on_page_2_blocks_the_release(sandbox_factory: Callable[..., Sandbox], tmp_path: Path) -> None:
    hub, sha = make_hub(sandbox_factory, tmp_path)
    commit = hub.github().get_repo(REPO).get_commit(sha)
    for n in range(1, MANY):
        commit.create_status("success", context=f"ci/{n:03d}")
    commit.create_status("failure", target_url="https://ci.example/last", context="ci/last")
    gh = client(hub)
    verdict = ci_verdict(gh, sha)
    assert not verdict.ok
    assert verdict.detail == f"1 failed on {sha[:12]}: ci/last (failure) https://ci.example/last"
    assert len(get_requests(hub, f"/commits/{sha}/status")) == 2
    # Page 1 alone is all green: reading only it is the bug this guards against.
    first = raw_get(hub, f"/commits/{sha}/status", per_page=MAX_PER_PAGE).json()
    assert {s["state"] for s in first["statuses"]} == {"success"}
    assert first["state"] == "failure"  # the combined state covers every page, as on GitHub


def test_the_combined_status_pages_like_github(sandbox_factory: Callable[..., Sandbox], tmp_path: Path) -> None:
    """30 a page unless per_page says (100 at most), a Link header with next and last, total_count of them all."""
    hub, sha = make_hub(sandbox_factory, tmp_path)
    commit = hub.github().get_repo(REPO).get_commit(sha)
    for n in range(1, 36):
        commit.create_status("pending" if n == 35 else "success", context=f"ci/{n:02d}")
    first = raw_get(hub, f"/commits/{sha}/status")
    body = first.json()
    assert (len(body["statuses"]), body["total_count"], body["state"]) == (30, 35, "pending")
    assert [s["context"] for s in body["statuses"]] == [f"ci/{n:02d}" for n in range(1, 31)]
    assert 'rel="next"' in first.headers["Link"] and 'rel="last"' in first.headers["Link"]
    nxt = next_page(first.headers["Link"])
    assert nxt is not None and "page=2" in nxt and "per_page=30" in nxt
    second = raw_get(hub, nxt)
    assert [s["context"] for s in second.json()["statuses"]] == [f"ci/{n:02d}" for n in range(31, 36)]
    assert next_page(second.headers["Link"]) is None and 'rel="prev"' in second.headers["Link"]
    capped = raw_get(hub, f"/commits/{sha}/status", per_page=500)
    assert len(capped.json()["statuses"]) == 35 and "Link" not in capped.headers
    # PyGithub reads the same answer (its combined status keeps only the first page's statuses).
    assert commit.get_combined_status().total_count == 35


def test_a_release_with_more_than_100_assets_is_read_whole(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    hub, _ = make_hub(sandbox_factory, tmp_path)
    gh = client(hub)
    draft = gh.create_release("v1.0.0", name="v1.0.0", body="", prerelease=False)
    names = [f"asset-{n:03d}.txt" for n in range(1, MANY + 1)]
    for name in names:
        path = tmp_path / name
        path.write_text(name)
        gh.upload_asset(draft, path, name, "sha256:" + hashlib.sha256(name.encode()).hexdigest())
    assert [a.name for a in gh.assets(draft.id)] == names
    assert len(get_requests(hub, f"/releases/{draft.id}/assets")) == 2
    found = gh.release_for_tag("v1.0.0")
    assert found is not None and sorted(a.name for a in found.assets) == names
    # The release's JSON embeds its assets, but one that lists a full page of them is not trusted to be whole.
    assert len(get_requests(hub, f"/releases/{draft.id}/assets")) == 4
    # Publishing it: the answer's assets are whole too.
    published = gh.update_release(found, draft=False)
    assert sorted(a.name for a in published.assets) == names
    found = gh.release_for_tag("v1.0.0")
    assert found is not None and not found.draft and len(found.assets) == MANY


def test_a_draft_on_page_2_of_the_releases_is_found(sandbox_factory: Callable[..., Sandbox], tmp_path: Path) -> None:
    """GET releases/tags/{tag} does not return drafts: they are looked for in the list, newest first."""
    hub, _ = make_hub(sandbox_factory, tmp_path)
    gh = client(hub)
    for n in range(MANY):
        gh.create_release(f"v0.{n}.0", name=f"v0.{n}.0", body=f"notes {n}", prerelease=False)
    found = gh.release_for_tag("v0.0.0")  # the oldest: the last of page 2
    assert found is not None and found.draft and found.body == "notes 0"
    assert len(get_requests(hub, "/releases")) == 2
    newest = gh.release_for_tag(f"v0.{MANY - 1}.0")
    assert newest is not None and newest.body == f"notes {MANY - 1}"
    assert len(get_requests(hub, "/releases")) == 3  # found on page 1: page 2 is not read
    assert gh.release_for_tag("v9.9.9") is None


def test_more_than_100_workflows_are_listed(sandbox_factory: Callable[..., Sandbox], tmp_path: Path) -> None:
    files = {
        f".github/workflows/wf-{n:03d}.yml": (
            f"name: wf {n}\non: workflow_dispatch\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - run: 'true'\n"
        )
        for n in range(1, MANY + 1)
    }
    hub, _ = make_hub(sandbox_factory, tmp_path, files)
    gh = client(hub)
    listed = actions.workflows(gh)
    assert sorted(w.path for w in listed) == sorted(files)
    assert len(get_requests(hub, "/actions/workflows")) == 2
    with pytest.raises(actions.UnknownWorkflow, match=f"wf-{MANY:03d}.yml\\)"):  # the list names the last one too
        actions.workflow(gh, "release.yml")


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ('<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=5>; rel="last"', "page=2"),
        ('<https://a/x?page=1>; rel="prev", <https://a/x?page=3>; rel="next"', "page=3"),
        ('<https://a/x?page=1>; rel="first", <https://a/x?page=4>; rel="prev"', None),
        ("<https://a/x?page=2&q=a,b>; rel=next", "page=2&q=a,b"),  # unquoted, and a comma inside the URL
        ("", None),
    ],
)
def test_next_page(link: str, expected: str | None) -> None:
    found = next_page(link)
    assert (found.split("?", 1)[1] if found else None) == expected


def test_a_link_that_loops_is_an_error_not_an_endless_read() -> None:
    """A server whose `next` leads back to a page already read would be paged for ever: the client stops, and says.
    (The sandbox never does this; a bare server on loopback plays the broken one.)"""

    class Looping(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.send_header("Link", f'<{base}/repos/{REPO}/releases?page=2&per_page=100>; rel="next"')
            self.end_headers()
            self.wfile.write(b"[]")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with ThreadingHTTPServer(("127.0.0.1", 0), Looping) as server:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
        gh = GitHub(REPO, url=base, token="fake-" + "0" * 12, sleep=lambda _s: None)
        try:
            with pytest.raises(GitHubError, match=r"listing releases: GitHub's `Link` header leads back to a page"):
                gh.get_all("/releases", what="listing releases")
        finally:
            server.shutdown()
        assert gh.requests["GET"] == 2  # the first page, then page 2, whose `next` is itself: it stops there


def test_green_checks_the_sandbox_only_simulated_are_named_so(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    """A rehearsal's CI passes on simulated jobs: the verdict is green, and says how much of it ran nothing."""
    workflow = "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pytest\n"
    hub, _seeded = make_hub(sandbox_factory, tmp_path, {".github/workflows/ci.yml": workflow})
    work = tmp_path / "work"
    git(work, "commit", "-q", "--allow-empty", "-m", "second")
    git(work, "push", "-q", hub.remote_url(REPO), "main")
    head = git(work, "rev-parse", "HEAD")
    hub.wait_for(lambda: [r for r in hub.state.runs.values() if r.head_sha == head and r.status == "completed"])
    verdict = ci_verdict(client(hub), head)
    assert verdict == Verdict(
        "ci", True, f"1 checks green on {head[:12]} (1 of them only simulated by the sandbox: no command ran)"
    )
