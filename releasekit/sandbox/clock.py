"""The sandbox's clock: wall time that tests and benchmarks can speed up or move forward."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

# The bounds of what the clock takes: a jump of up to ten years at a time (a rate-limit hour, a 90-day artifact
# expiry, a year of cron runs all fit), a speed of up to 100,000 times real time, and never past the year 9000, so
# that every timestamp the sandbox prints stays a date (Python's datetime ends at 9999).
MAX_ADVANCE = 10 * 365 * 86400.0
MAX_SPEED = 100_000.0
LATEST = 221_845_392_000.0  # 9000-01-01T00:00:00Z


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
            # Held at LATEST: a fast clock left running for months of real time still gives dates.
            return min(LATEST, self._base + (time.monotonic() - self._real) * self._speed)

    def set_speed(self, speed: float) -> None:
        if not (isinstance(speed, (int, float)) and 0 < speed <= MAX_SPEED):
            msg = f"clock speed must be a number above 0 and at most {MAX_SPEED:,.0f}, not {speed!r}"
            raise ValueError(msg)
        with self._lock:
            now = time.monotonic()
            self._base += (now - self._real) * self._speed
            self._real = now
            self._speed = speed

    def advance(self, seconds: float) -> None:
        """Jump forward (a run due in an hour is due now after `advance(3600)`), up to MAX_ADVANCE at a time."""
        if not (isinstance(seconds, (int, float)) and 0 <= seconds <= MAX_ADVANCE):
            msg = f"clock advance must be a number of seconds from 0 to {MAX_ADVANCE:,.0f}, not {seconds!r}"
            raise ValueError(msg)
        with self._lock:
            if self._base + (time.monotonic() - self._real) * self._speed + seconds > LATEST:
                msg = "clock advance would take the sandbox's clock past the year 9000"
                raise ValueError(msg)
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
