"""The hosted repositories: bare git repositories on disk, read and written with the git command line."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

ZERO_SHA = "0" * 40
PUSH_LOG = "releasekit-pushes.log"

# post-receive runs after every accepted push, local path or not. It only appends the pushed
# "<old> <new> <ref>" lines to a file: the sandbox reads them (on its next tick or request) exactly as
# GitHub turns a push into events. Plain sh so it needs nothing else installed (Git for Windows has sh).
_HOOK = f"""#!/bin/sh
# Installed by `releasekit sandbox`: record each push for the sandbox, as GitHub records a push event.
cat >> {PUSH_LOG}
"""

_SHA = re.compile(r"^[0-9a-f]{40}$")
# The longest ref name the sandbox takes. Git has no limit of its own, but every component is a file name under
# refs/ (255 bytes on the common file systems), and GitHub refuses names far longer than any real tag; 255 bytes in
# all is below what any of them accepts, so a rehearsal never takes a name GitHub or a clone could refuse.
MAX_REF_BYTES = 255
# Characters `git check-ref-format` refuses anywhere in a ref name (besides ASCII control characters).
MAX_REV_CHARS = 1024  # a revision longer than this names nothing (a ref is at most MAX_REF_BYTES)
_REF_FORBIDDEN = frozenset(" ~^:?*[\\")


class GitError(RuntimeError):
    """A git command failed; the message carries git's own words."""


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    tree: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    author_date: int
    committer_name: str
    committer_email: str
    committer_date: int
    message: str


@dataclass(frozen=True)
class TagInfo:
    sha: str
    object_sha: str
    object_type: str
    tag: str
    tagger_name: str
    tagger_email: str
    tagger_date: int
    message: str
    signature: str | None


@dataclass(frozen=True)
class FileChange:
    """One file a commit changed, as GitHub lists it in a commit's `files` (compared with its first parent)."""

    filename: str
    status: str  # added, removed, modified, renamed, copied or changed (the type: file, symlink, submodule)
    sha: str  # the blob after the change; before it, for a removed file
    additions: int
    deletions: int
    patch: str | None  # the hunks, from the first `@@`; None for a binary file or a change without hunks
    previous_filename: str | None = None


# git's one-letter status (`--raw`) -> GitHub's word for it.
_CHANGE_STATUS = {"A": "added", "D": "removed", "M": "modified", "R": "renamed", "C": "copied", "T": "changed"}


def ref_name_ok(ref: str) -> bool:
    """Whether git takes `ref` (`refs/tags/v1.0`) as a ref name, by `git check-ref-format`'s rules, and it is no
    longer than MAX_REF_BYTES and does not start with '-' (an option to every git command) in any component."""
    if not ref or len(ref.encode("utf-8", "surrogatepass")) > MAX_REF_BYTES or ref == "@" or "@{" in ref:
        return False
    if ref.startswith("/") or ref.endswith(("/", ".")) or ".." in ref or "//" in ref:
        return False
    if any(ord(c) < 0x20 or ord(c) == 0x7F or c in _REF_FORBIDDEN for c in ref):
        return False
    if not utf8_ok(ref):  # a lone surrogate is no UTF-8 text git could store
        return False
    return all(part and not part.startswith((".", "-")) and not part.endswith(".lock") for part in ref.split("/"))


def arg_ok(value: str) -> bool:
    """Whether `value` can be passed to git as one argument: no NUL (the OS refuses it), no lone surrogate."""
    return "\0" not in value and utf8_ok(value)


