"""The GitHub reference machinery can both pass and fail: these tests check the checker before it checks the sandbox."""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import github_reference
import pytest
from github_reference import (
    ContractRecorder,
    Exchange,
    OpenAPIContract,
    load_replay,
    reference_dir,
    replay_dir,
    replay_files,
    top_level_types,
)

# GitHub's own examples that break GitHub's own schemas, as (operationId, status, example) -> problems.
# They are listed rather than tolerated by a weaker validator, so a fixed upstream example shows up here.
KNOWN_EXAMPLE_FAILURES: dict[tuple[str, int, str], list[str]] = {
    # The example is a `null` placeholder; the schema is empty-object, and real GitHub sends `{}`.
    ("actions/cancel-workflow-run", 202, "default"): [
        "actions/cancel-workflow-run 202: $: None is not of type 'object'",
    ],
    ("actions/re-run-workflow-failed-jobs", 201, "default"): [
        "actions/re-run-workflow-failed-jobs 201: $: None is not of type 'object'",
    ],
    # full-repository and repository require `language` (nullable); the example omits it at both levels.
    ("repos/get", 200, "default-response"): [
        "repos/get 200: $.source: 'language' is a required property",
        "repos/get 200: $: 'language' is a required property",
    ],
    # job requires `created_at`; the example job predates the field.
    ("actions/list-jobs-for-workflow-run", 200, "default"): [
        "actions/list-jobs-for-workflow-run 200: $.jobs[0]: 'created_at' is a required property",
    ],
    # diff-entry requires `sha` and `contents_url`; the example file entry has neither.
    ("repos/get-commit", 200, "default"): [
        "repos/get-commit 200: $.files[0]: 'contents_url' is a required property",
        "repos/get-commit 200: $.files[0]: 'sha' is a required property",
    ],
}

# Recordings from before this year lack fields GitHub has added since (node_id, digest, display_title, ...).
RECENT_YEAR = 2023


@pytest.fixture(scope="module")
def contract() -> OpenAPIContract:
    return OpenAPIContract()


def example(contract: OpenAPIContract, operation_id: str, status: int = 200) -> Any:
    """A deep copy of GitHub's example for this response, safe to mutate."""
    for found in contract.examples():
        if (found.operation.operation_id, found.status) == (operation_id, status):
            return copy.deepcopy(found.value)
    raise AssertionError(f"no example for {operation_id} {status}")


# --- where the data comes from -------------------------------------------------------------------------------


def test_the_reference_data_ships_with_the_tests() -> None:
    """No environment variable and nothing outside the repository: a fresh clone (or the sdist) has it all,
    with the licenses of where it came from."""
    here = reference_dir()
    assert here == Path(__file__).resolve().parent / "github"
    assert (here / "pygithub-replay" / "index.json").is_file()
    for notice in ("README.md", "LICENSE.openapi", "pygithub-replay/COPYING", "pygithub-replay/COPYING.LESSER"):
        assert (here / notice).is_file(), notice
    # The README records the digest of the subset it describes; a refresh that forgets the note fails here.
    digest = hashlib.sha256((here / "openapi-subset.json").read_bytes()).hexdigest()
    assert digest in (here / "README.md").read_text(encoding="utf-8")


# --- the spec and its examples -------------------------------------------------------------------------------


def test_the_subset_has_the_41_documented_operations(contract: OpenAPIContract) -> None:
    operations = contract.operations
    assert len(operations) == 41
    assert len({op.operation_id for op in operations}) == 41
    upload = next(op for op in operations if op.operation_id == "repos/upload-release-asset")
    assert (upload.method, upload.host, upload.statuses) == ("POST", "uploads.github.com", (201, 422))
    assert {op.host for op in operations if op is not upload} == {"api.github.com"}


