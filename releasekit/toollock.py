"""The Python tools the generated workflows install, pinned: which requirement sets a config needs, the `python`
section of `releasekit.lock` (exact versions with every file hash), the requirements files rendered from it, where
a package is needed (markers), and the check of the user's own `pip install` steps.

Pure, but for reading and writing the lock file and pyproject.toml; pip and the index are in
`releasekit.backends.pip` (`releasekit lock --update`).
"""

from __future__ import annotations

import json
import re
import shlex
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packaging.markers import Marker, default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from releasekit import __version__
from releasekit.config import model
from releasekit.errors import ReleasekitError
from releasekit.render.files import REQUIREMENTS_DIR as SETS_DIR

RELEASE_SET = "release"
RELEASE_TEMPLATES = ("release", "release-full")
SLA_TEMPLATE = "e2e-tests"  # with performance targets, its `sla` job checks them with releasekit from the release set
SLA_RUNNER = "ubuntu-latest"  # that job's runner: hosted, whatever Python the machines under test have
SLA_PYTHON = "3.12"
# twine 6.1 is the first with trusted publishing built in (an OIDC token from the CI system, exchanged at the
# index, when no password is given); build 1.2 the first to build with `--no-isolation` from a pinned set.
TWINE = "twine>=6.1"
BUILD = "build>=1.2"
_HASH = re.compile(r"^sha256:[0-9a-f]{64}$")
_OS = {
    "linux": ("linux", "Linux", "posix"),
    "macos": ("darwin", "Darwin", "posix"),
    "windows": ("win32", "Windows", "nt"),
}


class LockError(ReleasekitError):
    exit_code = 1


def requirements_path(name: str) -> str:
    """Where the requirements file of set `name` is written, relative to the repository root."""
    return f"{SETS_DIR}/requirements-{name}.txt"


def install_command(name: str) -> str:
    """The one pip command a workflow installs set `name` with: exact versions, every file's hash checked."""
    return f"python -m pip install --require-hashes -r {requirements_path(name)}"


# -- what a config needs ----------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Target:
    """An environment a set is installed in: the runner's OS and Python (None: the Python the lock runs with)."""

    os: str
    python: str | None

    def environment(self) -> dict[str, str]:
        """PEP 508 marker variables of this target."""
        env: dict[str, str] = {k: str(v) for k, v in default_environment().items()}
        sys_platform, system, os_name = _OS.get(self.os, _OS["linux"])
        env.update(sys_platform=sys_platform, platform_system=system, os_name=os_name)
        if self.python:
            env.update(python_version=self.python, python_full_version=f"{self.python}.0")
        return env


def needed_sets(config: model.Config) -> dict[str, tuple[Target, ...]]:
    """Each requirement set the generated workflows install, with the environments it is installed in: `release`
    (build, twine, releasekit) where a release template publishes or the e2e-tests template checks performance
    targets, and every declared `python-requirements` set where a step installs it (the first machine's environment
    if no step does yet)."""
    from releasekit.render import jobs

    sets: dict[str, set[Target]] = {}
    for key, wf in config.workflows.items():
        machines = [(n, config.machines[n]) for n in wf.machines if n in config.machines]
        if not machines:
            continue
        if wf.template_name(key) in RELEASE_TEMPLATES:
            primary = config.machines[jobs.primary_machine(machines)]
            sets.setdefault(RELEASE_SET, set()).add(Target(primary.effective_os, primary.python))
        elif wf.template_name(key) == SLA_TEMPLATE and config.performance.targets:  # it runs `releasekit sla check`
            sets.setdefault(RELEASE_SET, set()).add(Target("linux", SLA_PYTHON))
    for wf in config.workflows.values():
        machines = [(n, config.machines[n]) for n in wf.machines if n in config.machines]
        for name in [*config.python_requirements, *sets]:
            if any(requirements_path(name) in text for text in _step_texts(wf)):
                sets.setdefault(name, set()).update(Target(m.effective_os, m.python) for _, m in machines)
    for name in config.python_requirements:
        if name not in sets:
            first = next(iter(config.machines.values()), None)
            sets[name] = {Target(first.effective_os, first.python) if first else Target("linux", None)}
    return {name: tuple(sorted(targets)) for name, targets in sorted(sets.items())}


