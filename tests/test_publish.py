"""`releasekit publish TAG`: a draft first, assets and SHA256SUMS, notes from the changelog, then published; safe to
run again; on a published release, attaches what it lacks. Against the sandbox (GitHub) and a real pypiserver."""

from __future__ import annotations

import hashlib
import subprocess
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from release_scene import Scene, make_scene

from releasekit.backends.records import AssetInfo
from releasekit.sandbox.app import Sandbox
from releasekit.steps.publish import local_assets, plan_attach


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


def writes(scene: Scene, since: int) -> list[str]:
    """The writes GitHub was sent after the `since`-th request."""
    log = scene.hub.requests()[since:]
    return [f"{e['method']} {e['path']}" for e in log if e["method"] in ("POST", "PATCH", "PUT", "DELETE")]


def download(scene: Scene, name: str) -> bytes:
    url = f"{scene.hub.api_url}/fluxion-app/fluxion/releases/download/v1.4.0/{name}"
    with urllib.request.urlopen(url, timeout=30) as response:
        data: bytes = response.read()
    return data


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
    since = len(scene.hub.requests())
    again = publish(scene, "v1.4.0", "--no-build-isolation", env=index_env(scene))
    assert again.returncode == 0, again.stdout + again.stderr
    assert writes(scene, since) == []  # not a POST, PATCH or DELETE sent to GitHub
    assert "already there (same SHA-256)" in again.stdout  # the index
    assert "v1.4.0 is already published and has these files: left as it is" in again.stdout
    assert "fluxion_voice-1.4.0.tar.gz: skipped, identical (same SHA-256)" in again.stdout
    assert "v1.4.0 was already published; nothing changed." in again.stdout
    assert len(scene.releases()) == 1


def assert_sums_cover_the_release(scene: Scene) -> list[str]:
    """SHA256SUMS lists every other asset of the release, sorted, and each line verifies against the file."""
    (release,) = scene.releases()
    names = sorted(a.name for a in release.assets if a.name != "SHA256SUMS")
    lines = download(scene, "SHA256SUMS").decode().splitlines()
    assert [line.split("  ", 1)[1] for line in lines] == names
    for line in lines:
        hexdigest, name = line.split("  ", 1)
        assert hashlib.sha256(download(scene, name)).hexdigest() == hexdigest, name
    return names


def published_with_python(scene: Scene) -> None:
    """What the tag-triggered release.yml leaves: the release published with the sdist and the wheel."""
    proc = publish(scene, "v1.4.0", "--no-build-isolation", "--skip-index")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Published v1.4.0: 3 uploaded" in proc.stdout


INSTALLERS = {
    "Fluxion_1.4.0_aarch64.dmg": b"dmg" * 3000,
    "Fluxion_1.4.0_x64_en-US.msi": b"msi" * 2000,
    "Fluxion_1.4.0_x64-setup.exe": b"exe" * 1000,
}


def test_a_published_release_gets_the_installers_it_lacks(scene: Scene, tmp_path: Path) -> None:
    published_with_python(scene)
    (before,) = scene.releases()
    python_ids = {a.name: a.id for a in before.assets if a.name != "SHA256SUMS"}
    dist = tmp_path / "dist"
    dist.mkdir()
    for name in python_ids:  # the published wheel and sdist, next to the installers release-full.yml builds
        (dist / name).write_bytes(download(scene, name))
    for name, data in INSTALLERS.items():
        (dist / name).write_bytes(data)
    since = len(scene.hub.requests())
    proc = publish(scene, "v1.4.0", "--dist", str(dist), "--skip-index")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "v1.4.0 is already published: attaching what it lacks, notes left as they are" in out
    assert "Fluxion_1.4.0_aarch64.dmg: attached (9.0 kB)" in out
    assert "fluxion_voice-1.4.0-py3-none-any.whl: skipped, identical (same SHA-256)" in out
    assert "SHA256SUMS: replaced, now lists 5 assets" in out
    assert "v1.4.0 was already published; attached 3 assets, SHA256SUMS updated." in out
    assert not any(w.startswith("PATCH") for w in writes(scene, since))  # notes, name and flags untouched
    (after,) = scene.releases()
    assert (after.body, after.name, after.draft, after.prerelease) == (
        before.body,
        before.name,
        before.draft,
        before.prerelease,
    )
    assert {a.name: a.id for a in after.assets if a.name in python_ids} == python_ids  # not uploaded again
    assert assert_sums_cover_the_release(scene) == sorted([*python_ids, *INSTALLERS])
    # The same files again: nothing is written at all.
    since = len(scene.hub.requests())
    again = publish(scene, "v1.4.0", "--dist", str(dist), "--skip-index")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "v1.4.0 was already published; nothing changed." in again.stdout
    assert writes(scene, since) == []


