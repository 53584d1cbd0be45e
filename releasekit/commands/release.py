"""Cut a release: check everything first, bump the version in every file that carries it, update the changelog,
commit, tag, push branch and tag atomically, then follow the release workflow's run to the published release."""

from __future__ import annotations

import argparse
import datetime
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from releasekit.errors import Interrupted, ReleasekitError, UsageError
from releasekit.links import docs
from releasekit.output import say

if TYPE_CHECKING:
    from collections.abc import Sequence

    import semver

    from releasekit.backends.git import Git, Status
    from releasekit.backends.github import GitHub
    from releasekit.changefiles import ChangeFile, ChangeSet, Pending
    from releasekit.config.loader import Located
    from releasekit.config.model import Config
    from releasekit.conventional import Commit, Decision
    from releasekit.journal import Journal
    from releasekit.plan import ReleasePlan
    from releasekit.steps.preflight import Options, Verdict


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "version",
        nargs="?",
        metavar="[PACKAGE] VERSION",
        help="the version (1.4.0, v1.4.0, 1.4.0-rc.1), a bump word (major, minor, patch, prerelease), or auto: "
        "the bump the conventional commits since the latest release call for. In a repository that declares "
        "`packages:`, the package's name first: `releasekit release NAME VERSION`; `auto` alone releases every "
        "package that changed, in one commit and push",
    )
    parser.add_argument("package_version", nargs="?", help=argparse.SUPPRESS)  # VERSION after a PACKAGE
    parser.add_argument("--pre", metavar="LABEL", help="with a bump word: make a prerelease, e.g. --pre rc")
    parser.add_argument("--dry-run", action="store_true", help="run the checks and print the plan; change nothing")
    parser.add_argument(
        "--resume", action="store_true", help="finish a release that was interrupted (checks what is already done)"
    )
    parser.add_argument(
        "--abort", action="store_true", help="give up an interrupted release that has not reached origin"
    )
    parser.add_argument(
        "--skip-ci-check", action="store_true", help="do not require green CI (check runs and statuses) on HEAD"
    )
    parser.add_argument(
        "--skip-sla-check",
        action="store_true",
        help="do not require the latest E2E run's results to meet `performance:` (the summary says so)",
    )
    parser.add_argument(
        "--no-build-isolation",
        action="store_true",
        help="build the package in this environment (its build backend installed) instead of an isolated one",
    )
    parser.add_argument(
        "--no-watch", action="store_true", help="stop after the push; do not follow the release workflow's run"
    )
    parser.add_argument(
        "--poll", type=float, default=5.0, metavar="SECONDS", help="how often to ask GitHub about the run (default 5)"
    )
    parser.add_argument(
        "--timeout", type=float, default=60.0, metavar="MINUTES", help="give up following the run after this long"
    )


@dataclass
class _Session:
    """One run of the command: its repository, its one GitHub client (made on first use), and where the time went
    (what RELEASEKIT_TIMINGS=1 reports at the end; bench/release.py reads it)."""

    located: Located
    git: Git
    gh: GitHub | None = None
    build_seconds: float = 0.0
    waited: float = 0.0
    package: str | None = None  # the package released (`located` is then its view), or None: the repository
    whole: Located | None = None  # with a package: the repository's whole config, which the workflows come from
    changes: ChangeSet | None = None  # the change files (releasekit/changefiles.py), read once
    added: dict[str, frozenset[str]] = field(default_factory=dict)  # release tag -> change files added since it

    def view(self, name: str) -> None:
        """Release one package from here on: `located` becomes its view (`Config.for_package`), which the whole
        release pipeline runs on unchanged."""
        import dataclasses

        whole = self.whole or self.located
        self.whole, self.package = whole, name
        self.located = dataclasses.replace(whole, config=whole.config.for_package(name))

    def package_path(self) -> str | None:
        """The released package's folder: only the commits that touch it count for it."""
        if self.package is None or self.whole is None:
            return None
        return self.whole.config.packages[self.package].path

    def github(self) -> GitHub:
        if self.gh is None:
            from releasekit.backends.github import GitHub

            self.gh = GitHub.from_env(self.located.config.project.repository)
        return self.gh

    def timings(self, total: float) -> str:
        git = self.git
        requests = self.gh.requests if self.gh else {}
        own = total - git.seconds - self.build_seconds - self.waited
        calls = ", ".join(f"{m} {n}" for m, n in sorted(requests.items())) or "none"
        return (
            f"timings: total {total:.3f} s = git {git.seconds:.3f} s ({git.calls} calls) + build "
            f"{self.build_seconds:.3f} s + waiting {self.waited:.3f} s + releasekit {own:.3f} s; "
            f"GitHub API requests: {sum(requests.values())} ({calls})"
        )


