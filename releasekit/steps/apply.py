"""Carry out a release's local and remote changes: write the files, commit, tag, (with release.next-dev) commit the
development version, push atomically.

Each step first looks at the real state (is HEAD already the release commit, is the tag there, has the remote got
both) so that running it again after a crash, a kill or a network failure does nothing twice.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from releasekit.backends.git import Git, GitError, PushRejected
from releasekit.journal import Journal, JournalError
from releasekit.output import Report


def failpoint(step: str) -> None:
    """Testing hook: RELEASEKIT_FAILPOINT=after-<step> kills the process right there, as a crash or a power cut
    would (no cleanup, no journal update), so that `--resume` can be tested after every step."""
    if os.environ.get("RELEASEKIT_FAILPOINT") == f"after-{step}":
        print(f"releasekit: RELEASEKIT_FAILPOINT: killed after {step}", file=sys.stderr, flush=True)
        os._exit(86)


def write_files(root: Path, files: dict[str, str]) -> None:
    """Write each file whole, through a temporary file and a rename: a crash leaves old or new text, never half."""
    for rel, text in files.items():
        target = root / rel
        temp = target.with_name(f".{target.name}.releasekit-tmp")
        with temp.open("w", encoding="utf-8", newline="") as f:
            f.write(text)
        if target.exists():
            temp.chmod(target.stat().st_mode & 0o7777)
        temp.replace(target)


def ensure_commit(git: Git, journal: Journal, report: Report) -> str:
    """The release commit on top of `journal.base`: made now, or found already made."""
    head = git.rev("HEAD")
    if head != journal.base:
        if head is not None and _is_release_commit(git, journal):
            report("commit", f"{head[:12]} already made: {journal.message!r}")
            return head
        if head is not None and _is_dev_commit(git, journal):  # killed after the development commit
            release = git.out("rev-parse", "HEAD^")
            report("commit", f"{release[:12]} already made: {journal.message!r}")
            return release
        msg = (
            f"HEAD moved since the release of {journal.version} started (it was {journal.base[:12]}, now "
            f"{(head or 'none')[:12]}); put it back with `git switch {journal.branch} && git reset --hard "
            f"{journal.base}`, or give the release up with `releasekit release --abort`"
        )
        raise JournalError(msg)
    # `git add` of a deleted tracked path stages its removal, so the removed fragments go in the same commit (an
    # untracked one, say gitignored, is only deleted: git would refuse a path it does not know).
    removed = git.out("ls-files", "--", *journal.removed).splitlines() if journal.removed else []
    write_files(git.root, journal.files)
    for rel in journal.removed:
        (git.root / rel).unlink(missing_ok=True)
    failpoint("write")
    commit = git.commit_files(sorted({*journal.files, *removed}), journal.message)
    gone = f", {len(journal.removed)} removed" if journal.removed else ""
    report("commit", f"{commit[:12]} {journal.message!r} ({len(journal.files)} files{gone})")
    return commit


def _is_release_commit(git: Git, journal: Journal, ref: str = "HEAD") -> bool:
    """`ref` is the commit this release made: on the release's base, with its message."""
    return git.rev(f"{ref}^") == journal.base and git.head_subject(ref) == journal.message


def _is_dev_commit(git: Git, journal: Journal) -> bool:
    """HEAD is the development commit this release made (release.next-dev): on its release commit, with its
    message."""
    return (
        journal.next_dev is not None
        and git.head_subject() == journal.dev_message
        and _is_release_commit(git, journal, "HEAD^")
    )


def ensure_dev_commit(git: Git, journal: Journal, commit: str, report: Report) -> str:
    """The development commit on top of the release commit `commit` (release.next-dev): made now, or found already
    made. Returns the commit the branch is pushed at."""
    head = git.rev("HEAD")
    if head != commit:
        if head is not None and _is_dev_commit(git, journal):
            report("next-dev", f"{head[:12]} already made: {journal.dev_message!r}")
            return head
        msg = (
            f"HEAD moved since the release commit {commit[:12]} of {journal.version} was made (now "
            f"{(head or 'none')[:12]}); put it back with `git switch {journal.branch} && git reset --hard "
            f"{commit}`, or give the release up with `releasekit release --abort`"
        )
        raise JournalError(msg)
    write_files(git.root, journal.dev_files)
    made = git.commit_files(sorted(journal.dev_files), journal.dev_message)
    report("next-dev", f"{made[:12]} {journal.dev_message!r} ({len(journal.dev_files)} files)")
    return made


