"""A monorepo's packages (`packages:` in releasekit.yaml): the config and its errors, `Config.for_package` (the view
every release step runs on), and `releasekit release PACKAGE VERSION` and `releasekit publish TAG` on a tiny real
repository (tmp_path, real git): two Python packages, `alpha/` and `beta/`, each with its own pyproject.toml version,
CHANGELOG.md and tag family (`alpha-v1.0.0`, `beta-v1.0.0`). A real release pushes to the sandbox over HTTP."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import git, run_releasekit
from small_release import clone, remote_refs, state

from releasekit.config.loader import parse
from releasekit.errors import ConfigError
from releasekit.journal import Journal
from releasekit.sandbox.app import Sandbox
from releasekit.steps.apply import step_hook

REPOSITORY = "acme/mono"
CONFIG = """project:
  name: mono
  repository: acme/mono
packages:
  alpha:
    path: alpha
    versioning:
      files:
        - path: alpha/pyproject.toml
          toml: project.version
      changelog: alpha/CHANGELOG.md
  beta:
    path: beta
    versioning:
      files:
        - path: beta/pyproject.toml
          toml: project.version
      changelog: beta/CHANGELOG.md
"""
ALPHA_LOG = "# Changelog\n\n## [Unreleased]\n\n- Faster start.\n\n## [1.0.0] - 2026-01-05\n\n- First.\n"
BETA_LOG = "# Changelog\n\n## [Unreleased]\n\n## [1.0.0] - 2026-01-05\n\n- First.\n"


def _seed(path: Path) -> Path:
    """Both packages at 1.0.0, each tagged in its own family; then a fix to beta and a change to neither."""
    for name, log in (("alpha", ALPHA_LOG), ("beta", BETA_LOG)):
        (path / name).mkdir(parents=True)
        (path / name / "pyproject.toml").write_text(f'[project]\nname = "{name}"\nversion = "1.0.0"\n')
        (path / name / "CHANGELOG.md").write_text(log)
    (path / "releasekit.yaml").write_text(CONFIG)
    (path / "releasekit.lock").write_text('{"lock-version": 1, "actions": {}}\n')  # no workflow: no pin needed
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "Alpha and beta 1.0.0")
    git(path, "tag", "-a", "alpha-v1.0.0", "-m", "Release alpha 1.0.0")
    git(path, "tag", "-a", "beta-v1.0.0", "-m", "Release beta 1.0.0")
    (path / "beta" / "parse.py").write_text("EMPTY = ''\n")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "fix(parse): accept empty input")
    (path / "README.md").write_text("# mono\n")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "feat: a README for the repository")  # touches neither package
    return path


def _local(tmp_path: Path) -> Path:
    """The monorepo with a bare origin on disk (no GitHub: enough for dry runs and usage errors)."""
    repo = _seed(tmp_path / "mono")
    git(tmp_path, "init", "-q", "--bare", "origin.git")
    git(repo, "remote", "add", "origin", str(tmp_path / "origin.git"))
    git(repo, "push", "-q", "origin", "main", "--tags")
    return repo


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One monorepo for the tests that change nothing (each checks that it did not)."""
    return _local(tmp_path_factory.mktemp("packages"))


# -- the config ---------------------------------------------------------------------------------------------------


def test_the_config_loads_packages_and_gives_each_a_view() -> None:
    text = CONFIG + "  '@acme/gamma':\n    path: js/gamma\n    publish:\n      assets: [js/gamma/dist/*.tgz]\n"
    config = parse(text, "releasekit.yaml", Path("/nonexistent-root")).config
    assert config.package_names() == ["@acme/gamma", "alpha", "beta"]
    view = config.for_package("alpha")
    assert view.project.tag_format == "alpha-v{version}"
    assert [f.path for f in view.versioning.files] == ["alpha/pyproject.toml"]
    assert view.versioning.changelog == "alpha/CHANGELOG.md"
    assert view.publish == config.packages["alpha"].publish
    # The commit and tag messages name the package; everything else is the repository's, and the config itself is
    # unchanged (the view is a new value).
    assert (view.release.commit_message, view.release.next_dev_message) == (
        "Release alpha {version}",
        "Start version alpha {version}",
    )
    back = dataclasses.replace(view, project=config.project, versioning=config.versioning, publish=config.publish)
    assert dataclasses.replace(back, release=config.release) == config
    assert config.project.tag_format == "v{version}"
    gamma = config.for_package("@acme/gamma")
    assert gamma.project.tag_format == "@acme/gamma-v{version}"  # the name kept as written, `@` and `/` too
    assert gamma.publish.assets == ("js/gamma/dist/*.tgz",)
    assert gamma.versioning.files == ()


