"""Nox sessions for a project that uses releasekit: `import releasekit.nox` in its noxfile.py registers them.

Sessions run the `releasekit` that nox itself imported (no virtualenv to build), so they are quick and use the same
version as the noxfile.
"""

from __future__ import annotations

import sys

import nox


@nox.session(python=False)
def workflows(session: nox.Session) -> None:
    """Generate .github/workflows from releasekit.yaml; `nox -s workflows -- --check` verifies instead."""
    session.run(sys.executable, "-m", "releasekit", "workflows", *session.posargs, external=True)


__all__ = ["workflows"]
