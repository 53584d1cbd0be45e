"""The typed, frozen model of `releasekit.yaml`; field metadata drives both loading and the JSON Schema."""

from __future__ import annotations

import dataclasses
from collections.abc import ItemsView, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from releasekit.github_rules import MAX_DISPATCH_INPUTS

NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
# A requirement by name, optional extras and version specifiers (PEP 508 without markers, URLs or paths): each
# entry of `python-requirements` (checked where the sets are read, render.engine.check_requirements).
_SPEC = r"(?:==|>=|<=|~=|!=|<|>) *[A-Za-z0-9.*+!_-]+"
REQUIREMENT = rf"^[A-Za-z0-9][A-Za-z0-9._-]*(?:\[[A-Za-z0-9._,-]+\])?(?: *{_SPEC}(?: *, *{_SPEC})*)?$"
REPOSITORY = r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]+$"
WORKFLOW_FILE = r"^[A-Za-z0-9][A-Za-z0-9_.-]*\.ya?ml$"
ACTION = r"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+(?:/[A-Za-z0-9._/-]+)?$"
PYTHON_VERSION = r"^3\.[0-9]{1,2}(?:\.[0-9]{1,3})?$"

# GitHub-hosted runner images (docs: "GitHub-hosted runners" > "Supported runners and hardware resources").
HOSTED_RUNNERS: Mapping[str, str] = {
    "ubuntu-latest": "linux",
    "ubuntu-24.04": "linux",
    "ubuntu-22.04": "linux",
    "ubuntu-24.04-arm": "linux",
    "ubuntu-22.04-arm": "linux",
    "macos-latest": "macos",
    "macos-26": "macos",
    "macos-15": "macos",
    "macos-15-intel": "macos",
    "macos-14": "macos",
    "macos-13": "macos",
    "windows-latest": "windows",
    "windows-2025": "windows",
    "windows-2022": "windows",
    "windows-11-arm": "windows",
}


def meta(
    doc: str,
    *,
    alias: str | None = None,
    pattern: str | None = None,
    minimum: int | None = None,
    maximum: int | None = None,
    check: str | None = None,
    key_pattern: str | None = None,
    min_items: int | None = None,
    examples: tuple[Any, ...] = (),
    rest: bool = False,
) -> dict[str, Any]:
    """Field metadata: the YAML key (kebab-case by default), docs, and the constraints both loader and schema use.
    `check` names a function in `releasekit.config.checks` that returns None for a fine value, else a message.
    `rest` marks the dict field of a mapping that takes every key the other fields do not name (`performance`:
    `gate`, and targets by name beside it)."""
    return {
        "doc": doc,
        "alias": alias,
        "pattern": pattern,
        "minimum": minimum,
        "maximum": maximum,
        "check": check,
        "key_pattern": key_pattern,
        "min_items": min_items,
        "examples": examples,
        "rest": rest,
    }


def yaml_key(f: dataclasses.Field[Any]) -> str:
    """The key a field has in YAML."""
    alias = f.metadata.get("alias")
    return alias if isinstance(alias, str) else f.name.replace("_", "-")


@dataclass(frozen=True)
class Project:
    """Who the project is on GitHub and how its release tags are spelled."""

    name: str = field(metadata=meta("Project name, used in workflow names and messages.", pattern=NAME))
    repository: str = field(
        metadata=meta("The GitHub repository, `owner/name`.", pattern=REPOSITORY, examples=("fluxion-app/fluxion",))
    )
    default_branch: str = field(default="main", metadata=meta("The branch releases are cut from.", check="ref_pattern"))
    tag_format: str = field(
        default="v{version}",
        metadata=meta("How a version becomes a git tag; must contain `{version}` once.", check="tag_format"),
    )


