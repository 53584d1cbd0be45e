"""Render the declared workflows: a pure function from config, lock and templates to `{path: text}`."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from releasekit import toollock
from releasekit.config import model
from releasekit.config.loader import Located, PathKey
from releasekit.errors import ConfigError, TemplateError
from releasekit.github_rules import CORRELATION_INPUT
from releasekit.lock import LOCK_NAME, Lock
from releasekit.render import jobs, packages, policy
from releasekit.render.cache import cache_dir
from releasekit.render.files import (
    ACTIONLINT_CONFIG,
    DIGEST_MARK,
    HEADER_MARK,
    WORKFLOWS_DIR,
    body_digest,
    builtin_templates,
    header,
)
from releasekit.render.yamltext import expr, indent, on_lines, q, step_lines, tidy
from releasekit.sla.samples import DEFAULT_RESULTS as SLA_RESULTS

TEMPLATE_SUFFIX = ".yml.j2"


@dataclass(frozen=True)
class Output:
    """One generated file."""

    path: str  # relative to the repository root, POSIX
    text: str
    source: str  # what it was generated from, for messages


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates, kept beside the render cache: compiling the templates is a third of a cold render.
    Jinja checks each entry against the template's source, so an edited template is compiled again."""
    base = cache_dir()
    if base is None:
        return None
    try:
        (base / "jinja").mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(base / "jinja"))


def _environment(root: Path) -> jinja2.Environment:
    searched = [root / "templates", builtin_templates()]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(p) for p in searched if p.is_dir()]),
        bytecode_cache=_bytecode_cache(),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["q"] = q
    env.globals["gh"] = expr
    return env


def _template_origin(root: Path, name: str) -> str:
    own = root / "templates" / f"{name}{TEMPLATE_SUFFIX}"
    return f"templates/{name}{TEMPLATE_SUFFIX}" if own.is_file() else f"built-in template {name!r}"


def _shown(path: Path, root: Path) -> str:
    """A template's path as the user knows it: relative to the project when it is the project's own."""
    return (path.relative_to(root) if path.is_relative_to(root) else path).as_posix()


def _jinja_location(exc: BaseException, root: Path) -> str:
    """`template:line` of the innermost template frame in a Jinja traceback."""
    tb = exc.__traceback__
    where = ""
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            where = f"{_shown(Path(filename), root)}:{tb.tb_lineno}"
        tb = tb.tb_next
    return where


def render(located: Located, lock: Lock) -> list[Output]:
    """Every file releasekit generates for this config, sorted by path. Pure: reads only templates."""
    env = _environment(located.root)
    config_name = Path(located.file).name
    outputs: list[Output] = []
    problems = []
    for key in located.config.workflows:
        try:
            outputs.append(_render_workflow(env, located, lock, key, config_name))
        except _ConfigProblem as exc:
            problems.append(located.problem(exc.path, exc.message))
    if problems:
        raise ConfigError(problems)
    outputs += requirements_outputs(located, config_name)
    labels = jobs.self_hosted_labels(located.config)
    if labels:
        body = "self-hosted-runner:\n  labels:\n" + "".join(f"    - {q(label)}\n" for label in labels)
        text = header(config_name, "the self-hosted runner labels of its machines, for actionlint", body) + body
        outputs.append(Output(ACTIONLINT_CONFIG, text, "machines"))
    return sorted(outputs, key=lambda o: o.path)


def check_requirements(located: Located) -> None:
    """Every `python-requirements` entry is a plain requirement; a problem is located at its line."""
    bad = [
        located.problem(
            ("python-requirements", name, i),
            f"python-requirements.{name}[{i}]: {spec!r} is not a requirement like `pytest>=7` (a name, optional "
            "[extras] and version specifiers; no markers, URLs or paths)",
        )
        for name, specs in located.config.python_requirements.items()
        for i, spec in enumerate(specs)
        if not re.match(model.REQUIREMENT, spec)
    ]
    if bad:
        raise ConfigError(bad)


def requirements_outputs(located: Located, config_name: str) -> list[Output]:
    """The requirements file of each set the workflows install, from the lock's `python` section: exact versions
    and every file hash (`releasekit lock --update` writes them); a set the lock lacks is written unpinned and
    without hashes, which `pip install --require-hashes` refuses."""
    check_requirements(located)
    sets = toollock.needed_sets(located.config)
    if not sets:
        return []
    locked = toollock.read_section(located.root / LOCK_NAME)
    out = []
    for name in sets:
        wanted = toollock.static_roots(located.config, name)
        body = toollock.requirements_body(name, locked.get(name), wanted, toollock.fixed_tools(located.config))
        what = f"the requirement set {name!r} as releasekit.lock pins it"
        text = (
            f"{HEADER_MARK} from {config_name} and {LOCK_NAME}: {what}.\n"
            "# Do not edit by hand: run `releasekit lock --update`, then `releasekit workflows`.\n"
            f"{DIGEST_MARK}{body_digest(body)}\n"
        )
        out.append(Output(toollock.requirements_path(name), text + body, f"python-requirements {name}"))
    return out


