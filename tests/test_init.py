"""`releasekit init` on real repositories: detects version files and the GitHub repository, writes files that load."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import git, run_releasekit, snapshot

from releasekit.config.loader import load


def make_repo(tmp_path: Path) -> Path:
    root = tmp_path / "voice-app"
    (root / "src-tauri").mkdir(parents=True)
    (root / "pkg").mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "voice-app"\nversion = "2.1.0"\n')
    (root / "pkg/__init__.py").write_text('__version__ = "2.1.0"\n')
    (root / "src-tauri/Cargo.toml").write_text('[package]\nname = "voice-app"\nversion = "2.1.0"\n')
    (root / "package.json").write_text(json.dumps({"name": "voice-app", "version": "2.1.0"}))
    (root / "CHANGELOG.md").write_text("# Changelog\n\n## [Unreleased]\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "remote", "add", "origin", "git@github.com:acme/voice-app.git")
    return root


def test_init_scaffolds_a_config_that_generates_valid_workflows(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    result = run_releasekit("init", cwd=root)
    assert result.returncode == 0, result.stderr
    for name in ("releasekit.yaml", "releasekit.lock", "noxfile.py"):
        assert f"created   {name}" in result.stdout
    config = load(root / "releasekit.yaml").config
    assert config.project.repository == "acme/voice-app"
    assert config.project.name == "voice-app"
    assert config.project.default_branch == "main"
    assert config.versioning.changelog == "CHANGELOG.md"
    found = {(vf.path, vf.toml or vf.json or vf.regex, vf.effective_format) for vf in config.versioning.files}
    assert found == {
        ("package.json", "version", "semver"),
        ("pkg/__init__.py", '^__version__ = "(?P<version>[^"]+)"$', "pep440"),
        ("pyproject.toml", "project.version", "pep440"),
        ("src-tauri/Cargo.toml", "package.version", "semver"),
    }
    assert config.publish.python is not None and config.publish.python.path == "."
    noxfile = root / "noxfile.py"
    assert "import releasekit.nox" in noxfile.read_text()
    # Its PEP 723 block, read as nox reads it: a global nox makes an environment with this releasekit in it.
    from nox.project import load_toml

    from releasekit import __version__

    assert load_toml(str(noxfile)) == {"dependencies": ["nox>=2025.2.9", f"releasekit=={__version__}"]}
    lock = json.loads((root / "releasekit.lock").read_text())
    assert len(lock["actions"]["actions/checkout"]["sha"]) == 40
    generated = run_releasekit("workflows", cwd=root)
    assert generated.returncode == 0, generated.stderr
    assert (root / ".github/workflows/test-suite.yml").is_file()
    assert (root / ".github/workflows/release.yml").is_file()


def test_init_never_overwrites(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    (root / "releasekit.yaml").write_text("# mine\n")
    before = snapshot(root)
    result = run_releasekit("init", cwd=root)
    assert result.returncode == 2
    assert "releasekit.yaml already exists" in result.stderr
    assert "Nothing was written" in result.stderr
    assert snapshot(root) == before


def test_init_keeps_an_existing_noxfile(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    (root / "noxfile.py").write_text("# my sessions\n")
    assert run_releasekit("init", cwd=root).returncode == 0
    assert (root / "noxfile.py").read_text() == "# my sessions\n"


def test_init_without_origin_says_what_to_set(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    git(root, "remote", "remove", "origin")
    result = run_releasekit("init", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "set project.repository" in result.stderr
    assert (
        "repository: your-org/voice-app  # no GitHub origin found: set this" in (root / "releasekit.yaml").read_text()
    )


def test_init_lock_only(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    result = run_releasekit("init", "--lock-only", cwd=root)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in root.iterdir()) == ["releasekit.lock"]


def test_init_in_a_directory_without_version_files(tmp_path: Path) -> None:
    root = tmp_path / "empty"
    root.mkdir()
    result = run_releasekit("init", cwd=root)
    assert result.returncode == 0, result.stderr
    assert load(root / "releasekit.yaml").config.versioning.files == ()
    assert run_releasekit("workflows", cwd=root).returncode == 0


def test_init_refuses_a_bad_name_before_writing(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    before = snapshot(root)
    result = run_releasekit("init", "--name", "Voice App", cwd=root)
    assert result.returncode == 2
    assert "--name 'Voice App': use letters, digits" in result.stderr
    assert snapshot(root) == before
