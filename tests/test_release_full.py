"""`releasekit release-full`: checks through the API, one dispatch, the run followed to its end and reported."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from release_scene import Scene, make_scene

from releasekit.sandbox.app import Sandbox

Factory = Callable[..., Sandbox]
WATCH = ("--poll", "0.05")
# The generated release-full.yml's last job runs `releasekit publish`; in the sandbox it builds from the tag.
PUBLISH = f'"{sys.executable}" -m releasekit publish "$GITHUB_REF_NAME" --skip-index --no-build-isolation'


@pytest.fixture
def scenes(tmp_path: Path, sandbox_factory: Factory) -> Iterator[Callable[..., Scene]]:
    made: list[Scene] = []

    def make(**options: Any) -> Scene:
        scene = make_scene(tmp_path / f"s{len(made)}", sandbox_factory, index=False, publish_command=None, **options)
        made.append(scene)
        return scene

    yield make


@pytest.fixture
def scene(scenes: Callable[..., Scene]) -> Scene:
    return scenes()


def dispatches(scene: Scene) -> list[dict[str, Any]]:
    return scene.hub.requests("POST", "/repos/fluxion-app/fluxion/actions/workflows/release-full.yml/dispatches")


def test_release_full_dispatches_once_and_follows_the_run(scene: Scene) -> None:
    scene.hub.script(workflow="release-full.yml", job="GitHub release", command=PUBLISH)
    proc = scene.releasekit("release-full", "1.3.2", *WATCH)
    print(proc.stdout, proc.stderr)
    assert proc.returncode == 0, proc.stderr
    assert len(dispatches(scene)) == 1