def utf8_ok(text: str) -> bool:
    """Whether `text` has a UTF-8 encoding: no lone surrogate (which JSON's `\\ud800` escapes can make)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("GIT_") or k in ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM")
    }
    env["GIT_TERMINAL_PROMPT"] = "0"
    return env


class BareRepo:
    """One hosted repository. Every method is a git command; nothing is cached here."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def git(self, *args: str, input_text: str | None = None, check: bool = True) -> str:
        if not all(arg_ok(arg) for arg in args):
            msg = f"git {' '.join(args[:2])}: an argument holds a NUL byte or is not UTF-8 text"
            raise GitError(msg)
        proc = subprocess.run(
            ["git", "--git-dir", str(self.path), *args],
            input=input_text,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=_env(),
            check=False,
        )
        if check and proc.returncode != 0:
            msg = f"git {' '.join(args[:2])}: {proc.stderr.strip() or proc.stdout.strip()}"
            raise GitError(msg)
        return proc.stdout

    @classmethod
    def create(cls, path: Path, default_branch: str) -> BareRepo:
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["git", "init", "--quiet", "--bare", f"--initial-branch={default_branch}", str(path)],
            check=True,
            capture_output=True,
            env=_env(),
        )
        repo = cls(path)
        hook = path / "hooks" / "post-receive"
        hook.write_text(_HOOK, encoding="utf-8")
        hook.chmod(0o755)
        return repo

    def push_log(self) -> Path:
        return self.path / PUSH_LOG

    def seed_from(self, source: Path) -> None:
        """Copy every branch and tag of a local repository, without recording a push (a repository that existed)."""
        proc = subprocess.run(
            [
                "git",
                "-C",
                str(source),
                "push",
                "--quiet",
                "--no-verify",
                str(self.path),
                "refs/heads/*:refs/heads/*",
                "refs/tags/*:refs/tags/*",
            ],
            capture_output=True,
            text=True,
            env=_env(),
            check=False,
        )
        if proc.returncode != 0:
            msg = f"cannot seed from {source}: {proc.stderr.strip()}"
            raise GitError(msg)
        # The hook ran for the seeding push too; that push is the repository's history, not an event.
        self.push_log().unlink(missing_ok=True)

    def refs(self) -> dict[str, str]:
        """Every branch and tag: ref name -> the sha it points at (a tag object's own sha for annotated tags)."""
        out = self.git("for-each-ref", "--format=%(objectname) %(refname)", "refs/heads", "refs/tags")
        refs: dict[str, str] = {}
        for line in out.splitlines():
            sha, _, name = line.partition(" ")
            refs[name] = sha
        return refs

    def tags(self) -> list[tuple[str, str, int]]:
        """(name, commit sha, committer date) of every tag that names a commit (annotated ones peeled), in one call."""
        fmt = (
            "%(refname:strip=2) %(objecttype) %(objectname) %(committerdate:unix)"
            " %(*objecttype) %(*objectname) %(*committerdate:unix)"
        )
        out = self.git("for-each-ref", f"--format={fmt}", "refs/tags")
        tags = []
        for line in out.splitlines():
            name, kind, sha, date, peeled_kind, peeled, peeled_date = (line.split(" ") + [""] * 7)[:7]
            if kind == "commit":
                tags.append((name, sha, int(date)))
            elif peeled_kind == "commit":
                tags.append((name, peeled, int(peeled_date)))
        return tags

    def object_type(self, sha: str) -> str | None:
        if not _SHA.match(sha):
            return None
        out = self.git("cat-file", "-t", sha, check=False).strip()
        return out or None

    def resolve_commit(self, rev: str) -> str | None:
        """A branch, tag, ref or sha -> the commit sha it names (annotated tags peeled), or None."""
        if rev.startswith("-") or not arg_ok(rev) or len(rev) > MAX_REV_CHARS:
            return None
        out = self.git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}", check=False).strip()
        return out if _SHA.match(out) else None

    def read_file(self, commit: str, path: str) -> str | None:
        if not arg_ok(path):
            return None
        proc = subprocess.run(
            ["git", "--git-dir", str(self.path), "cat-file", "blob", f"{commit}:{path}"],
            capture_output=True,
            env=_env(),
            check=False,
        )
        return proc.stdout.decode("utf-8", errors="replace") if proc.returncode == 0 else None

    def list_dir(self, commit: str, directory: str) -> list[str]:
        if not arg_ok(directory):
            return []
        out = self.git("ls-tree", "--name-only", f"{commit}:{directory}", check=False)
        return sorted(line for line in out.splitlines() if line)

    def commit(self, sha: str) -> CommitInfo:
        fmt = "%H%x00%T%x00%P%x00%an%x00%ae%x00%at%x00%cn%x00%ce%x00%ct%x00%B"
        out = self.git("log", "-1", f"--format={fmt}", sha)
        parts = out.split("\x00", 9)
        return CommitInfo(
            sha=parts[0],
            tree=parts[1],
            parents=tuple(parts[2].split()),
            author_name=parts[3],
            author_email=parts[4],
            author_date=int(parts[5]),
            committer_name=parts[6],
            committer_email=parts[7],
            committer_date=int(parts[8]),
            message=parts[9].rstrip("\n"),
        )

    def changes(self, sha: str, parent: str | None) -> list[FileChange]:
        """What `sha` changed against `parent` (against nothing for a root commit), with renames found as GitHub
        finds them (`-M`): three git commands, one per view (status, line counts, hunks), all in git's order."""
        between = [parent, sha] if parent else ["--root", sha]
        common = ("diff-tree", "-r", "-M", "--no-commit-id", "--no-ext-diff", "--no-textconv")
        raw = self._bytes(*common, "-z", "--raw", *between).split(b"\0")
        counts = self._bytes(*common, "-z", "--numstat", *between).split(b"\0")
        hunks = _split_patches(self._bytes(*common, "-p", "--no-color", *between))
        entries: list[tuple[str, str, str, str | None]] = []  # status, sha, filename, previous filename
        i = 0
        while i + 1 < len(raw) and raw[i].startswith(b":"):
            meta = raw[i].decode("ascii", "replace").split()
            letter = meta[4][:1]
            old_sha, new_sha = meta[2], meta[3]
            if letter in ("R", "C"):
                before, after = _text(raw[i + 1]), _text(raw[i + 2])
                i += 3
            else:
                before, after = None, _text(raw[i + 1])
                i += 2
            blob = old_sha if letter == "D" else new_sha
            entries.append((_CHANGE_STATUS.get(letter, "modified"), blob, after, before))
        lines: list[tuple[int, int]] = []
        j = 0
        while j < len(counts) and counts[j]:
            added, deleted, path = [*counts[j].decode("utf-8", "replace").split("\t", 2), "", ""][:3]
            lines.append((int(added) if added.isdigit() else 0, int(deleted) if deleted.isdigit() else 0))
            j += 3 if path == "" else 1  # a rename names both paths in the next two fields
        if len(lines) != len(entries):
            lines = [(0, 0)] * len(entries)
        if len(hunks) != len(entries):
            hunks = [None] * len(entries)
        return [
            FileChange(name, status, blob, added, deleted, patch, previous)
            for (status, blob, name, previous), (added, deleted), patch in zip(entries, lines, hunks, strict=True)
        ]

    def _bytes(self, *args: str) -> bytes:
        proc = subprocess.run(["git", "--git-dir", str(self.path), *args], capture_output=True, env=_env(), check=False)
        return proc.stdout if proc.returncode == 0 else b""

    def tag(self, sha: str) -> TagInfo | None:
        if self.object_type(sha) != "tag":
            return None
        raw = self.git("cat-file", "tag", sha)
        head, _, body = raw.partition("\n\n")
        fields: dict[str, str] = {}
        for line in head.splitlines():
            key, _, value = line.partition(" ")
            fields.setdefault(key, value)
        tagger = re.match(r"^(.*) <(.*)> (\d+) [+-]\d{4}$", fields.get("tagger", ""))
        signature = None
        marker = body.find("-----BEGIN ")
        if marker != -1:
            body, signature = body[:marker], body[marker:]
        return TagInfo(
            sha=sha,
            object_sha=fields.get("object", ""),
            object_type=fields.get("type", ""),
            tag=fields.get("tag", ""),
            tagger_name=tagger.group(1) if tagger else "",
            tagger_email=tagger.group(2) if tagger else "",
            tagger_date=int(tagger.group(3)) if tagger else 0,
            message=body,
            signature=signature,
        )

    def make_tag(self, tag: str, object_sha: str, object_type: str, message: str, tagger: tuple[str, str, int]) -> str:
        name, email, when = tagger
        text = f"object {object_sha}\ntype {object_type}\ntag {tag}\ntagger {name} <{email}> {when} +0000\n\n{message}"
        if not text.endswith("\n"):
            text += "\n"
        return self.git("mktag", input_text=text).strip()

    def update_ref(self, ref: str, new: str, old: str | None = None) -> None:
        args = ["update-ref", ref, new] + ([old] if old is not None else [])
        self.git(*args)

    def delete_ref(self, ref: str) -> None:
        self.git("update-ref", "-d", ref)

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        proc = subprocess.run(
            ["git", "--git-dir", str(self.path), "merge-base", "--is-ancestor", ancestor, descendant],
            capture_output=True,
            env=_env(),
            check=False,
        )
        return proc.returncode == 0

    def changed_paths(self, old: str, new: str) -> list[str] | None:
        out = self.git("diff", "--name-only", "--no-renames", old, new, check=False)
        return out.splitlines() if out or old != new else []

    def subjects(self, since: str | None, until: str) -> list[tuple[str, str, str]]:
        """(sha, subject, author name) of the commits in since..until, oldest first."""
        rng = f"{since}..{until}" if since else until
        out = self.git("log", "--reverse", "--format=%H%x00%s%x00%an", rng, check=False)
        return [tuple(line.split("\x00", 2)) for line in out.splitlines() if line.count("\x00") == 2]  # type: ignore[misc]

    def checkout(self, commit: str, dest: Path) -> None:
        """A fresh working copy of `commit` (with the repository's tags) at dest, as a runner's checkout."""
        subprocess.run(
            ["git", "clone", "--quiet", "--no-checkout", str(self.path), str(dest)],
            check=True,
            capture_output=True,
            env=_env(),
        )
        subprocess.run(
            ["git", "-C", str(dest), "checkout", "--quiet", "--detach", commit],
            check=True,
            capture_output=True,
            env=_env(),
        )


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def _split_patches(output: bytes) -> list[str | None]:
    """`git diff-tree -p` output -> each file's hunks (GitHub's `patch`: from the first `@@`, no trailing newline);
    None for a binary file or a change without hunks (a mode change, an empty file)."""
    patches: list[str | None] = []
    for block in _text(output).split("\ndiff --git ")[0:]:
        if not block.strip():
            continue
        start = block.find("\n@@")
        patches.append(block[start + 1 :].rstrip("\n") if start != -1 else None)
    return patches
