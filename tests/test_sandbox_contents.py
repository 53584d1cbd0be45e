"""GET /repos/{o}/{r}/contents/{path}: files, directories, symlinks, at a branch, a tag or a commit."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest
from conftest import git
from github import UnknownObjectException
from sandbox_scene import api

from releasekit.sandbox.app import Sandbox

BINARY = bytes(range(256)) * 3
BIG = b"x" * (1024 * 1024 + 1)  # one byte over GitHub's 1 MB for inline content


def _blob(root: Path, text: str) -> str:
    proc = subprocess.run(
        ["git", "hash-object", "-w", "--stdin"], cwd=root, input=text, capture_output=True, text=True, check=True
    )
    return proc.stdout.strip()


def _write(root: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _show(root: Path, ref: str, path: str) -> bytes:
    return subprocess.run(
        ["git", "cat-file", "blob", f"{ref}:{path}"], cwd=root, capture_output=True, check=True
    ).stdout


@pytest.fixture
def scene(github_sandbox: Sandbox, tmp_path: Path) -> tuple[Sandbox, Path]:
    """acme/demo: a first commit tagged v1.0.0, then a second that changes README.md, on main."""
    root = tmp_path / "demo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    _write(
        root,
        {
            "README.md": b"demo 1\n",
            "src/pkg/__init__.py": b"VERSION = '1.0.0'\n",
            "src/pkg/data.bin": BINARY,
            "docs/a b#c.txt": b"spaces and a hash\n",
            "big.dat": BIG,
        },
    )
    git(root, "add", "-A")
    # Symlinks made in the index, so the test needs no symlink support from the file system.
    git(root, "update-index", "--add", "--cacheinfo", f"120000,{_blob(root, 'src/pkg/__init__.py')},init-link")
    git(root, "update-index", "--add", "--cacheinfo", f"120000,{_blob(root, 'src')},src-link")
    git(root, "commit", "-q", "-m", "feat: first")
    git(root, "tag", "v1.0.0")
    _write(root, {"README.md": b"demo 2\n" + b"long line " * 20 + b"\n"})
    git(root, "add", "README.md")
    git(root, "commit", "-q", "-m", "fix: second")
    github_sandbox.create_repo("acme/demo", seed=root)
    return github_sandbox, root


def test_a_file_at_the_default_branch(scene: tuple[Sandbox, Path]) -> None:
    hub, root = scene
    answer = api(hub, "GET", "/repos/acme/demo/contents/README.md")
    assert answer.status_code == 200
    body = answer.json()
    assert list(body) == [
        "name",
        "path",
        "sha",
        "size",
        "url",
        "html_url",
        "git_url",
        "download_url",
        "type",
        "content",
        "encoding",
        "_links",
    ]
    expected = _show(root, "main", "README.md")
    assert (body["type"], body["encoding"], body["name"], body["path"]) == ("file", "base64", "README.md", "README.md")
    assert base64.b64decode(body["content"]) == expected
    assert body["size"] == len(expected)
    assert body["sha"] == git(root, "rev-parse", "main:README.md")
    lines = body["content"].split("\n")
    assert body["content"].endswith("\n")
    assert all(len(line) == 60 for line in lines[:-2]) and 0 < len(lines[-2]) <= 60
    api_base = f"{hub.api_url}/repos/acme/demo"
    assert body["url"] == f"{api_base}/contents/README.md?ref=main"
    assert body["git_url"] == f"{api_base}/git/blobs/{body['sha']}"
    assert body["html_url"] == f"{hub.api_url}/acme/demo/blob/main/README.md"
    assert body["download_url"] == f"{hub.api_url}/acme/demo/raw/main/README.md"
    assert body["_links"] == {"self": body["url"], "git": body["git_url"], "html": body["html_url"]}


def test_a_file_at_a_tag_and_at_a_commit(scene: tuple[Sandbox, Path]) -> None:
    hub, root = scene
    first = git(root, "rev-parse", "v1.0.0")
    for ref in ("v1.0.0", first, first[:10], "refs/tags/v1.0.0"):
        body = api(hub, "GET", "/repos/acme/demo/contents/README.md", params={"ref": ref}).json()
        assert base64.b64decode(body["content"]) == b"demo 1\n", ref
        assert body["sha"] == git(root, "rev-parse", "v1.0.0:README.md")
        assert body["url"].endswith(f"/contents/README.md?ref={ref}")
    head = git(root, "rev-parse", "main")
    body = api(hub, "GET", "/repos/acme/demo/contents/README.md", params={"ref": head}).json()
    assert base64.b64decode(body["content"]) == _show(root, head, "README.md")
    nested = api(hub, "GET", "/repos/acme/demo/contents/src/pkg/data.bin", params={"ref": "v1.0.0"}).json()
    assert base64.b64decode(nested["content"]) == BINARY
    assert nested["sha"] == git(root, "rev-parse", "v1.0.0:src/pkg/data.bin")


def test_missing_paths_and_unknown_refs_answer_404(scene: tuple[Sandbox, Path]) -> None:
    hub, _ = scene
    for path, params in [
        ("/repos/acme/demo/contents/nope.txt", {}),
        ("/repos/acme/demo/contents/README.md/x", {}),
        ("/repos/acme/demo/contents/src/%2E%2E/README.md", {}),  # quoted, or the client removes it
        ("/repos/acme/demo/contents/README.md", {"ref": "no-such-branch"}),
        ("/repos/acme/demo/contents/README.md", {"ref": "0" * 40}),
        ("/repos/acme/demo/contents/README.md", {"ref": "main~1"}),
        ("/repos/acme/nope/contents/README.md", {}),
    ]:
        answer = api(hub, "GET", path, params=params)
        assert answer.status_code == 404, (path, params)
        assert answer.json()["message"] == "Not Found"
        assert set(answer.json()) == {"message", "documentation_url", "status"}


def test_directory_listings(scene: tuple[Sandbox, Path]) -> None:
    hub, root = scene
    listing = api(hub, "GET", "/repos/acme/demo/contents/src/pkg", params={"ref": "v1.0.0"}).json()
    assert [(e["name"], e["path"], e["type"]) for e in listing] == [
        ("__init__.py", "src/pkg/__init__.py", "file"),
        ("data.bin", "src/pkg/data.bin", "file"),
    ]
    assert listing[1]["size"] == len(BINARY)
    assert listing[1]["sha"] == git(root, "rev-parse", "v1.0.0:src/pkg/data.bin")
    assert "content" not in listing[0]
    top = api(hub, "GET", "/repos/acme/demo/contents/").json()
    assert [(e["name"], e["type"]) for e in top] == [
        ("README.md", "file"),
        ("big.dat", "file"),
        ("docs", "dir"),
        ("init-link", "symlink"),
        ("src-link", "symlink"),  # git's order: a tree sorts as "src/"
        ("src", "dir"),
    ]
    assert api(hub, "GET", "/repos/acme/demo/contents").json() == top
    src = next(e for e in top if e["name"] == "src")
    assert src["sha"] == git(root, "rev-parse", "main:src")
    assert (src["size"], src["download_url"]) == (0, None)
    assert src["git_url"] == f"{hub.api_url}/repos/acme/demo/git/trees/{src['sha']}"
    assert src["html_url"] == f"{hub.api_url}/acme/demo/tree/main/src"
    assert api(hub, "GET", "/repos/acme/demo/contents/src/").json()[0]["path"] == "src/pkg"


def test_large_files_symlinks_and_quoted_paths(scene: tuple[Sandbox, Path]) -> None:
    hub, root = scene
    big = api(hub, "GET", "/repos/acme/demo/contents/big.dat").json()
    assert (big["type"], big["content"], big["encoding"], big["size"]) == ("file", "", "none", len(BIG))
    assert big["sha"] == git(root, "rev-parse", "main:big.dat")
    # A symlink to a file answers the file; one to a directory answers itself.
    followed = api(hub, "GET", "/repos/acme/demo/contents/init-link").json()
    assert (followed["type"], followed["path"]) == ("file", "src/pkg/__init__.py")
    assert base64.b64decode(followed["content"]) == b"VERSION = '1.0.0'\n"
    link = api(hub, "GET", "/repos/acme/demo/contents/src-link").json()
    assert (link["type"], link["target"], link["sha"]) == ("symlink", "src", git(root, "rev-parse", "main:src-link"))
    quoted = api(hub, "GET", "/repos/acme/demo/contents/docs/a%20b%23c.txt").json()
    assert (quoted["name"], quoted["path"]) == ("a b#c.txt", "docs/a b#c.txt")
    assert quoted["url"] == f"{hub.api_url}/repos/acme/demo/contents/docs/a%20b%23c.txt?ref=main"
    assert quoted["html_url"] == f"{hub.api_url}/acme/demo/blob/main/docs/a%20b%23c.txt"


def test_enterprise_prefix_etags_and_rate_limit(scene: tuple[Sandbox, Path]) -> None:
    hub, _ = scene
    first = api(hub, "GET", "/api/v3/repos/acme/demo/contents/README.md", params={"ref": "v1.0.0"})
    assert first.status_code == 200
    assert base64.b64decode(first.json()["content"]) == b"demo 1\n"
    remaining = int(first.headers["x-ratelimit-remaining"])
    again = api(
        hub,
        "GET",
        "/repos/acme/demo/contents/README.md",
        params={"ref": "v1.0.0"},
        headers={"If-None-Match": first.headers["ETag"]},
    )
    assert (again.status_code, again.content) == (304, b"")
    assert int(again.headers["x-ratelimit-remaining"]) == remaining  # a 304 is not charged
    listing = api(hub, "GET", "/repos/acme/demo/contents/src")
    assert listing.headers["ETag"] and int(listing.headers["x-ratelimit-remaining"]) == remaining - 1
    assert api(hub, "GET", "/repos/acme/demo/contents/README.md", token=None).status_code == 401


def test_pygithub_get_contents(scene: tuple[Sandbox, Path]) -> None:
    hub, root = scene
    repo = hub.github().get_repo("acme/demo")
    readme = repo.get_contents("README.md")
    assert not isinstance(readme, list)
    assert readme.decoded_content == _show(root, "main", "README.md")
    assert readme.sha == git(root, "rev-parse", "main:README.md")
    old = repo.get_contents("README.md", ref="v1.0.0")
    assert not isinstance(old, list)
    assert (old.decoded_content, old.encoding, old.type) == (b"demo 1\n", "base64", "file")
    first = git(root, "rev-parse", "v1.0.0")
    data = repo.get_contents("src/pkg/data.bin", ref=first)
    assert not isinstance(data, list)
    assert data.decoded_content == BINARY
    listing = repo.get_contents("src/pkg", ref="v1.0.0")
    assert isinstance(listing, list)
    assert [(c.path, c.type) for c in listing] == [("src/pkg/__init__.py", "file"), ("src/pkg/data.bin", "file")]
    quoted = repo.get_contents("docs/a b#c.txt")
    assert not isinstance(quoted, list)
    assert quoted.decoded_content == b"spaces and a hash\n"
    with pytest.raises(UnknownObjectException):
        repo.get_contents("nope.txt")
    with pytest.raises(UnknownObjectException):
        repo.get_contents("README.md", ref="no-such-tag")