def _step_texts(wf: model.Workflow) -> Iterable[str]:
    for steps in wf.steps.values():
        for step in steps:
            text = step if isinstance(step, str) else step.run
            if text:
                yield text


def roots(config: model.Config, root: Path, name: str) -> tuple[str, ...]:
    """The requirements set `name` starts from. For `release`: build and twine, the build backend of the package
    (the workflows build with `--no-isolation`, so the backend comes from the set too), and releasekit: the version
    that generated the workflows, or with `publish.releasekit: checkout` the checkout's own dependencies and build
    backend (the workflow installs the checkout itself with `--no-deps`)."""
    if name != RELEASE_SET:
        return tuple(config.python_requirements.get(name, ()))
    wanted = list(fixed_tools(config))
    if config.publish.python is not None:
        wanted += _pyproject_list(root / config.publish.python.path, ("build-system", "requires"))
    if config.publish.releasekit == "checkout":
        wanted += _pyproject_list(root, ("project", "dependencies"))
        wanted += _pyproject_list(root, ("build-system", "requires"))
    return tuple(sorted(set(wanted), key=str.lower))


def static_roots(config: model.Config, name: str) -> tuple[str, ...] | None:
    """What set `name` wants, as far as the config alone says (the `release` set also reads pyproject.toml files,
    so only its fixed tools are known here; None: compare nothing, `releasekit lock --check` does)."""
    if name != RELEASE_SET:
        return tuple(config.python_requirements.get(name, ()))
    return None


def fixed_tools(config: model.Config) -> tuple[str, ...]:
    """The release set's tools that do not depend on any pyproject.toml."""
    tools = [TWINE]
    if config.publish.python is not None:
        tools.append(BUILD)
    if config.publish.releasekit != "checkout":
        tools.append(f"releasekit=={__version__}")
    return tuple(sorted(tools))


def _pyproject_list(directory: Path, keys: tuple[str, str]) -> list[str]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    path = directory / "pyproject.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise LockError(f"{path}: cannot be read ({exc}); fix it, then run `releasekit lock --update` again") from None
    table = data.get(keys[0])
    value = table.get(keys[1]) if isinstance(table, dict) else None
    return [str(v) for v in value] if isinstance(value, list) else []


# -- the lock's `python` section --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pinned:
    name: str  # canonical
    version: str
    hashes: tuple[str, ...]  # "sha256:<hex>", every file of this version on the index, sorted
    marker: str | None = None  # PEP 508: where the package is needed, when not everywhere

    def line(self) -> str:
        marker = f" ; {self.marker}" if self.marker else ""
        hashes = "".join(f" \\\n    --hash={h}" for h in self.hashes)
        return f"{self.name}=={self.version}{marker}{hashes}\n"


@dataclass(frozen=True)
class LockedSet:
    requires: tuple[str, ...]
    packages: tuple[Pinned, ...] = field(default=())


