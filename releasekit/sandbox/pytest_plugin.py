"""pytest fixtures for a sandbox per test: `github_sandbox` (started, fast clock) and `sandbox_factory` (options).

Loaded automatically where releasekit is installed (the `pytest11` entry point), so a project's own tests can
rehearse against a local GitHub: `def test_release(github_sandbox): gh = github_sandbox.github() ...`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from releasekit.sandbox.app import Observer, Sandbox

# Fast enough for tests, slow enough that a client sees queued and in_progress.
FAST = {"job_seconds": 0.2, "queue_seconds": 0.05}


@pytest.fixture
def sandbox_observers() -> list[Observer]:
    """Callables that see every response (method, path, status, body, content type); override to add checks."""
    return []


@pytest.fixture
def sandbox_factory(
    tmp_path_factory: pytest.TempPathFactory, sandbox_observers: list[Observer]
) -> Iterator[Callable[..., Sandbox]]:
    """`sandbox_factory(dispatch_run_details="ignore", rate_limit=10)`: a started sandbox, stopped after the test."""
    made: list[Sandbox] = []

    def make(**options: Any) -> Sandbox:
        settings = {**FAST, **options}
        hub = Sandbox(tmp_path_factory.mktemp("sandbox"), observers=sandbox_observers, **settings)
        made.append(hub.start())
        return hub

    yield make
    for hub in made:
        hub.stop()


@pytest.fixture
def github_sandbox(sandbox_factory: Callable[..., Sandbox]) -> Sandbox:
    """A started sandbox with the default settings and a fast clock."""
    return sandbox_factory()
