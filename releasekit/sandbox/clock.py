"""The sandbox's clock: wall time that tests and benchmarks can speed up or move forward."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone


class Clock:
    """Seconds since the epoch, running `speed` times faster than real time from the moment it was set."""

    def __init__(self, speed: float = 1.0) -> None:
        self._lock = threading.Lock()
        self._real = time.monotonic()
        self._base = time.time()
        self._speed = speed

    @property
    def speed(self) -> float:
        return self._speed

    def now(self) -> float:
        with self._lock:
            return self._base + (time.monotonic() - self._real) * self._speed

    def set_speed(self, speed: float) -> None:
        if speed <= 0:
            msg = f"clock speed must be positive, not {speed}"
            raise ValueError(msg)
        with self._lock:
            now = time.monotonic()
            self._base += (now - self._real) * self._speed
            self._real = now
            self._speed = speed

    def advance(self, seconds: float) -> None:
        """Jump forward (a run due in an hour is due now after `advance(3600)`)."""
        with self._lock:
            self._base += seconds

    def real_seconds(self, seconds: float) -> float:
        """How long `seconds` of sandbox time last in real time."""
        return seconds / self._speed


def iso(timestamp: float) -> str:
    """GitHub's timestamp format: `2026-11-24T10:00:00Z` (whole seconds, UTC)."""
    return datetime.fromtimestamp(int(timestamp), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_ms(timestamp: float) -> str:
    """The job-step timestamp format: `2026-11-24T10:00:00.000Z`."""
    moment = datetime.fromtimestamp(timestamp, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> float:
    """`2026-11-24T10:00:00Z` (or with an offset, or a bare date) -> seconds since the epoch."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()