def parse_section(data: object, file: str) -> dict[str, LockedSet]:
    """The `python` section of a lock file's JSON (absent: {}); a malformed one says where and how to fix it."""
    if data is None:
        return {}
    fix = "run `releasekit lock --update` to write it again"
    if not isinstance(data, dict):
        raise LockError(f'{file}: "python" must be an object of requirement sets; {fix}')
    sets: dict[str, LockedSet] = {}
    for name, entry in data.items():
        try:
            requires = tuple(str(r) for r in entry["requires"])
            packages = tuple(
                Pinned(
                    canonicalize_name(str(pkg)),
                    str(spec["version"]),
                    tuple(str(h) for h in spec["hashes"]),
                    str(spec["marker"]) if spec.get("marker") else None,
                )
                for pkg, spec in entry["packages"].items()
            )
        except (KeyError, TypeError, AttributeError):
            shape = '{"requires": [...], "packages": {...}}'
            raise LockError(f"{file}: python.{name}: expected {shape}; {fix}") from None
        bad = [f"{p.name}: {h!r}" for p in packages for h in p.hashes if not _HASH.match(h)] + [
            f"{p.name}: no hashes" for p in packages if not p.hashes
        ]
        if bad:
            raise LockError(f"{file}: python.{name}: not a sha256 hash list ({bad[0]}); {fix}")
        sets[str(name)] = LockedSet(requires, packages)
    return sets


def section_json(sets: Mapping[str, LockedSet]) -> dict[str, object]:
    return {
        name: {
            "requires": list(s.requires),
            "packages": {
                p.name: {"version": p.version, **({"marker": p.marker} if p.marker else {}), "hashes": list(p.hashes)}
                for p in sorted(s.packages, key=lambda p: p.name)
            },
        }
        for name, s in sorted(sets.items())
    }


