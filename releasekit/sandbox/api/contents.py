"""Repository contents: `GET /repos/{o}/{r}/contents/{path}` for a file, a directory, a symlink or a submodule."""

from __future__ import annotations

import base64
import posixpath
import re
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from releasekit.sandbox.gitstore import _env, arg_ok
from releasekit.sandbox.http import Request, Response, not_found

if TYPE_CHECKING:
    from releasekit.sandbox.app import Sandbox
    from releasekit.sandbox.gitstore import BareRepo
    from releasekit.sandbox.shapes import Shapes
    from releasekit.sandbox.state import Repo

DOCS = "https://docs.github.com/rest/repos/contents#get-repository-content"
MAX_INLINE = 1024 * 1024  # above 1 MB GitHub sends `"content": ""` with `"encoding": "none"`
MAX_LISTING = 1000  # GitHub lists at most 1,000 entries of a directory
MAX_SYMLINK_HOPS = 10
_SHA_PREFIX = re.compile(r"^[0-9a-f]{4,40}$")
JSON = dict[str, Any]


@dataclass(frozen=True)
class Entry:
    """One tree entry, as `git ls-tree -l` shows it, with its path from the repository's root."""

    mode: str
    kind: str  # blob, tree or commit (a submodule)
    sha: str
    size: int
    path: str

    @property
    def name(self) -> str:
        return self.path.rpartition("/")[2]

    @property
    def type(self) -> str:
        if self.kind == "tree":
            return "dir"
        if self.kind == "commit":
            return "submodule"
        return "symlink" if self.mode == "120000" else "file"


class Snapshot:
    """The tree of one commit of a hosted repository, read with git; file contents are kept as bytes."""

    def __init__(self, git: BareRepo, commit: str) -> None:
        self.git = git
        self.commit = commit

    def _run(self, *args: str) -> bytes | None:
        if not all(arg_ok(arg) for arg in args):  # a path with NUL (`%00`) names nothing git could hold
            return None
        proc = subprocess.run(
            ["git", "--git-dir", str(self.git.path), *args], capture_output=True, env=_env(), check=False
        )
        return proc.stdout if proc.returncode == 0 else None

    def listing(self, directory: str) -> list[Entry] | None:
        """The entries of a directory (`""` for the root) in git's order, or None when it is not a directory."""
        # `<commit>:<path>` takes everything after the colon as a literal path.
        out = self._run("ls-tree", "-z", "-l", f"{self.commit}:{directory}")
        if out is None:
            return None
        entries = []
        for record in out.decode("utf-8", errors="replace").split("\0"):
            meta, tab, name = record.partition("\t")
            if not tab:
                continue
            mode, kind, sha, size = meta.split()
            path = f"{directory}/{name}" if directory else name
            entries.append(Entry(mode, kind, sha, int(size) if size.isdigit() else 0, path))
        return entries

    def entry(self, path: str) -> Entry | None:
        parent, _, name = path.rpartition("/")
        return next((e for e in self.listing(parent) or [] if e.name == name), None)

    def blob(self, sha: str) -> bytes:
        return self._run("cat-file", "blob", sha) or b""

    def follow(self, link: Entry) -> Entry | None:
        """The regular file a symlink leads to inside the repository, or None (a directory, outside, missing)."""
        for _ in range(MAX_SYMLINK_HOPS):
            target = self.blob(link.sha).decode("utf-8", errors="replace")
            parent = link.path.rpartition("/")[0]
            resolved = posixpath.normpath(posixpath.join(parent, target))
            if target.startswith("/") or resolved == ".." or resolved.startswith("../"):
                return None
            found = self.entry(resolved) if clean_path(resolved) else None
            if found is None or found.type == "file":
                return found
            if found.type != "symlink":
                return None
            link = found
        return None

    def submodule_url(self, path: str) -> str:
        out = self._run("config", "-z", "--blob", f"{self.commit}:.gitmodules", "--get-regexp", r"^submodule\.")
        settings = dict(item.partition("\n")[::2] for item in (out or b"").decode("utf-8", "replace").split("\0"))
        for key, value in settings.items():
            if key.endswith(".path") and value == path:
                return settings.get(key.removesuffix(".path") + ".url", "")
        return ""


def clean_path(raw: str) -> str | None:
    """The path without surrounding slashes (`""` for the root); None for `.`, `..` or empty segments."""
    path = raw.strip("/")
    if path and any(part in ("", ".", "..") for part in path.split("/")):
        return None
    return path


