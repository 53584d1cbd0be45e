"""pytest fixtures for a sandbox per test: `github_sandbox` (started, fast clock) and `sandbox_factory` (options);
and `sla`, which records performance samples for `releasekit sla check` (`with sla.measure("voice-e2e"): ...`).

Loaded automatically where releasekit is installed (the `pytest11` entry point), so a project's own tests can
rehearse against a local GitHub: `def test_release(github_sandbox): gh = github_sandbox.github() ...`.
Loading it costs next to nothing: the sandbox is imported by the first fixture a test uses, never at load, so a
project that has releasekit installed but does not use these fixtures does not pay for it in every pytest run.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from releasekit.sandbox.app import Observer, Sandbox
    from releasekit.sla.recorder import SlaRecorder

# Fast enough for tests, slow enough that a client sees queued and in_progress.
FAST = {"job_seconds": 0.2, "queue_seconds": 0.05}


@pytest.fixture
def sandbox_observers() -> list[Observer]:
    """Callables that see every response (method, path, status, body, content type); override to add checks."""
    return []


@pytest.fixture
def sandbox_inspectors() -> list[Callable[[Sandbox], None]]:
    """Callables given each sandbox `sandbox_factory` made, just before it stops (to read its request log or state);
    override to add them."""
    return []


@pytest.fixture
def sandbox_factory(
    tmp_path_factory: pytest.TempPathFactory,
    sandbox_observers: list[Observer],
    sandbox_inspectors: list[Callable[[Sandbox], None]],
) -> Iterator[Callable[..., Sandbox]]:
    """`sandbox_factory(dispatch_run_details="ignore", rate_limit=10)`: a started sandbox, stopped after the test."""
    from releasekit.sandbox.app import Sandbox

    made: list[Sandbox] = []

    def make(**options: Any) -> Sandbox:
        settings = {**FAST, **options}
        hub = Sandbox(tmp_path_factory.mktemp("sandbox"), observers=sandbox_observers, **settings)
        made.append(hub.start())
        return hub

    yield make
    with contextlib.ExitStack() as stopping:  # every one is stopped even if stopping another fails
        for hub in made:
            stopping.callback(hub.stop)
            for inspect in sandbox_inspectors:
                stopping.callback(inspect, hub)


@pytest.fixture
def github_sandbox(sandbox_factory: Callable[..., Sandbox]) -> Sandbox:
    """A started sandbox with the default settings and a fast clock."""
    return sandbox_factory()


@pytest.fixture
def sla() -> SlaRecorder:
    """Record performance samples to `$RELEASEKIT_SLA_RESULTS` (default `sla-results.jsonl`):
    `with sla.measure("voice-e2e"): ...` or `sla.record("voice-e2e", 1234.5)`."""
    from releasekit.sla.recorder import SlaRecorder

    return SlaRecorder()
