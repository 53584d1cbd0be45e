"""`releasekit release`: a copy of examples/fluxion, the sandbox as its GitHub and origin, real git, a real pypiserver.

One end-to-end scene tells the release story as a user lives it (a child process; the release workflow's publish job
runs the real `releasekit publish`). The rest runs `releasekit.cli.main` in this process (`Scene.main`), on one
shared scene when the test changes nothing it does not put back, else on a scene of its own. A release killed after
each step (`--resume`, `--abort`) is in tests/test_release_resume.py; the fixtures both use in release_fixtures.py.
Every scene shares one package index and one build cache: the package is built once per distinct tree (the cache
never serves another tree, tests/test_buildcache.py); the verdicts themselves are tested in tests/test_preflight.py.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import SharedSandboxes
from release_fixtures import POLL
from release_scene import FAST, PUBLISH, Scene, fake_token, make_scene

from releasekit.sandbox.index import PackageIndex


class Calm:
    """The shared scene, for tests that change nothing or put back what they change; each test starts from (and is
    checked against) the state it was made in."""

    def __init__(self, scene: Scene, shared: SharedSandboxes) -> None:
        self.scene = scene
        self.shared = shared
        self.pristine = scene.state()

    def put_back(self) -> None:
        self.scene.git("checkout", "-q", "--force", "main")
        self.scene.git("reset", "-q", "--hard", "origin/main")
        self.scene.git("clean", "-q", "-d", "--force")
        for branch in self.scene.git("for-each-ref", "--format=%(refname:short)", "refs/heads").split():
            if branch != "main":
                self.scene.git("branch", "-q", "-D", branch)
        assert self.scene.state() == self.pristine, "a test left the shared scene changed"
        self.shared.check()


@pytest.fixture(scope="module")
def calm_scene(
    tmp_path_factory: pytest.TempPathFactory, module_patch: pytest.MonkeyPatch, shared_index: PackageIndex
) -> Iterator[Calm]:
    shared = SharedSandboxes(tmp_path_factory)
    try:
        scene = make_scene(tmp_path_factory.mktemp("calm"), shared.sandbox, index=shared_index, publish_command=None)
        yield Calm(scene, shared)
    finally:
        shared.close()


@pytest.fixture
def calm(calm_scene: Calm) -> Iterator[Scene]:
    """The shared scene; put back after the test (a test that promises to change nothing checks that itself:
    putting back would hide it)."""
    yield calm_scene.scene
    calm_scene.put_back()


# -- the story, end to end ------------------------------------------------------------------------------------------


def test_release_end_to_end(scenes: Callable[..., Scene]) -> None:
    scene = scenes(publish_command=PUBLISH)
    proc = scene.release("1.4.0", *FAST)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "ok   working tree" in out
    assert "v1.4.0 (annotated)" in out
    assert "pushed to origin (atomic)" in out
    assert "GitHub release [ubuntu]: success in " in out
    assert "Released v1.4.0: " in out
    # Every version file, in its own format, and the lock files that record the project's own version.
    project = scene.project
    assert 'version = "1.4.0"' in (project / "voice-agent/pyproject.toml").read_text()
    assert '__version__ = "1.4.0"' in (project / "voice-agent/fluxion_voice/__init__.py").read_text()
    assert json.loads((project / "package-lock.json").read_text())["packages"][""]["version"] == "1.4.0"
    changelog = (project / "CHANGELOG.md").read_text()
    assert "## [1.4.0] - " in changelog and "## [Unreleased]" in changelog
    # One commit, one annotated tag, both on origin.
    assert scene.git("log", "-1", "--format=%s") == "Release 1.4.0"
    assert scene.git("cat-file", "-t", "v1.4.0") == "tag"
    remote = scene.git("ls-remote", "origin", "refs/tags/v1.4.0^{}", "refs/heads/main").split()
    assert remote[0] == remote[2] == scene.git("rev-parse", "HEAD")
    # The run's publish job made the GitHub release: published, with the notes and SHA256SUMS.
    (release,) = scene.releases()
    assert release.tag_name == "v1.4.0" and not release.draft
    assert "VOICE_PIPELINE_HOST" in (release.body or "")
    names = sorted(a.name for a in release.assets)
    assert names == ["SHA256SUMS", "fluxion_voice-1.4.0-py3-none-any.whl", "fluxion_voice-1.4.0.tar.gz"]
    assert not (project / ".git/releasekit/release.json").exists()


# -- the plan, and what is refused before any check -----------------------------------------------------------------


def test_dry_run_prints_the_plan_and_changes_nothing(calm: Scene) -> None:
    before = calm.state()
    proc = calm.main("release", "minor", "--dry-run", *FAST)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "Plan: release 1.4.0 of fluxion-app/fluxion (latest release: v1.3.2)" in out
    assert '-version = "1.3.2"' in out and '+version = "1.4.0"' in out  # the diffs
    assert "src-tauri/Cargo.lock" in out
    assert "Annotated tag v1.4.0" in out
    assert "Follow the run of release.yml" in out
    assert "Dry run: nothing was changed." in out
    assert calm.state() == before
    assert calm.releases() == []
    # The tree was built (or the build of this very tree reused) and checked.
    names = "fluxion_voice-1.4.0-py3-none-any.whl, fluxion_voice-1.4.0.tar.gz"
    assert re.search(rf"ok   package +{re.escape(names)} build and pass twine check", out), out


def test_prerelease_writes_pep440_for_python(calm: Scene) -> None:
    proc = calm.main("release", "minor", "--pre", "rc", "--dry-run", *FAST)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert '+version = "1.4.0rc1"' in proc.stdout  # pyproject.toml: PEP 440
    assert '+  "version": "1.4.0-rc.1",' in proc.stdout  # package.json: semver


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (("1.4",), "'1.4' is not a semantic version", 2),
        (("banana",), "'banana' is not a semantic version", 2),
        (("1.3.0",), "not above the latest release v1.3.2", 2),
        (("1.3.2",), "v1.3.2", 2),
    ],
)
def test_bad_versions_fail_cleanly(calm: Scene, args: tuple[str, ...], message: str, code: int) -> None:
    before = calm.state()
    proc = calm.main("release", *args, *FAST)
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert calm.state() == before


def test_existing_tag_on_origin_only(scene: Scene) -> None:
    scene.git("tag", "-a", "v1.4.0", "-m", "someone else")
    scene.git("push", "-q", "origin", "v1.4.0")
    scene.git("tag", "-d", "v1.4.0")
    before = scene.state()
    proc = scene.main("release", "1.4.0", *FAST)
    # The remote's tag counts as a release: 1.4.0 is not above it.
    assert proc.returncode == 2 and "v1.4.0" in proc.stderr
    assert scene.state() == before


# -- preflight: each failure stops the release before it changes anything -------------------------------------------


def _expect_preflight_failure(scene: Scene, needle: str, *args: str, env: dict[str, str] | None = None) -> str:
    before = scene.state()
    proc = scene.main("release", "1.4.0", *FAST, *args, env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "preflight check" in proc.stderr and "failed" in proc.stderr and "nothing was changed" in proc.stderr
    assert needle in proc.stdout, proc.stdout
    assert "Traceback" not in proc.stderr
    assert scene.state() == before
    assert scene.releases() == []
    return proc.stdout


def test_dirty_tree(calm: Scene) -> None:
    (calm.project / "voice-agent/main.py").write_text("# edited\n")
    _expect_preflight_failure(calm, "FAIL working tree")


def test_detached_head(calm: Scene) -> None:
    calm.git("checkout", "-q", "--detach", "HEAD~1")
    _expect_preflight_failure(calm, "HEAD is detached")


def test_wrong_branch(calm: Scene) -> None:
    calm.git("switch", "-q", "-c", "feature")
    out = _expect_preflight_failure(calm, "on feature, but releases are cut from main")
    assert "git switch main" in out


def test_behind_origin(scene: Scene) -> None:
    scene.git("commit", "-q", "--allow-empty", "-m", "fix: later")
    scene.git("push", "-q", "origin", "main")
    scene.git("reset", "-q", "--hard", "HEAD~1")
    _expect_preflight_failure(scene, "1 commit behind origin/main")


def test_no_token(calm: Scene) -> None:
    env = {"GITHUB_TOKEN": "", "GH_TOKEN": ""}
    out = _expect_preflight_failure(calm, "no GitHub token: set GITHUB_TOKEN", env=env)
    # The costly checks are not run after a failed cheap one.
    assert re.search(r"skip ci +not checked: an earlier check failed", out), out
    assert re.search(r"skip package +not checked: an earlier check failed", out), out


def test_rejected_token_is_never_printed(calm: Scene) -> None:
    token = fake_token()
    proc_out = _expect_preflight_failure(calm, "GitHub rejected the token (401", env={"GITHUB_TOKEN": token})
    assert token not in proc_out


def test_version_already_on_the_index(scenes: Callable[..., Scene], dist_140: Path) -> None:
    scene = scenes(index=True)  # an index of its own: the shared one must not have 1.4.0
    assert scene.index is not None
    for built in dist_140.iterdir():
        shutil.copy(built, scene.index.directory)  # as an upload leaves them; the index reads its directory
    assert len(scene.index.files()) == 2
    _expect_preflight_failure(scene, "fluxion-voice 1.4.0 is already on")


def test_red_ci_blocks_the_release(scene: Scene) -> None:
    head = scene.git("rev-parse", "HEAD")
    gh = scene.hub.github()
    gh.get_repo("fluxion-app/fluxion").get_commit(head).create_status("failure", context="external-ci")
    before = scene.state()
    proc = scene.main("release", "1.4.0", "--no-build-isolation", *POLL)
    assert proc.returncode == 1
    assert "1 failed on" in proc.stdout and "external-ci (failure)" in proc.stdout
    assert scene.state() == before


def test_green_ci_lets_it_through(calm: Scene) -> None:
    head = calm.git("rev-parse", "HEAD")
    gh = calm.hub.github()
    gh.get_repo("fluxion-app/fluxion").get_commit(head).create_status("success", context="external-ci")
    proc = calm.main("release", "1.4.0", "--no-build-isolation", "--skip-sla-check", *POLL, "--dry-run")
    assert proc.returncode == 0, proc.stdout
    assert "ok   ci            1 checks green" in proc.stdout


def test_a_concurrent_release_refuses_while_the_lock_is_held(calm: Scene) -> None:
    from releasekit.journal import release_lock

    before = calm.state()
    with release_lock(calm.project / ".git"):
        proc = calm.main("release", "1.4.0", *FAST)
    assert proc.returncode == 1
    assert "another release is running in this repository (pid" in proc.stderr
    assert calm.state() == before


# -- what goes wrong after the checks -------------------------------------------------------------------------------


def test_protected_branch_rejection_undoes_the_local_commit_and_tag(scene: Scene) -> None:
    hook = Path(scene.hub.remote_url("fluxion-app/fluxion")) / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'GH006: Protected branch update failed for refs/heads/main.' >&2\nexit 1\n")
    hook.chmod(0o755)
    before = scene.state()
    proc = scene.main("release", "1.4.0", *FAST)
    assert proc.returncode == 1
    assert "origin refused the push" in proc.stderr and "GH006" in proc.stderr
    assert "local release commit and tag v1.4.0 were undone" in proc.stderr
    assert scene.state() == before


def test_failed_release_run_names_the_failed_job(scene: Scene) -> None:
    scene.hub.script(workflow="release.yml", job="build", conclusion="failure")
    proc = scene.main("release", "1.4.0", *FAST, *POLL)
    assert proc.returncode == 1
    assert "The release workflow failed (failure)" in proc.stdout
    assert "  build [ubuntu]: failure (simulated)  http" in proc.stdout
    assert re.search(r"    step \d+ '.+': failure  http\S+/job/\d+#step:\d+:1", proc.stdout), proc.stdout
    assert "releasekit release --resume" in proc.stdout
