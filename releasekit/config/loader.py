"""Read `releasekit.yaml` into the frozen model, keeping the line and column of every value for error messages."""

from __future__ import annotations

import dataclasses
import difflib
import re
import types
import typing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Union

import yaml

from releasekit.config import model
from releasekit.config.bounds import CONFIG_HINT, Budget, read_bounded, shown, size_problem
from releasekit.config.limits import MAX_CONFIG_BYTES, MAX_PATTERN_CHARS
from releasekit.config.secrets import NEVER_A_SECRET, secret_reason
from releasekit.errors import EXCERPT_CHARS, MAX_PROBLEMS_SHOWN, ConfigError, Problem, excerpt

PathKey = tuple[str | int, ...]

try:  # the C loader is several times faster and always gives marks
    YAML_LOADER: type[Any] = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    YAML_LOADER = yaml.SafeLoader

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_BOOL = "tag:yaml.org,2002:bool"
_FLOAT = "tag:yaml.org,2002:float"
_NULL = "tag:yaml.org,2002:null"

# The checks that parse a value character by character in Python; their input counts against MAX_PATTERN_CHARS.
_PARSED = frozenset({"ref_pattern", "path_pattern", "version_regex"})
# Python refuses to read an int of more digits than this (`sys.get_int_max_str_digits`).
_MAX_INT_DIGITS = 4_300

# Keys people carry over from GitHub's own workflow syntax, and what they are called here.
_KNOWN_MISTAKES = {"on": "triggers", "runs-on": "machines", "jobs": "steps", "true": "triggers"}


def dotted(path: PathKey) -> str:
    """`('workflows', 'release', 'machines', 0)` -> `workflows.release.machines[0]`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = part if len(part) <= EXCERPT_CHARS else f"{part[:EXCERPT_CHARS]}…"  # a 10,000-character key
            out += f".{name}" if out else name
    return out or "the top level"


@dataclass(frozen=True)
class Located:
    """A loaded config with the position of every value, so later checks can point at the user's text."""

    config: model.Config
    file: str
    root: Path
    positions: dict[PathKey, tuple[int, int]]

    def problem(self, path: PathKey, message: str) -> Problem:
        """A problem at `path`, or at its nearest located parent."""
        probe = path
        while probe not in self.positions and probe:
            probe = probe[:-1]
        line, column = self.positions.get(probe, (1, 1))
        return Problem(self.file, line, column, message)


class _TooManyProblems(Exception):
    """Enough problems to show: the rest of the file is not checked (a file of 100,000 typos gets 31, fast)."""


