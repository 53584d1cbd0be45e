"""The checks every JSON body goes through before a handler acts on it, answering in GitHub's words when it fails.

GitHub validates a request body against the operation's schema first: a value of the wrong type (`"draft": "yes"`,
a list where a string goes, `null` for a boolean) is a 422 `Invalid request.\n\nFor 'properties/draft', "yes" is
not a boolean.` and nothing is changed. Rules on the values themselves (a tag git refuses, a body too long) are a
422 `Validation Failed` with `errors[]` naming the resource, the field and a code. The sandbox's own control API
(`/_sandbox/...`) answers in the second shape, with a message that names the field and the values it takes.
"""

from __future__ import annotations

import json
import math
from typing import Any

from releasekit.sandbox.gitstore import utf8_ok
from releasekit.sandbox.http import ApiError, Request

_KINDS: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
    "object": (dict,),
    "array": (list,),
}
_EXCERPT = 60  # how much of a refused value an answer repeats


def excerpt(value: object) -> str:
    """A value as GitHub's messages show it (Ruby's inspect: `"yes"`, `nil`, `1.5`), cut to a short excerpt."""
    text = "nil" if value is None else json.dumps(value, ensure_ascii=True, default=str)
    return text if len(text) <= _EXCERPT else text[: _EXCERPT - 3] + "..."


def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object, refused as GitHub refuses what it cannot parse (400) when a string in it holds a
    lone surrogate (`"\\ud800"`): JSON's escapes allow one, UTF-8 has no encoding for it, so it could be neither
    stored in git nor sent back in an answer."""
    body = request.json()
    if _has_surrogate(body):
        raise ApiError(400, "Problems parsing JSON")
    return body


def _has_surrogate(value: object) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not utf8_ok(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def shown(text: str, limit: int = 100) -> str:
    """User text inside a message: control characters escaped (no line breaks or NUL in an answer), cut short."""
    inner = json.dumps(text.encode("utf-8", "replace").decode("utf-8"), ensure_ascii=False)[1:-1]
    return inner if len(inner) <= limit else inner[: limit - 3] + "..."


def number_text(value: float) -> str:
    """A bound as people read it: `315,360,000`, `0.5`."""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


def is_kind(value: object, kind: str) -> bool:
    """Strict JSON typing: a bool is no integer or number, a float no integer, NaN and infinities no number."""
    if isinstance(value, bool) and kind != "boolean":
        return False
    if kind == "number" and isinstance(value, float) and not math.isfinite(value):
        return False
    return isinstance(value, _KINDS[kind])


def type_error(field: str, value: object, kind: str, docs: str) -> ApiError:
    article = "an" if kind[0] in "aeiou" else "a"
    message = f"Invalid request.\n\nFor 'properties/{field}', {excerpt(value)} is not {article} {kind}."
    return ApiError(422, message, docs=docs)


def field(
    body: dict[str, Any], name: str, kind: str, docs: str, *, nullable: bool = False, where: str | None = None
) -> Any:
    """body[name] when it is of `kind` (None when absent, or null and `nullable`); else GitHub's type error, which
    names the field by its path in the schema (`where`, for a nested one: `tagger/properties/name`)."""
    if name not in body:
        return None
    value = body[name]
    if value is None and nullable:
        return None
    if not is_kind(value, kind):
        raise type_error(where or name, value, kind, docs)
    return value


def invalid(resource: str, name: str, message: str, docs: str, code: str = "custom") -> ApiError:
    """GitHub's 422 for a value its rules refuse: `Validation Failed` with one error that says why."""
    error = {"resource": resource, "code": code, "field": name, "message": message}
    return ApiError(422, "Validation Failed", errors=[error], docs=docs)


def too_long(resource: str, name: str, value: str, limit: int, docs: str) -> None:
    if len(value) > limit:
        raise invalid(resource, name, f"{name} is too long (maximum is {limit} characters)", docs)


# -- the sandbox's control API --------------------------------------------------------------------------------


class Control:
    """Checks for one control endpoint's body: each refusal is a 422 whose message starts with `what` ("bad fault")
    and says which field is wrong and what it takes; `errors[]` names the field."""

    def __init__(self, what: str, docs: str) -> None:
        self.what = what
        self.docs = docs

    def error(self, name: str, message: str) -> ApiError:
        error = {"resource": "Sandbox", "code": "invalid", "field": name, "message": message}
        return ApiError(422, f"{self.what}: {message}", errors=[error], docs=self.docs)

    def only_keys(self, body: dict[str, Any], known: tuple[str, ...]) -> None:
        unknown = sorted(set(body) - set(known))
        if unknown:
            raise self.error(unknown[0], f"unknown key {excerpt(unknown[0])}; known: {', '.join(known)}")

    def number(self, body: dict[str, Any], name: str, low: float, high: float, *, integer: bool = False) -> Any:
        """body[name] (None when absent or null) when it is a number (an integer if asked) from low to high."""
        value = body.get(name)
        if value is None:
            return None
        if not is_kind(value, "integer" if integer else "number") or not low <= value <= high:
            kind = "an integer" if integer else "a number"
            bounds = f"from {number_text(low)} to {number_text(high)}"
            raise self.error(name, f"{name} must be {kind} {bounds}, not {excerpt(value)}")
        return value

    def text(self, body: dict[str, Any], name: str, limit: int) -> str | None:
        """body[name] (None when absent or null) when it is a string of at most `limit` characters without NUL."""
        value = body.get(name)
        if value is None:
            return None
        if not isinstance(value, str) or len(value) > limit or "\0" in value:
            message = f"{name} must be a string of at most {limit} characters (no NUL), not {excerpt(value)}"
            raise self.error(name, message)
        return value

    def choice(self, body: dict[str, Any], name: str, choices: tuple[Any, ...]) -> Any:
        """body[name] (None when absent or null) when it is one of `choices` (strictly: `true` is not `1`)."""
        value = body.get(name)
        if value is None:
            return None
        if not any(type(value) is type(c) and value == c for c in choices):
            allowed = ", ".join(excerpt(c) for c in choices)
            raise self.error(name, f"{name} must be one of {allowed}, not {excerpt(value)}")
        return value


def parse_id(raw: str) -> int | None:
    """A numeric id from a URL segment; None for anything else (`²` is a digit to str.isdigit, not to GitHub)."""
    if raw.isascii() and raw.isdigit() and len(raw) <= 19:
        return int(raw)
    return None
