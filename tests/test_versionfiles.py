"""Planned version edits: only the version's characters change, in every declared file and its lock files."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import semver
from conftest import REPO, copy_example, snapshot

from releasekit import versionfiles
from releasekit.config.loader import load
from releasekit.config.model import VersionFile
from releasekit.versionfiles import FileChange, VersionFileError, plan_bumps, read_current

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

V = semver.Version.parse


@pytest.fixture
def fluxion(tmp_path: Path) -> Path:
    return copy_example("fluxion", tmp_path)


def declared(root: Path) -> tuple[VersionFile, ...]:
    return load(root / "releasekit.yaml").config.versioning.files


def plan_one(tmp_path: Path, name: str, text: str | bytes, version: str = "1.4.0", **where: str) -> FileChange:
    """Plans the bump of a single file written with exactly these characters."""
    file = tmp_path / name
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_bytes(text if isinstance(text, bytes) else text.encode())
    vf = VersionFile(path=name, **where)  # type: ignore[arg-type]  # `format` comes in as a plain str
    (change,) = plan_bumps(tmp_path, [vf], V(version))
    return change


def lines(*rows: str) -> str:
    return "".join(f"{row}\n" for row in rows)


def error(tmp_path: Path, name: str, text: str, **where: str) -> str:
    with pytest.raises(VersionFileError) as caught:
        plan_one(tmp_path, name, text, **where)
    assert caught.value.exit_code == 2
    return str(caught.value)


# --- the fluxion example --------------------------------------------------------------------------------------

FLUXION_DIFFS = {
    "voice-agent/pyproject.toml": lines(
        "--- a/voice-agent/pyproject.toml",
        "+++ b/voice-agent/pyproject.toml",
        "@@ -4,7 +4,7 @@",
        " ",
        " [project]",
        ' name = "fluxion-voice"',
        '-version = "1.3.2"',
        '+version = "1.4.0"',
        ' description = "Voice pipeline (NLU, TTS, STT) behind the Fluxion desktop app."',
        ' readme = "README.md"',
        ' requires-python = ">=3.9"',
    ),
    "voice-agent/fluxion_voice/__init__.py": lines(
        "--- a/voice-agent/fluxion_voice/__init__.py",
        "+++ b/voice-agent/fluxion_voice/__init__.py",
        "@@ -1,5 +1,5 @@",
        ' """Fluxion voice pipeline: the Python service behind the desktop app\'s voice agent."""',
        " ",
        '-__version__ = "1.3.2"',
        '+__version__ = "1.4.0"',
        " ",
        ' __all__ = ["__version__"]',
    ),
    "src-tauri/Cargo.toml": lines(
        "--- a/src-tauri/Cargo.toml",
        "+++ b/src-tauri/Cargo.toml",
        "@@ -1,6 +1,6 @@",
        " [package]",
        ' name = "fluxion"',
        '-version = "1.3.2"',
        '+version = "1.4.0"',
        ' description = "Fluxion desktop app: Tauri shell and the HTTP bridge to the voice pipeline"',
        ' authors = ["Fluxion developers"]',
        ' license = "MIT"',
    ),
    "src-tauri/Cargo.lock": lines(
        "--- a/src-tauri/Cargo.lock",
        "+++ b/src-tauri/Cargo.lock",
        "@@ -4,7 +4,7 @@",
        " ",
        " [[package]]",
        ' name = "fluxion"',
        '-version = "1.3.2"',
        '+version = "1.4.0"',
        " dependencies = [",
        '  "serde",',
        '  "serde_json",',
    ),
    "src-tauri/tauri.conf.json": lines(
        "--- a/src-tauri/tauri.conf.json",
        "+++ b/src-tauri/tauri.conf.json",
        "@@ -1,7 +1,7 @@",
        " {",
        '   "$schema": "https://schema.tauri.app/config/2",',
        '   "productName": "Fluxion",',
        '-  "version": "1.3.2",',
        '+  "version": "1.4.0",',
        '   "identifier": "app.fluxion.desktop",',
        '   "build": {',
        '     "beforeDevCommand": "npm run dev",',
    ),
    "package.json": lines(
        "--- a/package.json",
        "+++ b/package.json",
        "@@ -1,7 +1,7 @@",
        " {",
        '   "name": "fluxion",',
        '   "private": true,',
        '-  "version": "1.3.2",',
        '+  "version": "1.4.0",',
        '   "description": "Voice-driven desktop assistant built with Tauri",',
        '   "type": "module",',
        '   "license": "MIT",',
    ),
    "package-lock.json": lines(
        "--- a/package-lock.json",
        "+++ b/package-lock.json",
        "@@ -1,12 +1,12 @@",
        " {",
        '   "name": "fluxion",',
        '-  "version": "1.3.2",',
        '+  "version": "1.4.0",',
        '   "lockfileVersion": 3,',
        '   "requires": true,',
        '   "packages": {',
        '     "": {',
        '       "name": "fluxion",',
        '-      "version": "1.3.2",',
        '+      "version": "1.4.0",',
        '       "license": "MIT",',
        '       "devDependencies": {',
        '         "@tauri-apps/cli": "^2.9.0",',
    ),
}