def resolve(git: BareRepo, ref: str) -> str | None:
    """A branch, a tag (branches first, as for dispatches), a full ref name or a commit SHA -> the commit."""
    refs = git.refs()
    for full in (f"refs/heads/{ref}", f"refs/tags/{ref}", ref):
        if full.startswith("refs/") and full in refs:
            return git.resolve_commit(full)
    return git.resolve_commit(ref) if _SHA_PREFIX.match(ref) else None


def wrap_base64(data: bytes) -> str:
    """Base64 with a newline after every 60 characters, as GitHub sends `content` (Ruby's `Base64.encode64`)."""
    text = base64.b64encode(data).decode("ascii")
    return "".join(text[i : i + 60] + "\n" for i in range(0, len(text), 60))


def entry_body(shapes: Shapes, repo: Repo, ref: str, entry: Entry) -> JSON:
    """The fields every kind of content shares, in GitHub's order (a directory listing's item)."""
    api, path, at = shapes.repo_url(repo), quote(entry.path, safe="/"), quote(ref, safe="/")
    url = f"{api}/contents/{path}?ref={at}"
    git_url: str | None = f"{api}/git/{'trees' if entry.kind == 'tree' else 'blobs'}/{entry.sha}"
    html_url: str | None = f"{shapes.web}/{repo.full_name}/{'tree' if entry.kind == 'tree' else 'blob'}/{at}/{path}"
    download_url = f"{shapes.web}/{repo.full_name}/raw/{at}/{path}" if entry.kind == "blob" else None
    if entry.kind == "commit":  # a submodule: its objects live in another repository
        git_url = html_url = None
    return {
        "name": entry.name,
        "path": entry.path,
        "sha": entry.sha,
        "size": entry.size,
        "url": url,
        "html_url": html_url,
        "git_url": git_url,
        "download_url": download_url,
        # GitHub lists a submodule as "file" in a directory, for backwards compatibility.
        "type": "file" if entry.type == "submodule" else entry.type,
        "_links": {"self": url, "git": git_url, "html": html_url},
    }


def content_body(shapes: Shapes, repo: Repo, ref: str, entry: Entry, snapshot: Snapshot) -> JSON:
    """`content-file`, `content-symlink` or `content-submodule`: the entry's fields with what its kind adds."""
    body = entry_body(shapes, repo, ref, entry)
    links = body.pop("_links")
    body["type"] = entry.type
    if entry.type == "file":
        body["content"] = wrap_base64(snapshot.blob(entry.sha)) if entry.size <= MAX_INLINE else ""
        body["encoding"] = "base64" if entry.size <= MAX_INLINE else "none"
    elif entry.type == "symlink":
        body["target"] = snapshot.blob(entry.sha).decode("utf-8", errors="replace")
    elif entry.type == "submodule":
        body["submodule_git_url"] = snapshot.submodule_url(entry.path)
    body["_links"] = links
    return body


def register(hub: Sandbox) -> None:
    route = hub.router.add

    def get_contents(request: Request, params: dict[str, str]) -> Response:
        with hub.state.lock:
            repo = hub.find_repo(params["owner"], params["repo"])
            ref = request.param("ref") or repo.default_branch
        # Git reads need no lock: everything below works from one commit, which never changes.
        git = hub.git(repo)
        commit = resolve(git, ref)
        path = clean_path(params.get("path", ""))
        if commit is None or path is None:
            raise not_found(DOCS)
        snapshot = Snapshot(git, commit)
        entry = snapshot.entry(path) if path else None
        if entry is None or entry.type == "dir":
            listing = snapshot.listing(path)
            if listing is None:
                raise not_found(DOCS)
            return Response(200, [entry_body(hub.shapes, repo, ref, e) for e in listing[:MAX_LISTING]])
        if entry.type == "symlink":
            # A symlink to a file in the repository answers that file; any other one answers itself.
            entry = snapshot.follow(entry) or entry
        return Response(200, content_body(hub.shapes, repo, ref, entry, snapshot))

    route("GET", "/repos/{owner}/{repo}/contents", get_contents)
    route("GET", "/repos/{owner}/{repo}/contents/", get_contents)
    route("GET", "/repos/{owner}/{repo}/contents/{path*}", get_contents)
