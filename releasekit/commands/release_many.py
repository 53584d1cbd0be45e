"""`releasekit release auto` in a repository that declares `packages:`: every package with releasable commits since
its own latest tag, in one release. Each package is planned on its own view exactly as `releasekit release NAME
auto` plans it; the file edits are merged (two packages editing one file, a shared lock file say, are merged when
they touch different lines, refused when they touch the same ones), then carried out once: one commit, one annotated
tag per package, the branch and every tag in one atomic push, all in the journal that `--resume` and `--abort` use.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from releasekit.dependents import follow
from releasekit.errors import Interrupted, ReleasekitError, UsageError
from releasekit.versionfiles import FileChange

if TYPE_CHECKING:
    from releasekit.commands.release import _Auto, _Session
    from releasekit.journal import Journal
    from releasekit.plan import ReleasePlan
    from releasekit.steps.preflight import Verdict


class MergeConflict(ReleasekitError):
    """Two packages' releases edit the same lines of one file: they cannot be released together."""


@dataclass(frozen=True)
class Planned:
    """One package's part of the release: its plan on its own view, and what `auto` decided."""

    name: str
    plan: ReleasePlan
    decided: _Auto | None


def wanted(args: argparse.Namespace, session: _Session) -> bool:
    """`releasekit release auto` (no package named) in a repository that declares packages."""
    packages = session.located.config.packages
    word = (args.version or "").strip().lower()
    return bool(packages) and word == "auto" and args.package_version is None and "auto" not in packages


def release_every(args: argparse.Namespace, session: _Session, git_dir: Path) -> int:
    from releasekit.commands.release import _carry_out, stop_or_go
    from releasekit.journal import Journal
    from releasekit.steps.apply import failpoint

    if args.pre:
        raise UsageError("--pre makes a prerelease of one package: `releasekit release NAME minor --pre rc`")
    if session.located.config.release.next_dev_bump is not None:
        msg = (
            "release.next-dev makes one development commit per release; with several packages released at once it "
            "is not supported yet: release them one by one, `releasekit release NAME auto`"
        )
        raise UsageError(msg)
    try:
        planned, left = plan_every(session)
        if not planned:
            print(f"releasekit release auto: nothing to release in any of the {len(left)} packages")
            for name, note in left:
                print(f"  {name}: {note}")
            return 0
        changes = merge_changes([(p.name, p.plan.changes) for p in planned])
        changes, dependents = follow(
            session.located.root, session.located.config, {p.name: p.plan.version for p in planned}, changes
        )
        gone, notes = _change_files(session, planned)
        print(_header(session, planned, left) + "".join(f"\n  change files: {note}" for note in notes))
        verdicts = _check(args, session, planned, changes)
    except KeyboardInterrupt:
        raise Interrupted("stopped during the preflight checks: nothing was changed") from None
    journal = _journal(session, planned, changes, gone)
    described = describe(planned, left, changes, journal, dependents)
    stopped = stop_or_go(described, verdicts, dry_run=args.dry_run)
    if stopped is not None:
        return stopped
    try:
        failpoint("preflight")
        journal.save(git_dir)
    except KeyboardInterrupt:
        Journal.remove(git_dir)
        raise Interrupted("stopped after the preflight checks, before the release began: nothing was changed") from None
    return _carry_out(args, session, journal, fresh=True)


def plan_every(session: _Session) -> tuple[list[Planned], list[tuple[str, str]]]:
    """Each package's plan (on its view), and the packages left out with why. The session is back on the whole
    repository's config afterwards."""
    from releasekit.commands.release import _need_version_files, _NoTagYet, _NothingToRelease, _plan_release

    whole, git = session.located, session.git
    status, remote_tags = git.status(), git.remote_tags()
    index_url = os.environ.get("RELEASEKIT_INDEX_URL")
    planned: list[Planned] = []
    left: list[tuple[str, str]] = []
    try:
        for name in whole.config.package_names():
            session.view(name)
            _need_version_files(session)
            try:
                plan, decided = _plan_release(
                    session, "auto", None, status=status, remote_tags=remote_tags, index_url=index_url
                )
            except _NothingToRelease as nothing:
                left.append((name, str(nothing).removesuffix("; nothing was changed")))
                continue
            except _NoTagYet:
                fmt = session.located.config.project.tag_format
                left.append((name, f"no release tag spelled {fmt} yet: `releasekit release {name} VERSION` first"))
                continue
            planned.append(Planned(name, plan, decided))
    finally:
        session.located, session.package, session.whole = whole, None, None
    return planned, left


