"""`releasekit publish TAG`: a draft first, assets and SHA256SUMS, notes from the changelog, then published; safe to
run again; on a published release, attaches what it lacks. Against the sandbox (GitHub) and a real pypiserver.

One release serves every test here: the module cuts 1.4.0 once (`releasekit release`), publishes it once through the
real command line (the end-to-end scene), and keeps both states. Each test starts from one of them, restored in a
few milliseconds (the sandbox's releases and asset files, the index's files, the tags), and runs `releasekit
publish` in this process (`Scene.main`)."""

from __future__ import annotations

import copy
import hashlib
import subprocess
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import SharedSandboxes, git, isolate_git
from release_scene import REPOSITORY, Scene, make_scene

from releasekit.backends.records import AssetInfo
from releasekit.sandbox.app import Sandbox
from releasekit.sandbox.gitstore import BareRepo
from releasekit.sandbox.state import Release
from releasekit.steps.publish import local_assets, plan_attach

# -- one release for the module, and the states the tests start from -------------------------------------------------


@dataclass
class Snapshot:
    """What publishing can change, as it was at one moment: GitHub's releases (with their asset files), the
    index's files, and the tags here and on GitHub."""

    releases: dict[int, Release]
    asset_files: dict[str, bytes]
    index_files: dict[str, bytes]
    local_tags: dict[str, str]
    remote_refs: dict[str, str]


@dataclass
class Stage:
    scene: Scene
    shared: SharedSandboxes
    published: subprocess.CompletedProcess[str] | None = None  # the end-to-end `releasekit publish`, once made
    snapshots: dict[str, Snapshot] = field(default_factory=dict)

    @property
    def hub(self) -> Sandbox:
        return self.scene.hub

    def check_contract(self) -> None:
        """Fail the test during which the sandbox sent a response GitHub's description does not allow."""
        self.shared.check()

    def _assets_dir(self) -> Path:
        # Where the sandbox keeps uploaded asset bytes (one file per asset id; ids are never reused).
        return self.hub.directory / "assets"

    def _bare(self) -> BareRepo:
        repo = self.hub.state.repo(*REPOSITORY.split("/"))
        assert repo is not None
        return self.hub.git(repo)

    def _local_tags(self) -> dict[str, str]:
        lines = self.scene.git("for-each-ref", "--format=%(refname) %(objectname)", "refs/tags").splitlines()
        return dict(line.split(" ", 1) for line in lines)

    def snapshot(self, name: str) -> None:
        index = self.scene.index
        assert index is not None
        assets = self._assets_dir()
        with self.hub.state.lock:
            self.snapshots[name] = Snapshot(
                releases=copy.deepcopy(self.hub.state.releases),
                asset_files={p.name: p.read_bytes() for p in assets.iterdir()} if assets.is_dir() else {},
                index_files={n: (index.directory / n).read_bytes() for n in index.files()},
                local_tags=self._local_tags(),
                remote_refs=self._bare().refs(),
            )

    def restore(self, name: str) -> Scene:
        snap = self.snapshots[name]
        index = self.scene.index
        assert index is not None
        with self.hub.state.lock:
            self.hub.state.releases.clear()
            self.hub.state.releases.update(copy.deepcopy(snap.releases))
            assets = self._assets_dir()
            for file, data in snap.asset_files.items():  # a test may have deleted one (a replaced SHA256SUMS)
                if not (assets / file).exists():
                    assets.mkdir(exist_ok=True)
                    (assets / file).write_bytes(data)
            _put_refs(self._bare().refs(), snap.remote_refs, self._bare().delete_ref, self._bare().update_ref)
            self.hub.touch()
        _put_refs(
            self._local_tags(),
            snap.local_tags,
            lambda ref: self.scene.git("update-ref", "-d", ref),
            lambda ref, sha: self.scene.git("update-ref", ref, sha),
        )
        for file in index.files():
            if file not in snap.index_files:
                (index.directory / file).unlink()
        for file, data in snap.index_files.items():
            (index.directory / file).write_bytes(data)
        return self.scene


def _put_refs(
    now: dict[str, str], then: dict[str, str], delete: Callable[[str], object], update: Callable[[str, str], object]
) -> None:
    """Bring refs back to `then`: a tag a test pushed is deleted, a moved one is put back."""
    for ref, sha in now.items():
        if ref not in then:
            delete(ref)
        elif sha != then[ref]:
            update(ref, then[ref])


