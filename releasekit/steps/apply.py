"""Carry out a release's local and remote changes: write the files, commit, tag, (with release.next-dev) commit the
development version, push atomically; and undo them when the release is given up or lost a race.

Each step first looks at the real state (is HEAD already the release commit, is the tag there, has the remote got
both) so that running it again after a crash, a kill or a network failure does nothing twice.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from releasekit.backends.git import Git, GitError, PushRejected
from releasekit.journal import Journal, JournalError
from releasekit.output import Report

# The step boundaries of a release, in order (`failpoint` names them): "check" after each preflight check, and
# nothing is changed before "journal"; "write" and "dev-write": the files are written, not committed;
# "origin-checked": origin was read, the push comes next.
STEPS = (
    *("check", "preflight", "journal", "write", "commit", "tag"),
    *("dev-write", "dev-commit", "origin-checked", "push", "run"),
)

_hooks: list[Callable[[str], None]] = []


@contextmanager
def step_hook(hook: Callable[[str], None]) -> Iterator[None]:
    """Call `hook(step)` at each step boundary of the releases this process runs meanwhile (tests: raise
    KeyboardInterrupt there as a Ctrl-C would, or let another clone's release win a race)."""
    _hooks.append(hook)
    try:
        yield
    finally:
        _hooks.remove(hook)


def failpoint(step: str) -> None:
    """A step boundary (see STEPS). Testing hooks: `step_hook` functions are called; RELEASEKIT_FAILPOINT=after-<step>
    kills the process right there, as a crash or a power cut would (no cleanup, no journal update), so that
    `--resume` can be tested after every step; RELEASEKIT_FAILPOINT=interrupt-after-<step> sends the process a real
    SIGINT, as Ctrl-C does."""
    for hook in tuple(_hooks):
        hook(step)
    point = os.environ.get("RELEASEKIT_FAILPOINT")
    if point == f"after-{step}":
        print(f"releasekit: RELEASEKIT_FAILPOINT: killed after {step}", file=sys.stderr, flush=True)
        os._exit(86)
    if point == f"interrupt-after-{step}":
        signal.raise_signal(signal.SIGINT)  # Python's handler raises KeyboardInterrupt before the next step


def _temp_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.releasekit-tmp")


def write_files(root: Path, files: dict[str, str]) -> None:
    """Write each file whole, through a temporary file and a rename: a crash leaves old or new text, never half
    (and an interrupt no temporary file)."""
    for rel, text in files.items():
        target = root / rel
        temp = _temp_name(target)
        try:
            with temp.open("w", encoding="utf-8", newline="") as f:
                f.write(text)
            if target.exists():
                temp.chmod(target.stat().st_mode & 0o7777)
            temp.replace(target)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise


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
    journal.commit = commit
    journal.save(git.git_dir())
    gone = f", {len(journal.removed)} removed" if journal.removed else ""
    report("commit", f"{commit[:12]} {journal.message!r} ({len(journal.files)} files{gone})")
    return commit


def _is_release_commit(git: Git, journal: Journal, ref: str = "HEAD") -> bool:
    """`ref` is the commit this release made: the one the journal recorded, else (killed before it was recorded)
    a commit on the release's base with its message."""
    sha = git.rev(ref)
    if sha is None:
        return False
    if journal.commit is not None:
        return sha == journal.commit
    return git.rev(f"{sha}^") == journal.base and git.head_subject(sha) == journal.message


def _is_dev_commit(git: Git, journal: Journal, ref: str = "HEAD") -> bool:
    """`ref` is the development commit this release made (release.next-dev): the one recorded, else a commit on
    its release commit with its message."""
    if journal.next_dev is None:
        return False
    sha = git.rev(ref)
    if sha is None:
        return False
    if journal.dev_commit is not None:
        return sha == journal.dev_commit
    return git.head_subject(sha) == journal.dev_message and _is_release_commit(git, journal, f"{sha}^")


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
    failpoint("dev-write")
    made = git.commit_files(sorted(journal.dev_files), journal.dev_message)
    journal.dev_commit = made
    journal.save(git.git_dir())
    report("next-dev", f"{made[:12]} {journal.dev_message!r} ({len(journal.dev_files)} files)")
    return made


def ensure_tag(git: Git, journal: Journal, commit: str, *, sign: bool, report: Report) -> None:
    """Each of the release's tags (one, or one per package released at once) on the release commit: made now, or
    found already made."""
    for tag, message in journal.all_tags().items():
        found = git.tag_commit(tag)
        if found == commit:
            report("tag", f"{tag} already on {commit[:12]}")
            continue
        if found is not None:
            msg = (
                f"tag {tag} exists but points at {found[:12]}, not the release commit {commit[:12]}; "
                f"delete it (`git tag -d {tag}`) and run `releasekit release --resume`"
            )
            raise JournalError(msg)
        git.create_tag(tag, message, sign=sign, target=commit)
        report("tag", f"{tag} ({'signed' if sign else 'annotated'}) on {commit[:12]}")


def _remote_refs(git: Git, journal: Journal) -> dict[str, str]:
    """Origin's refs for the release's branch and each of its tags (peeled: the commit an annotated tag is on)."""
    tag_refs = [f"refs/tags/{tag}" for tag in journal.all_tags()]
    return git.remote_refs(f"refs/heads/{journal.branch}", *(r for ref in tag_refs for r in (ref, f"{ref}^{{}}")))


def _theirs(journal: Journal, remote: dict[str, str], commit: str | None) -> tuple[str | None, str | None]:
    """(a tag of the release origin has on another commit than `commit`, that commit), or (None, None)."""
    for tag in journal.all_tags():
        sha = remote.get(f"refs/tags/{tag}")
        if sha is not None and sha != commit:
            return tag, sha
    return None, None


class RaceLost(JournalError):
    """Another clone's release of the same version reached origin first; this one was undone here."""


def ensure_pushed(git: Git, journal: Journal, commit: str, report: Report, tip: str | None = None) -> None:
    """Push the branch (at `tip`: the development commit with release.next-dev, else the release commit) and the
    tag (at the release commit `commit`) together, unless origin already has both. Origin holding another commit
    under the tag is a race lost to another clone: this release is undone here (`RaceLost`)."""
    tip = tip or commit
    tags = list(journal.all_tags())
    branch_ref, named = f"refs/heads/{journal.branch}", journal.named()
    remote = _remote_refs(git, journal)
    if all(remote.get(f"refs/tags/{tag}") == commit for tag in tags):
        # Public already (a push whose answer was lost, or a kill after it): never pushed again, never undone.
        if remote.get(branch_ref) != tip and not _contains(git, remote, branch_ref, tip):
            with suppress(GitError):
                git.fetch(journal.branch)  # origin's branch may have moved on past the release: look again
        if remote.get(branch_ref) == tip or _contains(git, remote, branch_ref, tip):
            report("push", f"origin already has {journal.branch} and {named}")
        elif _behind(git, remote, branch_ref, tip) and _push_branch(git, journal.branch):
            report("push", f"{journal.branch} pushed to origin (it already had {named})")
        else:
            where = remote.get(branch_ref, "none")[:12]
            report(
                "push",
                f"origin already has {named}, but its {journal.branch} ({where}) does not contain the release "
                f"commit {tip[:12]}: someone moved it; the tag is public and the release goes on; merge "
                f"{journal.branch} by hand",
            )
        return
    tag, theirs = _theirs(journal, remote, commit)
    if tag is not None and theirs is not None:
        raise RaceLost(lost_race(git, journal, commit, theirs, remote, tag=tag))
    failpoint("origin-checked")
    try:
        git.push_atomic(journal.branch, *tags)  # with several tags, one that origin has already is up to date
    except PushRejected as exc:
        raise PushRejected(_rejected_message(git, journal, str(exc), commit)) from None
    at = f" (at the development commit {tip[:12]})" if tip != commit else ""
    report("push", f"{journal.branch}{at} and {named} pushed to origin (atomic)")


def _behind(git: Git, remote: dict[str, str], ref: str, commit: str) -> bool:
    """Origin's `ref` is an ancestor of `commit` (a push of it would be a fast-forward)."""
    sha = remote.get(ref)
    return sha is not None and git.rev(sha) is not None and git.is_ancestor(sha, commit)


def _push_branch(git: Git, branch: str) -> bool:
    """Push the branch alone (its tag is on origin already); False if origin refuses (nothing is undone then)."""
    ref = f"refs/heads/{branch}"
    return git.run("push", "--porcelain", git.remote, f"{ref}:{ref}", check=False, timeout=600).returncode == 0


def _contains(git: Git, remote: dict[str, str], ref: str, commit: str) -> bool:
    sha = remote.get(ref)
    return sha is not None and git.rev(sha) is not None and git.is_ancestor(commit, sha)


def lost_race(
    git: Git, journal: Journal, commit: str, theirs: str, remote: dict[str, str], *, tag: str | None = None
) -> str:
    """Undo this release here (origin has another commit under its tag: nothing of it was pushed), and say so."""
    tag = tag or journal.tag
    try:
        undone = undo_local(git, journal, remote)
        done = "; ".join(undone) if undone else "nothing was left to undo"
        after = f"Undone here: {done}. The repository is as it was before the release; the journal is cleared."
    except (GitError, JournalError) as exc:
        after = f"Undoing it here did not finish ({exc}); `releasekit release --abort` finishes undoing it."
    return (
        f"origin already has a different {tag}: on {theirs[:12]}, not on this release's commit "
        f"{commit[:12]}. Another release of {journal.version} reached origin first; nothing was pushed from here.\n"
        f"{after}\n"
        f"Next: `git pull` to get {tag} and {journal.branch} as origin has them; then, if there is more to "
        f"release, a version above {journal.version} (`releasekit release patch`, or `minor`)."
    )


def _rejected_message(git: Git, journal: Journal, reason: str, commit: str) -> str:
    """Undo the local commit and tag (nothing reached origin: the push was atomic), and say what happened."""
    branch_ref, named = f"refs/heads/{journal.branch}", journal.named()
    try:
        remote = _remote_refs(git, journal)
    except GitError:
        remote = {}
    if all(remote.get(f"refs/tags/{tag}") == commit for tag in journal.all_tags()):
        # refused, yet there: public, so nothing is undone
        return (
            f"origin refused the push of {journal.branch} and {named}:\n  {reason}\nbut origin has {named} "
            "on this release's commit: the release is public; `releasekit release --resume` finishes it"
        )
    tag, theirs = _theirs(journal, remote, commit)
    if tag is not None and theirs is not None:  # another clone pushed the same version between our look and push
        return f"origin refused the push of {journal.branch} and {named}:\n  {reason}\n" + lost_race(
            git, journal, commit, theirs, remote, tag=tag
        )
    try:
        undo_local(git, journal, remote)
        commits = "release and development commits" if journal.next_dev else "release commit"
        undone = (
            f"nothing was pushed, and the local {commits} and tag {named} were undone "
            f"({journal.branch} is back at {journal.base[:12]})"
        )
    except (GitError, JournalError) as exc:
        undone = (
            f"nothing was pushed; undoing the local commit and tag did not finish ({exc}): "
            "`releasekit release --abort` finishes it"
        )
    moved = remote.get(branch_ref)
    if moved not in (None, journal.base):
        hint = (
            f"origin's {journal.branch} moved on while the release ran (it is at {moved[:12]} now): `git pull`, "
            "then run the release again"
        )
    else:
        hint = (
            f"If {journal.branch} is protected, release from a commit that is on it through a pull request, or ask "
            "an admin to allow your pushes; then run the release again"
        )
    return f"origin refused the push of {journal.branch} and {named}:\n  {reason}\n{undone}.\n{hint}"


# -- undoing a release that has not reached origin -------------------------------------------------------------------


def _on_branch(git: Git, journal: Journal) -> bool:
    head = git.run("symbolic-ref", "--quiet", "HEAD", check=False).stdout.strip()
    return head == f"refs/heads/{journal.branch}"


def _own_commits(git: Git, journal: Journal, remote: dict[str, str]) -> tuple[str | None, str | None, str | None]:
    """(the branch's tip, this release's commit there, its development commit there): the commits an undo drops.
    None for a commit origin has (under the tag, or in its branch): that one is public, not this clone's to drop."""
    tip = git.rev(f"refs/heads/{journal.branch}")
    if tip is None or tip == journal.base:
        return tip, None, None
    release, dev = None, None
    if _is_dev_commit(git, journal, tip):
        release, dev = git.rev(f"{tip}^"), tip
    elif _is_release_commit(git, journal, tip):
        release = tip
    branch_ref = f"refs/heads/{journal.branch}"
    public = any(remote.get(f"refs/tags/{tag}") == release for tag in journal.all_tags())
    if release is not None and (public or _contains(git, remote, branch_ref, release)):
        return tip, None, None
    return tip, release, dev


def _paths(journal: Journal) -> list[str]:
    return sorted({*journal.files, *journal.removed, *journal.dev_files})


def _changed(git: Git, paths: list[str], *, untracked: bool = True) -> list[str]:
    """The paths (of `paths`; all when empty) that differ from HEAD, in the index or the working tree."""
    args = ["status", "--porcelain=v1", "-z", f"--untracked-files={'all' if untracked else 'no'}"]
    out = git.run(*args, "--", *paths).stdout if paths else git.run(*args).stdout
    prefix = _prefix(git)  # porcelain paths are from the top; the journal's from the root
    found: list[str] = []
    skip = False
    for entry in out.split("\0"):
        if skip or not entry:
            skip = False
            continue
        path = entry[3:]
        found.append(path[len(prefix) :] if prefix and path.startswith(prefix) else path)
        skip = entry[:1] in ("R", "C")  # a rename's or copy's source path follows
    return found


_prefixes: dict[Path, str] = {}


def _prefix(git: Git) -> str:
    """Where the project's root is in its repository (`sub/`, or "" at the top), asked once per root."""
    if git.root not in _prefixes:
        _prefixes[git.root] = git.out("rev-parse", "--show-prefix")
    return _prefixes[git.root]


def local_changes(git: Git, journal: Journal) -> list[str]:
    """What of this release is in the repository now (commits, tag, edited files), as a person reads it."""
    tip, release, dev = _own_commits(git, journal, {})
    found = []
    if release is not None:
        found.append(f"release commit {release[:12]}")
    if dev is not None:
        found.append(f"development commit {dev[:12]}")
    for tag in journal.all_tags():
        tagged = git.rev(f"refs/tags/{tag}")
        if tagged is not None and (tagged == release or _is_release_commit(git, journal, tagged)):
            found.append(f"tag {tag}")
    if tip in (journal.base, release) or dev is not None:
        edited = _changed(git, _paths(journal))
        if edited:
            found.append(f"{len(edited)} edited file{'s' * (len(edited) != 1)} not committed ({', '.join(edited)})")
    return found


def undo_local(git: Git, journal: Journal, remote: dict[str, str]) -> list[str]:
    """Put the repository back as it was before the release started (HEAD, branch, index, working tree, tags) and
    clear the journal; undo only what is this release's and not on origin (`remote`: origin's refs as read).
    Returns what it undid, a line each. Safe to run again after an interruption: each part looks first."""
    undone: list[str] = []
    branch_ref = f"refs/heads/{journal.branch}"
    tip, release, dev = _own_commits(git, journal, remote)
    on_branch = _on_branch(git, journal)
    if on_branch and (release is not None or tip == journal.base):
        stray = [p for p in _changed(git, [], untracked=False) if p not in set(_paths(journal))]
        if stray:
            shown = ", ".join(stray[:5]) + (f" and {len(stray) - 5} more" if len(stray) > 5 else "")
            msg = (
                f"uncommitted changes the release did not make: {shown}; undoing the release would lose them. "
                "Commit them or set them aside (`git stash`), then run `releasekit release --abort`"
            )
            raise JournalError(msg)
    for tag in journal.all_tags():
        tagged = git.rev(f"refs/tags/{tag}")
        public = remote.get(f"refs/tags/{tag}")
        if tagged is not None and tagged != public and (tagged == release or _is_release_commit(git, journal, tagged)):
            git.delete_tag(tag)
            undone.append(f"deleted local tag {tag} (on {tagged[:12]})")
    if release is not None and tip is not None:
        if on_branch:
            git.run("reset", "--quiet", "--hard", journal.base)  # also the files a kill left written, not committed
        else:
            git.run("update-ref", "-m", "releasekit: undo the release", branch_ref, journal.base, tip)
        commits = (
            f"the development commit and the release commit ({dev[:12]}, {release[:12]})"
            if dev is not None
            else f"the release commit {release[:12]}"
        )
        undone.append(f"dropped {commits}; {journal.branch} is back at {journal.base[:12]}")
    elif tip == journal.base and on_branch:
        restored = _restore(git, journal)
        if restored:
            undone.append(f"restored the edited files ({', '.join(restored)})")
    for rel in _paths(journal):
        _temp_name(git.root / rel).unlink(missing_ok=True)  # left by a kill in the middle of a write
    Journal.remove(git.git_dir())
    return undone


def _restore(git: Git, journal: Journal) -> list[str]:
    """The files the release edited, put back as HEAD has them (a file it created is removed again, and the news
    fragments it deleted come back); the index too. Returns the paths that had changed."""
    paths = _paths(journal)
    changed = _changed(git, paths)
    if not changed:
        return []
    tracked = set(git.out("ls-tree", "-r", "--name-only", "HEAD", "--", *changed).splitlines())
    if tracked:
        git.run("checkout", "--quiet", "HEAD", "--", *sorted(tracked))
    for created in sorted(set(changed) - tracked):
        git.run("rm", "--quiet", "--cached", "--ignore-unmatch", "--", created)
        (git.root / created).unlink(missing_ok=True)
    return changed


def abort(git: Git, journal: Journal, report: Report) -> None:
    """Give up a release that has not reached origin: drop the local tag and commits, restore the files, clear the
    journal, naming each thing undone. A release whose tag origin has on another commit lost a race: it is undone
    too. One whose tag origin has on this release's commit is public, and refused."""
    remote = _remote_refs(git, journal)
    for tag in journal.all_tags():
        tag_ref = f"refs/tags/{tag}"
        theirs = remote.get(tag_ref)
        if theirs is None:
            continue
        mine = {journal.commit}
        if journal.commit is None:  # killed before it was recorded: known by its parent and message
            mine |= {_own_commits(git, journal, {})[1], git.rev(tag_ref)}
            mine = {sha for sha in mine if sha is not None and _is_release_commit(git, journal, sha)}
        mine.discard(None)
        if theirs in mine or not mine:
            msg = (
                f"{tag} is already on origin: the release is public and cannot be taken back by releasekit; "
                "finish it with `releasekit release --resume`"
            )
            raise JournalError(msg)
        elsewhere = f"another release of {journal.version} got there first"
        report("abort", f"origin has a different {tag} (on {theirs[:12]}): {elsewhere}")
    undone = undo_local(git, journal, remote)
    for line in undone:
        report("abort", line)
    if not undone:
        report("abort", "nothing of it was left here to undo")
    report("abort", f"the release of {journal.version} is given up")
