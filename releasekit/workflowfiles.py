"""Workflow files a project already has: find them and tell, from their triggers and steps, which one releases.

Read-only and pure apart from reading `.github/workflows/`; `releasekit init` lists what this finds in the
scaffold's `existing-workflows`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from releasekit.config.model import WORKFLOW_FILE
from releasekit.render.files import HEADER_MARK, WORKFLOWS_DIR

ReleaseKind = Literal["tag", "branch", "published", "dispatch"]

# A step that uploads a package: the action PyPI documents for trusted publishing, or a tool's upload command.
_PUBLISH_ACTION = re.compile(r"^pypa/gh-action-pypi-publish(?:@|$)")
_PUBLISH_COMMAND = re.compile(
    r"\b(?:twine\s+upload|(?:uv|poetry|flit|hatch|pdm|maturin|cargo|npm|pnpm|yarn)\s+publish)\b"
)


@dataclass(frozen=True)
class ExistingWorkflowFile:
    """One workflow file under `.github/workflows/` that releasekit did not generate."""

    file: str  # the name under .github/workflows/, e.g. publish.yml
    name: str | None  # its `name:`
    release: ReleaseKind | None  # how it releases, if it does
    why: str  # what it runs on, for people: "push of tags *", "pull_request, push"
    events: tuple[str, ...] = ()  # the events that start it, sorted

    @property
    def tests(self) -> bool:
        """Whether it looks like the project's CI: it runs on pull requests."""
        return "pull_request" in self.events


def find(root: Path) -> tuple[tuple[ExistingWorkflowFile, ...], tuple[str, ...]]:
    """The workflow files in `root/.github/workflows` that releasekit did not generate, sorted, and notes on the
    ones that could not be read."""
    directory = root / WORKFLOWS_DIR
    found: list[ExistingWorkflowFile] = []
    notes: list[str] = []
    try:
        entries = sorted(p for p in directory.iterdir() if p.suffix in (".yml", ".yaml") and p.is_file())
    except OSError:  # no .github/workflows: nothing exists yet
        return (), ()
    for path in entries:
        rel = f"{WORKFLOWS_DIR}/{path.name}"
        if not re.match(WORKFLOW_FILE, path.name):
            notes.append(f"{rel}: a name releasekit.yaml cannot list (must match {WORKFLOW_FILE}); not listed")
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            notes.append(f"{rel}: cannot be read ({exc}); not listed")
            continue
        if text.startswith(HEADER_MARK):
            continue  # releasekit's own: `releasekit workflows` keeps it up to date
        workflow = classify(path.name, text)
        if workflow is None:
            notes.append(f"{rel}: not a workflow (a YAML mapping with `on:` and `jobs:`); not listed")
            continue
        found.append(workflow)
    return tuple(found), tuple(notes)


def classify(file: str, text: str) -> ExistingWorkflowFile | None:
    """What a workflow file runs on and whether it releases; None if the text is not a workflow.

    It releases on `tag` when a pushed tag starts it, on `published` when a published GitHub release does, on
    `dispatch` when it is run by hand with a `version` input, and on `branch` when a push to a branch starts it
    and one of its steps uploads a package (PyPA's sampleproject publishes every push to main, skipping versions
    already on PyPI).
    """
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader reads a workflow several times faster
    try:
        data = yaml.load(text, Loader=loader)  # a safe loader, chosen above
    except yaml.YAMLError:
        return None
    if not isinstance(data, Mapping) or "jobs" not in data:
        return None
    # YAML 1.1 reads the bare key `on` as the boolean true.
    on = data.get("on", data.get(True))
    events = _events(on)
    if events is None:
        return None
    name = data.get("name") if isinstance(data.get("name"), str) else None
    push = events.get("push")
    tags = _list(push.get("tags")) if isinstance(push, Mapping) else []
    dispatch = events.get("workflow_dispatch")
    inputs = dispatch.get("inputs") if isinstance(dispatch, Mapping) else None
    release: ReleaseKind | None = None
    uploads = _uploads(data.get("jobs"))
    # A workflow that runs on pull requests and on tags, but uploads nothing, is CI that also tests each tag
    # (pytest's test.yml); with an upload step it is CI that releases on tags as well (pydantic-core's ci.yml).
    if tags and (uploads or "pull_request" not in events):
        release = "tag"
    elif "release" in events:
        release = "published"
    elif "push" in events and uploads:
        release = "branch"
    elif isinstance(inputs, Mapping) and "version" in inputs:
        release = "dispatch"
    return ExistingWorkflowFile(file, name, release, _describe(events, tags), tuple(sorted(events)))


def _events(on: object) -> dict[str, Any] | None:
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list) and all(isinstance(e, str) for e in on):
        return dict.fromkeys(on)
    if isinstance(on, Mapping) and all(isinstance(e, str) for e in on):
        return dict(on)
    return None


def _list(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def _uploads(jobs: object) -> bool:
    if not isinstance(jobs, Mapping):
        return False
    for job in jobs.values():
        steps = job.get("steps") if isinstance(job, Mapping) else None
        for step in steps if isinstance(steps, list) else []:
            if not isinstance(step, Mapping):
                continue
            uses, run = step.get("uses"), step.get("run")
            if isinstance(uses, str) and _PUBLISH_ACTION.match(uses):
                return True
            if isinstance(run, str) and _PUBLISH_COMMAND.search(run):
                return True
    return False


def _describe(events: Mapping[str, Any], tags: list[str]) -> str:
    parts = []
    for event in sorted(events):
        if event == "push" and tags:
            parts.append(f"push of tags {' '.join(tags)}")
        else:
            parts.append(event)
    return " ".join(", ".join(parts).split())  # one line: it ends up in a YAML comment


# How surely each kind is the release, for choosing one when several workflows release: a run a release can
# follow first.
_RANK = {"tag": 0, "branch": 1, "published": 2, "dispatch": 3}


def releasing(found: Sequence[ExistingWorkflowFile]) -> ExistingWorkflowFile | None:
    """The workflow that releases, when several may: a tag's first, then a branch push's, a published release's,
    a dispatch's."""
    candidates = [w for w in found if w.release is not None]
    return min(candidates, key=lambda w: _RANK[w.release or "dispatch"]) if candidates else None


def testing(found: Sequence[ExistingWorkflowFile]) -> ExistingWorkflowFile | None:
    """The project's CI, when several workflows run on pull requests: one named for tests or CI first."""
    candidates = [w for w in found if w.tests]
    named = [w for w in candidates if re.search(r"test|\bci\b|check", w.file, re.IGNORECASE)]
    return (named or candidates)[0] if candidates else None


def release_text(kind: ReleaseKind | None) -> str:
    """What `release` means for people, in init's notes and the scaffold's comments."""
    return {
        "tag": "releases: a pushed tag starts it, and `releasekit release` follows its run",
        "branch": "releases: a push to the default branch starts it, and `releasekit release` follows its run",
        "published": "releases when a GitHub release is published (not followed by `releasekit release`)",
        "dispatch": "releases when run by hand with a version (not followed by `releasekit release`)",
        None: "does not release",
    }[kind]
