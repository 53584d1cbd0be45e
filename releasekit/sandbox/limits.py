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

    def matches(self, method: str, path: str) -> bool:
        return self.count > 0 and self.method in ("*", method) and fnmatch.fnmatchcase(path, self.path)


class Faults:
    def __init__(self) -> None:
        self.items: list[Fault] = []
        self.lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        if fault.action not in ("status", "hang", "drop", "drop-after"):
            msg = f"fault action must be status, hang, drop or drop-after, not {fault.action!r}"
            raise ValueError(msg)
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
