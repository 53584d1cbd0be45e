"""The set-up the release tests share (tests/test_release.py, tests/test_release_resume.py): per test module, one
package index, one build cache (each distinct tree is built once) and a 1.4.0 build for the publish job; per test,
a scene of its own (examples/fluxion on a sandbox) on them. Test modules import these fixtures by name."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import copy_example, isolate_git
from release_scene import Scene, make_scene

from releasekit.sandbox.app import Sandbox
from releasekit.sandbox.index import PackageIndex

Factory = Callable[..., Sandbox]
QUICK_HUB = {"job_seconds": 0.05, "queue_seconds": 0.02}  # the runs of these tests take a fraction of a second
POLL = ("--poll", "0.05")


# -- shared for the module: the environment, the build cache, the index, a 1.4.0 build for the publish job -----------


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """releasekit's cache for every scene here: each distinct tree is built once in the module."""
    return tmp_path_factory.mktemp("build-cache")


@pytest.fixture(scope="module")
def module_patch(tmp_path_factory: pytest.TempPathFactory, shared_cache: Path) -> Iterator[pytest.MonkeyPatch]:
    """Isolated git and the shared cache for the module's set-ups (the autouse isolated_git is function-scoped)."""
    with pytest.MonkeyPatch.context() as patch:
        isolate_git(tmp_path_factory, patch)
        patch.setenv("RELEASEKIT_CACHE_DIR", str(shared_cache))
        yield patch


@pytest.fixture(scope="module")
def shared_index(tmp_path_factory: pytest.TempPathFactory, module_patch: pytest.MonkeyPatch) -> Iterator[PackageIndex]:
    """The index every scene reads (nothing here uploads to it: the publish job runs with --skip-index)."""
    with PackageIndex(tmp_path_factory.mktemp("index") / "packages") as index:
        yield index


@pytest.fixture(scope="module")
def dist_140(tmp_path_factory: pytest.TempPathFactory, module_patch: pytest.MonkeyPatch) -> Path:
    """fluxion-voice 1.4.0, built once: what the release workflow's build job hands its publish job (`--dist`)."""
    from releasekit.backends.index import build

    source = copy_example("fluxion", tmp_path_factory.mktemp("dist-source")) / "voice-agent"
    for name in ("pyproject.toml", "fluxion_voice/__init__.py"):
        path = source / name
        path.write_text(path.read_text().replace('"1.3.2"', '"1.4.0"'))
    dist = tmp_path_factory.mktemp("dist-140")
    build(source, dist, isolation=False)
    return dist


@pytest.fixture
def scenes(
    tmp_path: Path,
    sandbox_factory: Factory,
    shared_index: PackageIndex,
    shared_cache: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Callable[..., Scene]]:
    """A scene of the test's own, on the module's index and build cache (override with `index=True`, ...)."""
    monkeypatch.setenv("RELEASEKIT_CACHE_DIR", str(shared_cache))
    made: list[Scene] = []

    def make(**options: Any) -> Scene:
        settings: dict[str, Any] = {"index": shared_index, "publish_command": None, **QUICK_HUB, **options}
        made.append(make_scene(tmp_path / f"scene-{len(made)}", sandbox_factory, **settings))
        return made[-1]

    yield make
    for scene in made:
        if scene.index is not None and scene.owns_index:
            scene.index.stop()


@pytest.fixture
def scene(scenes: Callable[..., Scene]) -> Scene:
    return scenes()
