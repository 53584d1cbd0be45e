"""`nox -s corpus`: releasekit on real repositories, each the whole story a new user would try.

For every entry of ../shared/corpus (real projects' release files and history shape, made into a git repository
by its materialize.py): `releasekit init`, `releasekit workflows`, `releasekit release patch --dry-run` (in a
monorepo, `release PACKAGE patch` of the package its latest tag names), then a rehearsal of that release
against a local GitHub (the sandbox, also the git `origin`) and a local package index, followed to the GitHub
release. Every command runs as a user runs it (a child process, its output kept in the work
directory). A table at the end says, per entry, what `init` found, the plan (version, tag, files, changelog), the
time `init` and the dry run took, and how the rehearsal ended.

Where ../shared/corpus is absent (a clone of releasekit alone), it says so and exits 0: the corpus is test data
that lives beside the project, not in it. `--corpus DIR` names another one, `--only NAME` runs some entries,
`--keep DIR` keeps the work directory.

In a monorepo with covector change files (`.changes/config.json`), the rehearsal then releases TWO packages in one
push: it commits a change file naming a second package (`patch`) beside the pending ones, runs `release auto`
against the sandbox, and follows both tags' release runs to their published GitHub releases (the table's
`release auto` column; the details below it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from releasekit.sandbox.app import Sandbox

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE.parent.parent / "shared" / "corpus"
IDENTITY = {
    "GIT_AUTHOR_NAME": "Corpus Rehearsal",
    "GIT_AUTHOR_EMAIL": "rehearsal@example.invalid",
    "GIT_COMMITTER_NAME": "Corpus Rehearsal",
    "GIT_COMMITTER_EMAIL": "rehearsal@example.invalid",
}
STEP_TIMEOUT = 300


@dataclass
class Outcome:
    entry: str
    init: str = ""
    init_ms: float = 0.0
    found: list[str] = field(default_factory=list)
    plan: str = ""
    tag: str = ""
    files: list[str] = field(default_factory=list)
    changelog: str = ""
    dry_ms: float = 0.0
    rehearsal: str = ""
    failed: str = ""
    filled: list[str] = field(default_factory=list)
    auto: str = ""  # a monorepo: what `release auto --dry-run` plans (change files and commits), and its time
    auto_ms: float = 0.0
    several: str = ""  # a monorepo: `release auto` of two packages in one push: the tags, runs and releases
    several_detail: list[str] = field(default_factory=list)


def run(cmd: list[str], cwd: Path, env: dict[str, str], log: Path) -> tuple[int, str, float]:
    """Run one command, append it and its output to the entry's log; (exit code, output, milliseconds)."""
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=STEP_TIMEOUT
        )
        code, output = proc.returncode, proc.stdout + proc.stderr
    except subprocess.TimeoutExpired as exc:
        code, output = 124, f"timed out after {STEP_TIMEOUT} s: {exc}"
    took = (time.perf_counter() - started) * 1000
    with log.open("a", encoding="utf-8") as out:
        out.write(f"$ {' '.join(cmd)}   [{cwd}]\n{output}[exit {code}, {took:.0f} ms]\n\n")
    return code, output, took


def releasekit(*args: str) -> list[str]:
    return [sys.executable, "-m", "releasekit", *args]


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True, env=_env())
    return proc.stdout.strip()


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_TOKEN", "GH_TOKEN", "GITHUB_API_URL")}
    return {**env, **IDENTITY, **extra}


