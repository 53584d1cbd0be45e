"""Tests for releasekit.detect, against real files and real git repositories in tmp_path."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import git

from releasekit.detect import (
    DetectedVersionFile,
    Detection,
    detect,
    parse_github_remote,
)


def init_repo(path: Path, branch: str = "main") -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", branch)
    return path


def commit_all(repo: Path) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "--no-verify", "-m", "initial")


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="")
    return path


def notes_about(detection: Detection, path: str) -> list[str]:
    return [note for note in detection.notes if note.startswith(f"{path}: ")]


# --------------------------------------------------------------------------- parse_github_remote

REMOTES: list[tuple[str, str | None]] = [
    ("https://github.com/acme/fluxion", "acme/fluxion"),
    ("https://github.com/acme/fluxion.git", "acme/fluxion"),
    ("https://github.com/acme/fluxion/", "acme/fluxion"),
    ("https://github.com/acme/fluxion.git/", "acme/fluxion"),
    ("http://github.com/acme/fluxion.git", "acme/fluxion"),
    ("https://user@github.com/acme/fluxion", "acme/fluxion"),
    ("https://user:" + "ghp_secret@github.com/acme/fluxion.git", "acme/fluxion"),
    ("https://x-access-token:" + "ghs_secret@github.com/acme/fluxion", "acme/fluxion"),
    ("git@github.com:acme/fluxion.git", "acme/fluxion"),
    ("git@github.com:acme/fluxion", "acme/fluxion"),
    ("git@github.com:acme/fluxion.git/", "acme/fluxion"),
    ("github.com:acme/fluxion.git", "acme/fluxion"),
    ("ssh://git@github.com/acme/fluxion.git", "acme/fluxion"),
    ("ssh://git@github.com:22/acme/fluxion", "acme/fluxion"),
    ("ssh://git@ssh.github.com:443/acme/fluxion.git", "acme/fluxion"),
    ("git://github.com/acme/fluxion.git", "acme/fluxion"),
    ("https://ghe.example.com/acme/fluxion.git", "acme/fluxion"),
    ("https://ghe.example.com:8443/acme/fluxion", "acme/fluxion"),
    ("git@ghe.example.com:acme/fluxion", "acme/fluxion"),
    ("ssh://git@ghe.example.com:2222/acme/fluxion.git/", "acme/fluxion"),
    ("  https://github.com/acme/fluxion.git\n", "acme/fluxion"),
    ("https://github.com/Acme-Corp/my.repo_name-2", "Acme-Corp/my.repo_name-2"),
    ("https://github.com/acme/fluxion?ref=x#readme", "acme/fluxion"),
    # Not a GitHub-style owner/name remote.
    ("/srv/x.git", None),
    ("/srv/acme/fluxion.git", None),
    ("../x", None),
    ("../acme/fluxion", None),
    ("./acme/fluxion.git", None),
    ("file:///x", None),
    ("file:///srv/acme/fluxion.git", None),
    ("C:\\src\\acme\\fluxion", None),
    ("C:/src/fluxion", None),
    ("https://github.com/acme", None),
    ("https://github.com/", None),
    ("https://github.com", None),
    ("https://github.com/acme/fluxion/tree/main", None),
    ("https://gitlab.com/group/subgroup/project.git", None),
    ("git@github.com:fluxion.git", None),
    ("git@github.com:", None),
    ("https://github.com/acme/.git", None),
    ("https://github.com/../fluxion", None),
    ("https:///acme/fluxion", None),
    ("ftp://github.com/acme/fluxion", None),
    ("https://[::1/acme/fluxion", None),
    ("", None),
]


@pytest.mark.parametrize(("url", "expected"), REMOTES)
def test_parse_github_remote(url: str, expected: str | None) -> None:
    assert parse_github_remote(url) == expected


@pytest.mark.parametrize("url", [url for url, _ in REMOTES])
def test_parse_github_remote_never_returns_credentials(url: str) -> None:
    result = parse_github_remote(url)
    assert result is None or ("secret" not in result and "@" not in result and ":" not in result)


# --------------------------------------------------------------------------- a Tauri + Python repository

PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "voice-agent"
version = "1.3.2"
"""

