"""The sandbox's handlers under hostile input: every bad body ends in a GitHub-shaped 4xx, nothing is stored, and
the server keeps answering; and where the sandbox departed from GitHub (unknown users, artifacts, commit files,
`notification_email`), it answers as GitHub does. Everything goes over real HTTP to one sandbox (http.client, no
PyGithub), whose every answer to a documented operation is checked against GitHub's OpenAPI description."""

from __future__ import annotations

import http.client
import io
import json
import string
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from conftest import SharedSandboxes, git, isolate_git
from guarantees import count
from hypothesis import given, settings
from hypothesis import strategies as st

from releasekit.sandbox.api.releases import safe_asset_name, tag_problem
from releasekit.sandbox.app import Sandbox
from releasekit.sandbox.clock import LATEST, iso
from releasekit.sandbox.gitstore import ref_name_ok
from releasekit.sandbox.limits import fault_problem

REPO = "/repos/acme/demo"
MANUAL = """\
name: Manual
on:
  workflow_dispatch:
    inputs:
      version:
        type: string
        required: true
jobs:
  build:
    runs-on: ubuntu-24.04
    steps:
      - run: echo build
"""
# Settings for every property test here: no example database (no .hypothesis/ written), no deadline (the machine
# is shared), and a fixed sequence of examples, so the counts the tests assert are the counts they ran.
PROPERTY = settings(database=None, deadline=None, derandomize=True)


@dataclass
class Scene:
    hub: Sandbox
    shared: SharedSandboxes
    root: Path
    conn: http.client.HTTPConnection = field(init=False)
    sent: int = 0  # requests made by the tests of this module (the hostile ones and their checks)
    refused: int = 0  # of them, answered 4xx: the hostile requests (the generated ones are counted as such)

    def __post_init__(self) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", self.hub.port, timeout=10)

    def call(self, method: str, path: str, body: object = None, *, raw: bytes | None = None) -> tuple[int, Any]:
        """One request on the kept-alive connection; a dropped connection fails the test, naming the request."""
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        headers = {"Authorization": f"token {self.hub.token}", "Content-Type": "application/json"}
        self.sent += 1
        try:
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()
            pytest.fail(f"{method} {path[:80]} {data[:200] if data else b''!r}: no answer ({exc!r})")
        location = response.getheader("Location")
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
        self.refused += 400 <= response.status < 500
        if response.status == 302:
            return 302, location
        kind = response.getheader("Content-Type") or ""
        return response.status, json.loads(payload) if payload and kind.startswith("application/json") else payload


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    shared = SharedSandboxes(tmp_path_factory)
    with pytest.MonkeyPatch.context() as patch:
        isolate_git(tmp_path_factory, patch)
        try:
            root = tmp_path_factory.mktemp("hostile") / "demo"
            root.mkdir()
            git(root, "init", "-q", "-b", "main")
            (root / ".github" / "workflows").mkdir(parents=True)
            (root / ".github" / "workflows" / "manual.yml").write_text(MANUAL, encoding="utf-8")
            (root / "README.md").write_text("demo\n", encoding="utf-8")
            (root / "old.txt").write_text("1\n2\n3\n", encoding="utf-8")
            (root / "gone.txt").write_text("a\nb\n", encoding="utf-8")
            (root / "logo.bin").write_bytes(b"\0\1\2")
            git(root, "add", "-A")
            git(root, "commit", "-q", "-m", "first")
            # The second commit changes files every way GitHub lists: modified, added, renamed, removed, binary.
            (root / "README.md").write_text("demo\nmore\n", encoding="utf-8")
            (root / "new file.txt").write_text("x\n", encoding="utf-8")
            git(root, "mv", "old.txt", "renamed.txt")
            git(root, "rm", "-q", "gone.txt")
            (root / "logo.bin").write_bytes(b"\0\1\3")
            git(root, "add", "-A")
            git(root, "commit", "-q", "-m", "second")
            git(root, "tag", "v1.0.0")
            hub = shared.sandbox()
            hub.create_repo("acme/demo", seed=root)
            made = Scene(hub, shared, root)
            yield made
            made.conn.close()
        finally:
            shared.close()


