"""Validation of config values and of how the parts refer to each other, as messages located in the user's text."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from releasekit.config import model
from releasekit.config.cron import cron_error, runs_more_often_than_every_5_minutes
from releasekit.config.globs import filter_pattern_error, glob_error
from releasekit.config.loader import closest, dotted
from releasekit.config.model import HOSTED_RUNNERS
from releasekit.config.secrets import NEVER_A_SECRET, secret_reason
from releasekit.errors import Problem, excerpt
from releasekit.github_rules import CORRELATION_INPUT, MAX_DISPATCH_INPUTS, is_number

if TYPE_CHECKING:
    from releasekit.config.loader import Located, PathKey

# --- checks of one value (named in the model's field metadata) ---------------------------------------------


def cron(value: str) -> str | None:
    problem = cron_error(value)
    if problem:
        return f"invalid cron {excerpt(value)}: {problem}"
    if runs_more_often_than_every_5_minutes(value):
        return (
            f"cron {excerpt(value)} runs more often than every 5 minutes, which GitHub does not do; use */5 or slower"
        )
    return None


def ref_pattern(value: str) -> str | None:
    problem = filter_pattern_error(value, kind="ref")
    return f"invalid branch/tag pattern {excerpt(value)}: {problem}" if problem else None


def path_pattern(value: str) -> str | None:
    problem = filter_pattern_error(value, kind="path")
    return f"invalid path pattern {excerpt(value)}: {problem}" if problem else None


def asset_glob(value: str) -> str | None:
    problem = glob_error(value)
    return f"invalid glob {excerpt(value)}: {problem}" if problem else None


def version_regex(value: str) -> str | None:
    try:
        compiled = re.compile(value, re.MULTILINE)
    except (re.error, OverflowError, RecursionError) as exc:  # `a{99999999999}` and 1,000 nested groups too
        return f"invalid regex {excerpt(value)}: {exc}"
    if "version" not in compiled.groupindex:
        return f"regex {excerpt(value)} needs a named group for the version: (?P<version>...)"
    return None


def tag_format(value: str) -> str | None:
    if value.count("{version}") != 1:
        return f"tag format {excerpt(value)} must contain {{version}} exactly once, e.g. 'v{{version}}'"
    if "{" in value.replace("{version}", "") or "}" in value.replace("{version}", ""):
        return f"tag format {excerpt(value)}: the only placeholder is {{version}}"
    tag = value.replace("{version}", "1.0.0-rc.1")
    if _BAD_REF.search(tag) or tag.startswith(("/", "-", ".")) or tag.endswith((".", "/", ".lock")):
        return f"tag format {excerpt(value)} makes tags git refuses (see `git check-ref-format`)"
    return None


def package_tag_format(value: str) -> str | None:
    """A package's tag format: as `tag_format`, with `{name}` (the package's key) allowed besides `{version}`."""
    if "{name}" not in value or value.count("{version}") != 1:
        return tag_format(value)
    rest = value.replace("{version}", "").replace("{name}", "")
    if "{" in rest or "}" in rest:
        return f"tag format {excerpt(value)}: the only placeholders are {{name}} and {{version}}"
    if tag_format(value.replace("{name}", "name")) is not None:
        return f"tag format {excerpt(value)} makes tags git refuses (see `git check-ref-format`)"
    return None


# What `git check-ref-format` refuses anywhere in a ref name.
_BAD_REF = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//|/\.")


def message_format(value: str) -> str | None:
    if "{version}" not in value:
        return "must contain `{version}`, e.g. `Release {version}`"
    if not value.strip() or "\n" in value.strip():
        return "must be one line"
    return None


def ref_template(value: str) -> str | None:
    rest = value.replace("{tag}", "").replace("{version}", "")
    if not value.strip() or "{" in rest or "}" in rest:
        return f"ref {excerpt(value)}: give a branch or tag; the only placeholders are {{tag}} and {{version}}"
    ref = value.replace("{tag}", "v1.0.0").replace("{version}", "1.0.0")
    if _BAD_REF.search(ref) or ref.startswith(("/", "-", ".")) or ref.endswith((".", "/", ".lock")):
        return f"ref {excerpt(value)} is not a name git accepts (see `git check-ref-format`)"
    return None


def relative_path(value: str) -> str | None:
    if not value:
        return "the path is empty"
    if "\\" in value:
        return f"{excerpt(value)}: use '/' as the path separator"
    if value.startswith("/") or re.match(r"^[A-Za-z]:", value):
        return f"{excerpt(value)} is absolute; give a path relative to the repository root"
    if ".." in value.split("/"):
        return f"{excerpt(value)} leaves the repository ('..')"
    return None


def dotted_key(value: str) -> str | None:
    if not value or any(not part for part in value.split(".")):
        return f"{excerpt(value)} is not a dotted key like 'project.version'"
    return None


def run_command(value: str) -> str | None:
    if not value.strip():
        return "the command is empty"
    if "${{" in value:
        return (
            "a `${{ }}` expression inside a command is a script-injection risk; "
            "pass the value through `env:` and use $NAME in the command"
        )
    return None


# --- checks across the config ------------------------------------------------------------------------------


def semantic_problems(located: Located) -> list[Problem]:
    """Everything that is well-typed but inconsistent: dangling names, clashes, secrets with values."""
    out: list[Problem] = []

    def at(path: PathKey, message: str) -> None:
        out.append(located.problem(path, message))

    checks = (_versioning, _machines, _services, _env, _workflows, _existing_workflows, _publish, _full_release)
    for check in (*checks, _next_dev, _packages):
        check(located, at)
    return out


def _versionings(c: model.Config) -> list[tuple[model.Versioning, PathKey]]:
    """The top-level `versioning` and each package's, with where each is in the file."""
    packages = ((p.versioning, ("packages", name, "versioning")) for name, p in c.packages.items())
    return [(c.versioning, ("versioning",)), *packages]