CARGO = """\
[package]
name = "fluxion"
version = "1.3.2"
edition = "2021"

[dependencies]
serde = { version = "1", features = ["derive"] }
"""

TAURI_CONF = {"productName": "Fluxion", "version": "1.3.2", "identifier": "com.acme.fluxion"}
PACKAGE_JSON = {"name": "fluxion", "private": True, "version": "1.3.2", "scripts": {"tauri": "tauri"}}


def make_tauri_repo(root: Path) -> Path:
    init_repo(root)
    write(root, "voice-agent/pyproject.toml", PYPROJECT)
    write(root, "voice-agent/pkg/__init__.py", '"""Voice agent."""\n\n__version__ = "1.3.2"\n')
    write(root, "voice-agent/pkg/core.py", '__version__ = "9.9.9"\n')  # not a version file name
    write(root, "src-tauri/Cargo.toml", CARGO)
    write(root, "src-tauri/tauri.conf.json", json.dumps(TAURI_CONF, indent=2))
    write(root, "package.json", json.dumps(PACKAGE_JSON, indent=2))
    write(root, "package-lock.json", json.dumps({"name": "fluxion", "version": "1.3.2"}))
    write(root, "CHANGELOG.md", "# Changelog\n")
    # Everything below must be ignored.
    write(root, "node_modules/x/package.json", json.dumps({"name": "x", "version": "0.0.1"}))
    write(root, "src-tauri/target/debug/build/Cargo.toml", CARGO)
    write(root, "voice-agent/.venv/lib/python3.12/site-packages/dep/__init__.py", '__version__ = "2.0"\n')
    write(root, "voice-agent/venv/pkg/__init__.py", '__version__ = "2.0"\n')
    write(root, "voice-agent/dist/pkg/__init__.py", '__version__ = "2.0"\n')
    write(root, "voice-agent/build/lib/pkg/__init__.py", '__version__ = "2.0"\n')
    write(root, "voice-agent/pkg/__pycache__/version.py", '__version__ = "2.0"\n')
    write(root, ".github/actions/setup/package.json", json.dumps({"version": "3.0.0"}))
    write(root, ".nox/x/pyproject.toml", PYPROJECT)
    write(root, ".tox/x/pyproject.toml", PYPROJECT)
    write(root, "lib/site-packages/dep/_version.py", '__version__ = "2.0"\n')
    return root


EXPECTED_TAURI_FILES = (
    DetectedVersionFile("package.json", "json", "version", "semver", "1.3.2"),
    DetectedVersionFile("src-tauri/Cargo.toml", "toml", "package.version", "semver", "1.3.2"),
    DetectedVersionFile("src-tauri/tauri.conf.json", "json", "version", "semver", "1.3.2"),
    DetectedVersionFile(
        "voice-agent/pkg/__init__.py", "regex", '^__version__ = "(?P<version>[^"]+)"$', "pep440", "1.3.2"
    ),
    DetectedVersionFile("voice-agent/pyproject.toml", "toml", "project.version", "pep440", "1.3.2"),
)


def test_tauri_python_repository(tmp_path: Path) -> None:
    root = make_tauri_repo(tmp_path / "fluxion")
    git(root, "remote", "add", "origin", "git@github.com:acme/fluxion.git")

    detection = detect(root)

    assert detection.version_files == EXPECTED_TAURI_FILES
    assert detection.repository == "acme/fluxion"
    assert detection.default_branch == "main"
    assert detection.changelog == "CHANGELOG.md"
    assert not [note for note in detection.notes if "node_modules" in note or "target" in note]


def test_regex_locators_find_the_version_with_re_multiline(tmp_path: Path) -> None:
    root = make_tauri_repo(tmp_path / "fluxion")
    for found in detect(root).version_files:
        if found.kind == "regex":
            text = (root / found.path).read_text(encoding="utf-8")
            match = re.compile(found.locator, re.MULTILINE).search(text)
            assert match is not None
            assert match["version"] == found.version