@pytest.mark.parametrize(
    ("more", "where", "message"),
    [
        ("  gamma:\n    tag-format: gamma-{version}\n", "20:5", "missing key 'path' in packages.gamma"),
        ("  'gamma..x':\n    path: g\n", "19:3", "packages.gamma..x.tag-format: with the name in it, tag format"),
        ("  gamma:\n    path: g\n    tag-format: alpha-v{version}\n", "21:17", "is also packages.alpha's tag format"),
        ("  gamma:\n    path: g\n    tag-format: '{name}-{vers}'\n", "21:17", "must contain {version} exactly once"),
        ("  gamma:\n    path: ../g\n", "20:11", "packages.gamma.path: '../g' leaves the repository"),
        ("  -gamma:\n    path: g\n", "19:3", "packages: invalid name '-gamma'"),
        (
            "  gamma:\n    path: g\n    versioning:\n      files:\n        - path: g/pyproject.toml\n",
            "23:11",
            "packages.gamma.versioning.files[0] (g/pyproject.toml): give exactly one of toml, json, yaml or regex",
        ),
        (
            "  gamma:\n    path: g\n    publish:\n      python: {path: g, token-secret: PYPI}\n",
            "22:39",
            "packages.gamma.publish.python.token-secret: 'PYPI' is not declared in env.secrets",
        ),
    ],
)
def test_a_package_error_points_at_its_line(more: str, where: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(CONFIG + more, "releasekit.yaml", Path("/nonexistent-root"))
    assert f"releasekit.yaml:{where}: " in str(caught.value)
    assert message in str(caught.value)


# -- releasekit release PACKAGE VERSION ----------------------------------------------------------------------------


def test_a_dry_run_plans_only_the_packages_files_and_its_tag(local: Path) -> None:
    repo = local
    before = state(repo)
    proc = run_releasekit("release", "alpha", "1.1.0", "--dry-run", "--skip-ci-check", cwd=repo)
    out = proc.stdout
    assert "releasekit release alpha 1.1.0 (acme/mono; latest release alpha-v1.0.0)\n" in out
    assert "alpha/pyproject.toml: toml project.version 1.0.0 -> 1.1.0" in out
    assert "alpha/CHANGELOG.md" in out and "beta/" not in out
    assert "tag alpha-v1.1.0" in out
    assert state(repo) == before
    # This repository has no GitHub to ask: the token check fails, the plan is still shown.
    assert proc.returncode == 1 and "FAIL github" in out, out + proc.stderr


def test_auto_counts_only_the_commits_under_the_package(local: Path) -> None:
    repo = local
    before = state(repo)
    out = run_releasekit("release", "beta", "auto", "--dry-run", "--skip-ci-check", cwd=repo).stdout
    fix = git(repo, "log", "-1", "--format=%h", "--grep=^fix")
    assert "releasekit release beta 1.0.1 (acme/mono; latest release beta-v1.0.0)\n" in out
    assert "  auto: patch, from 1 commit under beta since beta-v1.0.0\n" in out
    assert f"     patch (fix):\n       {fix[:7]} fix(parse): accept empty input\n     not under beta: 1\n" in out
    assert "beta/pyproject.toml: toml project.version 1.0.0 -> 1.0.1" in out
    assert "+- **parse:** accept empty input" in out  # beta's section, from beta's commits only
    assert "README" not in out
    nothing = run_releasekit("release", "alpha", "auto", cwd=repo)
    assert nothing.returncode == 0, nothing.stderr
    assert nothing.stdout == (
        "releasekit release alpha auto: nothing to release since alpha-v1.0.0: no commits under alpha (a feat, fix "
        "or perf commit, or a breaking change, makes a release); nothing was changed\n"
    )
    assert state(repo) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("1.0.0",), "releasekit.yaml declares packages (alpha, beta): name the one to release, e.g. "),
        (("alpha",), "give the version of alpha, e.g. `releasekit release alpha 1.4.0`"),
        (("alpah", "1.1.0"), "releasekit.yaml declares no package 'alpah'; did you mean 'alpha'? (packages: alpha, "),
    ],
)
def test_naming_no_package_or_an_unknown_one_is_a_usage_error(local: Path, args: tuple[str, ...], message: str) -> None:
    before = state(local)
    proc = run_releasekit("release", *args, "--dry-run", cwd=local)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr
    assert proc.stdout == ""
    assert state(local) == before


