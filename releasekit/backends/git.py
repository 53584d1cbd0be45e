"""The git command line, as a release uses it: read the repository's state, commit, tag, push atomically."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from releasekit.errors import ReleasekitError

# Variables that would point git at another repository than the one asked for.
_LOCATION_VARS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY")


class GitError(ReleasekitError):
    """A git command failed; the message shows the command and git's own words."""


class PushRejected(GitError):
    """The remote refused the push (protected branch, missing permission, a newer commit)."""


@dataclass(frozen=True)
class Status:
    branch: str | None  # None when HEAD is detached
    head: str
    dirty: tuple[str, ...]  # `git status --porcelain` lines (untracked files included)


class Git:
    """`Git(root)`: every call runs `git -C root ...` and raises GitError with git's message when it fails."""

    def __init__(self, root: Path, remote: str = "origin") -> None:
        self.root = root
        self.remote = remote
        self.calls = 0
        self.seconds = 0.0  # time spent in git itself, for `RELEASEKIT_TIMINGS`
        self._git_dir: Path | None = None

    def run(self, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k not in _LOCATION_VARS}
        env["GIT_TERMINAL_PROMPT"] = "0"  # a release must never hang on a credential prompt
        self.calls += 1
        started = time.perf_counter()
        try:
            proc = subprocess.run(
                ["git", "-C", str(self.root), *args],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                encoding="utf-8",
                errors="replace",
                env=env,
                timeout=timeout,
                check=False,
            )
        except FileNotFoundError:
            raise GitError("git is not installed (or not on PATH); install git and run again") from None
        except subprocess.TimeoutExpired:
            raise GitError(f"`git {' '.join(args)}` did not finish within {timeout:g} s") from None
        finally:
            self.seconds += time.perf_counter() - started
        if check and proc.returncode != 0:
            raise GitError(f"`git {' '.join(args)}` failed: {_last_lines(proc.stderr or proc.stdout)}")
        return proc

    def out(self, *args: str) -> str:
        return self.run(*args).stdout.strip()

    # -- reading ---------------------------------------------------------------------------------------------

    def toplevel(self) -> Path | None:
        proc = self.run("rev-parse", "--show-toplevel", check=False)
        return Path(proc.stdout.strip()) if proc.returncode == 0 else None

    def status(self) -> Status:
        """Branch, HEAD and uncommitted changes in one call."""
        out = self.run("status", "--porcelain=v2", "--branch", "--untracked-files=normal").stdout
        branch: str | None = None
        head = ""
        dirty: list[str] = []
        for line in out.splitlines():
            if line.startswith("# branch.oid "):
                head = line.split(" ", 2)[2]
            elif line.startswith("# branch.head "):
                name = line.split(" ", 2)[2]
                branch = None if name == "(detached)" else name
            elif not line.startswith("#"):
                dirty.append(_porcelain_path(line))
        return Status(branch, "" if head == "(initial)" else head, tuple(dirty))

    def rev(self, ref: str) -> str | None:
        proc = self.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
        return proc.stdout.strip() or None if proc.returncode == 0 else None

    def tags(self) -> list[str]:
        return self.out("tag", "--list").splitlines()

    def tag_commit(self, tag: str) -> str | None:
        return self.rev(f"refs/tags/{tag}")

    def remote_url(self) -> str | None:
        proc = self.run("remote", "get-url", self.remote, check=False)
        return proc.stdout.strip() if proc.returncode == 0 else None

    def fetch(self, branch: str) -> None:
        """Fetch the branch and all tags (tags the remote no longer has are left alone)."""
        try:
            self.run(
                "fetch",
                "--quiet",
                "--no-write-fetch-head",
                self.remote,
                f"+refs/heads/{branch}:refs/remotes/{self.remote}/{branch}",
                "--tags",
                timeout=120,
            )
        except GitError as exc:
            raise GitError(f"cannot fetch from `{self.remote}`: {exc}; check the remote and your network") from None

    def remote_refs(self, *refs: str) -> dict[str, str]:
        """What the remote has now for these refs (`ls-remote`): ref -> commit (peeled for annotated tags)."""
        try:
            out = self.out("ls-remote", self.remote, *refs)
        except GitError as exc:
            raise GitError(f"cannot read `{self.remote}`: {exc}") from None
        return _parse_ls_remote(out)

    def remote_tags(self) -> dict[str, str]:
        """Every tag on the remote: refs/tags/NAME -> commit."""
        try:
            out = self.out("ls-remote", "--tags", self.remote)
        except GitError as exc:
            raise GitError(f"cannot read the tags of `{self.remote}`: {exc}") from None
        return _parse_ls_remote(out)

    def git_dir(self) -> Path:
        """The repository's .git directory (asked once: it does not move while a command runs)."""
        if self._git_dir is None:
            self._git_dir = Path(self.out("rev-parse", "--absolute-git-dir"))
        return self._git_dir

    def counts(self, left: str, right: str) -> tuple[int, int]:
        """(commits only in left, commits only in right)."""
        out = self.out("rev-list", "--left-right", "--count", f"{left}...{right}")
        a, b = out.split()
        return int(a), int(b)

    def is_ancestor(self, older: str, newer: str) -> bool:
        return self.run("merge-base", "--is-ancestor", older, newer, check=False).returncode == 0

    def subjects(self, since: str | None) -> list[str]:
        """Commit subjects from `since` (exclusive) to HEAD, oldest first, merges left out."""
        args = ["log", "--no-merges", "--reverse", "--format=%s"]
        args.append(f"{since}..HEAD" if since else "HEAD")
        return [s for s in self.out(*args).splitlines() if s.strip()]

    def commits(self, since: str | None, *paths: str) -> list[tuple[str, str]]:
        """(sha, whole message) of each commit from `since` (exclusive) to HEAD, oldest first, merges left out (the
        commits they merge are in the range themselves); with `paths`, only the commits that touch them."""
        args = ["log", "--no-merges", "--reverse", "--format=%H%x00%B%x1e", f"{since}..HEAD" if since else "HEAD"]
        if paths:
            args += ["--", *paths]
        found: list[tuple[str, str]] = []
        for record in self.run(*args).stdout.split("\x1e"):
            sha, sep, message = record.lstrip("\n").partition("\x00")
            if sep:
                found.append((sha, message.strip("\n")))
        return found

    def head_subject(self, ref: str = "HEAD") -> str:
        return self.out("log", "-1", "--format=%s", ref)

    def config(self, key: str) -> str | None:
        proc = self.run("config", "--get", key, check=False)
        return proc.stdout.strip() or None

    # -- writing ---------------------------------------------------------------------------------------------

    def commit_files(self, paths: list[str], message: str) -> str:
        self.run("add", "--", *paths)
        self.run("commit", "--quiet", "--no-verify", "-m", message, "--", *paths)
        return self.out("rev-parse", "HEAD")

    def create_tag(self, tag: str, message: str, *, sign: bool, target: str = "HEAD") -> None:
        self.run("tag", "--sign" if sign else "--annotate", "-m", message, tag, target)

    def delete_tag(self, tag: str) -> None:
        self.run("tag", "--delete", tag)

    def push_atomic(self, branch: str, *tags: str) -> None:
        """Push the branch and the tags in one atomic transaction: all land or none does."""
        proc = self.run(
            "push",
            "--atomic",
            "--porcelain",
            self.remote,
            f"refs/heads/{branch}:refs/heads/{branch}",
            *(f"refs/tags/{tag}:refs/tags/{tag}" for tag in tags),
            check=False,
            timeout=600,
        )
        if proc.returncode != 0:
            raise PushRejected(_push_reason(proc.stdout, proc.stderr))


