"""Each preflight verdict in this process, from hand-made inputs: a Status, a plan, a GitHub client passed in (against
the sandbox, or an address nobody answers, with the retries' sleeps recorded), real git with a local origin, and a
real build checked by twine. tests/test_release.py shows the same verdicts through the command line."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import semver
from conftest import copy_example, git
from release_scene import fake_token

from releasekit.backends.git import Git, Status
from releasekit.backends.github import GitHub, GitHubError
from releasekit.config.loader import Located, load
from releasekit.plan import ReleasePlan, ReleaseRun
from releasekit.sandbox.app import Sandbox
from releasekit.sandbox.index import PackageIndex
from releasekit.steps import preflight
from releasekit.steps.preflight import Context, Options, Verdict
from releasekit.versionfiles import FileChange, plan_bumps

REPOSITORY = "fluxion-app/fluxion"
SHA = "0123456789abcdef0123456789abcdef01234567"
V140 = semver.Version.parse("1.4.0")


def plan(*, branch: str = "main", sign: bool = False, changes: tuple[FileChange, ...] = ()) -> ReleasePlan:
    return ReleasePlan(
        repository=REPOSITORY,
        version=V140,
        tag="v1.4.0",
        previous_tag="v1.3.2",
        branch=branch,
        base=SHA,
        changes=changes,
        message="Release 1.4.0",
        sign=sign,
        run=ReleaseRun("release.yml", "tag", existing=False),
        publishes=(),
        changelog_source="CHANGELOG.md",
    )


def no_github() -> GitHub:
    raise GitHubError("no GitHub token: set GITHUB_TOKEN (or GH_TOKEN)")


@pytest.fixture(scope="module")
def fluxion_config(tmp_path_factory: pytest.TempPathFactory) -> Located:
    return load(copy_example("fluxion", tmp_path_factory.mktemp("config")) / "releasekit.yaml")


def context(
    located: Located,
    root: Path,
    *,
    status: Status | None = None,
    release: ReleasePlan | None = None,
    github: Callable[[], GitHub] = no_github,
    options: Options | None = None,
    remote_tags: dict[str, str] | None = None,
) -> Context:
    return Context(
        located=located,
        git=Git(root),
        status=status or Status("main", SHA, ()),
        plan=release or plan(),
        github=github,
        options=options or Options(),
        remote_tags=remote_tags or {},
    )


# -- the working tree and the branch: from a Status alone -------------------------------------------------------------


def test_clean_tree(fluxion_config: Located, tmp_path: Path) -> None:
    assert preflight.clean_tree(context(fluxion_config, tmp_path)) == Verdict("working tree", True, "clean")
    one = preflight.clean_tree(context(fluxion_config, tmp_path, status=Status("main", SHA, ("voice-agent/main.py",))))
    assert not one.ok and one.detail == "1 uncommitted change: voice-agent/main.py"
    assert "git stash --include-untracked" in one.fix
    many = Status("main", SHA, tuple(f"f{i}" for i in range(10)))
    verdict = preflight.clean_tree(context(fluxion_config, tmp_path, status=many))
    assert verdict.detail == "10 uncommitted changes: f0; f1; f2; f3; f4; f5; f6; f7; and 2 more"


def test_on_branch(fluxion_config: Located, tmp_path: Path) -> None:
    detached = preflight.on_branch(context(fluxion_config, tmp_path, status=Status(None, SHA, ())))
    assert not detached.ok
    assert detached.detail == f"HEAD is detached at {SHA[:12]}" and "`git switch main`" in detached.fix
    feature = preflight.on_branch(context(fluxion_config, tmp_path, status=Status("feature", SHA, ())))
    assert not feature.ok
    assert feature.detail == "on feature, but releases are cut from main (project.default-branch)"
    assert feature.fix == "`git switch main`"
    assert preflight.on_branch(context(fluxion_config, tmp_path)) == Verdict("branch", True, "main")


# -- origin, tags and identity: real git, a local origin ---------------------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository whose origin (a bare repository beside it) has its main."""
    git(tmp_path, "init", "-q", "--bare", "origin.git")
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    git(work, "commit", "-q", "--allow-empty", "-m", "one")
    git(work, "remote", "add", "origin", str(tmp_path / "origin.git"))
    git(work, "push", "-q", "origin", "main")
    return work


def _sync(located: Located, root: Path, branch: str = "main") -> Verdict:
    status = Git(root).status()
    return preflight.in_sync(context(located, root, status=status, release=plan(branch=branch)))


def test_in_sync_with_origin(fluxion_config: Located, repo: Path) -> None:
    verdict = _sync(fluxion_config, repo)
    assert verdict.ok and verdict.detail.startswith("in sync with origin/main at ")