def _versioning(located: Located, at: _At) -> None:
    """Each version file says where the version is, once (the top-level ones and each package's)."""
    for versioning, base in _versionings(located.config):
        where = dotted(base)
        for i, vf in enumerate(versioning.files):
            given = [k for k in ("toml", "json", "yaml", "regex") if getattr(vf, k) is not None]
            if len(given) != 1:
                what = "none" if not given else " and ".join(given)
                at(
                    (*base, "files", i),
                    f"{where}.files[{i}] ({vf.path}): give exactly one of toml, json, "
                    f"yaml or regex to say where the version is (got {what})",
                )
            elif (
                versioning.source == "tag"
                and vf.path.rsplit("/", 1)[-1] == "pyproject.toml"
                and vf.toml == "project.version"
            ):
                # A static project.version is what the build backend uses: the tag could never be the version.
                at(
                    (*base, "files", i),
                    f"{where}.files[{i}] ({vf.path}): project.version is a static version, but {where}.source is "
                    "`tag` (the git tag is the version); remove this entry, or use `source: files` to bump it",
                )


def _machines(located: Located, at: _At) -> None:
    """Each machine is hosted or self-hosted, consistently."""
    c = located.config
    for name, m in c.machines.items():
        path: PathKey = ("machines", name)
        if (m.runner is None) == (m.labels is None):
            at(
                path,
                f"machines.{name}: give `runner` (a GitHub-hosted image) or `labels` (self-hosted), not "
                f"{'both' if m.runner else 'neither'}",
            )
            continue
        if m.runner is not None:
            if m.runner not in HOSTED_RUNNERS:
                at(
                    (*path, "runner"),
                    f"machines.{name}.runner: {excerpt(m.runner)} is not a GitHub-hosted image"
                    f"{_suggest(m.runner, HOSTED_RUNNERS)}; for a self-hosted machine use `labels`",
                )
            elif m.os is not None and m.os != HOSTED_RUNNERS[m.runner]:
                at((*path, "os"), f"machines.{name}.os: {m.runner} runs {HOSTED_RUNNERS[m.runner]}, not {m.os}")
        elif m.os is None:
            at(path, f"machines.{name}: a self-hosted machine needs `os` (linux, macos or windows)")
        if m.setup_python and m.python is None:
            at((*path, "setup-python"), f"machines.{name}: setup-python needs a `python` version")


