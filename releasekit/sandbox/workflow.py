"""What GitHub Actions would do with a workflow file: parse it, match pushes, check dispatches, plan its jobs.

Pure functions over the file's text; the sandbox's HTTP side decides when to call them. The rules are those of
GitHub's "Workflow syntax for GitHub Actions" and "Events that trigger workflows" documentation; where GitHub
shows a message (an invalid file, a refused dispatch) the message is GitHub's.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, NoReturn

import yaml

from releasekit.config.globs import filter_pattern_to_regex
from releasekit.config.loader import YAML_LOADER
from releasekit.github_rules import INPUT_TYPES, MAX_DISPATCH_INPUTS, input_accepts, is_number
from releasekit.sandbox.expressions import (
    ExprContext,
    condition_holds,
    evaluate,
    evaluate_template,
    expression_error,
    interpolate,
    referenced_contexts,
    stringify,
    to_jsonable,
)

__all__ = [
    "ExprContext",
    "InputSpec",
    "JobSpec",
    "PlannedJob",
    "StepSpec",
    "WorkflowFileError",
    "WorkflowSpec",
    "condition_holds",
    "dispatch_errors",
    "evaluate",
    "expand_matrix",
    "interpolate",
    "parse_workflow",
    "plan_jobs",
    "push_matches",
    "resolved_inputs",
]

_TOO_MANY_INPUTS = f"you may only define up to {MAX_DISPATCH_INPUTS} `inputs` for a `workflow_dispatch` event"
_JOB_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,98}")
_FILTERED_EVENTS = ("push", "pull_request", "pull_request_target")
_EXCLUSIVE_FILTERS = (("branches", "branches-ignore"), ("tags", "tags-ignore"), ("paths", "paths-ignore"))


class WorkflowFileError(ValueError):
    """GitHub would refuse this workflow file. The message reads like the one on GitHub's Actions tab."""

    def __init__(self, path: str, line: int, detail: str) -> None:
        self.path = path
        self.line = line  # 1-based
        self.detail = detail
        super().__init__(f"Invalid workflow file: {path}#L{line} {detail}")


@dataclass(frozen=True, slots=True)
class InputSpec:
    """One `workflow_dispatch` input as declared."""

    name: str
    type: str  # 'string' | 'boolean' | 'choice' | 'number' | 'environment'
    required: bool
    default: str | None  # as a string ('true'/'false' for booleans), or None when not declared
    options: tuple[str, ...]
    description: str


@dataclass(frozen=True, slots=True)
class StepSpec:
    """One step. `name` is what GitHub displays; the other fields are the step's raw keys."""

    name: str
    raw_name: str | None = None  # the `name:` key, when given; only then is the name interpolated
    step_id: str | None = None
    uses: str | None = None
    run: str | None = None
    condition: str | None = None


@dataclass(frozen=True, slots=True)
class JobSpec:
    job_id: str
    name: str | None  # raw `name:`, may hold ${{ }} expressions
    needs: tuple[str, ...]
    runs_on: object  # raw: a string, a list, or {group:, labels:}; None for a reusable-workflow job
    matrix: object  # raw strategy.matrix, or None
    condition: str | None  # raw `if:`
    steps: tuple[StepSpec, ...]


@dataclass(frozen=True, slots=True)
class WorkflowSpec:
    path: str  # e.g. ".github/workflows/release.yml"
    name: str  # `name:`, or the path when absent (as GitHub shows it)
    run_name: str | None  # raw `run-name:`
    triggers: Mapping[str, object]  # event name -> its config ({} when given bare)
    jobs: tuple[JobSpec, ...]
    dispatch_inputs: Mapping[str, InputSpec] | None  # None without a workflow_dispatch trigger


@dataclass(frozen=True, slots=True)
class PlannedJob:
    key: str  # unique within the run: job_id, or job_id-<1-based matrix index>
    job_id: str
    name: str  # the display name, exactly as GitHub shows it
    needs: tuple[str, ...]
    labels: tuple[str, ...]  # runs-on after expressions
    steps: tuple[str, ...]  # "Set up job", each step's display name, "Complete job"
    matrix: Mapping[str, object] = field(default_factory=dict)
    condition: str | None = None
    runner_group: str | None = None  # runs-on: {group: ...}


# --- parsing -----------------------------------------------------------------------------------------------------


