"""Workflows a project already has: `init` lists and classifies them and keeps them, `workflows` never refuses
because of them, a release follows the one that releases, and `workflows --adopt FILE` takes one over."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from conftest import git, run_releasekit, snapshot

from releasekit.config.loader import load, parse
from releasekit.config.model import Config
from releasekit.errors import ConfigError
from releasekit.plan import ReleasePlan, ReleaseRun, release_run, release_unfollowed
from releasekit.workflowfiles import classify

if TYPE_CHECKING:
    from releasekit.sandbox.app import Sandbox

# The shapes real projects have (.github/workflows in ../shared/corpus), reduced to what decides the verdict.
TAG_PUBLISH = """name: Publish
on:
  push:
    tags:
      - '*'
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: scripts/publish
"""
TESTS = """name: Test Suite
on:
  push:
    branches: ["main"]
  pull_request:
    branches: ["main"]
jobs:
  tests:
    runs-on: ubuntu-latest
    steps:
      - run: scripts/test
"""
BRANCH_PUBLISH = """name: Release
on:
  push:
    branches:
      - main
jobs:
  build-and-publish:
    runs-on: ubuntu-latest
    steps:
    - run: python -m build .
    - uses: pypa/gh-action-pypi-publish@release/v1
      with:
        skip-existing: true
"""
ON_RELEASE = """on:
  release:
    types: [published]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: pipx run build
