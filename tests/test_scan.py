"""`releasekit scan` finds secrets pasted into files (the infrastructure note's mistake) without repeating them."""

from __future__ import annotations

import random
import string
from pathlib import Path

from conftest import git, run_releasekit


def fake_token(prefix: str, length: int) -> str:
    rng = random.Random(7)
    return prefix + "".join(rng.choices(string.ascii_letters + string.digits, k=length))


def test_scan_names_file_and_line_and_never_the_value(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    token = fake_token("ghp_", 36)
    groq = fake_token("gsk_", 52)
    note = f"# Infrastructure\n\n```bash\nGROQ_API_KEY={groq}\nGITHUB_TOKEN={token}\nTTS_ENGINE=chatterbox\n```\n"
    (root / "INFRA.md").write_text(note)
    (root / "clean.txt").write_text("nothing to see: ${{ secrets.GROQ_API_KEY }}\n")
    git(root, "init", "-q", "-b", "main")
    result = run_releasekit("scan", cwd=root)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("INFRA.md:4: ")
    assert lines[1].startswith("INFRA.md:5: ") and "GitHub" in lines[1]
    assert "2 possible secrets found" in result.stdout
    assert token not in result.stdout + result.stderr
    assert groq not in result.stdout + result.stderr


def test_scan_of_a_clean_tree_passes(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("env:\n  values:\n    TTS_ENGINE: chatterbox\n")
    result = run_releasekit("scan", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    assert result.stdout.strip() == "No secrets found in 1 file."


def test_scan_outside_git_without_paths_says_what_to_do(tmp_path: Path) -> None:
    result = run_releasekit("scan", cwd=tmp_path)
    assert result.returncode == 1
    assert "not a git repository" in result.stderr and "releasekit scan PATH" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_repository_itself_holds_no_secrets() -> None:
    from conftest import REPO

    # A git checkout is scanned as git lists it; an unpacked sdist (no .git) by naming what it holds.
    where = [] if (REPO / ".git").exists() else sorted(p.name for p in REPO.iterdir() if p.name != "PKG-INFO")
    result = run_releasekit("scan", *where, cwd=REPO)
    assert result.returncode == 0, result.stdout
