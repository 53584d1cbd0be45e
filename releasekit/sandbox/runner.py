"""Jobs that execute a real command: a fresh checkout of the run's commit, a runner's environment, the output as log."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import subprocess
import threading
import time
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from releasekit.sandbox.clock import iso

if TYPE_CHECKING:
    from releasekit.sandbox.app import Sandbox
    from releasekit.sandbox.state import Job, Repo, Run

# The caller's own credentials never reach a sandboxed job: it gets the run's token, as on GitHub.
_DROPPED = ("GITHUB_", "GH_", "RUNNER_", "INPUT_", "ACTIONS_")


class CommandRunner:
    def __init__(self, hub: Sandbox) -> None:
        self.hub = hub
        self.procs: dict[int, subprocess.Popen[bytes]] = {}
        self.lock = threading.Lock()
        self.stopped = False

    def log_path(self, job_id: int) -> Path:
        return self.hub.directory / "logs" / f"{job_id}.txt"

    def launch(self, repo: Repo, run: Run, job: Job) -> None:
        token = self.hub.issue_job_token(run.id)
        env = self.environment(repo, run, job, token)
        uploads = dict(job.uploads)
        thread = threading.Thread(
            target=self._run, args=(repo, run.id, job.id, job.command, run.head_sha, env, uploads), daemon=True
        )
        thread.start()

    def environment(self, repo: Repo, run: Run, job: Job, token: str) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED)}
        work = self.hub.directory / "work" / f"{run.id}-{job.id}"
        temp = work / "_temp"
        event = {"inputs": run.inputs} if run.event == "workflow_dispatch" else {"ref": run.ref, "after": run.head_sha}
        runner_os = _runner_os(job.labels)
        env = {
            **base,
            **self.hub.job_env,
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_REPOSITORY": repo.full_name,
            "GITHUB_REPOSITORY_OWNER": repo.owner,
            "GITHUB_REF": run.ref,
            "GITHUB_REF_NAME": run.head_branch or "",
            "GITHUB_REF_TYPE": "tag" if run.ref.startswith("refs/tags/") else "branch",
            "GITHUB_SHA": run.head_sha,
            "GITHUB_API_URL": self.hub.api_url,
            "GITHUB_SERVER_URL": self.hub.api_url,
            "GITHUB_GRAPHQL_URL": f"{self.hub.api_url}/graphql",
            "GITHUB_TOKEN": token,
            "GITHUB_RUN_ID": str(run.id),
            "GITHUB_RUN_NUMBER": str(run.run_number),
            "GITHUB_RUN_ATTEMPT": str(run.run_attempt),
            "GITHUB_WORKFLOW": run.name,
            "GITHUB_WORKFLOW_REF": f"{repo.full_name}/{run.path}@{run.ref}",
            "GITHUB_EVENT_NAME": run.event,
            "GITHUB_EVENT_PATH": str(temp / "event.json"),
            "GITHUB_JOB": job.job_id,
            "GITHUB_ACTOR": run.actor,
            "GITHUB_TRIGGERING_ACTOR": run.actor,
            "GITHUB_WORKSPACE": str(work / "checkout"),
            "GITHUB_OUTPUT": str(temp / "output"),
            "GITHUB_ENV": str(temp / "env"),
            "GITHUB_STEP_SUMMARY": str(temp / "step_summary.md"),
            "RUNNER_TEMP": str(temp),
            "RUNNER_OS": runner_os,
            "RUNNER_NAME": job.runner_name or "sandbox",
        }
        # What a `run:` step sees of `${{ inputs.x }}` when the workflow passes it through `env:`; actions get INPUT_X.
        for name, value in run.inputs.items():
            text = ("true" if value else "false") if isinstance(value, bool) else str(value)
            env[f"INPUT_{name.upper().replace(' ', '_')}"] = text
        temp.mkdir(parents=True, exist_ok=True)
        (temp / "event.json").write_text(json.dumps(event, indent=2), encoding="utf-8")
        return env

    def _run(  # noqa: PLR0917 - a thread target takes positional arguments
        self,
        repo: Repo,
        run_id: int,
        job_id: int,
        command: str | None,
        commit: str,
        env: dict[str, str],
        uploads: dict[str, str] | None = None,
    ) -> None:
        log = self.log_path(job_id)
        log.parent.mkdir(parents=True, exist_ok=True)
        checkout = Path(env["GITHUB_WORKSPACE"])
        code = 1
        with log.open("wb") as out:
            out.write(f"{iso(self.hub.clock.now())} Job runs `{command}` in a checkout of {commit}\n".encode())
            out.flush()
            try:
                self.hub.git(repo).checkout(commit, checkout)
                with self.lock:  # so that stop() either sees the process or has stopped the start of new ones
                    if self.stopped:
                        out.write(b"##[error]the sandbox stopped before the job started\n")
                        proc = None
                    else:
                        # A session of its own: stopping the job stops what it started too (its process group).
                        proc = subprocess.Popen(
                            command or "true",
                            shell=True,
                            cwd=checkout,
                            env=env,
                            stdout=out,
                            stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL,
                            start_new_session=True,
                        )
                        self.procs[job_id] = proc
            except (OSError, subprocess.SubprocessError) as exc:
                out.write(f"##[error]could not start the job: {exc}\n".encode())
                proc = None
            if proc is not None:
                # Should the sandbox be killed before the job ends, the janitor stops it.
                self.hub.janitor.kill_at_exit(proc.pid)
                try:
                    code = proc.wait()
                finally:
                    self.hub.janitor.forget(proc.pid)
                    with self.lock:
                        self.procs.pop(job_id, None)
            marker = "group" if code == 0 else "error"
            out.write(f"{iso(self.hub.clock.now())} ##[{marker}]Process completed with exit code {code}.\n".encode())
            for name, pattern in (uploads or {}).items():
                said = _stage(self.hub.directory, job_id, name, pattern, checkout)
                out.write(f"{iso(self.hub.clock.now())} {said}\n".encode())
        if not self.hub.stopping.is_set():
            self.hub.engine.command_finished(run_id, job_id, code)

    def kill(self, job_id: int) -> None:
        with self.lock:
            proc = self.procs.get(job_id)
        if proc is not None and proc.poll() is None:
            _signal_job(proc, signal.SIGTERM)

    def stop(self, grace: float = 5.0) -> None:
        """Stop every running job: SIGTERM, then SIGKILL to what is left of its process group after `grace`."""
        with self.lock:
            self.stopped = True
            procs = list(self.procs.values())
        for proc in procs:
            if proc.poll() is None:
                _signal_job(proc, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            # Also what the job's shell started and left behind in its group (right away: the group's id cannot
            # be taken by a new process while one of it remains).
            _signal_job(proc, getattr(signal, "SIGKILL", signal.SIGTERM))
            proc.wait()


def stored_artifact(directory: Path, artifact_id: int) -> Path:
    """Where an artifact's zip is kept: `<sandbox>/artifacts/<id>.zip`."""
    return directory / "artifacts" / f"{artifact_id}.zip"