def test_fluxion_release(fluxion: Path) -> None:
    before = snapshot(fluxion)
    changes = plan_bumps(fluxion, declared(fluxion), V("1.4.0"))
    assert snapshot(fluxion) == before  # a plan, not an edit
    assert [(c.path, c.reason, c.line, c.old, c.new) for c in changes] == [
        ("voice-agent/pyproject.toml", "toml project.version", 7, "1.3.2", "1.4.0"),
        ("voice-agent/fluxion_voice/__init__.py", "regex", 3, "1.3.2", "1.4.0"),
        ("src-tauri/Cargo.toml", "toml package.version", 3, "1.3.2", "1.4.0"),
        ("src-tauri/Cargo.lock", "Cargo.lock entry for crate 'fluxion'", 7, "1.3.2", "1.4.0"),
        ("src-tauri/tauri.conf.json", "json version", 4, "1.3.2", "1.4.0"),
        ("package.json", "json version", 4, "1.3.2", "1.4.0"),
        ("package-lock.json", 'package-lock.json version and packages[""].version', 3, "1.3.2", "1.4.0"),
    ]
    assert {c.path: c.diff() for c in changes} == FLUXION_DIFFS
    for change in changes:
        assert change.before == (fluxion / change.path).read_text()
        assert change.after == change.before.replace('"1.3.2"', '"1.4.0"')


def test_fluxion_leaves_the_other_crates_in_cargo_lock_alone(fluxion: Path) -> None:
    changes = {c.path: c for c in plan_bumps(fluxion, declared(fluxion), V("1.4.0"))}
    before = tomllib.loads(changes["src-tauri/Cargo.lock"].before)["package"]
    after = tomllib.loads(changes["src-tauri/Cargo.lock"].after)["package"]
    assert after[0] == {**before[0], "version": "1.4.0"}
    assert after[1:] == before[1:]
    assert len(after) == 10


def test_fluxion_prerelease_is_pep440_in_python_files(fluxion: Path) -> None:
    changes = plan_bumps(fluxion, declared(fluxion), V("1.4.0-rc.1"))
    assert [(c.path, c.new) for c in changes] == [
        ("voice-agent/pyproject.toml", "1.4.0rc1"),
        ("voice-agent/fluxion_voice/__init__.py", "1.4.0rc1"),
        ("src-tauri/Cargo.toml", "1.4.0-rc.1"),
        ("src-tauri/Cargo.lock", "1.4.0-rc.1"),
        ("src-tauri/tauri.conf.json", "1.4.0-rc.1"),
        ("package.json", "1.4.0-rc.1"),
        ("package-lock.json", "1.4.0-rc.1"),
    ]
    changed = {c.path: [line for line in c.diff().splitlines()[2:] if line[:1] in "+-"] for c in changes}
    assert changed == {
        "voice-agent/pyproject.toml": ['-version = "1.3.2"', '+version = "1.4.0rc1"'],
        "voice-agent/fluxion_voice/__init__.py": ['-__version__ = "1.3.2"', '+__version__ = "1.4.0rc1"'],
        "src-tauri/Cargo.toml": ['-version = "1.3.2"', '+version = "1.4.0-rc.1"'],
        "src-tauri/Cargo.lock": ['-version = "1.3.2"', '+version = "1.4.0-rc.1"'],
        "src-tauri/tauri.conf.json": ['-  "version": "1.3.2",', '+  "version": "1.4.0-rc.1",'],
        "package.json": ['-  "version": "1.3.2",', '+  "version": "1.4.0-rc.1",'],
        "package-lock.json": [
            '-  "version": "1.3.2",',
            '+  "version": "1.4.0-rc.1",',
            '-      "version": "1.3.2",',
            '+      "version": "1.4.0-rc.1",',
        ],
    }