def test_detect_is_deterministic_and_writes_nothing(tmp_path: Path) -> None:
    root = make_tauri_repo(tmp_path / "fluxion")
    commit_all(root)
    git(root, "remote", "add", "origin", "https://github.com/acme/fluxion.git")

    def snapshot() -> dict[str, tuple[int, int, bytes]]:
        state = {}
        for path in sorted(root.rglob("*")):
            info = path.lstat()
            content = path.read_bytes() if path.is_file() else b""
            state[path.relative_to(root).as_posix()] = (info.st_mtime_ns, info.st_size, content)
        return state

    before = snapshot()
    first = detect(root)
    second = detect(root)
    assert first == second
    assert snapshot() == before


# --------------------------------------------------------------------------- pyproject.toml


def test_dynamic_version_is_skipped_with_a_note(tmp_path: Path) -> None:
    write(
        tmp_path,
        "pyproject.toml",
        '[project]\nname = "x"\ndynamic = ["version"]\n\n[tool.hatch.version]\npath = "x/__about__.py"\n',
    )
    detection = detect(tmp_path)
    assert detection.version_files == ()
    [note] = notes_about(detection, "pyproject.toml")
    assert note.startswith("pyproject.toml: version is dynamic and releasekit cannot tell where hatchling takes it ")
    assert "x/__about__.py is missing or cannot be read" in note and note.endswith("or set versioning.source: tag")


def test_poetry_version(tmp_path: Path) -> None:
    # One version in both (files that disagree are left out: test_init_monorepo.py).
    write(tmp_path, "a/pyproject.toml", '[tool.poetry]\nname = "a"\nversion = "2.0.0rc1"\n')
    # Poetry 2: the version lives in [tool.poetry] and [project] declares it dynamic.
    write(
        tmp_path,
        "b/pyproject.toml",
        '[project]\nname = "b"\ndynamic = ["version"]\n\n[tool.poetry]\nversion = "2.0.0rc1"\n',
    )
    write(
        tmp_path,
        "c/pyproject.toml",
        '[tool.poetry]\nname = "c"\nversion = "0.0.0"\n\n[tool.poetry-dynamic-versioning]\nenable = true\n',
    )
    write(tmp_path, "d/pyproject.toml", "[tool.ruff]\nline-length = 100\n")

    detection = detect(tmp_path)

    assert detection.version_files == (
        DetectedVersionFile("a/pyproject.toml", "toml", "tool.poetry.version", "pep440", "2.0.0rc1"),
        DetectedVersionFile("b/pyproject.toml", "toml", "tool.poetry.version", "pep440", "2.0.0rc1"),
    )
    assert notes_about(detection, "c/pyproject.toml") == [
        "c/pyproject.toml: version from git tags (poetry-dynamic-versioning: [tool.poetry-dynamic-versioning] "
        "enable = true): releases are the tags; nothing to edit"
    ]
    assert notes_about(detection, "d/pyproject.toml") == [
        "d/pyproject.toml: no project.version or tool.poetry.version; not added"
    ]


def test_broken_toml_is_a_note_with_the_line(tmp_path: Path) -> None:
    write(tmp_path, "voice-agent/pyproject.toml", '[project]\nname = "x"\nversion = = "1.0"\n')
    write(tmp_path, "src-tauri/Cargo.toml", '[package]\nname = "x"\nversion = "1.0\n')

    detection = detect(tmp_path)

    assert detection.version_files == ()
    (pyproject_note,) = notes_about(detection, "voice-agent/pyproject.toml")
    assert "invalid TOML at line 3" in pyproject_note
    (cargo_note,) = notes_about(detection, "src-tauri/Cargo.toml")
    assert "invalid TOML at line" in cargo_note


def test_broken_json_is_a_note_with_the_line(tmp_path: Path) -> None:
    write(tmp_path, "package.json", '{\n  "name": "x",\n  "version": "1.0.0",\n}\n')
    write(tmp_path, "src-tauri/tauri.conf.json", "[1, 2]")

    detection = detect(tmp_path)

    assert detection.version_files == ()
    (package_note,) = notes_about(detection, "package.json")
    assert package_note.startswith("package.json: invalid JSON at line 4 (")
    assert notes_about(detection, "src-tauri/tauri.conf.json") == [
        "src-tauri/tauri.conf.json: the top level is not a JSON object; not added"
    ]


