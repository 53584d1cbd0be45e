# /// script
# dependencies = ["nox>=2025.2.9", "releasekit==0.1.0"]
# ///
"""Fluxion's nox sessions: releasekit's `workflows`, `release`, `release_full` and `publish` (docs/commands/nox.md).

Any nox 2025.02 or later runs them: where releasekit is not installed beside nox, nox reads the block above and
makes an environment with it first."""

import releasekit.nox  # noqa: F401
