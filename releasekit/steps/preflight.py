"""Preflight: everything a release can check before it changes anything, each check a name, a verdict and a fix.

Checks read; none writes to the working tree, the branches, the tags or the remote (the build runs on an export
of HEAD with the version already bumped, in a temporary directory, and is reused when that exact tree was built
before).
"""

from __future__ import annotations

import io
import posixpath
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from releasekit.backends.git import Git, GitError, Status
from releasekit.backends.github import GitHub, GitHubError
from releasekit.backends.records import Check as CiCheck
from releasekit.config.loader import Located
from releasekit.errors import ReleasekitError
from releasekit.output import count_text
from releasekit.plan import ReleasePlan


class PreflightError(ReleasekitError):
    """One or more preflight checks failed; nothing was changed."""


@dataclass(frozen=True)
class Verdict:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    skipped: bool = False


@dataclass
class Options:
    skip_ci_check: bool = False
    skip_sla_check: bool = False
    now: Callable[[], float] = time.time  # the clock the performance evidence's age is judged by
    build_isolation: bool = True
    index_url: str | None = None  # RELEASEKIT_INDEX_URL: a rehearsal's local index instead of the configured one


@dataclass
class Context:
    located: Located  # a package's release: the package's view (`Config.for_package`)
    git: Git
    status: Status
    plan: ReleasePlan
    github: Callable[[], GitHub]  # created on first use: a token problem is a verdict, not a crash
    options: Options
    remote_tags: dict[str, str] = field(default_factory=dict)
    build_seconds: float = 0.0
    # A package's release: the repository's whole config, which the workflows are generated from (the view's tag
    # format and versioning would render other files). None: `located` is the whole config.
    repository: Located | None = None


def workflows_up_to_date(ctx: Context) -> Verdict:
    from releasekit.lock import load_lock
    from releasekit.render import writer
    from releasekit.render.engine import render

    whole = ctx.repository or ctx.located
    outputs = render(whole, load_lock(whole.root))
    stale = writer.plan(whole.root, outputs)
    if stale:
        names = ", ".join(c.path for c in stale)
        return Verdict("workflows", False, f"out of date: {names}", "run `releasekit workflows` and commit the result")
    return Verdict("workflows", True, f"{len(outputs)} generated files up to date")


def clean_tree(ctx: Context) -> Verdict:
    dirty = ctx.status.dirty
    if dirty:
        shown = "; ".join(dirty[:8]) + (f"; and {len(dirty) - 8} more" if len(dirty) > 8 else "")
        return Verdict(
            "working tree",
            False,
            f"{count_text(len(dirty), 'uncommitted change')}: {shown}",
            "commit them, or set them aside with `git stash --include-untracked`",
        )
    return Verdict("working tree", True, "clean")


def on_branch(ctx: Context) -> Verdict:
    want = ctx.plan.branch
    if ctx.status.branch is None:
        return Verdict(
            "branch", False, f"HEAD is detached at {ctx.status.head[:12]}", f"switch to {want}: `git switch {want}`"
        )
    if ctx.status.branch != want:
        return Verdict(
            "branch",
            False,
            f"on {ctx.status.branch}, but releases are cut from {want} (project.default-branch)",
            f"`git switch {want}`",
        )
    return Verdict("branch", True, want)


def in_sync(ctx: Context) -> Verdict:
    branch = ctx.plan.branch
    try:
        ctx.git.fetch(branch)
    except GitError:
        # git refuses to fetch a branch the remote lacks; any other failure (the network, the URL) is the error.
        if f"refs/heads/{branch}" in ctx.git.remote_refs(f"refs/heads/{branch}"):
            raise
        return Verdict("origin", False, f"origin has no branch {branch}", f"push it first: `git push origin {branch}`")
    remote = f"refs/remotes/{ctx.git.remote}/{branch}"
    if ctx.git.rev(remote) is None:
        return Verdict("origin", False, f"origin has no branch {branch}", f"push it first: `git push origin {branch}`")
    ahead, behind = ctx.git.counts("HEAD", remote)
    if ahead and behind:
        return Verdict(
            "origin",
            False,
            f"{branch} has diverged from origin ({ahead} ahead, {behind} behind)",
            "`git pull --rebase`",
        )
    if behind:
        detail = f"{count_text(behind, 'commit')} behind origin/{branch}"
        return Verdict("origin", False, detail, "`git pull --ff-only`")
    if ahead:
        return Verdict(
            "origin",
            False,
            f"{count_text(ahead, 'commit')} not pushed to origin/{branch}: CI has not tested them",
            f"`git push origin {branch}`, wait for CI, then release",
        )
    return Verdict("origin", True, f"in sync with origin/{branch} at {ctx.status.head[:12]}")


def tag_absent(ctx: Context) -> Verdict:
    tag = ctx.plan.tag
    if ctx.git.tag_commit(tag) is not None:
        return Verdict(
            "tag", False, f"{tag} already exists here", f"choose another version, or delete it: `git tag -d {tag}`"
        )
    if f"refs/tags/{tag}" in ctx.remote_tags:
        return Verdict("tag", False, f"{tag} already exists on origin", "choose another version")
    return Verdict("tag", True, f"{tag} is free here and on origin")


