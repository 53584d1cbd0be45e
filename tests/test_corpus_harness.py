"""`nox -s corpus` (bench/corpus.py): it skips cleanly without the corpus, and reads a plan as the dry run prints it."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

from conftest import REPO

# bench/ is not a package: load the script as a module (registered first, as dataclasses look their module up).
_spec = importlib.util.spec_from_file_location("bench_corpus", REPO / "bench" / "corpus.py")
assert _spec is not None and _spec.loader is not None
corpus = sys.modules["bench_corpus"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)

PLAN = """\
releasekit release 1.4.0 (fluxion-app/fluxion; latest release v1.3.2)

Plan: release 1.4.0 of fluxion-app/fluxion (latest release: v1.3.2)

1. Edit 3 files:
   voice-agent/pyproject.toml: toml project.version 1.3.2 -> 1.4.0
   src-tauri/Cargo.lock: Cargo.lock entry for crate 'fluxion' 1.3.2 -> 1.4.0
   changelog: CHANGELOG.md: the Unreleased section becomes [1.4.0] - 2026-11-25

2. Commit on main (on 3116f84c29ba): 'Release 1.4.0'
3. Annotated tag v1.4.0 on that commit
"""


def test_without_the_corpus_it_says_so_and_succeeds(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench/corpus.py"), "--corpus", str(tmp_path / "absent")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "corpus: skipped: no corpus at" in proc.stdout


def test_the_plan_is_read_from_the_dry_run() -> None:
    outcome = corpus.Outcome("fluxion")
    corpus.read_plan(PLAN, outcome)
    assert outcome.plan == "v1.3.2 -> 1.4.0"
    assert outcome.tag == "v1.4.0"
    assert outcome.files == ["voice-agent/pyproject.toml", "src-tauri/Cargo.lock"]
    assert outcome.changelog == "CHANGELOG.md: the Unreleased section becomes [1.4.0] - 2026-11-25"


def test_a_tag_is_the_version_plan_names_no_version_file() -> None:
    outcome = corpus.Outcome("scm")
    text = PLAN.replace(
        "   voice-agent/pyproject.toml: toml project.version 1.3.2 -> 1.4.0\n",
        "   version: the tag is the version (versioning.source: tag): no version file to edit\n",
    )
    corpus.read_plan(text, outcome)
    assert outcome.files == ["(the tag is the version)", "src-tauri/Cargo.lock"]