@pytest.fixture(autouse=True)
def answers_keep_coming(scene: Scene) -> Iterator[None]:
    """After each test: the server still answers, and every answer it gave fits GitHub's description."""
    refused = scene.refused
    yield
    assert scene.call("GET", "/_sandbox/health")[0] == 200
    scene.shared.check()
    count("hostile requests", scene.refused - refused)


def head(scene: Scene) -> str:
    return git(scene.root, "rev-parse", "HEAD")


# -- the control API: clear 422s naming the field and the range -------------------------------------------------

CONTROL_CASES = [
    ("/_sandbox/clock", {"advance": 1e308}, "advance", "from 0 to 315,360,000"),
    ("/_sandbox/clock", {"advance": -5}, "advance", "from 0 to 315,360,000"),
    ("/_sandbox/clock", {"advance": "1h"}, "advance", "must be a number"),
    ("/_sandbox/clock", {"speed": 0}, "speed", "above 0"),
    ("/_sandbox/clock", {"speed": True}, "speed", "must be a number"),
    ("/_sandbox/clock", {"rewind": 5}, "rewind", "known: speed, advance"),
    ("/_sandbox/faults", {"status": "x"}, "status", "from 400 to 599"),
    ("/_sandbox/faults", {"status": 200}, "status", "from 400 to 599"),
    ("/_sandbox/faults", {"action": "hang", "seconds": 1e12}, "seconds", "from 0 to 3600"),
    ("/_sandbox/faults", {"count": 0}, "count", "from 1 to 1,000,000"),
    ("/_sandbox/faults", {"method": ["GET"]}, "method", "must be a string"),
    ("/_sandbox/faults", {"method": "TRACE"}, "method", "fault method must be one of"),
    ("/_sandbox/faults", {"headers": {"x-a": "b\r\nSet-Cookie: c"}}, "headers", "without line breaks"),
    ("/_sandbox/faults", {"action": "explode"}, "action", "status, hang, drop or drop-after"),
    ("/_sandbox/rate_limit", {"status": 500}, "status", "one of 403, 429"),
    ("/_sandbox/rate_limit", {"limit": "x"}, "limit", "from 0 to 1,000,000,000"),
    ("/_sandbox/rate_limit", {"remaining": 1.5}, "remaining", "must be an integer"),
    ("/_sandbox/script", {"seconds": "x"}, "seconds", "from 0 to 432,000"),
    ("/_sandbox/script", {"attempt": 0}, "attempt", "from 1 to 1,000"),
    ("/_sandbox/script", {"artifacts": "dist"}, "artifacts", "must be a list"),
    ("/_sandbox/script", {"artifacts": ["a/b"]}, "artifacts", "must be a list"),
    ("/_sandbox/script", {"rules": [{}, "x"]}, "rules", "list of at most 1000 objects"),
    ("/_sandbox/repos", {"full_name": "acme/x", "default_branch": "a..b"}, "default_branch", "not a branch name"),
]


def test_control_inputs_out_of_range_are_422s_that_name_the_field_and_the_range(scene: Scene) -> None:
    hub = scene.hub
    before = (len(hub.faults.items), len(hub.engine.rules), hub.limits.core("user"), hub.clock.speed)
    for path, body, name, words in CONTROL_CASES:
        status, answer = scene.call("POST", path, body)
        assert status == 422, (path, body, answer)
        assert answer["errors"][0]["field"] == name, (path, body, answer)
        assert words in answer["message"], (path, body, answer["message"])
    after = (len(hub.faults.items), len(hub.engine.rules), hub.limits.core("user"), hub.clock.speed)
    assert after[:2] == before[:2] and after[3] == before[3]  # nothing added, nothing changed
    assert after[2]["limit"] == before[2]["limit"]
    assert hub.clock.now() < LATEST and iso(hub.clock.now())
    # The advance that used to stop the server (OverflowError in every later timestamp) is refused; a good one works.
    earlier = hub.clock.now()
    status, moved = scene.call("POST", "/_sandbox/clock", {"advance": 60})
    assert status == 200 and moved["now"] >= earlier + 60