"""
DISPATCH = """on:
  workflow_dispatch:
    inputs:
      version:
        required: true
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: echo deploy
"""
TESTS_ON_TAGS = """on:
  push:
    tags: ["[0-9]+.[0-9]+.[0-9]+"]
  pull_request:
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: tox
"""


@pytest.mark.parametrize(
    ("text", "release", "why"),
    [
        (TAG_PUBLISH, "tag", "push of tags *"),
        (TESTS, None, "pull_request, push"),
        (BRANCH_PUBLISH, "branch", "push"),
        (
            BRANCH_PUBLISH.replace("uses: pypa/gh-action-pypi-publish@release/v1", "run: twine upload dist/*"),
            "branch",
            "push",
        ),
        (BRANCH_PUBLISH.replace("uses: pypa/gh-action-pypi-publish@release/v1", "run: echo done"), None, "push"),
        (ON_RELEASE, "published", "release"),
        (DISPATCH, "dispatch", "workflow_dispatch"),
        (DISPATCH.replace("version:", "ref:"), None, "workflow_dispatch"),
        (TESTS_ON_TAGS, None, "pull_request, push of tags [0-9]+.[0-9]+.[0-9]+"),
        (TESTS_ON_TAGS + "      - run: uv publish\n", "tag", "pull_request, push of tags [0-9]+.[0-9]+.[0-9]+"),
        ("on: [push, pull_request]\njobs: {}\n", None, "pull_request, push"),
        ("on: push\njobs: {}\n", None, "push"),
    ],
)
def test_classify_tells_which_workflow_releases(text: str, release: str | None, why: str) -> None:
    found = classify("w.yml", text)
    assert found is not None
    assert (found.release, found.why) == (release, why)


@pytest.mark.parametrize("text", ["", "jobs: {}\n", "on: push\n", "- a list\n", "on: [push\n"])
def test_classify_refuses_what_is_not_a_workflow(text: str) -> None:
    assert classify("w.yml", text) is None


def make_repo(tmp_path: Path, workflows: dict[str, str], *, pyproject: bool = True) -> Path:
    root = tmp_path / "app"
    (root / ".github/workflows").mkdir(parents=True)
    for name, text in workflows.items():
        (root / ".github/workflows" / name).write_text(text)
    if pyproject:
        (root / "pyproject.toml").write_text('[project]\nname = "app"\nversion = "1.2.0"\n')
    git(root, "init", "-q", "-b", "main")
    git(root, "remote", "add", "origin", "https://github.com/acme/app.git")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "start")
    return root


def test_init_lists_and_keeps_existing_workflows_and_workflows_passes(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"publish.yml": TAG_PUBLISH, "test-suite.yml": TESTS, "nightly.yaml": DISPATCH})
    before = (root / ".github/workflows/test-suite.yml").read_text()
    result = run_releasekit("init", cwd=root)
    assert result.returncode == 0, result.stderr
    assert (
        "kept      .github/workflows/publish.yml (existing-workflows; on push of tags *; releases: a pushed "
        "tag starts it" in result.stdout
    )
    assert (
        "kept      .github/workflows/test-suite.yml (existing-workflows; on pull_request, push; does not "
        "release)" in result.stdout
    )
    assert (
        "kept      .github/workflows/nightly.yaml (existing-workflows; on workflow_dispatch; could release "
        "on dispatch)" in result.stdout
    )
    config = load(root / "releasekit.yaml").config
    assert [(e.file, e.release) for e in config.existing_workflows] == [
        ("nightly.yaml", None),  # only the workflow a release follows is marked
        ("publish.yml", "tag"),
        ("test-suite.yml", None),
    ]
    # Nothing generated would duplicate them: publish.yml releases and test-suite.yml tests.
    assert config.workflows == {}
    assert release_run(config) == ReleaseRun("publish.yml", "tag", existing=True)
    workflows = run_releasekit("workflows", cwd=root)
    assert workflows.returncode == 0, workflows.stderr
    assert "kept      .github/workflows/publish.yml (existing, not generated, releases on tag)" in workflows.stdout
    check = run_releasekit("workflows", "--check", cwd=root)
    assert (check.returncode, check.stdout) == (0, "0 generated files up to date.\n")
    assert (root / ".github/workflows/test-suite.yml").read_text() == before


def test_init_generates_what_is_missing_under_a_free_name(tmp_path: Path) -> None:
    """A `release.yml` that does not release stays; the generated release workflow gets another file."""
    not_a_release = "on:\n  workflow_dispatch:\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: x\n"
    root = make_repo(tmp_path, {"release.yml": not_a_release})
    assert run_releasekit("init", cwd=root).returncode == 0
    config = load(root / "releasekit.yaml").config
    assert [(e.file, e.release) for e in config.existing_workflows] == [("release.yml", None)]
    assert config.workflows["release"].file_name("release") == "releasekit-release.yml"
    assert "test-suite" in config.workflows  # no workflow of the project's runs on pull requests
    result = run_releasekit("workflows", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "created   .github/workflows/releasekit-release.yml" in result.stdout
    assert (root / ".github/workflows/release.yml").read_text() == not_a_release
    assert run_releasekit("workflows", "--check", cwd=root).returncode == 0


def test_init_without_workflows_scaffolds_as_before(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {})
    assert run_releasekit("init", cwd=root).returncode == 0
    text = (root / "releasekit.yaml").read_text()
    assert "existing-workflows" not in text
    config = load(root / "releasekit.yaml").config
    assert sorted(config.workflows) == ["release", "test-suite"]


BASE = """project:
  name: app
  repository: acme/app
machines:
  linux:
    runner: ubuntu-24.04
"""
GENERATED_RELEASE = """workflows:
  release:
    triggers:
      push:
        tags: ["v*"]
    machines: [linux]
