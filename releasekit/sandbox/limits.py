"""What the sandbox adds around each answer: GitHub's rate limits, injected faults, and the request log."""

from __future__ import annotations

import fnmatch
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from releasekit.sandbox.app import Sandbox


# What the control API takes (`POST /_sandbox/rate_limit`, `POST /_sandbox/faults`), checked here so that the
# Python API (`hub.fault(...)`) refuses the same values: nothing out of range reaches the request path.
MAX_LIMIT = 1_000_000_000
FAULT_ACTIONS = ("status", "hang", "drop", "drop-after")
FAULT_METHODS = ("*", "GET", "HEAD", "POST", "PATCH", "PUT", "DELETE")
MAX_FAULT_COUNT = 1_000_000
MAX_HANG_SECONDS = 3600.0  # a hang longer than an hour tests nothing a shorter one does not
MAX_FAULT_TEXT = 1000  # path glob, message, each header
MAX_FAULT_HEADERS = 50


class FieldError(ValueError):
    """A value out of its range; `field` names it, for the control API's answer."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


@dataclass
class Budget:
    limit: int
    used: int = 0
    reset: float = 0.0


class RateLimits:
    """GitHub's primary rate limit, per token, over an hour of sandbox time."""

    def __init__(self, sandbox: Sandbox, limit: int, job_limit: int = 1000) -> None:
        self.sandbox = sandbox
        self.limit = limit
        self.job_limit = job_limit
        self.status = 403  # GitHub sends 403 or 429; configurable
        self.budgets: dict[str, Budget] = {}
        self.lock = threading.Lock()

    def _budget(self, key: str, now: float) -> Budget:
        budget = self.budgets.get(key)
        if budget is None:
            budget = self.budgets[key] = Budget(self.job_limit if key.startswith("job:") else self.limit)
        if budget.reset <= now:
            budget.used, budget.reset = 0, float(int(now) + 3600)
        return budget

    def headers(self, key: str) -> dict[str, str]:
        with self.lock:
            budget = self._budget(key, self.sandbox.clock.now())
            return _limit_headers(budget)

    def charge(self, key: str) -> tuple[bool, dict[str, str]]:
        now = self.sandbox.clock.now()
        with self.lock:
            budget = self._budget(key, now)
            if budget.used >= budget.limit:
                headers = _limit_headers(budget)
                headers["retry-after"] = str(max(1, int(budget.reset - now)))
                return False, headers
            budget.used += 1
            return True, _limit_headers(budget)

    def set(self, key: str, *, limit: int | None = None, remaining: int | None = None) -> None:
        for name, value in (("limit", limit), ("remaining", remaining)):
            if value is not None and not (type(value) is int and 0 <= value <= MAX_LIMIT):
                msg = f"{name} must be an integer from 0 to {MAX_LIMIT:,}, not {value!r:.60}"
                raise FieldError(name, msg)
        with self.lock:
            budget = self._budget(key, self.sandbox.clock.now())
            if limit is not None:
                budget.limit = limit
            if remaining is not None:
                budget.used = max(0, budget.limit - remaining)

    def core(self, key: str) -> dict[str, int]:
        with self.lock:
            b = self._budget(key, self.sandbox.clock.now())
            return {"limit": b.limit, "used": b.used, "remaining": b.limit - b.used, "reset": int(b.reset)}


def _limit_headers(budget: Budget) -> dict[str, str]:
    return {
        "x-ratelimit-limit": str(budget.limit),
        "x-ratelimit-remaining": str(max(0, budget.limit - budget.used)),
        "x-ratelimit-reset": str(int(budget.reset)),
        "x-ratelimit-used": str(budget.used),
        "x-ratelimit-resource": "core",
    }


@dataclass
class Fault:
    """The next `count` requests matching method and path (a glob) answer `status`, hang, or lose the connection:
    before acting on the request (`drop`) or after (`drop-after`: it took effect, the answer is lost)."""

    method: str
    path: str
    action: str = "status"  # status | hang | drop | drop-after
    status: int = 500
    count: int = 1
    seconds: float = 30.0
    message: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problem = fault_problem(self)
        if problem is not None:
            raise FieldError(*problem)

    def matches(self, method: str, path: str) -> bool:
        return self.count > 0 and self.method in ("*", method) and fnmatch.fnmatchcase(path, self.path)


def fault_problem(fault: Fault) -> tuple[str, str] | None:
    """(field, what is wrong) for the first field of `fault` out of its range, or None."""

    def text_ok(value: object) -> bool:
        return isinstance(value, str) and len(value) <= MAX_FAULT_TEXT and "\0" not in value

    if fault.method not in FAULT_METHODS:
        return "method", f"fault method must be one of {', '.join(FAULT_METHODS)}, not {fault.method!r}"
    if not text_ok(fault.path):
        return "path", f"fault path must be a glob of at most {MAX_FAULT_TEXT} characters, not {fault.path!r:.60}"
    if fault.action not in FAULT_ACTIONS:
        return "action", f"fault action must be status, hang, drop or drop-after, not {fault.action!r:.60}"
    if not (type(fault.status) is int and 400 <= fault.status <= 599):
        return "status", f"fault status must be an integer from 400 to 599, not {fault.status!r:.60}"
    if not (type(fault.count) is int and 1 <= fault.count <= MAX_FAULT_COUNT):
        return "count", f"fault count must be an integer from 1 to {MAX_FAULT_COUNT:,}, not {fault.count!r:.60}"
    seconds = fault.seconds
    if isinstance(seconds, bool) or not (isinstance(seconds, (int, float)) and 0 <= seconds <= MAX_HANG_SECONDS):
        return "seconds", f"fault seconds must be a number from 0 to {MAX_HANG_SECONDS:g}, not {seconds!r:.60}"
    if fault.message is not None and not text_ok(fault.message):
        return "message", f"fault message must be a string of at most {MAX_FAULT_TEXT} characters or null"
    headers = fault.headers
    if not (
        isinstance(headers, dict)
        and len(headers) <= MAX_FAULT_HEADERS
        and all(_header_ok(k, v) for k, v in headers.items())
    ):
        return "headers", (
            f"fault headers must be an object of at most {MAX_FAULT_HEADERS} header names (letters, digits, '-') "
            f"and string values of at most {MAX_FAULT_TEXT} characters without line breaks"
        )
    return None


def _header_ok(name: object, value: object) -> bool:
    return (
        isinstance(name, str)
        and 0 < len(name) <= 100
        and all(c.isascii() and (c.isalnum() or c == "-") for c in name)
        and isinstance(value, str)
        and len(value) <= MAX_FAULT_TEXT
        and not any(c in value for c in "\r\n\0")
        and value.isascii()
    )


class Faults:
    def __init__(self) -> None:
        self.items: list[Fault] = []
        self.lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        problem = fault_problem(fault)  # again: a Fault's fields can be changed after it was made
        if problem is not None:
            raise FieldError(*problem)
        with self.lock:
            self.items.append(fault)

    def take(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.items:
                if fault.matches(method, path):
                    fault.count -= 1
                    return fault
        return None

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


class RequestLog:
    """JSON lines, one per request: what was asked, what was answered, who asked (never the token itself)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()
        self.entries: list[dict[str, Any]] = []
        self._file: IO[str] = path.open("a", encoding="utf-8")

    def write(self, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, sort_keys=True)
        with self.lock:
            self.entries.append(entry)
            self._file.write(line + "\n")
            self._file.flush()

    def close(self) -> None:
        with self.lock:
            self._file.close()