def run(args: argparse.Namespace) -> int:
    from releasekit.backends.git import Git
    from releasekit.config.loader import load

    started = time.perf_counter()
    if args.poll <= 0 or args.timeout <= 0:
        raise UsageError("--poll and --timeout must be positive")
    located = load(Path(args.directory) / args.config)
    session = _Session(located, Git(located.root))
    try:
        return _run(args, session)
    finally:
        if os.environ.get("RELEASEKIT_TIMINGS"):
            import sys

            print(session.timings(time.perf_counter() - started), file=sys.stderr)


def _run(args: argparse.Namespace, session: _Session) -> int:
    from releasekit.journal import Journal, JournalError, release_lock

    located, git = session.located, session.git
    if git.toplevel() is None:
        raise ReleasekitError(f"{located.root} is not a git repository; a release needs one (with an `origin`)")
    if git.remote_url() is None:
        raise ReleasekitError("this repository has no `origin` remote; add it: `git remote add origin URL`")
    git_dir = git.git_dir()
    with release_lock(git_dir):
        journal = Journal.load(git_dir)
        if args.abort or args.resume:
            return _go_on(args, session, journal)
        if journal is not None:
            msg = (
                f"the release of {journal.version} (started {journal.started}) is not finished; "
                "finish it with `releasekit release --resume`, or give it up with `releasekit release --abort`"
            )
            raise JournalError(msg)
        from releasekit.commands import release_many

        if release_many.wanted(args, session):  # `release auto` with packages: every package that changed
            return release_many.release_every(args, session, git_dir)
        _choose_package(args, session)
        if not args.version:
            raise UsageError(
                "give the version to release, e.g. `releasekit release 1.4.0` (or `minor`, `patch`, `auto`)"
            )
        try:
            plan, verdicts = _plan_and_check(args, session)
        except KeyboardInterrupt:
            raise Interrupted("stopped during the preflight checks: nothing was changed") from None
        except _NothingToRelease as nothing:
            named = f"{session.package} " if session.package else ""
            print(f"releasekit release {named}auto: {nothing}")
            return 0
        stopped = stop_or_go(plan.describe(), verdicts, dry_run=args.dry_run)
        if stopped is not None:
            return stopped
        try:
            journal = _begin(plan, git_dir, session.package)
        except KeyboardInterrupt:
            Journal.remove(git_dir)  # if it was written: nothing else was
            raise Interrupted(
                "stopped after the preflight checks, before the release began: nothing was changed"
            ) from None
        return _carry_out(args, session, journal, fresh=True)


def _go_on(args: argparse.Namespace, session: _Session, journal: Journal | None) -> int:
    """`--resume` finishes the release in the journal; `--abort` undoes it (with none, it has nothing to do)."""
    from releasekit.journal import JournalError

    if args.version:
        raise UsageError(f"--{'abort' if args.abort else 'resume'} takes no version: it uses the journal's")
    if journal is None:
        if args.abort:  # idempotent: a second --abort, or one after a lost race undid the release
            print("releasekit release: no release is under way in this repository; nothing to undo")
            return 0
        raise JournalError("no release is under way in this repository (no .git/releasekit/release.json)")
    if args.abort:
        from releasekit.steps.apply import abort

        try:
            abort(session.git, journal, say)
        except KeyboardInterrupt:
            again = _command(args, "--abort")
            raise Interrupted(f"stopped while undoing the release of {journal.version}; `{again}` finishes") from None
        return 0
    if journal.package is not None:  # the rest of the release runs on the package's view, as it began
        if journal.package not in session.located.config.packages:
            msg = (
                f"the release of {journal.tag} is of the package {journal.package!r}, which {session.located.file} "
                "no longer declares under `packages:`; declare it again to resume, or `releasekit release --abort`"
            )
            raise JournalError(msg)
        session.view(journal.package)
    print(f"releasekit release: resuming {journal.named()} (started {journal.started})")
    return _carry_out(args, session, journal)


# How many package names a message lists (a monorepo can have dozens).
_NAMES_SHOWN = 12


