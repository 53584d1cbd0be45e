"""`releasekit init` on the shapes real repositories have beyond one project: monorepos (a workspace of
independently versioned packages, tag families) are refused with what was found, unless `--single`; one product
whose version lives in several manifests is not one; a manifest holding another version is left out, with a note."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import git, run_releasekit, snapshot

from releasekit.config.loader import load
from releasekit.detect import DetectedVersionFile, detect
from releasekit.monorepo import tag_family
from releasekit.versionagree import agreeing


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


def test_init_refuses_a_pnpm_workspace_and_says_what_it_found(tmp_path: Path) -> None:
    root = repo(tmp_path / "web", PNPM)
    before = snapshot(root)
    result = run_releasekit("init", cwd=root)
    assert result.returncode == 2
    assert (
        "this repository is a monorepo: pnpm-workspace.yaml declares 2 packages with 2 different versions "
        "(@acme/api 0.4.1, @acme/ui 1.2.0)." in result.stderr
    )
    assert "releasekit releases one version per repository today" in result.stderr
    assert "issue #15" in result.stderr
    assert "Nothing was written. `releasekit init --single`" in result.stderr
    assert snapshot(root) == before


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
    result = run_releasekit("init", cwd=root)
    assert result.returncode == 2
    assert "its tags form 3 families (" in result.stderr
    assert "dialog-js-v2.0.1" in result.stderr
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
