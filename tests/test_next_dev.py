"""`release.next-dev`: the development commit after the release commit and its tag.

The version arithmetic, the config's refusals and the plan, in this process on hand-made files. The release itself
(its dry run, a kill after the release commit or after the development commit, then `--resume` or `--abort`) is in
tests/test_release.py, on its scenes.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from releasekit.config.loader import parse
from releasekit.config.model import Config
from releasekit.errors import ConfigError
from releasekit.nextdev import plan_next_dev
from releasekit.version import Scheme, VersionError, format_version, next_development, parse_given
from releasekit.versionfiles import plan_bumps

DAY = datetime.date(2026, 12, 4)


# -- the version ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("released", "word", "scheme", "dev", "semver_spelling"),
    [
        ("1.4.0", "minor", "semver", "1.5.0.dev0", "1.5.0-dev.0"),
        ("8.4.2", "minor", "semver", "8.5.0.dev0", "8.5.0-dev.0"),  # click after 8.4.2
        ("2.4.1", "minor", "semver", "2.5.0.dev0", "2.5.0-dev.0"),  # poetry after 2.4.1
        ("1.4.0", "patch", "semver", "1.4.1.dev0", "1.4.1-dev.0"),
        ("1.4.0", "major", "semver", "2.0.0.dev0", "2.0.0-dev.0"),
        ("26.2.1", "minor", "calver", "26.3.dev0", "26.3.0-dev.0"),  # pip after 26.2.1
        ("1.4", "minor", "pep440", "1.5.dev0", "1.5.0-dev.0"),  # as many numbers as `release minor` writes
    ],
)
def test_the_development_version_follows_the_release(
    released: str, word: str, scheme: Scheme, dev: str, semver_spelling: str
) -> None:
    version = next_development(parse_given(released, scheme), word, scheme, DAY)
    assert str(version) == format_version(version, "pep440") == dev
    assert format_version(version, "semver") == semver_spelling


def test_calver_starts_the_new_year() -> None:
    assert (
        str(next_development(parse_given("26.4", "calver"), "minor", "calver", datetime.date(2027, 1, 5)))
        == "27.0.dev0"
    )


@pytest.mark.parametrize("released", ["1.5.0-rc.1", "1.5.0rc1", "1.5.0.dev0"])
def test_a_prerelease_has_no_development_version(released: str) -> None:
    with pytest.raises(VersionError, match="is a prerelease"):
        next_development(parse_given(released), "minor")


# -- the config ---------------------------------------------------------------------------------------------------

BASE = """project: {name: demo, repository: acme/demo}
versioning:
  files:
    - {path: pyproject.toml, toml: project.version}
    - {path: package.json, json: version}
release:
  next-dev: %s
"""


@pytest.mark.parametrize(
    ("value", "expected"), [("true", "minor"), ("false", None), ("minor", "minor"), ("patch", "patch")]
)
def test_the_key_takes_a_switch_or_a_bump_word(value: str, expected: str | None) -> None:
    located = parse(BASE % value, "releasekit.yaml", Path())
    assert located.config.release.next_dev_bump == expected
    assert located.config.release.next_dev_message == "Start version {version}"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (BASE % "minr", 7, "release.next-dev: expected one of major, minor, patch, got 'minr'; did you mean 'minor'?"),
        (
            BASE.replace("files:\n", "source: tag\n  files:\n").replace(
                "pyproject.toml, toml: project.version", "a.py, regex: '(?P<version>x)'"
            )
            % "true",
            8,
            "release.next-dev: true, but versioning.source is `tag`",
        ),
        (
            BASE.replace("pyproject.toml, toml: project.version", "Cargo.toml, toml: package.version") % "minor",
            7,
            "no file in versioning.files is written as PEP 440",
        ),
        (BASE.replace("versioning:", "versioning:\n  scheme: calver") % "major", 8, "a calver version has no major"),
        (
            BASE % "true" + "existing-workflows:\n  - {file: publish.yml, release: branch}\n",
            7,
            "existing-workflows[0] (publish.yml) releases on a push to main",
        ),
        (BASE % "true" + "  next-dev-message: Start development\n", 8, "must contain `{version}`"),
    ],
)
def test_what_the_key_cannot_do_is_refused_at_its_line(text: str, line: int, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(text, "releasekit.yaml", Path())
    (problem,) = caught.value.problems
    assert problem.line == line, problem
    assert message in problem.message


def test_the_schema_offers_the_switch_and_the_bump_words() -> None:
    from releasekit.config.schema import json_schema

    prop = json_schema()["$defs"]["ReleaseSettings"]["properties"]["next-dev"]
    assert prop["anyOf"] == [{"type": "boolean"}, {"enum": ["major", "minor", "patch"]}]
    assert prop["default"] is False


# -- the plan -----------------------------------------------------------------------------------------------------


def _project(tmp_path: Path, next_dev: str = "true") -> tuple[Path, Config]:
    """A Python package with a Rust part: pyproject.toml and __init__.py (PEP 440), Cargo.toml and its lock (semver),
    and uv.lock, which follows pyproject.toml."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1.4.0.dev0"\n')
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo/__init__.py").write_text('__version__ = "1.4.0.dev0"\n')
    (tmp_path / "Cargo.toml").write_text('[package]\nname = "demo"\nversion = "1.3.2"\n')
    (tmp_path / "Cargo.lock").write_text('version = 4\n\n[[package]]\nname = "demo"\nversion = "1.3.2"\n')
    (tmp_path / "uv.lock").write_text(
        'version = 1\n\n[[package]]\nname = "demo"\nversion = "1.4.0.dev0"\nsource = { editable = "." }\n'
    )
    config = f"""project: {{name: demo, repository: acme/demo}}
versioning:
  files:
    - {{path: pyproject.toml, toml: project.version}}
    - {{path: demo/__init__.py, regex: '^__version__ = "(?P<version>[^"]+)"$'}}
    - {{path: Cargo.toml, toml: package.version}}
release:
  next-dev: {next_dev}
"""
    return tmp_path, parse(config, "releasekit.yaml", tmp_path).config