def _services(located: Located, at: _At) -> None:
    """No two services share a port."""
    c = located.config
    ports: dict[int, str] = {}
    for name, s in c.services.items():
        if s.port in ports:
            at(
                ("services", name, "port"),
                f"services.{name}.port: port {s.port} is already used by services.{ports[s.port]}",
            )
        ports.setdefault(s.port, name)


def _env(located: Located, at: _At) -> None:
    """No secret values; names in one bucket only, none reserved by GitHub."""
    c = located.config
    env = c.env
    for key, value in env.values.items():
        reason = secret_reason(key, value)
        if reason:
            at(
                ("env", "values", key),
                f"env.values.{key}: this value {reason}. {NEVER_A_SECRET}",
            )
    buckets = {"values": set(env.values), "vars": set(env.vars), "secrets": set(env.secrets)}
    for bucket, names in (("vars", env.vars), ("secrets", env.secrets)):
        for i, n in enumerate(names):
            if n.upper().startswith("GITHUB_"):
                at(
                    ("env", bucket, i),
                    f"env.{bucket}[{i}]: {excerpt(n)}: GitHub reserves names starting with GITHUB_; "
                    "the workflow token is granted through each job's `permissions:`, not a secret",
                )
            for other, other_names in buckets.items():
                if other < bucket and n in other_names:
                    at(("env", bucket, i), f"env.{bucket}[{i}]: {excerpt(n)} is also declared in env.{other}")
        for n in _duplicates(names):
            at(("env", bucket), f"env.{bucket}: {excerpt(n)} is listed twice")


def _workflows(located: Located, at: _At) -> None:
    """Each workflow is consistent, and no two write one file."""
    c = located.config
    files: dict[str, str] = {}
    for key, wf in c.workflows.items():
        _check_workflow(located, key, at)
        file = wf.file_name(key).lower()
        if file in files:
            at(
                ("workflows", key, "file"),
                f"workflows.{key}: writes {wf.file_name(key)}, which "
                f"workflows.{files[file]} writes too; give one of them another `file`",
            )
        files.setdefault(file, key)


def _existing_workflows(located: Located, at: _At) -> None:
    """An existing workflow is listed once, is not also generated, and at most one release runs on a push."""
    c = located.config
    generated = {wf.file_name(key).lower(): key for key, wf in c.workflows.items()}
    templated = [key for key, wf in c.workflows.items() if wf.template_name(key) == "release"]
    seen: dict[str, int] = {}
    followed: list[int] = []
    for i, ex in enumerate(c.existing_workflows):
        path: PathKey = ("existing-workflows", i, "file")
        name = ex.file.lower()
        if name in seen:
            at(path, f"existing-workflows[{i}]: {ex.file} is already listed (existing-workflows[{seen[name]}])")
        seen.setdefault(name, i)
        if name in generated:
            key = generated[name]
            at(
                path,
                f"existing-workflows[{i}]: {ex.file} is also generated by workflows.{key}; keep it as yours (give "
                f"workflows.{key} another `file`), or take it over (remove this entry, then run "
                f"`releasekit workflows --adopt {ex.file}`)",
            )
        if ex.release in ("tag", "branch"):
            followed.append(i)
        if ex.release is not None and templated:
            at(
                ("existing-workflows", i, "release"),
                f"existing-workflows[{i}]: {ex.file} releases, and so does workflows.{templated[0]} (the `release` "
                "template): both would publish the release. Remove one, or take this file over with "
                f"`releasekit workflows --adopt {ex.file}`",
            )
    for i in followed[1:]:
        first = c.existing_workflows[followed[0]].file
        at(
            ("existing-workflows", i, "release"),
            f"existing-workflows[{i}]: a release follows one run, and {first} already releases on a push; "
            "remove `release` from one of them",
        )


