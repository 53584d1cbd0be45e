"""GitHub's REST contract and recorded exchanges, read at test time, so tests can check the sandbox tells the truth.

The reference data is the project's own copy in ``tests/github/`` (its README.md says where each file comes from,
under which license, and how to refresh it): ``openapi-subset.json`` (41 operations of GitHub's OpenAPI 3.0.3
description) and ``pygithub-replay/*.txt`` (real GitHub HTTP exchanges recorded by PyGithub's test suite).
"""

from __future__ import annotations

import ast
import functools
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft4Validator
from jsonschema.exceptions import best_match
from referencing import Registry
from referencing.jsonschema import DRAFT4

# The converted components are registered under this URI, and every `#/components/...` ref is rewritten to it,
# so each response schema can be compiled on its own and still resolve its refs.
_SPEC_URI = "urn:releasekit:github-openapi-subset"

# OpenAPI keywords that are not JSON Schema. Draft 4 would ignore most of them, but dropping them keeps the
# converted schemas small and makes sure no annotation (`example` holds whole objects) is mistaken for a rule.
_OPENAPI_ONLY = frozenset(
    {"nullable", "example", "examples", "discriminator", "readOnly", "writeOnly", "xml", "externalDocs", "deprecated"}
)
_SCHEMA_MAPS = frozenset({"properties", "patternProperties"})  # name -> schema
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf"})
_SCHEMA_SINGLE = frozenset({"items", "additionalProperties", "not"})

_GHES_API = "/api/v3"  # GitHub Enterprise Server serves the API under this prefix
_GHES_UPLOADS = "/api/uploads"  # ... and uploads under this one, on the same host
_UPLOADS_HOST = "uploads.github.com"

# GitHub answers these statuses on any endpoint with the same error body, whether or not the operation documents
# them (auth failures, missing resources, validation, rate limits, outages). The description lists only some per
# operation, so an undocumented one is checked against that common shape instead of being refused.
_GENERIC_ERRORS = frozenset({400, 401, 403, 404, 409, 422, 429})
_GITHUB_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["message"],
    "properties": {
        "message": {"type": "string"},
        "documentation_url": {"type": "string"},
        "status": {"type": "string"},
        "errors": {"type": "array"},
    },
}
_MAX_MESSAGE = 160
_NULL = {"type": "null"}


REFERENCE_DIR = Path(__file__).resolve().parent / "github"


def reference_dir() -> Path:
    """``tests/github/``: the OpenAPI subset and the PyGithub recordings, shipped with the tests (and the sdist)."""
    return REFERENCE_DIR


# --- OpenAPI 3.0 -> JSON Schema ------------------------------------------------------------------------------


def _to_json_schema(node: object) -> object:
    """Convert one OpenAPI 3.0 schema object (recursively) to draft 4 JSON Schema."""
    if not isinstance(node, dict):
        return node
    out: dict[str, object] = {}
    for key, value in node.items():
        if key in _OPENAPI_ONLY or key.startswith("x-"):
            continue
        if key == "$ref":
            out[key] = _SPEC_URI + value if str(value).startswith("#/") else value
        elif key in _SCHEMA_MAPS:
            out[key] = {name: _to_json_schema(sub) for name, sub in value.items()}
        elif key in _SCHEMA_LISTS:
            out[key] = [_to_json_schema(sub) for sub in value]
        elif key in _SCHEMA_SINGLE:
            out[key] = _to_json_schema(value)
        else:
            out[key] = value
    return _nullable(out) if node.get("nullable") is True else out


def _nullable(schema: dict[str, object]) -> dict[str, object]:
    kind = schema.get("type")
    if isinstance(kind, str):
        schema["type"] = [kind, "null"]
        enum = schema.get("enum")
        if isinstance(enum, list) and None not in enum:
            schema["enum"] = [*enum, None]
        return schema
    # A $ref (whose siblings draft 4 ignores), allOf/oneOf/anyOf or an untyped schema: null is one more choice.
    return {"anyOf": [schema, dict(_NULL)]}


# --- operations and path matching ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    """One documented operation: ``GET /repos/{owner}/{repo}`` is ``repos/get``."""

    operation_id: str
    method: str
    template: str
    statuses: tuple[int, ...]
    host: str = "api.github.com"
    multi_segment: tuple[str, ...] = ()  # path parameters that may contain slashes (`x-multi-segment`)


@dataclass(frozen=True)
class Example:
    """A response example GitHub's description gives for an operation and status."""

    operation: Operation
    status: int
    name: str
    value: object