def fill_left_out(repo: Path) -> list[str]:
    """The corpus keeps a project's release files, not its docs: a README or license file that the package's
    metadata reads (`project.readme`, `project.license-files`, hatch-fancy-pypi-readme's fragments), or towncrier's
    template, is missing, and the build or the changelog fails on it. Write a stand-in for each (committed, so the
    tree is clean) and say which."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib

    pyproject = repo / "pyproject.toml"
    if not pyproject.is_file():
        return []
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    project = data.get("project", {})
    readme = project.get("readme")
    wanted = [readme] if isinstance(readme, str) else [readme.get("file")] if isinstance(readme, dict) else []
    hooks = data.get("tool", {}).get("hatch", {}).get("metadata", {}).get("hooks", {})
    wanted += [fragment.get("path") for fragment in hooks.get("fancy-pypi-readme", {}).get("fragments", [])]
    # License files named outright (a glob that matches nothing is the backend's own business).
    license_ = project.get("license")
    wanted += [license_.get("file")] if isinstance(license_, dict) else []
    wanted += [name for name in project.get("license-files", []) if not any(c in name for c in "*?[")]
    filled = []
    # A towncrier template kept beside the fragments: the stand-in is towncrier's own default for that markup.
    template = data.get("tool", {}).get("towncrier", {}).get("template")
    if isinstance(template, str) and ":" not in template and not (repo / template).exists():
        from importlib.resources import files

        default = files("towncrier") / "templates" / ("default.md" if template.endswith(".md") else "default.rst")
        (repo / template).parent.mkdir(parents=True, exist_ok=True)
        (repo / template).write_text(default.read_text(encoding="utf-8"), encoding="utf-8")
        filled.append(template)
    for name in [w for w in wanted if isinstance(w, str)]:
        path = repo / name
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            title = project.get("name", repo.name)
            path.write_text(f"# {title}\n\nA stand-in: the corpus leaves this file out.\n\n## 0.0.0\n\n", "utf-8")
            filled.append(name)
    if filled:
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"chore: stand-ins for {', '.join(filled)} (left out of the corpus)")
    return filled


def read_plan(output: str, outcome: Outcome) -> None:
    """What the dry run's plan says: the version and latest release, the tag, the files and the changelog."""
    head = re.search(r"^Plan: release (\S+) of \S+ \(latest release: ([^)]*)\)", output, re.MULTILINE)
    if head:
        outcome.plan = f"{head.group(2)} -> {head.group(1)}"
    tag = re.search(r"^\d+\. (?:Annotated|Signed) tag (\S+)", output, re.MULTILINE)
    if tag:
        outcome.tag = tag.group(1)
    edits = re.search(r"^1\. Edit \d+ files?:\n((?:   .*\n)+)", output, re.MULTILINE)
    if edits:
        lines = [line.strip() for line in edits.group(1).splitlines()]
        described = ("changelog:", "version:")  # how the changelog and a tag-is-the-version source are made
        outcome.files = [line.split(":", 1)[0] for line in lines if not line.startswith(described)]
        source = [line for line in lines if line.startswith("version:")]
        if source:
            outcome.files.insert(0, "(the tag is the version)")
        changelog = [line for line in lines if line.startswith("changelog:")]
        outcome.changelog = changelog[0].removeprefix("changelog:").strip() if changelog else ""


