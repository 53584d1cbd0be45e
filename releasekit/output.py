"""How commands print their progress: a step's label in a column, then what happened."""

from __future__ import annotations

from collections.abc import Callable

# What a step is given to tell of its progress: `report("push", "main and v1.4.0 pushed")`.
Report = Callable[[str, str], None]


def say(label: str, text: str) -> None:
    print(f"  {label:<10} {text}", flush=True)


def count_text(n: int, noun: str) -> str:
    """`1 commit`, `3 commits`: a count and its noun, plural with an s."""
    return f"{n} {noun}{'s' * (n != 1)}"


def size_text(n: int) -> str:
    """A byte count for people: 196 B, 3.6 kB, 48.2 MB (decimal units, as GitHub shows asset sizes)."""
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{n} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"