@dataclass(frozen=True)
class _Route:
    operation: Operation
    pattern: re.Pattern[str]
    # Compared left to right: a literal segment (3) beats an integer parameter (2) beats a one-segment
    # parameter (1) beats a multi-segment one (0), so `/releases/latest` wins over `/releases/{release_id}`
    # and `.../commits/{ref}/status` over `.../commits/{ref}`.
    rank: tuple[int, ...]


def _route(operation: Operation, parameters: dict[str, dict[str, Any]]) -> _Route:
    parts: list[str] = []
    rank: list[int] = []
    for segment in operation.template.strip("/").split("/"):
        if not (segment.startswith("{") and segment.endswith("}")):
            parts.append(re.escape(segment))
            rank.append(3)
            continue
        name = segment[1:-1]
        parameter = parameters.get(name, {})
        if name in operation.multi_segment:
            # The description marks refs (`heads/main`, `tags/v1.0`) and release tag names this way.
            parts.append(".+")
            rank.append(0)
        elif parameter.get("schema", {}).get("type") == "integer":
            parts.append("[0-9]+")  # release_id, run_id, asset_id: `/releases/tags` is no release
            rank.append(2)
        else:
            parts.append("[^/]+")
            rank.append(1)
    return _Route(operation, re.compile("/" + "/".join(parts)), tuple(rank))


