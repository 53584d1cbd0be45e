"""Change files (covector's `.changes/*.md`, changesets' `.changeset/*.md`) as a source of bumps for `release auto`:
read and mapped to the declared packages (releasekit/changefiles.py), then on a tiny real monorepo (the one of
test_packages_auto.py): the plan shows the files that decided, and the release commit deletes them and writes their
bodies into the packages' changelogs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import git, run_releasekit
from small_release import clone, state
from test_packages_auto import REPOSITORY, _seed

from releasekit import changefiles as cf
from releasekit.config.loader import parse as parse_config
from releasekit.sandbox.app import Sandbox

COVECTOR = {
    "packages": {
        "alpha": {"path": "./alpha", "manager": "rust"},
        "gamma": {"path": "./gamma/", "manager": "rust"},
        "delta": {"path": "./delta", "manager": "rust"},  # no declared package there
    }
}


# -- reading one file ------------------------------------------------------------------------------------------------


def test_covector_and_changesets_files_are_read_with_their_frontmatter() -> None:
    covector = cf.parse(
        '---\n"fs-js": "patch"\n"fs": minor:feat\n---\n\nFix `writeTextFile`.\n', ".changes/a.md", "covector"
    )
    assert covector.bumps == (("fs-js", "patch"), ("fs", "minor"))  # covector's tag (`:feat`) is left out
    assert (covector.name, covector.summary, covector.body) == ("a.md", "Fix `writeTextFile`.", "Fix `writeTextFile`.")
    changeset = cf.parse(
        "---\n'@acme/ui': major\n'@acme/doc': none\n---\n\n# Drop IE\n\nMore.", ".changeset/b.md", "changesets"
    )
    assert changeset.bumps == (("@acme/ui", "major"), ("@acme/doc", None))
    assert changeset.summary == "Drop IE"
    for text, says in (
        ("no frontmatter\n", ".changes/x.md: a covector change file starts with YAML frontmatter between `---` lines"),
        ('---\n"fs": huge\n---\nx\n', ".changes/x.md: 'fs' has the bump 'huge'; write patch, minor or major"),
        ('---\n"fs": prerelease\n---\nx\n', ".changes/x.md: 'fs' asks for covector's 'prerelease', which belongs to"),
        ("---\n- fs\n---\nx\n", ".changes/x.md: its frontmatter is not a mapping of package to bump"),
    ):
        with pytest.raises(cf.ChangeFileError) as caught:
            cf.parse(text, ".changes/x.md", "covector")
        assert str(caught.value).startswith(says)


# -- mapping keys to the declared packages ---------------------------------------------------------------------------

SHARED = """project: {name: p, repository: acme/p}
packages:
  fs:
    path: plugins/fs
    versioning: {files: [{path: plugins/fs/Cargo.toml, toml: package.version}]}
  fs-js:
    path: plugins/fs
    tag-format: "fs-js-v{version}"
    versioning: {files: [{path: plugins/fs/package.json, json: version}]}
  ui:
    path: packages/ui
    versioning: {files: [{path: packages/ui/package.json, json: version}]}
