"""Bounds on what releasekit reads from a user: a file's size, and a YAML document's values once its aliases are
expanded. Checked before anything is built, so a 10 MB file or an alias bomb costs milliseconds (the config
reference, "Limits")."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from releasekit.config.limits import MAX_TOTAL_CHARS, MAX_VALUE_CHARS, MAX_VALUES
from releasekit.errors import EXCERPT_CHARS, ConfigError, Problem, excerpt
from releasekit.output import size_text

# The C parser where PyYAML has it, as the loader uses (this module cannot import the loader: it imports this one).
_PARSER: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Characters no value may hold: what YAML cannot write unescaped (C0 and C1 controls but tab and line ends, DEL,
# surrogates, U+FFFE/FFFF) and what YAML 1.1 readers take for a line break (NEL, U+2028/2029). A generated workflow
# would not parse, or would mean something else; a config only gets one through a double-quoted escape ("\x7f").
UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")
CONFIG_HINT = "a releasekit config declares the machinery: keep data (long scripts, lists) in the files it names"


def size_problem(file: str, size: int, limit: int, hint: str, *, unit: str = "bytes") -> Problem:
    """`file:1:1: the file is 10.0 MB (10,000,165 bytes), over the 1.0 MB limit; <hint>`."""
    amount = f"{size_text(size)} ({size:,} bytes)" if unit == "bytes" else f"{size:,} characters"
    return Problem(file, 1, 1, f"the file is {amount}, over the {size_text(limit)} limit; {hint}")


class Budget:
    """Walk the YAML events (cheap, and stopped at the first excess) and refuse a document that would hold too many
    values or characters once its aliases are expanded, or a value too long to be a setting, before anything is
    built from it. An alias counts as the whole value it repeats: nine aliases of nine aliases of ... (a "billion
    laughs") is refused at the alias that goes past the budget."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.anchors: dict[str, tuple[int, int]] = {}  # anchor -> (values, characters) of the value it names
        self.open_anchors: set[str] = set()
        self.stack: list[list[Any]] = []  # per open list or mapping: [anchor, values, characters]
        self.values = 0
        self.chars = 0

    def problem(self, text: str) -> Problem | None:
        for event in yaml.parse(text, Loader=_PARSER):
            found = self._event(event)
            if found is not None:
                return found
        return None

    def _event(self, event: Any) -> Problem | None:
        kind = type(event)
        if kind is yaml.ScalarEvent:
            size = (1, len(event.value))
            if size[1] > MAX_VALUE_CHARS:
                return self._at(
                    event,
                    f"a value of {size[1]:,} characters ({excerpt(event.value, 20)}); a value in a releasekit "
                    f"config is at most {MAX_VALUE_CHARS:,} characters: keep long text in a file it names",
                )
            bad = UNWRITABLE.search(event.value)
            if bad is not None:
                return self._at(
                    event,
                    f"the value {excerpt(event.value, 20)} holds the control character U+{ord(bad.group()):04X} "
                    f"(character {bad.start() + 1}), which a generated workflow cannot carry; remove it",
                )
            if event.anchor is not None:
                self.anchors[event.anchor] = size
        elif kind is yaml.SequenceStartEvent or kind is yaml.MappingStartEvent:
            self.stack.append([event.anchor, 0, 0])
            if event.anchor is not None:
                self.open_anchors.add(event.anchor)
            size = (1, 0)
        elif kind is yaml.SequenceEndEvent or kind is yaml.MappingEndEvent:
            anchor, n, c = self.stack.pop()
            if anchor is not None:
                self.anchors[anchor] = (n, c)
                self.open_anchors.discard(anchor)
            self._add_to_parent(n, c)  # counted in the totals already, as its events went by
            return None
        elif kind is yaml.AliasEvent:
            if event.anchor in self.open_anchors:
                return self._at(event, f"the alias *{shown(event.anchor)} is inside the value it names")
            size = self.anchors.get(event.anchor, (1, 0))  # an undefined alias: the YAML parser reports it
        else:
            return None
        self.values += size[0]
        self.chars += size[1]
        if self.values > MAX_VALUES or self.chars > MAX_TOTAL_CHARS:
            return self._at(event, self._excess(event, size))
        self._add_to_parent(*size)
        return None

    def _add_to_parent(self, values: int, chars: int) -> None:
        if self.stack:
            self.stack[-1][1] += values
            self.stack[-1][2] += chars

    def _excess(self, event: Any, size: tuple[int, int]) -> str:
        what = f"{MAX_VALUES:,} values" if self.values > MAX_VALUES else f"{MAX_TOTAL_CHARS:,} characters of text"
        if type(event) is yaml.AliasEvent and size != (1, 0):
            return (
                f"the alias *{shown(str(event.anchor))} repeats {size[0]:,} values ({size[1]:,} characters), and "
                f"with it the file holds more than {what} once aliases are expanded (a YAML alias bomb?); write the "
                "values out, or repeat less"
            )
        return f"the file holds more than {what} here; {CONFIG_HINT}"

    def _at(self, event: Any, message: str) -> Problem:
        mark = event.start_mark
        return Problem(self.file, mark.line + 1, mark.column + 1, message)


def shown(value: str) -> str:
    """A number or word as written (`1.5`), or, if long, its quoted start and length."""
    return value if len(value) <= EXCERPT_CHARS else excerpt(value)


def read_bounded(path: Path, limit: int, name: str, hint: str) -> bytes:
    """The bytes of a file the user gave, refused with a ConfigError naming it (as `name`), its size, the limit and
    `hint` if it holds more than `limit`. Reads at most limit + 1 bytes, so `--config /dev/zero` ends too."""
    with path.open("rb") as stream:
        data = stream.read(limit + 1)
        if len(data) > limit:
            try:
                size = max(path.stat().st_size, len(data))
            except OSError:
                size = len(data)
            raise ConfigError([size_problem(name, size, limit, hint)])
    return data
