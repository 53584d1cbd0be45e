"""Run a local GitHub on 127.0.0.1 (REST API, git remotes, workflow runs) to rehearse a release; Ctrl-C stops it."""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from releasekit.errors import ReleasekitError, UsageError
from releasekit.links import docs

if TYPE_CHECKING:
    from releasekit.sandbox.app import Sandbox
    from releasekit.sandbox.state import Run


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--repo",
        action="append",
        default=[],
        metavar="OWNER/NAME[=PATH]",
        help="host this repository, seeded with the branches and tags of the git repository at PATH "
        "(default: project.repository of releasekit.yaml, seeded from the project directory)",
    )
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: a free one)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument(
        "--state",
        metavar="DIR",
        help="keep repositories, releases and runs in DIR and reuse them next time "
        "(default: a temporary directory, removed on exit)",
    )
    parser.add_argument("--index", action="store_true", help="also run a package index (pypiserver) for twine uploads")
    parser.add_argument(
        "--script",
        metavar="FILE",
        help=f"YAML list of scripted job outcomes ({docs('commands/sandbox.md', 'scripting-outcomes')})",
    )
    parser.add_argument(
        "--simulate-publish",
        action="store_true",
        help="simulate the `releasekit publish` job of a generated release workflow too (default: a tag push runs "
        "it for real, so a rehearsed release ends published)",
    )
    parser.add_argument(
        "--no-build-isolation",
        action="store_true",
        help="the rehearsed `releasekit publish` builds with the backend installed here (offline) instead of an "
        "isolated environment",
    )
    parser.add_argument("--job-seconds", type=float, default=2.0, help="how long a scripted job runs (default: 2)")
    parser.add_argument("--queue-seconds", type=float, default=1.0, help="how long a run stays queued (default: 1)")
    parser.add_argument("--clock-speed", type=float, default=1.0, help="run the sandbox's clock this many times faster")
    parser.add_argument(
        "--dispatch-run-details",
        choices=("yes", "ignore", "reject", "reject-400"),  # the sandbox's DISPATCH_RUN_DETAILS, not imported here
        default="yes",
        help="answer `return_run_details` as github.com does (yes), or as older GitHub Enterprise: "
        "204 without details (ignore), 422 (reject) or 400 (reject-400)",
    )
    parser.add_argument("--login", default="sandbox-user", help="the sandbox user's login (default: sandbox-user)")


def _default_repo(root: Path, config: str) -> str:
    from releasekit.config.loader import load

    path = root / config
    if not path.exists():
        msg = f"no {config} in {root} to take the repository from; name one with --repo OWNER/NAME[=PATH]"
        raise UsageError(msg)
    located = load(path)
    return f"{located.config.project.repository}={root}"


def _load_script(path: Path) -> list[dict[str, Any]]:
    import yaml

    from releasekit.config.loader import YAML_LOADER

    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)
    except OSError as exc:
        msg = f"cannot read the script {path}: {exc.strerror}"
        raise UsageError(msg) from None
    except yaml.YAMLError as exc:
        msg = f"{path}: not valid YAML: {exc}"
        raise UsageError(msg) from None
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        example = "- {job: 'build*', conclusion: failure}"
        msg = f"{path}: a script is a YAML list of rules, each a mapping such as `{example}`"
        raise UsageError(msg)
    return data


def run(args: argparse.Namespace) -> int:
    from releasekit.sandbox.app import Sandbox, SandboxError
    from releasekit.sandbox.engine import make_rule
    from releasekit.sandbox.rehearsal import publish_command

    root = Path(args.directory).resolve()
    if not 0 <= args.port <= 65535:
        msg = f"--port must be between 0 (any free port) and 65535, not {args.port}"
        raise UsageError(msg)
    specs = args.repo or [_default_repo(root, args.config)]
    rules = _load_script(Path(args.script)) if args.script else []
    for number, rule in enumerate(rules, start=1):
        try:
            make_rule(rule)
        except (TypeError, ValueError) as exc:
            msg = f"{args.script}: rule {number}: {exc}"
            raise UsageError(msg) from None
    try:
        hub = Sandbox(
            Path(args.state) if args.state else None,
            host=args.host,
            port=args.port,
            login=args.login,
            job_seconds=args.job_seconds,
            queue_seconds=args.queue_seconds,
            clock_speed=args.clock_speed,
            dispatch_run_details=args.dispatch_run_details,
        )
    except OSError as exc:
        msg = f"cannot listen on {args.host}:{args.port}: {exc.strerror}; choose another --port or leave it out"
        raise ReleasekitError(msg) from None
    except SandboxError as exc:
        raise UsageError(str(exc)) from None
    index = None
    try:
        # Rules, the index and the publish command first: seeding a repository already starts runs.
        for rule in rules:
            hub.script(**rule)
        if args.index:
            from releasekit.sandbox.index import IndexStartError, PackageIndex

            try:
                index = PackageIndex(hub.directory / "index" / "packages", host=args.host).start()
            except IndexStartError as exc:
                raise ReleasekitError(str(exc)) from None
        twine = {**index.twine_env(), "RELEASEKIT_INDEX_URL": index.url} if index else None
        hub.job_env.update(twine or {})
        if not args.simulate_publish:
            hub.publish_command = publish_command(index=index is not None, build_isolation=not args.no_build_isolation)
        before = len(hub.state.runs)
        lines = _host_repositories(hub, specs, root)
        hub.start()
        _announce(hub, lines, twine, len(rules), seeded=len(hub.state.runs) - before)
        _serve_until_stopped(hub)
    finally:
        if index is not None:
            index.stop()
        hub.stop()
    print("releasekit sandbox: stopped.")
    return 0


