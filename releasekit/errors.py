"""The exceptions releasekit raises; each carries the exit code `cli.py` turns it into."""

from __future__ import annotations


class ReleasekitError(Exception):
    """An error the user can act on. Its message says what, where, and how to fix it."""

    exit_code = 1


class UsageError(ReleasekitError):
    """Bad command-line input."""

    exit_code = 2


class Problem:
    """One thing wrong in a config file, located in the user's text. (A plain class: the `workflows --check`
    fast path imports this module and must not pay for dataclasses or typing.)"""

    __slots__ = ("column", "file", "line", "message")

    def __init__(self, file: str, line: int, column: int, message: str) -> None:
        self.file = file
        self.line = line  # 1-based
        self.column = column  # 1-based
        self.message = message

    def _key(self) -> tuple[str, int, int, str]:
        return (self.file, self.line, self.column, self.message)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Problem) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Problem({self.file!r}, {self.line}, {self.column}, {self.message!r})"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class ConfigError(ReleasekitError):
    """`releasekit.yaml` (or a file it names) is wrong. Lists every problem found."""

    exit_code = 2

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: p._key())
        super().__init__("\n".join(str(p) for p in self.problems))


class TemplateError(ReleasekitError):
    """A workflow template failed to render."""

    exit_code = 2