def test_the_clock_stops_short_of_dates_python_cannot_print() -> None:
    from releasekit.sandbox.clock import MAX_ADVANCE, Clock

    clock = Clock()
    with pytest.raises(ValueError, match="past the year 9000"):  # ten years at a time: about 700 jumps
        for _ in range(1000):
            clock.advance(MAX_ADVANCE)
    assert iso(clock.now()).startswith("89")  # still a date, and every later timestamp too
    with pytest.raises(ValueError, match="clock speed must be a number above 0"):
        clock.set_speed(float("nan"))


def test_the_python_api_refuses_the_same_faults() -> None:
    from releasekit.sandbox.limits import Fault, FieldError

    with pytest.raises(FieldError, match="fault seconds must be a number from 0 to 3600"):
        Fault("GET", "/x", action="hang", seconds=1e12)
    assert fault_problem(Fault("GET", "/x", status=503, headers={"retry-after": "2"})) is None


# -- releases and refs: names git refuses, types GitHub refuses -----------------------------------------------

BAD_TAGS = [
    "v1\r\nX-Injected: 1",
    "v1..2",
    "v1\0",
    "-v1",
    "v1 2",
    "v1.lock",
    "v1@{u}",
    "v1~1",
    "v1.",
    "a//b",
    "t" * 246,
]


def test_release_tags_git_refuses_are_422_and_nothing_is_stored(scene: Scene) -> None:
    hub = scene.hub
    refs_before = hub.git(hub.state.repo("acme", "demo")).refs()  # type: ignore[arg-type]
    status, draft = scene.call("POST", f"{REPO}/releases", {"tag_name": "v9.9.9", "draft": True})
    assert status == 201
    status, answer = scene.call("POST", f"{REPO}/releases", {"tag_name": "t" * 5_000_000})
    assert (status, answer["errors"][0]["message"]) == (422, "tag_name is too long (maximum is 245 bytes)")
    for tag in BAD_TAGS:
        for draft_flag in (False, True):
            status, answer = scene.call("POST", f"{REPO}/releases", {"tag_name": tag, "draft": draft_flag})
            assert status == 422, (tag[:40], answer)
            assert answer["message"] == "Validation Failed"
            assert answer["errors"][0]["field"] == "tag_name"
        # Publishing a draft under that tag: refused, and the draft is left as it was.
        status, answer = scene.call("PATCH", f"{REPO}/releases/{draft['id']}", {"tag_name": tag, "draft": False})
        assert status == 422, (tag[:40], answer)
    assert answer["errors"][0]["message"] == "tag_name is too long (maximum is 245 bytes)"
    status, kept = scene.call("GET", f"{REPO}/releases/{draft['id']}")
    assert (kept["tag_name"], kept["draft"]) == ("v9.9.9", True)
    assert hub.git(hub.state.repo("acme", "demo")).refs() == refs_before  # type: ignore[arg-type]
    assert all(tag_problem(r.tag_name) is None for r in hub.state.releases.values())


def test_types_are_strict_as_github_validates_them(scene: Scene) -> None:
    status, answer = scene.call("POST", f"{REPO}/releases", {"tag_name": "v8.0.0", "draft": "yes"})
    assert (status, answer["message"]) == (422, "Invalid request.\n\nFor 'properties/draft', \"yes\" is not a boolean.")
    cases = [
        ("POST", f"{REPO}/releases", {"tag_name": "v8.0.0", "prerelease": 1}, "prerelease", "boolean"),
        ("POST", f"{REPO}/releases", {"tag_name": "v8.0.0", "draft": None}, "draft", "boolean"),
        ("POST", f"{REPO}/releases", {"tag_name": "v8.0.0", "name": ["x"]}, "name", "string"),
        ("POST", f"{REPO}/releases", {"tag_name": "v8.0.0", "target_commitish": 7}, "target_commitish", "string"),
        (
            "POST",
            f"{REPO}/git/tags",
            {"tag": "t", "message": "m", "object": "a" * 40, "tagger": "me"},
            "tagger",
            "object",
        ),
        ("PATCH", f"{REPO}/git/refs/heads/main", {"sha": "a" * 40, "force": "true"}, "force", "boolean"),
        ("POST", f"{REPO}/statuses/{head(scene)}", {"state": "success", "context": {}}, "context", "string"),
        (
            "POST",
            f"{REPO}/actions/workflows/manual.yml/dispatches",
            {"ref": "main", "inputs": {"version": "1"}, "return_run_details": "yes"},
            "return_run_details",
            "boolean",
        ),
    ]
    for method, path, body, name, kind in cases:
        status, answer = scene.call(method, path, body)
        assert status == 422, (path, body, answer)
        assert answer["message"].startswith(f"Invalid request.\n\nFor 'properties/{name}', "), answer["message"]
        assert answer["message"].endswith(f" {kind}."), answer["message"]
    assert not any(r.tag_name == "v8.0.0" for r in scene.hub.state.releases.values())
    assert scene.hub.runs("acme/demo") == []  # the refused dispatch started nothing


