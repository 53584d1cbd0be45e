"""`import releasekit.nox` in a project's noxfile gives it `nox -s workflows [-- --check]`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import copy_example


def nox(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nox", *args], cwd=root, capture_output=True, text=True, check=False, timeout=300
    )


def test_nox_workflows_session(tmp_path: Path) -> None:
    root = copy_example("fluxion", tmp_path)
    shutil.rmtree(root / ".github")
    (root / "noxfile.py").write_text("import releasekit.nox  # noqa: F401\n")
    listed = nox(root, "--list")
    assert "workflows" in listed.stdout
    assert nox(root, "-s", "workflows", "--", "--check").returncode != 0  # nothing generated yet
    written = nox(root, "-s", "workflows")
    assert written.returncode == 0, written.stdout + written.stderr
    assert (root / ".github/workflows/release-full.yml").is_file()
    assert nox(root, "-s", "workflows", "--", "--check").returncode == 0
    edited = root / ".github/workflows/release.yml"
    edited.write_text(edited.read_text() + "# a hand edit\n")
    failed = nox(root, "-s", "workflows", "--", "--check")
    assert failed.returncode != 0
    assert "-# a hand edit" in failed.stdout
    assert "edited by hand" in failed.stdout + failed.stderr