def read_section(lock_path: Path) -> dict[str, LockedSet]:
    try:
        data = json.loads(lock_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise LockError(f"{lock_path}: cannot be read ({exc})") from None
    return parse_section(data.get("python") if isinstance(data, dict) else None, lock_path.name)


def write_section(lock_path: Path, sets: Mapping[str, LockedSet]) -> None:
    """Replace the lock's `python` section; every other key is kept as it is."""
    data = json.loads(lock_path.read_text(encoding="utf-8"))
    data["python"] = section_json(sets)
    temp = lock_path.with_name(f".{lock_path.name}.releasekit-tmp")
    temp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8", newline="\n")
    temp.replace(lock_path)


def requirements_body(
    name: str, locked: LockedSet | None, wanted: Sequence[str] | None, fallback: Sequence[str] = ()
) -> str:
    """The requirements file of set `name`. Unlocked (or locked for other requirements than `wanted`), it lists
    what is wanted (or `fallback`) without hashes, so that `pip install --require-hashes` refuses it in CI rather
    than install anything unpinned."""
    if locked is None or (wanted is not None and tuple(wanted) != locked.requires):
        listed = wanted if wanted is not None else fallback
        lines = "".join(f"{r}\n" for r in listed)
        return (
            f"# NOT LOCKED: run `releasekit lock --update` to pin these with their hashes; until then\n"
            f"# `pip install --require-hashes` refuses this file.\n{lines}"
        )
    body = f"# {name}: {', '.join(locked.requires)}\n"
    return body + "".join(p.line() for p in sorted(locked.packages, key=lambda p: p.name))


# -- resolution, the pure part (pip runs in releasekit.backends.pip) ---------------------------------------


@dataclass(frozen=True)
class Resolved:
    """One package pip chose, with its dependencies (name, marker) as its metadata declares them."""

    name: str
    version: str
    # (name, marker, the requirement without its marker, the extras it asks for)
    requires: tuple[tuple[str, str | None, str, frozenset[str]], ...]
    local_files: tuple[Path, ...] = ()  # when it came from --find-links, not the index


def _needed(marker: str | None, env: Mapping[str, str], extras: Iterable[str] = ()) -> bool:
    """Whether a dependency with this marker is needed in `env` when its parent was asked for with `extras`."""
    if marker is None:
        return True
    compiled = Marker(marker)
    return any(compiled.evaluate({**env, "extra": extra}) for extra in ("", *extras))


def reachable(
    roots_: Sequence[str], graph: Mapping[str, Resolved], env: Mapping[str, str]
) -> tuple[set[str], dict[str, str]]:
    """(packages of `graph` needed in `env`, {name: requirement} of the needed packages `graph` lacks)."""
    todo: list[tuple[str, str, frozenset[str]]] = []
    for spec in roots_:
        req = Requirement(spec)
        if _needed(str(req.marker) if req.marker else None, env):
            todo.append((canonicalize_name(req.name), f"{req.name}{req.specifier}", frozenset(req.extras)))
    visited: dict[str, set[str]] = {}  # name -> the extras already followed ("" for the package itself)
    missing: dict[str, str] = {}
    while todo:
        name, spec, extras = todo.pop()
        wanted = {"", *extras}
        if name in missing or wanted <= visited.get(name, set()):
            continue
        node = graph.get(name)
        if node is None:
            missing[name] = spec
            continue
        visited.setdefault(name, set()).update(wanted)
        todo += [(dep, bare, more) for dep, marker, bare, more in node.requires if _needed(marker, env, extras)]
    return set(visited), missing


def marker_for(where: set[Target], targets: Sequence[Target]) -> str | None:
    """The shortest PEP 508 marker true in exactly the targets `where` (of `targets`); None when it is all."""
    if set(targets) <= where:
        return None

    def ors(key: str, values: Iterable[str]) -> str:
        return " or ".join(f'{key} == "{v}"' for v in sorted(set(values)))

    by_os = {_OS.get(t.os, _OS["linux"])[0] for t in where}
    if {t for t in targets if _OS.get(t.os, _OS["linux"])[0] in by_os} == where:
        return ors("sys_platform", by_os)
    pythons = {t.python for t in where}
    if None not in pythons and {t for t in targets if t.python in pythons} == where:
        return ors("python_version", (p for p in pythons if p))
    parts = [
        f'(sys_platform == "{_OS.get(t.os, _OS["linux"])[0]}"'
        + (f' and python_version == "{t.python}")' if t.python else ")")
        for t in sorted(where)
    ]
    return " or ".join(parts)


# -- user steps -------------------------------------------------------------------------------------------------

_PIP_INSTALL = re.compile(r"\bpip3?(?:\.\d+)?\s+install\b(?P<args>[^\n;&|]*)")


def unpinned_installs(config: model.Config) -> list[str]:
    """A warning for each `pip install` in a workflow's steps that installs something without an exact version and
    hash: anything but `--require-hashes -r FILE`, or local paths with `--no-deps`."""
    out = []
    for key, wf in config.workflows.items():
        for point, steps in wf.steps.items():
            for i, step in enumerate(steps):
                text = step if isinstance(step, str) else step.run
                for match in _PIP_INSTALL.finditer(text or ""):
                    if _pinned(match.group("args")):
                        continue
                    command = " ".join(match.group(0).split())
                    out.append(
                        f"workflows.{key}.steps.{point}[{i}]: `{command}` installs packages without pinned versions "
                        "and hashes. Declare them under `python-requirements` (e.g. `python-requirements: {test: "
                        "[pytest]}`), run `releasekit lock --update`, install them with "
                        f"`{install_command('test')}`, then the project itself with "
                        "`python -m pip install --no-deps --no-build-isolation -e .`"
                    )
    return out


def is_pinned_install(text: str) -> bool:
    """Whether every `pip install` in `text` installs only pinned, hashed packages (or the project, --no-deps)."""
    return all(_pinned(match.group("args")) for match in _PIP_INSTALL.finditer(text))


def _pinned(args: str) -> bool:
    try:
        words = shlex.split(args)
    except ValueError:
        words = args.split()
    if "--require-hashes" in words:
        return True
    if "--no-deps" not in words or {"-r", "--requirement", "-c", "--constraint"} & set(words):
        return False
    # With --no-deps, only local paths (the project itself) are fine: a name from an index is still unpinned.
    targets = [w for w in words if not w.startswith("-")]
    return all(w.startswith((".", "/")) or "/" in w for w in targets) and (
        "--no-build-isolation" in words or "--no-index" in words
    )
