"""A release as a plan: the configuration and the observed repository state in, an immutable list of what will be
done out. No I/O beyond reading the files the plan edits; `--dry-run` prints it, the steps carry it out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import semver

from releasekit.config.model import Config
from releasekit.nextdev import NextDev
from releasekit.versionfiles import FileChange


def dependent(change: FileChange) -> bool:
    """An edit of a sibling's requirements only: the plan lists those as `dependents:` lines of their own."""
    return change.reason.startswith("dependents: ")


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
    run: ReleaseRun | None  # the run a release follows (release_run); None: no workflow releases on a push
    publishes: tuple[str, ...]
    changelog_source: str  # where the changelog section comes from, for people
    removed: tuple[str, ...] = ()  # files the release commit deletes: consumed news fragments and change files
    version_source: str = ""  # how the version reaches the package when no file carries it (`source: tag`)
    unfollowed: str = ""  # an existing release workflow that is not followed, and why (release_unfollowed)
    current: str = ""  # where the version counted from came from, when not simply the latest tag (current_note)
    next_dev: NextDev | None = None  # the development commit after the tag (release.next-dev)
    next_dev_note: str = ""  # why release.next-dev makes no commit this time (a prerelease)
    decided: tuple[str, ...] = ()  # `release auto`: the bump and the commits that caused it (conventional.Decision)
    dependents: tuple[str, ...] = ()  # the siblings' requirements on the package that follow it (dependents.py)

    def describe(self) -> str:
        """The whole plan as text, diffs included: what `--dry-run` prints."""
        out = [
            f"Plan: release {self.version} of {self.repository} (latest release: {self.previous_tag or 'none'})",
            *([f"   {self.current}"] if self.current else []),
            *[f"   {line}" for line in self.decided],
            "",
            f"1. Edit {len(self.changes)} files:",
        ]
        if self.version_source:
            out.append(f"   version: {self.version_source}")
        out += [f"   {c.path}: {c.reason} {c.old or '(new)'} -> {c.new}" for c in self.changes if not dependent(c)]
        out += [f"   dependents: {line}" for line in self.dependents]
        out.append(f"   changelog: {self.changelog_source}")
        if self.removed:
            from releasekit.changefiles import removed_text

            out.append(f"   remove {removed_text(self.removed)}")
        out.append("")
        for change in self.changes:
            out.append(change.diff().rstrip("\n"))
        out += [
            "",
            f"2. Commit on {self.branch} (on {self.base[:12]}): {self.message!r}",
            f"3. {'Signed' if self.sign else 'Annotated'} tag {self.tag} on that commit",
        ]
        if self.next_dev_note:
            out.append(f"   {self.next_dev_note}")
        step = 4
        if self.next_dev is not None:
            out += self.next_dev.describe(step, self.version)
            step += 1
            out.append(
                f"{step}. Push {self.branch} (at the development commit) and {self.tag} (at the release commit) to "
                "origin in one atomic push"
            )
        else:
            out.append(f"{step}. Push {self.branch} and {self.tag} to origin in one atomic push")
        follow, show = step + 1, step + 2
        if self.run is not None and self.run.existing:
            if self.run.push == "branch":
                started = f"the push of {self.branch} starts (event push, branch {self.branch}"
            else:
                started = f"the tag starts (event push, ref {self.tag}"
            out.append(
                f"{follow}. Follow the run of {self.run.file} that {started}; an existing workflow, not generated)"
            )
            out.append(
                f"{show}. Show the GitHub release of {self.tag} if {self.run.file} makes one (what it publishes is up "
                "to it)"
            )
        elif self.run is not None:
            out.append(f"{follow}. Follow the run of {self.run.file} that the tag starts (event push, ref {self.tag})")
            out.append(f"{show}. Show the GitHub release it publishes:")
            out += [f"   - {p}" for p in self.publishes]
        elif self.unfollowed:
            out.append(f"{follow}. Nothing to follow: {self.unfollowed}")
        else:
            out.append(
                f"{follow}. No release workflow is declared (a workflow with a push.tags trigger): nothing to follow"
            )
        return "\n".join(out) + "\n"