"""


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            "existing-workflows:\n  - file: release.yml\n" + GENERATED_RELEASE,
            "releasekit.yaml:8:11: existing-workflows[0]: release.yml is also generated by workflows.release; keep "
            "it as yours (give workflows.release another `file`), or take it over (remove this entry, then run "
            "`releasekit workflows --adopt release.yml`)",
        ),
        (
            "existing-workflows:\n  - file: ci.yml\n  - file: CI.yml\n",
            "releasekit.yaml:9:11: existing-workflows[1]: CI.yml is already listed (existing-workflows[0])",
        ),
        (
            "existing-workflows:\n  - file: a.yml\n    release: tag\n  - file: b.yml\n    release: branch\n",
            "releasekit.yaml:11:14: existing-workflows[1]: a release follows one run, and a.yml already releases on "
            "a push; remove `release` from one of them",
        ),
        (
            "existing-workflows:\n  - file: publish.yml\n    release: tag\n" + GENERATED_RELEASE,
            "releasekit.yaml:9:14: existing-workflows[0]: publish.yml releases, and so does workflows.release (the "
            "`release` template): both would publish the release. Remove one, or take this file over with "
            "`releasekit workflows --adopt publish.yml`",
        ),
        (
            "existing-workflows:\n  - file: publish.yml\n    release: tags\n",
            "releasekit.yaml:9:14: existing-workflows[0].release: expected one of tag, branch, published, dispatch, "
            "got 'tags'; did you mean 'tag'?",
        ),
        (
            "existing-workflows:\n  - file: ../publish.yml\n",
            "releasekit.yaml:8:11: existing-workflows[0].file: '../publish.yml' is not valid",
        ),
    ],
)
def test_existing_workflows_are_checked_with_their_line(extra: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse(BASE + extra, "releasekit.yaml", Path())
    assert message in str(raised.value)


def config_of(extra: str) -> Config:
    return parse(BASE + extra, "releasekit.yaml", Path()).config


def test_release_follows_the_existing_release_workflow() -> None:
    config = config_of("existing-workflows:\n  - file: ci.yml\n  - file: publish.yml\n    release: tag\n")
    assert release_run(config) == ReleaseRun("publish.yml", "tag", existing=True)
    branch = config_of("existing-workflows:\n  - file: release.yml\n    release: branch\n")
    assert release_run(branch) == ReleaseRun("release.yml", "branch", existing=True)
    # The generated release workflow (the `release` template) comes first; an existing workflow that only
    # publishes a release's assets can be listed without `release`.
    generated = config_of(GENERATED_RELEASE + "existing-workflows:\n  - file: docs.yml\n")
    assert release_run(generated) == ReleaseRun("release.yml", "tag", existing=False)


@pytest.mark.parametrize(
    ("kind", "says"),
    [
        ("published", "release.yml (an existing workflow) runs when the GitHub release of the tag is published"),
        ("dispatch", "release.yml (an existing workflow) is run by hand with the version"),
    ],
)
def test_a_release_that_cannot_be_followed_says_why(kind: str, says: str) -> None:
    config = config_of(f"existing-workflows:\n  - file: release.yml\n    release: {kind}\n")
    assert release_run(config) is None
    assert says in release_unfollowed(config)
    assert f"5. Nothing to follow: {says}" in plan_text(None, release_unfollowed(config))


def plan_text(run: ReleaseRun | None, unfollowed: str = "") -> str:
    import semver

    return ReleasePlan(
        repository="acme/app",
        version=semver.Version.parse("1.3.0"),
        tag="v1.3.0",
        previous_tag="v1.2.0",
        branch="main",
        base="0" * 40,
        changes=(),
        message="Release 1.3.0",
        sign=False,
        publishes=("what release.yml publishes (an existing workflow: releasekit does not generate it)",),
        changelog_source="none",
        run=run,
        unfollowed=unfollowed,
    ).describe()


def test_the_plan_names_the_run_it_follows() -> None:
    tag = plan_text(ReleaseRun("publish.yml", "tag", existing=True))
    assert (
        "5. Follow the run of publish.yml that the tag starts (event push, ref v1.3.0; an existing workflow, not "
        "generated)" in tag
    )
    branch = plan_text(ReleaseRun("release.yml", "branch", existing=True))
    assert (
        "5. Follow the run of release.yml that the push of main starts (event push, branch main; an existing "
        "workflow, not generated)" in branch
    )


# --- workflows --adopt ------------------------------------------------------------------------------------------

ADOPTING = (
    BASE.replace("  linux:\n", '  linux:\n    python: "3.12"\n')
    + """workflows:
  release:
    file: publish.yml
    triggers:
      push:
        tags: ["v*"]
    machines: [linux]
