"""How commands print their progress: a step's label in a column, then what happened."""

from __future__ import annotations

from collections.abc import Callable

# What a step is given to tell of its progress: `report("push", "main and v1.4.0 pushed")`.
Report = Callable[[str, str], None]


def say(label: str, text: str) -> None:
    print(f"  {label:<10} {text}", flush=True)