def staged_upload(directory: Path, job_id: int, name: str) -> Path:
    """Where a job's upload waits, zipped, for the engine to make it an artifact (then `stored_artifact`)."""
    digest = hashlib.sha256(name.encode()).hexdigest()[:16]
    return directory / "artifacts" / f"job-{job_id}-{digest}.zip"


def _stage(directory: Path, job_id: int, name: str, pattern: str, checkout: Path) -> str:
    """Zip the files the pattern matches in the checkout, as `actions/upload-artifact` does: paths relative to
    their closest common folder. Returns the log line."""
    root = checkout.resolve()
    try:
        found = sorted(p for p in checkout.glob(pattern) if p.is_file() and p.resolve().is_relative_to(root))
    except (ValueError, OSError) as exc:
        return f"##[error]upload {name}: bad path pattern {pattern!r}: {exc}"
    if not found:
        return f"##[warning]No files were found with the provided path: {pattern}. No artifacts will be uploaded."
    base = Path(os.path.commonpath([p.parent for p in found]))
    target = staged_upload(directory, job_id, name)
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in found:
            archive.write(path, path.relative_to(base).as_posix())
    return f"Artifact {name} has been successfully uploaded: {len(found)} file{'s' * (len(found) != 1)}"


def _signal_job(proc: subprocess.Popen[bytes], signum: int) -> None:
    try:
        os.killpg(proc.pid, signum)  # the job's whole process group
    except ProcessLookupError:
        pass
    except (OSError, AttributeError):  # no process groups (Windows)
        if proc.poll() is None and signum == signal.SIGTERM:
            proc.terminate()
        elif proc.poll() is None:
            proc.kill()


def _runner_os(labels: list[str]) -> str:
    lowered = " ".join(labels).lower()
    if "windows" in lowered:
        return "Windows"
    if "macos" in lowered or "mac" in lowered:
        return "macOS"
    return "Linux"