def test_non_string_versions_are_notes(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", '[project]\nname = "x"\nversion = 1.0\n')
    write(tmp_path, "package.json", json.dumps({"version": 1}))
    write(tmp_path, "crate/Cargo.toml", '[package]\nname = "x"\nversion = ""\n')

    detection = detect(tmp_path)

    assert detection.version_files == ()
    assert notes_about(detection, "pyproject.toml") == [
        "pyproject.toml: project.version is not a string (found float); not added"
    ]
    assert notes_about(detection, "package.json") == ["package.json: version is not a string (found int); not added"]
    assert notes_about(detection, "crate/Cargo.toml") == ["crate/Cargo.toml: package.version is empty; not added"]


# --------------------------------------------------------------------------- Cargo.toml and Tauri


def test_cargo_workspace_versions(tmp_path: Path) -> None:
    write(
        tmp_path,
        "Cargo.toml",
        '[workspace]\nmembers = ["crates/*"]\n\n[workspace.package]\nversion = "0.9.0"\n\n'
        '[package]\nname = "root"\nversion.workspace = true\n',
    )
    write(tmp_path, "crates/core/Cargo.toml", '[package]\nname = "core"\nversion = { workspace = true }\n')

    detection = detect(tmp_path)

    assert detection.version_files == (
        DetectedVersionFile("Cargo.toml", "toml", "workspace.package.version", "semver", "0.9.0"),
    )
    inherited = "version is inherited from the workspace (version.workspace = true); not added"
    assert notes_about(detection, "Cargo.toml") == [f"Cargo.toml: {inherited}"]
    assert notes_about(detection, "crates/core/Cargo.toml") == [f"crates/core/Cargo.toml: {inherited}"]


def test_tauri_v1_and_version_pointing_at_package_json(tmp_path: Path) -> None:
    v1 = {"package": {"productName": "old", "version": "0.1.0"}, "tauri": {}}
    write(tmp_path, "v1/src-tauri/tauri.conf.json", json.dumps(v1))
    write(tmp_path, "v2/src-tauri/tauri.conf.json", json.dumps({"version": "../package.json"}))
    write(tmp_path, "v3/src-tauri/tauri.conf.json", json.dumps({"identifier": "x"}))

    detection = detect(tmp_path)

    assert detection.version_files == (
        DetectedVersionFile("v1/src-tauri/tauri.conf.json", "json", "package.version", "semver", "0.1.0"),
    )
    (pointer_note,) = notes_about(detection, "v2/src-tauri/tauri.conf.json")
    assert "../package.json" in pointer_note
    (missing_note,) = notes_about(detection, "v3/src-tauri/tauri.conf.json")
    assert "no version" in missing_note


# --------------------------------------------------------------------------- Python modules


@pytest.mark.parametrize(
    ("line", "locator"),
    [
        ('__version__ = "1.2.3"\n', '^__version__ = "(?P<version>[^"]+)"$'),
        ("__version__ = '1.2.3'\n", "^__version__ = '(?P<version>[^']+)'$"),
        ('__version__: str = "1.2.3"\n', '^__version__: str = "(?P<version>[^"]+)"$'),
        ('__version__ = "1.2.3"  # x-release-please-version\n', '^__version__ = "(?P<version>[^"]+)"'),
        ('__version__ = "1.2.3"\r\n', '^__version__ = "(?P<version>[^"]+)"\\r?$'),
    ],
)
def test_python_version_line(tmp_path: Path, line: str, locator: str) -> None:
    text = f'"""Package."""\n\nimport os\n{line}\n__all__ = ["os"]\n'
    write(tmp_path, "src/pkg/_version.py", text)

    (found,) = detect(tmp_path).version_files

    assert found == DetectedVersionFile("src/pkg/_version.py", "regex", locator, "pep440", "1.2.3")
    match = re.compile(found.locator, re.M).search(text)
    assert match is not None
    assert match["version"] == "1.2.3"


def test_python_files_without_a_literal_version_are_ignored_silently(tmp_path: Path) -> None:
    write(tmp_path, "pkg/__init__.py", 'from importlib.metadata import version\n__version__ = version("pkg")\n')
    write(tmp_path, "pkg/version.py", 'def f() -> None:\n    __version__ = "1.0"\n')
    write(tmp_path, "pkg/sub/__init__.py", "")
    detection = detect(tmp_path)
    assert detection.version_files == ()
    assert not [note for note in detection.notes if note.startswith("pkg/")]


# --------------------------------------------------------------------------- walking and changelog


def test_depth_limit_and_hidden_directories(tmp_path: Path) -> None:
    write(tmp_path, "a/b/c/d/package.json", json.dumps({"version": "4.0.0"}))
    write(tmp_path, "a/b/c/d/e/package.json", json.dumps({"version": "5.0.0"}))
    write(tmp_path, ".hidden/package.json", json.dumps({"version": "6.0.0"}))
    write(tmp_path, "a/.cache/package.json", json.dumps({"version": "7.0.0"}))

    detection = detect(tmp_path)

    assert detection.version_files == (
        DetectedVersionFile("a/b/c/d/package.json", "json", "version", "semver", "4.0.0"),
    )


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ([], None),
        (["README.md"], None),
        (["changelog.md"], "changelog.md"),
        (["History.rst"], "History.rst"),
        (["CHANGES.md", "HISTORY.md"], "CHANGES.md"),
        (["CHANGELOG.rst", "CHANGELOG.md"], "CHANGELOG.md"),
        (["CHANGELOG.txt"], None),
    ],
)
def test_changelog(tmp_path: Path, names: list[str], expected: str | None) -> None:
    for name in names:
        write(tmp_path, name, "# Changes\n")
    write(tmp_path, "docs/CHANGELOG.md", "# Not at the root\n")
    detection = detect(tmp_path)
    assert detection.changelog == expected
    assert any("several changelogs" in note for note in detection.notes) == (len(names) > 1)


