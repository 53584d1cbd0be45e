"""A release moves the siblings' requirements on the released packages along in the same commit
(releasekit/dependents.py): npm ranges, Cargo path+version dependencies, pyproject lower bounds; mostly pure, plus an
in-process `release auto --dry-run` and a real `release auto` pushed to the sandbox, on a tiny npm workspace."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import semver
from conftest import git, run_releasekit
from small_release import clone, remote_refs, state

from releasekit.config.model import VersionFile
from releasekit.dependents import DependentError, Released, plan_dependents
from releasekit.sandbox.app import Sandbox
from releasekit.versionfiles import plan_bumps

A_NPM = Released("a", "npm", "@scope/a", "2.1.0")


def _json(data: object) -> str:
    return json.dumps(data, indent=2) + "\n"


# -- npm -------------------------------------------------------------------------------------------------------------


def test_npm_ranges_keep_their_operator_and_workspace_protocols_are_left_alone() -> None:
    specs = {
        "dependencies": {"@scope/a": "^2.0.3", "left-pad": "^1.0.0"},
        "devDependencies": {"@scope/a": "~2.0.3"},
        "peerDependencies": {"@scope/a": ">=2.0.3"},
        "optionalDependencies": {"@scope/a": "2.0.3"},
    }
    before = _json({"name": "@scope/b", "version": "1.0.0", **specs})
    follows = _json({"name": "@scope/c", "dependencies": {"@scope/a": "workspace:*"}, "devDependencies": {"x": "1"}})
    caret = _json({"name": "d", "dependencies": {"@scope/a": "workspace:^"}, "peerDependencies": {"@scope/a": "*"}})
    odd = _json({"name": "e", "dependencies": {"@scope/a": "workspace:^2.0.3"}, "devDependencies": {"@scope/a": "1.x"}})
    manifests = {"b/package.json": before, "c/package.json": follows, "d/package.json": caret, "e/package.json": odd}
    planned = plan_dependents(manifests, [A_NPM])
    assert [c.path for c in planned.changes] == ["b/package.json", "e/package.json"]
    b, e = planned.changes
    assert b.after == before.replace('2.0.3"', '2.1.0"')  # every operator kept, nothing else changed
    assert '"left-pad": "^1.0.0"' in b.after and b.before == before
    assert (b.old, b.new, b.line, b.reason) == (
        "^2.0.3",
        "^2.1.0",
        5,
        'dependents: dependencies["@scope/a"], devDependencies["@scope/a"], peerDependencies["@scope/a"], '
        'optionalDependencies["@scope/a"]',
    )
    assert e.after == odd.replace("workspace:^2.0.3", "workspace:^2.1.0")
    assert planned.lines == (
        "b/package.json: @scope/a ^2.0.3 -> ^2.1.0",
        "b/package.json: @scope/a ~2.0.3 -> ~2.1.0",
        "b/package.json: @scope/a >=2.0.3 -> >=2.1.0",
        "b/package.json: @scope/a 2.0.3 -> 2.1.0",
        "c/package.json: @scope/a workspace:* left as it is (it follows the workspace by itself)",
        "d/package.json: @scope/a workspace:^ left as it is (it follows the workspace by itself)",
        "d/package.json: @scope/a * left as it is (it follows the workspace by itself)",
        "e/package.json: @scope/a workspace:^2.0.3 -> workspace:^2.1.0",
        "e/package.json: @scope/a 1.x left as it is (not a range of one version)",
    )


def test_an_unreleased_dependency_and_another_ecosystems_name_are_untouched() -> None:
    manifests = {
        "b/package.json": _json({"name": "b", "dependencies": {"@scope/z": "^2.0.3", "a": "^2.0.3"}}),
        "b/Cargo.toml": '[package]\nname = "b"\n\n[dependencies]\na = { path = "../a", version = "2.0.3" }\n',
        "b/pyproject.toml": '[project]\nname = "b"\ndependencies = ["a>=2.0"]\n',
        "b/README.md": "@scope/a ^2.0.3\n",
    }
    assert plan_dependents(manifests, [A_NPM]).changes == ()  # `a` is the crate and the distribution, not @scope/a
    assert plan_dependents(manifests, []).lines == ()


# -- Cargo -----------------------------------------------------------------------------------------------------------

CRATE = """[package]
name = "tauri-plugin-b"
version = "1.0.0"

