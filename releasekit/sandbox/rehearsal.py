"""What a rehearsal runs for real: the `releasekit publish` job of a releasekit-generated release workflow."""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING

from releasekit.sandbox.workflow import WorkflowSpec

if TYPE_CHECKING:
    from releasekit.sandbox.engine import Engine
    from releasekit.sandbox.state import Job, Run

# The publish step of a releasekit-generated release workflow (templates/_release.j2): `releasekit publish "$TAG"`.
GENERATED_PUBLISH = re.compile(r'^\s*releasekit publish "\$TAG"', re.MULTILINE)


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


def publishes(engine: Engine, run: Run, job: Job) -> bool:
    """Whether a tag push's job is the `releasekit publish` of a generated release workflow, which a rehearsal
    runs for real (`Sandbox.publish_command`) so that it ends with a published release. A dispatched run (the
    full release attaching installers built by its other jobs) stays simulated: those files do not exist."""
    if engine.hub.publish_command is None or run.event != "push" or not run.ref.startswith("refs/tags/"):
        return False
    repo = engine.hub.state.repo(*run.repo.split("/", 1))
    spec = None if repo is None else engine.load(repo, run.head_sha, run.path)
    if not isinstance(spec, WorkflowSpec):
        return False
    return any(
        step.run is not None and GENERATED_PUBLISH.search(step.run) is not None
        for planned in spec.jobs
        if planned.job_id == job.job_id
        for step in planned.steps
    )