@dataclass(frozen=True)
class VersionFile:
    """One file that carries the project's version, and where in it."""

    path: str = field(metadata=meta("Path relative to the repository root (use `/`).", check="relative_path"))
    toml: str | None = field(
        default=None, metadata=meta("Dotted TOML key, e.g. `project.version`.", check="dotted_key")
    )
    json: str | None = field(default=None, metadata=meta("Dotted JSON key, e.g. `version`.", check="dotted_key"))
    yaml: str | None = field(default=None, metadata=meta("Dotted YAML key, e.g. `version`.", check="dotted_key"))
    regex: str | None = field(
        default=None,
        metadata=meta(
            "Python regex (multi-line mode) with a named group `version`, for any other file.", check="version_regex"
        ),
    )
    format: Literal["semver", "pep440"] | None = field(
        default=None,
        metadata=meta(
            "How the version is written here: `semver` (1.4.0-rc.1) or `pep440` (1.4.0rc1). "
            "Default: pep440 for `pyproject.toml`, `setup.cfg` and `*.py`, semver otherwise."
        ),
    )

    @property
    def effective_format(self) -> Literal["semver", "pep440"]:
        if self.format is not None:
            return self.format
        name = self.path.rsplit("/", 1)[-1]
        return "pep440" if name in ("pyproject.toml", "setup.cfg") or name.endswith(".py") else "semver"


@dataclass(frozen=True)
class Versioning:
    """Every place the version lives, and the changelog."""

    source: Literal["files", "tag"] = field(
        default="files",
        metadata=meta(
            "Where the version comes from: `files` (the release edits `files`, then tags) or `tag` (the git tag is "
            "the version, as with setuptools_scm, hatch-vcs, pdm-backend's scm source or dunamai: nothing to edit; "
            "preflight builds with that version and checks the built metadata says it)."
        ),
    )
    scheme: Literal["semver", "pep440", "calver"] = field(
        default="semver",
        metadata=meta(
            "What bump words mean and how versions are written: `semver` (MAJOR.MINOR.PATCH), `pep440` (1.4: "
            "`patch` 1.4.1, `minor` 1.5, `major` 2.0) or `calver` (YY.N like 26.2, or YYYY.MM.MICRO: `minor` is the "
            "next release of the year, a new year's first in a new year; `patch` a fix). PEP 440 and CalVer versions "
            "keep their written form in files and tags (26.2 is tagged 26.2). `releasekit init` picks it from the tags."
        ),
    )
    files: tuple[VersionFile, ...] = field(
        default=(),
        metadata=meta(
            "Every file that carries the version (a release needs at least one when `source` is `files`; with "
            "`source: tag` any listed here are edited too)."
        ),
    )
    changelog: str | None = field(
        default="CHANGELOG.md",
        metadata=meta(
            "Changelog (Markdown or reST) whose `Unreleased` section a release promotes in the file's own style; "
            "towncrier's file when the project configures towncrier.",
            check="relative_path",
        ),
    )


@dataclass(frozen=True)
class Machine:
    """A runner: a GitHub-hosted image, or a self-hosted machine selected by its labels."""

    runner: str | None = field(
        default=None, metadata=meta("GitHub-hosted image, e.g. `ubuntu-24.04`, `macos-14`, `windows-2022`.")
    )
    labels: tuple[str, ...] | None = field(
        default=None,
        metadata=meta(
            "Self-hosted runner labels (`self-hosted` is added first). Give `runner` or `labels`, not both.",
            pattern=r"^[A-Za-z0-9_.-]+$",
            min_items=1,
        ),
    )
    os: Literal["linux", "macos", "windows"] | None = field(
        default=None, metadata=meta("Operating system; required for self-hosted machines.")
    )
    os_version: str | None = field(
        default=None, metadata=meta("OS release, for people, e.g. `macOS Monterey (12.7.4)`.")
    )
    arch: Literal["x64", "arm64"] | None = field(default=None, metadata=meta("CPU architecture, if it matters."))
    python: str | None = field(
        default=None,
        metadata=meta('Python version used on this machine, quoted: `"3.12"`.', pattern=PYTHON_VERSION),
    )
    setup_python: bool | None = field(
        default=None,
        metadata=meta(
            "Install `python` with actions/setup-python. Default: true on hosted runners, false on self-hosted "
            "(which use their own interpreter or venv)."
        ),
    )
    development_only: bool = field(
        default=False,
        metadata=meta("A developer machine: documented here, never used by a workflow."),
    )
    host: str | None = field(default=None, metadata=meta("Host name or address, for people (not used by CI)."))
    path: str | None = field(default=None, metadata=meta("Where the checkout lives on this machine."))
    role: str | None = field(default=None, metadata=meta("What the machine is for."))

    @property
    def self_hosted(self) -> bool:
        return self.labels is not None

    @property
    def effective_os(self) -> str:
        if self.os is not None:
            return self.os
        return HOSTED_RUNNERS.get(self.runner or "", "linux")

    @property
    def runs_on(self) -> str | list[str]:
        if self.labels is not None:
            return ["self-hosted", *self.labels]
        return self.runner or ""

    @property
    def uses_setup_python(self) -> bool:
        if self.python is None:
            return False
        return self.setup_python if self.setup_python is not None else not self.self_hosted


