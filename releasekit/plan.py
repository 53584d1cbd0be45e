"""A release as a plan: the configuration and the observed repository state in, an immutable list of what will be
done out. No I/O beyond reading the files the plan edits; `--dry-run` prints it, the steps carry it out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import semver

from releasekit.config.model import Config
from releasekit.versionfiles import FileChange


@dataclass(frozen=True)
class ReleasePlan:
    repository: str
    version: semver.Version
    tag: str
    previous_tag: str | None
    branch: str
    base: str
    changes: tuple[FileChange, ...]
    message: str
    sign: bool
    workflow: str | None  # the workflow file the tag starts, e.g. release.yml
    publishes: tuple[str, ...]
    changelog_source: str  # where the changelog section comes from, for people

    def describe(self) -> str:
        """The whole plan as text, diffs included: what `--dry-run` prints."""
        out = [
            f"Plan: release {self.version} of {self.repository} (latest release: {self.previous_tag or 'none'})",
            "",
            f"1. Edit {len(self.changes)} files:",
        ]
        out += [f"   {c.path}: {c.reason} {c.old or '(new)'} -> {c.new}" for c in self.changes]
        out.append(f"   changelog: {self.changelog_source}")
        out.append("")
        for change in self.changes:
            out.append(change.diff().rstrip("\n"))
        out += [
            "",
            f"2. Commit on {self.branch} (on {self.base[:12]}): {self.message!r}",
            f"3. {'Signed' if self.sign else 'Annotated'} tag {self.tag} on that commit",
            f"4. Push {self.branch} and {self.tag} to origin in one atomic push",
        ]
        if self.workflow:
            out.append(f"5. Follow the run of {self.workflow} that the tag starts (event push, ref {self.tag})")
            out.append("6. Show the GitHub release it publishes:")
            out += [f"   - {p}" for p in self.publishes]
        else:
            out.append("5. No release workflow is declared (a workflow with a push.tags trigger): nothing to follow")
        return "\n".join(out) + "\n"


def release_workflow(config: Config) -> str | None:
    """The file of the workflow a release tag starts: the one built from the `release` template, else the first
    workflow with a `push.tags` trigger."""
    tagged = [(key, wf) for key, wf in config.workflows.items() if wf.triggers.push and wf.triggers.push.tags]
    for key, wf in tagged:
        if wf.template_name(key) == "release":
            return wf.file_name(key)
    return tagged[0][1].file_name(tagged[0][0]) if tagged else None


def full_release_key(config: Config) -> str | None:
    """The workflow `releasekit release-full` dispatches: `release.full.workflow`, else the one built from the
    `release-full` template, else the only one whose `workflow_dispatch` declares a `version` input."""
    if config.release.full.workflow is not None:
        return config.release.full.workflow
    versioned: list[str] = []
    for key, wf in config.workflows.items():
        dispatch = wf.triggers.workflow_dispatch
        if dispatch is None:
            continue
        if wf.template_name(key) == "release-full":
            return key
        if "version" in dispatch.inputs:
            versioned.append(key)
    return versioned[0] if len(versioned) == 1 else None


def publishes(config: Config, version: semver.Version, index_override: str | None = None) -> tuple[str, ...]:
    """What the release workflow will publish, for people (the plan and `--dry-run`)."""
    from releasekit.version import format_version

    out: list[str] = []
    python = config.publish.python
    if python is not None:
        if index_override:
            where = f"{index_override} (RELEASEKIT_INDEX_URL)"
        else:
            where = "PyPI by trusted publishing" if python.index == "pypi" else python.index
        out.append(f"Python sdist and wheel of {python.path} at {format_version(version, 'pep440')}, to {where}")
    key = next((k for k, wf in config.workflows.items() if wf.file_name(k) == release_workflow(config)), None)
    builds = key is not None and bool(config.workflows[key].steps.get("build"))
    if builds:
        out += [f"assets matching {pattern}" for pattern in config.publish.assets]
    elif config.publish.assets:
        out.append("not the publish.assets: this workflow has no `build` steps (release-full builds and attaches them)")
    out.append("SHA256SUMS of the assets")
    return tuple(out)


def changelog_change(
    config: Config,
    root: Path,
    version: semver.Version,
    *,
    tag: str,
    previous: str | None,
    today: str,
    subjects: Sequence[str],
) -> tuple[FileChange | None, str]:
    """The changelog edit: the Unreleased section promoted, or (when it is empty) one written from the commits."""
    from releasekit import changelog

    name = config.versioning.changelog
    if not name:
        return None, "none configured (versioning.changelog)"
    path = root / name
    before = path.read_text(encoding="utf-8") if path.is_file() else ""
    repository = config.project.repository
    if changelog.unreleased_entries(before):
        after = changelog.promote(before, str(version), today, tag=tag, previous_tag=previous, repository=repository)
        source = f"{name}: the Unreleased section becomes [{version}] - {today}"
    else:
        body = changelog.from_commits(subjects) if subjects else "No changes recorded.\n"
        after = changelog.write_section(
            before, str(version), today, body, tag=tag, previous_tag=previous, repository=repository
        )
        since = previous or "the first commit"
        source = f"{name}: [{version}] - {today} written from {len(subjects)} commit subjects since {since}"
    line = next((i for i, text in enumerate(after.splitlines(), 1) if text.startswith(f"## [{version}]")), 1)
    change = FileChange(
        path=name, before=before, after=after, old="", new=str(version), line=line, reason="changelog section"
    )
    return change, source