def test_refs_and_release_tags_are_the_multi_segment_parameters(contract: OpenAPIContract) -> None:
    multi = {(op.template, name) for op in contract.operations for name in op.multi_segment}
    assert multi == {
        ("/repos/{owner}/{repo}/git/ref/{ref}", "ref"),
        ("/repos/{owner}/{repo}/git/refs/{ref}", "ref"),
        ("/repos/{owner}/{repo}/git/matching-refs/{ref}", "ref"),
        ("/repos/{owner}/{repo}/commits/{ref}", "ref"),
        ("/repos/{owner}/{repo}/commits/{ref}/check-runs", "ref"),
        ("/repos/{owner}/{repo}/commits/{ref}/status", "ref"),
        ("/repos/{owner}/{repo}/releases/tags/{tag}", "tag"),
    }


def test_github_examples_fit_github_schemas_except_the_known_ones(contract: OpenAPIContract) -> None:
    examples = contract.examples()
    assert len(examples) == 38
    failures = {}
    for found in examples:
        problems = contract.validate_operation(found.operation, found.status, found.value)
        if problems:
            failures[found.operation.operation_id, found.status, found.name] = problems
    assert failures == KNOWN_EXAMPLE_FAILURES


def test_recent_real_recordings_fit_the_schemas(contract: OpenAPIContract) -> None:
    checked = 0
    problems = []
    for exchange in all_exchanges():
        op = contract.operation(exchange.method, exchange.path)
        recorded = parsedate_to_datetime(exchange.response_headers["date"])
        if op is None or not exchange.response_body or recorded.year < RECENT_YEAR:
            continue
        checked += 1
        body = json.loads(exchange.response_body)
        problems += contract.validate_operation(op, exchange.status, body)
    assert problems == []
    assert checked >= 20


def test_an_old_recording_misses_fields_github_added_since(contract: OpenAPIContract) -> None:
    (exchange,) = load_replay("Repository.testCreateGitRef.txt")  # May 2012: no node_id yet
    body = json.loads(exchange.response_body)
    assert contract.validate(exchange.method, exchange.path, exchange.status, body) == [
        "git/create-ref 201: $: 'node_id' is a required property",
    ]


# --- mutations are caught ------------------------------------------------------------------------------------

RELEASE = ("GET", "/repos/o/r/releases/1")


def test_the_release_example_is_valid(contract: OpenAPIContract) -> None:
    assert contract.validate(*RELEASE, 200, example(contract, "repos/get-release")) == []


def test_a_missing_required_field_is_caught(contract: OpenAPIContract) -> None:
    release = example(contract, "repos/get-release")
    del release["tag_name"]
    assert contract.validate(*RELEASE, 200, release) == [
        "repos/get-release 200: $: 'tag_name' is a required property",
    ]


def test_a_wrongly_typed_field_is_caught(contract: OpenAPIContract) -> None:
    release = example(contract, "repos/get-release")
    release["id"] = str(release["id"])
    assert contract.validate(*RELEASE, 200, release) == ["repos/get-release 200: $.id: '1' is not of type 'integer'"]


@pytest.mark.parametrize("field", ["body", "name", "published_at", "tarball_url"])
def test_nullable_fields_accept_null(contract: OpenAPIContract, field: str) -> None:
    release = example(contract, "repos/get-release")
    release[field] = None
    assert contract.validate(*RELEASE, 200, release) == []


@pytest.mark.parametrize("field", ["tag_name", "url", "upload_url", "node_id"])
def test_non_nullable_required_strings_refuse_null(contract: OpenAPIContract, field: str) -> None:
    release = example(contract, "repos/get-release")
    release[field] = None
    assert contract.validate(*RELEASE, 200, release) == [
        f"repos/get-release 200: $.{field}: None is not of type 'string'",
    ]


def test_referenced_schemas_are_checked_too(contract: OpenAPIContract) -> None:
    release = example(contract, "repos/get-release")
    release["assets"][0]["size"] = "big"  # release-asset, via $ref
    release["author"] = None  # simple-user, via $ref, not nullable here
    assert contract.validate(*RELEASE, 200, release) == [
        "repos/get-release 200: $.assets[0].size: 'big' is not of type 'integer'",
        "repos/get-release 200: $.author: None is not of type 'object'",
    ]