def _choose_package(args: argparse.Namespace, session: _Session) -> None:
    """`releasekit release PACKAGE VERSION` in a repository that declares `packages:`: the release runs on that
    package's view, and `args.version` is the VERSION. Naming no package there, an undeclared one, or a package
    where none is declared is a usage error that says what to type."""
    from releasekit.config.loader import closest

    config, file = session.located.config, session.located.file
    names = config.package_names()
    if not names:
        if args.package_version is not None:
            msg = (
                f"`releasekit release {args.version} {args.package_version}` names a package, but {file} declares "
                f"no `packages:`; release the repository with `releasekit release {args.package_version}`"
            )
            raise UsageError(msg)
        return
    more = len(names) - _NAMES_SHOWN
    shown = ", ".join(names[:_NAMES_SHOWN]) + (f" and {more} more" if more > 0 else "")
    if args.version is None or args.package_version is None:
        if args.version in config.packages:
            msg = (
                f"give the version of {args.version}, e.g. `releasekit release {args.version} 1.4.0` (or `minor`, "
                "`patch`, `auto`)"
            )
        else:
            example = args.version or "1.4.0"
            msg = (
                f"{file} declares packages ({shown}): name the one to release, e.g. "
                f"`releasekit release {names[0]} {example}`"
            )
        raise UsageError(msg)
    name = args.version
    if name not in config.packages:
        match = closest(name, names)
        hint = f"; did you mean {match!r}?" if match else ""
        raise UsageError(f"{file} declares no package {name!r}{hint} (packages: {shown})")
    session.view(name)
    args.version = args.package_version


def _begin(plan: ReleasePlan, git_dir: Path, package: str | None = None) -> Journal:
    """The journal of the release about to begin, saved: the plan with every file's text (see journal.py), and the
    package it releases (`--resume` goes on with that package's view)."""
    from releasekit.journal import Journal, now
    from releasekit.steps.apply import failpoint

    failpoint("preflight")
    journal = Journal(
        version=str(plan.version),
        tag=plan.tag,
        branch=plan.branch,
        base=plan.base,
        message=plan.message,
        files={c.path: c.after for c in plan.changes},
        removed=list(plan.removed),
        started=now(),
        package=package,
    )
    if plan.next_dev is not None:
        journal.next_dev = str(plan.next_dev.version)
        journal.dev_message = plan.next_dev.message
        journal.dev_files = {c.path: c.after for c in plan.next_dev.changes}
    journal.save(git_dir)
    return journal


def _need_version_files(session: _Session) -> None:
    """A release edits the files that carry the version: none declared (and the version not from the tag) is an
    error that says where to declare them."""
    located = session.located
    config = located.config
    if not config.versioning.files and config.versioning.source == "files":
        where = f"packages.{session.package}.versioning" if session.package else "versioning"
        raise UsageError(
            f"{located.file}: {where}.files is empty; declare the files that carry the version, or "
            "`versioning.source: tag` when the build backend takes it from the git tag "
            f"({docs('config.md', 'versioning')})"
        )


def _plan_and_check(args: argparse.Namespace, session: _Session) -> tuple[ReleasePlan, list[Verdict]]:
    from releasekit.steps import preflight

    located, git = session.located, session.git
    index_url = os.environ.get("RELEASEKIT_INDEX_URL")
    _need_version_files(session)
    status = git.status()
    remote_tags = git.remote_tags()
    plan, decided = _plan_release(
        session, args.version, args.pre, status=status, remote_tags=remote_tags, index_url=index_url
    )
    if session.package is not None and session.whole is not None:  # a package: its siblings' requirements follow
        plan = _with_dependents(session.whole, {session.package: plan.version}, plan)
    previous, version = plan.previous_tag, plan.version
    named = f"{session.package} " if session.package else ""
    print(f"releasekit release {named}{version} ({plan.repository}; latest release {previous or 'none'})")
    if decided:
        print(f"  {decided.summary}")
        for note in decided.kept:
            print(f"  {note}")
    print("preflight")
    ctx = preflight.Context(
        located=located,
        git=git,
        status=status,
        plan=plan,
        github=session.github,
        options=preflight_options(args, index_url),
        remote_tags=remote_tags,
        repository=session.whole,
    )
    verdicts = preflight.run_checks(ctx, _verdict)
    session.build_seconds = ctx.build_seconds
    return plan, verdicts


