"""Publish a tagged version: a draft GitHub release, its assets and SHA256SUMS, the notes, then the release itself.

Planning is pure (`plan_assets`): what to upload, skip or replace is decided from what GitHub already has before
anything is sent, so a refusal (a different file under the same name) happens before the first byte is uploaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from releasekit.backends.github import GitHub
from releasekit.backends.index import sha256_file
from releasekit.backends.records import AssetInfo, ReleaseInfo
from releasekit.errors import ReleasekitError
from releasekit.output import Report

SUMS = "SHA256SUMS"


class PublishError(ReleasekitError):
    """Publishing cannot go on; nothing more was changed on GitHub."""


@dataclass(frozen=True)
class LocalAsset:
    name: str
    path: Path
    size: int
    sha256: str

    @property
    def digest(self) -> str:
        return f"sha256:{self.sha256}"


@dataclass(frozen=True)
class AssetAction:
    asset: LocalAsset
    action: Literal["upload", "skip", "replace"]
    existing: AssetInfo | None
    why: str


def local_assets(paths: Sequence[Path]) -> list[LocalAsset]:
    """The files to attach, by name; two files with one name would overwrite each other on the release."""
    seen: dict[str, Path] = {}
    for path in paths:
        if path.name == SUMS:
            continue  # always written fresh from the other files
        if path.name in seen and seen[path.name] != path:
            msg = (
                f"two files would be attached as {path.name!r}: {seen[path.name]} and {path}; "
                "release assets are named by file name only, so rename one"
            )
            raise PublishError(msg)
        seen[path.name] = path
    return [LocalAsset(name, p, p.stat().st_size, sha256_file(p)) for name, p in sorted(seen.items())]


def write_sums(assets: Sequence[LocalAsset], directory: Path) -> LocalAsset:
    """SHA256SUMS in `sha256sum` format (`<hex>  <name>`), sorted by name: `sha256sum -c SHA256SUMS` verifies."""
    text = "".join(f"{a.sha256}  {a.name}\n" for a in sorted(assets, key=lambda a: a.name))
    path = directory / SUMS
    path.write_text(text, encoding="utf-8", newline="\n")
    return LocalAsset(SUMS, path, path.stat().st_size, sha256_file(path))


def plan_assets(local: Sequence[LocalAsset], remote: Sequence[AssetInfo], *, replace: bool) -> list[AssetAction]:
    """For each local file: upload it, skip it (the release has this exact file), or replace the release's
    different file of that name (only with `replace`; otherwise every such conflict is refused at once)."""
    by_name = {a.name: a for a in remote}
    actions: list[AssetAction] = []
    conflicts: list[str] = []
    for asset in local:
        existing = by_name.get(asset.name)
        if existing is None or existing.state != "uploaded":
            # An asset left "starter" by an interrupted upload is not a file: it is replaced.
            why = "new" if existing is None else "an interrupted upload is replaced"
            actions.append(AssetAction(asset, "upload" if existing is None else "replace", existing, why))
        elif existing.digest == asset.digest or (existing.digest is None and existing.size == asset.size):
            why = "identical (same SHA-256)" if existing.digest else "same size (the server reports no digest)"
            actions.append(AssetAction(asset, "skip", existing, why))
        elif replace:
            actions.append(AssetAction(asset, "replace", existing, "different content, --replace given"))
        else:
            conflicts.append(
                f"  {asset.name}: the release has {existing.size} bytes ({existing.digest or 'no digest'}), "
                f"this file is {asset.size} bytes (sha256:{asset.sha256})"
            )
    if conflicts:
        msg = (
            "the release already has different files under these names:\n"
            + "\n".join(conflicts)
            + "\nnothing was uploaded; rebuild from the tagged commit, or pass --replace to overwrite them"
        )
        raise PublishError(msg)
    return actions


@dataclass(frozen=True)
class Outcome:
    release: ReleaseInfo
    already_published: bool
    actions: tuple[AssetAction, ...]


def publish_release(
    gh: GitHub,
    tag: str,
    assets: Sequence[LocalAsset],
    *,
    notes: str,
    prerelease: bool,
    replace: bool,
    report: Report,
) -> Outcome:
    """Draft (or reuse the draft), upload what differs, set the notes, publish. Re-running is safe."""
    release = gh.release_for_tag(tag)
    if release is not None and not release.draft:
        remote = {a.name: a for a in release.assets}
        missing = [a.name for a in assets if a.name not in remote]
        report("release", f"{tag} is already published: left as it is ({release.html_url})")
        if missing:
            report("note", f"it lacks {', '.join(missing)}; attach them by hand if they belong there")
        return Outcome(release, True, ())
    # Refusals are decided before the draft exists, so a refused publish leaves nothing behind.
    actions = plan_assets(assets, release.assets if release else (), replace=replace)
    if release is None:
        release = gh.create_release(tag, name=tag, body=notes, prerelease=prerelease)
        report("release", f"draft {tag} created")
    else:
        report("release", f"draft {tag} found: continuing it")
    for act in actions:
        if act.action == "skip":
            report("asset", f"{act.asset.name}: skipped, {act.why}")
            continue
        if act.existing is not None:
            gh.delete_asset(act.existing)
        gh.upload_asset(release, act.asset.path, act.asset.name, act.asset.digest)
        verb = "uploaded" if act.action == "upload" else "replaced"
        report("asset", f"{act.asset.name}: {verb} ({_size(act.asset.size)})")
    release = gh.update_release(release, body=notes, draft=False, prerelease=prerelease)
    report("published", release.html_url)
    return Outcome(release, False, tuple(actions))


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"
