"""The release gate: the performance evidence of the commit being released.

The evidence is the results artifact of the latest completed E2E run on the commit, or on its nearest ancestor,
that finished within the gate's maximum age. Choosing the run and reading the artifact are pure functions below;
`find_evidence` does the reading through the API (a page or two of runs, one artifact list, one download).
"""

from __future__ import annotations

import calendar
import io
import time
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from releasekit.output import count_text
from releasekit.sla.samples import MAX_RESULTS_BYTES, Results, ResultsError, parse
from releasekit.sla.verdict import Check, Target, check

if TYPE_CHECKING:
    from releasekit.backends.git import Git
    from releasekit.backends.github import GitHub

ARTIFACT = "sla-results"  # the name the generated e2e-tests workflow uploads its results under
MAX_ANCESTORS = 1000  # how far back in history a run can be and still count as this commit's evidence
MAX_RUNS = 300  # completed runs read, newest first, before giving up
_TRIED = 5  # candidate runs whose artifacts are looked at


@dataclass(frozen=True)
class Settings:
    workflow_file: str  # under .github/workflows/, e.g. e2e-tests.yml
    max_age_seconds: float = 7 * 86400
    artifact: str = ARTIFACT


@dataclass(frozen=True)
class RunRef:
    id: int
    head_sha: str
    conclusion: str
    finished: float  # seconds since the epoch
    url: str

    def describe(self, distance: int) -> str:
        where = "this commit" if distance == 0 else f"{count_text(distance, 'commit')} back"
        return f"run {self.id} of {self.head_sha[:12]} ({where}, {self.conclusion})"


@dataclass(frozen=True)
class Outcome:
    """The gate's answer: passed, or why not, with the run it judged (when there was one)."""

    ok: bool
    detail: str
    fix: str = ""
    check: Check | None = None
    run: RunRef | None = None