def _host_repositories(hub: Sandbox, specs: list[str], root: Path) -> list[str]:
    from releasekit.sandbox.app import SandboxError
    from releasekit.sandbox.gitstore import GitError

    lines = []
    for spec in specs:
        name, _, seed = spec.partition("=")
        existing = hub.state.repo(*name.split("/", 1)) if "/" in name else None
        if existing is not None:
            lines.append(f"  {name:<28} git remote add sandbox {hub.remote_url(name)}   (kept from --state)")
            continue
        seed_path = (root / seed).resolve() if seed else None
        if seed_path is not None and not (seed_path / ".git").exists() and not (seed_path / "HEAD").exists():
            msg = f"--repo {spec}: {seed_path} is not a git repository; give the path of a clone to seed from"
            raise UsageError(msg)
        try:
            repo = hub.create_repo(name, seed=seed_path, push=True)
        except (SandboxError, GitError) as exc:
            msg = f"--repo {spec}: {exc}"
            raise UsageError(msg) from None
        origin = f"seeded from {seed_path}" if seed_path else "empty"
        lines.append(
            f"  {repo.full_name:<28} git remote add sandbox {hub.remote_url(repo.full_name)}"
            f"   ({origin}, default branch {repo.default_branch})"
        )
    return lines


def _announce(hub: Sandbox, repos: list[str], twine: dict[str, str] | None, rules: int, *, seeded: int) -> None:
    first = next(iter(hub.state.repos.values()))
    print(f"releasekit sandbox: a local GitHub at {hub.api_url} (state in {hub.directory})")
    print()
    print("Use it from another shell (the token is made for this session and dies with it):")
    print(f"  export GITHUB_API_URL={hub.api_url}")
    print(f"  export GITHUB_TOKEN={hub.token}")
    if twine:
        for key, value in twine.items():
            print(f"  export {key}={value}")
    print()
    print("Repositories (push to them with git; the pushes start workflow runs as on GitHub):")
    for line in repos:
        print(line)
    print()
    print("Rehearse a release (`releasekit release` pushes to origin): point the origin of a copy or clone you can")
    print("throw away here, whether or not it has one:")
    print(f"  {origin_command(hub.remote_url(first.full_name))}")
    print()
    print("Watch the runs:")
    print(f'  curl -s -H "Authorization: token $GITHUB_TOKEN" $GITHUB_API_URL/repos/{first.full_name}/actions/runs')
    print()
    print("Jobs are simulated unless told otherwise: no command runs, and they succeed after --job-seconds;")
    print("the run view and each line below mark them `simulated`.")
    if hub.publish_command:
        print("Real: the `releasekit publish` job of a generated release workflow, on a tag push")
        print(f"  ({hub.publish_command}), so a rehearsed release ends published; --simulate-publish to skip it.")
    if rules:
        print(f"{rules} scripted outcome rule(s) loaded (a `command:` runs for real).")
    if seeded:
        print(f"Seeding counts as a push of the default branch: {seeded} run(s) started for its head commit.")
    print("Ctrl-C stops the sandbox.", flush=True)


def origin_command(remote: object) -> str:
    """One command that points `origin` at the sandbox in any repository: `add` where there is no origin yet,
    `set-url` where there is one (a clone)."""
    return f"git remote add origin {remote} 2>/dev/null || git remote set-url origin {remote}"


def _serve_until_stopped(hub: Sandbox) -> None:
    """Wait for Ctrl-C, SIGTERM or SIGHUP (the terminal closed), printing a line each time a run is created or
    changes status meanwhile. Whatever ends the process instead (SIGKILL) is cleaned up after by the watchdogs: the
    package index stops when its pipe from us closes, the sandbox's janitor stops the jobs and removes the state."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    hub.engine.listeners.append(_report)
    stopping = [signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
    previous = {signum: signal.signal(signum, on_signal) for signum in stopping}
    try:
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def run_line(run: Run) -> str:
    """A run's line as the sandbox prints it: created or changed, and which of its jobs are only simulated."""
    from releasekit.sandbox.engine import latest_jobs

    state = run.conclusion if run.status == "completed" and run.conclusion else run.status
    attempt = f" attempt {run.run_attempt}" if run.run_attempt > 1 else ""
    jobs = [job for job in latest_jobs(run) if job.conclusion != "skipped"]
    simulated = [job.name for job in jobs if job.command is None]
    line = f"run {run.id}{attempt}  {run.repo}  {run.name} ({run.event} {run.head_branch}): {state}"
    if simulated and len(simulated) == len(jobs):
        return f"{line}  (simulated: every job)"
    if simulated:
        return f"{line}  (simulated: {', '.join(simulated)}; real: {', '.join(j.name for j in jobs if j.command)})"
    return line


def _report(run: Run) -> None:
    print(run_line(run), flush=True)
