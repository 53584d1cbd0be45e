"""The exceptions releasekit raises; each carries the exit code `cli.py` turns it into."""

from __future__ import annotations

# How much of a user's value a message may quote, and how long one message may get. A config value can be a
# megabyte and every message may end up in a CI log: quote a short excerpt, say how long the value is.
EXCERPT_CHARS = 60
MAX_MESSAGE_CHARS = 1_000
MAX_ERROR_CHARS = 20_000
MAX_PROBLEMS_SHOWN = 30


def excerpt(value: object, limit: int = EXCERPT_CHARS) -> str:
    """`value` quoted as Python shows it (`'dist/*.whl'`), its start only if it is long: `'xxxx…' (10,000,000
    characters)`. Use it wherever a message repeats what the user wrote."""
    text = value if isinstance(value, str) else str(value)
    if len(text) <= limit:
        return repr(text)
    quoted = repr(text[:limit])
    return f"{quoted[:-1]}…{quoted[-1]} ({len(text):,} characters)"


def clip(message: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """`message` whole if it is short, else its start and end with the middle left out: what went wrong comes
    first and how to fix it last, so both survive. The backstop for any message that quotes a value whole."""
    if len(message) <= limit:
        return message
    head = limit * 2 // 3
    tail = limit - head
    left_out = len(message) - head - tail
    return f"{message[:head]}… [{left_out:,} characters left out] …{message[-tail:]}"


class ReleasekitError(Exception):
    """An error the user can act on. Its message says what, where, and how to fix it."""

    exit_code = 1

    def __str__(self) -> str:
        return clip(super().__str__(), MAX_ERROR_CHARS)


class UsageError(ReleasekitError):
    """Bad command-line input."""

    exit_code = 2


class Interrupted(ReleasekitError):
    """Ctrl-C stopped the command; the message says what was done and how to go on (exit 130, as a shell's)."""

    exit_code = 130


class Problem:
    """One thing wrong in a config file, located in the user's text. (A plain class: the `workflows --check`
    fast path imports this module and must not pay for dataclasses or typing.)"""

    __slots__ = ("column", "file", "line", "message")

    def __init__(self, file: str, line: int, column: int, message: str) -> None:
        self.file = file
        self.line = line  # 1-based
        self.column = column  # 1-based
        self.message = clip(message)

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

    def __init__(self, problems: list[Problem], *, more: bool = False) -> None:
        """`more`: the checks stopped early, there are problems beyond these."""
        self.problems = sorted(problems, key=lambda p: p._key())
        shown = [str(p) for p in self.problems[:MAX_PROBLEMS_SHOWN]]
        hidden = len(self.problems) - len(shown)
        if more:
            shown.append(
                f"... and more problems: releasekit stopped looking after {len(self.problems)}; fix these first"
            )
        elif hidden:
            shown.append(f"... and {hidden:,} more problem{'s' * (hidden != 1)} not shown; fix these first")
        super().__init__("\n".join(shown))

    def __str__(self) -> str:
        return Exception.__str__(self)  # already bounded: at most MAX_PROBLEMS_SHOWN clipped messages


class TemplateError(ReleasekitError):
    """A workflow template failed to render."""

    exit_code = 2