def parse_time(text: str) -> float:
    """GitHub's `2026-12-04T10:00:00Z` as seconds since the epoch."""
    return float(calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ")))


def run_ref(data: Mapping[str, Any]) -> RunRef:
    return RunRef(
        id=int(data["id"]),
        head_sha=str(data["head_sha"]),
        conclusion=str(data.get("conclusion") or data.get("status") or "unknown"),
        finished=parse_time(str(data.get("updated_at") or data.get("created_at"))),
        url=str(data.get("html_url") or ""),
    )


def candidates(
    runs: Iterable[RunRef], ancestry: Mapping[str, int], now: float, max_age: float
) -> list[tuple[int, RunRef]]:
    """Runs on the commit or an ancestor, finished within `max_age`: nearest commit first, then newest."""
    found = [(ancestry[r.head_sha], r) for r in runs if r.head_sha in ancestry and now - r.finished <= max_age]
    found.sort(key=lambda pair: (pair[0], -pair[1].finished, -pair[1].id))
    return found


def files_from_zip(data: bytes, where: str) -> list[tuple[str, str]]:
    """The results files in an artifact's zip, (name, text): every `.jsonl` and `.json` member, bounded in size."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ResultsError(f"{where}: not a zip archive") from None
    out: list[tuple[str, str]] = []
    with archive:
        members = sorted(
            (m for m in archive.infolist() if not m.is_dir() and m.filename.endswith((".jsonl", ".json"))),
            key=lambda m: m.filename,
        )
        total = 0
        for member in members:
            total += member.file_size
            if total > MAX_RESULTS_BYTES:
                raise ResultsError(f"{where}: over {MAX_RESULTS_BYTES} bytes of results")
            out.append((member.filename, archive.read(member).decode("utf-8", errors="replace")))
    return out


def results_from_zip(data: bytes, where: str) -> Results:
    """The samples in an artifact's zip."""
    out = Results()
    for name, text in files_from_zip(data, where):
        out = out + parse(text, f"{where}/{name}")
    return out


def run_files(gh: GitHub, run_id: int, artifact: str) -> list[tuple[str, str]] | None:
    """The results files of a run's results artifacts, named `<artifact>/<file>`; None when it has none."""
    listed = gh.get_all(
        f"/actions/runs/{run_id}/artifacts", what=f"reading run {run_id}'s artifacts", items="artifacts"
    )
    artifacts = evidence_artifacts(listed, artifact)
    if not artifacts:
        return None
    files: list[tuple[str, str]] = []
    for found in artifacts:
        where = f"run {run_id} artifact {found['name']}"
        data = gh.download(
            f"/actions/artifacts/{found['id']}/zip", what=f"downloading {where}", limit=MAX_RESULTS_BYTES
        )
        files += [(f"{found['name']}/{name}", text) for name, text in files_from_zip(data, where)]
    return files


def evidence_artifacts(listed: Iterable[Mapping[str, Any]], name: str) -> list[Mapping[str, Any]]:
    """The run's results artifacts: `name`, or `name-<machine>` from each leg of a matrix; the newest of each name,
    unexpired."""
    newest: dict[str, Mapping[str, Any]] = {}
    for artifact in listed:
        called = str(artifact.get("name") or "")
        if artifact.get("expired") or not (called == name or called.startswith(name + "-")):
            continue
        if called not in newest or int(artifact["id"]) > int(newest[called]["id"]):
            newest[called] = artifact
    return [newest[key] for key in sorted(newest)]


def judge(targets: Sequence[Target], results: Results, run: RunRef, distance: int) -> Outcome:
    verdict = check(targets, results)
    evidence = f"{run.describe(distance)} {run.url}".rstrip()
    if verdict.ok:
        met = len(verdict.rows)
        return Outcome(True, f"{count_text(met, 'target')} met by {evidence}", check=verdict, run=run)
    failed = [row.reason() for row in (*verdict.breaches, *verdict.unmeasured)]
    return Outcome(
        False,
        f"{'; '.join(failed)}; evidence: {evidence}",
        "make it fast enough and let the E2E workflow run again on the commit, or pass --skip-sla-check to release "
        "without the gate (it is printed in the summary)",
        check=verdict,
        run=run,
    )


def ancestry(git: Git, head: str) -> dict[str, int]:
    """The commit and its ancestors, each with how many commits back it is (first-parent distance)."""
    listed = git.out("rev-list", f"--max-count={MAX_ANCESTORS}", head).split()
    return {sha: index for index, sha in enumerate(listed)}


def completed_pages(gh: GitHub, settings: Settings) -> Iterator[list[Mapping[str, Any]]]:
    """The workflow's completed runs, newest first, a page at a time; at most MAX_RUNS of them are read."""
    path = f"/actions/workflows/{settings.workflow_file}/runs"
    what = f"reading the runs of {settings.workflow_file}"
    read = 0
    for page in gh.pages(path, {"status": "completed"}, what=what, items="workflow_runs"):
        if not page:
            return
        yield page
        read += len(page)
        if read >= MAX_RUNS:
            return


def find_evidence(
    gh: GitHub, git: Git, head: str, targets: Sequence[Target], settings: Settings, *, now: float
) -> Outcome:
    """Read the evidence through the API and judge it."""
    from releasekit.backends.github import GitHubError

    history = ancestry(git, head)
    runs: list[RunRef] = []
    try:
        for page in completed_pages(gh, settings):
            fresh = [run_ref(r) for r in page]
            runs += fresh
            if all(now - r.finished > settings.max_age_seconds for r in fresh):
                break
    except GitHubError as exc:
        return Outcome(False, str(exc), f"generate and push {settings.workflow_file}, or pass --skip-sla-check")
    found = candidates(runs, history, now, settings.max_age_seconds)
    age = _duration(settings.max_age_seconds)
    if not found:
        return Outcome(
            False,
            f"no performance evidence: no completed run of {settings.workflow_file} on {head[:12]} or an ancestor "
            f"in the last {age}",
            "run the E2E workflow on this commit (e.g. `releasekit runs` to see recent ones), or pass --skip-sla-check",
        )
    lacking = []
    for distance, run in found[:_TRIED]:
        try:
            files = run_files(gh, run.id, settings.artifact)
            if files is None:
                lacking.append(run.describe(distance))
                continue
            results = Results()
            for name, text in files:
                results = results + parse(text, f"run {run.id} artifact {name}")
        except ResultsError as exc:
            return Outcome(False, str(exc), "fix how the E2E tests write their results, or pass --skip-sla-check")
        return judge(targets, results, run, distance)
    return Outcome(
        False,
        f"no performance evidence: no `{settings.artifact}` artifact in " + "; ".join(lacking),
        f"have the E2E workflow upload its results as `{settings.artifact}` (the generated e2e-tests workflow does), "
        "or pass --skip-sla-check",
    )


def _duration(seconds: float) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return count_text(count, unit)
    return f"{seconds:g} seconds"


def fetch_history(
    gh: GitHub, settings: Settings, dest: Path, *, limit: int, leave_out: int | None = None
) -> list[tuple[int, int]]:
    """Write the results of the last `limit` completed runs that kept any into `dest/<run number>/`, oldest to
    newest by number (what `releasekit sla check --history` reads); `leave_out` is a run id to skip (the run doing
    the fetching). Returns (run number, files written) per run."""
    from releasekit.backends.github import GitHubError

    fetched: list[tuple[int, int]] = []
    try:
        for page in completed_pages(gh, settings):
            for data in page:
                if int(data["id"]) == leave_out:
                    continue
                files = run_files(gh, int(data["id"]), settings.artifact)
                if files is None:
                    continue
                number = int(data.get("run_number") or data["id"])
                folder = dest / str(number)
                folder.mkdir(parents=True, exist_ok=True)
                for index, (_, text) in enumerate(files):
                    (folder / f"results-{index}.jsonl").write_text(text, encoding="utf-8")
                fetched.append((number, len(files)))
                if len(fetched) >= limit:
                    return fetched
    except GitHubError as exc:
        raise ResultsError(f"{exc} (is {settings.workflow_file} pushed to GitHub?)") from None
    return fetched
