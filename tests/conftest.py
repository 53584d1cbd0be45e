"""Shared test helpers: isolated git, copies of the bundled examples, and the real `releasekit` command."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
GIT_IDENTITY = ("-c", "user.name=releasekit tests", "-c", "user.email=tests@example.invalid")


@pytest.fixture(autouse=True)
def isolated_git(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the user's and the system's git configuration (and any enclosing repository) out."""
    config = tmp_path_factory.mktemp("gitconfig") / "config"
    config.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_TERMINAL_PROMPT", "0")
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY"):
        monkeypatch.delenv(name, raising=False)
    # Commands under test keep their render cache in the test's own directory, never in the user's.
    monkeypatch.setenv("RELEASEKIT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    # tmp_path may live inside some other repository; do not let git find it.
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path_factory.getbasetemp()))


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *GIT_IDENTITY, *args], cwd=cwd, capture_output=True, text=True, check=True)
    return proc.stdout.strip()


def copy_example(name: str, dest: Path) -> Path:
    """A scratch copy of examples/<name> (without generated files unless `keep_generated`)."""
    target = dest / name
    shutil.copytree(EXAMPLES / name, target, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "dist"))
    return target


Run = Callable[..., "subprocess.CompletedProcess[str]"]


def run_releasekit(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real command line, in a child process, as a user runs it."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "releasekit", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env=full_env,
        timeout=120,
    )


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root with its bytes, to assert that nothing changed."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# -- the sandbox tells the truth: every response it gives in this suite is checked against GitHub's description --

_CONTRACT_TOTALS = {"checked": 0, "tests": 0}


@pytest.fixture
def sandbox_observers() -> Iterator[list[Callable[[str, str, int, bytes, str], None]]]:
    """Overrides the plugin's fixture: each sandbox a test starts validates every response it sends against
    openapi-subset.json, and the test fails if one does not match."""
    from github_reference import ContractRecorder

    recorder = ContractRecorder()
    yield [recorder]
    _CONTRACT_TOTALS["checked"] += recorder.checked
    _CONTRACT_TOTALS["tests"] += 1
    recorder.assert_clean()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _CONTRACT_TOTALS["tests"]:
        terminalreporter.write_line(
            f"sandbox contract: {_CONTRACT_TOTALS['checked']} responses in {_CONTRACT_TOTALS['tests']} tests "
            "validated against GitHub's OpenAPI description"
        )
