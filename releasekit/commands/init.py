"""Scaffold releasekit.yaml (with the version files and GitHub repository found here, and a monorepo's packages),
releasekit.lock and a noxfile.py for an existing repository. Existing files are never overwritten."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from releasekit.errors import ConfigError, ReleasekitError, UsageError
from releasekit.links import docs

if TYPE_CHECKING:
    from collections.abc import Sequence

    from releasekit.detect import Detection
    from releasekit.monorepo import Monorepo, PackagePlan
    from releasekit.tagguess import TagGuess
    from releasekit.workflowfiles import ExistingWorkflowFile

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
    parser.add_argument(
        "--single",
        action="store_true",
        help="in a monorepo, write the config for the repository itself (its own files and tags), not `packages:`",
    )


def run(args: argparse.Namespace) -> int:
    from releasekit.config.model import NAME
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
        detection = _detect(root, single=args.single)
        name = args.name or _project_name(root.name)
        detection, packages = _packages(root, detection, single=args.single)
        planned[root / args.config] = scaffold(detection, name, packages)
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
    if not args.lock_only:
        _print_packages(packages, args.config)
        _print_existing(detection.workflows)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    if not args.lock_only:
        print("\nNext: review releasekit.yaml, then run `releasekit workflows` (or `nox -s workflows`).")
    return 0


def _detect(root: Path, *, single: bool) -> Detection:
    """What `detect` finds; a monorepo whose packages were not found (tag families only) is refused (nothing
    written) unless `single`."""
    from releasekit.detect import detect

    detection = detect(root)
    if detection.monorepo is not None and not detection.monorepo.packages and not single:
        raise UsageError(_monorepo_refusal(detection.monorepo))
    return detection


def _monorepo_refusal(monorepo: Monorepo) -> str:
    return (
        f"this repository is a monorepo: {monorepo.summary()}, but releasekit found no package folders to match "
        "them (npm, pnpm, yarn, Cargo or uv workspaces, or folders that each hold a pyproject.toml with its own "
        "version).\n"
        f"Nothing was written. Declare the packages by hand (`packages:`, {docs('config.md')}), or run "
        "`releasekit init --single` to write the config for the repository itself: its own version files and its "
        "own tags (v<version>, not <package>-v<version>)."
    )


def _packages(root: Path, detection: Detection, *, single: bool) -> tuple[Detection, list[PackagePlan]]:
    """The `packages:` entries for a monorepo (none otherwise, or with `single`), and the detection with the
    top-level versioning that goes with them."""
    from releasekit.monorepo import plan

    if detection.monorepo is None or single:
        return detection, []
    packages = plan(root, detection.monorepo, detection.package_files)
    return (_root_versioning(detection, packages) if packages else detection), packages


def _root_versioning(detection: Detection, packages: Sequence[PackagePlan]) -> Detection:
    """In a monorepo with `packages:`, the top-level versioning is the repository's own: its root manifests, and
    files elsewhere (outside the packages) only at a version a root manifest holds; others are left out, noted
    (a template's or a private example app's manifest is nobody's release). The Python packages are noted: the
    release workflow publishes each, by trusted publishing, which PyPI must be told about."""
    import dataclasses

    root = {vf.version for vf in detection.version_files if "/" not in vf.path}
    kept = tuple(vf for vf in detection.version_files if "/" not in vf.path or vf.version in root)
    notes = tuple(
        f"{vf.path}: holds {vf.version}, outside the packages and not at the version of a manifest at the root: "
        "left out of the top-level versioning; add it to versioning.files if it moves with the repository"
        for vf in detection.version_files
        if vf not in kept
    )
    python = [p.name for p in packages if p.package.manifest == "pyproject.toml"]
    if python:
        notes += (
            f"the Python packages ({', '.join(python)}) declare publish.python: the release workflow uploads the one "
            "a pushed tag names (`releasekit publish TAG`), by trusted publishing: configure it on PyPI for each",
        )
    return dataclasses.replace(detection, version_files=kept, notes=(*detection.notes, *notes))


def _print_packages(packages: Sequence[PackagePlan], config: str, most: int = 6) -> None:
    if packages:
        names = ", ".join(p.name for p in packages[:most]) + (", ..." if len(packages) > most else "")
        print(f"{'found':9} {len(packages)} packages: {names} (`packages:` in {config})")


def _print_existing(existing: Sequence[ExistingWorkflowFile]) -> None:
    """One line per workflow the project has: init keeps each, and says what starts it and whether it releases."""
    from releasekit.render.files import WORKFLOWS_DIR
    from releasekit.workflowfiles import release_text, releasing

    releaser = releasing(existing)
    for w in existing:
        what = release_text(w.release) if w.release is None or w is releaser else f"could release on {w.release}"
        print(f"{'kept':9} {WORKFLOWS_DIR}/{w.file} (existing-workflows; on {w.why or 'nothing'}; {what})")


def _project_name(directory: str) -> str:
    cleaned = "".join(c if (c.isascii() and c.isalnum()) or c in "._-" else "-" for c in directory).strip("-._")
    return cleaned or "project"


def _versioning_lines(detection: Detection) -> list[str]:
    """The `versioning:` section's lines: where the version comes from, the changelog, the version files."""
    from releasekit.render.yamltext import q

    lines = []
    if detection.version_source == "tag":
        lines.append("  source: tag  # the build backend takes the version from the git tag: a release edits no file")
    if detection.changelog:
        lines.append(f"  changelog: {q(detection.changelog)}")
    if detection.version_files:
        lines.append("  files:")
        for vf in detection.version_files:
            lines.append(f"    - path: {q(vf.path)}")
            lines.append(f"      {vf.kind}: {q(vf.locator)}")
            lines.append(f"      format: {vf.format}  # found {vf.version}")
    elif detection.version_source == "tag":
        lines.append("  files: []")
    else:
        lines.append("  files: []  # no version file found: add the files that carry the version (see the reference)")
    return lines


def scaffold(detection: Detection, name: str, packages: Sequence[PackagePlan] = ()) -> str:
    """The text of a starting releasekit.yaml for what `detect` found, with `packages` (a monorepo's) declared.
    Pure."""
    from releasekit.render.yamltext import q

    repo = detection.repository or f"your-org/{name}"
    guess = _tag_guess(detection)
    lines = [
        f"# releasekit.yaml: how this project is tested and released. Reference: {docs('config.md')}",
        "# Generate the workflows with `releasekit workflows` (or `nox -s workflows`).",
        *([] if packages else _monorepo_lines(detection.monorepo)),
        "",
        "project:",
        f"  name: {q(name)}",
        f"  repository: {q(repo)}" + ("" if detection.repository else "  # no GitHub origin found: set this"),
        f"  default-branch: {q(detection.default_branch)}",
        f"  tag-format: {q(guess.tag_format)}  # {guess.found}",
        "",
        "versioning:",
        f"  scheme: {guess.scheme}  # {_SCHEME_NOTES[guess.scheme]}",
        *_versioning_lines(detection),
        *_packages_lines(detection.monorepo, packages),
    ]
    pyprojects = [vf.path for vf in detection.version_files if vf.path.endswith("pyproject.toml")]
    pyprojects = pyprojects or list(detection.python_projects)  # a dynamic version is in another file, or the tag
    if packages and detection.monorepo is not None:  # the packages' own are theirs
        pyprojects = [path for path in pyprojects if not detection.monorepo.owns(path)]
    package_dir = pyprojects[0].rsplit("/", 1)[0] if pyprojects and "/" in pyprojects[0] else "."
    lines += [
        "",
        "machines:",
        "  linux:",
        "    runner: ubuntu-24.04",
        '    python: "3.12"',
        "",
    ]
    # A monorepo's release workflow starts on every package's tags: each gets its GitHub release (the Python ones
    # their distributions too, the others their changelog section as notes).
    package_tags = [p.tag_format.replace("{name}", p.name) for p in packages] if packages else None
    workflow_lines, release_file, existing = _workflow_lines(detection, pyprojects, package_dir, package_tags)
    lines += workflow_lines
    if existing:  # the project's own workflow uploads; a release still checks the package builds and is new there
        publish_note = f"{release_file} uploads it; a release checks first that it builds and is not on PyPI yet"
    else:
        publish_note = f"trusted publishing: configure it on PyPI for this repository and {release_file}"
    if pyprojects:
        lines += [
            "",
            "publish:",
            "  python:",
            f"    path: {q(package_dir)}",
            f"    index: pypi  # {publish_note}",
        ]
    return "\n".join(lines) + "\n"


def _packages_lines(monorepo: Monorepo | None, packages: Sequence[PackagePlan]) -> list[str]:
    """The `packages:` section: each package's folder, tag format, version files, changelog and (for a Python
    package) what its release publishes."""
    import datetime
    import textwrap

    from releasekit.render.yamltext import q
    from releasekit.tagguess import guess_scheme
    from releasekit.version import written

    if monorepo is None or not packages:
        return []
    year = datetime.datetime.now(datetime.timezone.utc).year
    text = (
        f"A monorepo: {monorepo.summary()}. Each package is released on its own: "
        "`releasekit release PACKAGE VERSION`; the top-level versioning is the repository's own."
    )
    lines = ["", *textwrap.wrap(text, width=116, initial_indent="# ", subsequent_indent="# ", break_on_hyphens=False)]
    lines.append("packages:")
    for p in packages:
        found = (
            f"latest {p.latest_tag}" if p.latest_tag else f"no tag yet, {p.package.manifest} holds {p.package.version}"
        )
        lines += [
            f"  {q(p.name)}:",
            f"    path: {q(p.package.path)}",
            f"    tag-format: {q(p.tag_format)}  # {found}",
            "    versioning:",
        ]
        held = written(p.package.version)
        scheme = guess_scheme([held], year=year) if held is not None else "semver"
        if scheme != "semver":
            lines.append(f"      scheme: {scheme}  # {_SCHEME_NOTES[scheme]}")
        if p.changelog is not None:
            lines.append(f"      changelog: {q(p.changelog)}")
        elif p.changelog_of is not None:
            lines.append(f"      changelog: null  # the folder's changelog follows {p.changelog_of}")
        else:
            lines.append("      changelog: null")
        lines.append("      files:")
        for vf in p.files:
            lines += [f"        - path: {q(vf.path)}", f"          {vf.kind}: {q(vf.locator)}"]
        if p.package.manifest == "pyproject.toml":
            lines += ["    publish:", "      python:", f"        path: {q(p.package.path)}"]
    return lines


def _monorepo_lines(monorepo: Monorepo | None) -> list[str]:
    """The scaffold's header in a monorepo (`init --single`): what was found, and that this config is the root's."""
    import textwrap

    if monorepo is None:
        return []
    text = (
        f"A monorepo: {monorepo.summary()}. Written with --single: one version for the repository itself, from its "
        "own files and tags; without --single, init declares the packages (`packages:`), each released on its own."
    )
    return textwrap.wrap(text, width=116, initial_indent="# ", subsequent_indent="# ", break_on_hyphens=False)


_SCHEME_NOTES = {
    "semver": "MAJOR.MINOR.PATCH: patch 1.4.1 -> 1.4.2, minor -> 1.5.0, major -> 2.0.0",
    "pep440": "versions as written (1.4): patch -> 1.4.1, minor -> 1.5, major -> 2.0",
    "calver": "year first (26.2, 2026.12.1): minor -> the year's next release, patch -> a fix",
}


def _tag_guess(detection: Detection) -> TagGuess:
    """The tag format and version scheme the repository's tags follow (the files' version when it has none)."""
    import datetime

    from releasekit.monorepo import tag_family
    from releasekit.tagguess import guess_tag_format

    held = detection.version_files[0].version if detection.version_files else None
    year = datetime.datetime.now(datetime.timezone.utc).year
    tags = detection.tags
    if detection.monorepo is not None:  # the repository's own tags, not its packages' families
        tags = tuple(tag for tag in tags if tag_family(tag) is None)
    return guess_tag_format(tags, held, year=year)


def _tag_glob(tag_format: str) -> str:
    """The `push.tags` filter that starts the release workflow for the tags `tag_format` makes: `v*`, `release-*`,
    and `[0-9]*` for bare versions (so a tag such as `nightly` does not release)."""
    from releasekit.render.packages import tag_glob

    return tag_glob(tag_format)


def _workflow_lines(
    detection: Detection, pyprojects: list[str], package_dir: str, package_tags: Sequence[str] | None = None
) -> tuple[list[str], str, bool]:
    """The scaffold's `existing-workflows` and `workflows`, the file that will release, and whether that file is
    one of the project's own. In a monorepo, `package_tags` are its packages' tag formats: the release workflow
    starts on their tag families and publishes the package a tag names (its GitHub release, and what it publishes).

    Workflows the project has are kept as they are; a generated one is declared only for what none of them does
    (two workflows publishing one tag would upload twice), and never under a file name already taken."""
    from releasekit import workflowfiles
    from releasekit.render.yamltext import q

    existing = detection.workflows
    releaser, tester = workflowfiles.releasing(existing), workflowfiles.testing(existing)
    taken = {w.file.lower() for w in existing}
    lines = _existing_lines(existing, releaser) if existing else []
    test_suite: list[str] = []
    if tester is None:
        test_suite = [
            "  test-suite:",
            *_file_line("test-suite", taken),
            "    triggers:",
            "      push:",
            f"        branches: [{q(detection.default_branch)}]",
            "      pull_request:",
            f"        branches: [{q(detection.default_branch)}]",
            "    machines: [linux]",
        ]
        if pyprojects:
            test_suite += [
                "    steps:",
                "      setup:",
                f"        - python -m pip install -e {q(package_dir)} pytest",
                "      test:",
                "        - python -m pytest",
            ]
        else:
            test_suite += ["    # steps:", "    #   setup: [make deps]", "    #   test: [make test]"]
    release: list[str] = []
    publishes = bool(pyprojects) if package_tags is None else bool(package_tags)
    if publishes and releaser is None:
        globs = (
            list(dict.fromkeys(_tag_glob(t) for t in package_tags))
            if package_tags
            else [_tag_glob(_tag_guess(detection).tag_format)]
        )
        release = [
            "  release:",
            *_file_line("release", taken),
            "    triggers:",
            "      push:",
            f"        tags: [{', '.join(q(g) for g in globs)}]",
            "    machines: [linux]",
        ]
    if test_suite or release:
        lines.append("workflows:")
        lines += test_suite or [f"  # test-suite: not generated, {tester.file if tester else ''} tests"]
        lines += release or ([f"  # release: not generated, {releaser.file} releases"] if releaser else [])
    else:
        if tester is not None and tester is releaser:
            kept = f"{tester.file} tests and releases"
        else:
            kept = " and ".join(
                k for k in (tester and f"{tester.file} tests", releaser and f"{releaser.file} releases") if k
            )
        lines.append(f"workflows: {{}}  # none generated: {kept}")
    if releaser is not None:
        return lines, releaser.file, True
    return lines, _file_name("release", taken), False


def _file_name(key: str, taken: set[str]) -> str:
    """A generated workflow's file: `<key>.yml`, or `releasekit-<key>.yml` when a workflow the project wrote has
    that name."""
    return f"releasekit-{key}.yml" if f"{key}.yml" in taken else f"{key}.yml"


def _file_line(key: str, taken: set[str]) -> list[str]:
    name = _file_name(key, taken)
    return [] if name == f"{key}.yml" else [f"    file: {name}  # {key}.yml is a workflow of yours"]


def _existing_lines(existing: Sequence[ExistingWorkflowFile], releaser: ExistingWorkflowFile | None) -> list[str]:
    """The scaffold's `existing-workflows`: each workflow file found, with what starts it and whether it releases;
    only `releaser` is marked `release:` (a release follows one run), the others say so in a comment."""
    from releasekit.workflowfiles import release_text

    out = [
        "# Workflows you wrote: kept as they are (`releasekit workflows` never writes or checks them).",
        "# `releasekit workflows --adopt FILE` shows how a generated one would differ, and takes it over.",
        "existing-workflows:",
    ]
    for w in existing:
        out.append(f"  - file: {w.file}  # on {w.why or 'nothing'}; {release_text(w.release)}")
        if w is releaser:
            out.append(f"    release: {w.release}")
        elif w.release is not None:
            out.append(f"    # release: {w.release}  (not marked: {releaser.file if releaser else ''} is the release)")
    return [*out, ""]