def test_ahead_behind_and_diverged(fluxion_config: Located, repo: Path) -> None:
    git(repo, "commit", "-q", "--allow-empty", "-m", "two")
    ahead = _sync(fluxion_config, repo)
    assert not ahead.ok and ahead.detail == "1 commit not pushed to origin/main: CI has not tested them"
    assert ahead.fix == "`git push origin main`, wait for CI, then release"
    git(repo, "push", "-q", "origin", "main")
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    behind = _sync(fluxion_config, repo)
    assert not behind.ok and behind.detail == "1 commit behind origin/main" and behind.fix == "`git pull --ff-only`"
    git(repo, "commit", "-q", "--allow-empty", "-m", "three")
    diverged = _sync(fluxion_config, repo)
    assert not diverged.ok and diverged.detail == "main has diverged from origin (1 ahead, 1 behind)"
    assert diverged.fix == "`git pull --rebase`"


def test_origin_without_the_branch(fluxion_config: Located, repo: Path) -> None:
    git(repo, "switch", "-q", "-c", "stable")
    verdict = _sync(fluxion_config, repo, branch="stable")
    assert verdict == Verdict("origin", False, "origin has no branch stable", "push it first: `git push origin stable`")


def test_unreachable_origin_is_an_error_not_a_verdict(fluxion_config: Located, repo: Path) -> None:
    from releasekit.backends.git import GitError

    git(repo, "remote", "set-url", "origin", str(repo.parent / "nowhere.git"))
    with pytest.raises(GitError, match="cannot"):
        _sync(fluxion_config, repo)


def test_tag_absent(fluxion_config: Located, repo: Path) -> None:
    assert preflight.tag_absent(context(fluxion_config, repo)).detail == "v1.4.0 is free here and on origin"
    on_origin = preflight.tag_absent(context(fluxion_config, repo, remote_tags={"refs/tags/v1.4.0": SHA}))
    assert not on_origin.ok and on_origin.detail == "v1.4.0 already exists on origin"
    git(repo, "tag", "v1.4.0")
    here = preflight.tag_absent(context(fluxion_config, repo))
    assert not here.ok and here.detail == "v1.4.0 already exists here" and "git tag -d v1.4.0" in here.fix


def test_identity(fluxion_config: Located, repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "EMAIL"):
        monkeypatch.delenv(name, raising=False)
    git(repo, "config", "user.useConfigOnly", "true")
    unknown = preflight.identity(context(fluxion_config, repo))
    assert not unknown.ok and unknown.detail == "git does not know who you are, so it cannot commit"
    git(repo, "config", "user.name", "Release Manager")
    git(repo, "config", "user.email", "release@example.invalid")
    assert preflight.identity(context(fluxion_config, repo)).detail == "Release Manager <release@example.invalid>"
    unsigned = preflight.identity(context(fluxion_config, repo, release=plan(sign=True)))
    assert not unsigned.ok and "no signing key (user.signingkey)" in unsigned.detail


# -- GitHub: the token, then CI; a client passed in -------------------------------------------------------------------


@pytest.fixture
def hub(github_sandbox: Sandbox, tmp_path: Path) -> Sandbox:
    seed = tmp_path / "seed"
    seed.mkdir()
    git(seed, "init", "-q", "-b", "main")
    git(seed, "commit", "-q", "--allow-empty", "-m", "one")
    github_sandbox.create_repo(REPOSITORY, seed=seed)
    return github_sandbox


def client(hub: Sandbox, token: str | None = None) -> Callable[[], GitHub]:
    return lambda: GitHub(REPOSITORY, url=hub.api_url, token=token or hub.token)


def test_token(fluxion_config: Located, tmp_path: Path, hub: Sandbox) -> None:
    ok = preflight.token(context(fluxion_config, tmp_path, github=client(hub)))
    assert ok == Verdict("github", True, f"token can push to {REPOSITORY} ({hub.api_url})")
    none = preflight.token(context(fluxion_config, tmp_path, github=lambda: GitHub.from_env(REPOSITORY, env={})))
    assert not none.ok and none.detail.startswith("no GitHub token: set GITHUB_TOKEN (or GH_TOKEN)")
    fake = fake_token()
    rejected = preflight.token(context(fluxion_config, tmp_path, github=client(hub, fake)))
    assert not rejected.ok and "GitHub rejected the token (401" in rejected.detail and fake not in rejected.detail
    # A token that can read but not push: the sandbox's job token of a run that does not exist.
    read_only = preflight.token(context(fluxion_config, tmp_path, github=client(hub, hub.issue_job_token(424242))))
    assert not read_only.ok and read_only.detail == f"the token cannot push to {REPOSITORY} (its permissions: no push)"