def test_fluxion_read_current(fluxion: Path) -> None:
    found = [(vf.path, read_current(fluxion, vf)) for vf in declared(fluxion)]
    assert found == [
        ("voice-agent/pyproject.toml", ("1.3.2", 7)),
        ("voice-agent/fluxion_voice/__init__.py", ("1.3.2", 3)),
        ("src-tauri/Cargo.toml", ("1.3.2", 3)),
        ("src-tauri/tauri.conf.json", ("1.3.2", 4)),
        ("package.json", ("1.3.2", 4)),
    ]


def test_files_already_at_the_version_are_left_out(fluxion: Path) -> None:
    package = fluxion / "package.json"
    package.write_text(package.read_text().replace('"1.3.2"', '"1.4.0"'))
    changes = plan_bumps(fluxion, declared(fluxion), V("1.4.0"))
    assert "package.json" not in [c.path for c in changes]
    assert "package-lock.json" in [c.path for c in changes]  # the lock still lags behind
    assert plan_bumps(fluxion, [VersionFile(path="package.json", json="version")], V("1.4.0")) == [
        c for c in changes if c.path == "package-lock.json"
    ]


def test_a_file_at_the_version_must_still_hold_it_where_declared(fluxion: Path) -> None:
    (fluxion / "package.json").write_text('{"version": "1.4.0"}\n')
    files = [VersionFile(path="package.json", json="version"), VersionFile(path="package.json", json="build.version")]
    with pytest.raises(VersionFileError, match=r"^package\.json: no key 'build\.version'"):
        plan_bumps(fluxion, files, V("1.4.0"))


def test_missing_lock_files_are_not_changed(fluxion: Path) -> None:
    (fluxion / "src-tauri" / "Cargo.lock").unlink()
    (fluxion / "package-lock.json").unlink()
    paths = [c.path for c in plan_bumps(fluxion, declared(fluxion), V("1.4.0"))]
    assert paths == [
        "voice-agent/pyproject.toml",
        "voice-agent/fluxion_voice/__init__.py",
        "src-tauri/Cargo.toml",
        "src-tauri/tauri.conf.json",
        "package.json",
    ]


def test_pep440_cannot_express_every_prerelease(fluxion: Path) -> None:
    with pytest.raises(VersionFileError) as caught:
        plan_bumps(fluxion, declared(fluxion), V("1.4.0-preview-2"))
    assert str(caught.value).startswith("voice-agent/pyproject.toml: 1.4.0-preview-2 cannot be written as a PEP 440")
    assert "set `format: semver` on this file in versioning.files" in str(caught.value)


# --- lock files -----------------------------------------------------------------------------------------------


def test_cargo_lock_of_a_workspace_is_found_above_the_crate(tmp_path: Path) -> None:
    (tmp_path / "crates" / "app").mkdir(parents=True)
    (tmp_path / "crates" / "app" / "Cargo.toml").write_text('[package]\nname = "app"\nversion = "0.9.0"\n')
    lock = (
        "version = 3\n\n"
        '[[package]]\nname = "app"\nversion = "0.8.0"\nsource = "registry+https://github.com/rust-lang/crates.io-index"\n\n'
        '[[package]]\nname = "app"\nversion = "0.9.0"\ndependencies = [\n "app 0.8.0",\n]\n'
    )
    (tmp_path / "Cargo.lock").write_text(lock)
    changes = plan_bumps(tmp_path, [VersionFile(path="crates/app/Cargo.toml", toml="package.version")], V("1.0.0"))
    assert [(c.path, c.line, c.reason) for c in changes] == [
        ("crates/app/Cargo.toml", 3, "toml package.version"),
        ("Cargo.lock", 10, "Cargo.lock entry for crate 'app'"),
    ]
    assert changes[1].after == lock.replace('version = "0.9.0"', 'version = "1.0.0"')


