"""Fluxion's nox sessions: releasekit's `workflows`, `release`, `release_full` and `publish` (docs/commands/nox.md)."""

import releasekit.nox  # noqa: F401
