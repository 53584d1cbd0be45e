"""Two clones release the same version at once: the winner's release lands; the loser finds origin holding another
commit under the tag, undoes its own commits and tag (back to exactly where it started), clears its journal, and
says what happened and what to do next; then `git pull` and the next version work. Real git, two real clones of one
bare origin (the sandbox's, for the preflight's token check); the winner's release runs at the loser's step
boundary through `step_hook`, so the interleaving is exact, not timed. The interleavings on a journal alone (the
winner pushing between the loser's look at origin and its push) are in tests/test_release_interrupt.py."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from conftest import git, run_releasekit
from guarantees import count
from small_release import REPOSITORY, clone, remote_refs, seed, state

from releasekit.sandbox.app import Sandbox
from releasekit.steps.apply import step_hook

RELEASE = ("release", "1.4.0", "--skip-ci-check")


def test_two_clones_release_the_same_version_at_once(tmp_path: Path, sandbox_factory: Callable[..., Sandbox]) -> None:
    count("races")
    hub = sandbox_factory()
    hub.create_repo(REPOSITORY, seed=seed(tmp_path / "seed"))
    origin = hub.remote_url(REPOSITORY)
    winner, loser = clone(origin, tmp_path / "winner", "Winner"), clone(origin, tmp_path / "loser", "Loser")
    env = hub.env()
    before = state(loser)
    won: list[subprocess.CompletedProcess[str]] = []
    racing: list[str] = []

    def race(step: str) -> None:
        # The loser has made its release commit, its tag and its development commit, and is about to look at
        # origin: the winner's whole release lands now (its own step boundaries pass through here too).
        if step == "dev-commit" and not racing:
            racing.append(step)
            won.append(run_releasekit(*RELEASE, cwd=winner, env=env))

    with step_hook(race):
        lost = run_releasekit(*RELEASE, cwd=loser, env=env)
    (first,) = won
    assert first.returncode == 0, first.stdout + first.stderr
    assert lost.returncode == 1, lost.stdout + lost.stderr
    err = lost.stderr
    theirs = remote_refs(loser)["refs/tags/v1.4.0^{}"]
    assert f"error:\norigin already has a different v1.4.0: on {theirs[:12]}, not on this release's commit" in err
    assert "Another release of 1.4.0 reached origin first; nothing was pushed from here." in err
    assert "Undone here: deleted local tag v1.4.0 (on " in err
    assert "dropped the development commit and the release commit (" in err
    assert f"main is back at {before['head'][:12]}. The repository is as it was before the release" in err
    assert "Next: `git pull` to get v1.4.0 and main as origin has them" in err
    # Exactly as before it started: HEAD, its branch, the refs, the index, every file; no journal.
    assert state(loser) == before
    # Origin has the winner's release, whole: the tag on its release commit, main on its development commit.
    assert git(winner, "rev-parse", "v1.4.0^{commit}") == theirs
    assert remote_refs(loser)["refs/heads/main"] == git(winner, "rev-parse", "HEAD") != theirs
    # Every way forward works: --resume and --abort have nothing to do, and after a pull the next version releases.
    resumed = run_releasekit("release", "--resume", cwd=loser, env=env)
    assert resumed.returncode == 1 and "no release is under way" in resumed.stderr
    aborted = run_releasekit("release", "--abort", cwd=loser, env=env)
    assert aborted.returncode == 0 and "nothing to undo" in aborted.stdout
    git(loser, "pull", "-q", "--ff-only")
    nxt = run_releasekit("release", "minor", "--skip-ci-check", cwd=loser, env=env)
    assert nxt.returncode == 0, nxt.stdout + nxt.stderr
    assert "Released v1.5.0: tagged and pushed." in nxt.stdout
    tags = sorted(ref for ref in remote_refs(loser) if ref.startswith("refs/tags/") and not ref.endswith("^{}"))
    assert tags == ["refs/tags/v1.3.2", "refs/tags/v1.4.0", "refs/tags/v1.5.0"]