def test_a_nullable_enum_takes_null_but_not_other_values(contract: OpenAPIContract) -> None:
    runs = example(contract, "checks/list-for-ref")
    path = "/repos/o/r/commits/main/check-runs"
    runs["check_runs"][0]["conclusion"] = None
    assert contract.validate("GET", path, 200, runs) == []
    runs["check_runs"][0]["conclusion"] = "mostly-fine"
    (problem,) = contract.validate("GET", path, 200, runs)
    assert problem.startswith("checks/list-for-ref 200: $.check_runs[0].conclusion: 'mostly-fine' is not one of")


def test_a_nullable_one_of_takes_null_and_names_the_closest_error(contract: OpenAPIContract) -> None:
    commit = example(contract, "repos/get-commit")
    path = "/repos/o/r/commits/main"
    known = KNOWN_EXAMPLE_FAILURES["repos/get-commit", 200, "default"]
    commit["author"] = None
    commit["committer"] = {}  # the empty-object choice
    assert contract.validate("GET", path, 200, commit) == known
    commit["author"] = {"login": 1}
    assert contract.validate("GET", path, 200, commit) == [
        "repos/get-commit 200: $.author: matches no anyOf choice; closest: $.author.login: 1 is not of type 'string'",
        *known,
    ]


def test_long_messages_are_shortened(contract: OpenAPIContract) -> None:
    (problem,) = contract.validate(*RELEASE, 200, ["x" * 500])
    assert problem.startswith("repos/get-release 200: $: ['xxx")
    assert problem.endswith("…")
    assert len(problem) < 250


# --- statuses ------------------------------------------------------------------------------------------------

ERROR_BODY = {"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"}


def test_an_undocumented_status_is_a_problem(contract: OpenAPIContract) -> None:
    assert contract.validate("GET", "/repos/o/r", 418, {}) == ["status 418 is not documented for repos/get"]
    assert contract.validate("GET", "/repos/o/r/tags", 201, []) == ["status 201 is not documented for repos/list-tags"]


def test_not_modified_is_always_fine(contract: OpenAPIContract) -> None:
    assert contract.validate("GET", "/repos/o/r/tags", 304, None) == []


@pytest.mark.parametrize("status", [401, 403, 404, 409, 422, 429, 500, 502])
def test_generic_errors_use_github_error_shape(contract: OpenAPIContract, status: int) -> None:
    path = "/repos/o/r/actions/runs/1"  # documents only 200
    assert contract.validate("GET", path, status, ERROR_BODY) == []
    assert contract.validate("GET", path, status, {"message": "x"}) == []
    assert contract.validate("GET", path, status, {"error": "Not Found"}) == [
        f"actions/get-workflow-run {status}: $: 'message' is a required property",
    ]
    assert contract.validate("GET", path, status, {"message": "x", "errors": "bad"}) == [
        f"actions/get-workflow-run {status}: $.errors: 'bad' is not of type 'array'",
    ]


def test_documented_error_schemas_win_over_the_generic_one(contract: OpenAPIContract) -> None:
    # validation-error requires documentation_url; the generic shape does not.
    assert contract.validate("POST", "/repos/o/r/git/refs", 422, {"message": "Reference already exists"}) == [
        "git/create-ref 422: $: 'documentation_url' is a required property",
    ]
    # The upload documents 422 without a body; GitHub still sends its error shape.
    assert contract.validate("POST", "/repos/o/r/releases/1/assets", 422, ERROR_BODY) == []


def test_a_json_body_where_none_is_documented_is_a_problem(contract: OpenAPIContract) -> None:
    assert contract.validate("DELETE", "/repos/o/r/releases/1", 204, {}) == [
        "repos/delete-release 204: documented without a JSON body, but one was sent",
    ]