class _Builder:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.positions: dict[PathKey, tuple[int, int]] = {}
        self.pattern_chars = 0

    def fail(self, node: yaml.Node, message: str) -> None:
        mark = node.start_mark
        self.problems.append(Problem(self.file, mark.line + 1, mark.column + 1, message))
        if len(self.problems) > MAX_PROBLEMS_SHOWN:
            raise _TooManyProblems

    def build(self, tp: Any, node: yaml.Node, path: PathKey, what: str) -> Any:
        """Build a value of type `tp` from `node`; on error record a problem and return `_INVALID`."""
        self.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        origin = typing.get_origin(tp)
        if origin in (Union, types.UnionType):
            return self._union(tp, node, path, what)
        if origin is Literal:
            return self._literal(tp, node, path)
        if origin is tuple:
            return self._sequence(typing.get_args(tp)[0], node, path, what)
        if origin is dict:
            return self._mapping(typing.get_args(tp)[1], node, path, what, None)
        if dataclasses.is_dataclass(tp):
            return self._dataclass(tp, node, path)
        return self._scalar(tp, node, path)

    def _union(self, tp: Any, node: yaml.Node, path: PathKey, what: str) -> Any:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if isinstance(node, yaml.ScalarNode) and node.tag == _NULL:
            sections = [a for a in args if getattr(a, "EMPTY_MEANS_ON", False)]
            if sections:  # `pull_request:` with nothing after it: the trigger is on, with its defaults
                return self.build(sections[0], node, path, what)
            if len(args) < len(typing.get_args(tp)):
                return None
        exact = {_BOOL: bool, _INT: int, _STR: str}.get(node.tag) if isinstance(node, yaml.ScalarNode) else None
        for arg in sorted(args, key=lambda a: a is not exact):  # `default: true` is a boolean where one is allowed
            if _accepts(arg, node):
                return self.build(arg, node, path, what)
        self.fail(node, f"{dotted(path)}: expected {' or '.join(_describe(a) for a in args)}, got {_kind(node)}")
        return _INVALID

    def _literal(self, tp: Any, node: yaml.Node, path: PathKey) -> Any:
        choices = [str(c) for c in typing.get_args(tp)]
        if not isinstance(node, yaml.ScalarNode) or node.value not in choices:
            got = excerpt(node.value) if isinstance(node, yaml.ScalarNode) else _kind(node)
            hint = _did_you_mean(node.value, choices) if isinstance(node, yaml.ScalarNode) else ""
            self.fail(node, f"{dotted(path)}: expected one of {', '.join(choices)}, got {got}{hint}")
            return _INVALID
        return node.value

    def _sequence(self, item: Any, node: yaml.Node, path: PathKey, what: str) -> Any:
        if not isinstance(node, yaml.SequenceNode):
            short = isinstance(node, yaml.ScalarNode) and 0 < len(node.value) <= EXCERPT_CHARS
            hint = f"; write a list, e.g. [{node.value}]" if short else ""
            self.fail(node, f"{dotted(path)}: expected a list, got {_kind(node)}{hint}")
            return _INVALID
        return tuple(self.build(item, child, (*path, i), what) for i, child in enumerate(node.value))

    def _pairs(self, node: yaml.MappingNode, path: PathKey) -> Iterator[tuple[str, yaml.Node, yaml.Node]]:
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.fail(key_node, f"{dotted(path)}: YAML merge keys ('<<') are not supported; write the keys out")
                continue
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in (_STR, _BOOL, _INT):
                self.fail(key_node, f"{dotted(path)}: keys must be plain strings")
                continue
            key = str(key_node.value)
            reason = secret_reason("", key)
            if reason:
                self.fail(key_node, f"{dotted(path)}: this key {reason}. {NEVER_A_SECRET}")
                continue
            if key in seen:
                self.fail(key_node, f"duplicate key {excerpt(key)} in {dotted(path)} (first at line {seen[key]})")
                continue
            seen[key] = key_node.start_mark.line + 1
            yield key, key_node, value_node

    def _mapping(self, item: Any, node: yaml.Node, path: PathKey, what: str, key_pattern: str | None) -> Any:
        if not isinstance(node, yaml.MappingNode):
            if isinstance(node, yaml.ScalarNode) and node.tag == _NULL:
                return {}
            self.fail(node, f"{dotted(path)}: expected a mapping, got {_kind(node)}")
            return _INVALID
        out: dict[str, Any] = {}
        for key, key_node, value_node in self._pairs(node, path):
            key_path: PathKey = (*path, key, "<key>")
            self.positions[key_path] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if key_pattern and not re.match(key_pattern, key):
                self.fail(key_node, f"{dotted(path)}: invalid name {excerpt(key)} (must match {key_pattern})")
                continue
            out[key] = self.build(item, value_node, (*path, key), what)
        return out

    def _dataclass(self, cls: Any, node: yaml.Node, path: PathKey) -> Any:
        if not isinstance(node, yaml.MappingNode):
            if isinstance(node, yaml.ScalarNode) and node.tag == _NULL:
                node = yaml.MappingNode("tag:yaml.org,2002:map", [], node.start_mark, node.end_mark)
            else:
                self.fail(node, f"{dotted(path)}: expected a mapping, got {_kind(node)}")
                return _INVALID
        fields = {model.yaml_key(f): f for f in dataclasses.fields(cls) if not f.metadata.get("rest")}
        rest = next((f for f in dataclasses.fields(cls) if f.metadata.get("rest")), None)
        hints = _hints(cls)
        values: dict[str, Any] = {}
        others: dict[str, Any] = {}
        problems_before = len(self.problems)
        ok = True
        for key, key_node, value_node in self._pairs(node, path):
            f = fields.get(key)
            if f is None and rest is not None:  # a key of the mapping's own (a target by name)
                item = self._rest_item(rest, hints[rest.name], key, key_node, value_node, path)
                ok = ok and item is not _INVALID
                others[key] = item
                continue
            if f is None:
                where = f" in {dotted(path)}" if path else " at the top level"
                hint = _did_you_mean(key, list(fields))
                if not hint and key in _KNOWN_MISTAKES and _KNOWN_MISTAKES[key] in fields:
                    hint = f"; did you mean {_KNOWN_MISTAKES[key]!r}?"
                self.fail(key_node, f"unknown key {excerpt(key)}{where}{hint}")
                ok = False
                continue
            key_path: PathKey = (*path, key, "<key>")
            self.positions[key_path] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            value = self._field(f, hints[f.name], value_node, (*path, key))
            if value is _INVALID:
                ok = False
            else:
                values[f.name] = value
        if rest is not None:
            values[rest.name] = others
        ok = ok and len(self.problems) == problems_before  # e.g. a refused merge key or duplicate key
        for key, f in fields.items():
            required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            if required and f.name not in values and ok:
                where = f" in {dotted(path)}" if path else " at the top level"
                self.fail(node, f"missing key {key!r}{where} ({f.metadata['doc'].rstrip('.')})")
                ok = False
        return cls(**values) if ok else _INVALID

    def _rest_item(  # noqa: PLR0917 - the parts of one key-value pair
        self, rest: dataclasses.Field[Any], tp: Any, key: str, key_node: yaml.Node, node: yaml.Node, path: PathKey
    ) -> Any:
        """One entry of a mapping's `rest` field: its name checked, its value built as the dict's item type."""
        key_path: PathKey = (*path, key, "<key>")
        self.positions[key_path] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
        pattern = rest.metadata.get("key_pattern")
        if pattern and not re.match(pattern, key):
            self.fail(key_node, f"{dotted(path)}: invalid name {excerpt(key)} (must match {pattern})")
            return _INVALID
        return self.build(typing.get_args(tp)[1], node, (*path, key), rest.name)

    def _field(self, f: dataclasses.Field[Any], tp: Any, node: yaml.Node, path: PathKey) -> Any:
        meta = f.metadata
        if typing.get_origin(tp) is dict:
            value = self._mapping(typing.get_args(tp)[1], node, path, f.name, meta.get("key_pattern"))
        else:
            value = self.build(tp, node, path, f.name)
        if value is _INVALID or value is None:
            return value
        items: list[tuple[Any, yaml.Node, PathKey]]
        if isinstance(value, tuple):
            if _contains_invalid(value):
                return _INVALID
            min_items = meta.get("min_items")
            if min_items and len(value) < min_items:
                self.fail(node, f"{dotted(path)}: needs at least {min_items} item{'s' * (min_items > 1)}")
                return _INVALID
            assert isinstance(node, yaml.SequenceNode)
            items = [(v, n, (*path, i)) for i, (v, n) in enumerate(zip(value, node.value, strict=True))]
        else:
            items = [(value, node, path)]
        for item, item_node, item_path in items:
            if meta.get("check") in _PARSED and isinstance(item, str):
                self.pattern_chars += len(item)
                if self.pattern_chars > MAX_PATTERN_CHARS:
                    if self.pattern_chars - len(item) <= MAX_PATTERN_CHARS:  # said once, at the one that tips it
                        self.fail(
                            item_node,
                            f"{dotted(item_path)}: with this one, the file's branch, tag and path patterns and "
                            f"version regexes hold more than {MAX_PATTERN_CHARS:,} characters together; real ones "
                            "are short",
                        )
                    return _INVALID
            message = _constraint_problem(meta, item)
            if message:
                self.fail(item_node, f"{dotted(item_path)}: {message}")
                return _INVALID
        return value

    def _scalar(self, tp: Any, node: yaml.Node, path: PathKey) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            self.fail(node, f"{dotted(path)}: expected {_describe(tp)}, got {_kind(node)}")
            return _INVALID
        if tp is bool:
            if node.tag == _BOOL:
                return node.value.lower() in ("true", "yes", "on", "y")
        elif tp is int:
            if node.tag == _INT:
                return self._int(node, path)
        elif tp is str:
            if node.tag in (_STR, _INT):
                reason = secret_reason("", node.value)
                if reason:  # never repeat the value: the message may end up in a CI log
                    self.fail(node, f"{dotted(path)}: this value {reason}. {NEVER_A_SECRET}")
                    return _INVALID
                return node.value
            if node.tag in (_FLOAT, _BOOL):
                what = "a number" if node.tag == _FLOAT else "a boolean"
                fix = f': "{node.value}"' if len(node.value) <= EXCERPT_CHARS else ""
                self.fail(node, f"{dotted(path)}: {shown(node.value)} is read as {what}; quote it{fix}")
                return _INVALID
        self.fail(node, f"{dotted(path)}: expected {_describe(tp)}, got {_kind(node)}")
        return _INVALID

    def _int(self, node: yaml.ScalarNode, path: PathKey) -> Any:
        if not re.fullmatch(r"[-+]?(?:0|[1-9][0-9_]*)", node.value):
            # YAML 1.1 reads 010 as octal 8 and 1:30 as 90; nobody means that in a config.
            self.fail(node, f"{dotted(path)}: write {shown(node.value)} as a plain decimal number")
            return _INVALID
        if len(node.value) > _MAX_INT_DIGITS:  # int() would raise: Python reads at most this many digits
            self.fail(node, f"{dotted(path)}: a number of {len(node.value):,} digits is out of range")
            return _INVALID
        return int(node.value.replace("_", ""))


