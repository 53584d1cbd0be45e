"""The development commit after a release (`release.next-dev`): the version it starts, and the edits that write it
into the PEP 440 version files on top of what the release commit leaves there.

Only PEP 440 files get a development version. pip, click and poetry keep `X.Y+1.0.dev0` in their files between
releases; the semver ecosystems do not: cargo-release dropped its `dev-version` in 0.22, npm has no such step, and
a prerelease such as `1.5.0-dev.0` in `tauri.conf.json` stops Tauri's Windows MSI bundler (its prerelease must be
numeric). So `Cargo.toml`, `package.json` and the like keep the released version, and their lock files with them.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import semver

from releasekit.config.model import Config
from releasekit.version import is_development, next_development
from releasekit.versionfiles import FileChange, plan_bumps


@dataclass(frozen=True)
class NextDev:
    """The second commit of a release: the development version, its edits and its message."""

    version: semver.Version
    bump: str  # how it was chosen from the release: major, minor or patch
    changes: tuple[FileChange, ...]
    message: str
    kept: tuple[str, ...]  # the semver files that keep the released version

    def describe(self, step: int, released: semver.Version) -> list[str]:
        """The plan's lines for this commit, diffs included."""
        files = "file" if len(self.changes) == 1 else "files"
        out = [
            f"{step}. Start {self.version} (release.next-dev: {self.bump}): edit {len(self.changes)} {files}, commit "
            f"on the release commit: {self.message!r}",
        ]
        out += [f"   {c.path}: {c.reason} {c.old} -> {c.new}" for c in self.changes]
        if self.kept:
            out.append(f"   kept at {released} (semver files get no development version): {', '.join(self.kept)}")
        out.append("")
        out += [change.diff().rstrip("\n") for change in self.changes]
        out.append("")
        return out


def plan_next_dev(
    config: Config,
    root: Path,
    released: semver.Version,
    release_changes: Sequence[FileChange],
    today: datetime.date,
) -> tuple[NextDev | None, str]:
    """The development commit that follows the release of `released`, or None and why not ("" when next-dev is
    off). The edits start from the files as the release commit leaves them."""
    bump = config.release.next_dev_bump
    if bump is None or config.versioning.source == "tag":  # the config check refuses next-dev with `source: tag`
        return None, ""
    if released.prerelease is not None or is_development(released):
        note = (
            f"next-dev: skipped: {released} is a prerelease, and the files keep it until the release it leads to "
            "(a development version of that release would sort below it)"
        )
        return None, note
    version = next_development(released, bump, config.versioning.scheme, today)
    files = config.versioning.files
    pep440 = [vf for vf in files if vf.effective_format == "pep440"]
    kept = tuple(dict.fromkeys(vf.path for vf in files if vf.effective_format != "pep440"))
    after = {change.path: change.after for change in release_changes}
    changes = tuple(plan_bumps(root, pep440, version, texts=after))
    if not changes:  # every PEP 440 file already holds it: nothing to commit
        return None, f"next-dev: no commit: the PEP 440 version files already hold {version}"
    message = config.release.next_dev_message.replace("{version}", str(version))
    return NextDev(version, bump, changes, message, kept), ""