def test_an_unknown_operation_is_a_problem(contract: OpenAPIContract) -> None:
    assert contract.validate("GET", "/repos/o/r/statuses/abc", 200, {}) == [
        "no documented operation for GET /repos/o/r/statuses/abc",
    ]


# --- path matching -------------------------------------------------------------------------------------------

PATHS = [
    ("GET", "/rate_limit", "rate-limit/get"),
    ("GET", "/user", "users/get-authenticated"),
    ("GET", "/repos/o/r", "repos/get"),
    ("GET", "/repos/o/r/releases", "repos/list-releases"),
    ("POST", "/repos/o/r/releases", "repos/create-release"),
    ("GET", "/repos/o/r/releases/1", "repos/get-release"),
    ("PATCH", "/repos/o/r/releases/1", "repos/update-release"),
    ("DELETE", "/repos/o/r/releases/1", "repos/delete-release"),
    ("GET", "/repos/o/r/releases/latest", "repos/get-latest-release"),
    ("GET", "/repos/o/r/releases/tags/v1.0", "repos/get-release-by-tag"),
    ("GET", "/repos/o/r/releases/tags/release/2024/v1", "repos/get-release-by-tag"),
    ("GET", "/repos/o/r/releases/tags/assets", "repos/get-release-by-tag"),
    ("GET", "/repos/o/r/releases/tags/latest", "repos/get-release-by-tag"),
    ("POST", "/repos/o/r/releases/generate-notes", "repos/generate-release-notes"),
    ("GET", "/repos/o/r/releases/assets/1", "repos/get-release-asset"),
    ("DELETE", "/repos/o/r/releases/assets/1", "repos/delete-release-asset"),
    ("GET", "/repos/o/r/releases/1/assets", "repos/list-release-assets"),
    ("POST", "/repos/o/r/releases/1/assets", "repos/upload-release-asset"),
    ("POST", "/repos/o/r/releases/1/assets?name=a.zip&label=A", "repos/upload-release-asset"),
    ("POST", "/api/uploads/repos/o/r/releases/1/assets", "repos/upload-release-asset"),
    ("GET", "/api/v3/repos/o/r/releases/1", "repos/get-release"),
    ("DELETE", "/api/v3/repos/o/r/releases/assets/16", "repos/delete-release-asset"),
    ("GET", "/api/v3/user", "users/get-authenticated"),
    ("GET", "/repos/o/r/git/ref/heads/main", "git/get-ref"),
    ("GET", "/repos/o/r/git/ref/heads/feature/x", "git/get-ref"),
    ("GET", "/repos/o/r/git/ref/tags/v1.0", "git/get-ref"),
    ("POST", "/repos/o/r/git/refs", "git/create-ref"),
    ("PATCH", "/repos/o/r/git/refs/heads/main", "git/update-ref"),
    ("DELETE", "/repos/o/r/git/refs/tags/v1.0", "git/delete-ref"),
    ("GET", "/repos/o/r/git/matching-refs/tags", "git/list-matching-refs"),
    ("GET", "/repos/o/r/git/matching-refs/tags/v1", "git/list-matching-refs"),
    ("POST", "/repos/o/r/git/tags", "git/create-tag"),
    ("GET", "/repos/o/r/git/tags/abc123", "git/get-tag"),
    ("GET", "/repos/o/r/tags", "repos/list-tags"),
    ("GET", "/repos/o/r/commits/abc123", "repos/get-commit"),
    ("GET", "/repos/o/r/commits/heads/main", "repos/get-commit"),
    ("GET", "/repos/o/r/commits/abc123/status", "repos/get-combined-status-for-ref"),
    ("GET", "/repos/o/r/commits/heads/main/status", "repos/get-combined-status-for-ref"),
    ("GET", "/repos/o/r/commits/abc123/check-runs", "checks/list-for-ref"),
    ("GET", "/repos/o/r/commits/tags/v1.0/check-runs", "checks/list-for-ref"),
    ("GET", "/repos/o/r/actions/runs", "actions/list-workflow-runs-for-repo"),
    ("GET", "/repos/o/r/actions/runs/5", "actions/get-workflow-run"),
    ("GET", "/repos/o/r/actions/runs/5/jobs", "actions/list-jobs-for-workflow-run"),
    ("GET", "/repos/o/r/actions/runs/5/artifacts", "actions/list-workflow-run-artifacts"),
    ("POST", "/repos/o/r/actions/runs/5/cancel", "actions/cancel-workflow-run"),
    ("POST", "/repos/o/r/actions/runs/5/rerun-failed-jobs", "actions/re-run-workflow-failed-jobs"),
    ("GET", "/repos/o/r/actions/workflows", "actions/list-repo-workflows"),
    ("GET", "/repos/o/r/actions/workflows/release.yml", "actions/get-workflow"),
    ("GET", "/repos/o/r/actions/workflows/7/runs", "actions/list-workflow-runs"),
    ("POST", "/repos/o/r/actions/workflows/release.yml/dispatches", "actions/create-workflow-dispatch"),
    ("get", "/repos/o/r", "repos/get"),  # the method's case does not matter
    # No operation:
    ("GET", "/repos/o/r/statuses/abc123", None),
    ("POST", "/repos/o/r/statuses/abc123", None),
    ("GET", "/repos/o/r/releases/1/2", None),
    ("GET", "/repos/o/r/releases/tags", None),  # release_id is an integer
    ("GET", "/repos/o/r/releases/v1", None),
    ("GET", "/repos/o/r/actions/runs/latest", None),
    ("GET", "/repos/o/r/git/refs/heads/main", None),  # reads are singular `git/ref/`
    ("PATCH", "/repos/o/r/git/ref/heads/main", None),  # writes are plural `git/refs/`
    ("POST", "/repos/o/r/git/refs/heads/main", None),
    ("PUT", "/repos/o/r", None),
    ("GET", "/repositories/1/tags", None),
    ("GET", "/users/octocat", "users/get-by-username"),
    ("GET", "/repos/o/r/actions/artifacts/5/zip", "actions/download-artifact"),
    ("GET", "/api/uploads/repos/o/r", None),  # the uploads prefix serves only the upload
    ("GET", "/api/uploads/repos/o/r/releases/1/assets", None),
    ("GET", "/api/v3x/repos/o/r", None),
    ("GET", "/repos/o", None),
    ("GET", "/repos/o/r/", None),
]


