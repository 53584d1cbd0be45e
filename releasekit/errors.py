"""The exceptions releasekit raises; each carries the exit code `cli.py` turns it into."""

from __future__ import annotations

from dataclasses import dataclass


class ReleasekitError(Exception):
    """An error the user can act on. Its message says what, where, and how to fix it."""

    exit_code = 1


class UsageError(ReleasekitError):
    """Bad command-line input."""

    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a config file, located in the user's text."""

    file: str
    line: int  # 1-based
    column: int  # 1-based
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class ConfigError(ReleasekitError):
    """`releasekit.yaml` (or a file it names) is wrong. Lists every problem found."""

    exit_code = 2

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.column, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))


class TemplateError(ReleasekitError):
    """A workflow template failed to render."""

    exit_code = 2
