"""`releasekit sandbox` as a user runs it: start, push a tag with git, watch the run appear over HTTP, stop."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import copy_example, git, run_releasekit
from sandbox_scene import make_project


class Running:
    """A `releasekit sandbox` child process and what it printed (read by a thread, so no read can hang a test)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self.exports: dict[str, str] = {}
        self.remotes: dict[str, str] = {}
        self.queue: queue.Queue[str] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        while True:
            line = self.next_line(timeout=30)
            for key, value in re.findall(r"export (\w+)=(\S+)", line):
                self.exports[key] = value
            found = re.match(r"\s+(\S+/\S+)\s+git remote add sandbox (\S+)", line)
            if found:
                self.remotes[found.group(1)] = found.group(2)
            if line.startswith("Ctrl-C stops"):
                return

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.queue.put(line.rstrip("\n"))
        self.queue.put("")  # end of output

    def next_line(self, timeout: float = 15) -> str:
        try:
            line = self.queue.get(timeout=timeout)
        except queue.Empty:
            msg = f"no output from the sandbox within {timeout}s; so far:\n" + "\n".join(self.lines)
            raise AssertionError(msg) from None
        if line == "" and self.proc.poll() is not None:
            err = self.proc.stderr.read() if self.proc.stderr else ""
            msg = "the sandbox exited:\n" + "\n".join(self.lines) + "\n" + err
            raise AssertionError(msg)
        self.lines.append(line)
        return line

    def rest(self) -> str:
        """Everything printed until the process ended."""
        out: list[str] = []
        while True:
            line = self.queue.get(timeout=15)
            if line == "" and self.proc.poll() is not None:
                return "\n".join(out)
            out.append(line)

    def get(self, path: str) -> dict[str, object]:
        request = urllib.request.Request(
            self.exports["GITHUB_API_URL"] + path, headers={"Authorization": f"token {self.exports['GITHUB_TOKEN']}"}
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            body: dict[str, object] = json.loads(answer.read())
            return body


@pytest.fixture
def start(tmp_path: Path) -> Iterator[object]:
    started: list[Running] = []

    def launch(*args: str, cwd: Path) -> Running:
        env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_TOKEN", "GH_TOKEN")}
        proc = subprocess.Popen(
            [sys.executable, "-m", "releasekit", "sandbox", *args],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            running = Running(proc)
        except AssertionError:
            proc.kill()
            proc.communicate()
            raise
        started.append(running)
        return running

    yield launch
    for running in started:
        # Stopped as a user stops it (SIGTERM, as Ctrl-C), so it stops its index and removes its state itself;
        # what a SIGKILL leaves to the watchdogs is test_leaks.py's subject.
        if running.proc.poll() is None:
            running.proc.terminate()
        try:
            running.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            running.proc.kill()
            running.proc.wait()
        running.reader.join(timeout=5)
        for pipe in (running.proc.stdout, running.proc.stderr):
            if pipe is not None:
                pipe.close()


def test_start_push_a_tag_watch_the_run_and_stop(start: object, tmp_path: Path) -> None:
    project = copy_example("fluxion", tmp_path)
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "fluxion 1.3.2")
    hub: Running = start(  # type: ignore[operator]
        "--job-seconds", "0.2", "--queue-seconds", "0.05", "--no-build-isolation", cwd=project
    )
    # The banner says what is simulated and what runs for real.
    assert any(line.startswith("Jobs are simulated unless told otherwise") for line in hub.lines)
    assert any("releasekit publish" in line and "--skip-index --no-build-isolation" in line for line in hub.lines)
    assert hub.exports["GITHUB_API_URL"].startswith("http://127.0.0.1:")
    assert hub.exports["GITHUB_TOKEN"].startswith("rks_")
    remote = hub.remotes["fluxion-app/fluxion"]  # project.repository from releasekit.yaml
    git(project, "remote", "add", "sandbox", remote)
    git(project, "tag", "-a", "v1.3.2", "-m", "v1.3.2")  # the version its files carry, as `release` tags it
    git(project, "push", "-q", "sandbox", "v1.3.2")
    runs = hub.get("/repos/fluxion-app/fluxion/actions/runs")
    assert runs["total_count"] == 1
    listed = runs["workflow_runs"]
    assert isinstance(listed, list)
    [run] = listed
    assert (run["path"], run["event"], run["head_branch"]) == (".github/workflows/release.yml", "push", "v1.3.2")
    states = [hub.next_line(timeout=60) for _ in range(3)]
    assert [re.findall(r"\): (\w+)", line)[0] for line in states] == ["queued", "in_progress", "success"]
    # The generated release.yml's build and index jobs are simulated and say so; its publish job ran the real
    # `releasekit publish` with the run's token, so the rehearsal ends with a published release.
    assert states[-1].endswith("(simulated: build, upload to pypi; real: GitHub release)")
    release = hub.get("/repos/fluxion-app/fluxion/releases/tags/v1.3.2")
    assert release["draft"] is False
    assets = release["assets"]
    assert isinstance(assets, list)
    assert {"SHA256SUMS", "fluxion_voice-1.3.2.tar.gz"} <= {a["name"] for a in assets}
    hub.proc.send_signal(signal.SIGTERM)
    assert hub.proc.wait(timeout=15) == 0
    assert hub.rest().strip().endswith("releasekit sandbox: stopped.")
    assert hub.proc.stderr is not None and hub.proc.stderr.read() == ""
    # The temporary state directory is gone with it.
    state = re.search(r"state in (\S+)\)", hub.lines[0])
    assert state is not None and not Path(state.group(1)).exists()


def test_index_takes_twine_uploads_with_its_token_only(start: object, tmp_path: Path) -> None:
    project = make_project(tmp_path / "demo")
    hub: Running = start("--repo", f"acme/demo={project}", "--index", cwd=tmp_path)  # type: ignore[operator]
    # The seeding counts as a push of main, which the project's CI runs on; the rehearsed publish uploads to the
    # sandbox's own index, so it does not skip the index.
    assert "Seeding counts as a push of the default branch: 1 run(s) started for its head commit." in hub.lines
    [publish] = [line for line in hub.lines if "-m releasekit publish" in line]
    assert "--skip-index" not in publish
    ci = hub.get("/repos/acme/demo/actions/runs")["workflow_runs"]
    assert isinstance(ci, list)
    assert [(r["name"], r["event"], r["head_branch"]) for r in ci] == [("CI", "push", "main")]
    dist = tmp_path / "dist"
    dist.mkdir()
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
        '[project]\nname = "sandbox-demo"\nversion = "0.0.1"\n'
    )
    (package / "sandbox_demo.py").write_text("")
    wheel = dist / "sandbox_demo-0.0.1-py3-none-any.whl"
    import zipfile

    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("sandbox_demo.py", "")
        archive.writestr(
            "sandbox_demo-0.0.1.dist-info/METADATA", "Metadata-Version: 2.1\nName: sandbox-demo\nVersion: 0.0.1\n"
        )
        archive.writestr(
            "sandbox_demo-0.0.1.dist-info/WHEEL",
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        archive.writestr("sandbox_demo-0.0.1.dist-info/RECORD", "")
    env = {
        **os.environ,
        **{k: v for k, v in hub.exports.items() if k.startswith("TWINE_")},
        "PIP_CONFIG_FILE": "/dev/null",
    }
    upload = [sys.executable, "-m", "twine", "upload", "--non-interactive", "--disable-progress-bar", str(wheel)]
    done = subprocess.run(upload, env=env, capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    wrong = subprocess.run(
        upload, env={**env, "TWINE_PASSWORD": "not-the-token"}, capture_output=True, text=True, check=False, timeout=60
    )
    assert wrong.returncode != 0 and "403" in wrong.stdout + wrong.stderr
    again = subprocess.run(upload, env=env, capture_output=True, text=True, check=False, timeout=60)
    assert again.returncode != 0 and "400" in again.stdout + again.stderr  # an existing file: 400, as on PyPI
    with urllib.request.urlopen(hub.exports["TWINE_REPOSITORY_URL"] + "simple/sandbox-demo/", timeout=10) as page:
        assert wheel.name in page.read().decode()
    # Stopped, it stops its index (that port answers no more) and removes its state, the packages with it.
    hub.proc.send_signal(signal.SIGTERM)
    assert hub.proc.wait(timeout=15) == 0
    with pytest.raises(OSError):
        urllib.request.urlopen(hub.exports["TWINE_REPOSITORY_URL"], timeout=5)
    state = re.search(r"state in (\S+)\)", hub.lines[0])
    assert state is not None and not Path(state.group(1)).exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--repo", "not-a-name"], "repository name must be OWNER/NAME"),
        (["--repo", "acme/demo=missing-dir"], "is not a git repository"),
        (["--repo", "acme/demo", "--port", "-5"], "--port must be between 0 (any free port) and 65535, not -5"),
        (["--repo", "acme/demo", "--port", "{busy}"], "cannot listen on 127.0.0.1:{busy}"),
    ],
)
def test_bad_arguments_are_refused_with_a_clear_message(tmp_path: Path, args: list[str], message: str) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        args = [a.replace("{busy}", port) for a in args]
        done = run_releasekit("sandbox", *args, cwd=tmp_path)
        message = message.replace("{busy}", port)
    assert done.returncode != 0
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_without_a_config_it_asks_for_a_repository(tmp_path: Path) -> None:
    done = run_releasekit("sandbox", cwd=tmp_path)
    assert done.returncode == 2
    assert "name one with --repo OWNER/NAME[=PATH]" in done.stderr


def test_a_bad_script_is_refused_before_starting(tmp_path: Path) -> None:
    make_project(tmp_path / "demo")
    script = tmp_path / "script.yaml"
    script.write_text("- {job: 'build*', conclusion: exploded}\n")
    done = run_releasekit("sandbox", "--repo", "acme/demo=demo", "--script", str(script), cwd=tmp_path)
    assert done.returncode == 2
    assert "rule 1: script conclusion must be one of success, failure, cancelled, not 'exploded'" in done.stderr
