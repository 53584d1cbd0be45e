"""Real GitHub exchanges (PyGithub's recordings) replayed against the sandbox: the same request, the same answer.

Every recorded exchange becomes the equivalent request on one scenario hosted in a sandbox (the recorded
owner/repo, ids, SHAs and refs replaced by the scenario's stand-ins) and the answers are compared: the status,
and the top-level fields of the JSON body with their JSON types (the rule is spelled out above `compare`).
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests
from conftest import git
from github_reference import (
    ContractRecorder,
    Exchange,
    OpenAPIContract,
    load_replay,
    reference_dir,
    replay_files,
    top_level_types,
)

from releasekit.sandbox.app import Sandbox
from releasekit.sandbox.pytest_plugin import FAST

OWNER, NAME = "sandbox-user", "replay"  # the sandbox's own user owns the repository, as the recording users did

WORKFLOWS = {
    # Push only: stands in for PyGithub's `check.yml` (dispatching it is refused).
    "ci.yml": """\
name: CI
on:
  push:
    branches: [main]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pytest
""",
    "release.yml": """\
name: Release
run-name: Release ${{ github.ref_name }}
on:
  push:
    tags: ["v*"]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: python -m build
  publish:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - run: twine upload dist/*
""",
    # Stands in for `manual_dispatch.yml`: the inputs PyGithub's tests send.
    "dispatch.yml": """\
name: Manual dispatch
on:
  workflow_dispatch:
    inputs:
      logLevel:
        description: Log level
        required: true
        default: warning
      message:
        description: What to log
        required: false
jobs:
  log:
    runs-on: ubuntu-latest
    steps:
      - run: echo "${{ inputs.logLevel }} ${{ inputs.message }}"
""",
    # Stands in for `workflow-with-params.yaml`: a required input without a default.
    "params.yaml": """\
name: With parameters
on:
  workflow_dispatch:
    inputs:
      mandatory-parameter:
        required: true
      optional-parameter:
        required: false
jobs:
  echo:
    runs-on: ubuntu-latest
    steps:
      - run: echo "${{ inputs.mandatory-parameter }}"
""",
}
OLD_TAGS = 64  # lightweight tags, so the tag list has three pages of 30 as in the recordings that page through it


# --- translating a recorded request ---------------------------------------------------------------------------

# Recorded identifier -> its stand-in: a key of `Scene.values`, or a literal. Owner and repository segments are
# replaced separately; anything not listed (`main`, `tags`, `v1.0`, input values) is sent as recorded.
STAND_INS = {
    # runs: completed and successful (the recorded ones were push and pull_request runs; the sandbox has no
    # pull requests, so a push run stands in for both), failed, and still running
    "5138169628": "run:success",
    "3881497935": "run:success",
    "3911660493": "run:in-progress",
    # workflows, by id and by file name
    "1122712": "wf:ci",
    "1026390": "wf:ci",
    "2001229": "wf:ci",
    "check.yml": "ci.yml",
    "2001227": "wf:dispatch",
    "manual_dispatch.yml": "dispatch.yml",
    "96985305": "wf:params",
    "workflow-with-params.yaml": "params.yaml",
    # commits (each recorded SHA names a commit of the default branch) and the annotated tag object
    "10a7135a04f71e6101f8b013aded8a662d08fd1f": "sha:main",
    "74e70119a23fa3ffb3db19d4590eccfebd72b659": "sha:main",
    "813da528da46ef4cbb28d2018eaa6d4b3d56f40f": "sha:main",
    "4303c5b90e2216d927155e9609436ccb8984c495": "sha:main",
    "da9a285fd8b782461e56cba39ae8d2fa41ca7cdc": "sha:main",
    "0b820628236ab8bab3890860fc414fa757ca15f4": "sha:main",
    "f5f37322407b02a80de4526ad88d5f188977bc3c": "sha:tag-object",
    # GitRef.testExample moves a branch to a new child commit; here the child is pushed ahead of time
    "commit-with-multiple-files": "multi-files",
    "162ce9d0ed69b9e4950c92e1896ab3539a9cba1a": "sha:multi-files",
    "56e0c116bc2e43d75418457b4874d20a95c46ff0": "sha:multi-files-next",
    "cd35ead57f01b3170fd0e0a67e470b759454dc60": "sha:multi-files-next-tree",
    "master": "main",
    "workflow_dispatch_tag": "v1.0",
    # release A (v1.0, one asset) and release B (v1.1, two assets, the second one to delete)
    "28524234": "release:A",
    "22848494": "asset:A",
    "1210814": "release:B",
    "16": "asset:B-spare",
    "rickrickston123": OWNER,  # the recording user, asking about themself
    "2022-12-24": "date:runs",  # the `created=` filter: the day the scenario's runs were made
}
# Stand-ins for one file only: what a file changes is its own, so no file depends on another having run.
FILE_STAND_INS = {
    "WorkflowRun.test_rerun_failed_jobs.txt": {"3881497935": "run:failed"},
    "GitRelease.testDelete.txt": {"v1.25.2": "v1.25.2-delete"},
    "GitRelease.testUpdate.txt": {"v1.25.2": "v1.25.2-update"},
    "GitRelease.testUploadAsset.txt": {"v1.25.2": "v1.25.2-upload"},
}


def _not_an_admin(hub: Sandbox) -> None:
    # The recording user had no admin rights on PyGithub/PyGithub. The sandbox has one user, who owns every
    # repository, and no permission model that refuses a cancel: the refusal is injected, the only fault here.
    hub.fault("POST", "/repos/*/actions/runs/*/cancel", status=403, message="Must have admin rights to Repository.")


# Done just before an exchange, where the scenario cannot be in the recorded situation by itself.
BEFORE: dict[tuple[str, int], Callable[[Sandbox], object]] = {("WorkflowRun.test_cancel.txt", 1): _not_an_admin}
# Exchanges the sandbox cannot answer. Strict: the day the sandbox serves them, these tests say so.
_GIT_DATABASE = (
    "the sandbox serves no Git database trees or commits (git/trees, git/commits); the PATCH that follows "
    "(#6) moves the branch to a commit pushed ahead of time instead"
)
NOT_REPRODUCED = {("GitRef.testExample.txt", index): _GIT_DATABASE for index in (2, 3, 4, 5)}


# --- the scenario ---------------------------------------------------------------------------------------------


@dataclass
class Scene:
    hub: Sandbox
    values: dict[str, str] = field(default_factory=dict)
    session: requests.Session = field(default_factory=requests.Session)

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = path if path.startswith("http") else self.hub.api_url + path
        return self.session.request(method, url, timeout=10, allow_redirects=False, **kwargs)


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    """One sandbox for the module; every response it sends is checked against GitHub's description."""
    base = tmp_path_factory.mktemp("replay")
    recorder = ContractRecorder()
    with pytest.MonkeyPatch.context() as env:
        # What conftest's `isolated_git` does for each test, for the module's lifetime.
        config = base / "gitconfig"
        config.write_text("")
        env.setenv("GIT_CONFIG_GLOBAL", str(config))
        env.setenv("GIT_CONFIG_NOSYSTEM", "1")
        env.setenv("GIT_CEILING_DIRECTORIES", str(base))
        hub = Sandbox(
            base / "sandbox",
            observers=[recorder],
            job_seconds=FAST["job_seconds"],
            queue_seconds=FAST["queue_seconds"],
        ).start()
        scene = Scene(hub)
        try:
            _build(scene, _seed(base / "project"))
            yield scene
        finally:
            scene.session.close()
            hub.stop()
    recorder.assert_clean()


def _seed(root: Path) -> Path:
    """The local project: two commits on main, an annotated v1.0, many old lightweight tags, a branch pair."""
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    for name, text in WORKFLOWS.items():
        path = root / ".github" / "workflows" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "README.md").write_text("replay\n", encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Initial commit")
    first = git(root, "rev-parse", "HEAD")
    (root / "CHANGELOG.md").write_text("# 1.0\n", encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Add a changelog")
    git(root, "tag", "-a", "v1.0", "-m", "Release 1.0")
    stdin = "".join(f"create refs/tags/v0.{n}.0 {first}\n" for n in range(OLD_TAGS))
    subprocess.run(["git", "update-ref", "--stdin"], cwd=root, input=stdin, text=True, check=True)
    git(root, "branch", "multi-files")
    git(root, "checkout", "-q", "-b", "multi-files-next")
    (root / "path" / "to").mkdir(parents=True)
    (root / "path" / "to" / "file_one.txt").write_text("content of file one\n", encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Add multiple files in one commit")
    git(root, "checkout", "-q", "main")
    return root


def _build(scene: Scene, root: Path) -> None:
    """Host the project, then make what the recordings saw: runs in each state, a status, releases with assets."""
    hub, full = scene.hub, f"{OWNER}/{NAME}"
    api = f"/repos/{full}"
    hub.create_repo(full, seed=root, description="Replays of recorded GitHub exchanges")
    git(root, "remote", "add", "origin", hub.remote_url(full))
    scene.session.headers["Authorization"] = f"token {hub.token}"
    hub.script(workflow="ci.yml", conclusion="failure", times=2)  # CI fails, and fails again when re-run
    hub.script(workflow="release.yml", job="build", artifacts=["dist"])  # release builds upload `dist`
    hub.script(workflow="dispatch.yml", seconds=3600, times=1)  # the first dispatch keeps running
    (root / "src.txt").write_text("fixed\n", encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Fix the build")
    git(root, "tag", "v1.1")
    git(root, "push", "-q", "origin", "main", "v1.1")
    head = git(root, "rev-parse", "HEAD")
    dispatched = scene.call("POST", f"{api}/actions/workflows/dispatch.yml/dispatches", json={"ref": "main"})
    assert dispatched.status_code == 204, dispatched.text
    status = {"state": "success", "context": "ci/replay", "description": "all good"}
    assert scene.call("POST", f"{api}/statuses/{head}", json=status).status_code == 201

    def run(path: str, status: str, conclusion: str | None = None, attempt: int = 1) -> Callable[[], int | None]:
        def find() -> int | None:
            for candidate in hub.runs(full):
                state = (candidate.path.rsplit("/", 1)[-1], candidate.status, candidate.conclusion)
                if state == (path, status, conclusion) and candidate.run_attempt == attempt:
                    return candidate.id
            return None

        return find

    failed = hub.wait_for(run("ci.yml", "completed", "failure"), timeout=15, what="the failed CI run")
    assert scene.call("POST", f"{api}/actions/runs/{failed}/rerun-failed-jobs").status_code == 201
    runs = {
        # Re-run once and failed again, as the recorded failed run (whose previous_attempt_url is set).
        "run:failed": hub.wait_for(run("ci.yml", "completed", "failure", 2), timeout=15, what="the re-run"),
        "run:success": hub.wait_for(run("release.yml", "completed", "success"), timeout=15, what="the release"),
        "run:in-progress": hub.wait_for(run("dispatch.yml", "in_progress"), timeout=15, what="the dispatch"),
    }
    workflows = {
        w["path"].rsplit("/", 1)[-1]: w["id"] for w in scene.call("GET", f"{api}/actions/workflows").json()["workflows"]
    }
    release_a = _release(scene, api, "v1.0", ["replay-1.0.tar.gz"])
    release_b = _release(scene, api, "v1.1", ["replay-1.1.tar.gz", "replay-1.1.zip"])
    created = datetime.fromtimestamp(hub.state.runs[runs["run:success"]].created_at, timezone.utc)
    scene.values.update({key: str(run_id) for key, run_id in runs.items()})
    scene.values.update(
        {
            "wf:ci": str(workflows["ci.yml"]),
            "wf:dispatch": str(workflows["dispatch.yml"]),
            "wf:params": str(workflows["params.yaml"]),
            "sha:main": head,
            "sha:tag-object": git(root, "rev-parse", "refs/tags/v1.0"),
            "sha:multi-files": git(root, "rev-parse", "multi-files"),
            "sha:multi-files-next": git(root, "rev-parse", "multi-files-next"),
            "sha:multi-files-next-tree": git(root, "rev-parse", "multi-files-next^{tree}"),
            "release:A": str(release_a["id"]),
            "asset:A": str(release_a["asset_ids"][0]),
            "release:B": str(release_b["id"]),
            "asset:B-spare": str(release_b["asset_ids"][1]),
            "date:runs": f"{created:%Y-%m-%d}",
        }
    )


def _release(scene: Scene, api: str, tag: str, assets: list[str]) -> dict[str, Any]:
    answer = scene.call("POST", f"{api}/releases", json={"tag_name": tag, "name": tag, "body": f"Release {tag}"})
    assert answer.status_code == 201, answer.text
    release: dict[str, Any] = answer.json()
    upload = release["upload_url"].split("{?", 1)[0]
    release["asset_ids"] = []
    for name in assets:
        query = {"name": name, "label": f"{name} (sources)"}
        headers = {"Content-Type": "application/gzip"}
        sent = scene.call("POST", upload, params=query, data=b"\x1f\x8b" + name.encode(), headers=headers)
        assert sent.status_code == 201, sent.text
        release["asset_ids"].append(sent.json()["id"])
    return release


# --- replaying a recorded file --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    method: str
    url: str
    status: int
    body: object  # parsed JSON; None for an empty body


def _link(header: str | None, rel: str) -> str | None:
    for part in (header or "").split(","):
        found = re.match(r'\s*<([^>]+)>;\s*rel="([^"]+)"', part)
        if found and found.group(2) == rel:
            return found.group(1)
    return None


def _json(text: str) -> object:
    return json.loads(text) if text.strip() else None


class Replay:
    """One recorded file's exchanges, translated and sent in order; ids of created objects are learned on the way."""

    def __init__(self, scene: Scene, file: str) -> None:
        self.scene = scene
        self.file = file
        self.learned: dict[str, str] = {}  # recorded id -> the sandbox's id of the object made by the same request
        self.upload_urls: dict[str, str] = {}  # sandbox release id -> its upload_url
        self.previous: tuple[Exchange, requests.Response] | None = None

    def stand_in(self, value: str) -> str:
        key = self.learned.get(value) or FILE_STAND_INS.get(self.file, {}).get(value) or STAND_INS.get(value, value)
        return self.scene.values.get(key, key)

    def body(self, value: object) -> object:
        if isinstance(value, str):
            return self.stand_in(value)
        if isinstance(value, list):
            return [self.body(item) for item in value]
        if isinstance(value, dict):
            return {key: self.body(item) for key, item in value.items()}
        return value

    def url(self, exchange: Exchange) -> str:
        if self.previous is not None:
            before, answer = self.previous
            if _link(before.response_headers.get("link"), "next") == f"https://{exchange.host}{exchange.path}":
                # GitHub's `Link: rel="next"` (a /repositories/{id}/... URL): the sandbox's own `Link` is the
                # equivalent, as a client follows whatever the server sends.
                following = _link(answer.headers.get("Link"), "next")
                assert following, f"the sandbox sent no next page after {answer.url}"
                return following
        path, _, query = exchange.path.partition("?")
        segments = path.split("/")
        start = 3 if path.startswith("/api/v3/") else 1  # a GHES-style path: the sandbox serves the prefix too
        segments[start:] = [self.stand_in(segment) for segment in segments[start:]]
        if segments[start] == "repos":
            segments[start + 1 : start + 3] = [OWNER, NAME]
        pairs = urlencode([(key, self.stand_in(value)) for key, value in parse_qsl(query, keep_blank_values=True)])
        if exchange.host == "uploads.github.com":  # to the release's upload_url, as a client takes it
            return self.upload_urls[segments[start + 4]].split("{?", 1)[0] + f"?{pairs}"
        return self.scene.hub.api_url + "/".join(segments) + (f"?{pairs}" if pairs else "")

    def send(self, index: int, exchange: Exchange) -> Outcome:
        url = self.url(exchange)
        options: dict[str, Any] = {"headers": {}}
        if exchange.host == "uploads.github.com":
            options["headers"]["Content-Type"] = exchange.request_headers["Content-Type"]
            options["data"] = b"PK\x05\x06" + bytes(18)  # an empty zip archive; the recorded bytes were not kept
        elif exchange.request_body not in (None, "null"):
            options["json"] = self.body(json.loads(str(exchange.request_body)))
        if "If-None-Match" in exchange.request_headers:
            # The recorded ETag is the one the setUp's GET received; the sandbox's comes from the same GET.
            options["headers"]["If-None-Match"] = self.scene.call("GET", url).headers["ETag"]
        prepare = BEFORE.get((self.file, index))
        if prepare is not None:
            prepare(self.scene.hub)
        answer = self.scene.call(exchange.method, url, **options)
        body = answer.json() if answer.content else None
        recorded = _json(exchange.response_body)
        if isinstance(recorded, dict) and isinstance(body, dict) and "id" in recorded and "id" in body:
            self.learned[str(recorded["id"])] = str(body["id"])
        if isinstance(body, dict) and "upload_url" in body:
            self.upload_urls[str(body["id"])] = str(body["upload_url"])
        self.previous = (exchange, answer)
        return Outcome(exchange.method, url, answer.status_code, body)

    def run(self) -> list[Outcome]:
        return [self.send(index, exchange) for index, exchange in enumerate(load_replay(self.file))]


@pytest.fixture(scope="module")
def replayed(scene: Scene) -> Callable[[str], list[Outcome]]:
    """A file is replayed once, whole and in order, when the first of its exchanges is tested."""
    done: dict[str, list[Outcome]] = {}

    def get(file: str) -> list[Outcome]:
        if file not in done:
            done[file] = Replay(scene, file).run()
        return done[file]

    return get


# --- comparing ------------------------------------------------------------------------------------------------
#
# The rule, for the top-level fields of a JSON body (of an array body, its first element):
#
# * The status codes are equal; an error's message is GitHub's, word for word.
# * A field both send has the same JSON type. Null against a value is accepted only where GitHub's description
#   marks the field nullable: that is a state (a repository without a homepage), not a shape.
# * Recordings from 2023 on: the field sets are equal, except fields GitHub added after the recording
#   (`ADDED_AFTER`, each with the date of the newest recording that lacks it).
# * Older recordings predate fields GitHub added since: every recorded field must be sent, and every further
#   sandbox field must be a property of the operation's documented response schema.
# * Either era: a recorded field may be missing only where GitHub has stopped sending it (`DROPPED_AFTER`,
#   each with the date of the newest recording that has it).
# * A repository's fields depend on who owns it and who asks. The sandbox has no forks, no organizations and
#   one user who owns everything, so the fields that exist only in the recorded situation (`REPO_CONTEXTS`,
#   decided from the recorded body) are left out of that exchange's comparison, both ways.

NEW_FROM = datetime(2023, 1, 1, tzinfo=timezone.utc)
ADDED_AFTER = {  # (operationId, or "error" for every error body; field) -> newest recording without it
    ("error", "status"): "2024-05-06",  # Workflow.testCreateDispatchException; `basic-error` documents it now
    ("repos/get", "has_pull_requests"): "2025-01-07",  # Repository.setUp lacks it, GitRef.testExample (2026) has it
    ("repos/get", "pull_request_creation_policy"): "2025-01-07",  # likewise
}
DROPPED_AFTER = {  # (operationId, field) -> newest recording with it
    ("repos/get", "master_branch"): "2013-08-22",  # ConditionalRequestUpdate.setUp; none of the 17 later ones
    ("repos/get", "temp_clone_token"): "2025-01-07",  # "" in Repository.setUp; absent in GitRef.testExample (2026)
}
_MERGE_SETTINGS = {
    "allow_auto_merge",
    "allow_merge_commit",
    "allow_rebase_merge",
    "allow_squash_merge",
    "allow_update_branch",
    "delete_branch_on_merge",
    "merge_commit_message",
    "merge_commit_title",
    "squash_merge_commit_message",
    "squash_merge_commit_title",
    "use_squash_pr_title_as_default",
}
REPO_CONTEXTS: list[tuple[Callable[[dict[str, Any]], bool], frozenset[str]]] = [
    # A fork names its parent and its source.
    (lambda repo: repo.get("fork") is True, frozenset({"parent", "source"})),
    # An organization's repository names it and has custom properties; its admins see security_and_analysis.
    (
        lambda repo: repo["owner"]["type"] == "Organization",
        frozenset({"organization", "custom_properties", "security_and_analysis"}),
    ),
    # Asked by someone who is not a collaborator: no permissions, no merge settings, temp_clone_token null.
    (lambda repo: "permissions" not in repo, frozenset({*_MERGE_SETTINGS, "permissions", "temp_clone_token"})),
]
# Operations the OpenAPI subset does not describe, with the component schemas GitHub documents for them.
UNDESCRIBED = [
    ("GET", re.compile(r"/users/[^/]+"), ("public-user", "private-user")),  # users/get-by-username: oneOf
    ("GET", re.compile(r"/repos/[^/]+/[^/]+/commits"), ("commit",)),  # repos/list-commits: an array of
]
ERROR_SCHEMAS = ("basic-error", "validation-error")  # an error status the operation does not document


@cache
def _contract() -> OpenAPIContract:
    return OpenAPIContract()


@cache
def _spec() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads((reference_dir() / "openapi-subset.json").read_text("utf-8"))
    return spec


def _deref(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = _spec()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _nullable(node: dict[str, Any]) -> bool:
    target = _deref(node)
    if node.get("nullable") is True or target.get("nullable") is True:
        return True
    return any(_nullable(sub) for key in ("anyOf", "oneOf") for sub in target.get(key, []))


def _fields(node: dict[str, Any]) -> dict[str, bool]:
    """Property -> nullable, of an object schema (of an array schema, its items), through allOf/anyOf/oneOf."""
    node = _deref(node)
    if node.get("type") == "array":
        return _fields(node["items"])
    found = {name: _nullable(prop) for name, prop in node.get("properties", {}).items()}
    for sub in [*node.get("allOf", []), *node.get("anyOf", []), *node.get("oneOf", [])]:
        for name, nullable in _fields(sub).items():
            found[name] = found.get(name, False) or nullable
    return found


def _components(*names: str) -> dict[str, bool]:
    return _fields({"anyOf": [{"$ref": f"#/components/schemas/{name}"} for name in names]})


def documented(method: str, path: str, status: int) -> dict[str, bool]:
    """The documented top-level fields (name -> nullable) of this answer; {} when nothing documents it."""
    op = _contract().operation(method, path)
    if op is not None:
        entry = _spec()["paths"][op.template][op.method.lower()]["responses"].get(str(status))
        schema = _deref(entry).get("content", {}).get("application/json", {}).get("schema") if entry else None
        if schema is not None:
            return _fields(schema)
    if status >= 400:
        return _components(*ERROR_SCHEMAS)
    for verb, pattern, names in UNDESCRIBED:
        if verb == method and pattern.fullmatch(path):
            return _components(*names)
    return {}


def compare(exchange: Exchange, outcome: Outcome) -> list[str]:
    """How the sandbox's answer departs from GitHub's recorded one, by the rule above; [] when it does not."""
    problems = []
    if outcome.status != exchange.status:
        problems.append(f"status: GitHub {exchange.status}, sandbox {outcome.status}")
    body = _json(exchange.response_body)
    if exchange.status >= 400 and isinstance(body, dict) and isinstance(outcome.body, dict):
        if body.get("message") != outcome.body.get("message"):  # clients show it, and some match on it
            problems.append(f"message: GitHub {body.get('message')!r}, sandbox {outcome.body.get('message')!r}")
    return problems + _field_problems(exchange, body, outcome)


def _field_problems(exchange: Exchange, body: object, outcome: Outcome) -> list[str]:
    recorded, mine = top_level_types(body), top_level_types(outcome.body)
    path = urlsplit(outcome.url).path
    op = _contract().operation(exchange.method, path)
    scope = "error" if exchange.status >= 400 else (op.operation_id if op else path)
    schema = documented(exchange.method, path, exchange.status)
    date = parsedate_to_datetime(exchange.response_headers["date"])
    day = f"{date:%Y-%m-%d}"
    ignored: set[str] = set()
    if scope == "repos/get" and isinstance(body, dict):
        for applies, names in REPO_CONTEXTS:
            ignored |= names if applies(body) else set()
    problems = []
    for name in sorted((recorded.keys() | mine.keys()) - ignored):
        theirs, ours = recorded.get(name), mine.get(name)
        if theirs == ours:
            continue
        if theirs is not None and ours is not None:
            if "null" not in (theirs, ours) or not schema.get(name):
                problems.append(f"{name}: GitHub sends {theirs}, the sandbox {ours}")
        elif ours is None:
            if day > DROPPED_AFTER.get((scope, name), ""):
                problems.append(f"{name}: GitHub sends it ({theirs}), the sandbox does not")
        elif name not in schema:
            problems.append(f"{name}: the sandbox sends it ({ours}), GitHub documents no such field")
        elif date >= NEW_FROM and day > ADDED_AFTER.get((scope, name), ""):
            problems.append(f"{name}: the sandbox sends it ({ours}), GitHub did not on {day}")
    return problems


# --- the tests ------------------------------------------------------------------------------------------------


def _cases() -> list[Any]:
    cases = []
    for file in replay_files():
        for index in range(len(load_replay(file))):
            reason = NOT_REPRODUCED.get((file, index))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            cases.append(pytest.param(file, index, id=f"{file}#{index}", marks=marks))
    return cases


@pytest.mark.parametrize(("file", "index"), _cases())
def test_the_sandbox_answers_like_github(file: str, index: int, replayed: Callable[[str], list[Outcome]]) -> None:
    exchange = load_replay(file)[index]
    outcome = replayed(file)[index]
    problems = compare(exchange, outcome)
    date = exchange.response_headers["date"]
    assert not problems, f"{outcome.method} {outcome.url}, recorded {date}:\n  " + "\n  ".join(problems)


def _release_exchange(date: str, body: dict[str, object]) -> Exchange:
    return Exchange(
        file="x.txt",
        method="GET",
        host="api.github.com",
        path="/repos/o/r/releases/1",
        request_headers={},
        request_body=None,
        status=200,
        response_headers={"date": date},
        response_body=json.dumps(body),
    )


OLD, NEW = "Tue, 14 Jul 2020 17:14:50 GMT", "Tue, 14 Jul 2025 17:14:50 GMT"
RELEASE = {"id": 1, "tag_name": "v1", "body": "text"}


@pytest.mark.parametrize(
    ("date", "sandbox", "expected"),
    [
        (OLD, {**RELEASE, "immutable": False}, []),  # documented, added since the recording
        (
            NEW,
            {**RELEASE, "immutable": False},
            ["immutable: the sandbox sends it (boolean), GitHub did not on 2025-07-14"],
        ),
        (OLD, {**RELEASE, "colour": "red"}, ["colour: the sandbox sends it (string), GitHub documents no such field"]),
        (NEW, {**RELEASE, "body": None}, []),  # `body` is nullable: a release without notes
        (NEW, {**RELEASE, "tag_name": None}, ["tag_name: GitHub sends string, the sandbox null"]),
        (OLD, {"id": 1, "body": "text"}, ["tag_name: GitHub sends it (string), the sandbox does not"]),
    ],
    ids=[
        "old-extra-documented",
        "new-extra",
        "old-extra-undocumented",
        "null-nullable",
        "null-not-nullable",
        "missing",
    ],
)
def test_the_comparison_rule(date: str, sandbox: dict[str, object], expected: list[str]) -> None:
    """The rule itself: lenient only where it says so."""
    outcome = Outcome("GET", "http://127.0.0.1:1/repos/o/r/releases/1", 200, sandbox)
    assert compare(_release_exchange(date, RELEASE), outcome) == expected
