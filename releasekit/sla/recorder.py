"""What a project's tests use to record samples: `with sla.measure("voice-e2e"): ...` and `sla.record(name, ms)`.

Each sample is appended to the results file at once (one write per line), so parallel workers do not interleave
and a crash later in the session loses nothing. A block that raises records nothing: a failed operation's time is
not a measurement of the operation.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from releasekit.sla.samples import append, results_path, sample_line


class SlaRecorder:
    """Records samples to one results file, with labels added to every sample (e.g. the machine)."""

    def __init__(
        self,
        path: Path | None = None,
        labels: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.path = results_path() if path is None else path
        self.labels = dict(labels or {})
        self.clock = clock
        self.recorded: list[tuple[str, float]] = []

    def record(self, name: str, ms: float, **labels: str) -> None:
        """Record one sample of `name`, in milliseconds."""
        line = sample_line(name, ms, {**self.labels, **labels})
        append(self.path, [line])
        self.recorded.append((name, float(ms)))

    @contextmanager
    def measure(self, name: str, **labels: str) -> Iterator[None]:
        """Time the block and record it as one sample of `name`."""
        start = self.clock()
        yield
        self.record(name, (self.clock() - start) * 1000.0, **labels)
