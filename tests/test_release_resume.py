"""`releasekit release` after a crash: a release killed after each step (a real process, killed where
`RELEASEKIT_FAILPOINT` says), then `--resume` finishes it without doing anything twice, or `--abort` gives it up;
with `release.next-dev`, after either commit. On the same scenes as tests/test_release.py (release_fixtures.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from guarantees import count
from release_fixtures import POLL
from release_scene import FAST, Scene, publish_from

# -- after a crash: --resume finishes, --abort gives up; the crash is a real process killed at a step -------------


def _killed(scene: Scene, step: str) -> None:
    killed = scene.release("1.4.0", *FAST, env={"RELEASEKIT_FAILPOINT": f"after-{step}"})
    assert killed.returncode == 86, killed.stdout + killed.stderr
    count("crashes and interrupts")


def test_second_release_refuses_while_one_is_under_way(scene: Scene) -> None:
    _killed(scene, "commit")
    proc = scene.main("release", "1.5.0", *FAST)
    assert proc.returncode == 1
    assert "the release of 1.4.0" in proc.stderr and "--resume" in proc.stderr


# A kill right after the commit is resumed by test_resume_after_a_kill_at_either_commit[commit] (with next-dev too).
@pytest.mark.parametrize("step", ["write", "tag", "push", "run"])
def test_resume_after_a_kill_at_each_step(scenes: Callable[..., Scene], dist_140: Path, step: str) -> None:
    scene = scenes(publish_command=publish_from(dist_140))
    _killed(scene, step)
    proc = scene.main("release", "--resume", *POLL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert scene.git("tag", "--list", "v1.4.*").split() == ["v1.4.0"]
    assert scene.git("log", "--format=%s", "v1.3.2..HEAD").splitlines()[0] == "Release 1.4.0"
    assert scene.git("log", "--format=%s", "v1.3.2..HEAD").count("Release 1.4.0") == 1
    (release,) = scene.releases()
    assert not release.draft
    assert len(release.assets) == 3
    runs = [r for r in scene.hub.runs("fluxion-app/fluxion") if r.path.endswith("release.yml")]
    assert len(runs) == 1


def test_abort_undoes_an_unpushed_release(scene: Scene) -> None:
    before = scene.state()
    _killed(scene, "tag")
    proc = scene.main("release", "--abort")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "deleted local tag v1.4.0" in proc.stdout and "dropped the release commit" in proc.stdout
    assert scene.state() == before
    assert not (scene.project / ".git/releasekit/release.json").exists()


def test_abort_refuses_once_the_tag_is_public(scene: Scene) -> None:
    _killed(scene, "push")
    proc = scene.main("release", "--abort")
    assert proc.returncode == 1
    assert "v1.4.0 is already on origin" in proc.stderr and "--resume" in proc.stderr


def test_abort_after_the_files_were_written_restores_them(scene: Scene) -> None:
    (scene.project / "CHANGELOG.md").unlink()
    scene.git("commit", "-q", "-am", "docs: no changelog yet")
    scene.git("push", "-q", "origin", "main")
    before = scene.state()
    _killed(scene, "write")
    assert (scene.project / "CHANGELOG.md").exists()  # written from the commits, not yet committed
    proc = scene.main("release", "--abort")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "restored the edited files" in proc.stdout
    assert scene.state() == before


# -- release.next-dev: the development commit after the tag (its plan and config: tests/test_next_dev.py) ---------


def _with_next_dev(scene: Scene) -> None:
    config = scene.project / "releasekit.yaml"
    config.write_text(config.read_text() + "\nrelease:\n  next-dev: true\n")
    scene.git("commit", "-q", "-am", "chore: start development versions after each release")
    scene.git("push", "-q", "origin", "main")


def test_dry_run_shows_the_development_commit(scenes: Callable[..., Scene]) -> None:
    scene = scenes()
    _with_next_dev(scene)
    before = scene.state()
    proc = scene.main("release", "minor", "--dry-run", *FAST)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "3. Annotated tag v1.4.0 on that commit\n4. Start 1.5.0.dev0 (release.next-dev: minor): edit 2 files" in out
    assert "   voice-agent/pyproject.toml: toml project.version 1.4.0 -> 1.5.0.dev0" in out
    assert "kept at 1.4.0 (semver files get no development version): src-tauri/Cargo.toml" in out
    assert '-__version__ = "1.4.0"\n+__version__ = "1.5.0.dev0"' in out
    assert "5. Push main (at the development commit) and v1.4.0 (at the release commit)" in out
    assert "6. Follow the run of release.yml" in out and "7. Show the GitHub release" in out
    assert scene.state() == before


@pytest.mark.parametrize("step", ["commit", "dev-commit"])
def test_resume_after_a_kill_at_either_commit(scenes: Callable[..., Scene], dist_140: Path, step: str) -> None:
    scene = scenes(publish_command=publish_from(dist_140))
    _with_next_dev(scene)
    _killed(scene, step)
    proc = scene.main("release", "--resume", *POLL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Released v1.4.0" in proc.stdout
    # The tag on the release commit, the branch (here and on origin) on the development commit just after it.
    assert scene.git("log", "--format=%s", "v1.3.2..HEAD").splitlines()[:2] == [
        "Start version 1.5.0.dev0",
        "Release 1.4.0",
    ]
    assert scene.git("rev-parse", "v1.4.0^{commit}") == scene.git("rev-parse", "HEAD^")
    remote = {ref: sha for sha, ref in (line.split("\t") for line in scene.git("ls-remote", "origin").splitlines())}
    assert remote["refs/heads/main"] == scene.git("rev-parse", "HEAD")
    assert remote["refs/tags/v1.4.0^{}"] == scene.git("rev-parse", "HEAD^")
    project = scene.project
    assert 'version = "1.5.0.dev0"' in (project / "voice-agent/pyproject.toml").read_text()
    assert json.loads((project / "package.json").read_text())["version"] == "1.4.0"
    assert 'version = "1.4.0"' in scene.git("show", "v1.4.0:voice-agent/pyproject.toml")
    (release,) = scene.releases()
    assert not release.draft
    if step == "commit":
        return
    # The next release counts from the tag and says what the files hold.
    plan = scene.main("release", "patch", "--dry-run", *FAST)
    assert "counted from v1.4.0; the files held 1.5.0.dev0 (a development version after v1.4.0)" in plan.stdout


def test_abort_after_the_development_commit(scenes: Callable[..., Scene]) -> None:
    scene = scenes()
    _with_next_dev(scene)
    before = scene.state()
    _killed(scene, "dev-commit")
    proc = scene.main("release", "--abort")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "dropped the development commit and the release commit" in proc.stdout
    assert scene.state() == before