def _publish(located: Located, at: _At) -> None:
    """Publishing names a way to authenticate that fits the index (the top-level `publish` and each package's)."""
    c = located.config
    publishes = [(c.publish, ("publish",)), *((p.publish, ("packages", n, "publish")) for n, p in c.packages.items())]
    for publish, base in publishes:
        py = publish.python
        if py is None:
            continue
        path: PathKey = (*base, "python")
        where = dotted(path)
        if py.trusted_publishing and py.token_secret:
            at(
                (*path, "token-secret"),
                f"{where}: PyPI and TestPyPI use trusted publishing from the workflow (no token); remove token-secret",
            )
        if not py.trusted_publishing and not py.token_secret:
            at(
                (*path, "index"),
                f"{where}: uploading to {py.index} needs `token-secret`, the name of the secret holding its token",
            )
        if py.token_secret and py.token_secret not in c.env.secrets:
            at(
                (*path, "token-secret"),
                f"{where}.token-secret: {excerpt(py.token_secret)} is not declared in env.secrets",
            )


def _packages(located: Located, at: _At) -> None:
    """Each package's tags are refs git accepts once its name is in them, and no two packages share a tag family
    (each would count the other's tags as its own)."""
    owner: dict[str, str] = {}
    for name, package in located.config.packages.items():
        fmt = package.tag_format_for(name)
        path: PathKey = ("packages", name, "tag-format")
        if path not in located.positions:  # the default format: point at the package's name
            path = ("packages", name, "<key>")
        problem = tag_format(fmt) if "{name}" in package.tag_format else None
        if problem:
            fix = "rename the package, or set its tag-format"
            at(path, f"packages.{name}.tag-format: with the name in it, {problem}; {fix}")
        elif fmt in owner:
            at(
                path,
                f"packages.{name}.tag-format: {excerpt(fmt)} is also packages.{owner[fmt]}'s tag format; give each "
                "package its own (the default `{name}-v{version}` does)",
            )
        owner.setdefault(fmt, name)


def _full_release(located: Located, at: _At) -> None:
    """release.full names a dispatchable workflow and gives only inputs it declares, with fitting values."""
    from releasekit.plan import full_release_key

    c = located.config
    full = c.release.full
    base: PathKey = ("release", "full")
    key = full_release_key(c)
    if key is None:
        if full.inputs:
            at((*base, "inputs"), "release.full.inputs: no workflow is the full release; set release.full.workflow")
        return
    where = "release.full.workflow" if full.workflow else f"the full release (workflows.{key})"
    wf = c.workflows.get(key)
    if wf is None:
        at((*base, "workflow"), f"release.full.workflow: {excerpt(key)} is not a workflow{_suggest(key, c.workflows)}")
        return
    if wf.triggers.workflow_dispatch is None:
        at((*base, "workflow"), f"{where}: {excerpt(key)} has no workflow_dispatch trigger, so it cannot be dispatched")
        return
    declared = wf.triggers.workflow_dispatch.inputs
    for name, value in full.inputs.items():
        spec = declared.get(name)
        if spec is None:
            message = f"workflows.{key} declares no such input{_suggest(name, declared)}"
            at((*base, "inputs", name), f"release.full.inputs.{name}: {message}")
            continue
        problem = _input_problem(spec.type, value, spec.options)
        if problem:
            at((*base, "inputs", name), f"release.full.inputs.{name}: {problem.replace('default ', 'value ', 1)}")


