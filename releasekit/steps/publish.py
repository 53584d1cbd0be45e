"""Publish a tagged version: a draft GitHub release, its assets and SHA256SUMS, the notes, then the release itself;
or, when the release is already published, attach the files it lacks and bring its SHA256SUMS up to date.

Planning is pure (`plan_assets`, `plan_attach`): what to upload, skip or replace is decided from what GitHub already
has before anything is sent, so a refusal (a different file under the same name) happens before the first byte is
uploaded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from releasekit.backends.github import GitHub
from releasekit.backends.index import sha256_file
from releasekit.backends.records import AssetInfo, ReleaseInfo
from releasekit.errors import ReleasekitError
from releasekit.output import Report, size_text

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


def sums_text(hashes: Mapping[str, str]) -> str:
    """SHA256SUMS in `sha256sum` format (`<hex>  <name>`), sorted by name: `sha256sum -c SHA256SUMS` verifies."""
    return "".join(f"{hashes[name]}  {name}\n" for name in sorted(hashes))


def write_sums(assets: Sequence[LocalAsset], directory: Path) -> LocalAsset:
    """SHA256SUMS of `assets`, written into `directory` as a file to upload."""
    return _sums_file(sums_text({a.name: a.sha256 for a in assets}), directory)


def _sums_file(text: str, directory: Path) -> LocalAsset:
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
class SumsPlan:
    """The SHA256SUMS a published release gets: every asset it will have, by name, with its SHA-256."""

    text: str
    sha256: str
    listed: tuple[str, ...]
    left_out: tuple[str, ...]  # the release's assets whose SHA-256 is unknown (no digest, or an unfinished upload)
    existing: AssetInfo | None  # the release's SHA256SUMS, deleted before the new one is uploaded
    write: bool


@dataclass(frozen=True)
class AttachPlan:
    actions: tuple[AssetAction, ...]
    sums: SumsPlan

    @property
    def writes(self) -> bool:
        return self.sums.write or any(a.action != "skip" for a in self.actions)


def plan_attach(local: Sequence[LocalAsset], remote: Sequence[AssetInfo], *, replace: bool) -> AttachPlan:
    """What attaching `local` to a published release does, decided from its assets (`remote`) before any write.

    The files are planned as for a draft (`plan_assets`: a different file under a name the release has is refused
    unless `replace`). SHA256SUMS then lists the union of the release's assets and the local files. It is written
    when something is attached or replaced, or when the release's SHA256SUMS is missing or says otherwise (an
    attach cut short before it); a re-run with the same files therefore writes nothing."""
    files = [a for a in local if a.name != SUMS]
    actions = tuple(plan_assets(files, remote, replace=replace))
    hashes: dict[str, str] = {}
    left_out: list[str] = []
    existing: AssetInfo | None = None
    for asset in remote:
        if asset.name == SUMS:
            existing = asset
            continue
        known = _sha256_of(asset.digest) if asset.state == "uploaded" else None
        if known is None:
            left_out.append(asset.name)
        else:
            hashes[asset.name] = known
    hashes.update((a.name, a.sha256) for a in files)
    text = sums_text(hashes)
    sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if existing is None or existing.state != "uploaded":
        stale = True
    else:
        # No digest: the content cannot be compared without downloading it; it is rewritten only with new files.
        stale = existing.digest is not None and existing.digest != f"sha256:{sha256}"
    sums = SumsPlan(
        text=text,
        sha256=sha256,
        listed=tuple(sorted(hashes)),
        left_out=tuple(sorted(n for n in left_out if n not in hashes)),
        existing=existing,
        write=bool(hashes) and (stale or any(a.action != "skip" for a in actions)),  # nothing to sum: none
    )
    return AttachPlan(actions, sums)


def _sha256_of(digest: str | None) -> str | None:
    if digest is None or not digest.startswith("sha256:"):
        return None
    return digest.removeprefix("sha256:").lower() or None


@dataclass(frozen=True)
class Outcome:
    release: ReleaseInfo
    already_published: bool
    actions: tuple[AssetAction, ...]
    sums_written: bool = False


def publish_release(
    gh: GitHub,
    tag: str,
    assets: Sequence[LocalAsset],
    *,
    notes: str,
    prerelease: bool,
    replace: bool,
    report: Report,
    scratch: Path,
) -> Outcome:
    """Draft (or reuse the draft), upload what differs, set the notes, publish; or, when the release is already
    published, attach what it lacks (`attach_to_published`). SHA256SUMS is written under `scratch`. Re-running is
    safe."""
    files = [a for a in assets if a.name != SUMS]
    release = gh.release_for_tag(tag)
    if release is not None and not release.draft:
        return attach_to_published(gh, release, files, replace=replace, report=report, scratch=scratch)
    # Refusals are decided before the draft exists, so a refused publish leaves nothing behind.
    remote = release.assets if release else ()
    actions = plan_assets(files, remote, replace=replace)
    # SHA256SUMS is derived from the files: a resumed draft's older one is brought up to date, never a conflict.
    # A release with no files (a package's notes only) gets none: there is nothing to sum.
    if files:
        actions += plan_assets([write_sums(files, scratch)], remote, replace=True)
    if release is None:
        release = gh.create_release(tag, name=tag, body=notes, prerelease=prerelease)
        report("release", f"draft {tag} created")
    else:
        report("release", f"draft {tag} found: continuing it")
    _carry_out(gh, release, actions, report, uploaded="uploaded")
    release = gh.update_release(release, body=notes, draft=False, prerelease=prerelease)
    report("published", release.html_url)
    return Outcome(release, False, tuple(actions))


def attach_to_published(
    gh: GitHub,
    release: ReleaseInfo,
    assets: Sequence[LocalAsset],
    *,
    replace: bool,
    report: Report,
    scratch: Path,
) -> Outcome:
    """Attach the files a published release lacks and bring its SHA256SUMS up to date; its notes, name and flags
    are not touched. Everything is planned (and any conflict refused) before the first write."""
    tag = release.tag_name
    plan = plan_attach(assets, release.assets, replace=replace)
    if not plan.writes:
        report("release", f"{tag} is already published and has these files: left as it is ({release.html_url})")
    else:
        report("release", f"{tag} is already published: attaching what it lacks, notes left as they are")
    _carry_out(gh, release, plan.actions, report, uploaded="attached")
    sums = plan.sums
    if sums.left_out:
        report("note", f"{SUMS} leaves out {', '.join(sums.left_out)}: GitHub reports no SHA-256 digest for them")
    if sums.write:
        if sums.existing is not None:
            gh.delete_asset(sums.existing)
        written = _sums_file(sums.text, scratch)
        gh.upload_asset(release, written.path, SUMS, written.digest)
        verb = "uploaded" if sums.existing is None else "replaced"
        report("asset", f"{SUMS}: {verb}, now lists {len(sums.listed)} assets")
    if plan.writes:
        report("attached", release.html_url)
    return Outcome(release, True, plan.actions, sums_written=sums.write)


def _carry_out(
    gh: GitHub, release: ReleaseInfo, actions: Sequence[AssetAction], report: Report, *, uploaded: str
) -> None:
    for act in actions:
        if act.action == "skip":
            report("asset", f"{act.asset.name}: skipped, {act.why}")
            continue
        if act.existing is not None:
            gh.delete_asset(act.existing)
        gh.upload_asset(release, act.asset.path, act.asset.name, act.asset.digest)
        verb = uploaded if act.action == "upload" else "replaced"
        report("asset", f"{act.asset.name}: {verb} ({size_text(act.asset.size)})")