def test_unreachable_api_is_retried_without_sleeping_here(fluxion_config: Located, tmp_path: Path) -> None:
    from releasekit.sandbox.http import free_port

    waits: list[float] = []
    url = f"http://127.0.0.1:{free_port('127.0.0.1')}"
    github = GitHub(REPOSITORY, url=url, token=fake_token(), sleep=waits.append)
    verdict = preflight.token(context(fluxion_config, tmp_path, github=lambda: github))
    assert not verdict.ok and "no answer from the GitHub API" in verdict.detail and url in verdict.detail
    assert waits == [0.5, 1.0, 2.0]  # 4 attempts, backing off; the clock is ours, nothing slept


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        ((), (False, "no check run or status for {head}: CI has not run on this commit")),
        (("pending",), (False, "1 still running on {head}: external-ci-0")),
        (("success", "failure"), (False, "1 failed on {head}: external-ci-1 (failure)")),
        (("success", "success"), (True, "2 checks green on {head}")),
    ],
)
def test_ci(
    fluxion_config: Located, tmp_path: Path, hub: Sandbox, states: tuple[str, ...], expected: tuple[bool, str]
) -> None:
    ok, detail = expected
    head = git(tmp_path / "seed", "rev-parse", "HEAD")
    commit = hub.github().get_repo(REPOSITORY).get_commit(head)
    for i, state in enumerate(states):
        commit.create_status(state, context=f"external-ci-{i}")
    verdict = preflight.ci_green(context(fluxion_config, tmp_path, status=Status("main", head, ()), github=client(hub)))
    assert verdict.ok is ok
    assert verdict.detail.startswith(detail.format(head=head[:12])), verdict.detail


def test_ci_not_checked_when_asked(fluxion_config: Located, tmp_path: Path) -> None:
    verdict = preflight.ci_green(context(fluxion_config, tmp_path, options=Options(skip_ci_check=True)))
    assert verdict == Verdict("ci", True, "not checked (--skip-ci-check)", skipped=True)


# -- the package: built from the tree the release makes, the build reused for that very tree only ---------------------


@pytest.fixture(scope="module")
def empty_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PackageIndex]:
    with PackageIndex(tmp_path_factory.mktemp("index") / "packages") as index:
        yield index


def test_no_python_package_is_skipped(fluxion_config: Located, tmp_path: Path) -> None:
    config = fluxion_config.config
    located = dataclasses.replace(
        fluxion_config, config=dataclasses.replace(config, publish=dataclasses.replace(config.publish, python=None))
    )
    verdict = preflight.package(context(located, tmp_path))
    assert verdict == Verdict("package", True, "no Python package configured (publish.python)", skipped=True)


def test_the_build_is_reused_for_the_same_tree_and_never_for_another(
    tmp_path: Path, empty_index: PackageIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("RELEASEKIT_CACHE_DIR", str(cache))
    project = copy_example("fluxion", tmp_path)
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "Fluxion 1.3.2")
    located = load(project / "releasekit.yaml")

    def check() -> Verdict:
        changes = tuple(plan_bumps(project, located.config.versioning.files, V140))
        ctx = context(
            located,
            project,
            release=plan(changes=changes),
            options=Options(build_isolation=False, index_url=empty_index.url),
        )
        return preflight.package(ctx)

    built = check()
    names = "fluxion_voice-1.4.0-py3-none-any.whl, fluxion_voice-1.4.0.tar.gz"
    assert built.ok and built.detail.startswith(f"{names} build and pass twine check; 1.4.0 is not yet on ")
    reused = check()
    assert reused.ok and reused.detail.startswith(f"{names} build and pass twine check (reused: this exact tree ")
    # Another commit with the same tree (an empty commit): still the same tree, so still reused.
    git(project, "commit", "-q", "--allow-empty", "-m", "chore: nothing")
    assert "(reused: " in check().detail
    # A README that PyPI cannot render: another tree, so it is built (and fails `twine check`) instead of reused.
    readme = project / "voice-agent/README.md"
    pyproject = project / "voice-agent/pyproject.toml"
    readme.rename(readme.with_suffix(".rst"))
    pyproject.write_text(pyproject.read_text().replace('readme = "README.md"', 'readme = "README.rst"'))
    (project / "voice-agent/README.rst").write_text("Title\n=\n\n`broken <link\n")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "docs: rst readme")
    failed = check()
    assert not failed.ok and "`twine check --strict` rejected" in failed.detail and "reused" not in failed.detail
    assert failed.fix == "fix the package in voice-agent, commit, and run again"
    # Only builds that passed are kept: the one entry is the first tree's.
    assert len([p for p in (cache / "builds").iterdir() if not p.name.startswith(".")]) == 1


# -- the order: the costly checks only after the cheap ones passed -----------------------------------------------------


def test_costly_checks_wait_for_the_cheap_ones(fluxion_config: Located, repo: Path) -> None:
    seen: list[Verdict] = []
    ctx = context(fluxion_config, repo, status=Status("main", SHA, ("README.md",)))
    verdicts = preflight.run_checks(ctx, seen.append)
    assert verdicts == seen
    by_name = {v.name: v for v in verdicts}
    assert not by_name["working tree"].ok and not by_name["github"].ok
    for name in ("ci", "package"):
        assert by_name[name] == Verdict(name, False, "not checked: an earlier check failed", skipped=True)
