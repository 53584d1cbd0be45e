"""What a user installs: the wheel names its license, the sdist carries everything its tests read, and nothing
releasekit prints or writes points at a file that a wheel does not install."""

from __future__ import annotations

import argparse
import email
import re
import tarfile
from pathlib import Path

import pytest
from conftest import REPO

from releasekit.cli import COMMANDS, build_parser

# A path into the checkout's docs/, as a help text or a generated file would show it. The documentation URL
# (https://github.com/releasekit/releasekit/blob/main/docs/...) is what they should show instead.
_BARE_DOCS_PATH = re.compile(r"(?<![\w/.-])docs/[\w./-]+")


def test_the_wheel_metadata_names_its_license(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hatchling.build import prepare_metadata_for_build_wheel

    monkeypatch.chdir(REPO)
    dist_info = prepare_metadata_for_build_wheel(str(tmp_path))
    metadata = email.message_from_string((tmp_path / dist_info / "METADATA").read_text(encoding="utf-8"))
    assert metadata["License-Expression"] == "MIT"
    assert metadata["License-File"] == "LICENSE"
    assert "MIT License" in (REPO / "LICENSE").read_text(encoding="utf-8")


def test_the_sdist_carries_its_tests_data_docs_and_license(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hatchling.build import build_sdist

    monkeypatch.chdir(REPO)
    name = build_sdist(str(tmp_path))
    with tarfile.open(tmp_path / name) as sdist:
        members = {m.name.split("/", 1)[1] for m in sdist.getmembers() if "/" in m.name}
    wanted_files = (
        *("LICENSE", "CHANGELOG.md", "BENCHMARKS.md", "README.md", "docs/config.md", "docs/commands/init.md"),
        ".github/workflows/release.yml",  # the tests check releasekit's own generated workflows too
    )
    for wanted in wanted_files:
        assert wanted in members, wanted
    # Every reference file the tests read (the sandbox's contract), with its provenance and licenses.
    reference = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "tests/github").rglob("*") if p.is_file())
    assert [p for p in reference if p not in members and "__pycache__" not in p] == []
    assert not [m for m in members if "__pycache__" in m or m.endswith(".pyc")]


def test_help_texts_point_at_docs_a_wheel_user_can_read() -> None:
    for command in COMMANDS:
        parser = build_parser(command)
        (sub,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        help_text = parser.format_help() + sub.choices[command].format_help()
        assert not _BARE_DOCS_PATH.findall(help_text), command


def test_nothing_shipped_names_a_path_into_the_checkouts_docs() -> None:
    """Messages, generated comments and templates: a wheel has no docs/ folder, so they link to the docs' URL."""
    shipped = [*sorted((REPO / "releasekit").rglob("*.py")), *sorted((REPO / "templates").iterdir())]
    found = []
    for path in shipped:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _BARE_DOCS_PATH.search(line):
                found.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert found == []