def test_cargo_lock_without_the_crate_is_not_changed(tmp_path: Path) -> None:
    (tmp_path / "Cargo.toml").write_text('[package]\nname = "app"\nversion = "0.9.0"\n')
    (tmp_path / "Cargo.lock").write_text('version = 3\n\n[[package]]\nname = "other"\nversion = "0.9.0"\n')
    changes = plan_bumps(tmp_path, [VersionFile(path="Cargo.toml", toml="package.version")], V("1.0.0"))
    assert [c.path for c in changes] == ["Cargo.toml"]


def test_npm_shrinkwrap_and_lockfile_version_1(tmp_path: Path) -> None:
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "package.json").write_text('{"name": "w", "version": "0.9.0"}\n')
    (tmp_path / "web" / "npm-shrinkwrap.json").write_text(
        '{"name": "w", "version": "0.9.0", "lockfileVersion": 1, "dependencies": {"x": {"version": "0.9.0"}}}\n'
    )
    changes = plan_bumps(tmp_path, [VersionFile(path="web/package.json", json="version")], V("1.0.0"))
    assert [(c.path, c.reason) for c in changes] == [
        ("web/package.json", "json version"),
        ("web/npm-shrinkwrap.json", "npm-shrinkwrap.json version"),
    ]
    assert changes[1].after == (
        '{"name": "w", "version": "1.0.0", "lockfileVersion": 1, "dependencies": {"x": {"version": "0.9.0"}}}\n'
    )


UV_LOCK = lines(
    "version = 1",
    "revision = 3",
    'requires-python = ">=3.10"',
    "",
    "[[package]]",
    'name = "click"',
    'version = "0.9.0"',
    'source = { registry = "https://pypi.org/simple" }',
    "",
    "[[package]]",
    'name = "my-pkg"',
    'version = "0.9.0"',
    'source = { editable = "." }',
    "dependencies = [",
    '    { name = "click" },',
    "]",
    "",
    "[package.metadata]",
    'requires-dist = [{ name = "click", specifier = ">=0.9.0" }]',
)