[dependencies]
serde = "1"
tauri-plugin-a = { path = "../a", version = "2.0.3" }
renamed = { package = "tauri-plugin-a", path = "../a", version = "^2.0.3", features = ["x"] }

[dev-dependencies.tauri-plugin-a]
path = "../a"
version = "~2.0.3"

[build-dependencies]
tauri-plugin-a = { version = "2.0.3" }  # from crates.io: not the sibling

[target.'cfg(windows)'.dependencies]
tauri-plugin-a = { path = "../a", version = "=2.0.3" }
"""
WORKSPACE = """[workspace]
members = ["plugins/*"]

[workspace.dependencies]
tauri-plugin-a = { path = "plugins/a", version = "2.0.3" }
tauri-plugin-c = { path = "plugins/c", version = "2" }
tauri = "2"
"""


def test_cargo_path_and_version_dependencies_and_workspace_dependencies_follow() -> None:
    released = [Released("a", "cargo", "tauri-plugin-a", "2.1.0"), Released("c", "cargo", "tauri-plugin-c", "3.0.0")]
    planned = plan_dependents({"plugins/b/Cargo.toml": CRATE, "Cargo.toml": WORKSPACE}, released)
    root, crate = planned.changes
    assert root.after == WORKSPACE.replace('version = "2.0.3"', 'version = "2.1.0"')
    assert crate.after == CRATE.replace('"2.0.3" }\nrenamed', '"2.1.0" }\nrenamed').replace(
        '"^2.0.3"', '"^2.1.0"'
    ).replace('"~2.0.3"', '"~2.1.0"').replace('"=2.0.3"', '"=2.1.0"')
    assert 'tauri-plugin-a = { version = "2.0.3" }  # from crates.io' in crate.after
    assert planned.lines == (
        "Cargo.toml: tauri-plugin-a 2.0.3 -> 2.1.0",
        "Cargo.toml: tauri-plugin-c 2 left as it is (not a requirement of one full version)",
        "plugins/b/Cargo.toml: tauri-plugin-a 2.0.3 -> 2.1.0",
        "plugins/b/Cargo.toml: tauri-plugin-a ^2.0.3 -> ^2.1.0",
        "plugins/b/Cargo.toml: tauri-plugin-a ~2.0.3 -> ~2.1.0",
        "plugins/b/Cargo.toml: tauri-plugin-a =2.0.3 -> =2.1.0",
    )


LOCK = """version = 4

[[package]]
name = "tauri-plugin-a"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "tauri-plugin-a"
version = "2.0.3"

[[package]]
name = "tauri-plugin-b"
version = "1.0.0"
dependencies = [
 "serde",
 "tauri-plugin-a 2.0.3",
]

[[package]]
name = "tauri-plugin-c"
version = "1.0.0"
dependencies = [
 "tauri-plugin-a 1.0.0",
]
"""


def test_cargo_lock_references_that_name_the_version_follow_the_released_crate(tmp_path: Path) -> None:
    # Cargo writes `name version` in `dependencies` only when the lock holds two crates of one name; the reference
    # to the workspace's crate follows it, the crates.io copy's stays.
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "Cargo.toml").write_text('[package]\nname = "tauri-plugin-a"\nversion = "2.0.3"\n')
    (tmp_path / "Cargo.lock").write_text(LOCK)
    files = [VersionFile(path="a/Cargo.toml", toml="package.version")]
    _, lock = plan_bumps(tmp_path, files, semver.Version.parse("2.1.0"))
    assert (lock.path, lock.reason) == ("Cargo.lock", "Cargo.lock entry for crate 'tauri-plugin-a'")
    assert lock.after == LOCK.replace('"2.0.3"', '"2.1.0"').replace("a 2.0.3", "a 2.1.0")
    assert '"tauri-plugin-a 1.0.0",' in lock.after


# -- pyproject -------------------------------------------------------------------------------------------------------

PYPROJECT = """[project]
name = "b"
dependencies = [
    "Acme.Core>=1.0",
    "acme-core[fast] ~= 1.0 ; python_version >= '3.10'",
    "requests>=2",
]

