"""Fluxion's nox sessions: releasekit's `workflows`, `release` and `publish` (see docs/commands/nox.md)."""

import releasekit.nox  # noqa: F401