def test_git_refs_with_nul_or_3000_characters_are_422(scene: Scene) -> None:
    sha = head(scene)
    for ref in ["refs/heads/a\0b", "refs/heads/" + "a" * 3000, "refs/tags/-x", "refs/heads/a\nb"]:
        status, answer = scene.call("POST", f"{REPO}/git/refs", {"ref": ref, "sha": sha})
        assert status == 422 and answer["message"].endswith(" is not a valid ref name."), (ref[:30], answer)
        assert len(answer["message"]) < 200 and "\n" not in answer["message"] and "\0" not in answer["message"]
    status, answer = scene.call("POST", f"{REPO}/git/tags", {"tag": "v\0", "message": "m", "object": sha})
    assert (status, answer["errors"][0]["field"]) == (422, "tag")
    for path in (f"{REPO}/contents/a%00b", f"{REPO}/commits/a%00b", f"{REPO}/commits/{'a' * 3000}"):
        assert 400 <= scene.call("GET", path)[0] < 500, path
    assert not [r for r in scene.hub.git(scene.hub.state.repo("acme", "demo")).refs() if "a" * 50 in r]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("..", "default"),
        ("🎉.pdf", "default.pdf"),  # softprops/action-gh-release#542: emoji names are stored as default.pdf
        (".config", "default.config"),  # softprops/action-gh-release#741
        ("a b.zip", "a.b.zip"),
        ("pkg-1.0+cpu.tar.gz", "pkg-1.0+cpu.tar.gz"),
    ],
)
def test_asset_names_are_renamed_as_github_does_never_to_nothing(raw: str, stored: str) -> None:
    assert safe_asset_name(raw) == stored


def test_an_asset_named_dot_dot_is_stored_as_default(scene: Scene) -> None:
    status, release = scene.call("POST", f"{REPO}/releases", {"tag_name": "v7.0.0", "draft": True})
    assert status == 201
    upload = f"/api/uploads{REPO}/releases/{release['id']}/assets?name={quote('..')}"
    status, asset = scene.call("POST", upload, raw=b"data")
    assert (status, asset["name"]) == (201, "default")
    status, renamed = scene.call("PATCH", f"{REPO}/releases/assets/{asset['id']}", {"name": "///"})
    assert (status, renamed["name"]) == (200, "default")
    status, answer = scene.call("PATCH", f"{REPO}/releases/assets/{asset['id']}", {"label": 5})
    assert status == 422 and "'properties/label'" in answer["message"]


# -- deviations from GitHub, fixed ----------------------------------------------------------------------------


def test_users_nobody_has_are_404_and_the_user_has_a_notification_email(scene: Scene) -> None:
    assert scene.call("GET", "/users/nobody-at-all")[0] == 404
    for login in ("acme", scene.hub.login, "github-actions[bot]"):
        status, user = scene.call("GET", f"/users/{quote(login)}")
        assert (status, user["login"]) == (200, login)
    status, me = scene.call("GET", "/user")
    assert (status, me["notification_email"]) == (200, f"{scene.hub.login}@users.noreply.sandbox")


