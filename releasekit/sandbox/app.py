"""The sandbox as one object: its state, its repositories, its run engine and its HTTP server on 127.0.0.1."""

from __future__ import annotations

import base64
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from releasekit.sandbox.clock import Clock
from releasekit.sandbox.engine import Engine, Rule
from releasekit.sandbox.gitstore import BareRepo, CommitInfo
from releasekit.sandbox.http import ApiError, Request, Router, SandboxServer, constant_time_equal, not_found
from releasekit.sandbox.janitor import Janitor
from releasekit.sandbox.limits import Fault, Faults, RateLimits, RequestLog
from releasekit.sandbox.shapes import Shapes, user_id
from releasekit.sandbox.state import Repo, Run, State

if TYPE_CHECKING:
    from github import Github

Observer = Callable[[str, str, int, bytes, str], None]
# How a dispatch's `return_run_details: true` is answered: as github.com does (yes: 200 with the run's id), or as
# older GitHub Enterprise Server: ignore (204), reject (422 'is not a permitted key'), reject-400 (the same, 400).
DISPATCH_RUN_DETAILS = ("yes", "ignore", "reject", "reject-400")


class SandboxError(RuntimeError):
    """The sandbox cannot do what it was asked (bad repository name, port in use, ...)."""


def new_token(prefix: str = "rks") -> str:
    # Not GitHub's ghp_/ghs_ formats on purpose: a sandbox token must never be mistaken for a real one.
    return f"{prefix}_{secrets.token_hex(20)}"