def ensure_tag(git: Git, journal: Journal, commit: str, *, sign: bool, report: Report) -> None:
    found = git.tag_commit(journal.tag)
    if found == commit:
        report("tag", f"{journal.tag} already on {commit[:12]}")
        return
    if found is not None:
        msg = (
            f"tag {journal.tag} exists but points at {found[:12]}, not the release commit {commit[:12]}; "
            f"delete it (`git tag -d {journal.tag}`) and run `releasekit release --resume`"
        )
        raise JournalError(msg)
    git.create_tag(journal.tag, journal.message, sign=sign, target=commit)
    report("tag", f"{journal.tag} ({'signed' if sign else 'annotated'}) on {commit[:12]}")


def ensure_pushed(git: Git, journal: Journal, commit: str, report: Report, tip: str | None = None) -> None:
    """Push the branch (at `tip`: the development commit with release.next-dev, else the release commit) and the
    tag (at the release commit `commit`) together, unless origin already has both."""
    tip = tip or commit
    branch_ref, tag_ref = f"refs/heads/{journal.branch}", f"refs/tags/{journal.tag}"
    remote = git.remote_refs(branch_ref, tag_ref, f"{tag_ref}^{{}}")  # ^{} : the commit an annotated tag is on
    if remote.get(tag_ref) == commit and (remote.get(branch_ref) == tip or _contains(git, remote, branch_ref, tip)):
        report("push", f"origin already has {journal.branch} and {journal.tag}")
        return
    if remote.get(tag_ref) not in (None, commit):
        msg = f"origin already has a different {journal.tag} ({remote[tag_ref][:12]}); nothing was pushed"
        raise JournalError(msg)
    try:
        git.push_atomic(journal.branch, journal.tag)
    except PushRejected as exc:
        raise PushRejected(_rejected_message(git, journal, str(exc))) from None
    at = f" (at the development commit {tip[:12]})" if tip != commit else ""
    report("push", f"{journal.branch}{at} and {journal.tag} pushed to origin (atomic)")


def _contains(git: Git, remote: dict[str, str], ref: str, commit: str) -> bool:
    sha = remote.get(ref)
    return sha is not None and git.rev(sha) is not None and git.is_ancestor(commit, sha)


def _rejected_message(git: Git, journal: Journal, reason: str) -> str:
    """Undo the local commit and tag (nothing reached origin: the push was atomic), and say what happened."""
    try:
        git.delete_tag(journal.tag)
        git.run("reset", "--quiet", "--hard", journal.base)
        Journal.remove(git.git_dir())
        commits = "release and development commits" if journal.next_dev else "release commit"
        undone = (
            f"nothing was pushed, and the local {commits} and tag {journal.tag} were undone "
            f"({journal.branch} is back at {journal.base[:12]})"
        )
    except GitError as exc:
        undone = (
            f"nothing was pushed; undoing the local commit and tag failed ({exc}): run `git tag -d {journal.tag} && "
            f"git reset --hard {journal.base}`"
        )
    return (
        f"origin refused the push of {journal.branch} and {journal.tag}:\n  {reason}\n{undone}.\n"
        f"If {journal.branch} is protected, release from a commit that is on it through a pull request, or ask an "
        "admin to allow your pushes; then run the release again"
    )


def abort(git: Git, journal: Journal, report: Report) -> None:
    """Give up a release that has not reached origin: drop the local tag and commit, then the journal."""
    tag_ref = f"refs/tags/{journal.tag}"
    if tag_ref in git.remote_refs(tag_ref, f"{tag_ref}^{{}}"):
        msg = (
            f"{journal.tag} is already on origin: the release is public and cannot be taken back by releasekit; "
            "finish it with `releasekit release --resume`"
        )
        raise JournalError(msg)
    if git.tag_commit(journal.tag) is not None:
        git.delete_tag(journal.tag)
        report("abort", f"deleted local tag {journal.tag}")
    head = git.rev("HEAD")
    if head != journal.base and _is_dev_commit(git, journal):
        git.run("reset", "--quiet", "--hard", journal.base)
        report(
            "abort",
            f"dropped the development commit and the release commit; {journal.branch} is back at {journal.base[:12]}",
        )
    elif head != journal.base and _is_release_commit(git, journal):
        # --hard also undoes the development version's files, if a kill came after writing them.
        git.run("reset", "--quiet", "--hard", journal.base)
        report("abort", f"dropped the release commit; {journal.branch} is back at {journal.base[:12]}")
    elif head == journal.base:
        # Files HEAD has are restored; a file the release created (a first CHANGELOG.md) is removed again.
        # ... and the news fragments it deleted come back.
        paths = (*journal.files, *journal.removed)
        tracked = set(git.out("ls-tree", "-r", "--name-only", "HEAD", "--", *paths).splitlines())
        if tracked:
            git.run("checkout", "--quiet", "HEAD", "--", *sorted(tracked))
        for created in sorted(set(journal.files) - tracked):
            (git.root / created).unlink(missing_ok=True)
        report("abort", "restored the edited files")
    Journal.remove(git.git_dir())
    report("abort", f"the release of {journal.version} is given up")