def test_resuming_the_release_of_a_package_no_longer_declared_says_so(local: Path) -> None:
    before = state(local)
    head = git(local, "rev-parse", "HEAD")
    journal = Journal("1.0.0", "gamma-v1.0.0", "main", head, "Release 1.0.0", {}, "2026-12-04T00:00:00Z")
    journal.package = "gamma"
    journal.save(local / ".git")
    try:
        proc = run_releasekit("release", "--resume", cwd=local)
    finally:
        Journal.remove(local / ".git")
    assert proc.returncode == 1
    assert proc.stderr == (
        "releasekit release: error: the release of gamma-v1.0.0 is of the package 'gamma', which releasekit.yaml no "
        "longer declares under `packages:`; declare it again to resume, or `releasekit release --abort`\n"
    )
    assert state(local) == before


def test_a_package_name_where_none_is_declared_is_a_usage_error(tmp_path: Path) -> None:
    repo = _local(tmp_path)
    (repo / "releasekit.yaml").write_text(CONFIG.split("packages:", maxsplit=1)[0])
    proc = run_releasekit("release", "alpha", "1.1.0", "--dry-run", cwd=repo)
    assert proc.returncode == 2
    assert "names a package, but releasekit.yaml declares no `packages:`" in proc.stderr


def test_a_package_release_pushes_its_own_tag_and_files_resumes_and_publishes(
    tmp_path: Path, sandbox_factory: Callable[..., Sandbox]
) -> None:
    hub = sandbox_factory()
    hub.create_repo(REPOSITORY, seed=_seed(tmp_path / "seed"))
    repo = clone(hub.remote_url(REPOSITORY), tmp_path / "work", "Maintainer")
    env = hub.env()
    base = git(repo, "rev-parse", "HEAD")

    done = run_releasekit("release", "alpha", "minor", "--skip-ci-check", cwd=repo, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Released alpha-v1.1.0: tagged and pushed." in done.stdout
    tags = sorted(ref for ref in remote_refs(repo) if ref.startswith("refs/tags/") and not ref.endswith("^{}"))
    assert tags == ["refs/tags/alpha-v1.0.0", "refs/tags/alpha-v1.1.0", "refs/tags/beta-v1.0.0"]
    assert git(repo, "diff", "--name-only", base, "alpha-v1.1.0").splitlines() == [
        "alpha/CHANGELOG.md",
        "alpha/pyproject.toml",
    ]
    assert 'version = "1.1.0"' in (repo / "alpha" / "pyproject.toml").read_text()
    assert "## [1.1.0] - " in (repo / "alpha" / "CHANGELOG.md").read_text()

    # Interrupted once its tag is made, the release of beta records the package; --resume finishes it as beta's.
    def stop_at_tag(step: str) -> None:
        if step == "tag":
            raise KeyboardInterrupt

    with step_hook(stop_at_tag):
        stopped = run_releasekit("release", "beta", "patch", "--skip-ci-check", cwd=repo, env=env)
    assert stopped.returncode == 130, stopped.stdout + stopped.stderr
    journal = Journal.load(repo / ".git")
    assert journal is not None and (journal.package, journal.tag) == ("beta", "beta-v1.0.1")
    resumed = run_releasekit("release", "--resume", cwd=repo, env=env)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "Released beta-v1.0.1: tagged and pushed." in resumed.stdout
    assert "refs/tags/beta-v1.0.1" in remote_refs(repo)

    # `publish TAG` finds the package whose tag family spells the tag, and publishes with its view: its notes.
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "alpha-1.1.0.txt").write_text("alpha's asset\n")
    published = run_releasekit("publish", "alpha-v1.1.0", "--dist", str(dist), cwd=repo, env=env)
    assert published.returncode == 0, published.stdout + published.stderr
    assert "  package    alpha (its tags are alpha-v{version})\n" in published.stdout
    assert "from alpha/CHANGELOG.md, section [1.1.0]" in published.stdout
    unknown = run_releasekit("publish", "v1.1.0", "--dist", str(dist), cwd=repo, env=env)
    assert unknown.returncode == 2
    assert "'v1.1.0' is no package's release tag; the packages' tag formats are alpha: alpha-v{version}; beta: " in (
        unknown.stderr
    )