@dataclass(frozen=True)
class ReleaseRun:
    """The workflow run a release follows."""

    file: str  # the workflow's file name, e.g. release.yml
    push: Literal["tag", "branch"]  # the push that starts it: the release tag's, or the default branch's
    existing: bool  # listed in existing-workflows: releasekit does not generate it


def release_run(config: Config) -> ReleaseRun | None:
    """The run a release follows: the workflow built from the `release` template, else the existing workflow marked
    `release: tag` or `release: branch`, else the first generated workflow with a `push.tags` trigger."""
    tagged = [(key, wf) for key, wf in config.workflows.items() if wf.triggers.push and wf.triggers.push.tags]
    for key, wf in tagged:
        if wf.template_name(key) == "release":
            return ReleaseRun(wf.file_name(key), "tag", existing=False)
    for existing in config.existing_workflows:
        if existing.release in ("tag", "branch"):
            return ReleaseRun(existing.file, "tag" if existing.release == "tag" else "branch", existing=True)
    return ReleaseRun(tagged[0][1].file_name(tagged[0][0]), "tag", existing=False) if tagged else None


def release_unfollowed(config: Config) -> str:
    """When no run is followed but an existing workflow releases another way: which, and what starts it."""
    if release_run(config) is not None:
        return ""
    for existing in config.existing_workflows:
        if existing.release == "published":
            return (
                f"{existing.file} (an existing workflow) runs when the GitHub release of the tag is published; "
                "publish it on GitHub after the push"
            )
        if existing.release == "dispatch":
            return f"{existing.file} (an existing workflow) is run by hand with the version; run it after the push"
    return ""


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
    run = release_run(config)
    if run is not None and run.existing:
        return (f"what {run.file} publishes (an existing workflow: releasekit does not generate it)",)
    key = next((k for k, wf in config.workflows.items() if run is not None and wf.file_name(k) == run.file), None)
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
    entries: Sequence[tuple[str, list[str]]] = (),
) -> tuple[FileChange | None, str, tuple[str, ...]]:
    """The changelog edit, what it is for people, and the files it removes: towncrier's build when the project
    configures towncrier to write `versioning.changelog`; else the Unreleased section promoted, or (when it is
    empty) a section written from the commits since the last tag, with `entries` (change files' groups,
    releasekit/changefiles.py) first. With no tag, nothing is written from commits: that would be the whole history."""
    from releasekit import changelog, towncrier

    name = config.versioning.changelog
    if not name:
        return None, "none configured (versioning.changelog)", ()
    path = root / name
    before = path.read_text(encoding="utf-8") if path.is_file() else ""
    repository = config.project.repository
    tool = towncrier.find(root)
    if tool is not None and tool.filename == name:
        built = towncrier.build(root, tool, str(version), today)
        fragments = "news fragment" if built.fragments == 1 else "news fragments"
        source = f"{name}: compiled by towncrier from {built.fragments} {fragments} in {tool.directory}/"
        line = changelog.line_of(built.after, str(version), path=name)
        change = FileChange(
            path=name, before=before, after=built.after, old="", new=str(version), line=line, reason="changelog section"
        )
        return change, source, built.removed
    if previous is None and changelog.unreleased_entries(before, path=name) is None:
        has = "is empty" if path.is_file() else "does not exist"
        source = (
            f"{name}: not written: there is no earlier release tag and {name}'s Unreleased section {has}, and "
            f"releasekit does not write the whole history ({len(subjects)} commits) into it; list the changes "
            "under an Unreleased section to have them released"
        )
        if not path.is_file():
            source = (
                f"{name}: not written: it does not exist and there is no earlier release tag (releasekit does not "
                f"write the whole history, {len(subjects)} commits); create it with an Unreleased section listing "
                "the changes to have one"
            )
        return None, source, ()
    after, source = changelog.update(
        before,
        str(version),
        today,
        subjects,
        tag=tag,
        previous_tag=previous,
        repository=repository,
        path=name,
        entries=entries,
    )
    line = changelog.line_of(after, str(version), path=name)
    change = FileChange(
        path=name, before=before, after=after, old="", new=str(version), line=line, reason="changelog section"
    )
    return change, source, ()