publish:
  python:
    path: "."
"""
)


def adopt_repo(tmp_path: Path) -> Path:
    root = make_repo(tmp_path, {"publish.yml": TAG_PUBLISH, "test-suite.yml": TESTS})
    (root / "releasekit.yaml").write_text(ADOPTING)
    assert run_releasekit("init", "--lock-only", cwd=root).returncode == 0
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "releasekit")
    return root


def test_workflows_refuses_a_declared_file_it_did_not_write_and_points_at_adopt(tmp_path: Path) -> None:
    root = adopt_repo(tmp_path)
    result = run_releasekit("workflows", cwd=root)
    assert result.returncode == 2
    assert "releasekit workflows --adopt publish.yml" in result.stderr
    assert (root / ".github/workflows/publish.yml").read_text() == TAG_PUBLISH


def test_adopt_shows_the_diff_and_writes_only_when_asked(tmp_path: Path) -> None:
    root = adopt_repo(tmp_path)
    before = snapshot(root)
    shown = run_releasekit("workflows", "--adopt", "publish.yml", cwd=root)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("--- a/.github/workflows/publish.yml\n+++ b/.github/workflows/publish.yml\n")
    assert "-      - run: scripts/publish\n" in shown.stdout
    assert "+# Generated by releasekit" in shown.stdout
    assert "Nothing was written. Replace it with `releasekit workflows --adopt publish.yml --yes`." in shown.stdout
    assert snapshot(root) == before
    written = run_releasekit("workflows", "--adopt", ".github/workflows/publish.yml", "--yes", cwd=root)
    assert written.returncode == 0, written.stderr
    assert (
        "adopted   .github/workflows/publish.yml: its old text is in git: `git show "
        "HEAD:.github/workflows/publish.yml`" in written.stdout
    )
    assert (root / ".github/workflows/publish.yml").read_text().startswith("# Generated by releasekit")
    assert git(root, "show", "HEAD:.github/workflows/publish.yml") + "\n" == TAG_PUBLISH
    assert not (root / ".github/workflows/publish.yml.orig").exists()
    # Now it is releasekit's: `workflows` keeps it, and the other hand-written file is still left alone.
    assert run_releasekit("workflows", "--check", cwd=root).returncode == 0
    assert (root / ".github/workflows/test-suite.yml").read_text() == TESTS


def test_adopt_keeps_a_backup_of_text_git_does_not_have(tmp_path: Path) -> None:
    root = adopt_repo(tmp_path)
    edited = TAG_PUBLISH + "# not committed\n"
    (root / ".github/workflows/publish.yml").write_text(edited)
    written = run_releasekit("workflows", "--adopt", "publish.yml", "--yes", cwd=root)
    assert written.returncode == 0, written.stderr
    assert "its old text is kept in .github/workflows/publish.yml.orig" in written.stdout
    assert (root / ".github/workflows/publish.yml.orig").read_text() == edited
    # A second backup would overwrite the first: refused.
    (root / ".github/workflows/publish.yml").write_text(edited)
    again = run_releasekit("workflows", "--adopt", "publish.yml", "--yes", cwd=root)
    assert again.returncode == 2
    assert "publish.yml.orig (where its text would be kept) exists already" in again.stderr
    assert (root / ".github/workflows/publish.yml").read_text() == edited


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--adopt", "gone.yml"),
            "--adopt gone.yml: .github/workflows/gone.yml does not exist; there is nothing to adopt",
        ),
        (
            ("--adopt", "test-suite.yml"),
            "--adopt test-suite.yml: .github/workflows/test-suite.yml is not declared: "
            "declare the workflow that should replace it under `workflows:` in releasekit.yaml with `file: "
            "test-suite.yml`",
        ),
        (("--adopt", "a/b.yml"), "--adopt a/b.yml: give a file under .github/workflows/"),
        (("--yes",), "--yes goes with --adopt FILE"),
        (("--adopt", "publish.yml", "--check"), "--adopt and --check do not go together"),
    ],
)
def test_adopt_errors_say_what_to_do(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    root = adopt_repo(tmp_path)
    before = snapshot(root)
    result = run_releasekit("workflows", *args, cwd=root)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(root) == before


def test_adopt_refuses_a_file_listed_as_existing_and_one_releasekit_wrote(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"publish.yml": TAG_PUBLISH})
    (root / "releasekit.yaml").write_text(
        BASE
        + "existing-workflows:\n  - file: publish.yml\n    release: tag\n"
        + GENERATED_RELEASE.replace("release:\n", "tests:\n    template: test-suite\n")
    )
    assert run_releasekit("init", "--lock-only", cwd=root).returncode == 0
    listed = run_releasekit("workflows", "--adopt", "publish.yml", cwd=root)
    assert listed.returncode == 2
    assert "is listed under existing-workflows; remove that entry, and declare the workflow" in listed.stderr
    assert run_releasekit("workflows", cwd=root).returncode == 0
    generated = run_releasekit("workflows", "--adopt", "tests.yml", cwd=root)
    assert generated.returncode == 2
    assert "was generated by releasekit already" in generated.stderr


# --- a release that follows an existing workflow, against the sandbox ----------------------------------------------

FOLLOWED = """project:
  name: app
  repository: acme/app