def rehearse(entry: Path, work: Path, materialize: Path) -> Outcome:
    from releasekit.sandbox.app import Sandbox
    from releasekit.sandbox.index import PackageIndex
    from releasekit.sandbox.rehearsal import publish_command

    meta = json.loads((entry / "entry.json").read_text(encoding="utf-8"))
    outcome = Outcome(entry.name)
    repo, log = work / "repo", work / "log.txt"
    made = subprocess.run(
        [sys.executable, str(materialize), str(entry), str(repo)], capture_output=True, text=True, check=False
    )
    if made.returncode != 0:
        outcome.failed = f"materialize.py: exit {made.returncode}: {(made.stderr or made.stdout).strip()[-300:]}"
        return outcome
    outcome.filled = fill_left_out(repo)
    index = PackageIndex(work / "index")
    # As `releasekit sandbox --index` rehearses: the generated release workflow's publish job runs the real
    # `releasekit publish` (uploading to the local index), and seeding the repository counts as a push (CI runs).
    hub = Sandbox(
        work / "sandbox",
        job_seconds=0.2,
        queue_seconds=0.05,
        publish_command=publish_command(index=True),
        job_env={**index.twine_env(), "RELEASEKIT_INDEX_URL": index.url},
    )
    with index, hub:
        name = meta["repository"]
        hub.create_repo(name, seed=repo, push=True)
        # Builds are isolated, as a user's are: pip installs each project's build backend from the package index
        # this machine is configured for (the sandbox's index is only where releases go).
        env = _env(**hub.env(), RELEASEKIT_INDEX_URL=index.url, RELEASEKIT_DEBUG="")
        env["RELEASEKIT_CACHE_DIR"] = str(work / "cache")
        # A clone of the real project: its origin is on GitHub when `init` looks; the rehearsal then points origin
        # at the sandbox, which holds the same history (as the README's rehearsal does).
        git(repo, "remote", "add", "origin", f"https://github.com/{name}.git")
        code, output, outcome.init_ms = run(releasekit("init"), repo, env, log)
        git(repo, "remote", "set-url", "origin", str(hub.remote_url(name)))
        git(repo, "fetch", "-q", "origin")
        branch = git(repo, "branch", "--show-current")
        git(repo, "branch", "-q", "--set-upstream-to", f"origin/{branch}")
        outcome.found = [line.strip() for line in output.splitlines() if line.startswith(("note:", "found", "  "))]
        outcome.init = "ok" if code == 0 else f"exit {code}"
        if code != 0:
            outcome.failed = _last_error(output)
            return outcome
        outcome.init = _what_init_wrote(repo)
        package = _package_to_release(repo, meta.get("latest_tag"))  # a monorepo releases one of its packages
        code, output, _ = run(releasekit("workflows"), repo, env, log)
        if code != 0:
            outcome.failed = f"workflows: {_last_error(output)}"
            return outcome
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "chore: release with releasekit")
        _push_and_wait_for_ci(repo, hub, name, branch)

        dry_run = releasekit("release", *package, "patch", "--dry-run")
        code, output, outcome.dry_ms = run(dry_run, repo, env, log)
        read_plan(output, outcome)
        if code != 0:
            outcome.failed = f"dry run: {_last_error(output)}"
            return outcome
        if package:  # a monorepo: every changed package, from its commits and change files
            code, output, outcome.auto_ms = run(releasekit("release", "auto", "--dry-run"), repo, env, log)
            outcome.auto = _auto_plan(output) if code == 0 else f"exit {code}: {_last_error(output)}"
        code, output, _ = run(releasekit("release", *package, "patch", "--poll", "0.2"), repo, env, log)
        released = re.search(r"^Released (\S+): (\S+)", output, re.MULTILINE)
        outcome.rehearsal = f"published {released.group(1)}" if released else f"exit {code}"
        if code != 0:
            outcome.failed = f"release: {_last_error(output)}"
        elif package:
            outcome.several = _release_two(
                repo, hub, name=name, branch=branch, env=env, log=log, outcome=outcome, just_released=package[0]
            )
    return outcome


def _push_and_wait_for_ci(repo: Path, hub: Sandbox, name: str, branch: str) -> None:
    """Push the branch, then, as a release engineer does, wait for CI on the commit to be released to finish (the
    sandbox's jobs are simulated and quick), so the preflight's CI check reads results, not runs in progress."""
    git(repo, "push", "-q", "origin", branch)
    head = git(repo, "rev-parse", "HEAD")
    hub.wait_for(
        lambda: all(r.status == "completed" for r in hub.runs(name) if r.head_sha == head),
        timeout=120,
        what="CI on the commit to release",
    )