def test_the_plan_starts_the_next_version_in_the_pep440_files_only(tmp_path: Path) -> None:
    root, config = _project(tmp_path)
    released = parse_given("1.4.0")
    release = plan_bumps(root, config.versioning.files, released)
    nd, note = plan_next_dev(config, root, released, release, DAY)
    assert nd is not None and note == ""
    assert str(nd.version) == "1.5.0.dev0" and nd.message == "Start version 1.5.0.dev0"
    # From the files as the release commit leaves them; the lock file that follows pyproject.toml follows it here too.
    assert [(c.path, c.old, c.new) for c in nd.changes] == [
        ("pyproject.toml", "1.4.0", "1.5.0.dev0"),
        ("uv.lock", "1.4.0", "1.5.0.dev0"),
        ("demo/__init__.py", "1.4.0", "1.5.0.dev0"),
    ]
    assert nd.kept == ("Cargo.toml",)  # and so Cargo.lock, which follows it
    assert all("Cargo" not in c.path for c in nd.changes)
    assert (root / "pyproject.toml").read_text().endswith('"1.4.0.dev0"\n')  # a plan writes nothing
    lines = nd.describe(4, released)
    assert lines[0] == (
        "4. Start 1.5.0.dev0 (release.next-dev: minor): edit 3 files, commit on the release commit: "
        "'Start version 1.5.0.dev0'"
    )
    assert "   kept at 1.4.0 (semver files get no development version): Cargo.toml" in lines
    text = "\n".join(lines)
    assert '--- a/pyproject.toml\n+++ b/pyproject.toml\n@@ -1,3 +1,3 @@\n [project]\n name = "demo"\n' in text
    assert '-version = "1.4.0"\n+version = "1.5.0.dev0"' in text


def test_a_prerelease_gets_no_development_commit(tmp_path: Path) -> None:
    root, config = _project(tmp_path, "patch")
    released = parse_given("1.4.0rc1")
    nd, note = plan_next_dev(config, root, released, [], DAY)
    assert nd is None
    assert note.startswith("next-dev: skipped: 1.4.0rc1 is a prerelease")


def test_off_by_default(tmp_path: Path) -> None:
    root, config = _project(tmp_path, "false")
    assert plan_next_dev(config, root, parse_given("1.4.0"), [], DAY) == (None, "")


def test_a_journal_from_before_next_dev_loads_as_a_release_without_it(tmp_path: Path) -> None:
    import json

    from releasekit.journal import Journal

    journal = Journal("1.4.0", "v1.4.0", "main", "0" * 40, "Release 1.4.0", {"a.py": "x"}, started="now")
    journal.save(tmp_path)
    path = Journal.path(tmp_path)
    data = json.loads(path.read_text())
    for key in ("next_dev", "dev_message", "dev_files"):
        del data[key]
    path.write_text(json.dumps(data))
    loaded = Journal.load(tmp_path)
    assert loaded == journal and loaded.next_dev is None and loaded.dev_files == {}
