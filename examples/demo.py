"""The main job on the bundled example, shown step by step: `nox -s demo` runs this.

Copies examples/fluxion to a scratch directory, generates its GitHub Actions workflows from releasekit.yaml, shows
the manual full release's workflow, runs the three linters over them (actionlint, check-jsonschema, zizmor), edits
one by hand to show that `--check` catches it with a diff, regenerates. Then, against a local GitHub (the sandbox,
also the git `origin`) and a local package index: runs the example's E2E test as the E2E workflow's job three
times (passing, then breaching the performance SLA, which blocks the release, then passing again), cuts release
1.4.0 (the plan first, with `--dry-run`, then the release, followed to the published GitHub release; the release
workflow runs the real `releasekit publish`), then
dispatches the full release of 1.4.0 (a matrix over the three machines; one leg is scripted to fail once, and
`--rerun-failed` re-runs it), which attaches the desktop installers to the release. A closing summary lists what
was made. It cleans up after itself. Needs only Python, git and the test extra.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

EXAMPLE = Path(__file__).resolve().parent / "fluxion"
BIN = Path(sys.executable).parent
# Jobs last a second and the commands ask every half second, so a person sees the runs move; the demo's own test
# runs the same story faster (RELEASEKIT_DEMO_PACE=0.2 scales those times).
PACE = float(os.environ.get("RELEASEKIT_DEMO_PACE", "1"))
POLL = f"{0.5 * PACE:g}"


def tool(name: str) -> str:
    return shutil.which(name, path=str(BIN)) or shutil.which(name) or name


def step(title: str) -> None:
    print(f"\n\033[1m== {title}\033[0m" if sys.stdout.isatty() else f"\n== {title}", flush=True)


def run(cmd: list[str], cwd: Path, expect: int = 0, env: dict[str, str] | None = None) -> str:
    shown = " ".join(shlex.quote(Path(c).name if c.startswith(str(BIN)) else c) for c in cmd)
    print(f"$ {shown}", flush=True)
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False, env=env)
    output = (result.stdout + result.stderr).rstrip()
    if output:
        print(output, flush=True)
    print(f"[exit {result.returncode}]", flush=True)
    if result.returncode != expect:
        raise SystemExit(f"demo: expected exit {expect} from {shown}, got {result.returncode}")
    return output


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="releasekit-demo-") as tmp:
        project = Path(tmp) / "fluxion"
        shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".github", "__pycache__"))
        releasekit = tool("releasekit")
        # A private render cache, so the demo shows a cold run and leaves nothing behind.
        env = {**os.environ, "RELEASEKIT_CACHE_DIR": str(Path(tmp) / "cache")}
        env.pop("GITHUB_TOKEN", None)  # zizmor goes online when a token is set
        env.pop("GH_TOKEN", None)

        step("1. The example declares its machines, services, env and four workflows once: releasekit.yaml")
        print(f"{project}/releasekit.yaml: {len((project / 'releasekit.yaml').read_text().splitlines())} lines")

        step("2. Generate the workflows")
        run([releasekit, "workflows"], project, env=env)

        step("3. What was generated; here the manual full release, a matrix over the machines")
        for path in sorted((project / ".github").rglob("*.y*ml")):
            print(f"{path.relative_to(project)}: {len(path.read_text().splitlines())} lines")
        print("\n--- .github/workflows/release-full.yml ---")
        print((project / ".github/workflows/release-full.yml").read_text().rstrip())

        step("4. The three linters CI runs on every generated workflow")
        files = [p.relative_to(project).as_posix() for p in sorted((project / ".github/workflows").glob("*.yml"))]
        run([tool("actionlint"), "-config-file", ".github/actionlint.yaml", *files], project, env=env)
        run([tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *files], project, env=env)
        if shutil.which(tool("zizmor")):
            run([tool("zizmor"), "--offline", "--no-progress", ".github/workflows"], project, env=env)
        else:
            print("(zizmor is not installed here: it needs Python 3.11 or later)")

        step("5. Someone edits a generated file by hand; --check catches it with a diff")
        target = project / ".github/workflows/release.yml"
        target.write_text(target.read_text().replace("cancel-in-progress: false", "cancel-in-progress: true"))
        print("(changed cancel-in-progress to true in .github/workflows/release.yml)")
        run([releasekit, "workflows", "--check"], project, expect=1, env=env)

        step("6. Regenerate; --check passes again")
        run([releasekit, "workflows"], project, env=env)
        run([releasekit, "workflows", "--check"], project, env=env)

        rehearse(project, releasekit, env, Path(tmp))

    step("Done: the scratch copy, the sandbox and the index are removed")
    return 0


def rehearse(project: Path, releasekit: str, env: dict[str, str], tmp: Path) -> None:
    from releasekit.sandbox.app import Sandbox
    from releasekit.sandbox.index import PackageIndex

    step("7. A local GitHub and package index to release to (what `releasekit sandbox --index` runs)")
    git = ["git", "-c", "init.defaultBranch=main"]
    subprocess.run([*git, "init", "-q"], cwd=project, check=True)
    subprocess.run(["git", "config", "user.name", "Release Demo"], cwd=project, check=True)
    subprocess.run(["git", "config", "user.email", "demo@example.invalid"], cwd=project, check=True)
    subprocess.run(["git", "add", "-A"], cwd=project, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "Fluxion 1.3.2"], cwd=project, check=True)
    subprocess.run(["git", "tag", "-a", "v1.3.2", "-m", "Release 1.3.2"], cwd=project, check=True)
    hub = Sandbox(tmp / "sandbox", job_seconds=1.0 * PACE, queue_seconds=0.3 * PACE)
    with hub, PackageIndex(tmp / "index") as index:
        hub.create_repo("fluxion-app/fluxion", seed=project)
        origin = str(hub.remote_url("fluxion-app/fluxion"))
        subprocess.run(["git", "remote", "add", "origin", origin], cwd=project, check=True)
        subprocess.run(["git", "fetch", "-q", "origin"], cwd=project, check=True)
        # The generated release.yml's last job runs `releasekit publish`; in the sandbox it runs for real.
        publish = f'"{sys.executable}" -m releasekit publish "$GITHUB_REF_NAME" --skip-index --no-build-isolation'
        hub.script(workflow="release.yml", job="GitHub release", command=publish)
        print(f"GitHub API: {hub.api_url}   origin: {hub.remote_url('fluxion-app/fluxion')}   index: {index.url}")
        renv = {**env, **hub.env(), "RELEASEKIT_INDEX_URL": index.url, "PIP_CONFIG_FILE": os.devnull}
        # No CI has run on this fresh repository, and the example's build backend is in this environment.
        flags = ["--skip-ci-check", "--no-build-isolation"]

        step("8. The performance SLA gates the release: the E2E run's measurements must meet releasekit.yaml's targets")
        # The e2e job runs the example's real E2E test (voice-agent/e2e/test_latency.py), which times each layer
        # with the `sla` fixture; its results are uploaded as the run's `sla-results` artifact. Here the job also
        # runs the `releasekit sla check` the workflow's own `sla` job runs. The release's preflight downloads the
        # artifact through the API.
        e2e(hub, llm_ms=40)

        step("9. The Groq call slows down (its stub answers in 520 ms): the next E2E run breaches; the gate holds")
        e2e(hub, llm_ms=520)
        run([releasekit, "release", "1.4.0", *flags], project, expect=1, env=renv)

        step("10. Fixed: the E2E run passes again; the plan, every check first, each file's diff; nothing changes")
        e2e(hub, llm_ms=40)
        run([releasekit, "release", "1.4.0", "--dry-run", *flags], project, env=renv)

        step("11. Cut release 1.4.0: bump, changelog, commit, tag, atomic push, then follow the run to the release")
        run([releasekit, "release", "1.4.0", *flags, "--poll", POLL], project, env=renv)
        run(["git", "log", "--oneline", "--decorate", "-2"], project)

        step("12. Bad input fails before anything changes")
        run([releasekit, "release", "1.4"], project, expect=2, env=renv)
        run([releasekit, "release", "1.3.0", *flags], project, expect=2, env=renv)

        step("13. The full release of 1.4.0: checked through the API, dispatched once, followed job by job")
        # In the sandbox the jobs do not build installers; the last one makes stand-ins for what the three
        # machines' `npm run tauri build` would have made, then runs the real `releasekit publish`, which attaches
        # them to the release that step 9 published. The Windows leg is scripted to fail once.
        hub.script(workflow="release-full.yml", job="GitHub release", command=INSTALLERS + " && " + ATTACH)
        hub.script(
            workflow="release-full.yml",
            job="build (windows-pc)",
            conclusion="failure",
            step="Build the desktop installers",
            times=1,
        )
        run([releasekit, "release-full", "1.4.0", "--input", "channel=beta"], project, expect=1, env=renv)
        run([releasekit, "release-full", "1.4.0", "--rerun-failed", "--poll", POLL], project, env=renv)

        step("14. The runs, as `releasekit runs` lists them")
        run([releasekit, "runs"], project, env=renv)

        step("15. Summary")
        summarize(hub)


def e2e(hub: Any, llm_ms: int) -> None:
    """Run the E2E workflow on main (dispatched, as its schedule would) and show how its job ended."""
    name = "fluxion-app/fluxion"
    tests = f'(cd voice-agent && "{sys.executable}" -m pytest -q -p no:cacheprovider e2e)'
    command = (
        f"export RELEASEKIT_SLA_RESULTS=$PWD/sla-results.jsonl FLUXION_LLM_STUB_MS={llm_ms}; "
        f'{tests} && "{sys.executable}" -m releasekit sla check'
    )
    hub.script(workflow="e2e-tests.yml", job="e2e", command=command, uploads={"sla-results": "sla-results.jsonl"})
    before = {r.id for r in hub.runs(name)}
    hub.github().get_repo(name).get_workflow("e2e-tests.yml").create_dispatch("main")
    done = hub.wait_for(
        lambda: next((r for r in hub.runs(name) if r.id not in before and r.status == "completed"), None),
        timeout=120,
        what="the E2E run",
    )
    print(f"E2E Tests run {done.id} on main (FLUXION_LLM_STUB_MS={llm_ms}): {done.conclusion}; its job's log ends:")
    job = next(j for j in done.jobs if j.name == "e2e")
    log = hub.engine.runner.log_path(job.id).read_text().splitlines()
    start = next(i for i, line in enumerate(log) if line.startswith("target "))
    table = [line for line in log[start:] if not line.startswith(("20", "::"))]  # not the runner's own lines
    print("\n".join(f"  {line}" for line in table))


# Stand-ins for the desktop installers the build legs make (bundle names as Tauri writes them).
INSTALLERS = (
    f'"{sys.executable}" -c "import os, pathlib; d = pathlib.Path(\'dist\'); d.mkdir(); '
    "[(d / n).write_bytes(os.urandom(150_000)) for n in ('Fluxion_1.4.0_aarch64.dmg', 'Fluxion_1.4.0_x64_en-US.msi', "
    "'Fluxion_1.4.0_x64-setup.exe', 'fluxion_1.4.0_amd64.AppImage', 'fluxion_1.4.0_amd64.deb')]\""
)
ATTACH = f'"{sys.executable}" -m releasekit publish "$GITHUB_REF_NAME" --dist dist --skip-index'


def summarize(hub: Any) -> None:
    """What the rehearsal made, read back from the sandbox."""
    name = "fluxion-app/fluxion"
    for run_ in hub.runs(name):
        print(
            f"run {run_.id}  {run_.path.rsplit('/', 1)[-1]:<17} {run_.event:<17} {run_.head_branch:<7} "
            f"{run_.conclusion} (attempt {run_.run_attempt})"
        )
    dispatches = hub.requests("POST", f"/repos/{name}/actions/workflows/release-full.yml/dispatches")
    print(f"dispatches of release-full.yml sent: {len(dispatches)} (answered {[d['status'] for d in dispatches]})")
    for release in hub.state.releases.values():
        assets = release.assets
        state = "draft" if release.draft else "published"
        print(f"GitHub release {release.tag_name}: {state}, {len(assets)} assets")
        for asset in sorted(assets, key=lambda a: a.name):
            print(f"  {asset.name:<38} {asset.size:>9} B")


if __name__ == "__main__":
    sys.exit(main())