def identity(ctx: Context) -> Verdict:
    """git must be able to write the commit and the tag (and sign it, when configured)."""
    proc = ctx.git.run("var", "GIT_COMMITTER_IDENT", check=False)
    if proc.returncode != 0:
        return Verdict(
            "git identity",
            False,
            "git does not know who you are, so it cannot commit",
            '`git config user.name "Your Name"` and `git config user.email you@example.com`',
        )
    who = proc.stdout.rsplit(">", 1)[0] + ">"
    if ctx.plan.sign and not ctx.git.config("user.signingkey"):
        return Verdict(
            "git identity",
            False,
            "release.sign-tags is true, but git has no signing key (user.signingkey)",
            "`git config user.signingkey KEY` (and gpg.format ssh for an SSH key)",
        )
    return Verdict("git identity", True, who + (", signing tags" if ctx.plan.sign else ""))


def token(ctx: Context) -> Verdict:
    try:
        gh = ctx.github()
        repo = gh.repo()
    except GitHubError as exc:
        return Verdict("github", False, str(exc))
    if not repo.can_push:
        return Verdict(
            "github",
            False,
            f"the token cannot push to {repo.full_name} (its permissions: no push)",
            "use a token with write access to contents (fine-grained: Contents read and write)",
        )
    return Verdict("github", True, f"token can push to {repo.full_name} ({gh.url})")


def ci_green(ctx: Context) -> Verdict:
    if ctx.options.skip_ci_check:
        return Verdict("ci", True, "not checked (--skip-ci-check)", skipped=True)
    head = ctx.status.head
    try:
        checks = ctx.github().checks(head)
    except GitHubError as exc:
        return Verdict("ci", False, str(exc))
    failed = [c for c in checks if c.failed]
    pending = [c for c in checks if c.pending]
    if failed:
        return Verdict(
            "ci",
            False,
            f"{len(failed)} failed on {head[:12]}: " + "; ".join(_check_text(c) for c in failed),
            "fix them and push, or release another commit",
        )
    if pending:
        return Verdict(
            "ci",
            False,
            f"{len(pending)} still running on {head[:12]}: " + ", ".join(c.name for c in pending),
            "wait for them to finish, then run the release again",
        )
    if not checks:
        return Verdict(
            "ci",
            False,
            f"no check run or status for {head[:12]}: CI has not run on this commit",
            "push it and let CI run, or pass --skip-ci-check if the project has no CI",
        )
    simulated = sum(c.simulated for c in checks)
    # A rehearsal's CI is the sandbox's: say how much of the green ran nothing, so it is not mistaken for tests.
    note = f" ({simulated} of them only simulated by the sandbox: no command ran)" if simulated else ""
    return Verdict("ci", True, f"{len(checks)} checks green on {head[:12]}{note}")


def sla(ctx: Context) -> Verdict:
    """The performance gate: the latest E2E run's results on HEAD (or an ancestor) meet every target."""
    from releasekit.sla.gate import find_evidence
    from releasekit.sla.targets import gate_of

    gate = gate_of(ctx.located.config)
    if gate is None:
        return Verdict("sla", True, "no performance targets declared", skipped=True)
    if ctx.options.skip_sla_check:
        return Verdict(
            "sla", True, "NOT CHECKED (--skip-sla-check): released without performance evidence", skipped=True
        )
    if gate.settings is None:
        return Verdict("sla", False, gate.problem, "or pass --skip-sla-check to release without the gate")
    try:
        outcome = find_evidence(
            ctx.github(), ctx.git, ctx.status.head, gate.targets, gate.settings, now=ctx.options.now()
        )
    except GitHubError as exc:
        return Verdict("sla", False, str(exc), "run the release again, or pass --skip-sla-check")
    return Verdict("sla", outcome.ok, outcome.detail, outcome.fix)


def _check_text(check: CiCheck) -> str:
    return f"{check.name} ({check.state}) {check.url}".rstrip()


def package(ctx: Context) -> Verdict:
    """Build the bumped package from an export of HEAD and check it with twine (or reuse the build of that very
    tree: `backends/buildcache.py`), then look for its version on the index."""
    python = ctx.located.config.publish.python
    if python is None:
        return Verdict("package", True, "no Python package configured (publish.python)", skipped=True)
    from releasekit.backends.index import (
        PackageError,
        index_target,
        pretend_version_env,
        project_name,
        version_on_index,
    )
    from releasekit.version import format_version

    wanted = format_version(ctx.plan.version, "pep440")
    # The tag is the version: the export has no git to read it from, so the backend is told it (and the key says so).
    tagged = ctx.located.config.versioning.source == "tag"
    env = pretend_version_env(wanted) if tagged else {}
    started = time.perf_counter()
    try:
        names, reused, wrong = _built(ctx, python.path, env, wanted)
        name = project_name(ctx.located.root / python.path)
    except PackageError as exc:
        return Verdict("package", False, str(exc), f"fix the package in {python.path}, commit, and run again")
    finally:
        ctx.build_seconds += time.perf_counter() - started
    if wrong:
        if tagged:
            fix = (
                "the build backend did not take the version releasekit gave it ("
                + ", ".join(sorted(env))
                + "): build it from the git tag, or list the file it reads in versioning.files"
            )
        else:
            fix = "a file the build backend reads the version from is not bumped: add it to versioning.files"
        return Verdict("package", False, f"built {'; '.join(wrong)}, but the release is {wanted}", fix)
    target = index_target(python.index, ctx.options.index_url)
    try:
        present = version_on_index(target, name, wanted)
    except PackageError as exc:
        return Verdict("package", False, f"built {names}, but {exc}", "retry when the index answers")
    if present:
        return Verdict(
            "package",
            False,
            f"{name} {wanted} is already on {target.simple_url}: {', '.join(present)}",
            "an index never takes a version twice: release a higher version",
        )
    return Verdict(
        "package",
        True,
        f"{names} build{' as ' + wanted if tagged else ''} and pass twine check{reused}; {wanted} is not yet on "
        f"{target.simple_url}",
    )


