"""The main job on the bundled example, shown step by step: `nox -s demo` runs this.

Copies examples/fluxion to a scratch directory, generates its GitHub Actions workflows from releasekit.yaml, shows
them, runs the three linters over them (actionlint, check-jsonschema, zizmor), edits one by hand to show that
`--check` catches it with a diff, regenerates, and cleans up. Needs only Python, git and the test extra.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent / "fluxion"
BIN = Path(sys.executable).parent


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

        step("3. What was generated")
        for path in sorted((project / ".github").rglob("*.y*ml")):
            print(f"\n--- {path.relative_to(project)} ---")
            print(path.read_text().rstrip())

        step("4. The three linters CI runs on every generated workflow")
        files = [p.relative_to(project).as_posix() for p in sorted((project / ".github/workflows").glob("*.yml"))]
        run([tool("actionlint"), "-config-file", ".github/actionlint.yaml", *files], project, env=env)
        run([tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *files], project, env=env)
        run([tool("zizmor"), "--offline", "--no-progress", ".github/workflows"], project, env=env)

        step("5. Someone edits a generated file by hand; --check catches it with a diff")
        target = project / ".github/workflows/release.yml"
        target.write_text(target.read_text().replace("cancel-in-progress: false", "cancel-in-progress: true"))
        print("(changed cancel-in-progress to true in .github/workflows/release.yml)")
        run([releasekit, "workflows", "--check"], project, expect=1, env=env)

        step("6. Regenerate; --check passes again")
        run([releasekit, "workflows"], project, env=env)
        run([releasekit, "workflows", "--check"], project, env=env)

    step("Done: the scratch copy is removed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
