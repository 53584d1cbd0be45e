"""Every generated workflow, for the examples and for releasekit itself, passes actionlint, check-jsonschema's
GitHub workflow schema and zizmor (offline, default persona) with no findings."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, copy_example, run_releasekit

BIN = Path(sys.executable).parent
NEEDS_311 = pytest.mark.skipif(sys.version_info < (3, 11), reason="zizmor and check-jsonschema need Python 3.11+")


def tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert found, f"{name} is not installed: install releasekit's test extra (pip install -e '.[test]')"
    return found


def fresh(name: str, tmp_path: Path) -> Path:
    """A project's workflows generated from scratch into a copy of it."""
    if name == "releasekit":
        root = tmp_path / "self"
        root.mkdir()
        for file in ("releasekit.yaml", "releasekit.lock"):
            shutil.copy(REPO / file, root / file)
    else:
        root = copy_example(name, tmp_path)
        shutil.rmtree(root / ".github", ignore_errors=True)
    result = run_releasekit("workflows", cwd=root)
    assert result.returncode == 0, result.stderr
    return root


PROJECTS = ["fluxion", "minimal", "releasekit"]


def workflow_files(root: Path) -> list[str]:
    files = sorted(str(p) for p in (root / ".github/workflows").glob("*.yml"))
    assert files
    return files


@pytest.mark.parametrize("project", PROJECTS)
def test_actionlint(project: str, tmp_path: Path) -> None:
    root = fresh(project, tmp_path)
    args = [tool("actionlint"), "-no-color"]
    if (root / ".github/actionlint.yaml").exists():
        args += ["-config-file", str(root / ".github/actionlint.yaml")]
    result = subprocess.run([*args, *workflow_files(root)], capture_output=True, text=True, check=False, cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr


@NEEDS_311
@pytest.mark.parametrize("project", PROJECTS)
def test_check_jsonschema(project: str, tmp_path: Path) -> None:
    root = fresh(project, tmp_path)
    result = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *workflow_files(root)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@NEEDS_311
@pytest.mark.parametrize("project", PROJECTS)
def test_zizmor(project: str, tmp_path: Path) -> None:
    root = fresh(project, tmp_path)
    result = subprocess.run(
        [tool("zizmor"), "--offline", "--no-progress", "--format", "plain", str(root / ".github/workflows")],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    """The linter run above can fail: a workflow with an unknown runner label and a bad expression does."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-99.04\n    steps:\n      - run: echo ${{ github.nope }}\n"
    )
    result = subprocess.run([tool("actionlint"), "-no-color", str(bad)], capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert "ubuntu-99.04" in result.stdout


@pytest.mark.parametrize("project", ["fluxion", "minimal", "releasekit"])
def test_committed_workflows_are_up_to_date(project: str) -> None:
    root = REPO if project == "releasekit" else REPO / "examples" / project
    result = run_releasekit("workflows", "--check", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
