"""Ctrl-C at every step boundary of `releasekit release`, and the races a journal can be left in: each ends with exit
130 (1 for a lost race) and a message that names what is done and the exact command that goes on; `--resume` then
finishes the release, each thing once, and `--abort` puts the repository back exactly as it was, naming what it
undoes, and can be run again.

The interrupt is a KeyboardInterrupt raised at a step boundary through `releasekit.steps.apply.step_hook` (one
test sends a real SIGINT to a child process, `RELEASEKIT_FAILPOINT=interrupt-after-preflight`). One real release,
interrupted once its journal is written, gives the journal every other test resumes from, on a copy of its origin
and a fresh clone: a resume is a few git calls, with no GitHub (the project has no workflow to follow)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import SharedSandboxes, git, run_releasekit
from guarantees import count
from small_release import REPOSITORY, clone, remote_refs, seed, state

from releasekit.steps.apply import STEPS, step_hook

RESUME = "`releasekit release --resume`"
ABORT = "`releasekit release --abort`"
# The boundaries a resumed release passes, in order ("check", "preflight" and "journal" come before it).
RESUMED = ("write", "commit", "tag", "dev-write", "dev-commit", "origin-checked", "push")


@dataclass
class Template:
    scene: Path  # origin.git, a bare copy of origin as it was before any release; work, a clone of it with the journal
    journal: str  # the journal a real `release 1.4.0` wrote
    interrupted: subprocess.CompletedProcess[str]  # that release, interrupted just after writing it
    before: dict[str, Any]
    after: dict[str, Any]
    hub_env: dict[str, str]
    hub_origin: str


def _interrupt_at(wanted: str, seen: list[str] | None = None) -> Callable[[str], None]:
    def hook(step: str) -> None:
        if seen is not None:
            seen.append(step)
        if step == wanted:
            count("crashes and interrupts")
            raise KeyboardInterrupt

    return hook


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, module_patch: pytest.MonkeyPatch) -> Iterator[Template]:
    base = tmp_path_factory.mktemp("interrupt")
    shared = SharedSandboxes(tmp_path_factory)
    try:
        hub = shared.sandbox()
        hub.create_repo(REPOSITORY, seed=seed(base / "seed"))
        hub_origin = hub.remote_url(REPOSITORY)
        work = clone(hub_origin, base / "work", "Loser")
        before = state(work)
        journal: list[str] = []

        def capture(step: str) -> None:
            if step == "journal":
                journal.append((work / ".git" / "releasekit" / "release.json").read_text())
                raise KeyboardInterrupt

        with step_hook(capture):
            proc = run_releasekit("release", "1.4.0", "--skip-ci-check", cwd=work, env=hub.env())
        after = state(work)
        scene = base / "scene"
        scene.mkdir()
        git(scene, "clone", "-q", "--bare", hub_origin, "origin.git")
        fresh = clone(scene / "origin.git", scene / "work", "Loser")
        git(fresh, "remote", "set-url", "origin", "../origin.git")  # the copies made of the scene keep working
        (fresh / ".git" / "releasekit").mkdir()
        (fresh / ".git" / "releasekit" / "release.json").write_text(journal[0])
        yield Template(scene, journal[0], proc, before, after, hub.env(), hub_origin)
    finally:
        shared.close()


def _fresh(tmp_path: Path, template: Template) -> Path:
    """A copy of the template's scene: a clone with the journal of a release of 1.4.0 that changed nothing yet,
    and its origin as it was before any release."""
    shutil.copytree(template.scene, tmp_path, dirs_exist_ok=True, symlinks=True)
    return tmp_path / "work"


def _resume(work: Path, hook: Callable[[str], None] | None = None) -> subprocess.CompletedProcess[str]:
    if hook is None:
        return run_releasekit("release", "--resume", cwd=work)
    with step_hook(hook):
        return run_releasekit("release", "--resume", cwd=work)


def _without_journal(s: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in s.items() if k != "journal"}


# -- before anything changed ---------------------------------------------------------------------------------------


def test_before_anything_changed_an_interrupt_says_so(template: Template) -> None:
    proc = template.interrupted
    assert proc.returncode == 130, proc.stdout + proc.stderr
    assert proc.stderr == (
        "releasekit release: interrupted: stopped before the release of 1.4.0 changed anything: nothing was changed\n"
    )
    assert template.after == template.before  # and no journal left behind
    assert '"version": "1.4.0"' in template.journal


def test_an_interrupt_during_the_checks_changes_nothing(tmp_path: Path, template: Template) -> None:
    work = clone(template.hub_origin, tmp_path / "work", "Loser")
    before = state(work)
    with step_hook(_interrupt_at("check")):  # just after the first check
        proc = run_releasekit("release", "1.4.0", "--skip-ci-check", cwd=work, env=template.hub_env)
    assert proc.returncode == 130, proc.stdout + proc.stderr
    assert proc.stdout.endswith("preflight\n  ok   workflows     0 generated files up to date\n")
    assert proc.stderr == "releasekit release: interrupted: stopped during the preflight checks: nothing was changed\n"
    assert state(work) == before


def test_a_real_sigint_during_the_release(tmp_path: Path, template: Template) -> None:
    """Ctrl-C as the terminal sends it: a real SIGINT to a child process (at the end of the preflight)."""
    work = clone(template.hub_origin, tmp_path / "work", "Loser")
    before = state(work)
    env = {**template.hub_env, "RELEASEKIT_FAILPOINT": "interrupt-after-preflight"}
    proc = run_releasekit("release", "1.4.0", "--skip-ci-check", cwd=work, env=env, process=True)
    assert proc.returncode == 130, proc.stdout + proc.stderr
    assert "releasekit release: interrupted: stopped after the preflight checks" in proc.stderr
    assert "nothing was changed" in proc.stderr
    assert state(work) == before
    count("crashes and interrupts")


# -- at each step: --resume finishes ---------------------------------------------------------------------------------


UNDONE = {  # what --abort says it undoes, from the state an interrupt at each step leaves
    "write": ["restored the edited files (CHANGELOG.md, pyproject.toml)"],
    "commit": ["dropped the release commit {r}; main is back at {b}"],
    "tag": ["deleted local tag v1.4.0 (on {r})", "dropped the release commit {r}; main is back at {b}"],
    "dev-write": ["deleted local tag v1.4.0 (on {r})", "dropped the release commit {r}; main is back at {b}"],
    "dev-commit": [
        "deleted local tag v1.4.0 (on {r})",
        "dropped the development commit and the release commit ({d}, {r}); main is back at {b}",
    ],
    "origin-checked": [
        "deleted local tag v1.4.0 (on {r})",
        "dropped the development commit and the release commit ({d}, {r}); main is back at {b}",
    ],
}


def test_an_interrupt_at_each_step_then_resume_finishes_or_abort_undoes(tmp_path: Path, template: Template) -> None:
    """One release interrupted at each step in turn, `--resume` going on each time; a copy of the repository (and
    its origin) at each of those states is given up with `--abort` instead."""
    work = _fresh(tmp_path / "chain", template)
    before = state(work)
    messages: dict[str, str] = {}
    seen: list[str] = []
    for step in RESUMED:
        proc = _resume(work, _interrupt_at(step, seen))
        assert proc.returncode == 130, (step, proc.stdout + proc.stderr)
        assert proc.stderr.startswith("releasekit release: interrupted:"), (step, proc.stderr)
        messages[step] = proc.stderr
        if step in UNDONE:
            shutil.copytree(tmp_path / "chain", tmp_path / step, symlinks=True)
    release, dev = git(work, "rev-parse", "HEAD^"), git(work, "rev-parse", "HEAD")
    r, d = release[:12], dev[:12]
    assert (
        "done here: 2 edited files not committed (CHANGELOG.md, pyproject.toml); nothing was pushed."
        in messages["write"]
    )
    assert f"done here: release commit {r}; nothing was pushed." in messages["commit"]
    assert f"done here: release commit {r}; tag v1.4.0; nothing was pushed." in messages["tag"]
    assert f"release commit {r}; tag v1.4.0; 1 edited file not committed (pyproject.toml);" in messages["dev-write"]
    assert f"done here: release commit {r}; development commit {d}; tag v1.4.0;" in messages["dev-commit"]
    for step in ("write", "commit", "tag", "dev-write", "dev-commit"):
        assert f"Finish it with {RESUME}, or undo it with {ABORT}" in messages[step], step
    assert "stopped during the push of main and v1.4.0: origin has both or neither" in messages["origin-checked"]
    assert f"{RESUME} looks and finishes the release; {ABORT} undoes" in messages["origin-checked"]
    pushed = "v1.4.0 is pushed; the workflow run it starts (if any) goes on without this command. Follow it and "
    assert pushed + f"finish the release with {RESUME}" in messages["push"] and "--abort" not in messages["push"]
    done = _resume(work, seen.append)
    assert done.returncode == 0, done.stdout + done.stderr
    # Every boundary of STEPS is passed (the three before the journal by the first tests; "run" needs a
    # workflow to follow, and this project has none). Each resume passes the steps already done without doing them
    # again (files written and not committed are written again: the same text), then stops at its own.
    assert ("check", "preflight", "journal", *RESUMED, "run") == STEPS
    assert seen == [
        *["write"],
        *["write", "commit"],
        *["commit", "tag"],
        *["commit", "tag", "dev-write"],
        *["commit", "tag", "dev-write", "dev-commit"],
        *["commit", "tag", "dev-commit", "origin-checked"],
        *["commit", "tag", "dev-commit", "origin-checked", "push"],
        *["commit", "tag", "dev-commit", "push"],
    ]
    assert "origin already has main and v1.4.0" in done.stdout and "Released v1.4.0: tagged and pushed." in done.stdout
    # Each thing once: one release commit, one development commit, one tag, on origin as here.
    assert git(work, "log", "--format=%s", "v1.3.2..HEAD").splitlines() == ["Start version 1.5.0.dev0", "Release 1.4.0"]
    remote = remote_refs(work)
    assert remote["refs/tags/v1.4.0^{}"] == release and remote["refs/heads/main"] == dev
    assert not (work / ".git" / "releasekit" / "release.json").exists()
    assert git(work, "status", "--porcelain", "--untracked-files=all") == ""
    # --abort from each state: it names exactly what it undoes, and the repository is as before; origin untouched.
    names = {"r": r, "d": d, "b": before["head"][:12]}
    for step, undone in UNDONE.items():
        copy = tmp_path / step / "work"
        proc = run_releasekit("release", "--abort", cwd=copy)
        assert proc.returncode == 0, (step, proc.stdout + proc.stderr)
        lines = [line.strip() for line in proc.stdout.splitlines()]
        expected = [f"abort      {line.format(**names)}" for line in undone]
        assert lines == [*expected, "abort      the release of 1.4.0 is given up"], step
        assert _without_journal(state(copy)) == _without_journal(before) and not state(copy)["journal"], step
    assert "refs/tags/v1.4.0" not in remote_refs(tmp_path / "origin-checked" / "work")
    again = run_releasekit("release", "--abort", cwd=tmp_path / "origin-checked" / "work")
    assert again.returncode == 0 and "nothing to undo" in again.stdout  # idempotent


# -- races a journal can be left in ----------------------------------------------------------------------------------


def _win(tmp_path: Path, template: Template, *, force: bool = False) -> str:
    """Another clone releases 1.4.0 first (plain git: its commit, its tag, one atomic push); its release commit.
    With `force`, it only puts a commit on v1.3.2 on origin's main, over whatever is there."""
    winner = clone(tmp_path / "origin.git", tmp_path / "winner", "Winner")
    if force:
        git(winner, "reset", "-q", "--hard", "v1.3.2")
    (winner / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1.4.0"\n')
    git(winner, "commit", "-q", "-am", "Release 1.4.0")
    if force:
        git(winner, "push", "-q", "--force", "origin", "main")
    else:
        git(winner, "tag", "-a", "v1.4.0", "-m", "Release 1.4.0")
        git(winner, "push", "-q", "--atomic", "origin", "main", "v1.4.0")
    return git(winner, "rev-parse", "HEAD")


def test_race_lost_between_the_look_at_origin_and_the_push(tmp_path: Path, template: Template) -> None:
    count("races")
    work = _fresh(tmp_path, template)
    before = state(work)
    won: list[str] = []

    def race(step: str) -> None:
        if step == "origin-checked":
            won.append(_win(tmp_path, template))

    proc = _resume(work, race)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "origin refused the push of main and v1.4.0:" in proc.stderr
    assert f"origin already has a different v1.4.0: on {won[0][:12]}, not on this release's commit" in proc.stderr
    assert "Undone here: deleted local tag v1.4.0" in proc.stderr and "Next: `git pull`" in proc.stderr
    assert _without_journal(state(work)) == _without_journal(before) and not state(work)["journal"]


def test_abort_undoes_a_journal_left_by_a_lost_race(tmp_path: Path, template: Template) -> None:
    """The state releasekit used to leave after losing a race (its commits, its tag, the journal; origin's tag on
    the winner's commit): `--abort` undoes it (`--resume` does too: the race's own path, tests/test_release_race.py)."""
    work = _fresh(tmp_path, template)
    before = state(work)
    assert _resume(work, _interrupt_at("dev-commit")).returncode == 130
    theirs = _win(tmp_path, template)
    proc = run_releasekit("release", "--abort", cwd=work)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"origin has a different v1.4.0 (on {theirs[:12]}): another release of 1.4.0 got there" in proc.stdout
    assert "dropped the development commit and the release commit" in proc.stdout
    assert _without_journal(state(work)) == _without_journal(before) and not state(work)["journal"]
    git(work, "pull", "-q", "--ff-only")
    assert git(work, "rev-parse", "v1.4.0^{commit}") == theirs


def test_a_public_tag_is_never_undone_when_origin_lacks_the_branch(tmp_path: Path, template: Template) -> None:
    count("races", 2)  # the branch moved back on origin: a fast-forward, then moved elsewhere
    """Pushed (the tag is public), then origin's main was put back (the tag there, the branch not: what a push that
    is not atomic can leave), before `--resume`: the branch alone is pushed, nothing undone; moved elsewhere, the
    release goes on and says so."""
    work = _fresh(tmp_path, template)
    base = git(work, "rev-parse", "HEAD")
    assert _resume(work, _interrupt_at("push")).returncode == 130
    tag, tip = git(work, "rev-parse", "v1.4.0^{commit}"), git(work, "rev-parse", "HEAD")
    git(work, "push", "-q", "--force", "origin", f"{base}:refs/heads/main")
    proc = _resume(work, _interrupt_at("push"))
    assert proc.returncode == 130, proc.stdout + proc.stderr
    assert "  push       main pushed to origin (it already had v1.4.0)" in proc.stdout
    assert remote_refs(work)["refs/heads/main"] == tip and remote_refs(work)["refs/tags/v1.4.0^{}"] == tag
    elsewhere = _win(tmp_path, template, force=True)  # origin's main on a commit that is not the release's
    proc = _resume(work)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"origin already has v1.4.0, but its main ({elsewhere[:12]}) does not contain the release commit" in (
        proc.stdout
    )
    assert remote_refs(work)["refs/tags/v1.4.0^{}"] == tag == git(work, "rev-parse", "v1.4.0^{commit}")


def test_abort_never_throws_away_changes_the_release_did_not_make(tmp_path: Path, template: Template) -> None:
    work = _fresh(tmp_path, template)
    assert _resume(work, _interrupt_at("tag")).returncode == 130
    (work / "releasekit.lock").write_text("{}\n")  # tracked, and not the release's
    during = state(work)
    proc = run_releasekit("release", "--abort", cwd=work)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "uncommitted changes the release did not make: releasekit.lock" in proc.stderr
    assert "`git stash`" in proc.stderr
    assert state(work) == during  # nothing undone, the journal kept: --abort again once they are set aside