def _next_dev(located: Located, at: _At) -> None:
    """release.next-dev has a PEP 440 file to write the development version into, and nothing that contradicts it."""
    c = located.config
    bump = c.release.next_dev_bump
    if bump is None:
        return
    path: PathKey = ("release", "next-dev")
    value = "true" if c.release.next_dev is True else bump
    for versioning, base in _versionings(c):  # a package's release runs with the repository's release settings
        where = dotted(base)
        if versioning.source == "tag":
            at(
                path,
                f"release.next-dev: {value}, but {where}.source is `tag`: the tag is the version, and between "
                "releases the backend already counts a development version from it (setuptools_scm and hatch-vcs "
                "make X.Y.Z+1.devN); there is no file to start one in. Remove release.next-dev",
            )
            return
        if bump == "major" and versioning.scheme == "calver":
            at(path, "release.next-dev: a calver version has no major; use `minor` (the next release) or `patch`")
        if versioning.files and not any(vf.effective_format == "pep440" for vf in versioning.files):
            at(
                path,
                f"release.next-dev: {value}, but no file in {where}.files is written as PEP 440 (pyproject.toml, "
                "setup.cfg, *.py, or `format: pep440`), and semver files (Cargo.toml, package.json) keep the "
                "released version: there is nothing to start a development version in. Remove release.next-dev",
            )
    for i, existing in enumerate(c.existing_workflows):
        if existing.release == "branch":
            at(
                path,
                f"release.next-dev: {value}, but existing-workflows[{i}] ({existing.file}) releases on a push to "
                f"{c.project.default_branch}, and with next-dev that push is the development commit (the workflow "
                "would release the development version). Remove release.next-dev, or let the tag start the release",
            )


def _check_workflow(located: Located, key: str, at: _At) -> None:
    c = located.config
    wf = c.workflows[key]
    base: PathKey = ("workflows", key)
    t = wf.triggers
    if t.push is None and t.pull_request is None and not t.schedule and t.workflow_dispatch is None:
        at(
            (*base, "triggers"),
            f"workflows.{key}.triggers: nothing starts this workflow; add push, "
            "pull_request, schedule or workflow_dispatch",
        )
    if t.push is not None and not (t.push.branches or t.push.tags):
        at(
            (*base, "triggers", "push"),
            f"workflows.{key}.triggers.push: give branches or tags (a push trigger "
            "without filters runs on every push to every branch and tag)",
        )
    _workflow_names(c, key, wf, base, at)
    _workflow_inputs(c, key, wf, base, at)
    _workflow_steps(located, key, at)


def _workflow_names(c: model.Config, key: str, wf: model.Workflow, base: PathKey, at: _At) -> None:
    """Machines, services and secrets a workflow names exist and may be used."""
    for i, name in enumerate(wf.machines):
        machine = c.machines.get(name)
        if machine is None:
            at(
                (*base, "machines", i),
                f"workflows.{key}.machines[{i}]: no machine named {excerpt(name)}"
                f"{_suggest(name, c.machines)}; declare it under machines",
            )
        elif machine.development_only:
            at(
                (*base, "machines", i),
                f"workflows.{key}.machines[{i}]: {excerpt(name)} is development-only and cannot run workflows",
            )
    for n in _duplicates(wf.machines):
        at((*base, "machines"), f"workflows.{key}.machines: {excerpt(n)} is listed twice")
    for i, name in enumerate(wf.services):
        if name not in c.services:
            at(
                (*base, "services", i),
                f"workflows.{key}.services[{i}]: no service named {excerpt(name)}"
                f"{_suggest(name, c.services)}; declare it under services",
            )
    for i, name in enumerate(wf.secrets):
        if name not in c.env.secrets:
            at(
                (*base, "secrets", i),
                f"workflows.{key}.secrets[{i}]: {excerpt(name)} is not declared in env.secrets"
                f"{_suggest(name, c.env.secrets)}",
            )