def test_uv_lock_follows_the_projects_own_entry_and_nothing_else(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "My_Pkg"\nversion = "0.9.0"\n')
    (tmp_path / "uv.lock").write_bytes(UV_LOCK.replace("\n", "\r\n").encode())  # byte for byte, CRLF kept
    changes = plan_bumps(tmp_path, [VersionFile(path="pyproject.toml", toml="project.version")], V("1.0.0-rc.1"))
    assert [(c.path, c.line, c.old, c.new, c.reason) for c in changes] == [
        ("pyproject.toml", 3, "0.9.0", "1.0.0rc1", "toml project.version"),
        ("uv.lock", 12, "0.9.0", "1.0.0rc1", "uv.lock entry for 'My_Pkg'"),  # uv's normalized form
    ]
    expected = UV_LOCK.replace('"my-pkg"\nversion = "0.9.0"', '"my-pkg"\nversion = "1.0.0rc1"')
    assert changes[1].after == expected.replace("\n", "\r\n")


def test_uv_lock_of_a_workspace_member_is_found_at_the_workspace_root(tmp_path: Path) -> None:
    member = tmp_path / "packages" / "lib"
    member.mkdir(parents=True)
    (member / "pyproject.toml").write_text('[project]\nname = "my-pkg"\nversion = "0.9.0"\n')
    # The root project has the same name's lookalike at "." : only the member's path is this project.
    lock = UV_LOCK.replace('editable = "."', 'editable = "packages/lib"')
    root_entry = '\n[[package]]\nname = "my-pkg"\nversion = "0.9.0"\nsource = { virtual = "." }\n'
    (tmp_path / "uv.lock").write_text(lock + root_entry)
    files = [VersionFile(path="packages/lib/pyproject.toml", toml="project.version")]
    changes = plan_bumps(tmp_path, files, V("1.0.0"))
    assert [(c.path, c.line) for c in changes] == [("packages/lib/pyproject.toml", 3), ("uv.lock", 12)]
    assert changes[1].after == lock.replace('"my-pkg"\nversion = "0.9.0"', '"my-pkg"\nversion = "1.0.0"') + root_entry


def test_uv_lock_without_a_version_for_the_project_and_poetry_and_pdm_locks_are_left_alone(tmp_path: Path) -> None:
    # uv records no version for a project whose version is dynamic; poetry.lock and pdm.lock list only the
    # dependencies, never the project itself, even one of the same version.
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "my-pkg"\nversion = "0.9.0"\n')
    (tmp_path / "uv.lock").write_text(UV_LOCK.replace('version = "0.9.0"\nsource = { editable', "source = { editable"))
    dependency = '[[package]]\nname = "click"\nversion = "0.9.0"\n'
    (tmp_path / "poetry.lock").write_text(dependency)
    (tmp_path / "pdm.lock").write_text(dependency)
    changes = plan_bumps(tmp_path, [VersionFile(path="pyproject.toml", toml="project.version")], V("1.0.0"))
    assert [c.path for c in changes] == ["pyproject.toml"]


def test_pep440_normal_form_as_uv_writes_it() -> None:
    assert versionfiles._pep440("8.5.0.dev") == "8.5.0.dev0"
    assert versionfiles._pep440("1.4.0-rc.1") == "1.4.0rc1"
    assert versionfiles._pep440("not-a-version") == "not-a-version"


CARGO_WORKSPACE_LOCK = lines(
    "version = 4",
    "",
    "[[package]]",
    'name = "app"',
    'version = "0.8.0"',
    'source = "registry+https://github.com/rust-lang/crates.io-index"',
    "",
    "[[package]]",
    'name = "app"',
    'version = "0.9.0"',
    "dependencies = [",
    ' "app 0.8.0",',
    ' "core",',
    "]",
    "",
    "[[package]]",
    'name = "core"',
    'version = "0.9.0"',
    "",
    "[[package]]",
    'name = "legacy"',
    'version = "0.9.0"',
    "",
    "[[package]]",
    'name = "own"',
    'version = "0.9.0"',
)


def test_cargo_lock_follows_every_workspace_crate_that_inherits_the_version(tmp_path: Path) -> None:
    (tmp_path / "Cargo.toml").write_text(
        '[workspace]\nmembers = ["crates/*"]\nexclude = ["crates/legacy"]\n\n[workspace.package]\nversion = "0.9.0"\n'
    )
    for name, version in (("app", "version.workspace = true"), ("core", "version = { workspace = true }")):
        (tmp_path / "crates" / name).mkdir(parents=True)
        (tmp_path / "crates" / name / "Cargo.toml").write_text(f'[package]\nname = "{name}"\n{version}\n')
    (tmp_path / "crates" / "own").mkdir()
    (tmp_path / "crates" / "own" / "Cargo.toml").write_text('[package]\nname = "own"\nversion = "0.9.0"\n')
    (tmp_path / "crates" / "legacy").mkdir()  # excluded from the workspace, though it inherits
    (tmp_path / "crates" / "legacy" / "Cargo.toml").write_text('[package]\nname = "legacy"\nversion.workspace = true\n')
    (tmp_path / "crates" / "docs").mkdir()  # matched by the glob, but no crate
    (tmp_path / "Cargo.lock").write_text(CARGO_WORKSPACE_LOCK)
    files = [VersionFile(path="Cargo.toml", toml="workspace.package.version")]
    changes = plan_bumps(tmp_path, files, V("1.0.0"))
    assert [(c.path, c.line, c.reason) for c in changes] == [
        ("Cargo.toml", 6, "toml workspace.package.version"),
        ("Cargo.lock", 10, "Cargo.lock entries for workspace crates 'app', 'core'"),
    ]
    assert changes[1].after == CARGO_WORKSPACE_LOCK.replace(
        'name = "app"\nversion = "0.9.0"', 'name = "app"\nversion = "1.0.0"'
    ).replace('name = "core"\nversion = "0.9.0"', 'name = "core"\nversion = "1.0.0"')


def test_the_corpus_uv_lock_of_click_follows_its_version() -> None:
    corpus = REPO.parent / "shared" / "corpus" / "pallets__click" / "head"
    if not (corpus / "uv.lock").is_file():
        pytest.skip(f"the corpus is not here ({corpus})")
    changes = plan_bumps(corpus, [VersionFile(path="pyproject.toml", toml="project.version")], V("8.5.0"))
    assert [(c.path, c.old, c.new) for c in changes] == [
        ("pyproject.toml", "8.5.0.dev", "8.5.0"),
        ("uv.lock", "8.5.0.dev0", "8.5.0"),
    ]
    diff = changes[1].diff().splitlines()
    assert [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")] == [
        '-version = "8.5.0.dev0"',
        '+version = "8.5.0"',
    ]


def test_a_file_named_twice_gets_both_edits(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nversion = "0.9.0"\n\n[tool.app]\nversion = "0.9.0"\n')
    files = [VersionFile(path="pyproject.toml", toml=key) for key in ("project.version", "tool.app.version")]
    first, second = plan_bumps(tmp_path, files, V("1.0.0"))
    assert second.before == first.after
    assert second.after == '[project]\nversion = "1.0.0"\n\n[tool.app]\nversion = "1.0.0"\n'
    assert (first.line, second.line) == (2, 5)


# --- TOML -----------------------------------------------------------------------------------------------------


def test_toml_root_dotted_key_single_quotes_and_lookalikes(tmp_path: Path) -> None:
    text = (
        "# version = '1.3.2' in a comment stays\n"
        "project.name = 'x'\n"
        "project.version = '1.3.2'  # the one\n"
        "project.dependencies = ['other==1.3.2']\n"
        'notes = """\n'
        "[project]\n"
        "version = '1.3.2' inside a string stays\n"
        '"""\n'
        "[tool.x]\n"
        "version = '1.3.2'\n"
    )
    change = plan_one(tmp_path, "pyproject.toml", text, toml="project.version")
    assert change.after == text.replace("project.version = '1.3.2'", "project.version = '1.4.0'")
    assert change.line == 3


def test_toml_quoted_keys_and_arrays_of_tables(tmp_path: Path) -> None:
    text = (
        "[[bin]]\nname = 'a'\n[bin.meta]\nversion = \"1.3.2\"\n"
        "[[bin]]\nname = 'b'\n[bin.meta]\nversion = \"1.3.2\"\n\n"
        '[ tool . "my-app" ]\n"version" = "1.3.2"\n'
    )
    change = plan_one(tmp_path, "x.toml", text, toml="tool.my-app.version")
    assert change.after == text.replace('"version" = "1.3.2"', '"version" = "1.4.0"')
    assert change.line == 11


def test_toml_inline_table_value(tmp_path: Path) -> None:
    text = '[tool]\napp = { name = "app", version = "1.3.2", tags = [\n  "1.3.2", # a ] comment\n] }\n'
    change = plan_one(tmp_path, "x.toml", text, toml="tool.app.version")
    assert change.after == text.replace('version = "1.3.2"', 'version = "1.4.0"')


def test_toml_crlf_and_literal_and_multiline_strings(tmp_path: Path) -> None:
    text = "[a]\r\npath = 'C:\\dir\\'\r\ndoc = '''\r\nversion = \"1.3.2\"\r\n'''\r\n[a.b]\r\nversion = \"1.3.2\"\r\n"
    change = plan_one(tmp_path, "x.toml", text.encode(), toml="a.b.version")
    assert change.after == text[: text.rindex("1.3.2")] + "1.4.0" + text[text.rindex("1.3.2") + 5 :]
    assert change.after.count("\r\n") == text.count("\r\n") == text.count("\n")
    assert change.line == 7


# --- JSON -----------------------------------------------------------------------------------------------------


def test_json_nested_key_tabs_and_no_final_newline(tmp_path: Path) -> None:
    text = (
        '{\n\t"version": "9.9.9",\n\t"app": {\n\t\t"name": "version",\n\t\t"list": ["1.3.2", {"version": 1}],'
        '\n\t\t"version"\t:\t"1.3.2"\n\t},\n\t"z": "1.3.2"\n}'
    )
    change = plan_one(tmp_path, "app.json", text, json="app.version")
    assert change.after == text.replace('"version"\t:\t"1.3.2"', '"version"\t:\t"1.4.0"')
    assert change.line == 6
    assert change.diff().endswith(
        '+\t\t"version"\t:\t"1.4.0"\n \t},\n \t"z": "1.3.2"\n }\n\\ No newline at end of file\n'
    )


def test_json_escaped_keys_crlf_and_byte_order_mark(tmp_path: Path) -> None:
    text = '\ufeff{\r\n  "a\\"b": {"v\\u0065rsion": "1.3.2"},\r\n  "version": "1.3.2"\r\n}\r\n'
    change = plan_one(tmp_path, "x.json", text, json='a"b.version')
    assert change.after == text.replace('rsion": "1.3.2"', 'rsion": "1.4.0"', 1)
    assert change.line == 2


# --- YAML -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("1.3.2", "1.4.0-rc.1"),
        ("'1.3.2'", "'1.4.0-rc.1'"),
        ('"1.3.2"', '"1.4.0-rc.1"'),
        ("1.3.2 # now", "1.4.0-rc.1 # now"),
    ],
)
def test_yaml_keeps_the_quote_style(tmp_path: Path, written: str, expected: str) -> None:
    text = f"name: app\r\nmeta:\r\n  other: '1.3.2'\r\n  version: {written}\r\nlist: [1.3.2]\r\n"
    change = plan_one(tmp_path, "chart.yaml", text, "1.4.0-rc.1", yaml="meta.version")
    assert change.after == text.replace(f"version: {written}", f"version: {expected}")
    assert (change.old, change.line) == ("1.3.2", 4)