class _Reader:
    """Turns the YAML of one workflow file into a WorkflowSpec, failing with the line of the offending key."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        loader: Any = YAML_LOADER(text)
        try:
            self.root: yaml.Node | None = loader.get_single_node()
            self.data: object = loader.construct_document(self.root) if self.root is not None else None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark is not None else 1
            problem = f": {exc.problem}" if exc.problem else ""
            raise WorkflowFileError(
                path, line, f"You have an error in your yaml syntax on line {line}{problem}"
            ) from None
        except yaml.YAMLError as exc:  # e.g. a character YAML does not allow; PyYAML gives no mark
            raise WorkflowFileError(path, 1, f"You have an error in your yaml syntax: {exc}") from None
        finally:
            loader.dispose()

    def line(self, *keys: str | int) -> int:
        """The 1-based line of the deepest key of `keys` present in the file (1 when none is)."""
        node, line = self.root, 1
        for key in keys:
            if isinstance(node, yaml.MappingNode):
                found = [(k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(key)]
                if not found:
                    break
                line, node = found[0][0].start_mark.line + 1, found[0][1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
                node = node.value[key]
                line = node.start_mark.line + 1
            else:
                break
        return line

    def fail(self, detail: str, *keys: str | int) -> NoReturn:
        raise WorkflowFileError(self.path, self.line(*keys), detail)

    def mapping(self, value: object, what: str, *keys: str | int) -> dict[Any, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(f"{what} must be a mapping, not {json.dumps(to_jsonable(value))}", *keys)
        return value

    def check_expressions(self, text: str | None, *keys: str | int, bare: bool = False) -> None:
        problem = None if text is None else expression_error(text, bare=bare)
        if problem is not None:
            self.fail(problem, *keys)

    def workflow(self) -> WorkflowSpec:
        data = self.data
        if data is None:
            self.fail("No event triggers defined in `on`")
        top = self.mapping(data, "A workflow file")
        on = top.get("on", top.get(True))  # YAML 1.1 reads a bare `on:` key as the boolean true
        if not on:
            self.fail("No event triggers defined in `on`", "on")
        triggers = self.triggers(on)
        if "jobs" not in top:
            self.fail("Required property is missing: jobs")
        jobs_raw = self.mapping(top["jobs"], "`jobs`", "jobs")
        if not jobs_raw:
            self.fail("No jobs defined in `jobs`", "jobs")
        jobs = tuple(self.job(str(job_id), raw) for job_id, raw in jobs_raw.items())
        self.check_needs(jobs)
        run_name = None if top.get("run-name") is None else stringify(top["run-name"])
        self.check_expressions(run_name, "run-name")
        return WorkflowSpec(
            path=self.path,
            name=self.path if top.get("name") is None else stringify(top["name"]),
            run_name=run_name,
            triggers=triggers,
            jobs=jobs,
            dispatch_inputs=self.dispatch_inputs(triggers) if "workflow_dispatch" in triggers else None,
        )

    def triggers(self, on: object) -> dict[str, object]:
        if isinstance(on, str):
            return {on: {}}
        if isinstance(on, list) and all(isinstance(event, str) for event in on):
            return {event: {} for event in on}
        if not isinstance(on, dict):
            self.fail(f"Unexpected value '{stringify(on)}' for `on`", "on")
        triggers: dict[str, object] = {str(event): {} if config is None else config for event, config in on.items()}
        for event in _FILTERED_EVENTS:
            if event in triggers:
                self.check_filters(event, self.mapping(triggers[event], f"`on.{event}`", "on", event))
        return triggers

    def check_filters(self, event: str, config: Mapping[str, object]) -> None:
        for first, second in _EXCLUSIVE_FILTERS:
            if first in config and second in config:
                self.fail(f"you may only define one of `{first}` and `{second}` for a single event", "on", event)
            for key in (first, second):
                for pattern in _patterns(config, key):
                    try:
                        _regex(pattern)
                    except ValueError as exc:
                        self.fail(f"Invalid pattern '{pattern}' in `on.{event}.{key}`: {exc}", "on", event, key)

    def dispatch_inputs(self, triggers: Mapping[str, object]) -> dict[str, InputSpec]:
        keys = ("on", "workflow_dispatch", "inputs")
        config = self.mapping(triggers["workflow_dispatch"], "`on.workflow_dispatch`", *keys[:2])
        declared = self.mapping(config.get("inputs"), "`on.workflow_dispatch.inputs`", *keys)
        if len(declared) > MAX_DISPATCH_INPUTS:
            self.fail(_TOO_MANY_INPUTS, *keys)
        inputs: dict[str, InputSpec] = {}
        for name, raw in declared.items():
            spec = self.mapping(raw, f"input '{name}'", *keys, str(name))
            kind = stringify(spec.get("type", "string"))
            if kind not in INPUT_TYPES:
                self.fail(f"Unexpected value '{kind}' for the type of input '{name}'", *keys, str(name), "type")
            options = tuple(stringify(option) for option in spec.get("options") or ())
            if kind == "choice" and not options:
                self.fail(f"Input '{name}' of type choice must define `options`", *keys, str(name))
            default = spec.get("default")
            inputs[str(name)] = InputSpec(
                name=str(name),
                type=kind,
                required=spec.get("required") is True,
                default=None if default is None else stringify(default),
                options=options,
                description=stringify(spec.get("description")),
            )
        return inputs

    def job(self, job_id: str, raw: object) -> JobSpec:
        if not _JOB_ID.fullmatch(job_id):
            self.fail(
                f"The identifier '{job_id}' is invalid. IDs may only contain alphanumeric characters, '_', and '-'. "
                "IDs must start with a letter or '_' and and must be less than 100 characters.",
                "jobs",
                job_id,
            )
        job = self.mapping(raw, f"job '{job_id}'", "jobs", job_id)
        reusable = job.get("uses") is not None  # a job that calls a reusable workflow has neither runs-on nor steps
        if not reusable and "runs-on" not in job:
            self.fail("Required property is missing: runs-on", "jobs", job_id)
        if not reusable and not isinstance(job.get("steps"), list):
            self.fail("Required property is missing: steps", "jobs", job_id)
        needs = job.get("needs")
        strategy = self.mapping(job.get("strategy"), "`strategy`", "jobs", job_id, "strategy")
        name = None if job.get("name") is None else stringify(job["name"])
        condition = None if job.get("if") is None else stringify(job["if"])
        self.check_expressions(name, "jobs", job_id, "name")
        self.check_expressions(condition, "jobs", job_id, "if", bare=True)
        if isinstance(job.get("runs-on"), str):
            self.check_expressions(job["runs-on"], "jobs", job_id, "runs-on")
        return JobSpec(
            job_id=job_id,
            name=name,
            needs=(stringify(needs),) if isinstance(needs, str) else tuple(stringify(n) for n in needs or ()),
            runs_on=job.get("runs-on"),
            matrix=strategy.get("matrix"),
            condition=condition,
            steps=tuple(self.step(job_id, index, step) for index, step in enumerate(job.get("steps") or ())),
        )

    def step(self, job_id: str, index: int, raw: object) -> StepSpec:
        keys = ("jobs", job_id, "steps", index)
        step = self.mapping(raw, f"step {index + 1} of job '{job_id}'", *keys)
        uses, run = step.get("uses"), step.get("run")
        if (uses is None) == (run is None):
            self.fail("A step must define exactly one of `uses` and `run`", *keys)
        raw_name = None if step.get("name") is None else stringify(step["name"])
        if raw_name is not None:
            display = raw_name
        elif uses is not None:
            display = f"Run {stringify(uses)}"
        else:  # the runner shows the script's first line, after leading blank lines
            display = "Run " + stringify(run).lstrip(" \t\r\n").split("\n", 1)[0].rstrip("\r")
        condition = None if step.get("if") is None else stringify(step["if"])
        self.check_expressions(raw_name, *keys, "name")
        self.check_expressions(condition, *keys, "if", bare=True)
        return StepSpec(
            name=display,
            raw_name=raw_name,
            step_id=None if step.get("id") is None else stringify(step["id"]),
            uses=None if uses is None else stringify(uses),
            run=None if run is None else stringify(run),
            condition=condition,
        )

    def check_needs(self, jobs: Sequence[JobSpec]) -> None:
        needs = {job.job_id: job.needs for job in jobs}
        for job in jobs:
            for need in job.needs:
                if need not in needs:
                    self.fail(f"Job '{job.job_id}' depends on unknown job '{need}'.", "jobs", job.job_id, "needs")

        def reaches(start: str, target: str) -> bool:
            seen, todo = set(), [start]
            while todo:
                current = todo.pop()
                if current == target:
                    return True
                seen.add(current)
                todo.extend(n for n in needs[current] if n not in seen)
            return False

        for job in jobs:  # in file order, so the first job of a cycle is the one named
            for need in job.needs:
                if reaches(need, job.job_id):
                    self.fail(
                        f"Job '{job.job_id}' depends on job '{need}' which creates a cycle in the dependency graph.",
                        "jobs",
                        job.job_id,
                        "needs",
                    )


def parse_workflow(path: str, text: str) -> WorkflowSpec:
    """Parse a workflow file; raises WorkflowFileError (with the line) where GitHub would refuse the file."""
    return _Reader(path, text).workflow()


# --- push filters ------------------------------------------------------------------------------------------------

_regex = lru_cache(maxsize=1024)(filter_pattern_to_regex)


def _patterns(config: Mapping[str, object], key: str) -> list[str]:
    value = config.get(key)
    if value is None:
        return []
    return [stringify(value)] if not isinstance(value, list) else [stringify(pattern) for pattern in value]


def _selected(patterns: Sequence[str], name: str) -> bool:
    """GitHub's rule for a filter list: the last pattern that matches decides; a `!pattern` match excludes."""
    selected = False
    for pattern in patterns:
        if _regex(pattern).match(name):
            selected = not pattern.startswith("!")
    return selected


