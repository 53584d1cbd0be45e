"""Dispatch a workflow exactly once and get its run.

Planning is pure: the inputs to send are worked out from `releasekit.yaml`, `--input` and the workflow file as it
is at the ref, and every problem (an undeclared input, a missing required one, a value its type refuses, too many)
is found before anything is sent. Then one POST asks for the run's id (`return_run_details`). Where the server does
not return it (older GitHub Enterprise Server), the run is found by the correlation id the dispatch passed as an
input, which the generated workflow's `run-name` shows, or else as the newest `workflow_dispatch` run on the ref
that is newer than every run before the dispatch. A dispatch whose answer was lost is looked for the same way; it
is never sent again blindly.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import yaml

from releasekit.backends import actions
from releasekit.backends.github import GitHub, OutcomeUnknown
from releasekit.backends.records import RunInfo
from releasekit.config.loader import closest
from releasekit.errors import ReleasekitError
from releasekit.github_rules import BOOLEAN_VALUES, CORRELATION_INPUT, MAX_DISPATCH_INPUTS, input_accepts
from releasekit.output import Report
from releasekit.steps.watch import Clock, wait_for_run


class DispatchError(ReleasekitError):
    """The dispatch cannot be made as asked; nothing was dispatched."""


@dataclass(frozen=True)
class InputSpec:
    type: str
    required: bool
    default: str | None
    options: tuple[str, ...]


def declared_inputs(text: str, where: str) -> dict[str, InputSpec] | None:
    """The `workflow_dispatch` inputs a workflow file declares; None when it has no workflow_dispatch trigger."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DispatchError(f"{where} is not valid YAML ({exc}); GitHub cannot run it either") from None
    if not isinstance(doc, Mapping):
        raise DispatchError(f"{where} is not a workflow (a mapping with `on:` and `jobs:`)")
    on = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` key as true
    if isinstance(on, str):
        on = {on: None}
    elif isinstance(on, list):
        on = dict.fromkeys(on)
    if not isinstance(on, Mapping) or "workflow_dispatch" not in on:
        return None
    trigger = on["workflow_dispatch"] or {}
    raw = trigger.get("inputs") or {} if isinstance(trigger, Mapping) else {}
    out: dict[str, InputSpec] = {}
    for name, given in raw.items():
        spec = given if isinstance(given, Mapping) else {}
        default = spec.get("default")
        out[str(name)] = InputSpec(
            type=str(spec.get("type") or "string"),
            required=bool(spec.get("required")),
            default=None if default is None else as_text(default),
            options=tuple(str(o) for o in spec.get("options") or ()),
        )
    return out


def as_text(value: object) -> str:
    """An input value as GitHub receives it: a string, booleans as true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class DispatchPlan:
    workflow: str  # the workflow's file name, e.g. release-full.yml
    path: str  # .github/workflows/release-full.yml
    ref: str
    inputs: dict[str, str]
    correlation_id: str | None  # passed as an input when the workflow declares it

    @property
    def inputs_text(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.inputs.items()) or "none"


def plan_dispatch(
    *,
    workflow: str,
    path: str,
    ref: str,
    declared: Mapping[str, InputSpec] | None,
    configured: Mapping[str, str],
    given: Mapping[str, str],
    version: str,
    correlation_id: str | None = None,
) -> tuple[DispatchPlan, list[str]]:
    """The inputs to send, and every problem with them (empty when the dispatch can go out)."""
    if declared is None:
        problem = (
            f"{path} at {ref} has no workflow_dispatch trigger, so it cannot be dispatched; add `workflow_dispatch:` "
            "to its `on:` (in releasekit.yaml: `triggers: {workflow_dispatch: ...}`) and push it to the ref you "
            "dispatch on (a tag is fixed: the next version's tag will have it, or pass --ref BRANCH)"
        )
        return DispatchPlan(workflow, path, ref, {}, None), [problem]
    problems: list[str] = []
    for name in ("version", CORRELATION_INPUT):
        for source, values in (("--input", given), ("release.full.inputs", configured)):
            if name in values and name in declared and (name != "version" or values[name] != version):
                problems.append(
                    f"{source} sets {name!r}, which releasekit fills in itself"
                    + (f" (with {version}, the version given)" if name == "version" else " (to find the run)")
                    + "; leave it out"
                )
    inputs: dict[str, str] = {}
    if "version" in declared:
        inputs["version"] = version
    inputs.update(configured)
    inputs.update(given)
    correlation = None
    if CORRELATION_INPUT in declared and CORRELATION_INPUT not in inputs:
        correlation = correlation_id or secrets.token_hex(6)
        inputs[CORRELATION_INPUT] = correlation
    problems += check_inputs(declared, inputs, where=f"{path} at {ref}")
    return DispatchPlan(workflow, path, ref, inputs, correlation), problems


def check_inputs(declared: Mapping[str, InputSpec], inputs: Mapping[str, str], *, where: str) -> list[str]:
    """What GitHub would refuse with a 422, said so that the user can fix it."""
    problems: list[str] = []
    names = ", ".join(sorted(declared)) or "none"
    for name in inputs:
        if name not in declared:
            match = closest(name, declared)
            hint = f"did you mean {match!r}? " if match else ""
            problems.append(f"input {name!r} is not declared in {where} ({hint}it declares: {names})")
    for name, spec in declared.items():
        value = inputs.get(name)
        if value is None:
            if spec.required and spec.default is None:
                problems.append(f"input {name!r} is required by {where}: give it with --input {name}=VALUE")
            continue
        problem = _type_problem(spec, value)
        if problem:
            problems.append(f"input {name!r}: {problem}")
    if len(inputs) > MAX_DISPATCH_INPUTS:
        problems.append(f"{len(inputs)} inputs given; GitHub accepts at most {MAX_DISPATCH_INPUTS}")
    return problems


def _type_problem(spec: InputSpec, value: str) -> str | None:
    """The refusal of a value its type does not take, by GitHub's rule (`github_rules.input_accepts`)."""
    if input_accepts(spec.type, value, spec.options):
        return None
    if spec.type == "choice":
        return f"{value!r} is not one of its choices ({', '.join(spec.options)})"
    if spec.type == "boolean":
        return f"{value!r} is not a boolean: give {' or '.join(BOOLEAN_VALUES)}"
    return f"{value!r} is not a number: give digits, with an optional '-', fraction and exponent (-1.5e3)"


@dataclass(frozen=True)
class Dispatched:
    run_id: int
    html_url: str
    how: str  # how the run was found, for people
    posts: int  # dispatch POSTs sent

    @classmethod
    def of(cls, run: RunInfo, how: str, posts: int) -> Dispatched:
        return cls(run.id, run.html_url, how, posts)


def dispatch_run(gh: GitHub, plan: DispatchPlan, *, clock: Clock, timeout: float, report: Report) -> Dispatched:
    """Send the dispatch once and return its run."""
    before: int | None = None
    if plan.correlation_id is None:
        # Without a correlation id, a server that returns no run id leaves only "the newest run after the
        # dispatch": remember the newest one before it (one request, made only in this case).
        existing = actions.runs(gh, plan.workflow, event="workflow_dispatch", per_page=1)
        before = max((r.id for r in existing), default=0)
    try:
        answer = actions.dispatch(gh, plan.workflow, ref=plan.ref, inputs=plan.inputs)
    except OutcomeUnknown as lost:
        report("dispatch", f"the answer was lost ({lost}); looking for the run instead of dispatching again")
        look_for = f"[{plan.correlation_id}] in its title" if plan.correlation_id else f"for {plan.ref}, started now"
        missing = (
            f"the dispatch of {plan.workflow} got no answer, and no run of it showed up within {timeout:.0f} s. "
            f"It was not sent again. See `releasekit runs {plan.workflow}`: if no run with {look_for} is there, "
            "dispatch again with the same command"
        )
        found = _find(gh, plan, before, clock=clock, timeout=timeout, missing=missing)
        return Dispatched.of(found, "found after a lost answer", 1)
    if answer.run_id is not None:
        # The answer names the run: no request more (following it reads it anyway).
        return Dispatched(answer.run_id, answer.html_url or "", "returned by the dispatch", answer.requests)
    why = "ignored" if answer.details == "ignored" else "refused"
    report("dispatch", f"accepted; the server {why} return_run_details (older GitHub Enterprise): finding the run")
    missing = (
        f"{plan.workflow} was dispatched, but its run did not show up within {timeout:.0f} s; "
        f"find it with `releasekit runs {plan.workflow}`, then follow it with `releasekit watch RUN_ID`"
    )
    found = _find(gh, plan, before, clock=clock, timeout=timeout, missing=missing)
    how = f"found by its correlation id {plan.correlation_id}" if plan.correlation_id else "found as the newest run"
    return Dispatched.of(found, how, answer.requests)


def _find(gh: GitHub, plan: DispatchPlan, before: int | None, *, clock: Clock, timeout: float, missing: str) -> RunInfo:
    """The dispatched run, looked for until `timeout`; DispatchError(`missing`) when it does not show up."""
    found = wait_for_run(clock=clock, timeout=timeout, lookup=_lookup(gh, plan, before))
    if found is None:
        raise DispatchError(missing)
    return found


def _lookup(gh: GitHub, plan: DispatchPlan, before: int | None) -> Callable[[], RunInfo | None]:
    def lookup() -> RunInfo | None:
        found = actions.runs(gh, plan.workflow, event="workflow_dispatch", per_page=20)
        if plan.correlation_id is not None:
            marked = [r for r in found if f"[{plan.correlation_id}]" in r.name]
            return max(marked, key=lambda r: r.id) if marked else None
        branch = plan.ref.removeprefix("refs/heads/").removeprefix("refs/tags/")
        newer = [r for r in found if r.id > (before or 0) and r.head_branch == branch]
        return max(newer, key=lambda r: r.id) if newer else None

    return lookup
