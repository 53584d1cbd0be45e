"""`releasekit.lock`: the commit SHAs that every `uses:` in a generated workflow is pinned to."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from releasekit.errors import ConfigError, Problem
from releasekit.links import docs

LOCK_NAME = "releasekit.lock"
LOCK_VERSION = 1
_SHA = re.compile(r"^[0-9a-f]{40}$")
_ACTION = re.compile(r"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$")

# The newest release of each action the built-in templates (and common projects) use, as commit SHAs read from
# each action's own git history. `releasekit init` writes these into a new project's lock file.
DEFAULT_PINS: Mapping[str, tuple[str, str]] = {
    "Swatinem/rust-cache": ("v2.9.2", "6323deb102c322ba6fcbdcafc7e3dddab59af2b6"),
    "actions/attest-build-provenance": ("v4.1.0", "a2bbfa25375fe432b6a289bc6b6cd05ecd0c4c32"),
    "actions/cache": ("v5.0.5", "27d5ce7f107fe9357f9df03efb73ab90386fccae"),
    "actions/checkout": ("v7.0.1", "3d3c42e5aac5ba805825da76410c181273ba90b1"),
    "actions/download-artifact": ("v8.0.1", "3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c"),
    "actions/setup-node": ("v7.0.0", "820762786026740c76f36085b0efc47a31fe5020"),
    "actions/setup-python": ("v7.0.0", "5fda3b95a4ea91299a34e894583c3862153e4b97"),
    "actions/upload-artifact": ("v7.0.0", "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f"),
    "astral-sh/setup-uv": ("v10.0.1", "20cfd1bf945f4377ade1205e4dbc17946fc9a30d"),
    # No release tags: the action is used by toolchain branch; this is the `stable` branch head.
    "dtolnay/rust-toolchain": ("stable", "29eef336d9b2848a0b548edc03f92a220660cdb8"),
    "tauri-apps/tauri-action": ("v0.5.15", "8c3e0753aa015d00d03631d6d4f64ad59489251d"),
    "wntrblm/nox": ("2026.08.17", "a976d7ee04ab7a13634adc1016d4755a1348225f"),
}


@dataclass(frozen=True)
class Pin:
    action: str
    version: str
    sha: str

    def uses(self, subpath: str = "") -> str:
        """The `uses:` value, with the version as a trailing comment."""
        return f"{self.action}{subpath}@{self.sha} # {self.version}"


@dataclass(frozen=True)
class Lock:
    file: str
    pins: Mapping[str, Pin]

    def pin(self, uses: str) -> Pin | None:
        """The pin for `owner/repo` or `owner/repo/sub/path` (pinned by its repository)."""
        return self.pins.get("/".join(uses.split("/")[:2]))


def lock_text(pins: Mapping[str, tuple[str, str]]) -> str:
    """A lock file's text: stable key order, one entry per action."""
    body = {
        "about": "Actions pinned for releasekit's generated workflows: full commit SHAs, the version as a "
        f"comment. See {docs('lock.md')}.",
        "lock-version": LOCK_VERSION,
        "actions": {a: {"version": v, "sha": s} for a, (v, s) in sorted(pins.items())},
    }
    return json.dumps(body, indent=2) + "\n"


def with_actions(text: str, pins: Mapping[str, tuple[str, str]]) -> str:
    """A valid lock's `text` with its "actions" replaced by `pins` (sorted, as `lock_text` writes them). Every other
    top-level section keeps its content and its place: `releasekit pin` rewrites only what it manages."""
    data = json.loads(text)
    data["actions"] = {a: {"version": v, "sha": s} for a, (v, s) in sorted(pins.items())}
    return json.dumps(data, indent=2) + "\n"


def _line_of(text: str, needle: str) -> int:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else 1


def parse_lock(text: str, file: str) -> Lock:
    """Parse and validate a lock file's text; every problem is located at its line."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError([Problem(file, exc.lineno, exc.colno, f"invalid JSON: {exc.msg}")]) from None
    problems: list[Problem] = []
    actions = data.get("actions") if isinstance(data, dict) else None
    if not isinstance(actions, dict):
        raise ConfigError([Problem(file, 1, 1, 'expected an object with an "actions" object')])
    if data.get("lock-version") != LOCK_VERSION:
        problems.append(
            Problem(
                file,
                _line_of(text, '"lock-version"'),
                1,
                f"unsupported lock-version {data.get('lock-version')!r} (expected {LOCK_VERSION})",
            )
        )
    pins: dict[str, Pin] = {}
    for action, entry in actions.items():
        line = _line_of(text, f'"{action}"')
        if not _ACTION.match(action):
            problems.append(Problem(file, line, 1, f"{action!r} is not an action name like 'actions/checkout'"))
            continue
        if not isinstance(entry, dict) or not isinstance(entry.get("version"), str):
            problems.append(Problem(file, line, 1, f'{action}: expected {{"version": ..., "sha": ...}}'))
            continue
        sha = entry.get("sha")
        if not isinstance(sha, str) or not _SHA.match(sha):
            problems.append(
                Problem(
                    file,
                    line,
                    1,
                    f"{action}: sha must be a full 40-character commit SHA, "
                    f"got {sha!r} (a tag or branch can be moved; a commit cannot)",
                )
            )
            continue
        pins[action] = Pin(action, entry["version"], sha)
    if problems:
        raise ConfigError(problems)
    return Lock(file, pins)


def load_lock(root: Path) -> Lock:
    """Load `releasekit.lock` beside the config."""
    path = root / LOCK_NAME
    shown = path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path  # as a user would type it
    from releasekit.config.bounds import read_bounded
    from releasekit.config.limits import MAX_CONFIG_BYTES  # the config's bound, for its lock too

    try:
        hint = "it holds only pins: write it anew with `releasekit init --lock-only`"
        text = read_bounded(path, MAX_CONFIG_BYTES, str(shown), hint).decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(
            [
                Problem(
                    str(path),
                    1,
                    1,
                    "not found: generated workflows pin every action from it; "
                    "run `releasekit init --lock-only` to write one",
                )
            ]
        ) from None
    return parse_lock(text, str(shown))
