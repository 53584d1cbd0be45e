"""`releasekit publish TAG`: a draft first, assets and SHA256SUMS, notes from the changelog, then published; safe to
run again. Against the sandbox (GitHub) and a real pypiserver."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from release_scene import Scene, make_scene

from releasekit.sandbox.app import Sandbox


@pytest.fixture
def scene(tmp_path: Path, sandbox_factory: Callable[..., Sandbox]) -> Iterator[Scene]:
    made = make_scene(tmp_path, sandbox_factory, publish_command=None)
    # The state `releasekit release` leaves: version 1.4.0 committed, tagged and pushed.
    made.env["RELEASEKIT_DEBUG"] = ""
    proc = made.release("1.4.0", "--skip-ci-check", "--no-build-isolation", "--no-watch")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    yield made
    if made.index is not None:
        made.index.stop()


def publish(scene: Scene, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return scene.releasekit("publish", *args, env=env)


def index_env(scene: Scene) -> dict[str, str]:
    assert scene.index is not None
    return {"TWINE_PASSWORD": scene.index.token}


def test_publish_builds_uploads_and_publishes(scene: Scene) -> None:
    proc = publish(scene, "v1.4.0", "--no-build-isolation", env=index_env(scene))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "(twine check passed)" in out
    assert "fluxion_voice-1.4.0.tar.gz: uploaded" in out  # to the index
    assert "draft v1.4.0 created" in out
    assert "from CHANGELOG.md, section [1.4.0]" in out
    assert "Published v1.4.0: 3 uploaded, 0 already there." in out
    (release,) = scene.releases()
    assert not release.draft and "VOICE_PIPELINE_HOST" in (release.body or "")
    assert scene.index is not None and scene.index.files() == [
        "fluxion_voice-1.4.0-py3-none-any.whl",
        "fluxion_voice-1.4.0.tar.gz",
    ]
    sums = next(a for a in release.assets if a.name == "SHA256SUMS")
    assert sums.size > 0


def test_publish_again_changes_nothing(scene: Scene) -> None:
    first = publish(scene, "v1.4.0", "--no-build-isolation", env=index_env(scene))
    assert first.returncode == 0, first.stdout + first.stderr
    again = publish(scene, "v1.4.0", "--no-build-isolation", env=index_env(scene))
    assert again.returncode == 0, again.stdout + again.stderr
    assert "already there (same SHA-256)" in again.stdout  # the index
    assert "v1.4.0 is already published: left as it is" in again.stdout
    assert "v1.4.0 was already published; nothing changed." in again.stdout
    assert len(scene.releases()) == 1


def _draft_with(scene: Scene, name: str, data: bytes) -> None:
    gh = scene.hub.github()
    repo = gh.get_repo("fluxion-app/fluxion")
    draft = repo.create_git_release("v1.4.0", "v1.4.0", "", draft=True)
    path = scene.project.parent / name
    path.write_bytes(data)
    draft.upload_asset(str(path), name=name)
    path.unlink()


def test_a_resumed_draft_skips_identical_assets_and_refuses_different_ones(scene: Scene, tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "app.dmg").write_bytes(b"installer" * 1000)
    (dist / "app.msi").write_bytes(b"windows" * 1000)
    _draft_with(scene, "app.dmg", b"installer" * 1000)
    ok = publish(scene, "v1.4.0", "--dist", str(dist), "--skip-index")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "draft v1.4.0 found: continuing it" in ok.stdout
    assert "app.dmg: skipped, identical (same SHA-256)" in ok.stdout
    assert "app.msi: uploaded" in ok.stdout


def test_a_different_asset_is_refused_unless_replace(scene: Scene, tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "app.dmg").write_bytes(b"new build" * 1000)
    _draft_with(scene, "app.dmg", b"old build" * 1000)
    refused = publish(scene, "v1.4.0", "--dist", str(dist), "--skip-index")
    assert refused.returncode == 1
    assert "the release already has different files under these names" in refused.stderr
    assert "pass --replace" in refused.stderr
    (release,) = scene.releases()
    assert release.draft and [a.name for a in release.assets] == ["app.dmg"]  # nothing more was uploaded
    replaced = publish(scene, "v1.4.0", "--dist", str(dist), "--skip-index", "--replace")
    assert replaced.returncode == 0, replaced.stdout + replaced.stderr
    assert "app.dmg: replaced" in replaced.stdout
    (release,) = scene.releases()
    digest = hashlib.sha256(b"new build" * 1000).hexdigest()
    assert not release.draft
    assert {a.name for a in release.assets} == {"app.dmg", "SHA256SUMS"}
    assert any(a.digest == f"sha256:{digest}" for a in release.assets if a.name == "app.dmg")


def test_a_tag_github_does_not_have_is_refused(scene: Scene) -> None:
    proc = publish(scene, "v9.9.9", "--skip-index")
    assert proc.returncode == 1
    assert "tag v9.9.9 is not on GitHub" in proc.stderr
    assert scene.releases() == []


def test_a_name_that_is_not_a_release_tag(scene: Scene) -> None:
    proc = publish(scene, "latest")
    assert proc.returncode == 2
    assert "'latest' is not a release tag: project.tag-format is 'v{version}'" in proc.stderr


def test_files_that_do_not_match_the_tag_are_refused(scene: Scene) -> None:
    scene.git("tag", "-a", "v1.5.0", "-m", "mismatch")
    scene.git("push", "-q", "origin", "v1.5.0")
    proc = publish(scene, "v1.5.0", "--no-build-isolation", "--skip-index")
    assert proc.returncode == 1
    assert "voice-agent/pyproject.toml says version 1.4.0, but the tag is for 1.5.0" in proc.stderr
    assert scene.releases() == []
