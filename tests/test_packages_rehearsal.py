"""The release workflow of a monorepo (`packages:`): the generated `release` workflow starts on each publishing
package's tag family and runs one job that publishes the package the tag names. One end-to-end scene: three packages,
their generated workflows committed, the sandbox as origin running the real `releasekit publish` in that job;
`release auto` after a `feat:` in alpha and a `fix:` in beta ends with two tags, two runs and two published GitHub
releases, each with its own package's changelog section, alpha's with its asset, beta's (a package that declares no
publish settings) with its notes only, and nothing for gamma. The generated workflow
passes actionlint, check-jsonschema and zizmor (pedantic)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from conftest import git, run_releasekit
from small_release import clone, remote_refs
from test_linters import NEEDS_311, tool, zizmor

from releasekit.config.loader import parse
from releasekit.lock import DEFAULT_PINS, lock_text
from releasekit.render.packages import packages_release, tag_glob
from releasekit.sandbox.app import Sandbox
from releasekit.sandbox.rehearsal import publish_command
from releasekit.sandbox.state import Run

REPOSITORY = "acme/mono"
NAMES = ("alpha", "beta", "gamma")
PACKAGE = """  {name}:
    path: {name}
    versioning:
      files:
        - path: {name}/pyproject.toml
          toml: project.version
      changelog: {name}/CHANGELOG.md
{publish}"""
PUBLISH = "    publish:\n      assets: [{name}/NOTICE.txt]\n"
CONFIG = (
    "project:\n  name: mono\n  repository: acme/mono\n"
    "machines:\n  linux:\n    runner: ubuntu-24.04\n    python: '3.12'\n"
    "workflows:\n  release:\n    triggers:\n      push:\n        tags: [alpha-v*, beta-v*, gamma-v*]\n"
    "    machines: [linux]\n"
    "packages:\n"
    + "".join(PACKAGE.format(name=n, publish="" if n == "beta" else PUBLISH.format(name=n)) for n in NAMES)
)
LOG = "# Changelog\n\n## [Unreleased]\n\n## [1.0.0] - 2026-01-05\n\n- First.\n"


def _seed(path: Path) -> Path:
    """Every package at 1.0.0, tagged in its own family, with the generated workflows committed; then a feature in
    alpha and a fix in beta."""
    for name in NAMES:
        (path / name).mkdir(parents=True)
        (path / name / "pyproject.toml").write_text(f'[project]\nname = "{name}"\nversion = "1.0.0"\n')
        (path / name / "CHANGELOG.md").write_text(LOG)
        (path / name / "NOTICE.txt").write_text(f"{name}: the notice shipped with each release\n")
    (path / "releasekit.yaml").write_text(CONFIG)
    (path / "releasekit.lock").write_text(lock_text(DEFAULT_PINS))
    generated = run_releasekit("workflows", cwd=path)
    assert generated.returncode == 0, generated.stderr
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "Every package at 1.0.0")
    for name in NAMES:
        git(path, "tag", "-a", f"{name}-v1.0.0", "-m", f"Release {name} 1.0.0")
    for where, message in (("alpha/fast.py", "feat(start): start twice as fast"), ("beta/parse.py", "fix: empty")):
        (path / where).write_text("X = 1\n")
        git(path, "add", "-A")
        git(path, "commit", "-q", "-m", message)
    return path


def test_a_monorepo_rehearsal_publishes_each_released_package_and_nothing_else(
    tmp_path: Path, sandbox_factory: Callable[..., Sandbox]
) -> None:
    # The sandbox's default rehearsal: the generated publish job runs this releasekit's real `publish`.
    hub = sandbox_factory(publish_command=publish_command(index=False), job_seconds=0.05, queue_seconds=0.02)
    hub.create_repo(REPOSITORY, seed=_seed(tmp_path / "seed"))
    repo = clone(hub.remote_url(REPOSITORY), tmp_path / "work", "Maintainer")
    workflow = (repo / ".github/workflows/release.yml").read_text()
    assert '      - "alpha-v*"\n      - "beta-v*"\n      - "gamma-v*"\n' in workflow
    assert 'releasekit publish "$TAG"\n' in workflow and "id-token" not in workflow  # no trusted publishing here

    done = run_releasekit("release", "auto", "--skip-ci-check", cwd=repo, env=hub.env())
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.endswith("Released alpha-v1.1.0, beta-v1.0.1: tagged and pushed.\n")

    def both_completed() -> list[Run] | None:
        runs = hub.runs(REPOSITORY)
        return runs if len(runs) == 2 and all(r.status == "completed" for r in runs) else None

    runs: list[Run] = hub.wait_for(both_completed, what="the two release runs")
    assert sorted(r.ref for r in runs) == ["refs/tags/alpha-v1.1.0", "refs/tags/beta-v1.0.1"]
    for run in runs:
        [job] = run.jobs
        assert (job.name, job.conclusion) == ("publish the tagged package", "success"), run.ref
        assert job.command == publish_command(index=False)  # the real `releasekit publish`, not a simulation

    full = hub.state.repo("acme", "mono")
    assert full is not None
    releases = {r.tag_name: r for r in hub.state.releases.values() if r.repo == full.full_name}
    assert sorted(releases) == ["alpha-v1.1.0", "beta-v1.0.1"]  # nothing for gamma
    for tag, entry, assets in (
        ("alpha-v1.1.0", "- **start:** start twice as fast", ["NOTICE.txt", "SHA256SUMS"]),
        ("beta-v1.0.1", "- empty", []),  # beta publishes no file: its notes only, no SHA256SUMS of nothing
    ):
        release = releases[tag]
        assert not release.draft and release.body is not None and entry in release.body, (tag, release.body)
        assert sorted(a.name for a in release.assets) == assets, tag
    assert "start twice as fast" not in (releases["beta-v1.0.1"].body or "")  # each its own package's notes
    assert not any(ref.startswith("refs/tags/gamma-v1.0.1") for ref in remote_refs(repo))
    assert len(hub.runs(REPOSITORY)) == 2  # the branch push started nothing, gamma had no tag to start a run
    again = run_releasekit("publish", "beta-v1.0.1", cwd=repo, env=hub.env())  # re-runnable: left as it is
    assert again.returncode == 0, again.stderr
    assert again.stdout.endswith("\nbeta-v1.0.1 was already published; nothing changed.\n"), again.stdout
    assert hub.state.releases[releases["beta-v1.0.1"].id].assets == []


# -- the generated workflow ------------------------------------------------------------------------------------------


def test_the_tag_families_are_filter_patterns_of_exactly_the_packages_tags() -> None:
    from releasekit.config.globs import filter_pattern_to_regex

    cases = {
        "{name}-v{version}": ("dialog-v2.0.3", "dialog-js-v2.0.1"),
        "@scope/ui@{version}": ("@scope/ui@1.2.0", "@scope/uix@1.2.0"),
        "lib+{version}": ("lib+1.0.0", "libb1.0.0"),
        "{version}": ("1.0.0", "nightly"),
        "v{version}-lts": ("v2.0.0-lts", "v2.0.0"),
    }
    for tag_format, (tag, other) in cases.items():
        pattern = filter_pattern_to_regex(tag_glob(tag_format.replace("{name}", "dialog")))
        assert pattern.match(tag) and not pattern.match(other), (tag_format, tag_glob(tag_format))


def _config(tmp_path: Path, packages: str, workflow: str = "") -> Path:
    root = tmp_path / "mono"
    root.mkdir(parents=True, exist_ok=True)
    (root / "releasekit.yaml").write_text(
        "project:\n  name: mono\n  repository: acme/mono\n"
        "machines:\n  linux:\n    runner: ubuntu-24.04\n    python: '3.12'\n"
        f"workflows:\n  release:\n    triggers:\n      workflow_dispatch: {{}}\n    machines: [linux]\n{workflow}"
        f"env:\n  secrets: [LIB_TOKEN]\npackages:\n{packages}"
    )
    (root / "releasekit.lock").write_text(lock_text(DEFAULT_PINS))
    return root


PYTHON_PACKAGES = """  app:
    path: app
    publish: {python: {path: app}}
  lib:
    path: lib
    tag-format: "lib+{version}"
    publish: {python: {path: lib, index: "https://pypi.example.org/legacy/", token-secret: LIB_TOKEN}}
  docs:
    path: docs
