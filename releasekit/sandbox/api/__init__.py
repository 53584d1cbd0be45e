"""The REST endpoints, one module per area of GitHub's API; each module's `register` adds its routes."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from releasekit.sandbox.app import Sandbox


def register_all(hub: Sandbox) -> None:
    from releasekit.sandbox.api import actions, contents, control, git, releases, repos

    # Order matters where a literal segment and a parameter compete: each module adds its literal routes first.
    for module in (repos, contents, git, releases, actions, control):
        module.register(hub)
