"""`releasekit release auto` in a monorepo: every package with releasable commits since its own latest tag, in one
release (one commit, a tag per package, one atomic push), on a tiny real repository (tmp_path, real git): `alpha`
changed by a `feat:`, `beta` by a `fix:`, `gamma` unchanged; a shared `versions.txt` carries every package's version
on its own line, so the two releases' edits of it are merged. Real releases push to the sandbox over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import git, run_releasekit
from guarantees import count
from small_release import clone, remote_refs, state

from releasekit.commands.release_many import MergeConflict, merge_changes
from releasekit.journal import Journal
from releasekit.sandbox.app import Sandbox
from releasekit.steps.apply import step_hook
from releasekit.versionfiles import FileChange

REPOSITORY = "acme/mono"
NAMES = ("alpha", "beta", "gamma")
PACKAGE = """  {name}:
    path: {name}
    versioning:
      files:
        - path: {name}/pyproject.toml
          toml: project.version
        - path: versions.txt
          regex: '^{name} = "(?P<version>[^"]+)"$'
      changelog: {name}/CHANGELOG.md
"""
CONFIG = "project:\n  name: mono\n  repository: acme/mono\npackages:\n" + "".join(PACKAGE.format(name=n) for n in NAMES)
LOG = "# Changelog\n\n## [Unreleased]\n\n## [1.0.0] - 2026-01-05\n\n- First.\n"
VERSIONS = '# The packages\' versions\nalpha = "1.0.0"\n\nbeta = "1.0.0"\n\ngamma = "1.0.0"\n'


def _seed(path: Path, *, changed: bool = True) -> Path:
    """Every package at 1.0.0 and tagged in its own family; then (`changed`) a feature in alpha, a fix in beta, and
    a feature that touches no package."""
    for name in NAMES:
        (path / name).mkdir(parents=True)
        (path / name / "pyproject.toml").write_text(f'[project]\nname = "{name}"\nversion = "1.0.0"\n')
        (path / name / "CHANGELOG.md").write_text(LOG)
    (path / "versions.txt").write_text(VERSIONS)
    (path / "releasekit.yaml").write_text(CONFIG)
    (path / "releasekit.lock").write_text('{"lock-version": 1, "actions": {}}\n')  # no workflow: no pin needed
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "Every package at 1.0.0")
    for name in NAMES:
        git(path, "tag", "-a", f"{name}-v1.0.0", "-m", f"Release {name} 1.0.0")
    if changed:
        for where, message in (
            ("alpha/fast.py", "feat(start): start twice as fast"),
            ("beta/parse.py", "fix(parse): accept empty input"),
            ("README.md", "feat: a README for the repository"),  # touches no package
        ):
            (path / where).write_text("X = 1\n")
            git(path, "add", "-A")
            git(path, "commit", "-q", "-m", message)
    return path


def _tags(repo: Path) -> list[str]:
    return sorted(ref for ref in remote_refs(repo) if ref.startswith("refs/tags/") and not ref.endswith("^{}"))


# -- merging the packages' edits -------------------------------------------------------------------------------------


def _change(path: str, before: str, after: str) -> FileChange:
    return FileChange(path, before, after, "1.0.0", "1.1.0", 1, "regex")


def test_edits_of_one_file_merge_unless_they_touch_the_same_lines() -> None:
    before = "a = 1\n\nb = 1\n\nc = 1\n"
    alpha = [_change("v.txt", before, "a = 2\n\nb = 1\n\nc = 1\n"), _change("alpha/x", "1\n", "2\n")]
    beta = [_change("v.txt", before, "a = 1\n\nb = 1\n\nc = 2\n")]
    merged = merge_changes([("alpha", alpha), ("beta", beta)])
    assert [(c.path, c.after) for c in merged] == [("v.txt", "a = 2\n\nb = 1\n\nc = 2\n"), ("alpha/x", "2\n")]
    same = merge_changes([("alpha", alpha[:1]), ("beta", alpha[:1])])  # the same edit twice: once
    assert [c.after for c in same] == ["a = 2\n\nb = 1\n\nc = 1\n"]
    clash = [_change("v.txt", before, "a = 3\n\nb = 1\n\nc = 1\n")]
    with pytest.raises(MergeConflict) as caught:
        merge_changes([("alpha", alpha), ("beta", clash)])
    assert str(caught.value) == (
        "v.txt: the releases of alpha and beta both edit line 1 (or the lines next to it); they cannot be merged into "
        "one commit. Release them one at a time: `releasekit release alpha auto`, then `releasekit release beta auto`"
    )
    adjacent = [_change("v.txt", before, "a = 1\nX\nb = 1\n\nc = 1\n")]
    with pytest.raises(MergeConflict):
        merge_changes([("alpha", alpha), ("beta", adjacent)])


# -- releasekit release auto -------------------------------------------------------------------------------------------


def test_nothing_releasable_in_any_package_exits_0_and_changes_nothing(tmp_path: Path) -> None:
    repo = _seed(tmp_path / "mono", changed=False)
    git(tmp_path, "init", "-q", "--bare", "origin.git")
    git(repo, "remote", "add", "origin", str(tmp_path / "origin.git"))
    before = state(repo)
    proc = run_releasekit("release", "auto", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    note = "no commits (a feat, fix or perf commit, or a breaking change, makes a release)"
    assert proc.stdout == "releasekit release auto: nothing to release in any of the 3 packages\n" + "".join(
        f"  {n}: nothing to release since {n}-v1.0.0: {note}\n" for n in NAMES
    )
    assert state(repo) == before


def _dry_run_shows_each_decision(repo: Path, env: dict[str, str]) -> None:
    feat, fix = (git(repo, "log", "-1", "--format=%h", f"--grep=^{kind}(") for kind in ("feat", "fix"))
    dry = run_releasekit("release", "auto", "--dry-run", "--skip-ci-check", cwd=repo, env=env)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    out = dry.stdout
    assert out.startswith(
        "releasekit release auto: 2 of 3 packages (acme/mono)\n"
        "  alpha 1.1.0 (latest release alpha-v1.0.0)\n"
        "    auto: minor, from 1 commit under alpha since alpha-v1.0.0\n"
        "  beta 1.0.1 (latest release beta-v1.0.0)\n"
        "    auto: patch, from 1 commit under beta since beta-v1.0.0\n"
        "  gamma: nothing to release since gamma-v1.0.0: no commits under gamma (a feat, fix or perf commit, or a "
        "breaking change, makes a release)\n"
        "preflight alpha\n"
    )
    assert "preflight beta\n  ok   tag           beta-v1.0.1 is free here and on origin\n" in out
    assert "Plan: release 2 packages of acme/mono in one commit\n   alpha 1.1.0 (latest release: alpha-v1.0.0)\n" in out
    assert f"       minor (feat):\n         {feat[:7]} feat(start): start twice as fast\n" in out
    assert f"       patch (fix):\n         {fix[:7]} fix(parse): accept empty input\n" in out
    assert "   gamma: left out: nothing to release since gamma-v1.0.0: no commits under gamma" in out
    assert "1. Edit 5 files:\n   alpha/pyproject.toml: toml project.version 1.0.0 -> 1.1.0\n" in out
    assert '-alpha = "1.0.0"\n+alpha = "1.1.0"\n' in out and '-beta = "1.0.0"\n+beta = "1.0.1"\n' in out
    assert "2. Commit on main (on " in out and "): 'Release alpha 1.1.0, beta 1.0.1'\n" in out
    assert "3. Annotated tags on that commit, one per package: alpha-v1.1.0, beta-v1.0.1\n" in out
    assert "4. Push main and the 2 tags to origin in one atomic push\n" in out
    assert out.endswith("\nDry run: nothing was changed.\n")


def _origin_has_one_commit_and_a_tag_each(repo: Path, base: str) -> None:
    # Origin: the branch at the one release commit on the base, exactly two new tags, both on it.
    refs = remote_refs(repo)
    commit = refs["refs/heads/main"]
    assert git(repo, "rev-parse", f"{commit}^") == base
    assert refs["refs/tags/alpha-v1.1.0^{}"] == refs["refs/tags/beta-v1.0.1^{}"] == commit
    assert _tags(repo) == [
        "refs/tags/alpha-v1.0.0",
        "refs/tags/alpha-v1.1.0",
        "refs/tags/beta-v1.0.0",
        "refs/tags/beta-v1.0.1",
        "refs/tags/gamma-v1.0.0",
    ]
    assert git(repo, "diff", "--name-only", base, commit).splitlines() == [
        "alpha/CHANGELOG.md",
        "alpha/pyproject.toml",
        "beta/CHANGELOG.md",
        "beta/pyproject.toml",
        "versions.txt",
    ]  # gamma untouched
    assert (repo / "versions.txt").read_text() == VERSIONS.replace('alpha = "1.0.0"', 'alpha = "1.1.0"').replace(
        'beta = "1.0.0"', 'beta = "1.0.1"'
    )
    assert "## [1.1.0] - " in (repo / "alpha/CHANGELOG.md").read_text()
    assert "- **start:** start twice as fast" in (repo / "alpha/CHANGELOG.md").read_text()
    assert "- **parse:** accept empty input" in (repo / "beta/CHANGELOG.md").read_text()


def test_a_prerelease_of_every_package_is_a_usage_error(tmp_path: Path) -> None:
    repo = _seed(tmp_path / "mono")
    git(tmp_path, "init", "-q", "--bare", "origin.git")
    git(repo, "remote", "add", "origin", str(tmp_path / "origin.git"))
    proc = run_releasekit("release", "auto", "--pre", "rc", "--dry-run", cwd=repo)
    assert proc.returncode == 2
    assert "--pre makes a prerelease of one package: `releasekit release NAME minor --pre rc`" in proc.stderr


def test_every_changed_package_in_one_commit_one_push_a_tag_each_and_resumed(
    tmp_path: Path, sandbox_factory: Callable[..., Sandbox]
) -> None:
    hub = sandbox_factory()
    env = hub.env()
    hub.create_repo(REPOSITORY, seed=_seed(tmp_path / "seed"))
    repo = clone(hub.remote_url(REPOSITORY), tmp_path / "work", "Maintainer")
    base = git(repo, "rev-parse", "HEAD")
    before = state(repo)

    _dry_run_shows_each_decision(repo, env)
    assert state(repo) == before

    # Interrupted once both tags are made, before the push: the journal holds every package and tag; --abort undoes
    # the commit and both tags; interrupted there again, --resume finishes it.
    def stop_after_tags(step: str) -> None:
        if step == "tag":
            count("crashes and interrupts")
            raise KeyboardInterrupt

    with step_hook(stop_after_tags):
        stopped = run_releasekit("release", "auto", "--skip-ci-check", cwd=repo, env=env)
    assert stopped.returncode == 130, stopped.stdout + stopped.stderr
    aborted = run_releasekit("release", "--abort", cwd=repo, env=env)
    assert aborted.returncode == 0, aborted.stdout + aborted.stderr
    assert "deleted local tag alpha-v1.1.0 (on " in aborted.stdout and "deleted local tag beta-v1.0.1" in aborted.stdout
    assert "the release of alpha 1.1.0, beta 1.0.1 is given up" in aborted.stdout
    assert state(repo) == before
    with step_hook(stop_after_tags):
        stopped = run_releasekit("release", "auto", "--skip-ci-check", cwd=repo, env=env)
    assert stopped.returncode == 130, stopped.stdout + stopped.stderr
    assert "done here: release commit " in stopped.stderr and "; tag alpha-v1.1.0; tag beta-v1.0.1; " in stopped.stderr
    journal = Journal.load(repo / ".git")
    assert journal is not None
    assert (journal.package, journal.packages) == (None, {"alpha": "1.1.0", "beta": "1.0.1"})
    assert journal.all_tags() == {"alpha-v1.1.0": "Release alpha 1.1.0", "beta-v1.0.1": "Release beta 1.0.1"}
    assert _tags(repo) == ["refs/tags/alpha-v1.0.0", "refs/tags/beta-v1.0.0", "refs/tags/gamma-v1.0.0"]

    resumed = run_releasekit("release", "--resume", cwd=repo, env=env)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    lines = [line.strip() for line in resumed.stdout.splitlines()]
    assert lines[0].startswith("releasekit release: resuming alpha-v1.1.0, beta-v1.0.1 (started ")
    assert "already made: 'Release alpha 1.1.0, beta 1.0.1'" in lines[2]  # nothing done twice
    assert [line.split()[0:2] for line in lines[3:5]] == [["tag", "alpha-v1.1.0"], ["tag", "beta-v1.0.1"]]
    assert "already on" in lines[3] and "already on" in lines[4]
    assert lines[5].startswith("push") and "main and alpha-v1.1.0, beta-v1.0.1 pushed to origin (atomic)" in lines[5]
    assert lines[-1] == "Released alpha-v1.1.0, beta-v1.0.1: tagged and pushed."
    assert Journal.load(repo / ".git") is None

    _origin_has_one_commit_and_a_tag_each(repo, base)

    # Straight through: a new fix to gamma alone is the only thing `release auto` releases next.
    (repo / "gamma" / "io.py").write_text("X = 1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "fix(io): close the file")
    git(repo, "push", "-q", "origin", "main")
    done = run_releasekit("release", "auto", "--skip-ci-check", cwd=repo, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "releasekit release auto: 1 of 3 packages (acme/mono)\n  gamma 1.0.1 " in done.stdout
    assert done.stdout.endswith("Released gamma-v1.0.1: tagged and pushed.\n")
    assert "refs/tags/gamma-v1.0.1" in remote_refs(repo)
    assert git(repo, "log", "-1", "--format=%s") == "Release gamma 1.0.1"
