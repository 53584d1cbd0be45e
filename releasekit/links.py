"""Where a user reads more: links to the documentation pages, for help texts, messages and generated files.

A wheel does not install `docs/`, so nothing releasekit prints or writes names a path inside the checkout.
"""

from __future__ import annotations

REPOSITORY_URL = "https://github.com/releasekit/releasekit"
_DOCS = f"{REPOSITORY_URL}/blob/main/docs"


def docs(page: str, anchor: str = "") -> str:
    """The URL of a documentation page: `docs("config.md", "release")`, `docs("commands/sandbox.md")`."""
    return f"{_DOCS}/{page}" + (f"#{anchor}" if anchor else "")