class Sandbox:
    """A local GitHub. `with Sandbox() as hub:` starts it on a free port; `hub.api_url`, `hub.token` to talk to it."""

    def __init__(
        self,
        directory: Path | str | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        login: str = "sandbox-user",
        job_seconds: float = 1.0,
        queue_seconds: float = 0.5,
        clock_speed: float = 1.0,
        dispatch_run_details: str = "yes",
        rate_limit: int = 5000,
        observers: Iterable[Observer] = (),
        publish_command: str | None = None,
        job_env: dict[str, str] | None = None,
    ) -> None:
        if dispatch_run_details not in DISPATCH_RUN_DETAILS:
            msg = f"dispatch_run_details must be one of {', '.join(DISPATCH_RUN_DETAILS)}, not {dispatch_run_details!r}"
            raise SandboxError(msg)
        self._owns_directory = directory is None
        self.directory = (
            Path(directory) if directory is not None else Path(tempfile.mkdtemp(prefix="releasekit-sandbox-"))
        )
        self.directory.mkdir(parents=True, exist_ok=True)
        # Removes the temporary directory and stops running jobs even if this process is killed (SIGKILL).
        self.janitor = Janitor()
        if self._owns_directory:
            self.janitor.remove_at_exit(self.directory)
        self.host = host
        self.token = token or new_token()
        self.login = login
        self.user_id = user_id(login)
        self.dispatch_run_details = dispatch_run_details
        self.job_seconds = job_seconds  # how long a scripted job runs, in sandbox time
        self.queue_seconds = queue_seconds  # how long a run stays queued
        # Run for real by the publish job of a generated release workflow on a tag push (None: simulated).
        self.publish_command = publish_command
        self.job_env = dict(job_env or {})  # added to the environment of every job that runs a command
        self.clock = Clock(clock_speed)
        self.created_at = self.clock.now()
        state_file = self.directory / "state.json"
        self.state = State.load(state_file) if state_file.exists() else State()
        self.faults = Faults()
        self.limits = RateLimits(self, rate_limit)
        self.observers: list[Observer] = list(observers)
        self.stopping = threading.Event()
        self.job_tokens: dict[str, int] = {}  # token -> run id, valid while the run is not completed
        self._counter = 0
        self._counter_lock = threading.Lock()
        self._dirty = False
        self._commits: dict[str, CommitInfo] = {}
        try:
            self.server = SandboxServer(self, host, port)
        except BaseException:  # the port is taken: nothing of this sandbox may stay behind
            self._release_directory()
            raise
        self.port: int = self.server.server_address[1]
        self.api_url = f"http://{host}:{self.port}"
        self.shapes = Shapes(self.api_url, self.api_url, f"{self.api_url}/api/uploads")
        self.log = RequestLog(self.directory / "requests.jsonl")
        self.engine = Engine(self)
        self.router = Router()
        from releasekit.sandbox.api import register_all

        register_all(self)
        self._threads: list[threading.Thread] = []

    # -- life cycle -----------------------------------------------------------------------------------------------

    def start(self) -> Sandbox:
        serve = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True, name="sandbox-http"
        )
        tick = threading.Thread(target=self._tick_loop, daemon=True, name="sandbox-tick")
        self._threads = [serve, tick]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        if self.stopping.is_set():
            return
        self.stopping.set()
        self.engine.stop()
        if self._threads:  # shutdown() waits for serve_forever(), which only runs once started
            self.server.shutdown()
        self.server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self.save()
        self.log.close()
        self._release_directory()

    def _release_directory(self) -> None:
        if self._owns_directory:
            shutil.rmtree(self.directory, ignore_errors=True)
        self.janitor.close()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _tick_loop(self) -> None:
        last_save = time.monotonic()
        while not self.stopping.wait(0.05):
            self.tick()
            if self._dirty and time.monotonic() - last_save > 0.5:
                self.save()
                last_save = time.monotonic()

    def tick(self) -> None:
        """Take in pushes and move runs along: what GitHub does between two requests."""
        with self.state.lock:
            for repo in list(self.state.repos.values()):
                self.sync(repo)
            if self.engine.advance(self.clock.now()):
                self._dirty = True

    def save(self) -> None:
        self.state.save(self.directory / "state.json")
        self._dirty = False

    def touch(self) -> None:
        self._dirty = True

    def request_counter(self) -> int:
        with self._counter_lock:
            self._counter += 1
            return self._counter

    # -- repositories ---------------------------------------------------------------------------------------------

    def repo_path(self, repo: Repo) -> Path:
        return self.directory / "git" / repo.owner / f"{repo.name}.git"

    def git(self, repo: Repo) -> BareRepo:
        return BareRepo(self.repo_path(repo))

    def commit_info(self, repo: Repo, sha: str) -> CommitInfo:
        """A commit's data; commits never change, so each is read from git once."""
        key = f"{repo.full_name}@{sha}"
        info = self._commits.get(key)
        if info is None:
            info = self._commits[key] = self.git(repo).commit(sha)
        return info

    def remote_url(self, full_name: str) -> str:
        """What to give `git remote add`: the bare repository's path (pushes to it are seen as GitHub pushes)."""
        owner, _, name = full_name.partition("/")
        repo = self.state.repo(owner, name)
        if repo is None:
            msg = f"no repository {full_name!r} in the sandbox"
            raise SandboxError(msg)
        return str(self.repo_path(repo))

    def create_repo(
        self,
        full_name: str,
        *,
        seed: Path | str | None = None,
        default_branch: str | None = None,
        description: str | None = None,
        push: bool = False,
    ) -> Repo:
        """A hosted repository, empty or seeded with every branch and tag of the git repository at `seed`. With
        `push`, the seeding counts as a push of the default branch, as the first push of a repository does on
        GitHub: the workflows it triggers run for its head commit, so CI has runs (check runs) there."""
        owner, sep, name = full_name.partition("/")
        if not sep or not owner or not name or "/" in name or not _name_ok(owner) or not _name_ok(name):
            msg = f"repository name must be OWNER/NAME (letters, digits, '-', '_', '.'), not {full_name!r}"
            raise SandboxError(msg)
        with self.state.lock:
            if self.state.repo(owner, name) is not None:
                msg = f"repository {full_name} already exists in the sandbox"
                raise SandboxError(msg)
            branch = default_branch or (_current_branch(Path(seed)) if seed else None) or "main"
            now = self.clock.now()
            repo = Repo(self.state.new_id(), owner, name, branch, description, now, now, None)
            bare = BareRepo.create(self.repo_path(repo), branch)
            if seed is not None:
                bare.seed_from(Path(seed))
                repo.pushed_at = now
            self.state.repos[repo.full_name.lower()] = repo
            self.engine.refresh_workflows(repo)
            head = bare.resolve_commit(f"refs/heads/{branch}") if seed is not None and push else None
            if head is not None:
                self.engine.on_push(repo, "0" * 40, head, f"refs/heads/{branch}", actor=self.login, by_job=False)
            self.touch()
            return repo

    def sync(self, repo: Repo) -> None:
        """Read the pushes git recorded since the last look and turn each into a push event."""
        log = self.git(repo).push_log()
        try:
            size = log.stat().st_size
        except FileNotFoundError:
            return
        if size <= repo.push_log_offset:
            return
        with log.open("rb") as handle:
            handle.seek(repo.push_log_offset)
            data = handle.read(size - repo.push_log_offset)
        complete = data[: data.rfind(b"\n") + 1]
        repo.push_log_offset += len(complete)
        for line in complete.decode("utf-8", errors="replace").splitlines():
            parts = line.split()
            if len(parts) == 3:
                self.engine.on_push(repo, parts[0], parts[1], parts[2], actor=self.login, by_job=False)
        self.touch()

    def find_repo(self, owner: str, name: str) -> Repo:
        repo = self.state.repo(owner, name)
        if repo is None:
            raise not_found("https://docs.github.com/rest/repos/repos#get-a-repository")
        self.sync(repo)
        return repo

    # -- auth -----------------------------------------------------------------------------------------------------

    def public_route(self, request: Request) -> bool:
        # Release downloads of a public repository and the sandbox's health check need no token, as on GitHub.
        path = request.path
        return (
            "/releases/download/" in path
            or path == "/_sandbox/health"
            or path.startswith(("/_sandbox/job-logs/", "/_sandbox/artifact-zips/"))  # the latter signed per artifact
        )

    def authenticate(self, request: Request) -> str:
        header = request.headers.get("Authorization") or ""
        scheme, _, value = header.partition(" ")
        token = value.strip()
        if scheme.lower() == "basic":
            try:
                token = base64.b64decode(token).decode().partition(":")[2]
            except ValueError:
                token = ""
        if not header:
            request.drain()
            raise ApiError(401, "Requires authentication", docs="https://docs.github.com/rest")
        if scheme.lower() in ("token", "bearer", "basic") and token:
            if constant_time_equal(token, self.token):
                request.login = self.login
                return "user"
            run_id = self.job_tokens.get(token)
            if run_id is not None and not request.path.startswith("/_sandbox/"):
                request.login = "github-actions[bot]"
                request.run_id = run_id
                return f"job:{run_id}"
        request.drain()
        raise ApiError(401, "Bad credentials", docs="https://docs.github.com/rest")

    def issue_job_token(self, run_id: int) -> str:
        token = new_token("rks_job")
        self.job_tokens[token] = run_id
        return token

    def revoke_job_tokens(self, run_id: int) -> None:
        for token in [t for t, r in self.job_tokens.items() if r == run_id]:
            del self.job_tokens[token]

    # -- for tests and rehearsals ----------------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        """The variables a client needs: `GITHUB_API_URL` and `GITHUB_TOKEN`."""
        return {"GITHUB_API_URL": self.api_url, "GITHUB_TOKEN": self.token}

    def script(self, **rule: Any) -> Rule:
        """Script the outcome of matching jobs: `hub.script(workflow="release-full.yml", job="build (windows*",
        conclusion="failure", times=1)`, `command="releasekit publish $GITHUB_REF_NAME"`, `seconds=30`."""
        return self.engine.add_rule(rule)

    def fault(self, method: str, path: str, **options: Any) -> Fault:
        """The next `count` requests matching method (or "*") and path glob answer `status`, `hang` or `drop`."""
        fault = Fault(method.upper(), path, **options)
        self.faults.add(fault)
        return fault

    def requests(self, method: str | None = None, path: str | None = None) -> list[dict[str, Any]]:
        """The request log (Authorization redacted), optionally filtered by method and path glob."""
        import fnmatch

        with self.log.lock:
            entries = list(self.log.entries)
        return [
            e
            for e in entries
            if (method is None or e["method"] == method.upper())
            and (path is None or fnmatch.fnmatchcase(e["path"], path))
        ]

    def runs(self, full_name: str) -> list[Run]:
        """The repository's runs, oldest first, after taking in any push git has recorded."""
        self.tick()
        with self.state.lock:
            return sorted(
                (r for r in self.state.runs.values() if r.repo.lower() == full_name.lower()), key=lambda r: r.id
            )

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.tick()
            with self.state.lock:
                value = predicate()
            if value:
                return value
            time.sleep(0.02)
        msg = f"sandbox: timed out after {timeout:g}s waiting for {what}"
        raise TimeoutError(msg)

    def github(self, **options: Any) -> Github:
        """A PyGithub client for this sandbox (only base_url differs from github.com). No automatic retries, and
        none of PyGithub's pauses between requests (0.25 s) and writes (1 s) unless asked for."""
        from github import Auth, Github

        settings = {"retry": None, "seconds_between_requests": 0, "seconds_between_writes": 0, **options}
        return Github(auth=Auth.Token(self.token), base_url=self.api_url, **settings)


def _name_ok(part: str) -> bool:
    return all(c.isalnum() or c in "-_." for c in part) and part not in (".", "..")


def _current_branch(source: Path) -> str | None:
    import subprocess

    proc = subprocess.run(
        ["git", "-C", str(source), "symbolic-ref", "--short", "-q", "HEAD"], capture_output=True, text=True, check=False
    )
    return proc.stdout.strip() or None