def merge_changes(parts: Sequence[tuple[str, Sequence[FileChange]]]) -> list[FileChange]:
    """The packages' file edits as one list, a file once. Two packages that edit one file (each planned on the same
    text) are merged line by line when their edits touch different, non-adjacent lines; edits of the same or
    adjacent lines raise MergeConflict, naming the file, the packages and the line."""
    merged: dict[str, tuple[str, FileChange]] = {}
    for name, changes in parts:
        for change in changes:
            if change.path not in merged:
                merged[change.path] = (name, change)
                continue
            owner, first = merged[change.path]
            if change.before != first.before:  # never: each plan reads the same working tree
                raise MergeConflict(f"{change.path}: {owner} and {name} planned from different texts of it")
            after = _merge3(change.path, first.before, (owner, first.after), (name, change.after))
            reason = f"{first.reason}; {change.reason}"
            merged[change.path] = (owner, dataclasses.replace(first, after=after, reason=reason))
    return [change for _, change in merged.values()]


def _lines(text: str) -> list[str]:
    return re.findall(r"[^\n]*\n|[^\n]+\Z", text)  # as git counts lines (str.splitlines also splits at \f)


def _merge3(path: str, base: str, mine: tuple[str, str], theirs: tuple[str, str]) -> str:
    lines = _lines(base)
    hunks: list[tuple[int, int, tuple[str, ...], str]] = []
    for name, text in (mine, theirs):
        edited = _lines(text)
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, lines, edited, autojunk=False).get_opcodes():
            if op != "equal":
                hunks.append((i1, i2, tuple(edited[j1:j2]), name))
    hunks.sort(key=lambda h: (h[0], h[1]))
    out: list[str] = []
    at = 0
    previous: tuple[int, int, tuple[str, ...], str] | None = None
    for hunk in hunks:
        start, end, new, name = hunk
        if previous is not None:
            if (start, end, new) == previous[:3]:
                continue  # both made the same edit
            if start <= previous[1]:
                msg = (
                    f"{path}: the releases of {previous[3]} and {name} both edit line {start + 1} (or the lines next "
                    "to it); they cannot be merged into one commit. Release them one at a time: "
                    f"`releasekit release {previous[3]} auto`, then `releasekit release {name} auto`"
                )
                raise MergeConflict(msg)
        out += lines[at:start]
        out += new
        at = end
        previous = hunk
    out += lines[at:]
    return "".join(out)


def _change_files(session: _Session, planned: list[Planned]) -> tuple[list[str], list[str]]:
    """The change files (releasekit/changefiles.py) this release deletes: each whose every package still counting it
    is released now; and the notes for the plan: the files kept, and keys that name no declared package."""
    from releasekit.commands.release import _change_set, _consumed

    pending = [p for one in planned if one.decided for p in one.decided.pending]
    gone, kept = _consumed(session, pending, {p.name for p in planned}) if pending else ([], [])
    notes = list(_change_set(session).notes) if session.changes is not None else []
    return gone, [*kept, *notes]


def _header(session: _Session, planned: list[Planned], left: list[tuple[str, str]]) -> str:
    repository = session.located.config.project.repository
    total = len(planned) + len(left)
    out = [f"releasekit release auto: {len(planned)} of {total} packages ({repository})"]
    for p in planned:
        out.append(f"  {p.name} {p.plan.version} (latest release {p.plan.previous_tag or 'none'})")
        if p.decided:
            out.append(f"    {p.decided.summary}")
    out += [f"  {name}: {note}" for name, note in left]
    return "\n".join(out)


