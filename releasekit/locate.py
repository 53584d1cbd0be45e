"""Find where each value of a TOML, JSON or YAML text sits, as a character span, so a string value can be
replaced without touching anything else."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from typing import Literal, NoReturn

import yaml

from releasekit.errors import ReleasekitError

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

__all__ = ["KeyPath", "Kind", "LocateError", "Slot", "find_slots"]

KeyPath = tuple[str | int, ...]
Kind = Literal["toml", "json", "yaml"]


class LocateError(ReleasekitError):
    """The text could not be followed at `index`. Only text the real parser accepted is scanned, so this is a
    releasekit bug; the caller says which file it was."""

    def __init__(self, message: str, index: int) -> None:
        super().__init__(message)
        self.index = index


def find_slots(text: str, kind: Kind) -> dict[KeyPath, Slot]:
    """Where each value of `text` sits, by key path (the root is `()`). `text` must already parse as `kind`."""
    return _yaml_slots(text) if kind == "yaml" else _Scanner(text, kind).scan()


@dataclass(frozen=True)
class Slot:
    """Where a value is written: for a string, the characters between its quotes."""

    start: int
    end: int
    string: bool


class _Scanner:
    """Where each value of a TOML or JSON document sits (a JSON document reads as one TOML value, with `:` for
    `=`). It runs only on text the real parser accepted, so it can be lenient: it tells strings, comments, arrays
    and tables apart, and the check versionfiles makes after each edit catches any slip."""

    _BARE = re.compile(r"[A-Za-z0-9_-]+")
    # (?!") lets a multi-line string end in quotes of its own: """a""""" holds a"".
    _STRING = re.compile(r'"""(?:\\.|[^\\])*?"""(?!")|\'\'\'[\s\S]*?\'\'\'(?!\')|"(?:\\.|[^"\\])*"|\'[^\']*\'')
    _SCALAR = re.compile(r"[^,\]}#\r\n]*[^,\]}#\r\n \t]")
    # Line breaks end statements in TOML, but in text tomllib accepted they can be skipped like spaces.
    _BLANK = re.compile(r"(?:[ \t\r\n]|#[^\n]*)*")

    def __init__(self, text: str, kind: Kind) -> None:
        self.text, self.pos, self.json = text, 0, kind == "json"
        self.slots: dict[KeyPath, Slot] = {}
        self.arrays: dict[KeyPath, int] = {}  # array of tables -> index of its last [[table]]

    def scan(self) -> dict[KeyPath, Slot]:
        if self.json:
            self._value(())
            return self.slots
        table: KeyPath = ()
        while self._skip() < len(self.text):
            start = self.pos
            if self.text.startswith("[[", start):
                self.pos += 2
                name = self._key()
                array = (*self._resolve(name[:-1]), name[-1])
                self.arrays[array] = self.arrays.get(array, -1) + 1
                table = (*array, self.arrays[array])
                self._expect("]]")
            elif self.text.startswith("[", start):
                self.pos += 1
                table = self._resolve(self._key())
                self._expect("]")
            else:
                key = self._key()
                self._expect("=")
                self._value((*table, *key))
                continue
            self.slots.setdefault(table, Slot(start, start, string=False))
        return self.slots

    def _resolve(self, name: KeyPath) -> KeyPath:
        # `[a.b]` after `[[a]]` is a table in the last element of the array `a`.
        resolved: KeyPath = ()
        for part in name:
            resolved = (*resolved, part)
            if resolved in self.arrays:
                resolved = (*resolved, self.arrays[resolved])
        return resolved

    def _skip(self) -> int:
        self.pos = self._match(self._BLANK).end()
        return self.pos

    def _match(self, pattern: re.Pattern[str]) -> re.Match[str]:
        match = pattern.match(self.text, self.pos)
        if match is None:
            self._lost()
        return match

    def _expect(self, token: str) -> None:
        self._skip()
        if not self.text.startswith(token, self.pos):
            self._lost()
        self.pos += len(token)

    def _lost(self) -> NoReturn:
        raise LocateError(f"could not follow this {'JSON' if self.json else 'TOML'}", self.pos)

    def _key(self) -> KeyPath:
        parts: list[str | int] = []
        while True:
            self._skip()
            start = self.pos
            if self.text[start : start + 1] in ('"', "'"):
                self._string()
                raw = self.text[start : self.pos]
                # Decoded as the real parser does, escapes and all.
                parts.append(json.loads(raw) if self.json else tomllib.loads(f"k = {raw}")["k"])
            else:
                match = self._match(self._BARE)
                parts.append(match.group())
                self.pos = match.end()
            self._skip()
            if self.json or self.text[self.pos : self.pos + 1] != ".":
                return tuple(parts)
            self.pos += 1

    def _string(self) -> tuple[int, int]:
        """The span between the quotes of the string at pos; moves past it."""
        match = self._match(self._STRING)
        quotes = 3 if match.group().startswith(('"""', "'''")) else 1
        self.pos = match.end()
        return match.start() + quotes, match.end() - quotes

    def _value(self, path: KeyPath) -> None:
        self._skip()
        start = self.pos
        char = self.text[start : start + 1]
        if char in ('"', "'"):
            self.slots[path] = Slot(*self._string(), string=True)
            return
        self.slots[path] = Slot(start, start, string=False)
        if char not in ("[", "{"):
            self.pos = self._match(self._SCALAR).end()
            return
        close, index = ("]" if char == "[" else "}"), 0
        self.pos += 1
        while self._skip() < len(self.text) and self.text[self.pos] != close:
            if char == "[":
                self._value((*path, index))
                index += 1
            else:
                key = self._key()
                self._expect(":" if self.json else "=")
                self._value((*path, *key))
            self._skip()
            if self.text[self.pos : self.pos + 1] == ",":
                self.pos += 1
        self._expect(close)


def _yaml_slots(text: str) -> dict[KeyPath, Slot]:
    """Where each value of a YAML document sits, from the node marks of yaml.compose."""
    slots: dict[KeyPath, Slot] = {}
    visited: set[int] = set()

    def walk(node: yaml.Node, path: KeyPath) -> None:
        start, end = node.start_mark.index, node.end_mark.index
        if id(node) in visited:
            # An alias: its text is the anchor's, and editing it would change every place that uses the anchor.
            slots[path] = Slot(start, start, string=False)
            return
        visited.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            inset = 1 if node.style in ("'", '"') else 0  # the slot is what lies between the quotes
            # Block scalars (| and >) hold a line break the version cannot keep; they count as "not a string".
            string = node.tag == "tag:yaml.org,2002:str" and node.style in (None, "", "'", '"')
            slots[path] = Slot(start + inset, end - inset, string)
            return
        slots[path] = Slot(start, start, string=False)
        if isinstance(node, yaml.MappingNode):
            for key, child in node.value:
                if isinstance(key, yaml.ScalarNode):
                    walk(child, (*path, key.value))
        elif isinstance(node, yaml.SequenceNode):
            for index, child in enumerate(node.value):
                walk(child, (*path, index))

    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if root is not None:
        walk(root, ())
    return slots