"""


def test_keys_map_by_covector_paths_and_managers_and_by_npm_names(tmp_path: Path) -> None:
    config = parse_config(SHARED, "releasekit.yaml", tmp_path).config
    (tmp_path / ".changes").mkdir()
    covector = {
        "packages": {
            "fs-crate": {"path": "./plugins/fs", "manager": "rust"},
            "fs-npm": {"path": "./plugins/fs", "manager": "javascript"},
            "http": {"path": "./plugins/http", "manager": "rust"},
        }
    }
    (tmp_path / ".changes/config.json").write_text(json.dumps(covector))
    (tmp_path / ".changes/readme.md").write_text("# Changes\n")  # not a change file
    (tmp_path / ".changes/fix.md").write_text('---\n"fs-crate": patch\n"fs-npm": minor\n"http": patch\n---\nFix.\n')
    for folder, name in (("plugins/fs", "@tauri-apps/plugin-fs"), ("packages/ui", "@acme/ui")):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "package.json").write_text(json.dumps({"name": name, "version": "1.0.0"}))
    (tmp_path / ".changeset").mkdir()
    (tmp_path / ".changeset/README.md").write_text("# Changesets\n")
    (tmp_path / ".changeset/brave-cats.md").write_text(
        "---\n'@acme/ui': minor\n'@acme/gone': patch\n---\n\nA button.\n"
    )
    (tmp_path / ".changeset/shy-dogs.md").write_text("---\n'@tauri-apps/plugin-fs': patch\n---\n\nRead faster.\n")
    found = cf.gather(tmp_path, config)
    assert [(e.file.path, e.packages, e.unknown) for e in found.entries] == [
        (".changes/fix.md", (("fs", "patch"), ("fs-js", "minor")), ("http",)),
        (".changeset/brave-cats.md", (("ui", "minor"),), ("@acme/gone",)),
        (".changeset/shy-dogs.md", (("fs-js", "patch"),), ()),  # the shared folder's package.json is fs-js's
    ]
    assert found.notes == (
        ".changes/fix.md: http: not a declared package (by .changes/config.json's packages); left out",
        ".changeset/brave-cats.md: @acme/gone: not a declared package (by a declared package's package.json); left out",
    )
    assert [p.line() for p in found.for_package("fs-js")] == [
        "fix.md (minor): Fix.",
        "shy-dogs.md (patch): Read faster.",
    ]
    assert (
        cf.gather(tmp_path, parse_config("project: {name: p, repository: acme/p}\n", "x.yaml", tmp_path).config)
        == cf.ChangeSet()
    )


def test_a_file_for_two_packages_goes_only_when_every_package_still_counting_it_is_released() -> None:
    both = cf.Entry(cf.ChangeFile(".changes/a.md", "covector", (), "A."), (("fs", "patch"), ("fs-js", "patch")))
    one = cf.Entry(cf.ChangeFile(".changes/b.md", "covector", (), "B."), (("fs", "minor"),))
    always: Callable[[str, cf.ChangeFile], bool] = lambda name, file: True  # noqa: E731
    assert cf.consumed([both, one], {"fs"}, always) == (
        [".changes/b.md"],
        [".changes/a.md kept: it also bumps fs-js, not released now"],
    )
    assert cf.consumed([both, one], {"fs", "fs-js"}, always) == ([".changes/a.md", ".changes/b.md"], [])
    # fs-js was released since the file was committed: only fs still counts it.
    assert cf.consumed([both], {"fs"}, lambda name, file: name == "fs") == ([".changes/a.md"], [])
    assert cf.consumed([both], {"ui"}, always) == ([], [])
    assert (
        cf.removed_text(["news/1.bugfix", ".changes/a.md"])
        == "1 news fragment: news/1.bugfix; 1 change file: .changes/a.md"
    )
    assert cf.entry_text("First line.\n\nSecond paragraph\nmore.\n") == "First line.\n\n  Second paragraph\n  more."


# -- release auto on a tiny monorepo ---------------------------------------------------------------------------------


def _change_files(repo: Path) -> None:
    """After every package's 1.0.0: a fix commit in beta; change files: a minor for alpha, a patch for alpha and
    gamma, one for an undeclared package; and a commit that touches only `.changes/`."""
    (repo / "beta/parse.py").write_text("X = 1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "fix(parse): accept empty input")
    (repo / ".changes").mkdir()
    (repo / ".changes/config.json").write_text(json.dumps(COVECTOR))
    (repo / ".changes/readme.md").write_text("# Changes\n")
    (repo / ".changes/fast-start.md").write_text('---\n"alpha": minor\n---\n\nStart twice as fast.\n')
    (repo / ".changes/close-files.md").write_text('---\n"alpha": patch\n"gamma": "patch:bug"\n---\n\nClose files.\n')
    (repo / ".changes/other.md").write_text('---\n"delta": patch\n---\n\nNot ours.\n')
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "chore: change files")


def test_change_files_decide_are_shown_deleted_and_written_into_the_changelogs(
    tmp_path: Path, sandbox_factory: Callable[..., Sandbox]
) -> None:
    hub = sandbox_factory()
    env = hub.env()
    seed = _seed(tmp_path / "seed", changed=False)
    _change_files(seed)
    hub.create_repo(REPOSITORY, seed=seed)
    repo = clone(hub.remote_url(REPOSITORY), tmp_path / "work", "Maintainer")
    base = git(repo, "rev-parse", "HEAD")
    before = state(repo)

    # One package: its plan lists the change files that decided; the one that also bumps gamma is kept.
    one = run_releasekit("release", "alpha", "auto", "--dry-run", "--skip-ci-check", cwd=repo, env=env)
    assert one.returncode == 0, one.stdout + one.stderr
    header = (
        "releasekit release alpha 1.1.0 (acme/mono; latest release alpha-v1.0.0)\n"
        "  auto: minor, from 0 commits under alpha and 2 change files since alpha-v1.0.0\n"
        "  .changes/close-files.md kept: it also bumps gamma, not released now\n"
    )
    assert one.stdout.startswith(header)
    assert (
        "     change files (2):\n"
        "       close-files.md (patch): Close files.\n"
        "       fast-start.md (minor): Start twice as fast.\n"
    ) in one.stdout
    assert "   remove 1 change file: .changes/fast-start.md\n" in one.stdout
    assert state(repo) == before
    alpha = run_releasekit("release", "alpha", "auto", "--skip-ci-check", cwd=repo, env=env)
    assert alpha.returncode == 0, alpha.stdout + alpha.stderr
    assert alpha.stdout.startswith(header)
    assert git(repo, "diff", "--name-status", base, "HEAD").splitlines() == [
        "D\t.changes/fast-start.md",
        "M\talpha/CHANGELOG.md",
        "M\talpha/pyproject.toml",
        "M\tversions.txt",
    ]
    log = (repo / "alpha/CHANGELOG.md").read_text()
    assert "## [1.1.0] - " in log and "\n\n- Start twice as fast.\n- Close files.\n\n## [1.0.0]" in log
    base = git(repo, "rev-parse", "HEAD")

    # Every package: alpha no longer counts the kept file (it is older than alpha-v1.1.0); gamma does, and its
    # release deletes it; the undeclared package's file is a note, and stays.
    dry = run_releasekit("release", "auto", "--dry-run", "--skip-ci-check", cwd=repo, env=env)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert dry.stdout.startswith(
        "releasekit release auto: 2 of 3 packages (acme/mono)\n"
        "  beta 1.0.1 (latest release beta-v1.0.0)\n"
        "    auto: patch, from 1 commit under beta since beta-v1.0.0\n"
        "  gamma 1.0.1 (latest release gamma-v1.0.0)\n"
        "    auto: patch, from 0 commits under gamma and 1 change file since gamma-v1.0.0\n"
        "  alpha: nothing to release since alpha-v1.1.0: no commits (a feat, fix or perf commit, or a breaking "
        "change, makes a release)\n"
        "  change files: .changes/other.md: delta: not a declared package (by .changes/config.json's packages); "
        "left out\n"
    )
    assert "       change files (1):\n         close-files.md (patch): Close files.\n" in dry.stdout
    assert "   remove 1 change file: .changes/close-files.md\n" in dry.stdout
    done = run_releasekit("release", "auto", "--skip-ci-check", cwd=repo, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.endswith("Released beta-v1.0.1, gamma-v1.0.1: tagged and pushed.\n")
    assert git(repo, "diff", "--name-status", base, "HEAD").splitlines() == [
        "D\t.changes/close-files.md",
        "M\tbeta/CHANGELOG.md",
        "M\tbeta/pyproject.toml",
        "M\tgamma/CHANGELOG.md",
        "M\tgamma/pyproject.toml",
        "M\tversions.txt",
    ]
    assert "\n\n- Close files.\n\n## [1.0.0]" in (repo / "gamma/CHANGELOG.md").read_text()
    assert "- **parse:** accept empty input" in (repo / "beta/CHANGELOG.md").read_text()
    assert sorted(p.name for p in (repo / ".changes").iterdir()) == ["config.json", "other.md", "readme.md"]

    # Consumed: nothing left to release.
    again = run_releasekit("release", "auto", "--dry-run", "--skip-ci-check", cwd=repo, env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.startswith("releasekit release auto: nothing to release in any of the 3 packages\n")