def test_yaml_flow_mapping(tmp_path: Path) -> None:
    text = "app: {name: x, version: 1.3.2}\n"
    change = plan_one(tmp_path, "a.yml", text, yaml="app.version")
    assert change.after == "app: {name: x, version: 1.4.0}\n"


# --- regex ----------------------------------------------------------------------------------------------------


def test_regex_anchored_in_a_crlf_file(tmp_path: Path) -> None:
    text = '"""Doc."""\r\n\r\n__version__ = "1.3.2"\r\n__all__ = ["__version__"]\r\n'
    change = plan_one(tmp_path, "pkg/__init__.py", text, regex=r'^__version__ = "(?P<version>[^"]+)"$')
    assert change.after == text.replace("1.3.2", "1.4.0")
    assert (change.line, change.reason, change.new) == (3, "regex", "1.4.0")


def test_regex_keeps_semver_where_asked(tmp_path: Path) -> None:
    change = plan_one(
        tmp_path, "VERSION.py", "V = '1.3.2'\n", "2.0.0-rc.1", regex=r"^V = '(?P<version>.+)'$", format="semver"
    )
    assert change.after == "V = '2.0.0-rc.1'\n"


# --- errors ---------------------------------------------------------------------------------------------------


def test_missing_file(fluxion: Path) -> None:
    (fluxion / "voice-agent" / "pyproject.toml").unlink()
    with pytest.raises(VersionFileError) as caught:
        plan_bumps(fluxion, declared(fluxion), V("1.4.0"))
    assert str(caught.value) == "voice-agent/pyproject.toml: not found; fix versioning.files in releasekit.yaml"
    with pytest.raises(VersionFileError, match="not found"):
        read_current(fluxion, declared(fluxion)[0])