@dataclass(frozen=True)
class Service:
    """A long-running process a workflow starts and health-checks (E2E tests)."""

    port: int = field(metadata=meta("TCP port it listens on.", minimum=1, maximum=65535))
    start: str = field(metadata=meta("Shell command that starts it (runs in the background).", check="run_command"))
    working_directory: str = field(
        default=".", metadata=meta("Directory to start it in, relative to the checkout.", check="relative_path")
    )
    health: str = field(
        default="/health", metadata=meta("HTTP path that answers 2xx when it is ready.", pattern=r"^/\S*$")
    )
    start_timeout: int = field(
        default=60, metadata=meta("Seconds to wait for the health check.", minimum=1, maximum=3600)
    )
    description: str | None = field(default=None, metadata=meta("What the service is."))


@dataclass(frozen=True)
class Env:
    """Environment variables. Values only for plain settings; secrets and variables by name only."""

    values: dict[str, str] = field(
        default_factory=dict,
        metadata=meta(
            "Plain, non-secret settings written into the workflows' `env:` (e.g. `TTS_ENGINE: chatterbox`).",
            key_pattern=ENV_NAME,
        ),
    )
    vars: tuple[str, ...] = field(
        default=(),
        metadata=meta("Names of repository variables, used as `${{ vars.NAME }}`.", pattern=ENV_NAME),
    )
    secrets: tuple[str, ...] = field(
        default=(),
        metadata=meta("Names of repository secrets, used as `${{ secrets.NAME }}`. Never a value.", pattern=ENV_NAME),
    )


@dataclass(frozen=True)
class PushTrigger:
    """`on.push`: branch and tag filters."""

    EMPTY_MEANS_ON: ClassVar[bool] = True  # `pull_request:` alone turns the trigger on

    branches: tuple[str, ...] = field(default=(), metadata=meta("Branch filter patterns.", check="ref_pattern"))
    tags: tuple[str, ...] = field(default=(), metadata=meta("Tag filter patterns, e.g. `v*`.", check="ref_pattern"))
    paths: tuple[str, ...] = field(default=(), metadata=meta("Path filter patterns.", check="path_pattern"))


@dataclass(frozen=True)
class PullRequestTrigger:
    """`on.pull_request`: base-branch filters."""

    EMPTY_MEANS_ON: ClassVar[bool] = True  # `pull_request:` alone turns the trigger on

    branches: tuple[str, ...] = field(default=(), metadata=meta("Base branch filter patterns.", check="ref_pattern"))
    paths: tuple[str, ...] = field(default=(), metadata=meta("Path filter patterns.", check="path_pattern"))


@dataclass(frozen=True)
class DispatchInput:
    """One `workflow_dispatch` input."""

    type: Literal["string", "boolean", "choice", "number", "environment"] = field(
        default="string", metadata=meta("Input type, as GitHub defines them.")
    )
    description: str | None = field(default=None, metadata=meta("Shown in the Run workflow form."))
    required: bool = field(default=False, metadata=meta("Whether a value must be given."))
    default: str | bool | int | None = field(default=None, metadata=meta("Default value."))
    options: tuple[str, ...] = field(default=(), metadata=meta("Choices (type `choice` only)."))


@dataclass(frozen=True)
class DispatchTrigger:
    """`on.workflow_dispatch`: manual runs with typed inputs."""

    EMPTY_MEANS_ON: ClassVar[bool] = True  # `pull_request:` alone turns the trigger on

    inputs: dict[str, DispatchInput] = field(
        default_factory=dict,
        metadata=meta(f"Inputs by name (at most {MAX_DISPATCH_INPUTS}).", key_pattern=r"^[A-Za-z_][A-Za-z0-9_-]*$"),
    )