def _release_it(scene: Scene) -> None:
    """The state `releasekit release` leaves: version 1.4.0 committed, tagged and pushed."""
    proc = scene.main("release", "1.4.0", "--skip-ci-check", "--skip-sla-check", "--no-build-isolation", "--no-watch")
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def stage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stage]:
    """The released scene, made once. Its sandbox validates every response against GitHub's OpenAPI description,
    as conftest's `sandbox_observers` does for a test's own sandbox."""
    shared = SharedSandboxes(tmp_path_factory)
    with pytest.MonkeyPatch.context() as patch:
        isolate_git(tmp_path_factory, patch)  # the autouse isolated_git comes later: it is function-scoped
        scene: Scene | None = None
        try:
            scene = make_scene(tmp_path_factory.mktemp("publish"), shared.sandbox, publish_command=None)
            made = Stage(scene, shared)
            _release_it(scene)
            made.snapshot("released")
            yield made
        finally:
            if scene is not None and scene.index is not None:
                scene.index.stop()
            shared.close()


@pytest.fixture(scope="module")
def published_stage(stage: Stage) -> Stage:
    """The end-to-end scene: the real command line publishes the release (build, twine check, the index, the draft,
    the assets, the notes, published); what it printed and left is kept for every test that starts there."""
    scene = stage.restore("released")
    stage.published = scene.releasekit("publish", "v1.4.0", "--no-build-isolation", env=index_env(scene))
    assert stage.published.returncode == 0, stage.published.stdout + stage.published.stderr
    stage.snapshot("published")
    return stage


@pytest.fixture
def released(stage: Stage) -> Iterator[Scene]:
    """Tagged and pushed, no GitHub release yet, nothing on the index."""
    yield stage.restore("released")
    stage.check_contract()


@pytest.fixture
def published(published_stage: Stage) -> Iterator[Scene]:
    """As the first `releasekit publish` (or the tag-triggered release.yml) left it: published, with the sdist,
    the wheel and SHA256SUMS, and both files on the index."""
    yield published_stage.restore("published")
    published_stage.check_contract()