class _Invalid:
    """Marks a value that failed to load; its problem is already recorded."""


_INVALID: Any = _Invalid()


def _contains_invalid(value: tuple[Any, ...]) -> bool:
    return any(v is _INVALID for v in value)


def _constraint_problem(meta: typing.Mapping[str, Any], value: Any) -> str | None:
    pattern = meta.get("pattern")
    if pattern and isinstance(value, str) and not re.match(pattern, value):
        return f"{excerpt(value)} is not valid (must match {pattern})"
    minimum, maximum = meta.get("minimum"), meta.get("maximum")
    if isinstance(value, int) and not isinstance(value, bool):
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            return f"{value} is out of range {minimum}-{maximum}"
    check = meta.get("check")
    if check is not None and isinstance(value, str):
        from releasekit.config import checks

        result: str | None = getattr(checks, check)(value)
        return result
    return None


def _hints(cls: Any) -> dict[str, Any]:
    cached = _HINTS.get(cls)
    if cached is None:
        cached = _HINTS[cls] = typing.get_type_hints(cls)
    return cached


_HINTS: dict[Any, dict[str, Any]] = {}


def _accepts(tp: Any, node: yaml.Node) -> bool:
    origin = typing.get_origin(tp)
    if origin is tuple:
        return isinstance(node, yaml.SequenceNode)
    if origin is dict or dataclasses.is_dataclass(tp):
        return isinstance(node, yaml.MappingNode)
    if not isinstance(node, yaml.ScalarNode):
        return False
    if tp is bool:
        return node.tag == _BOOL
    if tp is int:
        return node.tag == _INT
    return node.tag in (_STR, _FLOAT, _BOOL) or origin is Literal


