"""The figures behind the README's "Guarantees": what the tests that check each promise did, counted as they run.

A test adds to a tally (`count("hostile requests", 12)`); the faults the sandbox injected are counted from its
request log when it stops. `nox -s tests` prints the totals at the end (the workers' added up), so the README's
numbers can be read off any run."""

from __future__ import annotations

from collections import Counter
from typing import Any

TALLY: Counter[str] = Counter()

KINDS = (
    "inputs generated",  # property tests: configs, versions, requests, JSON bodies
    "hostile requests",  # hand-written malformed or malicious requests to the sandbox
    "faults injected",  # sandbox answers replaced by a fault (5xx, dropped connection, hang, rate limit)
    "crashes and interrupts",  # a release killed (exit at a fail point) or Ctrl-C'd at a step, then resumed/aborted
    "races",  # interleavings of two releases of the same version
)


def count(kind: str, n: int = 1) -> None:
    assert kind in KINDS, f"unknown tally {kind!r}; known: {', '.join(KINDS)}"
    TALLY[kind] += n


def faults_of(hub: Any) -> None:
    """Count the sandbox's injected faults (from its request log), before it stops."""
    count("faults injected", sum(1 for entry in hub.requests() if entry.get("fault")))


def summary() -> str:
    return ", ".join(f"{TALLY[kind]} {kind}" for kind in KINDS if TALLY[kind])