class _ConfigProblem(Exception):
    def __init__(self, path: PathKey, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def _render_workflow(env: jinja2.Environment, located: Located, lock: Lock, key: str, config_name: str) -> Output:
    config = located.config
    wf = config.workflows[key]
    name = wf.template_name(key)
    origin = _template_origin(located.root, name)
    try:
        template = env.get_template(f"{name}{TEMPLATE_SUFFIX}")
    except jinja2.TemplateNotFound:
        known = sorted(p.name.removesuffix(TEMPLATE_SUFFIX) for p in builtin_templates().glob(f"*{TEMPLATE_SUFFIX}"))
        raise _ConfigProblem(
            ("workflows", key, "template") if wf.template else ("workflows", key),
            f"workflows.{key}: no template {name!r}; built-in templates are {', '.join(known)}, or add "
            f"templates/{name}{TEMPLATE_SUFFIX} to the project",
        ) from None
    except jinja2.TemplateSyntaxError as exc:
        where = _shown(Path(exc.filename or name), located.root)
        raise TemplateError(f"{where}:{exc.lineno}: template syntax error: {exc.message}") from None
    ctx = _Context(located, lock, key)
    try:
        rendered = template.render(ctx.variables())
    except _ConfigProblem:
        raise
    except jinja2.TemplateError as exc:
        raise TemplateError(f"{_jinja_location(exc, located.root) or origin}: {exc}") from None
    unused = sorted(set(wf.steps) - ctx.consumed)
    if unused:
        point = unused[0]
        raise _ConfigProblem(
            ("workflows", key, "steps", point, "<key>"),
            f"workflows.{key}.steps: {origin} has no extension point {point!r} (it has: "
            f"{', '.join(sorted(ctx.consumed)) or 'none'})",
        )
    if wf.services and not ctx.services_started:
        raise _ConfigProblem(
            ("workflows", key, "services"),
            f"workflows.{key}.services: {origin} does not start services; use template e2e-tests, or call "
            "start_services() in your own template",
        )
    body = tidy(rendered)
    file = f"{WORKFLOWS_DIR}/{wf.file_name(key)}"
    problems = policy.problems(body)
    if problems:
        raise TemplateError(
            f"{origin} generated {file} that breaks releasekit's security policy:\n  " + "\n  ".join(problems)
        )
    what = f"workflows.{key}, {origin}"
    return Output(file, header(config_name, what, body) + body, what)


class _Context:
    """What a template sees: the config, and helpers that write the standard blocks."""

    def __init__(self, located: Located, lock: Lock, key: str) -> None:
        self.located = located
        self.config = located.config
        self.lock = lock
        self.key = key
        self.wf = self.config.workflows[key]
        self.machines = [(n, self.config.machines[n]) for n in self.wf.machines]
        self.consumed: set[str] = set()
        self.services_started = False

    def fail(self, message: str, path: PathKey | None = None) -> None:
        raise _ConfigProblem(path or ("workflows", self.key), f"workflows.{self.key}: {message}")

    def pin(self, action: str) -> str:
        found = self.lock.pin(action)
        if found is None:
            raise _ConfigProblem(
                ("workflows", self.key),
                f"workflows.{self.key}: the template uses {action!r}, "
                f"which is not pinned in {self.lock.file}; add its release tag and full commit SHA",
            )
        return found.uses(action[len(found.action) :])

    def steps(self, point: str, by: int) -> str:
        self.consumed.add(point)
        lines: list[str] = []
        for i, step in enumerate(self.wf.steps.get(point, ())):
            try:
                lines += step_lines(step, self.lock, f"workflows.{self.key}.steps.{point}[{i}]")
            except KeyError as exc:
                raise _ConfigProblem(("workflows", self.key, "steps", point, i), str(exc.args[0])) from None
        return indent(lines, by)

    def variables(self) -> dict[str, Any]:
        wf, config = self.wf, self.config
        helpers: dict[str, Callable[..., Any]] = {
            "pin": self.pin,
            "steps": self.steps,
            "fail": self.fail,
            "runner": lambda by: indent(jobs.runner_lines(self.machines), by),
            "job_name": lambda base: jobs.job_name(base, self.machines),
            "checkout": lambda by, ref=None: indent(jobs.checkout_lines(self.pin, ref), by),
            "setup_python": lambda by: indent(jobs.setup_python_lines(self.pin, self.machines), by),
            "setup_python_on": lambda machine, by: indent(
                jobs.setup_python_lines(self.pin, [(machine, config.machines[machine])]), by
            ),
            "job_env": lambda by, extra=None: indent(jobs.job_env_lines(wf.secrets, extra or {}), by),
            "environment": lambda by: indent([f"environment: {q(wf.environment)}"] if wf.environment else [], by),
            "workflow_env": lambda by: indent(jobs.workflow_env_lines(config.env), by),
            "start_services": self.start_services,
            "stop_services": lambda by: indent(jobs.stop_services_lines(self.services()), by),
            "on_block": self.on_block,
            "packages_release": self.packages_release,
            "sla_env": self.sla_env,
            "has_input": lambda name: (
                wf.triggers.workflow_dispatch is not None and name in wf.triggers.workflow_dispatch.inputs
            ),
            "primary_machine": lambda: jobs.primary_machine(self.machines),
            "pip_install": self.pip_install,
            "runs_on_of": lambda machine_name: jobs.runs_on_text(config.machines[machine_name]),
        }
        return {
            "project": config.project,
            "config": config,
            "publish": config.publish,
            "versioning": config.versioning,
            "workflow": {
                "key": self.key,
                "name": wf.display_name(self.key),
                "file": wf.file_name(self.key),
                "timeout": wf.timeout_minutes,
                "spec": wf,
                "machines": [n for n, _ in self.machines],
                "services": list(wf.services),
            },
            "tag_pattern": config.project.tag_format,
            "correlation_input": CORRELATION_INPUT,
            "sla_results": SLA_RESULTS,
            "sla_runner": toollock.SLA_RUNNER,
            "sla_python": toollock.SLA_PYTHON,
            **helpers,
        }

    def sla_env(self) -> dict[str, str]:
        """The end-to-end job's environment for the performance targets: each budget, and where the tests' `sla`
        fixture writes its samples (the file the job keeps as its results artifact)."""
        budgets = {model.Budget.env_name(k): str(b.target_ms) for k, b in self.config.performance.items()}
        if not budgets:
            return {}
        return {"RELEASEKIT_SLA_RESULTS": "${{ github.workspace }}/" + SLA_RESULTS, **budgets}

    def pip_install(self, name: str) -> str:
        """The pinned install of requirement set `name`; a set no requirements file is written for is refused."""
        if name not in toollock.needed_sets(self.config):
            raise _ConfigProblem(
                ("workflows", self.key),
                f"workflows.{self.key}: the template installs the requirement set {name!r}, which has no "
                "requirements file: the `release` set is written for the built-in release templates only; declare "
                "the packages under `python-requirements` and install that set",
            )
        return toollock.install_command(name)

    def start_services(self, by: int) -> str:
        self.services_started = True
        return indent(jobs.start_services_lines(self.services()), by)

    def services(self) -> list[tuple[str, model.Service]]:
        return [(n, self.config.services[n]) for n in self.wf.services]

    def packages_release(self) -> packages.PackagesRelease:
        """The release of the config's packages (the release template with `packages:`); a config it cannot
        release from one job is refused, at the key to change."""
        found = packages.packages_release(self.config, self.wf.environment)
        if len(found.environments) > 1:
            self.fail(
                f"the packages are published by one job, in one deployment environment, but it would need "
                f"{', '.join(found.environments)} (workflows.{self.key}.environment and the packages' "
                "publish.python.environment): give them the same one",
            )
        push = self.wf.triggers.push
        if push is not None and push.branches:
            self.fail(
                f"a monorepo's release runs on its packages' tags ({', '.join(found.tags)}, added to "
                "triggers.push.tags); a branch push names no package: remove triggers.push.branches",
                ("workflows", self.key, "triggers", "push", "branches"),
            )
        return found

    def on_block(self, correlation: bool = False, tags: Sequence[str] = ()) -> str:
        """The `on:` block of the declared triggers; `tags` (a monorepo's tag families) are added to `push.tags`."""
        triggers = self.wf.triggers
        if tags:
            push = triggers.push or model.PushTrigger()
            added = tuple(t for t in tags if t not in push.tags)
            triggers = dataclasses.replace(triggers, push=dataclasses.replace(push, tags=(*push.tags, *added)))
        extra = None
        if correlation:
            extra = {
                CORRELATION_INPUT: model.DispatchInput(
                    type="string",
                    description="Lets a tool that dispatches this workflow find its run (in the run name); leave empty",
                    required=False,
                    default="",
                )
            }
        return indent(on_lines(triggers, extra), 0)
