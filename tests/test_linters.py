"""Every generated workflow, for the examples, for releasekit itself and for what `releasekit init` scaffolds,
passes actionlint, check-jsonschema's GitHub workflow schema and zizmor (offline, pedantic persona) with no
findings; what zizmor's auditor persona would flag is ignored inline with its reason."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, copy_example, git, run_releasekit

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
    elif name == "init":
        # What `releasekit init` scaffolds for a plain Python package, generated as it comes.
        root = tmp_path / "scaffolded"
        root.mkdir()
        (root / "pyproject.toml").write_text(
            '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
            '[project]\nname = "scaffolded"\nversion = "0.1.0"\n'
        )
        git(root, "init", "-q", "-b", "main")
        git(root, "remote", "add", "origin", "https://github.com/acme/scaffolded.git")
        result = run_releasekit("init", cwd=root)
        assert result.returncode == 0, result.stderr
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


def zizmor(persona: str, *paths: Path, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("zizmor"), "--offline", "--no-progress", "--format", "plain", "--persona", persona, *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(home)},
    )


@NEEDS_311
@pytest.mark.parametrize("project", [*PROJECTS, "init"])
def test_zizmor_pedantic(project: str, tmp_path: Path) -> None:
    """No finding at all, even code smells; and none hidden by the persona either: the auditor persona finds only
    what an inline `# zizmor: ignore[...]` comment explains (the project's self-hosted machines)."""
    root = fresh(project, tmp_path)
    result = zizmor("pedantic", root / ".github/workflows", home=tmp_path)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "No findings to report" in out, out
    # What the persona leaves out ("N suppressed": the auditor persona's findings) is exactly what the workflows
    # explain inline, each `# zizmor: ignore[rule]` with its reason.
    ignores = [
        line.split("# zizmor: ignore[", 1)[1]
        for path in (root / ".github/workflows").glob("*.yml")
        for line in path.read_text(encoding="utf-8").splitlines()
        if "# zizmor: ignore[" in line
    ]
    suppressed = re.search(r"\((\d+) suppressed\)", out)
    assert (int(suppressed.group(1)) if suppressed else 0) == len(ignores), out
    assert all(reason.split("]", 1)[1].strip() for reason in ignores), ignores


@NEEDS_311
def test_zizmor_pedantic_catches_a_smell(tmp_path: Path) -> None:
    """The pedantic run above can fail: a workflow with write permissions at the top and an unpinned action does."""
    bad = tmp_path / ".github/workflows/bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "on: push\npermissions: write-all\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - uses: actions/checkout@v4\n"
    )
    result = zizmor("pedantic", bad.parent, home=tmp_path)
    assert result.returncode != 0
    assert "excessive-permissions" in result.stdout and "unpinned-uses" in result.stdout


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