def _with_dependents(whole: Located, versions: dict[str, semver.Version], plan: ReleasePlan) -> ReleasePlan:
    """The plan with the edits of the siblings' requirements on the released package (releasekit/dependents.py)."""
    import dataclasses

    from releasekit.dependents import DependentError, follow

    changes, lines = follow(whole.root, whole.config, versions, plan.changes)
    # The development commit is planned on the release commit's texts without these edits: it would undo them.
    laid = {new.path for old, new in zip(plan.changes, changes, strict=False) if old.after != new.after}  # + appended
    both = sorted(laid & {c.path for c in plan.next_dev.changes}) if plan.next_dev is not None else []
    if both:
        msg = (
            f"{both[0]}: release.next-dev edits the version there, and a dependency requirement there follows this "
            "release; releasekit cannot do both yet: set release.next-dev: false for this release"
        )
        raise DependentError(msg)
    return dataclasses.replace(plan, changes=tuple(changes), dependents=lines)


def _plan_release(
    session: _Session,
    word: str,
    pre: str | None,
    *,
    status: Status,
    remote_tags: dict[str, str],
    index_url: str | None,
) -> tuple[ReleasePlan, _Auto | None]:
    """The plan of the release of `word` (a version, a bump word or `auto`) on the session's config (a package's
    view, or the repository's): pure but for reading git and the files it edits; prints nothing."""
    from releasekit import plan as planning
    from releasekit.nextdev import plan_next_dev
    from releasekit.version import latest_development, latest_release, resolve_target, tag_for
    from releasekit.versionfiles import plan_bumps

    located, git = session.located, session.git
    config, root = located.config, located.root
    fmt = config.project.tag_format
    tags = sorted({*git.tags(), *(ref.removeprefix("refs/tags/") for ref in remote_tags)})
    scheme = config.versioning.scheme
    latest = latest_release(tags, fmt, scheme=scheme)
    held = _held(located)
    development = None if latest or held else latest_development(tags, fmt, scheme)
    held = held or development
    counted = latest[1] if latest else (held[1] if held else None)
    day = datetime.datetime.now(datetime.timezone.utc).date()
    previous = latest[0] if latest else None
    # Never the whole history for a section: with no tag the plan only counts the commits, and a tag that is only
    # on origin (not fetched) gives no range here.
    fetched = previous is not None and git.tag_commit(previous) is not None
    path = session.package_path()  # a package: only the commits that touch its folder are its own
    commits = _commits(git, previous, path) if fetched else []
    decided = None
    pending: list[Pending] = []
    if word.strip().lower() == "auto":
        pending = _pending(session, previous) if fetched else []
        word, decided = _auto(config, latest, fetched, commits, path, pending=pending)
    version = resolve_target(word, counted, pre, tag_format=fmt, scheme=scheme, today=day, tagged=latest is not None)
    tag = tag_for(version, fmt)
    subjects = _subjects(git, commits, previous, fetched=fetched, path=path)
    today = day.isoformat()
    changes = list(plan_bumps(root, config.versioning.files, version))
    log_change, log_source, log_removed = planning.changelog_change(
        config, root, version, tag=tag, previous=previous, today=today, subjects=subjects, entries=_entries(pending)
    )
    if decided is not None and session.package is not None and pending:
        gone, kept = _consumed(session, pending, {session.package})
        decided = _Auto(decided.summary, decided.decision, decided.pending, tuple(kept))
        log_removed = (*log_removed, *gone)
    if log_change is not None:
        changes.append(log_change)
    next_dev, next_dev_note = plan_next_dev(config, root, version, changes, day)
    plan = planning.ReleasePlan(
        repository=config.project.repository,
        version=version,
        tag=tag,
        previous_tag=previous,
        branch=config.project.default_branch,
        base=status.head,
        changes=tuple(changes),
        message=config.release.commit_message.replace("{version}", str(version)),
        sign=config.release.sign_tags,
        run=planning.release_run(config),
        unfollowed=planning.release_unfollowed(config),
        publishes=planning.publishes(config, version, index_url),
        changelog_source=log_source,
        removed=log_removed,
        version_source=_tag_source_note(config, version),
        current=_current_note(fmt, latest, held, tags, development_tag=development is not None),
        next_dev=next_dev,
        next_dev_note=next_dev_note,
        decided=tuple(decided.lines()) if decided else (),
    )
    return plan, decided


