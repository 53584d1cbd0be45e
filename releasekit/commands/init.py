"""Scaffold releasekit.yaml (with the version files and GitHub repository found here), releasekit.lock and a
noxfile.py for an existing repository. Existing files are never overwritten."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from releasekit.errors import ConfigError, ReleasekitError, UsageError
from releasekit.links import docs

if TYPE_CHECKING:
    from releasekit.detect import Detection

# The oldest nox that reads a noxfile's inline script metadata (PEP 723) and makes an environment from it.
NOX_REQUIREMENT = "nox>=2025.2.9"


def noxfile_text() -> str:
    """The noxfile init writes: its `# /// script` block names this releasekit, so any nox 2025.02 or later (a
    global one, pipx's) runs the sessions; where releasekit is not installed beside nox, nox makes an environment
    with it first (in .nox/), as it does for a PEP 723 script."""
    from releasekit import __version__

    return (
        "# /// script\n"
        f'# dependencies = ["{NOX_REQUIREMENT}", "releasekit=={__version__}"]\n'
        "# ///\n"
        '"""Nox sessions: `import releasekit.nox` adds `workflows`, `release -- VERSION`, `release_full -- VERSION`\n'
        "and `publish -- TAG`. Any nox 2025.02 or later runs them (the block above says what they need).\"\"\"\n"
        "\n"
        "import releasekit.nox  # noqa: F401\n"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lock-only", action="store_true", help="only write releasekit.lock (the action pins)")
    parser.add_argument("--name", help="project name (default: the directory name)")


def run(args: argparse.Namespace) -> int:
    from releasekit.config.model import NAME
    from releasekit.detect import detect
    from releasekit.lock import DEFAULT_PINS, LOCK_NAME, lock_text
    from releasekit.render.writer import Change, OverwriteRefused, apply

    root = Path(args.directory).resolve()
    if not root.is_dir():
        raise UsageError(f"{args.directory}: no such directory")
    if args.name is not None and not re.match(NAME, args.name):
        raise UsageError(f"--name {args.name!r}: use letters, digits, '.', '_' and '-' (e.g. voice-app)")
    planned: dict[Path, str] = {root / LOCK_NAME: lock_text(DEFAULT_PINS)}
    notes: list[str] = []
    if not args.lock_only:
        detection = detect(root)
        name = args.name or _project_name(root.name)
        planned[root / args.config] = scaffold(detection, name)
        notes += list(detection.notes)
        if detection.repository is None:
            notes.append("no GitHub origin remote: set project.repository in releasekit.yaml")
        if not (root / "noxfile.py").exists():
            planned[root / "noxfile.py"] = noxfile_text()
    existing = [p for p in planned if p.exists()]
    if existing:
        names = ", ".join(str(p.relative_to(root)) for p in existing)
        raise OverwriteRefused(
            f"{names} already exist{'s' * (len(existing) == 1)}; releasekit init writes only new "
            "files. Move them away to start over. Nothing was written."
        )
    if not args.lock_only:
        # What init writes must load: a scaffold that fails its own validation is a bug, caught before writing.
        from releasekit.config.loader import parse

        try:
            parse(planned[root / args.config], args.config, root)
        except ConfigError as exc:
            raise ReleasekitError(
                f"the scaffold releasekit init made does not load (a bug in releasekit, please "
                f"report it); nothing was written:\n{exc}"
            ) from None
    changes = [Change(p.relative_to(root).as_posix(), "missing", None, text) for p, text in planned.items()]
    apply(root, changes)  # all files or none
    for change in changes:
        print(f"created   {change.path}")
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    if not args.lock_only:
        print("\nNext: review releasekit.yaml, then run `releasekit workflows` (or `nox -s workflows`).")
    return 0


def _project_name(directory: str) -> str:
    cleaned = "".join(c if (c.isascii() and c.isalnum()) or c in "._-" else "-" for c in directory).strip("-._")
    return cleaned or "project"


def scaffold(detection: Detection, name: str) -> str:
    """The text of a starting releasekit.yaml for what `detect` found. Pure."""
    from releasekit.render.yamltext import q

    repo = detection.repository or f"your-org/{name}"
    lines = [
        f"# releasekit.yaml: how this project is tested and released. Reference: {docs('config.md')}",
        "# Generate the workflows with `releasekit workflows` (or `nox -s workflows`).",
        "",
        "project:",
        f"  name: {q(name)}",
        f"  repository: {q(repo)}" + ("" if detection.repository else "  # no GitHub origin found: set this"),
        f"  default-branch: {q(detection.default_branch)}",
        "  tag-format: v{version}",
        "",
        "versioning:",
    ]
    if detection.changelog:
        lines.append(f"  changelog: {q(detection.changelog)}")
    if detection.version_files:
        lines.append("  files:")
        for vf in detection.version_files:
            lines.append(f"    - path: {q(vf.path)}")
            lines.append(f"      {vf.kind}: {q(vf.locator)}")
            lines.append(f"      format: {vf.format}  # found {vf.version}")
    else:
        lines.append("  files: []  # no version file found: add the files that carry the version (see the reference)")
    pyprojects = [vf.path for vf in detection.version_files if vf.path.endswith("pyproject.toml")]
    package_dir = pyprojects[0].rsplit("/", 1)[0] if pyprojects and "/" in pyprojects[0] else "."
    lines += [
        "",
        "machines:",
        "  linux:",
        "    runner: ubuntu-24.04",
        '    python: "3.12"',
        "",
        "workflows:",
        "  test-suite:",
        "    triggers:",
        "      push:",
        f"        branches: [{q(detection.default_branch)}]",
        "      pull_request:",
        f"        branches: [{q(detection.default_branch)}]",
        "    machines: [linux]",
    ]
    if pyprojects:
        lines += [
            "    steps:",
            "      setup:",
            f"        - python -m pip install -e {q(package_dir)} pytest",
            "      test:",
            "        - python -m pytest",
            "  release:",
            "    triggers:",
            "      push:",
            '        tags: ["v*"]',
            "    machines: [linux]",
            "",
            "publish:",
            "  python:",
            f"    path: {q(package_dir)}",
            "    index: pypi  # trusted publishing: configure it on PyPI for this repository and release.yml",
        ]
    else:
        lines += [
            "    # steps:",
            "    #   setup: [make deps]",
            "    #   test: [make test]",
        ]
    return "\n".join(lines) + "\n"