[project.optional-dependencies]
pinned = ["acme_core==1.0.0"]
url = ["acme-core @ https://example.invalid/acme_core-1.0.tar.gz"]
"""
CORE = Released("core", "python", "acme-core", "1.1.0rc1")


def test_pyproject_lower_bounds_move_to_the_new_version() -> None:
    planned = plan_dependents({"libs/b/pyproject.toml": PYPROJECT}, [CORE])
    (change,) = planned.changes
    assert change.after == (
        PYPROJECT.replace(">=1.0", ">=1.1.0rc1").replace("~= 1.0", "~= 1.1.0rc1").replace("==1.0.0", "==1.1.0rc1")
    )
    assert planned.lines == (
        "libs/b/pyproject.toml: Acme.Core Acme.Core>=1.0 -> Acme.Core>=1.1.0rc1",
        "libs/b/pyproject.toml: acme-core acme-core[fast] ~= 1.0 ; python_version >= '3.10' -> "
        "acme-core[fast] ~= 1.1.0rc1 ; python_version >= '3.10'",
        "libs/b/pyproject.toml: acme_core acme_core==1.0.0 -> acme_core==1.1.0rc1",
        "libs/b/pyproject.toml: acme-core acme-core @ https://example.invalid/acme_core-1.0.tar.gz left as it is "
        "(a URL requirement)",
    )


def test_an_upper_bound_the_new_version_breaks_is_refused_naming_the_file_and_requirement() -> None:
    text = '[project]\nname = "b"\ndependencies = ["acme-core>=1.0,<1.1"]\n'
    with pytest.raises(DependentError) as caught:
        plan_dependents({"libs/b/pyproject.toml": text}, [CORE])
    assert str(caught.value) == (
        "libs/b/pyproject.toml: the requirement 'acme-core>=1.0,<1.1' in project.dependencies excludes acme-core "
        "1.1.0rc1, the version being released; widen it (e.g. acme-core>=1.1.0rc1) and commit that, or release core "
        "at a version it allows"
    )
    allowed = '[project]\nname = "b"\ndependencies = ["acme-core>=1.0,<2"]\n'
    (change,) = plan_dependents({"libs/b/pyproject.toml": allowed}, [CORE]).changes
    assert change.after == allowed.replace(">=1.0", ">=1.1.0rc1")


# -- releasekit release auto / release PACKAGE, in a tiny npm workspace ----------------------------------------------

PACKAGE = """  {name}:
    path: {name}
    versioning:
      files:
        - path: {name}/package.json
          json: version
      changelog: {name}/CHANGELOG.md