def _workflow_inputs(c: model.Config, key: str, wf: model.Workflow, base: PathKey, at: _At) -> None:
    """Dispatch inputs fit GitHub's rules."""
    t = wf.triggers
    if t.workflow_dispatch is not None:
        inputs = t.workflow_dispatch.inputs
        ipath: PathKey = (*base, "triggers", "workflow_dispatch", "inputs")
        # The release-full template declares one more input than those listed: the correlation input.
        added = wf.template_name(key) == "release-full" and CORRELATION_INPUT not in inputs
        if len(inputs) + added > MAX_DISPATCH_INPUTS:
            also = f" (and {CORRELATION_INPUT}, which the release-full template adds)" if added else ""
            at(
                ipath,
                f"workflows.{key}: {len(inputs)} dispatch inputs{also}; GitHub allows at most {MAX_DISPATCH_INPUTS}",
            )
        for name, spec in inputs.items():
            where = f"workflows.{key}.triggers.workflow_dispatch.inputs.{name}"
            message = _input_problem(spec.type, spec.default, spec.options)
            if message:
                at((*ipath, name, "default" if spec.default is not None else "type"), f"{where}: {message}")


def _workflow_steps(located: Located, key: str, at: _At) -> None:
    """Each added step is a command or an action, with only the keys that apply to it, and no secret values."""
    for point, steps in located.config.workflows[key].steps.items():
        for i, step in enumerate(steps):
            path: PathKey = ("workflows", key, "steps", point, i)
            where = f"workflows.{key}.steps.{point}[{i}]"
            if isinstance(step, str):
                message = run_command(step)
                if message:
                    at(path, f"{where}: {message}")
            else:
                _step_problems(located.config.env.secrets, step, path, where, at)


def _step_problems(declared: tuple[str, ...], step: model.Step, path: PathKey, where: str, at: _At) -> None:
    if (step.run is None) == (step.uses is None):
        at(path, f"{where}: give `run` (a command) or `uses` (an action), not {'both' if step.run else 'neither'}")
    if step.with_ and step.uses is None:
        at((*path, "with"), f"{where}: `with` only applies to `uses`")
    if (step.shell or step.working_directory) and step.run is None:
        at(path, f"{where}: `shell` and `working-directory` only apply to `run`")
    for env_key, env_value in step.env.items():
        for secret in re.findall(r"secrets\.([A-Za-z_][A-Za-z0-9_]*)", env_value):
            if secret not in declared and secret != "GITHUB_TOKEN":
                at(
                    (*path, "env", env_key),
                    f"{where}.env.{env_key}: secret {excerpt(secret)} is not declared in env.secrets",
                )
    named = [("env", k, v) for k, v in step.env.items()] + [("with", k, v) for k, v in step.with_.items()]
    for section, name, value in named:
        reason = None if not isinstance(value, str) or "${{" in value else secret_reason(name, value)
        if reason:
            at((*path, section, name), f"{where}.{section}.{name}: this value {reason}. {NEVER_A_SECRET}")


def _input_problem(kind: str, default: object, options: tuple[str, ...]) -> str | None:
    if kind == "choice":
        if not options:
            return "a choice input needs `options`"
        if default is not None and str(default) not in options:
            return f"default {_yaml(default)} is not one of the options {', '.join(options)}"
    elif options:
        return "`options` only applies to type choice"
    if default is None:
        return None
    if kind == "boolean" and not isinstance(default, bool):
        return f"default {_yaml(default)} is not a boolean (true or false)"
    if kind == "number" and (isinstance(default, bool) or not is_number(str(default))):
        return f"default {_yaml(default)} is not a number"
    if kind in ("string", "environment") and isinstance(default, bool):
        return f"default {_yaml(default)} is a boolean; quote it for a string input"
    return None


def _yaml(value: object) -> str:
    """A value as the user wrote it in YAML, not as Python shows it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value) if isinstance(value, str) else str(value)


def _duplicates(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    dup: dict[str, None] = {}  # ordered, at a set's speed: a list here took 2 s for 40,000 names
    for item in items:
        if item in seen:
            dup[item] = None
        seen.add(item)
    return list(dup)


def _suggest(word: str, choices: Iterable[str]) -> str:
    match = closest(word, choices)
    return f" (did you mean {excerpt(match)}?)" if match else ""


if TYPE_CHECKING:
    from collections.abc import Callable

    _At = Callable[[PathKey, str], None]