@pytest.mark.parametrize(("method", "path", "expected"), PATHS)
def test_paths_map_to_operations(contract: OpenAPIContract, method: str, path: str, expected: str | None) -> None:
    op = contract.operation(method, path)
    assert (op.operation_id if op else None) == expected


# --- replay files --------------------------------------------------------------------------------------------


def all_exchanges() -> Iterator[Exchange]:
    for name in replay_files():
        yield from load_replay(name)


def index() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((replay_dir() / "index.json").read_text(encoding="utf-8"))
    return {entry["file"]: entry for entry in data["files"]}


def test_every_replay_file_is_indexed() -> None:
    assert len(replay_files()) == 40
    assert set(replay_files()) == set(index())


def test_replay_files_agree_with_the_index() -> None:
    for name, entry in index().items():
        exchanges = load_replay(name)
        assert len(exchanges) == len(entry["exchanges"]), name
        for number, (exchange, indexed) in enumerate(zip(exchanges, entry["exchanges"], strict=True)):
            where = f"{name} exchange {number}"
            port = "" if exchange.port is None else f":{exchange.port}"
            assert f"{exchange.scheme}://{exchange.host}{port}{exchange.path}" == indexed["url"], where
            assert (exchange.method, exchange.status) == (indexed["method"], indexed["status"]), where
            assert len(exchange.response_body) == indexed["response_body_chars"], where
            assert exchange.response_headers.get("date") == indexed["response_date"], where
            assert exchange.response_headers.get("etag") == indexed.get("etag"), where
            assert exchange.response_headers.get("x-ratelimit-remaining") == indexed["x-ratelimit-remaining"], where
            assert exchange.request_headers.get("If-None-Match") == indexed.get("request_if-none-match"), where
            # The index parses JSON request bodies and keeps any other line as recorded.
            body = indexed["request_body"]
            recorded = exchange.request_body
            assert (json.loads(recorded) if isinstance(body, dict) and recorded else recorded) == body, where