def _commits(git: Git, since: str | None, path: str | None) -> list[Commit]:
    """The commits since the tag, oldest first. With a package's `path`, each says whether it touches the folder
    (`files` is `(path,)` or empty), so the decision counts its own and tallies the others aside."""
    from releasekit.conventional import Commit

    every = git.commits(since)
    if path is None:
        return [Commit(sha, message) for sha, message in every]
    inside = {sha for sha, _ in git.commits(since, path)}
    return [Commit(sha, message, (path,) if sha in inside else ()) for sha, message in every]


def _subjects(git: Git, commits: list[Commit], previous: str | None, *, fetched: bool, path: str | None) -> list[str]:
    """What the changelog section is written from: the messages since the tag, or with no tag the subjects of the
    whole history (the plan only counts them); a package's only those that touch its folder."""
    from releasekit.conventional import without_reverted

    if fetched:  # whole messages: a BREAKING CHANGE footer is in the body; a feature and its revert are not listed
        return [c.message for c in without_reverted([c for c in commits if c.files != ()])]
    if previous is not None:
        return []
    if path is not None:
        return [message.partition("\n")[0] for _, message in git.commits(None, path)]
    return git.subjects(None)


class _NothingToRelease(Exception):
    """`release auto` found no releasable commit since the latest release: the note says what it saw; exit 0."""


class _NoTagYet(UsageError):
    """`release auto` has no release tag to count from (the first version is given by hand)."""


@dataclass(frozen=True)
class _Auto:
    """What `release auto` decided, for the plan and the first lines of the output: from the commits and the
    change files (`pending`); `kept`: the change files this package's release alone would keep, and why."""

    summary: str
    decision: Decision
    pending: tuple[Pending, ...] = ()
    kept: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        files = [f"  change files ({len(self.pending)}):"] if self.pending else []
        files += [f"    {p.line()}" for p in self.pending]
        return [self.summary, *(f"  {line}" for line in self.decision.lines()), *files]


def _auto(
    config: Config,
    latest: tuple[str, semver.Version] | None,
    fetched: bool,
    commits: list[Commit],
    path: str | None = None,
    *,
    pending: Sequence[Pending] = (),
) -> tuple[str, _Auto]:
    """The bump word `auto` stands for: the highest of the conventional commits' since the latest release tag (see
    releasekit/conventional.py) and the pending change files' (releasekit/changefiles.py, taken as written); raises
    _NothingToRelease when none of them releases anything."""
    from releasekit.conventional import breaking_word, decide, highest

    fmt = config.project.tag_format
    if latest is None:
        msg = (
            f"`release auto` bumps from the latest release tag, and no tag is spelled {fmt} yet; give the first "
            f"version, e.g. `releasekit release 0.1.0` ({docs('commands/release.md', 'release-auto')})"
        )
        raise _NoTagYet(msg)
    tag, current = latest
    if not fetched:
        raise ReleasekitError(f"{tag} is on origin but not here, so its commits cannot be read; `git fetch --tags`")
    decision = decide(commits, path=path)
    if decision.bump is None and not pending:
        msg = (
            f"nothing to release since {tag}: {decision.seen()} (a feat, fix or perf commit, or a breaking change, "
            "makes a release); nothing was changed"
        )
        raise _NothingToRelease(msg)
    calver = config.versioning.scheme == "calver"
    before_1 = config.release.breaking_before_1
    from_commits = (
        breaking_word(decision.bump, current.major, before_1=before_1, calver=calver) if decision.bump else None
    )
    word = highest([from_commits, *(p.bump for p in pending)])
    assert word is not None  # a commit or a change file bumps
    why = ""
    if from_commits is not None and from_commits != decision.bump and word == from_commits:
        why = f" (a breaking change before 1.0.0: release.breaking-before-1 is {config.release.breaking_before_1})"
        if calver:
            why = " (a breaking change: calver has no major)"
    counted = len(decision.commits)
    noun = "commit" if counted == 1 else "commits"
    under = f" under {path}" if path is not None else ""
    files = f" and {len(pending)} change file{'s' * (len(pending) != 1)}" if pending else ""
    summary = f"auto: {word}{why}, from {counted} {noun}{under}{files} since {tag}"
    return word, _Auto(summary, decision, tuple(pending))


def _change_set(session: _Session) -> ChangeSet:
    from releasekit.changefiles import gather

    if session.changes is None:
        whole = session.whole or session.located
        session.changes = gather(whole.root, whole.config)
    return session.changes