def test_a_commit_lists_the_files_it_changed_with_stats_from_git(scene: Scene) -> None:
    sha = head(scene)
    status, commit = scene.call("GET", f"{REPO}/commits/{sha}")
    assert status == 200
    files = {f["filename"]: f for f in commit["files"]}
    assert {name: f["status"] for name, f in files.items()} == {
        "README.md": "modified",
        "gone.txt": "removed",
        "logo.bin": "modified",
        "new file.txt": "added",
        "renamed.txt": "renamed",
    }
    assert files["renamed.txt"]["previous_filename"] == "old.txt"
    assert files["README.md"]["patch"] == "@@ -1 +1,2 @@\n demo\n+more"
    assert "patch" not in files["logo.bin"]  # binary: GitHub sends no patch
    assert files["gone.txt"]["blob_url"].endswith(f"/blob/{commit['parents'][0]['sha']}/gone.txt")
    assert files["new file.txt"]["raw_url"].endswith(f"/raw/{sha}/new%20file.txt")
    numstat = git(scene.root, "show", "--numstat", "-M", "--format=", sha).splitlines()
    added = sum(int(line.split("\t")[0]) for line in numstat if not line.startswith("-"))
    deleted = sum(int(line.split("\t")[1]) for line in numstat if not line.startswith("-"))
    assert commit["stats"] == {"total": added + deleted, "additions": added, "deletions": deleted}
    assert (added, deleted) == (2, 2)
    for entry in commit["files"]:
        assert entry["changes"] == entry["additions"] + entry["deletions"]


def test_repository_artifacts_list_get_delete_and_download_a_zip(scene: Scene) -> None:
    hub = scene.hub
    assert scene.call("POST", "/_sandbox/script", {"workflow": "manual.yml", "artifacts": ["dist", "logs"]})[0] == 201
    try:
        dispatch = {"ref": "main", "inputs": {"version": "1.0"}, "return_run_details": True}
        status, started = scene.call("POST", f"{REPO}/actions/workflows/manual.yml/dispatches", dispatch)
        assert status == 200
        run_id = started["workflow_run_id"]

        def done() -> bool:
            hub.clock.advance(5)  # sandbox time, not real time: the run completes within a few ticks
            return hub.state.runs[run_id].status == "completed"

        hub.wait_for(done, timeout=10, what="the dispatched run")
    finally:
        hub.engine.rules.clear()
    status, listed = scene.call("GET", f"{REPO}/actions/artifacts?per_page=1")
    assert (status, listed["total_count"], len(listed["artifacts"])) == (200, 2, 1)
    status, named = scene.call("GET", f"{REPO}/actions/artifacts?name=dist")
    assert [a["name"] for a in named["artifacts"]] == ["dist"]
    artifact = named["artifacts"][0]
    assert artifact["workflow_run"]["id"] == run_id
    status, got = scene.call("GET", f"{REPO}/actions/artifacts/{artifact['id']}")
    assert (status, got["id"]) == (200, artifact["id"])
    status, location = scene.call("GET", f"{REPO}/actions/artifacts/{artifact['id']}/zip")
    assert status == 302
    target = urlsplit(location)
    anonymous = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=10)  # a signed URL needs no token
    anonymous.request("GET", f"{target.path}?{target.query}")
    response = anonymous.getresponse()
    data = response.read()
    anonymous.close()
    assert (response.status, response.getheader("Content-Type")) == (200, "application/zip")
    assert zipfile.ZipFile(io.BytesIO(data)).namelist() == []  # no content stored yet: an empty zip
    assert scene.call("GET", f"{target.path}?sig=forged")[0] == 404
    assert scene.call("GET", f"{REPO}/actions/artifacts/{artifact['id']}/tar")[0] == 404
    assert scene.call("DELETE", f"{REPO}/actions/artifacts/{artifact['id']}")[0] == 204
    assert scene.call("GET", f"{REPO}/actions/artifacts/{artifact['id']}")[0] == 404
    assert scene.call("GET", f"{REPO}/actions/artifacts/{quote('²')}")[0] == 404  # a digit to str.isdigit, no id
    assert scene.call("GET", f"{REPO}/actions/artifacts")[1]["total_count"] == 1


# -- properties: generated bodies for every JSON handler ------------------------------------------------------

