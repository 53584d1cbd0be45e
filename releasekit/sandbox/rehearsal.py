"""What a rehearsal runs for real: the `releasekit publish` job of a releasekit-generated release workflow."""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING

from releasekit.sandbox.workflow import WorkflowSpec

if TYPE_CHECKING:
    from releasekit.sandbox.engine import Engine
    from releasekit.sandbox.state import Job, Run

# The publish step of a releasekit-generated release workflow (templates/_release.j2): `releasekit publish "$TAG"`,
# in the GitHub release job (`--dist`), the python-index job (`--index-only`), or a monorepo's one publishing job
# (no flag: it builds, uploads and publishes the package the tag names, which the base command does too).
GENERATED_PUBLISH = re.compile(r'^\s*releasekit publish "\$TAG"(?P<flags>[^\n]*)', re.MULTILINE)


def publish_command(*, index: bool, build_isolation: bool = True) -> str:
    """What the publish job of a generated release workflow runs in a rehearsal: this releasekit's real `publish`
    of the pushed tag. The workflow's build job is simulated, so `publish` builds from the tag's checkout itself
    (no `--dist`); the index upload is the sandbox's own index with `--index`, else skipped."""
    command = f'"{sys.executable}" -m releasekit publish "$GITHUB_REF_NAME"'
    if not index:
        command += " --skip-index"
    if not build_isolation:
        command += " --no-build-isolation"
    return command


def publishes(engine: Engine, run: Run, job: Job) -> str | None:
    """The command a rehearsal runs for a tag push's job that is a `releasekit publish` of a generated release
    workflow (`Sandbox.publish_command`, with the job's own `--index-only` or `--skip-index`), so that it ends with
    a published release; None for any other job. The python-index job (`--index-only`) runs only when the sandbox
    has an index (the base command does not skip it). A dispatched run (the full release attaching installers
    built by its other jobs) stays simulated: those files do not exist."""
    base = engine.hub.publish_command
    if base is None or run.event != "push" or not run.ref.startswith("refs/tags/"):
        return None
    repo = engine.hub.state.repo(*run.repo.split("/", 1))
    spec = None if repo is None else engine.load(repo, run.head_sha, run.path)
    if not isinstance(spec, WorkflowSpec):
        return None
    for planned in spec.jobs:
        if planned.job_id != job.job_id:
            continue
        for step in planned.steps:
            found = GENERATED_PUBLISH.search(step.run or "")
            if found is None:
                continue
            # The workflow's build job is simulated, so its files (`--dist`) do not exist: publish builds them.
            flags = found.group("flags").split()
            if "--index-only" in flags:
                return None if "--skip-index" in base.split() else f"{base} --index-only"
            if "--skip-index" in flags and "--skip-index" not in base.split():
                return f"{base} --skip-index"
            return base
    return None