def test_replay_exchanges_have_the_recorded_shape() -> None:
    exchanges = list(all_exchanges())
    assert len(exchanges) == sum(len(entry["exchanges"]) for entry in index().values())
    for exchange in exchanges:
        assert exchange.scheme == "https"
        assert exchange.host in {"api.github.com", "uploads.github.com"}
        assert exchange.request_headers["Authorization"] == "token private_token_removed"
        assert all(key == key.lower() for key in exchange.response_headers)
        if exchange.response_body:
            json.loads(exchange.response_body)
        else:
            assert exchange.status in {204, 304}


def test_replay_quirks_are_kept_as_recorded() -> None:
    upload = next(e for e in load_replay("GitRelease.testUploadAsset.txt") if e.host == "uploads.github.com")
    assert upload.path.endswith("/assets?label=unit+test+artifact&name=archive.zip")
    assert upload.request_body == "<_io.BufferedReader name='archive.zip'>"
    (not_modified,) = load_replay("ConditionalRequestUpdate.testDidNotUpdate.txt")
    assert (not_modified.status, not_modified.response_body) == (304, "")
    (ghes,) = load_replay("ReleaseAsset.testDelete.txt")
    assert ghes.path.startswith("/api/v3/")
    tags = load_replay("Repository.testCreateGitReleaseWithAllArguments.txt")[1]
    assert tags.request_body == "null"  # PyGithub of 2017 sent a JSON null on GET


def test_a_truncated_replay_file_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    folder = tmp_path / "pygithub-replay"
    folder.mkdir(parents=True)
    (folder / "Broken.txt").write_text("https\nGET\napi.github.com\nNone\n/user\n", encoding="utf-8")
    monkeypatch.setattr(github_reference, "REFERENCE_DIR", tmp_path)
    with pytest.raises(ValueError, match=r"Broken\.txt:1: truncated exchange"):
        load_replay("Broken.txt")


# --- body shapes ---------------------------------------------------------------------------------------------


def test_top_level_types() -> None:
    body = {"id": 1, "ratio": 0.5, "name": "x", "draft": False, "body": None, "assets": [], "author": {}}
    expected = {
        "id": "integer",
        "ratio": "number",
        "name": "string",
        "draft": "boolean",
        "body": "null",
        "assets": "array",
        "author": "object",
    }
    assert top_level_types(body) == expected
    assert top_level_types([body, {"other": 1}]) == expected
    assert top_level_types([]) == {}
    assert top_level_types("text") == {}
    assert top_level_types([1, 2]) == {}


def test_top_level_types_of_a_real_release() -> None:
    release = next(e for e in load_replay("GitRelease.testGetRelease.txt"))
    types = top_level_types(json.loads(release.response_body))
    assert types["id"] == "integer"
    assert types["assets"] == "array"
    assert types["author"] == "object"
    assert types["prerelease"] == "boolean"


# --- the recorder --------------------------------------------------------------------------------------------


def send(
    recorder: ContractRecorder,
    method: str,
    path: str,
    status: int,
    body: object | bytes = b"",
    *,
    content_type: str = "application/json; charset=utf-8",
) -> None:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    recorder(method, path, status, raw, content_type)