def _deref(raw: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow local `$ref`s (`#/components/...`) to the object they name."""
    while "$ref" in node:
        target: Any = raw
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


@dataclass
class _Spec:
    raw: dict[str, Any]
    routes: list[_Route]
    registry: Registry[Any]
    validators: dict[tuple[str, int], Any]


@functools.cache
def _load_spec(path: Path) -> _Spec:
    raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    routes = []
    for template, item in raw["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict) or "operationId" not in op:
                continue  # path-level `parameters`, `summary`, ...
            # The upload names its own server (uploads.github.com); every other operation uses the document's.
            host = urlsplit((op.get("servers") or raw["servers"])[0]["url"]).hostname or ""
            statuses = tuple(sorted(int(code) for code in op["responses"]))
            declared = [_deref(raw, p) for p in [*item.get("parameters", []), *op.get("parameters", [])]]
            parameters = {p["name"]: p for p in declared if p.get("in") == "path"}
            multi = tuple(name for name, p in parameters.items() if p.get("x-multi-segment") is True)
            operation = Operation(op["operationId"], method.upper(), template, statuses, host, multi)
            routes.append(_route(operation, parameters))
    root = {"components": {"schemas": {name: _to_json_schema(s) for name, s in raw["components"]["schemas"].items()}}}
    registry: Registry[Any] = Registry().with_resource(_SPEC_URI, DRAFT4.create_resource(root))
    return _Spec(raw, routes, registry, {})


def _strip_prefix(path: str) -> tuple[str, bool]:
    """The API path without a GHES prefix, and whether it came in under the uploads prefix."""
    path = path.split("?", 1)[0]
    for prefix, uploads in ((_GHES_API, False), (_GHES_UPLOADS, True)):
        if path.startswith(prefix + "/"):
            return path[len(prefix) :], uploads
    return path, False


def _short(message: str) -> str:
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 1] + "…"


def _describe(error: Any) -> str:
    """jsonschema's message, except that a failed anyOf/oneOf names its closest choice's error, not the instance."""
    if error.validator in ("anyOf", "oneOf") and error.context:
        # The {"type": "null"} choice added for `nullable` is never the interesting one when the value is not null.
        choices = [e for e in error.context if e.schema != _NULL] or error.context
        best = best_match(choices)
        return f"matches no {error.validator} choice; closest: {best.json_path}: {_short(best.message)}"
    return _short(error.message)


class OpenAPIContract:
    """The responses GitHub documents, and a validator for them. Cheap to create: the spec is loaded once."""

    def __init__(self, spec_path: Path | None = None) -> None:
        path = spec_path or reference_dir() / "openapi-subset.json"
        self._spec = _load_spec(path.resolve())

    @property
    def operations(self) -> list[Operation]:
        return [route.operation for route in self._spec.routes]

    def operation(self, method: str, path: str) -> Operation | None:
        """The operation serving a concrete request path (query string ignored), or None."""
        bare, uploads = _strip_prefix(path)
        method = method.upper()
        best: _Route | None = None
        for route in self._spec.routes:
            if route.operation.method != method or (uploads and route.operation.host != _UPLOADS_HOST):
                continue
            if route.pattern.fullmatch(bare) and (best is None or route.rank > best.rank):
                best = route
        return None if best is None else best.operation

    def validate(self, method: str, path: str, status: int, body: object) -> list[str]:
        """Problems with a parsed JSON body sent for ``method path`` with ``status``; [] when it fits the contract."""
        op = self.operation(method, path)
        if op is None:
            return [f"no documented operation for {method.upper()} {path}"]
        return self.validate_operation(op, status, body)

    def validate_operation(self, op: Operation, status: int, body: object) -> list[str]:
        if status == 304:
            return []  # Not Modified carries no body; nothing to check
        validator = self._validator(op, status)
        if isinstance(validator, str):
            return [validator]
        label = f"{op.operation_id} {status}"
        return [f"{label}: {error.json_path}: {_describe(error)}" for error in validator.iter_errors(body)]

    def status_problem(self, op: Operation, status: int) -> str | None:
        """Why ``status`` is not a response ``op`` may give, or None; for responses whose body is not checked."""
        if status == 304 or status in op.statuses or _is_generic_error(status):
            return None
        return f"status {status} is not documented for {op.operation_id}"

    def json_documented(self, op: Operation, status: int) -> bool:
        """Whether the description promises an ``application/json`` body for this status."""
        return self._response_schema(op, status) is not None

    def examples(self) -> list[Example]:
        """Every JSON response example in the description (inline ``example`` or ``examples`` entries)."""
        found = []
        for op in self.operations:
            for status in op.statuses:
                content = self._response(op, status).get("content", {}).get("application/json", {})
                if "example" in content:
                    found.append(Example(op, status, "example", content["example"]))
                for name, entry in content.get("examples", {}).items():
                    found.append(Example(op, status, name, _deref(self._spec.raw, entry).get("value")))
        return found

    # -- internals --

    def _response(self, op: Operation, status: int) -> dict[str, Any]:
        responses = self._spec.raw["paths"][op.template][op.method.lower()]["responses"]
        entry = responses.get(str(status))
        return {} if entry is None else _deref(self._spec.raw, entry)

    def _response_schema(self, op: Operation, status: int) -> object | None:
        content = self._response(op, status).get("content", {}).get("application/json")
        return None if content is None else content.get("schema")

    def _validator(self, op: Operation, status: int) -> Any:
        """A compiled validator for the body of this response, or the reason there can be none."""
        key = (op.operation_id, status)
        cached = self._spec.validators.get(key)
        if cached is not None:
            return cached
        schema = self._response_schema(op, status)
        if schema is not None:
            converted = _to_json_schema(schema)
        elif _is_generic_error(status):
            converted = _GITHUB_ERROR_SCHEMA  # also when documented without a body: GitHub still sends one
        elif status in op.statuses:
            return f"{op.operation_id} {status}: documented without a JSON body, but one was sent"
        else:
            return f"status {status} is not documented for {op.operation_id}"
        # Draft 4 is the dialect OpenAPI 3.0 builds on. No format checker: GitHub's own examples use loose
        # formats (e.g. `uri` fields holding URI templates), and format is not what the emulator gets wrong.
        validator = Draft4Validator(converted, registry=self._spec.registry)
        self._spec.validators[key] = validator
        return validator


def _is_generic_error(status: int) -> bool:
    return status in _GENERIC_ERRORS or 500 <= status <= 599


# --- recording what the emulator sends -----------------------------------------------------------------------

_ID_SEGMENT = re.compile(r"\d+")
_SHA_SEGMENT = re.compile(r"[0-9a-f]{40}")


def _template_ish(path: str) -> str:
    """A path with ids and SHAs replaced, so unchecked requests group by endpoint."""
    parts = []
    for segment in path.split("?", 1)[0].split("/"):
        if _ID_SEGMENT.fullmatch(segment):
            parts.append("{id}")
        elif _SHA_SEGMENT.fullmatch(segment):
            parts.append("{sha}")
        else:
            parts.append(segment)
    return "/".join(parts)


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


class ContractRecorder:
    """Called by the emulator for every response it sends; collects where it departs from GitHub's contract.

    Thread-safe: the emulator serves requests from several threads.
    """

    def __init__(self, contract: OpenAPIContract | None = None) -> None:
        self._contract = contract or OpenAPIContract()
        self._lock = threading.Lock()
        self._problems: list[str] = []
        self._checked = 0
        self._unchecked: set[tuple[str, str]] = set()

    def __call__(self, method: str, path: str, status: int, body: bytes, content_type: str) -> None:
        method = method.upper()
        with self._lock:
            op = self._contract.operation(method, path)
            if op is None:
                self._unchecked.add((method, _template_ish(path)))
                return
            self._checked += 1
            where = f"{method} {path} -> {status}"
            self._problems.extend(
                f"{where}: {problem}" for problem in self._check(op, method, status, body, content_type)
            )

    def _check(self, op: Operation, method: str, status: int, body: bytes, content_type: str) -> Iterator[str]:
        if body and _is_json(content_type):
            try:
                value = json.loads(body)
            except ValueError as exc:
                yield f"{op.operation_id} {status}: body is not valid JSON ({exc})"
                return
            yield from self._contract.validate_operation(op, status, value)
            return
        status_problem = self._contract.status_problem(op, status)
        if status_problem is not None:
            yield status_problem
        elif not body and method != "HEAD" and status != 304:
            if self._contract.json_documented(op, status) or _is_generic_error(status):
                yield f"{op.operation_id} {status}: a JSON body is documented, but the body is empty"
        # A non-JSON body (an asset download, say) is not validated; only its status is.

    @property
    def problems(self) -> list[str]:
        with self._lock:
            return list(self._problems)

    @property
    def checked(self) -> int:
        """How many responses matched a documented operation."""
        with self._lock:
            return self._checked

    @property
    def unchecked(self) -> list[tuple[str, str]]:
        """(method, path with ids replaced) of responses no documented operation covers, sorted."""
        with self._lock:
            return sorted(self._unchecked)

    def assert_clean(self) -> None:
        problems = self.problems
        if problems:
            listing = "\n  ".join(problems)
            msg = f"{len(problems)} response(s) depart from GitHub's documented contract:\n  {listing}"
            raise AssertionError(msg)


# --- recorded PyGithub exchanges -----------------------------------------------------------------------------

_LINES_PER_EXCHANGE = 10


@dataclass(frozen=True)
class Exchange:
    """One recorded request and GitHub's answer to it."""

    file: str
    method: str
    host: str
    path: str  # with the query string
    request_headers: dict[str, str]
    request_body: str | None  # the line as recorded: JSON text, "null", or a file object's repr for uploads
    status: int
    response_headers: dict[str, str]  # keys lower-cased: the recordings' case changes with their era
    response_body: str
    scheme: str = "https"
    port: int | None = None


def replay_dir() -> Path:
    return reference_dir() / "pygithub-replay"


def replay_files() -> list[str]:
    """Names of the recorded files, sorted."""
    return sorted(path.name for path in replay_dir().glob("*.txt"))


def load_replay(name: str) -> list[Exchange]:
    """The exchanges of one recorded file (a name from `replay_files()`), in order."""
    return list(_load_replay(replay_dir() / name))


@functools.cache
def _load_replay(path: Path) -> tuple[Exchange, ...]:
    name = path.name
    # Split on "\n" only: str.splitlines() would also split inside a body on U+2028 and friends.
    lines = path.read_text(encoding="utf-8").split("\n")
    exchanges = []
    start = 0
    while any(lines[start:]):
        chunk = lines[start : start + _LINES_PER_EXCHANGE]
        if len(chunk) < _LINES_PER_EXCHANGE:
            raise ValueError(f"{name}:{start + 1}: truncated exchange ({len(chunk)} of 10 lines)")
        exchanges.append(_exchange(name, start + 1, chunk))
        start += _LINES_PER_EXCHANGE
        # Exchanges are separated by one empty line; the last one may lack it.
        if start < len(lines) and lines[start]:
            raise ValueError(f"{name}:{start + 1}: expected an empty line between exchanges")
        start += 1
    return tuple(exchanges)


def _exchange(name: str, line: int, chunk: list[str]) -> Exchange:
    scheme, method, host, port, path, request_headers, request_body, status, response_headers, body = chunk
    headers = ast.literal_eval(request_headers)
    pairs = ast.literal_eval(response_headers)
    if not isinstance(headers, dict) or not isinstance(pairs, list) or not status.isdigit():
        raise ValueError(f"{name}:{line}: not an exchange (headers or status line malformed)")
    return Exchange(
        file=name,
        method=method,
        host=host,
        path=path,
        request_headers={str(key): str(value) for key, value in headers.items()},
        request_body=None if request_body == "None" else request_body,
        status=int(status),
        response_headers={str(key).lower(): str(value) for key, value in pairs},
        response_body=body,
        scheme=scheme,
        port=None if port == "None" else int(port),
    )


# --- body shapes ---------------------------------------------------------------------------------------------


# bool before int: bool is an int subclass.
_JSON_TYPES = (
    (type(None), "null"),
    (bool, "boolean"),
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (list, "array"),
    (dict, "object"),
)


def _json_type(value: object) -> str:
    for kind, name in _JSON_TYPES:
        if isinstance(value, kind):
            return name
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def top_level_types(value: object) -> dict[str, str]:
    """Field name -> JSON type of an object body, or of an array body's first element; {} otherwise."""
    if isinstance(value, list):
        value = value[0] if value else None
    if not isinstance(value, dict):
        return {}
    return {str(key): _json_type(item) for key, item in value.items()}