def push_matches(spec: WorkflowSpec, ref: str, changed_paths: Sequence[str] | None) -> bool:
    """Would a push of `ref` (a full ref) start this workflow? `changed_paths` None means unknown (a new branch).

    Branch filters apply to branch pushes and tag filters to tag pushes; a workflow that filters only one kind
    never runs for the other. Path filters apply to branch pushes only. An empty `changed_paths` matches no
    path filter: with nothing changed, no path is selected.
    """
    if "push" not in spec.triggers:
        return False
    config = spec.triggers["push"]
    config = config if isinstance(config, Mapping) else {}
    if ref.startswith("refs/heads/"):
        kind, other, name = "branches", "tags", ref.removeprefix("refs/heads/")
    elif ref.startswith("refs/tags/"):
        kind, other, name = "tags", "branches", ref.removeprefix("refs/tags/")
    else:
        return False
    own = kind in config or f"{kind}-ignore" in config
    if not own and (other in config or f"{other}-ignore" in config):
        return False
    if kind in config and not _selected(_patterns(config, kind), name):
        return False
    if f"{kind}-ignore" in config and _selected(_patterns(config, f"{kind}-ignore"), name):
        return False
    if kind == "tags" or changed_paths is None:
        return True
    if "paths" in config:
        return any(_selected(_patterns(config, "paths"), path) for path in changed_paths)
    if "paths-ignore" in config:
        return any(not _selected(_patterns(config, "paths-ignore"), path) for path in changed_paths)
    return True


