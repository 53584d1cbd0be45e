"""`performance:` in releasekit.yaml as the SLA code sees it: the targets, and the release gate's settings."""

from __future__ import annotations

from dataclasses import dataclass

from releasekit.config.model import Config
from releasekit.sla.gate import Settings
from releasekit.sla.verdict import Target

E2E_TEMPLATE = "e2e-tests"


@dataclass(frozen=True)
class Gate:
    """The gate a release passes: the targets, and where the evidence is (or why it cannot be found)."""

    targets: tuple[Target, ...]
    settings: Settings | None
    problem: str = ""  # why the gate cannot look for evidence, with how to fix it


def targets_of(config: Config) -> tuple[Target, ...]:
    return tuple(
        Target(name, b.target_ms, b.statistic, b.min_samples, b.allow_missing, b.layer, b.operation)
        for name, b in config.performance.items()
    )


def gate_of(config: Config) -> Gate | None:
    """The release gate, or None when the project declares no performance target or turns the gate off."""
    targets = targets_of(config)
    gate = config.performance.gate
    if not targets or not gate.enabled:
        return None
    if gate.workflow is not None:
        keys = [gate.workflow] if gate.workflow in config.workflows else []
        missing = f"performance.gate.workflow is {gate.workflow!r}, which is not a key under `workflows`"
    else:
        keys = [key for key, wf in config.workflows.items() if wf.template_name(key) == E2E_TEMPLATE]
        missing = (
            f"performance targets are declared but {'no workflow' if not keys else f'{len(keys)} workflows'} "
            f"from the `{E2E_TEMPLATE}` template measure them"
        )
    if len(keys) != 1:
        problem = (
            f"{missing}; name the workflow whose runs upload the `{gate.artifact}` artifact in "
            "performance.gate.workflow, or set performance.gate.enabled: false"
        )
        return Gate(targets, None, problem)
    key = keys[0]
    settings = Settings(config.workflows[key].file_name(key), gate.max_age_seconds, gate.artifact)
    return Gate(targets, settings)