"""
CONFIG = "project:\n  name: ws\n  repository: acme/ws\npackages:\n" + "".join(PACKAGE.format(name=n) for n in "abcd")
LOG = "# Changelog\n\n## [Unreleased]\n\n## [1.0.0] - 2026-01-05\n\n- First.\n"
MANIFESTS: dict[str, dict[str, Any]] = {
    "a": {"name": "@scope/a", "version": "2.0.3"},
    "b": {"name": "@scope/b", "version": "1.0.0", "dependencies": {"@scope/a": "^2.0.3", "@scope/d": "~1.0.0"}},
    "c": {"name": "@scope/c", "version": "1.0.0", "dependencies": {"@scope/a": "workspace:*"}},
    "d": {"name": "@scope/d", "version": "1.0.0"},
}


def _seed(path: Path) -> Path:
    """Four npm packages, each tagged; then a feature in a and a fix in b (which requires a); c and d unchanged."""
    for name, manifest in MANIFESTS.items():
        (path / name).mkdir(parents=True)
        (path / name / "package.json").write_text(_json(manifest))
        (path / name / "CHANGELOG.md").write_text(LOG)
    (path / "releasekit.yaml").write_text(CONFIG)
    (path / "releasekit.lock").write_text('{"lock-version": 1, "actions": {}}\n')
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "Every package")
    for name, manifest in MANIFESTS.items():
        git(path, "tag", "-a", f"{name}-v{manifest['version']}", "-m", f"Release {name}")
    for where, message in (("a/fast.js", "feat: faster"), ("b/parse.js", "fix: parse empty input")):
        (path / where).write_text("x\n")
        git(path, "add", "-A")
        git(path, "commit", "-q", "-m", message)
    return path


B_AFTER = _json({**MANIFESTS["b"], "version": "1.0.1", "dependencies": {"@scope/a": "^2.1.0", "@scope/d": "~1.0.0"}})


def _dry_run_shows_the_dependents_and_merges_a_released_ones_edits(repo: Path, env: dict[str, str]) -> None:
    dry = run_releasekit("release", "auto", "--dry-run", "--skip-ci-check", cwd=repo, env=env)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    out = dry.stdout
    assert (
        "1. Edit 4 files:\n"
        "   a/package.json: json version 2.0.3 -> 2.1.0\n"
        "   a/CHANGELOG.md: changelog section (new) -> 2.1.0\n"
    ) in out
    assert (
        "   b/package.json: json version 1.0.0 -> 1.0.1\n"
        "   b/CHANGELOG.md: changelog section (new) -> 1.0.1\n"
        "   changelog (b): b/CHANGELOG.md: [1.0.1] - "
    ) in out
    assert (
        " since b-v1.0.0\n"
        "   dependents: b/package.json: @scope/a ^2.0.3 -> ^2.1.0\n"
        "   dependents: c/package.json: @scope/a workspace:* left as it is (it follows the workspace by itself)\n\n"
    ) in out  # d is not released: b's requirement on it is not even looked at
    # b is released too: its version and its requirement on a in one edit, one diff.
    assert out.count("--- a/b/package.json") == 1
    assert '-  "version": "1.0.0",\n+  "version": "1.0.1",\n' in out
    assert '-    "@scope/a": "^2.0.3",\n+    "@scope/a": "^2.1.0",\n' in out
    assert "3. Annotated tags on that commit, one per package: a-v2.1.0, b-v1.0.1\n" in out

    single = run_releasekit("release", "a", "minor", "--dry-run", "--skip-ci-check", cwd=repo, env=env)
    assert single.returncode == 0, single.stdout + single.stderr
    assert (
        "1. Edit 3 files:\n"
        "   a/package.json: json version 2.0.3 -> 2.1.0\n"
        "   a/CHANGELOG.md: changelog section (new) -> 2.1.0\n"
        "   dependents: b/package.json: @scope/a ^2.0.3 -> ^2.1.0\n"
        "   dependents: c/package.json: @scope/a workspace:* left as it is (it follows the workspace by itself)\n"
        "   changelog: a/CHANGELOG.md: "
    ) in single.stdout
    assert '-    "@scope/a": "^2.0.3",\n+    "@scope/a": "^2.1.0",\n' in single.stdout
    assert '"version": "1.0.1"' not in single.stdout


def test_release_auto_commits_the_dependents_edits_with_the_versions(
    tmp_path: Path, sandbox_factory: Callable[..., Sandbox]
) -> None:
    hub = sandbox_factory()
    hub.create_repo("acme/ws", seed=_seed(tmp_path / "seed"))
    repo = clone(hub.remote_url("acme/ws"), tmp_path / "work", "Maintainer")
    base = git(repo, "rev-parse", "HEAD")
    before = state(repo)
    _dry_run_shows_the_dependents_and_merges_a_released_ones_edits(repo, hub.env())
    assert state(repo) == before

    done = run_releasekit("release", "auto", "--skip-ci-check", cwd=repo, env=hub.env())
    assert done.returncode == 0, done.stdout + done.stderr
    commit = remote_refs(repo)["refs/heads/main"]
    assert git(repo, "rev-parse", f"{commit}^") == base
    assert git(repo, "diff", "--name-only", base, commit).splitlines() == [
        "a/CHANGELOG.md",
        "a/package.json",
        "b/CHANGELOG.md",
        "b/package.json",
    ]  # c (workspace:*) and d (not released) untouched
    assert git(repo, "show", f"{commit}:b/package.json") + "\n" == B_AFTER
    assert json.loads(git(repo, "show", f"{commit}:a/package.json"))["version"] == "2.1.0"


def test_manifests_of_unexpected_shapes_are_passed_over_without_a_traceback() -> None:
    released = [
        Released("a", "cargo", "a", "2.1.0"),
        Released("n", "npm", "n", "2.1.0"),
        Released("p", "python", "p", "2.1.0"),
    ]
    odd = {
        "x/Cargo.toml": 'target = "x"\n[dependencies]\nb = { path = "../a", package = ["a"], version = "1" }\n'
        '[dev-dependencies]\na = { path = "../a", version = 2 }\nc = { path = 1 }\n',
        "x/package.json": "[1, 2]",
        "y/package.json": '{"dependencies": [], "devDependencies": {"n": 3}, "peerDependencies": "n"}',
        "x/pyproject.toml": 'project = "x"\n',
        "y/pyproject.toml": '[project]\ndependencies = [1, "p", "p>="]\noptional-dependencies = []\n',
    }
    planned = plan_dependents(odd, released)
    assert planned.changes == ()
    assert planned.lines == (
        "y/pyproject.toml: p p left as it is (no lower bound to move)",
        "y/pyproject.toml: p p>= left as it is (no lower bound to move)",
    )
