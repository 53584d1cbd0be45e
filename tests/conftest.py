"""Shared test helpers: isolated git, copies of the bundled examples, and the real `releasekit` command."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from releasekit.sandbox.app import Sandbox
    from releasekit.steps.watch import Clock

# The release tests' shared set-up (an index, a build cache and scenes per module), defined once for the files
# that ask for it by name.
pytest_plugins = ["release_fixtures"]

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"

# hypothesis caches what it learns (Unicode tables, the constants it reads from our source) under ./.hypothesis even
# with database=None: keep that out of the tree, in a cache every worker and every run shares (building the tables
# costs a worker seconds). Read on first use, so setting it here, before any test runs, is in time.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(Path(tempfile.gettempdir()) / "hypothesis-releasekit-tests"))

GIT_IDENTITY = ("-c", "user.name=releasekit tests", "-c", "user.email=tests@example.invalid")


@pytest.fixture(autouse=True)
def isolated_git(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the user's and the system's git configuration (and any enclosing repository) out."""
    isolate_git(tmp_path_factory, monkeypatch)


def isolate_git(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """What `isolated_git` does, for a fixture of a wider scope (with `pytest.MonkeyPatch.context()`): autouse
    fixtures are function-scoped, so a module-scoped set-up runs before them."""
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


def run_releasekit(
    *args: str, cwd: Path, env: dict[str, str] | None = None, process: bool = False
) -> subprocess.CompletedProcess[str]:
    """The `releasekit` command line as a user runs it, in `cwd`, with the environment plus `env`.

    In this process by default (`releasekit.cli.main`, its output captured: the same exit codes and text, a few
    milliseconds instead of a new interpreter); `process=True` runs `python -m releasekit` in a child, for what only
    a process shows (its imports, a hash seed, a signal)."""
    if process:
        return subprocess.run(
            [sys.executable, "-m", "releasekit", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, **(env or {})},
            timeout=120,
        )
    return releasekit_main(args, cwd=cwd, env=env)


def releasekit_main(
    args: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    only_env: bool = False,
    clock: Clock | None = None,
) -> subprocess.CompletedProcess[str]:
    """`releasekit.cli.main(args)` in this process, in `cwd`, with `env` added to the environment (with `only_env`,
    exactly `env`), on `clock` (default: the real one), stdout and stderr captured; everything is put back
    afterwards. The result is what a child process would give: the exit code and the text of both streams."""
    from releasekit.cli import main

    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        if only_env:
            for name in [n for n in os.environ if n not in (env or {})]:
                patch.delenv(name)
        for name, value in (env or {}).items():
            patch.setenv(name, value)
        patch.chdir(cwd)
        patch.setattr(sys, "stdout", out)
        patch.setattr(sys, "stderr", err)
        try:
            code = main(list(args), clock=clock)
        except SystemExit as exc:  # argparse: --help, --version, usage errors
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return subprocess.CompletedProcess(["releasekit", *args], code, out.getvalue(), err.getvalue())


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root with its bytes, to assert that nothing changed."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# -- the slow files start first: with a worker per core, the end-to-end scenes do not end up last on one worker ------

_SLOW_FIRST = (
    "test_demo.py",
    "test_sla_gate.py",
    "test_release.py",
    "test_release_resume.py",
    "test_release_full.py",
    "test_publish.py",
    "test_preflight.py",
    "test_backend_index.py",
    "test_sandbox_cli.py",
    "test_leaks.py",
    "test_nox.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files holding end-to-end scenes first, the rest in their order (`nox -s tests` hands files to workers in
    this order: `--dist loadfile --no-loadscope-reorder`)."""
    rank = {name: n for n, name in enumerate(_SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


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


@pytest.fixture
def sandbox_inspectors() -> list[Callable[[Sandbox], None]]:
    """Overrides the plugin's fixture: each sandbox's injected faults count towards the suite's guarantees."""
    from guarantees import faults_of

    return [faults_of]


class SharedSandboxes:
    """Sandboxes a module's tests share (a module-scoped set-up), held to the same contract as a test's own: every
    response is validated, a departure fails the test during which it was sent (`check`), and `close` stops them,
    counts them in the suite's total and reports every departure again."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        from github_reference import ContractRecorder

        self._tmp = tmp_path_factory
        self.recorder = ContractRecorder()
        self.hubs: list[Sandbox] = []
        self._reported = 0

    def sandbox(self, **options: Any) -> Sandbox:
        """A started sandbox (the plugin's fast settings unless overridden), stopped by `close`."""
        from releasekit.sandbox.app import Sandbox
        from releasekit.sandbox.pytest_plugin import FAST

        hub = Sandbox(self._tmp.mktemp("sandbox"), observers=[self.recorder], **{**FAST, **options})
        self.hubs.append(hub.start())
        return hub

    def check(self) -> None:
        problems = self.recorder.problems
        new, self._reported = problems[self._reported :], len(problems)
        assert not new, "responses depart from GitHub's documented contract:\n  " + "\n  ".join(new)

    def close(self) -> None:
        from guarantees import faults_of

        for hub in self.hubs:
            faults_of(hub)
            hub.stop()
        _CONTRACT_TOTALS["checked"] += self.recorder.checked
        _CONTRACT_TOTALS["tests"] += 1
        self.recorder.assert_clean()


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # a pytest-xdist worker: the controller adds up the workers' totals
        workeroutput["sandbox_contract"] = dict(_CONTRACT_TOTALS)
        workeroutput["guarantees"] = dict(_guarantees().TALLY)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """pytest-xdist, on the controller: a worker finished; add its sandbox contract totals."""
    for key, value in getattr(node, "workeroutput", {}).get("sandbox_contract", {}).items():
        _CONTRACT_TOTALS[key] += value
    _guarantees().TALLY.update(getattr(node, "workeroutput", {}).get("guarantees", {}))


def _guarantees() -> Any:
    import guarantees

    return guarantees


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    tally = _guarantees().summary()
    if tally:
        terminalreporter.write_line(f"guarantees checked: {tally} (README.md#guarantees)")
    if _CONTRACT_TOTALS["tests"]:
        terminalreporter.write_line(
            f"sandbox contract: {_CONTRACT_TOTALS['checked']} responses in {_CONTRACT_TOTALS['tests']} tests "
            "validated against GitHub's OpenAPI description"
        )


# -- the suite leaves nothing behind: no process it started, no temporary directory of releasekit's ---------------

_SUITE_MARK = "RELEASEKIT_TEST_SESSION"


@pytest.fixture(autouse=True, scope="session")
def leaves_nothing_behind(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """For the session, TMPDIR is a directory of its own and every child process inherits a mark naming it; at the
    end, a releasekit-* directory left there, or a marked process still running (Linux: /proc shows the marks), is
    a leak: the session fails, naming them, and removes them. Watchdogs act within a moment of their parent's end,
    so both are polled for a while before they count."""
    import contextlib
    import signal
    import tempfile
    import time

    tmp_path_factory.getbasetemp()  # tmp_path stays where pytest keeps it, outside the checked directory
    private = Path(tempfile.mkdtemp(prefix="releasekit-tests-"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TMPDIR", str(private))
        patch.setattr(tempfile, "tempdir", None)  # forget the cached one: read TMPDIR again
        patch.setenv(_SUITE_MARK, str(private))
        yield
    mark = f"{_SUITE_MARK}={private}".encode()
    deadline = time.monotonic() + 15
    while True:
        procs = _marked_processes(mark)
        dirs = sorted(p.name for p in private.glob("releasekit-*"))
        if not (procs or dirs) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    for pid in procs:  # found only on Linux
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    shutil.rmtree(private, ignore_errors=True)
    if procs or dirs:
        lines = [f"process {pid}: {cmd}" for pid, cmd in procs.items()] + [f"temporary directory {d}" for d in dirs]
        pytest.fail("the test suite left behind (now removed):\n  " + "\n  ".join(lines), pytrace=False)


def _marked_processes(mark: bytes) -> dict[int, str]:
    """Running processes whose environment holds `mark` (Linux; an empty answer elsewhere)."""
    found: dict[int, str] = {}
    proc = Path("/proc")
    if not (proc / "self" / "environ").exists():
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            stat = (entry / "stat").read_text()
            if stat[stat.rfind(")") + 2 :].startswith(("Z", "X")):  # ended; waits to be reaped
                continue
            if mark in (entry / "environ").read_bytes().split(b"\0"):
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # ended meanwhile, or not ours to read
            continue
    return found