@dataclass(frozen=True)
class Triggers:
    """What starts a workflow (written as `on:` in the generated file)."""

    push: PushTrigger | None = field(default=None, metadata=meta("Run on pushes."))
    pull_request: PullRequestTrigger | None = field(
        default=None, metadata=meta("Run on pull requests.", alias="pull_request")
    )
    schedule: tuple[str, ...] = field(
        default=(), metadata=meta("Cron expressions (UTC, POSIX syntax).", check="cron", examples=("0 3 * * 1",))
    )
    workflow_dispatch: DispatchTrigger | None = field(
        default=None, metadata=meta("Allow manual runs.", alias="workflow_dispatch")
    )


@dataclass(frozen=True)
class Step:
    """A step a project adds at one of a template's extension points."""

    name: str | None = field(default=None, metadata=meta("Step name shown in the run."))
    run: str | None = field(
        default=None,
        metadata=meta(
            "Shell command. No `${{ }}` expressions: pass values through `env:` and use `$NAME`.", check="run_command"
        ),
    )
    uses: str | None = field(
        default=None,
        metadata=meta(
            "An action `owner/repo[/path]`, without `@ref`: it is pinned from `releasekit.lock`.", pattern=ACTION
        ),
    )
    with_: dict[str, str | bool | int] = field(
        default_factory=dict, metadata=meta("Inputs of the action.", alias="with")
    )
    env: dict[str, str] = field(default_factory=dict, metadata=meta("Step environment.", key_pattern=ENV_NAME))
    shell: Literal["bash", "sh", "pwsh", "powershell", "cmd", "python"] | None = field(
        default=None, metadata=meta("Shell for `run` (default: bash on every OS).")
    )
    working_directory: str | None = field(
        default=None, metadata=meta("Directory for `run`, relative to the checkout.", check="relative_path")
    )


@dataclass(frozen=True)
class Workflow:
    """One generated workflow file."""

    triggers: Triggers = field(metadata=meta("What starts it (the generated `on:`)."))
    machines: tuple[str, ...] = field(
        metadata=meta("Machines it runs on; several make a matrix.", min_items=1, pattern=NAME)
    )
    file: str | None = field(
        default=None, metadata=meta("File name under .github/workflows/ (default: `<key>.yml`).", pattern=WORKFLOW_FILE)
    )
    name: str | None = field(default=None, metadata=meta("Display name (default: from the key)."))
    template: str | None = field(
        default=None,
        metadata=meta(
            "Template name (default: the key): built-in `test-suite`, `e2e-tests`, `release`, `release-full`, "
            "or `templates/<name>.yml.j2` in the project.",
            pattern=NAME,
        ),
    )
    services: tuple[str, ...] = field(
        default=(), metadata=meta("Services started and health-checked before the tests.", pattern=NAME)
    )
    secrets: tuple[str, ...] = field(
        default=(),
        metadata=meta("Secrets (declared in `env.secrets`) this workflow's steps receive.", pattern=ENV_NAME),
    )
    environment: str | None = field(
        default=None,
        metadata=meta(
            "GitHub deployment environment for the job that receives the secrets: secrets can then be scoped to "
            "it, and it can require a reviewer.",
            pattern=NAME,
        ),
    )
    steps: dict[str, tuple[Step | str, ...]] = field(
        default_factory=dict,
        metadata=meta(
            "Steps added at the template's extension points (e.g. `setup`, `test`, `build`); a string is a `run`.",
            key_pattern=NAME,
        ),
    )
    timeout_minutes: int = field(default=30, metadata=meta("Job timeout in minutes.", minimum=1, maximum=4320))

    def display_name(self, key: str) -> str:
        return self.name or key.replace("-", " ").replace("_", " ").title()

    def file_name(self, key: str) -> str:
        return self.file or f"{key}.yml"

    def template_name(self, key: str) -> str:
        return self.template or key


@dataclass(frozen=True)
class ExistingWorkflow:
    """A workflow file releasekit did not write and leaves as it is (`releasekit init` lists the ones it finds)."""

    file: str = field(
        metadata=meta("File name under .github/workflows/, e.g. `publish.yml`.", pattern=WORKFLOW_FILE)
    )
    release: Literal["tag", "branch", "published", "dispatch"] | None = field(
        default=None,
        metadata=meta(
            "How it releases, if it does: `tag` (a pushed tag starts it) and `branch` (a push to the default branch "
            "starts it): `releasekit release` follows its run; `published` (a published GitHub release starts it) "
            "and `dispatch` (run by hand with a version input): the plan says so and nothing is followed."
        ),
    )