def _check(
    args: argparse.Namespace, session: _Session, planned: list[Planned], changes: list[FileChange]
) -> list[Verdict]:
    """The preflight checks: every check once with the first package's plan, then each further package's own (its
    tag, its package build), all with the merged edits."""

    from releasekit.commands.release import _verdict, preflight_options
    from releasekit.steps import preflight

    whole, git = session.located, session.git
    status, remote_tags = git.status(), git.remote_tags()
    verdicts: list[Verdict] = []
    for i, p in enumerate(planned):
        session.view(p.name)
        try:
            ctx = preflight.Context(
                located=session.located,
                git=git,
                status=status,
                plan=dataclasses.replace(p.plan, changes=tuple(changes)),
                github=session.github,
                options=preflight_options(args, os.environ.get("RELEASEKIT_INDEX_URL")),
                remote_tags=remote_tags,
                repository=whole,
            )
            print(f"preflight {p.name}")
            if i == 0:
                verdicts += preflight.run_checks(ctx, _verdict)
            else:
                own = [preflight.tag_absent(ctx)]
                _verdict(own[0])
                failed = any(not v.ok and not v.skipped for v in [*verdicts, *own])
                skipped = preflight.Verdict("package", False, "not checked: an earlier check failed", skipped=True)
                own.append(skipped if failed else preflight.package(ctx))
                _verdict(own[1])
                verdicts += own
            session.build_seconds += ctx.build_seconds
        finally:
            session.located, session.package, session.whole = whole, None, None
    return verdicts


def _journal(session: _Session, planned: list[Planned], changes: list[FileChange], gone: Sequence[str] = ()) -> Journal:
    from releasekit.journal import Journal, now

    first = planned[0].plan
    versions = ", ".join(f"{p.name} {p.plan.version}" for p in planned)
    return Journal(
        version=versions,
        tag=first.tag,
        branch=first.branch,
        base=first.base,
        message=session.located.config.release.commit_message.replace("{version}", versions),
        files={c.path: c.after for c in changes},
        removed=sorted({*(path for p in planned for path in p.plan.removed), *gone}),
        started=now(),
        tags={p.plan.tag: p.plan.message for p in planned},
        packages={p.name: str(p.plan.version) for p in planned},
    )


def describe(
    planned: list[Planned],
    left: list[tuple[str, str]],
    changes: list[FileChange],
    journal: Journal,
    dependents: Sequence[str] = (),
) -> str:
    """The whole release as text, each package's decision with its commits, the siblings' requirements that follow
    them (`dependents`), the diffs: what `--dry-run` prints."""
    from releasekit.changefiles import removed_text

    first = planned[0].plan
    count = f"{len(planned)} package{'s' * (len(planned) != 1)}"
    out = [f"Plan: release {count} of {first.repository} in one commit"]
    for p in planned:
        out.append(f"   {p.name} {p.plan.version} (latest release: {p.plan.previous_tag or 'none'})")
        out += [f"     {line}" for line in p.plan.decided]
    out += [f"   {name}: left out: {note}" for name, note in left]
    out += ["", f"1. Edit {len(changes)} files:"]
    for p in planned:
        out += [f"   {c.path}: {c.reason} {c.old or '(new)'} -> {c.new}" for c in p.plan.changes]
        out.append(f"   changelog ({p.name}): {p.plan.changelog_source}")
    out += [f"   dependents: {line}" for line in dependents]
    if journal.removed:
        out.append(f"   remove {removed_text(journal.removed)}")
    out.append("")
    out += [change.diff().rstrip("\n") for change in changes]
    tags = ", ".join(journal.all_tags())
    signed = "Signed" if first.sign else "Annotated"
    several = len(planned) > 1
    out += [
        "",
        f"2. Commit on {first.branch} (on {first.base[:12]}): {journal.message!r}",
        f"3. {signed} tags on that commit, one per package: {tags}" if several else f"3. {signed} tag {tags} on it",
        f"4. Push {first.branch} and {f'the {len(planned)} tags' if several else tags} to origin in one atomic push",
        f"5. {_unfollowed(first)}",
    ]
    return "\n".join(out) + "\n"


def _unfollowed(plan: ReleasePlan) -> str:
    """What follows the push: several tags start several runs, which this command does not follow."""
    if plan.run is None:
        return "No release workflow is declared (a workflow with a push.tags trigger): nothing to follow"
    return watch_note(plan.run.file)


def watch_note(workflow: str) -> str:
    return (
        f"Not followed: each tag starts its own run of {workflow} (GitHub starts none when more than three tags are "
        "pushed at once); `releasekit runs` lists them, `releasekit watch RUN` follows one"
    )
