"""Nox sessions for a project that uses releasekit: `import releasekit.nox` in its noxfile.py registers them.

Sessions run the `releasekit` that nox itself imported (no virtualenv to build), so they are quick and use the same
version as the noxfile.
"""

from __future__ import annotations

import sys

import nox


def _releasekit(session: nox.Session, command: str) -> None:
    # Ctrl-C reaches releasekit too: `release-full` then detaches from the run (or cancels it) and says how to
    # watch it again. nox would kill it 0.3 s after the interrupt; it gets 30 s to finish what it is doing.
    session.run(sys.executable, "-m", "releasekit", command, *session.posargs, external=True, interrupt_timeout=30.0)


@nox.session(python=False)
def workflows(session: nox.Session) -> None:
    """Generate .github/workflows from releasekit.yaml; `nox -s workflows -- --check` verifies instead."""
    _releasekit(session, "workflows")


# Never run by a bare `nox`: a release happens only when asked for by name.
@nox.session(python=False, default=False)
def release(session: nox.Session) -> None:
    """Cut a release: `nox -s release -- 1.4.0` (or minor, patch, ...; `-- --dry-run 1.4.0` to see the plan)."""
    _releasekit(session, "release")


@nox.session(python=False, default=False)
def release_full(session: nox.Session) -> None:
    """Dispatch the full release workflow for a released version and follow it: `nox -s release_full -- 1.4.0`."""
    _releasekit(session, "release-full")


@nox.session(python=False, default=False)
def publish(session: nox.Session) -> None:
    """Publish a tagged version: `nox -s publish -- v1.4.0` (what the release workflow runs)."""
    _releasekit(session, "publish")


__all__ = ["publish", "release", "release_full", "workflows"]