@dataclass(frozen=True)
class PythonPackage:
    """A Python distribution the release builds and uploads."""

    path: str = field(default=".", metadata=meta("Directory holding its pyproject.toml.", check="relative_path"))
    index: str = field(
        default="pypi",
        metadata=meta(
            "`pypi` or `testpypi` (trusted publishing from the workflow), or an index upload URL "
            "(twine with `token-secret`).",
            pattern=r"^(pypi|testpypi|https?://\S+)$",
        ),
    )
    token_secret: str | None = field(
        default=None,
        metadata=meta("Secret holding the upload token for a URL index.", pattern=ENV_NAME),
    )
    environment: str = field(
        default="pypi", metadata=meta("GitHub deployment environment the upload job runs in.", pattern=NAME)
    )

    @property
    def trusted_publishing(self) -> bool:
        return self.index in ("pypi", "testpypi")


@dataclass(frozen=True)
class Publish:
    """What a release ships."""

    assets: tuple[str, ...] = field(
        default=(), metadata=meta("Globs of files attached to the GitHub release.", check="asset_glob")
    )
    python: PythonPackage | None = field(default=None, metadata=meta("The Python package to build and upload."))
    releasekit: Literal["index", "checkout"] = field(
        default="index",
        metadata=meta(
            "Where the generated release jobs get the `releasekit` that runs `releasekit publish`: `index` installs "
            "the exact version that generated the workflows from the package index; `checkout` installs the tagged "
            "checkout itself (`pip install .`), for releasekit and its forks, whose first release is on no index."
        ),
    )


# A package's name (the key under `packages`): npm scopes (`@scope/name`) and folders (`/`) allowed.
PACKAGE_NAME = r"^[A-Za-z0-9@][A-Za-z0-9@._/-]*$"


@dataclass(frozen=True)
class Package:
    """One package of a monorepo, released on its own: its folder, its tag family, its version files and changelog,
    and what its release ships. `releasekit release NAME VERSION` releases it (`Config.for_package`)."""

    path: str = field(
        metadata=meta("The package's folder, relative to the repository root (use `/`).", check="relative_path")
    )
    tag_format: str = field(
        default="{name}-v{version}",
        metadata=meta(
            "How a version of this package becomes a git tag: `{version}` once, and `{name}` for the package's key "
            "(kept as written, `/` and `@` too).",
            check="package_tag_format",
        ),
    )
    versioning: Versioning = field(
        default=Versioning(),
        metadata=meta(
            "Where this package's version lives and its changelog, as the top-level `versioning`; paths are relative "
            "to the repository root, like the top-level ones (no implicit prefix)."
        ),
    )
    publish: Publish = field(
        default=Publish(),
        metadata=meta("What this package's release ships, as the top-level `publish` (default: nothing)."),
    )

    def tag_format_for(self, name: str) -> str:
        """The tag format with the package's name in place of `{name}`."""
        return self.tag_format.replace("{name}", name)


@dataclass(frozen=True)
class FullRelease:
    """How `releasekit release-full` dispatches the manual full release."""

    workflow: str | None = field(
        default=None,
        metadata=meta(
            "Key of the workflow to dispatch (under `workflows`). Default: the one built from the `release-full` "
            "template, else the only one whose `workflow_dispatch` declares a `version` input.",
            pattern=NAME,
        ),
    )
    ref: str = field(
        default="{tag}",
        metadata=meta(
            "The branch or tag to run the workflow on; `{tag}` and `{version}` are replaced.", check="ref_template"
        ),
    )
    inputs: dict[str, str | bool | int] = field(
        default_factory=dict,
        metadata=meta(
            "Values for the workflow's dispatch inputs, by name; `{version}` is replaced in strings. The `version` "
            "input (and the correlation input) are filled in without being listed.",
            key_pattern=r"^[A-Za-z_][A-Za-z0-9_-]*$",
        ),
    )