def publish(scene: Scene, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return scene.main("publish", *args, env=env)


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


# -- refusals --------------------------------------------------------------------------------------------------------
# (The tests that start from the released state come first: the module's two set-ups, the release and the end-to-end
# publish, are then paid by two different tests, each well under the 5 s a test may take.)


def test_a_tag_github_does_not_have_is_refused(released: Scene) -> None:
    proc = publish(released, "v9.9.9", "--skip-index")
    assert proc.returncode == 1
    assert "tag v9.9.9 is not on GitHub" in proc.stderr
    assert released.releases() == []


def test_a_name_that_is_not_a_release_tag(released: Scene) -> None:
    proc = publish(released, "latest")
    assert proc.returncode == 2
    assert "'latest' is not a release tag: project.tag-format is 'v{version}'" in proc.stderr


def test_files_that_do_not_match_the_tag_are_refused(released: Scene) -> None:
    released.git("tag", "-a", "v1.5.0", "-m", "mismatch")
    released.git("push", "-q", "origin", "v1.5.0")
    proc = publish(released, "v1.5.0", "--no-build-isolation", "--skip-index")
    assert proc.returncode == 1
    assert "voice-agent/pyproject.toml says version 1.4.0, but the tag is for 1.5.0" in proc.stderr
    assert released.releases() == []


# -- a draft left by an interrupted publish --------------------------------------------------------------------------


def _draft_with(scene: Scene, name: str, data: bytes, scratch: Path) -> None:
    gh = scene.hub.github()
    repo = gh.get_repo(REPOSITORY)
    draft = repo.create_git_release("v1.4.0", "v1.4.0", "", draft=True)
    path = scratch / name
    path.write_bytes(data)
    draft.upload_asset(str(path), name=name)


def test_a_resumed_draft_skips_identical_assets_and_refuses_different_ones(released: Scene, tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "app.dmg").write_bytes(b"installer" * 1000)
    (dist / "app.msi").write_bytes(b"windows" * 1000)
    _draft_with(released, "app.dmg", b"installer" * 1000, tmp_path)
    ok = publish(released, "v1.4.0", "--dist", str(dist), "--skip-index")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "draft v1.4.0 found: continuing it" in ok.stdout
    assert "app.dmg: skipped, identical (same SHA-256)" in ok.stdout
    assert "app.msi: uploaded" in ok.stdout


def test_a_different_asset_is_refused_unless_replace(released: Scene, tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "app.dmg").write_bytes(b"new build" * 1000)
    _draft_with(released, "app.dmg", b"old build" * 1000, tmp_path)
    refused = publish(released, "v1.4.0", "--dist", str(dist), "--skip-index")
    assert refused.returncode == 1
    assert "the release already has different files under these names" in refused.stderr
    assert "pass --replace" in refused.stderr
    (release,) = released.releases()
    assert release.draft and [a.name for a in release.assets] == ["app.dmg"]  # nothing more was uploaded
    replaced = publish(released, "v1.4.0", "--dist", str(dist), "--skip-index", "--replace")
    assert replaced.returncode == 0, replaced.stdout + replaced.stderr
    assert "app.dmg: replaced" in replaced.stdout
    (release,) = released.releases()
    digest = hashlib.sha256(b"new build" * 1000).hexdigest()
    assert not release.draft
    assert {a.name for a in release.assets} == {"app.dmg", "SHA256SUMS"}
    assert any(a.digest == f"sha256:{digest}" for a in release.assets if a.name == "app.dmg")


# -- the end-to-end scene --------------------------------------------------------------------------------------------


def test_publish_builds_uploads_and_publishes(published_stage: Stage, published: Scene) -> None:
    proc = published_stage.published
    assert proc is not None
    out = proc.stdout
    assert "(twine check passed)" in out
    assert "fluxion_voice-1.4.0.tar.gz: uploaded" in out  # to the index
    assert "draft v1.4.0 created" in out
    assert "from CHANGELOG.md, section [1.4.0]" in out
    assert "Published v1.4.0: 3 uploaded, 0 already there." in out
    (release,) = published.releases()
    assert not release.draft and "VOICE_PIPELINE_HOST" in (release.body or "")
    assert published.index is not None and published.index.files() == [
        "fluxion_voice-1.4.0-py3-none-any.whl",
        "fluxion_voice-1.4.0.tar.gz",
    ]
    sums = next(a for a in release.assets if a.name == "SHA256SUMS")
    assert sums.size > 0


def test_publish_again_changes_nothing(published: Scene) -> None:
    since = len(published.hub.requests())
    # A fresh build of the same tag: the same bytes, so nothing differs from what the first publish uploaded.
    again = publish(published, "v1.4.0", "--no-build-isolation", env=index_env(published))
    assert again.returncode == 0, again.stdout + again.stderr
    assert writes(published, since) == []  # not a POST, PATCH or DELETE sent to GitHub
    assert "already there (same SHA-256)" in again.stdout  # the index
    assert "v1.4.0 is already published and has these files: left as it is" in again.stdout
    assert "fluxion_voice-1.4.0.tar.gz: skipped, identical (same SHA-256)" in again.stdout
    assert "v1.4.0 was already published; nothing changed." in again.stdout
    assert len(published.releases()) == 1


# -- a published release gets what it lacks --------------------------------------------------------------------------


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


INSTALLERS = {
    "Fluxion_1.4.0_aarch64.dmg": b"dmg" * 3000,
    "Fluxion_1.4.0_x64_en-US.msi": b"msi" * 2000,
    "Fluxion_1.4.0_x64-setup.exe": b"exe" * 1000,
}


def test_a_published_release_gets_the_installers_it_lacks(published: Scene, tmp_path: Path) -> None:
    (before,) = published.releases()
    python_ids = {a.name: a.id for a in before.assets if a.name != "SHA256SUMS"}
    dist = tmp_path / "dist"
    dist.mkdir()
    for name in python_ids:  # the published wheel and sdist, next to the installers release-full.yml builds
        (dist / name).write_bytes(download(published, name))
    for name, data in INSTALLERS.items():
        (dist / name).write_bytes(data)
    since = len(published.hub.requests())
    proc = publish(published, "v1.4.0", "--dist", str(dist), "--skip-index")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "v1.4.0 is already published: attaching what it lacks, notes left as they are" in out
    assert "Fluxion_1.4.0_aarch64.dmg: attached (9.0 kB)" in out
    assert "fluxion_voice-1.4.0-py3-none-any.whl: skipped, identical (same SHA-256)" in out
    assert "SHA256SUMS: replaced, now lists 5 assets" in out
    assert "v1.4.0 was already published; attached 3 assets, SHA256SUMS updated." in out
    assert not any(w.startswith("PATCH") for w in writes(published, since))  # notes, name and flags untouched
    (after,) = published.releases()
    assert (after.body, after.name, after.draft, after.prerelease) == (
        before.body,
        before.name,
        before.draft,
        before.prerelease,
    )
    assert {a.name: a.id for a in after.assets if a.name in python_ids} == python_ids  # not uploaded again
    assert assert_sums_cover_the_release(published) == sorted([*python_ids, *INSTALLERS])
    # The same files again: nothing is written at all.
    since = len(published.hub.requests())
    again = publish(published, "v1.4.0", "--dist", str(dist), "--skip-index")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "v1.4.0 was already published; nothing changed." in again.stdout
    assert writes(published, since) == []


def test_each_machine_attaches_its_own_installers(published: Scene, tmp_path: Path) -> None:
    for machine, names in (("macos", ["Fluxion_1.4.0_aarch64.dmg"]), ("windows", list(INSTALLERS)[1:])):
        dist = tmp_path / machine
        dist.mkdir()
        for name in names:
            (dist / name).write_bytes(INSTALLERS[name])
        proc = publish(published, "v1.4.0", "--dist", str(dist), "--skip-index")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert f"attached {len(names)} asset" in proc.stdout
    names = assert_sums_cover_the_release(published)  # the wheel and sdist's lines come from GitHub's digests
    assert len(names) == 5 and set(INSTALLERS) <= set(names)


def test_a_different_file_on_a_published_release_is_refused_unless_replace(published: Scene, tmp_path: Path) -> None:
    first = tmp_path / "first"
    first.mkdir()
    (first / "app.dmg").write_bytes(b"old build" * 1000)
    assert publish(published, "v1.4.0", "--dist", str(first), "--skip-index").returncode == 0
    (before,) = published.releases()
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "app.dmg").write_bytes(b"new build" * 1000)
    (dist / "app.msi").write_bytes(b"windows" * 1000)
    since = len(published.hub.requests())
    refused = publish(published, "v1.4.0", "--dist", str(dist), "--skip-index")
    assert refused.returncode == 1
    assert "the release already has different files under these names" in refused.stderr
    assert "app.dmg: the release has 9000 bytes" in refused.stderr
    assert "nothing was uploaded" in refused.stderr and "pass --replace" in refused.stderr
    assert writes(published, since) == []
    (release,) = published.releases()
    assert [(a.name, a.digest) for a in release.assets] == [(a.name, a.digest) for a in before.assets]
    replaced = publish(published, "v1.4.0", "--dist", str(dist), "--skip-index", "--replace")
    assert replaced.returncode == 0, replaced.stdout + replaced.stderr
    assert "app.dmg: replaced (9.0 kB)" in replaced.stdout
    assert "app.msi: attached (7.0 kB)" in replaced.stdout
    assert "v1.4.0 was already published; attached 1 asset, replaced 1, SHA256SUMS updated." in replaced.stdout
    (release,) = published.releases()
    digest = hashlib.sha256(b"new build" * 1000).hexdigest()
    assert any(a.digest == f"sha256:{digest}" for a in release.assets if a.name == "app.dmg")
    assert not release.draft
    assert "app.dmg" in assert_sums_cover_the_release(published)


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


def test_each_test_starts_from_the_state_it_names(stage: Stage, released: Scene) -> None:
    """The restore the tests above rely on: a tag, a release and an index file added here are gone after it."""
    released.git("tag", "-a", "v0.0.1", "-m", "scratch")
    released.git("push", "-q", "origin", "v0.0.1")
    released.hub.github().get_repo(REPOSITORY).create_git_release("v1.4.0", "v1.4.0", "", draft=True)
    assert released.index is not None
    (released.index.directory / "stray-0.1.tar.gz").write_bytes(b"stray")
    again = stage.restore("released")
    assert again.releases() == [] and again.index is not None and again.index.files() == []
    assert "v0.0.1" not in again.git("tag", "--list")
    assert "v0.0.1" not in git(again.project, "ls-remote", "--tags", "origin")