def test_root_must_be_a_directory(tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError):
        detect(tmp_path / "missing")


# --------------------------------------------------------------------------- git


def test_not_a_git_repository(tmp_path: Path) -> None:
    detection = detect(tmp_path)
    assert detection.repository is None
    assert detection.default_branch == "main"
    assert any(note.startswith("not a git repository") for note in detection.notes)


def test_no_origin_uses_the_current_branch(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "repo", branch="develop")
    git(root, "remote", "add", "upstream", "https://github.com/acme/upstream.git")

    detection = detect(root)

    assert detection.repository is None
    assert detection.default_branch == "develop"
    assert "no 'origin' remote: repository not detected" in detection.notes


def test_origin_head_gives_the_default_branch(tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "trunk", str(remote))
    root = init_repo(tmp_path / "work", branch="trunk")
    write(root, "package.json", json.dumps({"version": "1.0.0"}))
    commit_all(root)
    git(root, "remote", "add", "origin", str(remote))
    git(root, "push", "-q", "origin", "trunk")
    git(root, "remote", "set-head", "origin", "-a")
    git(root, "switch", "-q", "-c", "feature/x")

    detection = detect(root)

    assert detection.default_branch == "trunk"
    # A local bare remote has no owner/name: not an error, just a note.
    assert detection.repository is None
    assert any("not a GitHub-style" in note for note in detection.notes)


# Credential-bearing URLs are built by concatenation so that no file in the repository holds one
# (`releasekit scan` checks that, see tests/test_scan.py).
def test_origin_with_credentials_is_not_echoed(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "repo")
    git(root, "remote", "add", "origin", "https://user:" + "s3cret-token@git.example.com/a/b/c.git")
    detection = detect(root)
    assert detection.repository is None
    assert not [note for note in detection.notes if "s3cret" in note]

    git(root, "remote", "set-url", "origin", "https://user:" + "s3cret-token@github.com/acme/fluxion.git")
    assert detect(root).repository == "acme/fluxion"


def test_subdirectory_of_a_repository(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "repo")
    git(root, "remote", "add", "origin", "https://github.com/acme/mono")
    write(root, "apps/web/package.json", json.dumps({"version": "2.1.0"}))

    detection = detect(root / "apps")

    assert detection.repository == "acme/mono"
    assert detection.version_files == (DetectedVersionFile("web/package.json", "json", "version", "semver", "2.1.0"),)