@dataclass(frozen=True)
class ReleaseSettings:
    """How `releasekit release` cuts a release."""

    sign_tags: bool = field(
        default=False,
        metadata=meta(
            "Sign the release tag with your git signing key (`git tag --sign`) instead of only annotating it."
        ),
    )
    commit_message: str = field(
        default="Release {version}",
        metadata=meta("Message of the release commit and the tag; `{version}` is replaced.", check="message_format"),
    )
    full: FullRelease = field(
        default=FullRelease(), metadata=meta("The manual full release (`releasekit release-full`).")
    )
    next_dev: bool | Literal["major", "minor", "patch"] = field(
        default=False,
        metadata=meta(
            "After the release commit and its tag, a second commit starts the next development version in the "
            "PEP 440 version files, as pip, click and poetry do: `true` or `minor` (1.4.0 -> 1.5.0.dev0), `patch` "
            "(1.4.1.dev0) or `major` (2.0.0.dev0); the branch is pushed at it, the tag stays on the release commit. "
            "Semver files (Cargo.toml, package.json, tauri.conf.json) keep the released version. Not with "
            "`versioning.source: tag`."
        ),
    )
    next_dev_message: str = field(
        default="Start version {version}",
        metadata=meta(
            "Message of the development commit (`release.next-dev`); `{version}` is the development version.",
            check="message_format",
        ),
    )
    breaking_before_1: Literal["minor", "major"] = field(
        default="minor",
        metadata=meta(
            "What a breaking change (`feat!:`, a `BREAKING CHANGE:` footer) bumps in `releasekit release auto` while "
            "the version is below 1.0.0: `minor` (0.3.2 -> 0.4.0; 0.x promises no stability) or `major` "
            "(0.3.2 -> 1.0.0). From 1.0.0 on it always bumps major."
        ),
    )

    @property
    def next_dev_bump(self) -> Literal["major", "minor", "patch"] | None:
        """How `next-dev` moves the released version (`true` is `minor`), or None when it is off."""
        if isinstance(self.next_dev, bool):
            return "minor" if self.next_dev else None
        return self.next_dev


@dataclass(frozen=True)
class Budget:
    """A performance target, exported to end-to-end jobs as `SLA_<NAME>_MS` for the tests to assert."""

    target_ms: int = field(metadata=meta("Upper bound in milliseconds.", minimum=1, maximum=86_400_000))
    layer: str | None = field(default=None, metadata=meta("Layer of the system, e.g. `L0`."))
    operation: str | None = field(default=None, metadata=meta("What is measured, e.g. `Regex match`."))
    statistic: Literal["p50", "p95", "p99", "max"] = field(
        default="p95",
        metadata=meta(
            "Which statistic of the samples must stay within `target-ms` (nearest-rank percentiles; `max` is the "
            "slowest sample)."
        ),
    )
    min_samples: int = field(
        default=5,
        metadata=meta(
            "Fewest samples that count as measured; with fewer the target is `not measured`, which fails "
            "`releasekit sla check` unless `allow-missing`.",
            minimum=1,
            maximum=1_000_000,
        ),
    )
    allow_missing: bool = field(
        default=False,
        metadata=meta("Pass `releasekit sla check` when this target has no (or too few) samples, saying so."),
    )

    @staticmethod
    def env_name(key: str) -> str:
        return "SLA_" + key.upper().replace("-", "_").replace(".", "_") + "_MS"


