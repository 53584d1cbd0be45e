"""`releasekit init` on the shapes real repositories have beyond one project: monorepos (a workspace of
independently versioned packages, folders that each hold a pyproject, tag families) get a `packages:` section, one
entry per package with its folder, tag family, version files, changelog and publish target; `--single` writes the
config for the repository itself; one product whose version lives in several manifests is not a monorepo; a
manifest holding another version is left out, with a note."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import semver
from conftest import git, run_releasekit, snapshot

from releasekit.config.loader import load, parse
from releasekit.config.model import Config, Package, PushTrigger, PythonPackage
from releasekit.detect import DetectedVersionFile, detect
from releasekit.monorepo import Monorepo, plan, tag_family
from releasekit.monorepo import Package as MonorepoPackage
from releasekit.versionagree import agreeing
from releasekit.versionfiles import plan_bumps


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def repo(root: Path, files: dict[str, str], tags: tuple[str, ...] = ()) -> Path:
    root.mkdir(parents=True)
    for rel, text in files.items():
        write(root, rel, text)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", "initial")
    for tag in tags:
        git(root, "tag", tag)
    return root


def package_json(name: str, version: str | None = None, **extra: object) -> str:
    return json.dumps({"name": name, **({"version": version} if version else {}), **extra})


def crate(name: str, version: str, extra: str = "") -> str:
    return f'[package]\nname = "{name}"\nversion = "{version}"\n{extra}'


PNPM = {
    "pnpm-workspace.yaml": "packages:\n  - packages/*\n  - '!packages/ignored'\n",
    "package.json": package_json("root", private=True),
    "packages/ui/package.json": package_json("@acme/ui", "1.2.0"),
    "packages/api/package.json": package_json("@acme/api", "0.4.1"),
    "packages/ignored/package.json": package_json("ignored", "9.0.0"),
    "packages/demo/package.json": package_json("demo", "0.0.1", private=True),  # never published: not a package
}


def init_packages(root: Path, *args: str) -> tuple[Config, str, subprocess.CompletedProcess[str]]:
    """`releasekit init` in `root`: the config it wrote (loaded as `releasekit` loads it), its text, the run."""
    result = run_releasekit("init", *args, cwd=root)
    assert result.returncode == 0, result.stderr
    text = (root / "releasekit.yaml").read_text()
    return parse(text, "releasekit.yaml", root).config, text, result


def files_of(package: Package) -> list[tuple[str, str | None]]:
    return [(vf.path, vf.toml or vf.json) for vf in package.versioning.files]


def test_init_writes_the_packages_of_a_pnpm_workspace(tmp_path: Path) -> None:
    root = repo(tmp_path / "web", {**PNPM, "packages/ui/CHANGELOG.md": "# Changelog\n\n## 1.2.0\n\n- First.\n"})
    config, text, result = init_packages(root)
    assert config.package_names() == ["@acme/api", "@acme/ui"]  # not the excluded or the private one
    api, ui = config.packages["@acme/api"], config.packages["@acme/ui"]
    assert (api.path, api.tag_format, files_of(api)) == (
        "packages/api",
        "@acme/api-v{version}",  # no tags yet: the spec's default, `{name}-v{version}`
        [("packages/api/package.json", "version")],
    )
    assert (ui.versioning.changelog, api.versioning.changelog) == ("packages/ui/CHANGELOG.md", None)
    assert ui.publish.python is None and config.publish.python is None
    assert config.for_package("@acme/ui").project.tag_format == "@acme/ui-v{version}"
    assert config.project.tag_format == "v{version}" and config.versioning.files == ()  # the root has no version
    assert "found     2 packages: @acme/api, @acme/ui (`packages:` in releasekit.yaml)" in result.stdout
    assert "\n# A monorepo: pnpm-workspace.yaml declares 2 packages with 2 different versions" in text
    assert '  "@acme/ui":\n    path: packages/ui\n    tag-format: "@acme/ui-v{version}"  # no tag yet,' in text
    # No package publishes files, yet each gets its GitHub release: the release workflow starts on every family.
    assert config.workflows["release"].triggers.push == PushTrigger(tags=("@acme/api-v*", "@acme/ui-v*"))


def test_init_single_writes_the_repository_itself(tmp_path: Path) -> None:
    root = repo(tmp_path / "web", {**PNPM, "package.json": package_json("root", "3.0.0")})
    result = run_releasekit("init", "--single", cwd=root)
    assert result.returncode == 0, result.stderr
    text = (root / "releasekit.yaml").read_text()
    assert "\n# A monorepo: pnpm-workspace.yaml declares 2 packages with 2 different versions" in text
    assert "Written with --single: one version for the repository itself" in " ".join(text.split("\n# "))
    config = load(root / "releasekit.yaml").config
    # Only the root's own manifest: a release never moves a package to another package's version.
    assert [vf.path for vf in config.versioning.files] == ["package.json"]
    assert config.packages == {} and "\npackages:" not in text  # today's single-package config
    assert "2 version files of the 2 workspace packages left out" in result.stderr


def test_a_cargo_workspace_with_per_crate_versions_is_a_monorepo(tmp_path: Path) -> None:
    root = repo(
        tmp_path / "rs",
        {
            "Cargo.toml": '[workspace]\nmembers = ["crates/*"]\nexclude = ["crates/old"]\n',
            "crates/core/Cargo.toml": crate("acme-core", "0.3.0"),
            "crates/cli/Cargo.toml": crate("acme-cli", "0.5.1"),
            "crates/bench/Cargo.toml": crate("acme-bench", "0.0.0", "publish = false\n"),
            "crates/old/Cargo.toml": crate("acme-old", "9.9.9"),
        },
    )
    mono = detect(root).monorepo
    assert mono is not None
    assert [(p.path, p.name, p.version) for p in mono.packages] == [
        ("crates/cli", "acme-cli", "0.5.1"),
        ("crates/core", "acme-core", "0.3.0"),
    ]
    assert mono.workspaces == ("Cargo.toml [workspace]",)


def test_init_writes_the_crates_of_a_cargo_workspace_and_their_lock_follows(tmp_path: Path) -> None:
    root = repo(
        tmp_path / "rs",
        {
            "Cargo.toml": '[workspace]\nmembers = ["crates/*"]\n',
            "Cargo.lock": "version = 3\n\n"
            + "".join(f'[[package]]\nname = "{n}"\nversion = "{v}"\n\n' for n, v in CRATES.items()),
            **{f"crates/{n.split('-')[1]}/Cargo.toml": crate(n, v) for n, v in CRATES.items()},
            "crates/core/CHANGELOG.md": "# Changelog\n\n## [0.3.0]\n\n- First.\n",
        },
        tags=("acme-core-v0.3.0", "acme-cli-v0.5.1", "acme-cli-v0.5.0"),
    )
    config, _, _ = init_packages(root)
    assert config.package_names() == ["acme-cli", "acme-core"]
    cli = config.packages["acme-cli"]
    assert (cli.path, cli.tag_format, files_of(cli)) == (
        "crates/cli",
        "acme-cli-v{version}",
        [("crates/cli/Cargo.toml", "package.version")],
    )
    assert config.packages["acme-core"].versioning.changelog == "crates/core/CHANGELOG.md"
    # The workspace's one Cargo.lock follows the crate's manifest: a release of acme-cli edits both, nothing else.
    bumps = plan_bumps(root, cli.versioning.files, semver.Version.parse("0.6.0"))
    assert [(c.path, c.old, c.new) for c in bumps] == [
        ("crates/cli/Cargo.toml", "0.5.1", "0.6.0"),
        ("Cargo.lock", "0.5.1", "0.6.0"),
    ]


CRATES = {"acme-cli": "0.5.1", "acme-core": "0.3.0"}


UV = {
    "pyproject.toml": '[tool.uv.workspace]\nmembers = ["libs/*"]\n',
    "libs/x/pyproject.toml": '[project]\nname = "x"\nversion = "1.0.0"\n',
    "libs/x/src/x/__init__.py": '__version__ = "1.0.0"\n',
    "libs/x/src/x/_vendored/__init__.py": '__version__ = "3.1.4"\n',  # another project's version: not x's
    "libs/y/pyproject.toml": '[project]\nname = "y"\nversion = "0.2"\n',
    "uv.lock": 'version = 1\n\n[[package]]\nname = "x"\nversion = "1.0.0"\nsource = { editable = "libs/x" }\n\n'
    '[[package]]\nname = "y"\nversion = "0.2"\nsource = { editable = "libs/y" }\n',
}


def test_init_writes_the_python_packages_of_a_uv_workspace(tmp_path: Path) -> None:
    config, text, result = init_packages(repo(tmp_path / "py", UV, tags=("x-v1.0.0",)))
    x, y = config.packages["x"], config.packages["y"]
    assert files_of(x) == [("libs/x/pyproject.toml", "project.version"), ("libs/x/src/x/__init__.py", None)]
    assert x.versioning.files[1].regex is not None and x.tag_format == "x-v{version}"
    assert '    tag-format: "x-v{version}"  # latest x-v1.0.0\n' in text
    assert (x.publish.python, y.publish.python) == (PythonPackage(path="libs/x"), PythonPackage(path="libs/y"))
    assert (x.versioning.scheme, y.versioning.scheme) == ("semver", "pep440")  # as each writes its version
    assert config.publish.python is None  # the root is no Python project: nothing published from it
    # The release workflow starts on the packages' tag families and publishes the package a tag names.
    assert config.workflows["release"].triggers.push == PushTrigger(tags=("x-v*", "y-v*"))
    note = "note: the Python packages (x, y) declare publish.python: the release workflow uploads the one a pushed "
    assert note in result.stderr
    generated = run_releasekit("workflows", cwd=tmp_path / "py")
    assert generated.returncode == 0, generated.stderr
    assert 'releasekit publish "$TAG"\n' in (tmp_path / "py/.github/workflows/release.yml").read_text()
    bumps = plan_bumps(Path(tmp_path / "py"), y.versioning.files, semver.Version.parse("0.3.0"))
    assert [(c.path, c.new) for c in bumps] == [("libs/y/pyproject.toml", "0.3.0"), ("uv.lock", "0.3.0")]
    assert "    publish:\n      python:\n        path: libs/y\n" in text


def test_init_writes_folders_that_each_hold_a_pyproject_as_packages(tmp_path: Path) -> None:
    root = repo(
        tmp_path / "mono",
        {
            "README.md": "two libraries\n",
            "client/pyproject.toml": '[project]\nname = "acme-client"\nversion = "2.1.0"\n',
            "client/CHANGES.rst": "Changes\n=======\n\n2.1.0\n-----\n\n- First.\n",
            "services/server/pyproject.toml": '[project]\nname = "acme-server"\nversion = "0.9.0"\n',
            # Not packages: a test fixture, an example, a project whose version the build backend reads elsewhere.
            "tests/fixture/pyproject.toml": '[project]\nname = "fixture"\nversion = "9.9.9"\n',
            "examples/demo/pyproject.toml": '[project]\nname = "demo"\nversion = "0.0.1"\n',
            "tools/pyproject.toml": '[project]\nname = "tools"\ndynamic = ["version"]\n',
        },
        tags=("acme-client-v2.1.0", "server-v0.9.0"),
    )
    config, _, _ = init_packages(root)
    assert config.package_names() == ["acme-client", "server"]  # `server-v0.9.0` names acme-server's family
    server = config.packages["server"]
    assert (server.path, server.tag_format) == ("services/server", "server-v{version}")
    assert config.packages["acme-client"].versioning.changelog == "client/CHANGES.rst"
    assert server.versioning.changelog is None  # no changelog in its folder: not the repository's


def test_a_project_at_the_root_makes_folders_with_a_pyproject_its_examples(tmp_path: Path) -> None:
    root = repo(
        tmp_path / "one",
        {
            "pyproject.toml": '[project]\nname = "one"\nversion = "1.0.0"\n',
            "plugin/pyproject.toml": '[project]\nname = "plugin"\nversion = "0.1.0"\n',
            "other/pyproject.toml": '[project]\nname = "other"\nversion = "0.3.0"\n',
        },
    )
    assert detect(root).monorepo is None


# The shape of tauri-apps/plugins-workspace: one folder holds a Cargo crate and an npm package, tagged in two
# families (`dialog-v2.0.3`, `dialog-js-v2.0.1`), with one changelog that follows the crate.
PLUGINS = {
    "pnpm-workspace.yaml": "packages:\n  - plugins/*\n",
    "package.json": package_json("workspace", private=True),
    "Cargo.toml": '[workspace]\nmembers = ["plugins/*"]\n',
    "plugins/dialog/Cargo.toml": crate("tauri-plugin-dialog", "2.0.3"),
    "plugins/dialog/package.json": package_json("@tauri-apps/plugin-dialog", "2.0.1"),
    "plugins/dialog/CHANGELOG.md": "# Changelog\n\n## \\[2.0.3]\n\n- Fix.\n\n## \\[2.0.1]\n\n- Fix.\n",
    "plugins/log/Cargo.toml": crate("tauri-plugin-log", "2.0.1"),
    "plugins/log/package.json": package_json("@tauri-apps/plugin-log", "2.0.0"),
    "plugins/store/Cargo.toml": crate("tauri-plugin-store", "2.1.0"),
    "plugins/store/package.json": package_json("@tauri-apps/plugin-store", "2.1.0"),
    "shared/template/package.json": package_json("template", "1.0.0"),  # a template: nobody's release
}
PLUGIN_TAGS = (
    "dialog-js-v2.0.1",
    "dialog-v2.0.3",
    "dialog-v2.0.2",
    "log-js-v2.0.0",
    "log-plugin-v2.0.1",
    "store-v2.1.0",
    "store-js-v2.1.0",
    "authenticator-v2.0.0",  # a plugin since removed: its family names no package
)


def test_init_names_each_package_after_the_tag_family_that_matches_it(tmp_path: Path) -> None:
    root = repo(tmp_path / "a" / "plugins", PLUGINS, tags=PLUGIN_TAGS)
    config, text, result = init_packages(root)
    tags = {name: (p.path, p.tag_format, files_of(p)[0][0]) for name, p in config.packages.items()}
    assert tags == {
        "dialog": ("plugins/dialog", "dialog-v{version}", "plugins/dialog/Cargo.toml"),
        "dialog-js": ("plugins/dialog", "dialog-js-v{version}", "plugins/dialog/package.json"),
        "log-plugin": ("plugins/log", "log-plugin-v{version}", "plugins/log/Cargo.toml"),
        "log-js": ("plugins/log", "log-js-v{version}", "plugins/log/package.json"),
        "store": ("plugins/store", "store-v{version}", "plugins/store/Cargo.toml"),
        "store-js": ("plugins/store", "store-js-v{version}", "plugins/store/package.json"),
    }
    # One changelog per folder, following the package at its newest section's version.
    assert config.packages["dialog"].versioning.changelog == "plugins/dialog/CHANGELOG.md"
    assert config.packages["dialog-js"].versioning.changelog is None
    assert "      changelog: null  # the folder's changelog follows dialog\n" in text
    assert config.versioning.files == ()  # the template's manifest is not the repository's version
    assert "note: shared/template/package.json: holds 1.0.0, outside the packages" in result.stderr
    # Deterministic: the same repository elsewhere gives the same bytes.
    again = repo(tmp_path / "b" / "plugins", PLUGINS, tags=PLUGIN_TAGS)
    assert init_packages(again)[1] == text


def test_package_names_are_keys_that_make_valid_tags(tmp_path: Path) -> None:
    packages = (
        MonorepoPackage("js/odd", "odd..name", "1.0.0", "package.json"),  # `odd..name-v1.0.0` is no git ref
        MonorepoPackage("js/ui", "ui", "2.0.0", "package.json"),
        MonorepoPackage("rs/ui", "ui", "0.1.0", "Cargo.toml"),  # the same name: the language tells them apart
    )
    entries = plan(tmp_path, Monorepo(("a workspace",), packages, ()), ())
    assert [(e.name, e.tag_format) for e in entries] == [
        ("js/odd", "js/odd-v{version}"),
        ("ui", "ui-v{version}"),
        ("ui-rs", "ui-rs-v{version}"),
    ]


@pytest.mark.parametrize(
    "files",
    [
        pytest.param(  # members inherit the workspace's version: released together
            {
                "Cargo.toml": '[workspace]\nmembers = ["a", "b"]\n[workspace.package]\nversion = "1.0.0"\n',
                "a/Cargo.toml": '[package]\nname = "a"\nversion.workspace = true\n',
                "b/Cargo.toml": '[package]\nname = "b"\nversion.workspace = true\n',
            },
            id="cargo-inherited",
        ),
        pytest.param(  # members that share one version (lockstep)
            {
                "pyproject.toml": '[project]\nname = "root"\nversion = "2.0.0"\n'
                '[tool.uv.workspace]\nmembers = ["libs/*"]\n',
                "libs/x/pyproject.toml": '[project]\nname = "x"\nversion = "2.0.0"\n',
                "libs/y/pyproject.toml": '[project]\nname = "y"\nversion = "2.0.0"\n',
            },
            id="uv-lockstep",
        ),
        pytest.param(  # one Tauri product: its version in three manifests, no workspace
            {
                "package.json": package_json("app", "0.1.0", private=True),
                "src-tauri/Cargo.toml": crate("app", "0.1.0"),
                "src-tauri/tauri.conf.json": json.dumps({"productName": "App", "version": "0.1.0"}),
            },
            id="tauri-app",
        ),
    ],
)
def test_one_version_is_not_a_monorepo(tmp_path: Path, files: dict[str, str]) -> None:
    detection = detect(repo(tmp_path / "p", files, tags=("v1.0.0", "release-0.9.0")))
    assert detection.monorepo is None
    assert not any("holds" in note for note in detection.notes)


def test_a_uv_workspace_with_independent_versions_is_a_monorepo(tmp_path: Path) -> None:
    root = repo(
        tmp_path / "py",
        {
            "pyproject.toml": '[tool.uv.workspace]\nmembers = ["libs/*"]\n',
            "libs/x/pyproject.toml": '[project]\nname = "x"\nversion = "1.0.0"\n',
            "libs/y/pyproject.toml": '[project]\nname = "y"\nversion = "0.2.0"\n',
        },
    )
    mono = detect(root).monorepo
    assert mono is not None and [p.name for p in mono.packages] == ["x", "y"]


def test_tag_families_make_a_monorepo_without_a_workspace(tmp_path: Path) -> None:
    root = repo(
        tmp_path / "tags",
        {"package.json": package_json("root", "1.0.0")},
        tags=("dialog-v2.0.3", "dialog-js-v2.0.1", "fs-v2.0.3", "v1.0.0"),
    )
    before = snapshot(root)
    result = run_releasekit("init", cwd=root)
    assert result.returncode == 2
    assert "its tags form 3 families (" in result.stderr
    assert "dialog-js-v2.0.1" in result.stderr
    assert "but releasekit found no package folders to match them" in result.stderr
    assert "Nothing was written. Declare the packages by hand (`packages:`" in result.stderr
    assert snapshot(root) == before
    assert run_releasekit("init", "--single", cwd=root).returncode == 0
    config = load(root / "releasekit.yaml").config
    assert config.project.tag_format == "v{version}"  # the repository's own tags, not a package's


@pytest.mark.parametrize(
    ("tag", "family"),
    [
        ("dialog-v2.0.3", "dialog"),
        ("dialog-js-v2.0.1", "dialog-js"),
        ("authenticator-js-v2.0.0-rc.1", "authenticator-js"),
        ("@acme/ui@1.2.0", "@acme/ui"),
        ("core-1.4.0", "core"),
        ("v1.2.3", None),
        ("1.2.3", None),
        ("9.2.0.dev0", None),
        ("release-1.4", None),
        ("nightly", None),
    ],
)
def test_tag_family(tag: str, family: str | None) -> None:
    assert tag_family(tag) == family


# --------------------------------------------------------------------------- files that hold another version


def test_init_leaves_out_a_manifest_that_holds_another_version(tmp_path: Path) -> None:
    root = repo(
        tmp_path / "core",
        {
            "Cargo.toml": crate("core", "2.41.5"),
            "package.json": package_json("test-helper", "1.0.0"),  # a test helper's manifest
        },
        tags=("v2.41.5",),
    )
    result = run_releasekit("init", cwd=root)
    assert result.returncode == 0, result.stderr
    assert (
        "note: package.json: holds 1.0.0, not 2.41.5 (the latest release tag v2.41.5): left out; "
        "add it to versioning.files if it moves with the project" in result.stderr
    )
    config = load(root / "releasekit.yaml").config
    assert [vf.path for vf in config.versioning.files] == ["Cargo.toml"]


def vf(path: str, version: str) -> DetectedVersionFile:
    fmt = "pep440" if path.endswith((".py", "pyproject.toml")) else "semver"
    return DetectedVersionFile(path, "toml", "version", fmt, version)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("files", "tags", "left_out"),
    [
        # All agree: nothing is left out, even ahead of the tag (click's 8.5.0.dev after 8.4.2).
        ([vf("pyproject.toml", "8.5.0.dev"), vf("pkg/__init__.py", "8.5.0.dev")], ["8.4.2"], []),
        # A development version ahead of the tag is the project's, a stray manifest behind it is not.
        ([vf("pyproject.toml", "2.5.0.dev0"), vf("tests/package.json", "1.0.0")], ["2.4.1"], ["tests/package.json"]),
        # A file at the tag's version wins over more files elsewhere.
        (
            [vf("Cargo.toml", "3.0.0"), vf("a/package.json", "1.0.0"), vf("b/package.json", "1.0.0")],
            ["v3.0.0"],
            ["a/package.json", "b/package.json"],
        ),
        # No tag: the version most files hold.
        (
            [vf("package.json", "1.3.2"), vf("src-tauri/Cargo.toml", "1.3.2"), vf("e2e/package.json", "0.0.1")],
            [],
            ["e2e/package.json"],
        ),
        # No tag, a tie: the primary manifest's (pyproject.toml before package.json).
        ([vf("package.json", "0.0.1"), vf("pyproject.toml", "4.0.0")], [], ["package.json"]),
        # PEP 440 and semver spellings of one version agree.
        ([vf("pyproject.toml", "26.2"), vf("Cargo.toml", "26.2.0")], ["26.2"], []),
    ],
)
def test_agreeing(files: list[DetectedVersionFile], tags: list[str], left_out: list[str]) -> None:
    chosen, notes = agreeing(files, tags, year=2026)
    assert [f.path for f in chosen] == [f.path for f in files if f.path not in left_out]
    assert [path for path, _ in notes] == left_out
    for path, note in notes:
        held = next(f.version for f in files if f.path == path)
        assert note.startswith(f"{path}: holds {held}, not {chosen[0].version} (")


def test_a_double_star_member_pattern_never_counts_installed_packages(tmp_path: Path) -> None:
    root = repo(
        tmp_path / "js",
        {
            "package.json": package_json("root", private=True, workspaces=["apps/**"]),
            "apps/web/package.json": package_json("web", "1.0.0"),
            "apps/tools/cli/package.json": package_json("cli", "0.2.0"),
            "apps/web/node_modules/left-pad/package.json": package_json("left-pad", "1.3.0"),
        },
    )
    mono = detect(root).monorepo
    assert mono is not None and mono.workspaces == ("package.json workspaces",)
    assert [p.name for p in mono.packages] == ["cli", "web"]