versioning:
  files:
    - path: pyproject.toml
      toml: project.version
existing-workflows:
  - file: release.yml
    release: branch
"""


def test_release_follows_an_existing_workflow_that_the_branch_push_starts(
    tmp_path: Path, github_sandbox: Sandbox
) -> None:
    """sampleproject's shape: release.yml publishes every push to main; the release follows that run and ends
    there, as the workflow makes no GitHub release."""
    root = make_repo(tmp_path, {"release.yml": BRANCH_PUBLISH, "test.yml": TESTS})
    (root / "releasekit.yaml").write_text(FOLLOWED)
    (root / "CHANGELOG.md").write_text("# Changelog\n\n## [Unreleased]\n\n- A change.\n")
    assert run_releasekit("init", "--lock-only", cwd=root).returncode == 0
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "releasekit")
    git(root, "tag", "-a", "v1.2.0", "-m", "Release 1.2.0")
    github_sandbox.create_repo("acme/app", seed=root)
    git(root, "remote", "set-url", "origin", str(github_sandbox.remote_url("acme/app")))
    git(root, "fetch", "-q", "origin")
    git(root, "branch", "-q", "--set-upstream-to=origin/main", "main")
    env = {**github_sandbox.env(), "GIT_AUTHOR_NAME": "R", "GIT_AUTHOR_EMAIL": "r@example.invalid"}
    env.update(GIT_COMMITTER_NAME="R", GIT_COMMITTER_EMAIL="r@example.invalid")
    dry = run_releasekit("release", "1.3.0", "--dry-run", "--skip-ci-check", cwd=root, env=env)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "5. Follow the run of release.yml that the push of main starts (event push, branch main" in dry.stdout
    assert "6. Show the GitHub release of v1.3.0 if release.yml makes one (what it publishes is up to it)" in dry.stdout
    result = run_releasekit("release", "1.3.0", "--skip-ci-check", "--poll", "0.1", cwd=root, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "release.yml run " in result.stdout and " started by main: " in result.stdout
    assert "Released v1.3.0: release.yml (an existing workflow) succeeded: " in result.stdout
    runs = [r for r in github_sandbox.runs("acme/app") if r.path.endswith("release.yml")]
    assert [(r.event, r.head_branch) for r in runs][-1:] == [("push", "main")]