def _added_since(session: _Session, tag: str | None) -> frozenset[str] | None:
    """The change files committed since `tag` (None: no tag, every file counts): a file older than a package's
    release tag was consumed by that release."""
    from releasekit.changefiles import DIRECTORIES

    if tag is None:
        return None
    if tag not in session.added:
        out = session.git.out("log", "--format=", "--name-only", "--diff-filter=A", f"{tag}..HEAD", "--", *DIRECTORIES)
        session.added[tag] = frozenset(out.split())
    return session.added[tag]


def _latest_tag(session: _Session, name: str) -> str | None:
    from releasekit.version import latest_release

    whole = (session.whole or session.located).config
    package = whole.for_package(name)
    found = latest_release(session.git.tags(), package.project.tag_format, scheme=package.versioning.scheme)
    return found[0] if found else None


def _counts(session: _Session, name: str, file: ChangeFile) -> bool:
    """Whether `file` still bumps package `name`: committed after its latest release tag."""
    added = _added_since(session, _latest_tag(session, name))
    return added is None or file.path in added


def _pending(session: _Session, previous: str | None) -> list[Pending]:
    """The change files that bump the session's package (none for a repository without `packages:`)."""
    if session.package is None:
        return []
    changes = _change_set(session)
    if not changes.for_package(session.package):  # git is asked only about a package that a change file names
        return []
    added = _added_since(session, previous)
    return changes.for_package(session.package, lambda f: added is None or f.path in added)


def _consumed(session: _Session, pending: Sequence[Pending], released: set[str]) -> tuple[list[str], list[str]]:
    """The change files the release of `released` deletes, and a note for each it keeps."""
    from releasekit.changefiles import consumed

    used = {p.file.path for p in pending}
    entries = [e for e in _change_set(session).entries if e.file.path in used]
    return consumed(entries, released, lambda name, file: _counts(session, name, file))


def _entries(pending: Sequence[Pending]) -> list[tuple[str, list[str]]]:
    """The change files' bodies as changelog groups by bump kind, changesets' headings."""
    from releasekit.changefiles import entry_text
    from releasekit.conventional import ORDER

    return [
        (f"{bump.capitalize()} Changes", [entry_text(p.file.body) for p in pending if p.bump == bump])
        for bump in ORDER
        if any(p.bump == bump for p in pending)
    ]


def _held(located: Located) -> tuple[str, semver.Version] | None:
    """The version the first readable version file holds, as written there and as read by the project's scheme."""
    from releasekit.version import parse_written, written
    from releasekit.versionfiles import VersionFileError, read_current

    for vf in located.config.versioning.files:
        try:
            text, _ = read_current(located.root, vf)
        except VersionFileError:
            continue  # plan_bumps reports it, with where and how to fix it
        if located.config.versioning.scheme == "semver":
            version = parse_written(text, vf.effective_format)
        else:
            version = written(text)
        if version is not None:
            return text, version
    return None


def _current_note(
    tag_format: str,
    latest: tuple[str, semver.Version] | None,
    held: tuple[str, semver.Version] | None,
    tags: list[str],
    *,
    development_tag: bool = False,
) -> str:
    """What the plan says about the version it counted from, when that is more than "the latest tag"."""
    from releasekit.tagguess import guess_tag_format
    from releasekit.version import compare, is_development

    if latest is None:
        if held is None:
            return ""
        if development_tag:  # nothing released yet, and no version file: the tag 9.2.0.dev0 starts 9.2.0
            note = f"no release is tagged yet: counted from the development tag {held[0]}"
        else:
            note = f"no tag is spelled {tag_format} yet: counted from {held[0]}, the version the files hold"
        guess = guess_tag_format(sorted(tags, reverse=True), year=datetime.datetime.now(datetime.timezone.utc).year)
        if guess.followed and guess.tag_format != tag_format:
            note += f"; but {guess.found}: set project.tag-format: {guess.tag_format!r} to count from those"
        return note
    if held is None:
        return ""
    tag, version = latest
    order = compare(held[1], version)
    if order == 0:
        return ""
    if order > 0 and (is_development(held[1]) or held[1].prerelease is not None):
        kind = "a development version" if "dev" in str(held[1].prerelease) else "a prerelease"
        return f"counted from {tag}; the files held {held[0]} ({kind} after {tag})"
    where = "above" if order > 0 else "below"
    return f"counted from {tag}; the files held {held[0]}, {where} that release"