@dataclass(frozen=True)
class SlaGate:
    """The performance gate `releasekit release` and `release-full` pass: the latest E2E run's results on the commit
    (or an ancestor) must meet every target."""

    enabled: bool = field(
        default=True,
        metadata=meta("Whether a release needs the evidence (`--skip-sla-check` skips it for one release)."),
    )
    workflow: str | None = field(
        default=None,
        metadata=meta(
            "Key under `workflows` whose runs hold the evidence (default: the one from the `e2e-tests` template).",
            pattern=NAME,
        ),
    )
    max_age: str = field(
        default="7d",
        metadata=meta(
            "How long ago the E2E run may have finished: minutes, hours or days, e.g. `90m`, `36h`, `7d`.",
            pattern=r"^[1-9][0-9]{0,5}[mhd]$",
        ),
    )
    artifact: str = field(
        default="sla-results",
        metadata=meta("Name of the run's artifact that holds the results.", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$"),
    )

    @property
    def max_age_seconds(self) -> float:
        unit = {"m": 60, "h": 3600, "d": 86400}[self.max_age[-1]]
        return float(int(self.max_age[:-1]) * unit)


@dataclass(frozen=True)
class Performance:
    """Performance targets by name, each exported to end-to-end jobs as `SLA_<NAME>_MS` and checked by
    `releasekit sla check`; and `gate`, how a release is held to them. Reads like the mapping of targets."""

    gate: SlaGate = field(default=SlaGate(), metadata=meta("The release gate."))
    targets: dict[str, Budget] = field(
        default_factory=dict,
        metadata=meta(
            "Performance targets by name (any key but `gate`).",
            key_pattern=r"^[A-Za-z][A-Za-z0-9_-]*$",
            rest=True,
        ),
    )

    def items(self) -> ItemsView[str, Budget]:
        return self.targets.items()

    def __iter__(self) -> Iterator[str]:
        return iter(self.targets)

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, name: str) -> Budget:
        return self.targets[name]


@dataclass(frozen=True)
class Config:
    """The whole of `releasekit.yaml`."""

    project: Project = field(metadata=meta("The project and its repository."))
    versioning: Versioning = field(default=Versioning(), metadata=meta("Where the version lives."))
    machines: dict[str, Machine] = field(default_factory=dict, metadata=meta("Runners by name.", key_pattern=NAME))
    services: dict[str, Service] = field(default_factory=dict, metadata=meta("Services by name.", key_pattern=NAME))
    env: Env = field(default=Env(), metadata=meta("Environment variables, secrets by name."))
    workflows: dict[str, Workflow] = field(
        default_factory=dict, metadata=meta("Workflows to generate, by key.", key_pattern=NAME)
    )
    existing_workflows: tuple[ExistingWorkflow, ...] = field(
        default=(),
        metadata=meta(
            "Workflow files you wrote, kept as they are: `releasekit workflows` never writes or checks them "
            "(`releasekit workflows --adopt FILE` takes one over)."
        ),
    )
    publish: Publish = field(default=Publish(), metadata=meta("What a release ships."))
    release: ReleaseSettings = field(default=ReleaseSettings(), metadata=meta("How a release is cut."))
    performance: Performance = field(
        default=Performance(), metadata=meta("Performance targets by name, and the release gate (`gate`).")
    )
    python_requirements: dict[str, tuple[str, ...]] = field(
        default_factory=dict,
        metadata=meta(
            "Python packages the workflows' own steps install, as named sets of requirements (`name>=1.0`): "
            "`releasekit lock --update` pins each set's exact versions and file hashes in `releasekit.lock`, and "
            "`releasekit workflows` writes `.github/releasekit/requirements-<set>.txt`, which a step installs with "
            "`python -m pip install --require-hashes -r .github/releasekit/requirements-<set>.txt`.",
            key_pattern=NAME,
        ),
    )
    packages: dict[str, Package] = field(
        default_factory=dict,
        metadata=meta(
            "The packages of a monorepo, by name, each released on its own with `releasekit release NAME VERSION` "
            "and tagged in its own family (`{name}-v{version}`). Without it the repository is one package.",
            key_pattern=PACKAGE_NAME,
        ),
    )

    def package_names(self) -> list[str]:
        """The declared packages' names, sorted."""
        return sorted(self.packages)

    def for_package(self, name: str) -> Config:
        """This config as one package sees it: the package's tag format, versioning and publish, and commit messages
        that name it; the rest (machines, workflows, env, release settings, the packages) the repository's. The release
        machinery runs on it unchanged.
        Raises KeyError for a name that is not declared."""
        package = self.packages[name]
        project = dataclasses.replace(self.project, tag_format=package.tag_format_for(name))
        # The commit and tag say which package they release: "Release {version}" reads "Release dialog {version}".
        named = f"{name} {{version}}"
        release = dataclasses.replace(
            self.release,
            commit_message=self.release.commit_message.replace("{version}", named),
            next_dev_message=self.release.next_dev_message.replace("{version}", named),
        )
        return dataclasses.replace(
            self, project=project, versioning=package.versioning, publish=package.publish, release=release
        )