def test_recorder_accepts_truthful_responses(contract: OpenAPIContract) -> None:
    recorder = ContractRecorder(contract)
    send(recorder, "GET", "/api/v3/repos/o/r/releases/1", 200, example(contract, "repos/get-release"))
    asset = example(contract, "repos/get-release-asset")
    send(recorder, "POST", "/api/uploads/repos/o/r/releases/1/assets", 201, asset)
    send(recorder, "DELETE", "/api/v3/repos/o/r/releases/1", 204)
    send(recorder, "GET", "/api/v3/repos/o/r/releases/assets/1", 302, content_type="")
    send(recorder, "GET", "/api/v3/repos/o/r", 304)
    send(recorder, "GET", "/api/v3/repos/o/r/releases/latest", 404, ERROR_BODY)
    send(
        recorder,
        "GET",
        "/api/v3/repos/o/r/releases/assets/1",
        200,
        b"PK\x03\x04",
        content_type="application/octet-stream",
    )
    recorder.assert_clean()
    assert recorder.checked == 7
    assert recorder.problems == []


def test_recorder_collects_what_departs_from_the_contract(contract: OpenAPIContract) -> None:
    recorder = ContractRecorder(contract)
    release = example(contract, "repos/get-release")
    del release["tag_name"]
    send(recorder, "GET", "/repos/o/r/releases/1", 200, release)
    send(recorder, "GET", "/repos/o/r/releases/1", 200, b"{not json")
    send(recorder, "GET", "/repos/o/r/releases/1", 200)  # a JSON body is documented
    send(recorder, "DELETE", "/repos/o/r/releases/1", 200)  # only 204 and 404 are
    send(recorder, "GET", "/repos/o/r/releases/1", 404)  # GitHub's errors always carry a message
    assert recorder.checked == 5
    problems = recorder.problems
    get = "GET /repos/o/r/releases/1 ->"
    assert problems[0] == f"{get} 200: repos/get-release 200: $: 'tag_name' is a required property"
    assert problems[1].startswith(f"{get} 200: repos/get-release 200: body is not valid JSON")
    assert problems[2:] == [
        f"{get} 200: repos/get-release 200: a JSON body is documented, but the body is empty",
        "DELETE /repos/o/r/releases/1 -> 200: status 200 is not documented for repos/delete-release",
        f"{get} 404: repos/get-release 404: a JSON body is documented, but the body is empty",
    ]
    with pytest.raises(AssertionError, match=r"5 response\(s\) depart") as raised:
        recorder.assert_clean()
    assert "'tag_name' is a required property" in str(raised.value)


def test_recorder_counts_paths_without_an_operation(contract: OpenAPIContract) -> None:
    recorder = ContractRecorder(contract)
    send(recorder, "GET", "/repositories/70329851/tags", 200, [])
    send(recorder, "GET", "/repositories/1/tags", 200, [])
    send(recorder, "GET", "/repos/o/r/git/commits/" + "a" * 40, 200, {})
    send(recorder, "GET", "/healthz", 200, b"ok", content_type="text/plain")
    assert recorder.checked == 0
    assert recorder.unchecked == [
        ("GET", "/healthz"),
        ("GET", "/repos/o/r/git/commits/{sha}"),
        ("GET", "/repositories/{id}/tags"),
    ]
    recorder.assert_clean()


def test_recorder_is_thread_safe(contract: OpenAPIContract) -> None:
    recorder = ContractRecorder(contract)
    good = json.dumps(example(contract, "repos/get-release")).encode()

    def serve() -> None:
        for _ in range(50):
            recorder("GET", "/repos/o/r/releases/1", 200, good, "application/json")
            recorder("GET", "/repos/o/r/releases/1", 418, b"", "")
            recorder("GET", "/elsewhere", 200, b"", "")

    threads = [threading.Thread(target=serve) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert recorder.checked == 800
    assert len(recorder.problems) == 400
    teapot = "GET /repos/o/r/releases/1 -> 418: status 418 is not documented for repos/get-release"
    assert set(recorder.problems) == {teapot}
    assert recorder.unchecked == [("GET", "/elsewhere")]