# The characters generated text is made of: printable ASCII, the control characters that break protocols and git
# (NUL, CR, LF, TAB, ESC, DEL), and non-ASCII letters, an emoji, a BOM and a right-to-left override. A fixed
# alphabet rather than all of Unicode: hypothesis would otherwise compute its Unicode tables (over a second, in
# every process, since its cache is kept out of the project) for characters no handler treats differently.
ALPHABET = st.sampled_from(string.printable + "\0\x1b\x7f\u00e9\u0130\u202e\ufeff\U0001f389")
_INTERESTING_TEXT = st.sampled_from(
    ["", "v1.0.0", "main", "..", "-x", "a\r\nb", "a\0b", "refs/heads/x", "refs/tags/v2", "🎉", "x" * 300, "@{u}"]
)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    # NaN and the infinities too: Python's JSON parser takes them, so a client can send them.
    | st.sampled_from([1e308, -1e308, -1.0, 0.5, 0, 403, 429, 3600, 2**63, float("nan"), float("inf"), -float("inf")])
    | st.text(alphabet=ALPHABET, max_size=12)
    | _INTERESTING_TEXT
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(alphabet=ALPHABET, max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def _body(fields: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(fields), _JSON, max_size=len(fields))


@dataclass
class Target:
    method: str
    path: str  # `{release}`, `{asset}`, `{sha}` filled in at run time
    fields: list[str]
    examples: int


TARGETS = {
    "create release": Target(
        "POST",
        f"{REPO}/releases",
        [
            "tag_name",
            "target_commitish",
            "name",
            "body",
            "draft",
            "prerelease",
            "generate_release_notes",
            "make_latest",
        ],
        45,
    ),
    "update release": Target(
        "PATCH",
        f"{REPO}/releases/{{release}}",
        ["tag_name", "target_commitish", "name", "body", "draft", "prerelease"],
        30,
    ),
    "create ref": Target("POST", f"{REPO}/git/refs", ["ref", "sha"], 25),
    "update ref": Target("PATCH", f"{REPO}/git/refs/heads/fuzz", ["sha", "force"], 15),
    "create tag": Target("POST", f"{REPO}/git/tags", ["tag", "message", "object", "type", "tagger"], 20),
    "dispatch": Target(
        "POST", f"{REPO}/actions/workflows/manual.yml/dispatches", ["ref", "inputs", "return_run_details"], 20
    ),
    "update asset": Target("PATCH", f"{REPO}/releases/assets/{{asset}}", ["name", "label", "state"], 15),
    "status": Target("POST", f"{REPO}/statuses/{{sha}}", ["state", "context", "description", "target_url"], 15),
    "release notes": Target(
        "POST", f"{REPO}/releases/generate-notes", ["tag_name", "previous_tag_name", "target_commitish"], 15
    ),
    "clock": Target("POST", "/_sandbox/clock", ["speed", "advance"], 20),
    "faults": Target(
        "POST", "/_sandbox/faults", ["method", "path", "action", "status", "count", "seconds", "message", "headers"], 25
    ),
    "rate limit": Target("POST", "/_sandbox/rate_limit", ["status", "limit", "remaining"], 15),
    "script": Target(
        "POST",
        "/_sandbox/script",
        [
            "workflow",
            "job",
            "event",
            "attempt",
            "conclusion",
            "seconds",
            "command",
            "step",
            "artifacts",
            "times",
            "rules",
        ],
        20,
    ),
}
UPLOAD_NAMES = 20
BATCH = 5  # bodies per hypothesis example


def _restore(hub: Sandbox) -> None:
    """Undo what an accepted control request changed, without a request that an injected fault could catch."""
    hub.faults.clear()
    with hub.state.lock:
        hub.engine.rules.clear()
    hub.limits.status = 403
    hub.limits.set("user", limit=5000, remaining=5000)
    hub.clock.set_speed(1.0)


def test_generated_bodies_never_drop_the_connection_never_5xx_and_keep_the_state_whole(scene: Scene) -> None:
    hub = scene.hub
    sha = head(scene)
    git(scene.root, "push", "-q", hub.remote_url("acme/demo"), "HEAD:refs/heads/fuzz")
    status, release = scene.call("POST", f"{REPO}/releases", {"tag_name": "v6.0.0", "draft": True})
    assert status == 201
    status, asset = scene.call("POST", f"/api/uploads{REPO}/releases/{release['id']}/assets?name=a.txt", raw=b"a")
    assert status == 201
    fill = {"release": str(release["id"]), "asset": str(asset["id"]), "sha": sha}
    counts: dict[str, int] = {}
    statuses: dict[int, int] = {}

    def send(name: str, method: str, path: str, body: object = None, raw: bytes | None = None) -> None:
        status, answer = scene.call(method, path, body, raw=raw)
        scene.refused -= 400 <= status < 500  # counted as a generated input, not again as a hostile request
        count("inputs generated")
        counts[name] = counts.get(name, 0) + 1
        statuses[status] = statuses.get(status, 0) + 1
        assert status < 500, (name, body, answer)
        if status >= 400:
            assert isinstance(answer, dict) and isinstance(answer.get("message"), str), (name, body, answer)
        if path.startswith("/_sandbox/"):
            _restore(hub)

    def driver(name: str, target: Target) -> Any:
        # Bodies come in batches: hypothesis costs a few milliseconds per example, next to nothing per body drawn.
        @settings(PROPERTY, max_examples=target.examples // BATCH)
        @given(bodies=st.lists(_body(target.fields), min_size=BATCH, max_size=BATCH))
        def drive(bodies: list[dict[str, Any]]) -> None:
            for body in bodies:
                send(name, target.method, target.path.format(**fill), body)

        return drive

    for name, target in TARGETS.items():
        driver(name, target)()

    @settings(PROPERTY, max_examples=UPLOAD_NAMES // BATCH)
    @given(
        names=st.lists(
            st.text(alphabet=ALPHABET, min_size=1, max_size=40) | _INTERESTING_TEXT.filter(bool),
            min_size=BATCH,
            max_size=BATCH,
        )
    )
    def upload(names: list[str]) -> None:
        for name in names:
            path = f"/api/uploads{REPO}/releases/{release['id']}/assets?name={quote(name, safe='')}"
            send("upload name", "POST", path, raw=b"x")

    upload()
    # Every target ran exactly the examples it asked for (a fixed sequence), and none was answered 5xx or dropped.
    assert counts == {**{n: t.examples for n, t in TARGETS.items()}, "upload name": UPLOAD_NAMES}
    assert sum(counts.values()) == 300
    assert all(status < 500 for status in statuses)
    # The state is whole: every release has a tag git takes (published ones exist in git), no asset lacks a name.
    repo = hub.state.repo("acme", "demo")
    assert repo is not None
    refs = hub.git(repo).refs()
    for stored in hub.state.releases.values():
        assert tag_problem(stored.tag_name) is None, stored.tag_name
        assert stored.draft or f"refs/tags/{stored.tag_name}" in refs
        assert all(a.name and a.name == safe_asset_name(a.name) for a in stored.assets)
    assert all(ref_name_ok(ref) for ref in refs)
    assert hub.clock.now() < LATEST and iso(hub.clock.now())
    log = hub.requests()
    assert not [e for e in log if e["status"] == 0 or e["status"] >= 500]


# One shell per batch of names: `git check-ref-format` takes one name per run, and a Python subprocess per name costs
# more than the git it runs.
_CHECK_REFS = 'for ref in "$@"; do if git check-ref-format "$ref"; then echo 1; else echo 0; fi; done'
REF_NAMES = 60


@settings(PROPERTY, max_examples=REF_NAMES // 10)
@given(
    names=st.lists(
        st.text(alphabet=st.sampled_from("ab./-~^:?*[\\ @{}.lock\x7f\t"), max_size=12), min_size=10, max_size=10
    )
)
def test_ref_names_are_refused_exactly_where_git_refuses_them(names: list[str]) -> None:
    """ref_name_ok is git's rule (plus no component starting with '-'), checked against git itself."""
    refs = [f"refs/heads/{name}" for name in names]
    count("inputs generated", len(refs))
    out = subprocess.run(["sh", "-c", _CHECK_REFS, "sh", *refs], capture_output=True, text=True, check=True).stdout
    for ref, verdict in zip(refs, out.split(), strict=True):
        dashed = any(part.startswith("-") for part in ref.split("/"))
        assert ref_name_ok(ref) == (verdict == "1" and not dashed), ref