def _parse_ls_remote(out: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in out.splitlines():
        sha, _, ref = line.partition("\t")
        if ref.endswith("^{}"):
            found[ref[:-3]] = sha  # the commit an annotated tag points at wins over the tag object
        else:
            found.setdefault(ref, sha)
    return found


def _porcelain_path(line: str) -> str:
    kind = line[:1]
    if kind == "?":
        return "?? " + line[2:]
    if kind == "1":
        return line.split(" ", 8)[1][:2].replace(".", " ") + " " + line.split(" ", 8)[8]
    if kind == "2":
        return line.split(" ", 9)[1][:2].replace(".", " ") + " " + line.split(" ", 9)[9].split("\t", maxsplit=1)[0]
    if kind == "u":
        return "UU " + line.split(" ", 10)[10]
    return line


def _last_lines(text: str, n: int = 6) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return "\n  ".join(lines[-n:]) if lines else "(no output)"


def _push_reason(stdout: str, stderr: str) -> str:
    remote = [line[len("remote: ") :] for line in stderr.splitlines() if line.startswith("remote: ")]
    rejected = [line for line in stdout.splitlines() if line.startswith("!")]
    parts = [*rejected, *remote] or [line for line in stderr.splitlines() if line.strip()][-4:]
    return "\n  ".join(p.strip() for p in parts if p.strip())