def test_each_machine_attaches_its_own_installers(scene: Scene, tmp_path: Path) -> None:
    published_with_python(scene)
    for machine, names in (("macos", ["Fluxion_1.4.0_aarch64.dmg"]), ("windows", list(INSTALLERS)[1:])):
        dist = tmp_path / machine
        dist.mkdir()
        for name in names:
            (dist / name).write_bytes(INSTALLERS[name])
        proc = publish(scene, "v1.4.0", "--dist", str(dist), "--skip-index")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert f"attached {len(names)} asset" in proc.stdout
    names = assert_sums_cover_the_release(scene)  # the wheel and sdist's lines come from GitHub's digests
    assert len(names) == 5 and set(INSTALLERS) <= set(names)


def test_a_different_file_on_a_published_release_is_refused_unless_replace(scene: Scene, tmp_path: Path) -> None:
    published_with_python(scene)
    first = tmp_path / "first"
    first.mkdir()
    (first / "app.dmg").write_bytes(b"old build" * 1000)
    assert publish(scene, "v1.4.0", "--dist", str(first), "--skip-index").returncode == 0
    (before,) = scene.releases()
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "app.dmg").write_bytes(b"new build" * 1000)
    (dist / "app.msi").write_bytes(b"windows" * 1000)
    since = len(scene.hub.requests())
    refused = publish(scene, "v1.4.0", "--dist", str(dist), "--skip-index")
    assert refused.returncode == 1
    assert "the release already has different files under these names" in refused.stderr
    assert "app.dmg: the release has 9000 bytes" in refused.stderr
    assert "nothing was uploaded" in refused.stderr and "pass --replace" in refused.stderr
    assert writes(scene, since) == []
    (release,) = scene.releases()
    assert [(a.name, a.digest) for a in release.assets] == [(a.name, a.digest) for a in before.assets]
    replaced = publish(scene, "v1.4.0", "--dist", str(dist), "--skip-index", "--replace")
    assert replaced.returncode == 0, replaced.stdout + replaced.stderr
    assert "app.dmg: replaced (9.0 kB)" in replaced.stdout
    assert "app.msi: attached (7.0 kB)" in replaced.stdout
    assert "v1.4.0 was already published; attached 1 asset, replaced 1, SHA256SUMS updated." in replaced.stdout
    (release,) = scene.releases()
    digest = hashlib.sha256(b"new build" * 1000).hexdigest()
    assert any(a.digest == f"sha256:{digest}" for a in release.assets if a.name == "app.dmg")
    assert not release.draft
    assert "app.dmg" in assert_sums_cover_the_release(scene)


def _remote(asset_id: int, name: str, data: bytes | None, *, size: int | None = None) -> AssetInfo:
    digest = f"sha256:{hashlib.sha256(data).hexdigest()}" if data is not None else None
    return AssetInfo(asset_id, name, size if size is not None else len(data or b""), digest, "uploaded", "")


def test_sums_leave_out_assets_without_a_digest_and_are_rewritten_only_when_they_change(tmp_path: Path) -> None:
    (tmp_path / "app.dmg").write_bytes(b"dmg")
    (tmp_path / "app.msi").write_bytes(b"msi")
    local = local_assets(sorted(tmp_path.iterdir()))
    old = [_remote(1, "app.dmg", b"dmg"), _remote(2, "notes.pdf", None, size=10)]  # an older server: no digest
    plan = plan_attach(local, old, replace=False)
    assert [(a.asset.name, a.action) for a in plan.actions] == [("app.dmg", "skip"), ("app.msi", "upload")]
    assert plan.sums.left_out == ("notes.pdf",) and plan.sums.listed == ("app.dmg", "app.msi")
    assert plan.sums.write and plan.sums.existing is None
    sums = plan.sums.text.encode()
    assert sums == b"".join(f"{a.sha256}  {a.name}\n".encode() for a in local)
    # Everything there and SHA256SUMS as it should be: nothing to write.
    complete = [*old, _remote(3, "app.msi", b"msi"), _remote(4, "SHA256SUMS", sums)]
    assert not plan_attach(local, complete, replace=False).writes
    # An attach cut short before SHA256SUMS: the files are there, the sums are stale; only they are rewritten.
    stale = [*old, _remote(3, "app.msi", b"msi"), _remote(4, "SHA256SUMS", b"stale")]
    repair = plan_attach(local, stale, replace=False)
    assert all(a.action == "skip" for a in repair.actions) and repair.sums.write
    # A SHA256SUMS without a digest cannot be compared: with nothing new, it is left alone.
    unknown = [*old, _remote(3, "app.msi", b"msi"), _remote(4, "SHA256SUMS", None, size=5)]
    assert not plan_attach(local, unknown, replace=False).writes


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