# --- workflow_dispatch -------------------------------------------------------------------------------------------


def dispatch_errors(spec: WorkflowSpec, inputs: Mapping[str, object]) -> list[str]:
    """The messages of GitHub's 422 answer to this dispatch, in GitHub's order; empty when it would be accepted.

    GitHub wants every value as a string; bools and numbers are accepted too, because PyGithub may send them.
    """
    if spec.dispatch_inputs is None:
        return ["Workflow does not have 'workflow_dispatch' trigger"]
    declared = spec.dispatch_inputs
    errors: list[str] = []
    unexpected = sorted(name for name in inputs if name not in declared)
    if unexpected:
        errors.append(f"Unexpected inputs provided: {json.dumps(unexpected)}")
    for name, input_spec in declared.items():
        if name not in inputs:
            if input_spec.required and input_spec.default is None:
                errors.append(f"Required input '{name}' not provided")
            continue
        value = stringify(inputs[name])
        if input_accepts(input_spec.type, value, input_spec.options):
            continue
        if input_spec.type == "choice":
            errors.append(f"Provided value '{value}' for input '{name}' not in the list of allowed values")
        elif input_spec.type == "boolean":
            errors.append(f"Provided value '{value}' for input '{name}' is not a valid boolean")
        else:
            errors.append(f"Provided value '{value}' for input '{name}' is not a valid number")
    if len(inputs) > MAX_DISPATCH_INPUTS:
        errors.append(_TOO_MANY_INPUTS)
    return errors


def resolved_inputs(spec: WorkflowSpec, inputs: Mapping[str, object]) -> dict[str, object]:
    """The `inputs` context of the run: defaults applied, booleans as bool, numbers as int/float, others str.

    An input neither given nor defaulted is '' (false for a boolean, 0 for a number), as GitHub documents for
    reusable workflows. Undeclared names are left out (GitHub refuses them); {} without workflow_dispatch.
    """
    resolved: dict[str, object] = {}
    for name, input_spec in (spec.dispatch_inputs or {}).items():
        raw = inputs.get(name, input_spec.default)
        text = "" if raw is None else stringify(raw)
        if input_spec.type == "boolean":
            resolved[name] = text == "true"
        elif input_spec.type == "number" and is_number(text or "0"):
            number = float(text or "0")
            resolved[name] = int(number) if number.is_integer() else number
        else:
            resolved[name] = text
    return resolved


