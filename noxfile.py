"""releasekit's own sessions: tests, lint, workflows, release, release_full, corpus, bench, demo. No logic here, only
tools."""

from __future__ import annotations

import os

import nox

nox.options.sessions = ["tests", "lint"]
nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = True


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (real git, real linters on every generated workflow)."""
    session.install("-e", ".[test]")
    # The suite starts a few hundred Python processes (the real command line, the sandbox's jobs); let them keep
    # compiled bytecode (an environment that sets PYTHONDONTWRITEBYTECODE makes each recompile releasekit: ~8%).
    session.env["PYTHONDONTWRITEBYTECODE"] = ""
    # A worker per core and one more (the end-to-end tests wait on child processes and sockets: a third worker on
    # two cores fills those gaps), each test file on one worker (files share module-scoped scenes), handed out in
    # the order conftest.py puts them (the slow files first); the 15 slowest tests are printed on every run, so a
    # slow one shows up. Options given after `--` come later and win.
    workers = str((os.cpu_count() or 1) + 1)
    session.run(
        "pytest", "-n", workers, "--dist", "loadfile", "--no-loadscope-reorder", "--durations=15", *session.posargs
    )


@nox.session
def lint(session: nox.Session) -> None:
    """ruff and mypy --strict."""
    session.install("-e", ".[lint]")
    session.run("ruff", "check", ".")
    session.run("mypy")


@nox.session
def workflows(session: nox.Session) -> None:
    """Generate releasekit's own .github/workflows from its releasekit.yaml (`-- --check` to verify)."""
    session.install("-e", ".")
    session.run("releasekit", "workflows", *session.posargs)


@nox.session(default=False)
def release(session: nox.Session) -> None:
    """Cut a release of releasekit itself: `nox -s release -- 0.2.0` (docs/commands/release.md)."""
    session.install("-e", ".")
    session.run("releasekit", "release", *session.posargs, interrupt_timeout=30.0)


@nox.session(default=False)
def release_full(session: nox.Session) -> None:
    """Dispatch releasekit's own Release Full workflow for a released version and follow it:
    `nox -s release_full -- 0.2.0` (docs/commands/release-full.md)."""
    session.install("-e", ".")
    session.run("releasekit", "release-full", *session.posargs, interrupt_timeout=30.0)


@nox.session
def demo(session: nox.Session) -> None:
    """The main job on the bundled example: generate examples/fluxion's workflows in a scratch copy and lint them."""
    session.install("-e", ".[test]")
    session.run("python", "examples/demo.py", *session.posargs)


@nox.session(default=False)
def corpus(session: nox.Session) -> None:
    """releasekit on real repositories (../shared/corpus): init, workflows, release --dry-run and a rehearsal to a
    published release, a table at the end (bench/corpus.py); skips where the corpus is absent."""
    session.install("-e", ".[test]")
    session.run("python", "bench/corpus.py", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks; prints the figures recorded in BENCHMARKS.md (bump-my-version: the dry run's yardstick)."""
    session.install("-e", ".[test]", "bump-my-version")
    session.run("python", "bench/run.py", *session.posargs)