def _tag_source_note(config: Config, version: semver.Version) -> str:
    """What the plan says of the version when the tag is the version (`versioning.source: tag`), else ""."""
    if config.versioning.source != "tag":
        return ""
    from releasekit.version import format_version

    built = ""
    if config.publish.python is not None:
        built = f"; preflight builds {config.publish.python.path} as {format_version(version, 'pep440')} and checks it"
    return f"the tag is the version (versioning.source: tag): no version file to edit{built}"


def preflight_options(args: argparse.Namespace, index_url: str | None) -> Options:
    """What the command line says about the preflight checks."""
    from releasekit.steps import preflight

    return preflight.Options(
        skip_ci_check=args.skip_ci_check,
        skip_sla_check=args.skip_sla_check,
        now=args.clock.time if args.clock is not None else time.time,
        build_isolation=not args.no_build_isolation,
        index_url=index_url,
    )


def stop_or_go(described: str, verdicts: Sequence[Verdict], *, dry_run: bool) -> int | None:
    """After the preflight: a dry run prints the plan and ends (exit 1 if a check failed); otherwise a failed check
    stops the release with nothing changed. None: go on."""
    from releasekit.steps.preflight import PreflightError

    failed = [v for v in verdicts if not v.ok and not v.skipped]
    if dry_run:
        print()
        print(described, end="")
        if failed:
            print(f"\nThe release would stop: {len(failed)} preflight check(s) failed.")
            return 1
        print("\nDry run: nothing was changed.")
        return 0
    if failed:
        names = ", ".join(v.name for v in failed)
        checks = "check" if len(failed) == 1 else "checks"
        raise PreflightError(f"{len(failed)} preflight {checks} failed ({names}); nothing was changed")
    return None


def _verdict(v: Verdict) -> None:
    from releasekit.steps.apply import failpoint

    mark = "skip" if v.skipped else ("ok" if v.ok else "FAIL")
    print(f"  {mark:<4} {v.name:<13} {v.detail}", flush=True)
    if not v.ok and v.fix and not v.skipped:
        print(f"       {'':<13} fix: {v.fix}", flush=True)
    failpoint("check")  # after each preflight check: nothing is changed yet


def _carry_out(args: argparse.Namespace, session: _Session, journal: Journal, *, fresh: bool = False) -> int:
    """The release's steps from the journal, each checking first what is already done. Ctrl-C at any point ends
    with exit 130 and a message that says what is done and how to go on (`_interrupted`)."""
    progress = _Progress()
    try:
        return _steps(args, session, journal, progress, fresh=fresh)
    except KeyboardInterrupt:
        raise Interrupted(_interrupted(args, session.git, journal, progress)) from None


@dataclass
class _Progress:
    """How far this run of the release got, for the message after Ctrl-C: the push started, the push was done."""

    pushing: bool = False
    pushed: bool = False


def _steps(args: argparse.Namespace, session: _Session, journal: Journal, progress: _Progress, *, fresh: bool) -> int:
    from releasekit.journal import Journal
    from releasekit.plan import release_run, release_unfollowed
    from releasekit.steps.apply import ensure_commit, ensure_dev_commit, ensure_pushed, ensure_tag, failpoint

    config, git = session.located.config, session.git
    if fresh:
        failpoint("journal")
    print("release")
    commit = ensure_commit(git, journal, say)
    failpoint("commit")
    ensure_tag(git, journal, commit, sign=config.release.sign_tags, report=say)
    failpoint("tag")
    tip = commit
    if journal.next_dev is not None:
        tip = ensure_dev_commit(git, journal, commit, say)
        failpoint("dev-commit")
    progress.pushing = True
    ensure_pushed(git, journal, commit, say, tip=tip)
    progress.pushed = True
    failpoint("push")
    run = release_run(config)
    if run is not None and journal.tags and not args.no_watch:  # several packages: several tags, several runs
        from releasekit.commands.release_many import watch_note

        say("watch", watch_note(run.file))
        Journal.remove(git.git_dir())
        print(f"Released {journal.named()}: tagged and pushed.")
        return 0
    if run is None or args.no_watch:
        none = release_unfollowed(config) or "no workflow with a push.tags trigger is declared"
        why = "--no-watch" if run else none
        say("watch", f"skipped: {why}")
        Journal.remove(git.git_dir())
        print(f"Released {journal.named()}: tagged and pushed.")
        return 0
    # A run the default branch's push starts (an existing workflow with `release: branch`) is found by branch.
    ref = config.project.default_branch if run.push == "branch" else journal.tag
    return _drive(args, session, journal, commit=commit, workflow=run.file, ref=ref, existing=run.existing)


