"""The security policy every generated workflow must meet, checked on the output whatever template made it."""

from __future__ import annotations

import re
from typing import Any

import yaml

from releasekit.config.loader import YAML_LOADER
from releasekit.config.secrets import find_secrets_in_text

_PINNED = re.compile(r"^[^@\s]+@[0-9a-f]{40}$")
_READ_ONLY = {"read", "none"}


def problems(body: str) -> list[str]:
    """What in a generated workflow breaks the policy; empty when it is fine."""
    out = [f"line {line}: {reason}" for line, reason in find_secrets_in_text(body)]
    try:
        doc = yaml.load(body, Loader=YAML_LOADER)
    except yaml.YAMLError as exc:
        return [*out, f"the output is not valid YAML: {exc}"]
    if not isinstance(doc, dict):
        return [*out, "the output is not a YAML mapping"]
    if "permissions" not in doc:
        out.append("no top-level `permissions:` (use `permissions: {}` and grant each job what it needs)")
    elif not _read_only(doc["permissions"]):
        out.append("top-level `permissions:` grants write access; grant it in the job that needs it")
    jobs = doc.get("jobs")
    if not isinstance(jobs, dict) or not jobs:
        return [*out, "no jobs"]
    for name, job in jobs.items():
        if not isinstance(job, dict):
            out.append(f"job {name!r} is not a mapping")
            continue
        if "uses" in job:  # a reusable workflow call has no steps of its own
            continue
        if "permissions" not in job:
            out.append(f"job {name!r} has no `permissions:`")
        if "timeout-minutes" not in job:
            out.append(f"job {name!r} has no `timeout-minutes:`")
        if "concurrency" not in doc and "concurrency" not in job:
            out.append(f"job {name!r} has no `concurrency:` (set it on the workflow or the job)")
        for i, step in enumerate(job.get("steps") or []):
            out += _step_problems(f"job {name!r} step {i + 1}", step)
    return out


def _read_only(permissions: Any) -> bool:
    if permissions in ({}, "read-all"):
        return True
    return isinstance(permissions, dict) and all(v in _READ_ONLY for v in permissions.values())


def _step_problems(where: str, step: Any) -> list[str]:
    if not isinstance(step, dict):
        return [f"{where} is not a mapping"]
    out: list[str] = []
    uses = step.get("uses")
    if isinstance(uses, str) and not uses.startswith(("./", "docker://")):
        if not _PINNED.match(uses):
            out.append(f"{where}: `uses: {uses}` is not pinned to a full commit SHA")
        if uses.startswith("actions/checkout@"):
            with_ = step.get("with") or {}
            if with_.get("persist-credentials") is not False:
                out.append(f"{where}: actions/checkout without `persist-credentials: false`")
    run = step.get("run")
    if isinstance(run, str) and "${{" in run:
        out.append(f"{where}: a `${{{{ }}}}` expression inside `run:` (pass it through `env:`)")
    return out