def _built(ctx: Context, package_path: str, env: dict[str, str], wanted: str) -> tuple[str, str, list[str]]:
    """(the built files' names, how they were reused or "", the files whose metadata is not at `wanted`): the build
    of HEAD's export with the release's edits, with `env` added to the build's environment.

    The dry run and the release itself both reuse a cached build, and only of the same tree: the key is a digest
    of the exact bytes the build would read (the export and the edits), the directory, the options and the tools,
    and a cached entry holds only a build that passed `twine check`, its files verified on use. Building again
    would repeat the same computation on the same input; the one input no key can pin, the backend an isolated
    build installs from the index, is also unpinned between this build and the publish job's own, and such
    entries expire after a day.
    """
    from releasekit.backends import buildcache
    from releasekit.backends.index import build, twine_check, version_mismatches

    archive = _archive_head(ctx.git)
    edits = {change.path: change.after for change in ctx.plan.changes}
    isolation = ctx.options.build_isolation
    requires = [] if isolation else buildcache.build_requires(_read(archive, edits, f"{package_path}/pyproject.toml"))
    key = buildcache.build_key(
        buildcache.tree_digest(archive, edits),
        package=package_path,
        isolation=isolation,
        tools=buildcache.toolchain(isolation=isolation, requires=requires),
        env=env,
    )
    cached = buildcache.lookup(key, isolation=isolation)
    if cached is not None:
        names = ", ".join(p.name for p in cached.files)
        when = cached.when(time.time())
        return (
            names,
            f" (reused: this exact tree was built and checked {when})",
            version_mismatches(cached.files, wanted),
        )
    with tempfile.TemporaryDirectory(prefix="releasekit-preflight-") as scratch:
        tree = Path(scratch) / "tree"
        _extract(archive, tree)
        for path, text in edits.items():
            target = tree / path
            target.parent.mkdir(parents=True, exist_ok=True)
            new = not target.exists()
            target.write_text(text, encoding="utf-8", newline="")
            if new:
                target.chmod(0o644)  # the same mode whatever the umask: the tree is what the key says
        built = build(tree / package_path, Path(scratch) / "dist", isolation=isolation, env=env)
        twine_check(built)
        buildcache.store(key, built)
        return ", ".join(p.name for p in built), "", version_mismatches(built, wanted)


def _archive_head(git: Git) -> bytes:
    """The committed tree at HEAD as git exports it (a tar), without touching the working tree."""
    proc = subprocess.run(
        ["git", "-C", str(git.root), "archive", "--format=tar", "HEAD"], capture_output=True, check=False
    )
    if proc.returncode != 0:
        raise ReleasekitError(f"`git archive HEAD` failed: {proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout


def _read(archive: bytes, edits: dict[str, str], path: str) -> bytes | None:
    """One file of the tree that is built: the edit's text, else the archive's member; None if it has neither."""
    path = posixpath.normpath(path)
    if path in edits:
        return edits[path].encode("utf-8")
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        try:
            handle = tar.extractfile(path)
        except KeyError:
            return None
        return handle.read() if handle is not None else None


def _extract(archive: bytes, dest: Path) -> None:
    dest.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(dest, filter="data")
        else:  # Python without extraction filters: the archive is git's own export of HEAD
            tar.extractall(dest)


CHEAP = (workflows_up_to_date, clean_tree, on_branch, in_sync, tag_absent, identity, token)
COSTLY = (ci_green, sla, package)


def run_checks(ctx: Context, report: Callable[[Verdict], None]) -> list[Verdict]:
    """Every check, in order; the costly ones (CI over the API, the build) only when the cheap ones passed."""
    verdicts: list[Verdict] = []
    for check in CHEAP:
        verdict = check(ctx)
        verdicts.append(verdict)
        report(verdict)
    failed = any(not v.ok for v in verdicts)
    for check in COSTLY:
        name = {"ci_green": "ci"}.get(check.__name__, check.__name__)
        verdict = Verdict(name, False, "not checked: an earlier check failed", skipped=True) if failed else check(ctx)
        verdicts.append(verdict)
        report(verdict)
    return verdicts
