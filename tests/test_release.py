"""`releasekit release` end to end: a copy of examples/fluxion, the sandbox as its GitHub and origin, real git, a real
pypiserver, and the release workflow's publish job running the real `releasekit publish`."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from release_scene import FAST, Scene, fake_token, make_scene

from releasekit.sandbox.app import Sandbox

Factory = Callable[..., Sandbox]


@pytest.fixture
def scenes(tmp_path: Path, sandbox_factory: Factory) -> Iterator[Callable[..., Scene]]:
    made: list[Scene] = []

    def make(**options: Any) -> Scene:
        made.append(make_scene(tmp_path, sandbox_factory, **options))
        return made[-1]

    yield make
    for scene in made:
        if scene.index is not None:
            scene.index.stop()


@pytest.fixture
def scene(scenes: Callable[..., Scene]) -> Scene:
    return scenes()


def test_release_end_to_end(scene: Scene) -> None:
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


def test_dry_run_prints_the_plan_and_changes_nothing(scene: Scene) -> None:
    before = scene.state()
    proc = scene.release("minor", "--dry-run", *FAST)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "Plan: release 1.4.0 of fluxion-app/fluxion (latest release: v1.3.2)" in out
    assert '-version = "1.3.2"' in out and '+version = "1.4.0"' in out  # the diffs
    assert "src-tauri/Cargo.lock" in out
    assert "Annotated tag v1.4.0" in out
    assert "Follow the run of release.yml" in out
    assert "Dry run: nothing was changed." in out
    assert scene.state() == before
    assert scene.releases() == []


def test_prerelease_writes_pep440_for_python(scene: Scene) -> None:
    proc = scene.release("minor", "--pre", "rc", "--dry-run", *FAST)
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
def test_bad_versions_fail_cleanly(scene: Scene, args: tuple[str, ...], message: str, code: int) -> None:
    before = scene.state()
    proc = scene.release(*args, *FAST)
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert scene.state() == before


def _expect_preflight_failure(scene: Scene, needle: str, *args: str, env: dict[str, str] | None = None) -> str:
    before = scene.state()
    proc = scene.release("1.4.0", *FAST, *args, env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "preflight check" in proc.stderr and "failed" in proc.stderr and "nothing was changed" in proc.stderr
    assert needle in proc.stdout, proc.stdout
    assert "Traceback" not in proc.stderr
    assert scene.state() == before
    assert scene.releases() == []
    return proc.stdout


def test_existing_tag_on_origin_only(scene: Scene) -> None:
    scene.git("tag", "-a", "v1.4.0", "-m", "someone else")
    scene.git("push", "-q", "origin", "v1.4.0")
    scene.git("tag", "-d", "v1.4.0")
    before = scene.state()
    proc = scene.release("1.4.0", *FAST)
    # The remote's tag counts as a release: 1.4.0 is not above it.
    assert proc.returncode == 2 and "v1.4.0" in proc.stderr
    assert scene.state() == before


def test_dirty_tree(scene: Scene) -> None:
    (scene.project / "voice-agent/main.py").write_text("# edited\n")
    _expect_preflight_failure(scene, "FAIL working tree")


def test_detached_head(scene: Scene) -> None:
    scene.git("checkout", "-q", "--detach", "HEAD~1")
    _expect_preflight_failure(scene, "HEAD is detached")


def test_wrong_branch(scene: Scene) -> None:
    scene.git("switch", "-q", "-c", "feature")
    out = _expect_preflight_failure(scene, "on feature, but releases are cut from main")
    assert "git switch main" in out


def test_behind_origin(scene: Scene, tmp_path: Path) -> None:
    scene.git("commit", "-q", "--allow-empty", "-m", "fix: later")
    scene.git("push", "-q", "origin", "main")
    scene.git("reset", "-q", "--hard", "HEAD~1")
    _expect_preflight_failure(scene, "1 commit behind origin/main")


def test_no_token(scene: Scene) -> None:
    env = {"GITHUB_TOKEN": "", "GH_TOKEN": ""}
    _expect_preflight_failure(scene, "no GitHub token: set GITHUB_TOKEN", env=env)


def test_rejected_token_is_never_printed(scene: Scene) -> None:
    token = fake_token()
    proc_out = _expect_preflight_failure(scene, "GitHub rejected the token (401", env={"GITHUB_TOKEN": token})
    assert token not in proc_out


def test_unreachable_api(scene: Scene) -> None:
    from releasekit.sandbox.http import free_port

    url = f"http://127.0.0.1:{free_port('127.0.0.1')}"
    _expect_preflight_failure(scene, "no answer from the GitHub API", env={"GITHUB_API_URL": url})


def test_failing_twine_check(scene: Scene) -> None:
    readme = scene.project / "voice-agent/README.md"
    pyproject = scene.project / "voice-agent/pyproject.toml"
    readme.rename(readme.with_suffix(".rst"))
    pyproject.write_text(pyproject.read_text().replace('readme = "README.md"', 'readme = "README.rst"'))
    (scene.project / "voice-agent/README.rst").write_text("Title\n=\n\n`broken <link\n")
    scene.git("add", "-A")
    scene.git("commit", "-q", "-m", "docs: rst readme")
    scene.git("push", "-q", "origin", "main")
    _expect_preflight_failure(scene, "FAIL package")


def test_version_already_on_the_index(scene: Scene, tmp_path: Path) -> None:
    from releasekit.backends.index import build, index_target, upload

    assert scene.index is not None
    work = tmp_path / "already"
    work.mkdir()
    pyproject = scene.project / "voice-agent/pyproject.toml"
    original = pyproject.read_text()
    pyproject.write_text(original.replace('version = "1.3.2"', 'version = "1.4.0"'))
    built = build(scene.project / "voice-agent", work, isolation=False)
    pyproject.write_text(original)
    upload(built, index_target("pypi", scene.index.url), username="__token__", password=scene.index.token)
    _expect_preflight_failure(scene, "fluxion-voice 1.4.0 is already on")


def test_red_ci_blocks_the_release(scene: Scene) -> None:
    head = scene.git("rev-parse", "HEAD")
    gh = scene.hub.github()
    gh.get_repo("fluxion-app/fluxion").get_commit(head).create_status("failure", context="external-ci")
    before = scene.state()
    proc = scene.release("1.4.0", "--no-build-isolation", "--poll", "0.1")
    assert proc.returncode == 1
    assert "1 failed on" in proc.stdout and "external-ci (failure)" in proc.stdout
    assert scene.state() == before


def test_green_ci_lets_it_through(scene: Scene) -> None:
    head = scene.git("rev-parse", "HEAD")
    gh = scene.hub.github()
    gh.get_repo("fluxion-app/fluxion").get_commit(head).create_status("success", context="external-ci")
    proc = scene.release("1.4.0", "--no-build-isolation", "--poll", "0.1", "--dry-run")
    assert proc.returncode == 0, proc.stdout
    assert "ok   ci            1 checks green" in proc.stdout


def test_second_release_refuses_while_one_is_under_way(scene: Scene) -> None:
    killed = scene.release("1.4.0", *FAST, env={"RELEASEKIT_FAILPOINT": "after-commit"})
    assert killed.returncode == 86
    proc = scene.release("1.5.0", *FAST)
    assert proc.returncode == 1
    assert "the release of 1.4.0" in proc.stderr and "--resume" in proc.stderr


@pytest.mark.parametrize("step", ["write", "commit", "tag", "push", "run"])
def test_resume_after_a_kill_at_each_step(scene: Scene, step: str) -> None:
    killed = scene.release("1.4.0", *FAST, env={"RELEASEKIT_FAILPOINT": f"after-{step}"})
    assert killed.returncode == 86, killed.stdout + killed.stderr
    proc = scene.release("--resume", "--poll", "0.1")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert scene.git("tag", "--list", "v1.4.*").split() == ["v1.4.0"]
    assert scene.git("log", "--format=%s", "v1.3.2..HEAD").splitlines()[0] == "Release 1.4.0"
    assert scene.git("log", "--format=%s", "v1.3.2..HEAD").count("Release 1.4.0") == 1
    (release,) = scene.releases()
    assert not release.draft
    assert len(release.assets) == 3
    runs = [r for r in scene.hub.runs("fluxion-app/fluxion") if r.path.endswith("release.yml")]
    assert len(runs) == 1


def test_protected_branch_rejection_undoes_the_local_commit_and_tag(scene: Scene) -> None:
    hook = Path(scene.hub.remote_url("fluxion-app/fluxion")) / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'GH006: Protected branch update failed for refs/heads/main.' >&2\nexit 1\n")
    hook.chmod(0o755)
    before = scene.state()
    proc = scene.release("1.4.0", *FAST)
    assert proc.returncode == 1
    assert "origin refused the push" in proc.stderr and "GH006" in proc.stderr
    assert "local release commit and tag v1.4.0 were undone" in proc.stderr
    assert scene.state() == before


def test_failed_release_run_names_the_failed_job(scenes: Callable[..., Scene]) -> None:
    scene = scenes(publish_command=None)
    scene.hub.script(workflow="release.yml", job="build", conclusion="failure")
    proc = scene.release("1.4.0", *FAST)
    assert proc.returncode == 1
    assert "The release workflow failed (failure)" in proc.stdout
    assert "  build [ubuntu]: failure  http" in proc.stdout
    assert re.search(r"    step \d+ '.+': failure  http\S+/job/\d+#step:\d+:1", proc.stdout), proc.stdout
    assert "releasekit release --resume" in proc.stdout


def test_a_concurrent_release_refuses_while_the_lock_is_held(scene: Scene) -> None:
    from releasekit.journal import release_lock

    before = scene.state()
    with release_lock(scene.project / ".git"):
        proc = scene.release("1.4.0", *FAST)
    assert proc.returncode == 1
    assert "another release is running in this repository (pid" in proc.stderr
    assert scene.state() == before


def test_abort_undoes_an_unpushed_release(scene: Scene) -> None:
    before = scene.state()
    killed = scene.release("1.4.0", *FAST, env={"RELEASEKIT_FAILPOINT": "after-tag"})
    assert killed.returncode == 86
    proc = scene.release("--abort")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "deleted local tag v1.4.0" in proc.stdout and "dropped the release commit" in proc.stdout
    assert scene.state() == before
    assert not (scene.project / ".git/releasekit/release.json").exists()


def test_abort_refuses_once_the_tag_is_public(scene: Scene) -> None:
    killed = scene.release("1.4.0", *FAST, env={"RELEASEKIT_FAILPOINT": "after-push"})
    assert killed.returncode == 86
    proc = scene.release("--abort")
    assert proc.returncode == 1
    assert "v1.4.0 is already on origin" in proc.stderr and "--resume" in proc.stderr


def test_abort_after_the_files_were_written_restores_them(scene: Scene) -> None:
    (scene.project / "CHANGELOG.md").unlink()
    scene.git("commit", "-q", "-am", "docs: no changelog yet")
    scene.git("push", "-q", "origin", "main")
    before = scene.state()
    killed = scene.release("1.4.0", *FAST, env={"RELEASEKIT_FAILPOINT": "after-write"})
    assert killed.returncode == 86
    assert (scene.project / "CHANGELOG.md").exists()  # written from the commits, not yet committed
    proc = scene.release("--abort")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "restored the edited files" in proc.stdout
    assert scene.state() == before