# --- jobs --------------------------------------------------------------------------------------------------------


def _matches(combination: Mapping[str, object], entry: Mapping[str, object]) -> bool:
    return all(key in combination and combination[key] == value for key, value in entry.items())


def _entries(value: object, key: str) -> list[Mapping[str, object]]:
    entries: list[object] = value if isinstance(value, list) else [] if value is None else [value]
    mappings = [entry for entry in entries if isinstance(entry, Mapping)]
    if len(mappings) != len(entries):
        raise ValueError(f"matrix `{key}` must be a list of mappings")
    return mappings


def expand_matrix(matrix: object, ctx: ExprContext) -> list[dict[str, object]] | None:
    """GitHub's matrix expansion; None when there is no matrix (or it evaluates to no mapping or no combination).

    The cartesian product of the vectors in declaration order; `exclude` entries drop the combinations they
    match (partially); each `include` entry is then merged into every combination whose original values it
    does not overwrite, or else becomes a combination of its own.
    """
    value = evaluate_template(matrix, ctx)
    if not isinstance(value, Mapping):
        return None
    vectors = {str(key): vector for key, vector in value.items() if key not in ("include", "exclude")}
    for key, vector in vectors.items():
        if not isinstance(vector, list) or not vector:
            raise ValueError(f"Matrix vector '{key}' does not contain any values")
    originals = (
        [dict(zip(vectors, values, strict=True)) for values in itertools.product(*vectors.values())] if vectors else []
    )
    excluded = _entries(value.get("exclude"), "exclude")
    originals = [combo for combo in originals if not any(_matches(combo, entry) for entry in excluded)]
    combinations = [dict(combo) for combo in originals]
    extra: list[dict[str, object]] = []
    for entry in _entries(value.get("include"), "include"):
        merged = False
        for original, combination in zip(originals, combinations, strict=True):
            if all(key not in original or original[key] == item for key, item in entry.items()):
                combination.update(entry)
                merged = True
        if not merged:
            extra.append(dict(entry))
    return (combinations + extra) or None


def _matrix_value(value: object) -> str:
    if isinstance(value, (Mapping, list, tuple)):
        return json.dumps(to_jsonable(value), separators=(",", ":"), ensure_ascii=False)
    return stringify(value)


def _labels(runs_on: object) -> tuple[tuple[str, ...], str | None]:
    if runs_on is None:
        return (), None
    if isinstance(runs_on, Mapping):
        group = runs_on.get("group")
        return _labels(runs_on.get("labels"))[0], None if group is None else stringify(group)
    if isinstance(runs_on, (list, tuple)):
        return tuple(stringify(label) for label in runs_on), None
    return (stringify(runs_on),), None


def _step_name(step: StepSpec, ctx: ExprContext) -> str:
    if step.raw_name is None:
        return step.name  # "Run <script>" shows the script as written, expressions and all
    try:
        return interpolate(step.raw_name, ctx)
    except ValueError:
        return step.name  # the runner keeps the raw name when it cannot evaluate it


def _plan(job: JobSpec, ctx: ExprContext, key: str, combination: dict[str, object] | None) -> PlannedJob:
    name = job.job_id if job.name is None else interpolate(job.name, ctx)
    if combination is not None and (job.name is None or "matrix" not in referenced_contexts(job.name)):
        name = f"{name} ({', '.join(_matrix_value(value) for value in combination.values())})"
    labels, group = _labels(evaluate_template(job.runs_on, ctx))
    return PlannedJob(
        key=key,
        job_id=job.job_id,
        name=name,
        needs=job.needs,
        labels=labels,
        steps=("Set up job", *(_step_name(step, ctx) for step in job.steps), "Complete job"),
        matrix={} if combination is None else combination,
        condition=job.condition,
        runner_group=group,
    )


def plan_jobs(spec: WorkflowSpec, ctx: ExprContext) -> list[PlannedJob]:
    """The jobs of a run in file order, each matrix expanded in combination order, with GitHub's display names.

    Raises ValueError when an expression cannot be evaluated or a matrix is malformed (GitHub fails the run).
    """
    planned: list[PlannedJob] = []
    for job in spec.jobs:
        combinations = None if job.matrix is None else expand_matrix(job.matrix, ctx)
        if combinations is None:
            planned.append(_plan(job, ctx, job.job_id, None))
            continue
        for index, combination in enumerate(combinations, start=1):
            job_ctx = replace(ctx, matrix=combination)
            planned.append(_plan(job, job_ctx, f"{job.job_id}-{index}", combination))
    return planned