def test_missing_key(fluxion: Path) -> None:
    manifest = fluxion / "src-tauri" / "Cargo.toml"
    manifest.write_text(manifest.read_text().replace('version = "1.3.2"\n', ""))
    with pytest.raises(VersionFileError) as caught:
        plan_bumps(fluxion, declared(fluxion), V("1.4.0"))
    assert str(caught.value) == (
        "src-tauri/Cargo.toml: no key 'package.version'; fix versioning.files in releasekit.yaml"
    )


@pytest.mark.parametrize(
    ("name", "text", "key", "expected"),
    [
        ("a.toml", "[package]\nname = 'x'\nversion = 3\n", "package.version",
         "a.toml:3: 'package.version' is a number (3; quote it), not a string"),
        ("a.toml", "[package]\nversion.workspace = true\n", "package.version",
         "a.toml:2: 'package.version' is inherited from the workspace"),
        ("a.toml", "[package.version]\nx = 1\n", "package.version",
         "a.toml:1: 'package.version' is a table, not a string"),
        ("a.json", '{\n  "version": null\n}', "version", "a.json:2: 'version' is null, not a string"),
        ("a.json", '{\n  "version": [\n"1.3.2"]\n}', "version", "a.json:2: 'version' is an array, not a string"),
        ("a.json", '{\n  "version": {"a": 1}}', "version", "a.json:2: 'version' is an object, not a string"),
        ("a.yaml", "a: 1\nversion: true\n", "version", "a.yaml:2: 'version' is a bool, not a string"),
        ("a.yaml", "a: 1\nversion: 1.4\n", "version", "a.yaml:2: 'version' is a number (1.4; quote it), not a string"),
        ("a.yaml", "version: |\n  1.3.2\n", "version", "a.yaml:1: 'version' is a YAML alias or block scalar"),
        ("a.yaml", "base: &v 1.3.2\nversion: *v\n", "version", "a.yaml:1: 'version' is a YAML alias or block scalar"),
    ],
)  # fmt: skip
def test_value_not_a_string(tmp_path: Path, name: str, text: str, key: str, expected: str) -> None:
    kind = name.rsplit(".", 1)[1]
    assert error(tmp_path, name, text, **{kind: key}).startswith(expected)


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("a.toml", "[a]\nversion = '1.3.2'\nb = [\n", "a.toml:4: invalid TOML: Invalid value; fix the file"),
        ("a.toml", "[a]\nversion = \n", "a.toml:2: invalid TOML: Invalid value; fix the file"),
        ("a.json", '{\n  "version": "1.3.2"\n  "x": 1\n}\n', "a.json:3: invalid JSON: Expecting ',' delimiter; fix"),
        ("a.yaml", "a:\n  b: 1\n c: 2\n",
         "a.yaml:3: invalid YAML: expected <block end>, but found '<block mapping start>'"),
    ],
)  # fmt: skip
def test_unreadable_files(tmp_path: Path, name: str, text: str, expected: str) -> None:
    kind = name.rsplit(".", 1)[1]
    assert error(tmp_path, name, text, **{kind: "a.version"}).startswith(expected)