"""


def test_permissions_environment_and_secrets_are_those_the_packages_need(tmp_path: Path) -> None:
    root = _config(tmp_path, PYTHON_PACKAGES)
    plan = packages_release(parse((root / "releasekit.yaml").read_text(), "releasekit.yaml", root).config, None)
    assert (plan.publishing, plan.silent) == (("app", "lib"), ("docs",))
    assert plan.tags == ("app-v*", "docs-v*", "lib\\+*")  # every package's: docs gets a notes-only release
    assert (plan.trusted, plan.environments, plan.token_secrets) == (True, ("pypi",), ("LIB_TOKEN",))
    result = run_releasekit("workflows", cwd=root)
    assert result.returncode == 0, result.stderr
    text = (root / ".github/workflows/release.yml").read_text()
    # Every package's tag family (docs publishes no file, but gets its release), added to the declared triggers.
    tags = '    tags:\n      - "app-v*"\n      - "docs-v*"\n      - "lib\\\\+*"\n'
    assert f"on:\n  push:\n{tags}  workflow_dispatch: {{}}\n" in text
    assert "    environment:\n      name: pypi\n" in text
    assert "      id-token: write # trusted publishing" in text  # app uploads to PyPI by trusted publishing
    assert "          LIB_TOKEN: ${{ secrets.LIB_TOKEN }}\n" in text

    notes = _config(tmp_path / "n", "  docs:\n    path: docs\n")  # no package publishes a file: notes only
    written = run_releasekit("workflows", cwd=notes)
    assert written.returncode == 0, written.stderr
    text = (notes / ".github/workflows/release.yml").read_text()
    assert '      - "docs-v*"\n' in text and "      contents: write" in text and "id-token" not in text
    two = _config(tmp_path / "e", PYTHON_PACKAGES, workflow="    environment: release\n")
    refused = run_releasekit("workflows", cwd=two)
    assert refused.returncode == 2
    assert "one deployment environment, but it would need pypi, release" in refused.stderr


@NEEDS_311
def test_the_packages_release_workflow_passes_actionlint_check_jsonschema_and_zizmor(tmp_path: Path) -> None:
    root = _config(tmp_path, PYTHON_PACKAGES, workflow="    steps:\n      build: [make notice]\n")
    result = run_releasekit("workflows", cwd=root)
    assert result.returncode == 0, result.stderr
    files = [str(root / ".github/workflows/release.yml")]
    checks = [
        [tool("actionlint"), "-no-color"],
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows"],
    ]
    for args in checks:
        proc = subprocess.run([*args, *files], capture_output=True, text=True, check=False, cwd=root)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = zizmor("pedantic", root / ".github/workflows", home=tmp_path)
    assert proc.returncode == 0 and "No findings to report" in proc.stdout + proc.stderr, proc.stdout + proc.stderr


def test_a_branch_trigger_is_refused_where_it_is_declared(tmp_path: Path) -> None:
    root = _config(tmp_path, PYTHON_PACKAGES)
    text = (root / "releasekit.yaml").read_text()
    (root / "releasekit.yaml").write_text(text.replace("workflow_dispatch: {}", "push: {branches: [main]}"))
    refused = run_releasekit("workflows", cwd=root)
    assert refused.returncode == 2
    assert "releasekit.yaml:" in refused.stderr and "a branch push names no package" in refused.stderr
