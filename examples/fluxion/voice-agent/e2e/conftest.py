"""The ``sla`` fixture where releasekit is not installed.

With releasekit installed, its pytest plugin provides ``sla``. The iMac that runs these tests has Python 3.9,
older than releasekit supports, so this file records the same samples the same way: one JSON line per sample,
``{"name": ..., "ms": ...}``, appended to ``$RELEASEKIT_SLA_RESULTS`` (default ``sla-results.jsonl``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest


class _Recorder:
    def __init__(self, path: str) -> None:
        self.path = path

    def record(self, name: str, ms: float) -> None:
        with open(self.path, "a", encoding="utf-8") as out:  # noqa: PTH123 - one append, as the plugin does
            out.write(json.dumps({"name": name, "ms": round(float(ms), 3)}) + "\n")

    @contextmanager
    def measure(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.record(name, (time.perf_counter() - start) * 1000.0)


if importlib.util.find_spec("releasekit") is None:

    @pytest.fixture
    def sla() -> _Recorder:
        return _Recorder(os.environ.get("RELEASEKIT_SLA_RESULTS") or "sla-results.jsonl")