def _command(args: argparse.Namespace, option: str) -> str:
    """The command line that goes on with this release (`releasekit release --resume`), with the -C and --config
    this one was given."""
    import shlex

    words = ["releasekit"]
    if args.directory != ".":
        words += ["-C", shlex.quote(args.directory)]
    if args.config != "releasekit.yaml":
        words += ["--config", shlex.quote(args.config)]
    return " ".join([*words, "release", option])


def _interrupted(args: argparse.Namespace, git: Git, journal: Journal, progress: _Progress) -> str:
    """What to say after Ctrl-C in the release's steps: what is done, and the exact command that goes on."""
    from releasekit.journal import Journal
    from releasekit.steps.apply import local_changes

    resume, abort = _command(args, "--resume"), _command(args, "--abort")
    if progress.pushed:
        return (
            f"{journal.named()} is pushed; the workflow run it starts (if any) goes on without this command. Follow it "
            f"and finish the release with `{resume}`"
        )
    if progress.pushing:
        return (
            f"stopped during the push of {journal.branch} and {journal.named()}: origin has both or neither (the push "
            f"is atomic). `{resume}` looks and finishes the release; `{abort}` undoes the local commit and tag if "
            "origin has neither"
        )
    try:
        done = local_changes(git, journal)
    except ReleasekitError:
        done = ["(could not look)"]
    if not done:
        Journal.remove(git.git_dir())
        return f"stopped before the release of {journal.version} changed anything: nothing was changed"
    return (
        f"the release of {journal.version} stopped part way; done here: {'; '.join(done)}; nothing was pushed.\n"
        f"Finish it with `{resume}`, or undo it with `{abort}`"
    )


def _drive(
    args: argparse.Namespace,
    session: _Session,
    journal: Journal,
    *,
    commit: str,
    workflow: str,
    ref: str,
    existing: bool = False,
) -> int:
    from releasekit.backends.actions import job_log_tail
    from releasekit.journal import Journal
    from releasekit.steps.apply import failpoint
    from releasekit.steps.runview import display_for, failure, machine_labels
    from releasekit.steps.watch import Clock, find_run, follow

    gh = session.github()
    clock = Clock(poll=args.poll)
    git_dir = session.git.git_dir()
    if journal.run_id is None:
        found = find_run(
            gh,
            workflow,
            event="push",
            head_sha=commit,
            branch=ref,
            clock=clock,
            timeout=max(120, args.poll * 4),
        )
        journal.run_id = found.id
        journal.save(git_dir)
        say("run", f"{workflow} run {found.id} started by {ref}: {found.html_url}")
    failpoint("run")
    try:
        machines = machine_labels(session.located.config)
        display = display_for(machines=machines)
        result = follow(gh, journal.run_id, clock=clock, timeout=args.timeout * 60, display=display)
    finally:
        session.waited = clock.waited
    if not result.ok:
        print(f"The release workflow failed ({result.run.conclusion}): {result.run.html_url}")
        print("\n".join(failure(result.run, result.jobs, machines)[1:]))
        for job in result.failed_jobs:
            tail = job_log_tail(gh, job.id)
            if tail:
                print(f"  the end of {job.name}'s log:")
                print("\n".join(f"    | {line}" for line in tail))
        print(
            f"{journal.tag} is pushed. Fix the cause, re-run the failed jobs "
            f"(`releasekit watch {result.run.id} --rerun-failed` re-runs and follows them), then "
            "`releasekit release --resume` checks the run and finishes the release."
        )
        return 1
    release = gh.release_for_tag(journal.tag)
    if release is None and existing:
        # An existing workflow may publish only to a package index; its success is the release.
        Journal.remove(git_dir)
        print(f"Released {journal.tag}: {workflow} (an existing workflow) succeeded: {result.run.html_url}")
        return 0
    if release is None or release.draft:
        state = "is still a draft" if release else "does not exist"
        print(f"The run succeeded, but the GitHub release of {journal.tag} {state}: {result.run.html_url}")
        print("Check the run's publish job; `releasekit publish` can finish it.")
        return 1
    say("release", f"{release.name or release.tag_name}: {release.html_url}")
    for asset in release.assets:
        say("asset", f"{asset.name} ({asset.size} bytes)")
    Journal.remove(git_dir)
    print(f"Released {journal.tag}: {release.html_url}")
    return 0