def test_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "b.toml").write_bytes(b"v = '\xe9'\n")
    with pytest.raises(VersionFileError, match=r"^b\.toml: not UTF-8 \(invalid continuation byte at byte 5\)"):
        read_current(tmp_path, VersionFile(path="b.toml", toml="v"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x = 1\n", 'a.py: regex \'^__version__ = "(?P<version>[^"]+)"$\' matches nothing; it must match exactly once'),
        (
            'x = 1\n__version__ = "1.3.2"\n\n__version__ = "1.3.2"\n',
            'a.py:2: regex \'^__version__ = "(?P<version>[^"]+)"$\' matches 2 times (lines 2, 4); it must match '
            "exactly once: fix versioning.files in releasekit.yaml",
        ),
    ],
)
def test_regex_must_match_once(tmp_path: Path, text: str, expected: str) -> None:
    assert error(tmp_path, "a.py", text, regex=r'^__version__ = "(?P<version>[^"]+)"$').startswith(expected)


def test_regex_group_that_captures_nothing(tmp_path: Path) -> None:
    message = error(tmp_path, "a.txt", "x\nrelease 1.3.2\n", regex=r"^release (?:(?P<version>\d)x|1\.3\.2)$")
    assert message.startswith("a.txt:2: regex")
    assert "matches, but its group 'version' captures nothing" in message


def test_the_check_after_the_edit_catches_a_scanner_slip() -> None:
    document = versionfiles._Document("json", "x.json", '{"a": "1.3.2", "b": "1.3.2"}')
    document.slots[("a",)] = document.slots[("b",)]  # as if the scanner had pointed at the wrong string
    with pytest.raises(VersionFileError) as caught:
        document.replace([(("a",), "1.4.0")])
    assert str(caught.value) == (
        "x.json: the edit of 'a' would change more than the version; "
        "this is a releasekit bug, please report it (nothing was written)"
    )


def test_the_check_after_the_edit_compares_every_value(tmp_path: Path) -> None:
    # The parsed documents before and after differ only at the version: the check compares all of them.
    text = '{"version": "1.3.2", "n": NaN, "nested": {"list": [1, 2.5, true, null]}}'
    change = plan_one(tmp_path, "x.json", text, json="version")
    assert json.loads(change.after, parse_constant=str) == {**json.loads(text, parse_constant=str), "version": "1.4.0"}


def test_releasekits_own_version_files_agree_and_bump_together() -> None:
    """releasekit releases itself: every file its releasekit.yaml lists (the example's PEP 723 noxfile too) carries
    this version, and a release plan changes each of them."""
    from releasekit import __version__
    from releasekit.versionfiles import plan_bumps, read_current

    located = load(REPO / "releasekit.yaml")
    files = located.config.versioning.files
    assert "examples/fluxion/noxfile.py" in [vf.path for vf in files]
    assert {read_current(located.root, vf)[0] for vf in files} == {__version__}
    changes = plan_bumps(located.root, files, semver.Version.parse("9.8.7"))
    assert sorted(c.path for c in changes) == sorted(vf.path for vf in files)