def _describe(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is tuple:
        return "a list"
    if origin is dict or dataclasses.is_dataclass(tp):
        return "a mapping"
    if origin is Literal:
        return "one of " + ", ".join(str(a) for a in typing.get_args(tp))
    return {str: "a string", int: "an integer", bool: "true or false"}.get(tp, str(tp))


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    return {
        _STR: f"the string {excerpt(node.value)}",
        _INT: f"the number {shown(node.value)}",
        _FLOAT: f"the number {shown(node.value)}",
        _BOOL: f"the boolean {node.value}",
        _NULL: "nothing (null)",
    }.get(node.tag, excerpt(node.value))


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice a typo most likely meant, if one is close enough. Only among a few hundred short names: difflib's
    cost grows with both, and a generated file can hold thousands (a typo is short, and among few names)."""
    options = list(choices)
    if len(word) > _MAX_TYPO_CHARS or len(options) > _MAX_TYPO_CHOICES:
        return None
    close = difflib.get_close_matches(word, [c for c in options if len(c) <= _MAX_TYPO_CHARS], n=1, cutoff=0.6)
    return close[0] if close else None


_MAX_TYPO_CHARS = 100
_MAX_TYPO_CHOICES = 500


def _did_you_mean(word: str, choices: list[str]) -> str:
    match = closest(word, choices)
    return f"; did you mean {match!r}?" if match else ""


def parse(text: str, file: str, root: Path) -> Located:
    """Parse and validate config text. Raises ConfigError listing every problem, each with file:line:column."""
    if len(text) > MAX_CONFIG_BYTES:  # `load` has checked the bytes; text from elsewhere is bounded too
        raise ConfigError([size_problem(file, len(text), MAX_CONFIG_BYTES, CONFIG_HINT, unit="characters")])
    try:
        over = Budget(file).problem(text)
        if over is not None:
            raise ConfigError([over])
        documents = list(yaml.compose_all(text, Loader=YAML_LOADER))
    except yaml.MarkedYAMLError as exc:
        mark: Any = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or "cannot be parsed"
        context = f" ({exc.context})" if exc.context else ""
        raise ConfigError([Problem(file, line, column, f"invalid YAML: {what}{context}")]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([Problem(file, 1, 1, f"invalid YAML: {exc}")]) from None
    except UnicodeEncodeError as exc:  # text not read from a file (that is UTF-8 already): a lone surrogate
        line = text.count("\n", 0, exc.start) + 1
        raise ConfigError([Problem(file, line, 1, f"not valid text: {exc.reason}")]) from None
    if not documents or documents[0] is None:
        raise ConfigError([Problem(file, 1, 1, "the file is empty; run `releasekit init` to write a starting point")])
    if len(documents) > 1:
        starts = [e.start_mark for e in yaml.parse(text, Loader=YAML_LOADER) if isinstance(e, yaml.DocumentStartEvent)]
        mark = starts[1] if len(starts) > 1 else documents[1].start_mark
        raise ConfigError([Problem(file, mark.line + 1, 1, "expected one YAML document, found several ('---')")])
    builder = _Builder(file)
    try:
        config = builder.build(model.Config, documents[0], (), "config")
    except _TooManyProblems:
        raise ConfigError(builder.problems, more=True) from None
    if builder.problems or config is _INVALID:
        raise ConfigError(builder.problems)
    located = Located(config=config, file=file, root=root, positions=builder.positions)
    from releasekit.config.checks import semantic_problems

    problems = semantic_problems(located)
    if problems:
        raise ConfigError(problems)
    return located


def load(path: Path) -> Located:
    """Load `releasekit.yaml` from disk; the file name in messages is as the user gave it."""
    try:
        raw = read_bounded(path, MAX_CONFIG_BYTES, str(path), CONFIG_HINT).decode("utf-8")
        text = raw.replace("\r\n", "\n").replace("\r", "\n")  # universal newlines, as read_text() reads
    except FileNotFoundError:
        raise ConfigError(
            [Problem(str(path), 1, 1, "not found; run `releasekit init` here, or pass --config PATH")]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(str(path), 1, 1, f"cannot be read: {exc}")]) from None
    return parse(text, str(path), path.parent.resolve())