def _release_two(
    repo: Path,
    hub: Sandbox,
    *,
    name: str,
    branch: str,
    env: dict[str, str],
    log: Path,
    outcome: Outcome,
    just_released: str,
) -> str:
    """A monorepo's `release auto` of two packages in one push: a covector change file naming a second package
    (the first declared one that `release auto` does not plan yet, not the one just released, known to covector) with
    `patch`, committed and pushed beside the pending change files; `release auto`; then each tag's release run
    followed to its published GitHub release. What happened, in a few words (details in `outcome.several_detail`)."""
    from releasekit.config.loader import load

    covector = repo / ".changes" / "config.json"
    if not covector.is_file():
        return "skipped: no covector .changes/config.json to write a change file for"
    keys = set(json.loads(covector.read_text(encoding="utf-8")).get("packages", {}))
    code, output, _ = run(releasekit("release", "auto", "--dry-run"), repo, env, log)
    if code != 0:
        return f"dry run: exit {code}: {_last_error(output)}"
    planned = set(re.findall(r"^  (\S+) \d\S* \(latest release", output, re.MULTILINE))
    names = load(repo / "releasekit.yaml").config.package_names()
    second = next((n for n in names if n in keys and n not in planned and n != just_released), None)
    if second is None:
        return "skipped: no other package to name in a change file"
    change = repo / ".changes" / f"rehearsal-{second}.md"
    change.write_text(f'---\n"{second}": patch\n---\n\nRehearsal: released beside the pending changes.\n', "utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"chore: change file for {second} (a rehearsal of two packages in one push)")
    _push_and_wait_for_ci(repo, hub, name, branch)
    code, output, _ = run(releasekit("release", "auto", "--poll", "0.2"), repo, env, log)
    released = re.search(r"^Released (.+): tagged and pushed\.$", output, re.MULTILINE)
    if code != 0 or released is None:
        return f"exit {code}: {_last_error(output)}"
    tags = [t.strip() for t in released.group(1).split(",")]
    refs = {f"refs/tags/{t}" for t in tags}
    runs = hub.wait_for(
        lambda: (
            found
            if len(found := [r for r in hub.runs(name) if r.ref in refs]) == len(refs)
            and all(r.status == "completed" for r in found)
            else None
        ),
        timeout=300,
        what="the release runs of the tags",
    )
    full = hub.state.repo(*name.split("/", 1))
    releases = {r.tag_name: r for r in hub.state.releases.values() if full is not None and r.repo == full.full_name}
    published = [t for t in tags if t in releases and not releases[t].draft]
    for run_ in sorted(runs, key=lambda r: r.ref):
        tag = run_.ref.removeprefix("refs/tags/")
        release = releases.get(tag)
        state = "none" if release is None else "draft" if release.draft else "published"
        assets = ", ".join(a.name for a in release.assets) if release is not None and release.assets else "no assets"
        notes = (release.body or "").strip().splitlines() if release is not None else []
        outcome.several_detail.append(
            f"{tag}: run {run_.conclusion}; GitHub release {state} ({assets}; notes: {notes[0] if notes else '-'})"
        )
    conclusions = sorted({r.conclusion or r.status for r in runs})
    return (
        f"{len(tags)} tags in one push ({', '.join(tags)}); {len(runs)} runs {'/'.join(conclusions)}; "
        f"{len(published)} GitHub releases published"
    )


def _what_init_wrote(repo: Path) -> str:
    """The tag format and changelog of the releasekit.yaml `init` wrote; in a monorepo, how many packages it
    declared, with the first few and their tag formats."""
    from releasekit.config.loader import load

    config = load(repo / "releasekit.yaml").config
    if config.packages:
        named = ", ".join(f"{name}: {config.packages[name].tag_format}" for name in config.package_names()[:3])
        return f"{len(config.packages)} packages ({named}, ...)"
    return f"tags {config.project.tag_format}; changelog {config.versioning.changelog or 'none'}"


def _package_to_release(repo: Path, latest_tag: str | None) -> list[str]:
    """In a monorepo, the package to rehearse a release of (as `[NAME]`): the one the latest tag names, else the
    first; nothing for a single-package config."""
    from releasekit.config.loader import load
    from releasekit.version import version_from_tag

    config = load(repo / "releasekit.yaml").config
    names = config.package_names()
    tagged = [n for n in names if latest_tag and version_from_tag(latest_tag, config.packages[n].tag_format, "semver")]
    return (tagged or names)[:1]


def _auto_plan(output: str) -> str:
    """`release auto --dry-run`'s first line and the packages it plans (`fs-js 2.0.2`)."""
    lines = output.splitlines()
    planned = [m.group(1) for m in (re.match(r"^  (\S+ \d\S*) \(latest release", line) for line in lines) if m]
    head = lines[0].removeprefix("releasekit release auto: ") if lines else "no output"
    return f"{head}: {', '.join(planned)}" if planned else head


def _last_error(output: str) -> str:
    """The line that says why a command stopped: a failed preflight check, else the command's error line."""
    lines = output.strip().splitlines()
    failed = [line.strip() for line in lines if line.lstrip().startswith("FAIL ")]
    # A multi-line error starts on the line after `releasekit init: error:` (the monorepo refusal).
    errors = [
        f"{line.strip()} {lines[i + 1].strip()}" if line.rstrip().endswith("error:") and i + 1 < len(lines) else line
        for i, line in enumerate(lines)
        if ": error:" in line or line.startswith("error")
    ]
    return (failed or [e.strip() for e in errors] or lines[-1:] or ["no output"])[0][:200]


def table(outcomes: list[Outcome]) -> str:
    rows = [
        "| entry | init wrote | plan (latest -> next) | tag | files it edits | changelog | init ms | dry run ms "
        "| rehearsal | release auto (monorepo) |",
        "| --- | --- | --- | --- | --- | --- | ---: | ---: | --- | --- |",
    ]
    for o in outcomes:
        rows.append(
            f"| {o.entry} | {o.init} | {o.plan or '-'} | {o.tag or '-'} | {', '.join(o.files) or '-'} | "
            f"{o.changelog or '-'} | {o.init_ms:.0f} | {o.dry_ms:.0f} | {o.rehearsal or '-'} | {o.several or '-'} |"
        )
    failures = [f"- {o.entry}: {o.failed}" for o in outcomes if o.failed]
    filled = [f"- {o.entry}: {', '.join(o.filled)}" for o in outcomes if o.filled]
    if filled:
        rows += ["", "Stand-ins written for files the corpus leaves out (the build or towncrier reads them):", *filled]
    auto = [f"- {o.entry}: {o.auto_ms:.0f} ms; {o.auto}" for o in outcomes if o.auto]
    if auto:
        rows += ["", "`release auto --dry-run` in a monorepo (commits and change files):", *auto]
    several = [f"- {o.entry}: {line}" for o in outcomes for line in o.several_detail]
    if several:
        rows += ["", "`release auto` in a monorepo, two packages in one push (each tag's run and release):", *several]
    return "\n".join(rows + (["", "Stopped:", *failures] if failures else []))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="the corpus (default ../shared/corpus)")
    parser.add_argument("--only", action="append", default=[], metavar="NAME", help="run only this entry (repeatable)")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="work in DIR and keep it (logs: DIR/ENTRY/log.txt)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when an entry does not reach a published release")
    args = parser.parse_args()
    corpus = args.corpus.resolve()
    materialize = corpus / "materialize.py"
    if not materialize.is_file():
        print(f"corpus: skipped: no corpus at {corpus} (it lives beside the project, in ../shared/corpus)")
        return 0
    entries = sorted(p for p in corpus.iterdir() if (p / "entry.json").is_file())
    if args.only:
        entries = [p for p in entries if p.name in args.only or any(n in p.name for n in args.only)]
    base = args.keep.resolve() if args.keep else Path(tempfile.mkdtemp(prefix="releasekit-corpus-"))
    outcomes = []
    try:
        for entry in entries:
            work = base / entry.name
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
            print(f"corpus: {entry.name} ...", flush=True)
            try:
                outcome = rehearse(entry, work, materialize)
            except Exception as exc:  # one entry's surprise is a row of the table, not the end of the run
                outcome = Outcome(entry.name, failed=f"{type(exc).__name__}: {exc}"[:200])
            outcomes.append(outcome)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    print()
    print(table(outcomes))
    if args.keep:
        print(f"\nLogs: {base}/ENTRY/log.txt")
    unpublished = [o for o in outcomes if not o.rehearsal.startswith("published")]
    return 1 if args.strict and unpublished else 0


if __name__ == "__main__":
    raise SystemExit(main())
