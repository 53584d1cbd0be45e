"""Evaluate GitHub Actions expressions (the inside of `${{ }}`) with the semantics of GitHub's own evaluator.

The rules follow GitHub's "Evaluate expressions in workflows and actions" documentation and its reference
implementation (actions/languageservices, `expressions/`): loose equality with number coercion, case-insensitive
string comparison, `&&`/`||` returning operand values, numbers printed like JavaScript, arrays and objects printed
as `Array`/`Object` when interpolated. Pure functions only: no I/O.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import TypeAlias

__all__ = [
    "ExprContext",
    "condition_holds",
    "evaluate",
    "evaluate_template",
    "expression_error",
    "interpolate",
    "referenced_contexts",
    "split_template",
    "stringify",
    "to_jsonable",
    "truthy",
]


@dataclass(frozen=True)
class ExprContext:
    """What an expression can see. `secrets` is deliberately absent: every `secrets.X` evaluates to ''."""

    github: Mapping[str, object]
    inputs: Mapping[str, object]
    vars: Mapping[str, str] = field(default_factory=dict)
    matrix: Mapping[str, object] = field(default_factory=dict)
    needs: Mapping[str, str] = field(default_factory=dict)  # job_id -> 'success'|'failure'|'cancelled'|'skipped'
    job_status: str = "success"  # what success()/failure()/cancelled() see


# --- values ------------------------------------------------------------------------------------------------------


class _NoSecrets(Mapping[str, str]):
    """The `secrets` context: every name is present and empty, so no real secret can ever leak into a run."""

    def __getitem__(self, key: str) -> str:
        return ""

    def __contains__(self, key: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


class _Filtered(list[object]):
    """The result of a `.*` object filter; property access on it maps over its items."""


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    return "array" if isinstance(value, (list, tuple)) else "string"  # anything else (a YAML date) reads as its text


_PRIMITIVE = frozenset({"null", "boolean", "number", "string"})
_JS_DECIMAL = re.compile(r"[+-]?(?:Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")
_JS_RADIX = {"0x": 16, "0o": 8, "0b": 2}


def _js_number(text: str) -> float:
    """JavaScript's `Number(text)`: '' is 0, hex/octal/binary prefixes, 'Infinity'; anything else is NaN."""
    text = text.strip()
    if not text:
        return 0.0
    base = _JS_RADIX.get(text[:2].lower())
    if base is not None:
        try:
            return float(int(text[2:], base))
        except ValueError:
            return math.nan
    return float(text) if _JS_DECIMAL.fullmatch(text) else math.nan


def _to_number(value: object) -> float:
    kind = _kind(value)
    if kind == "null":
        return 0.0
    if kind in ("boolean", "number"):
        return float(value)  # type: ignore[arg-type]  # bool and int/float, by _kind
    return _js_number(stringify(value)) if kind == "string" else math.nan


def _plain_number(number: float) -> int | float:
    """Numbers as Python sees them: integral values as int, so `1` is 1 and not 1.0."""
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def _number_str(number: float) -> str:
    """JavaScript's `(+n.toFixed(15)).toString()`, which GitHub uses: 1.0 -> '1', 0.1 + 0.2 -> '0.3'."""
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if abs(number) < 1e21:
        number = float(f"{number:.15f}")
    if number == 0:
        return "0"
    if 1e-6 <= abs(number) < 1e21:
        return format(Decimal(repr(number)).normalize(), "f")
    return re.sub(r"e([+-])0*(\d)", r"e\1\2", repr(number))


def stringify(value: object) -> str:
    """A value as GitHub prints it in `${{ }}`: null -> '', booleans lowercase, arrays/objects as 'Array'/'Object'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _number_str(float(value))
    if isinstance(value, Mapping):
        return "Object"
    if isinstance(value, (list, tuple)):
        return "Array"
    return str(value)


def truthy(value: object) -> bool:
    """Falsy are null, false, 0, NaN and ''; arrays and objects are always truthy."""
    kind = _kind(value)
    if kind == "null":
        return False
    if kind == "boolean":
        return bool(value)
    if kind == "number":
        number = _to_number(value)
        return not (number == 0 or math.isnan(number))
    return kind != "string" or stringify(value) != ""


def to_jsonable(value: object) -> object:
    """Plain JSON data: integral floats as ints (JavaScript prints 1.0 as 1), NaN/Infinity as null."""
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, float):
        return None if not math.isfinite(value) else _plain_number(value)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


def _upper(text: str) -> str:
    # GitHub compares OrdinalIgnoreCase, but leaves the dotless i (U+0131) alone: upper-cased it would equal 'i'.
    return "\u0131".join(part.upper() for part in text.split("\u0131"))


def _coerced(left: object, right: object) -> tuple[str, object, object]:
    """Bring two values to one kind the way GitHub does before comparing; kind 'mismatch' never compares."""
    lk, rk = _kind(left), _kind(right)
    if lk == rk:
        return lk, left, right
    if lk in _PRIMITIVE and rk in _PRIMITIVE:
        return "number", _to_number(left), _to_number(right)
    return "mismatch", left, right


def _equal(left: object, right: object) -> bool:
    kind, lv, rv = _coerced(left, right)
    if kind == "null":
        return True
    if kind in ("number", "boolean"):
        return lv == rv  # NaN == NaN is False, as in GitHub
    if kind == "string":
        return _upper(stringify(lv)) == _upper(stringify(rv))
    return kind != "mismatch" and lv is rv  # arrays and objects: only the same instance


def _less(left: object, right: object) -> bool:
    kind, lv, rv = _coerced(left, right)
    if kind == "number":
        return _to_number(lv) < _to_number(rv)
    if kind == "string":
        return _upper(stringify(lv)) < _upper(stringify(rv))
    if kind == "boolean":
        return not lv and bool(rv)
    return False


_COMPARISONS: dict[str, Callable[[object, object], bool]] = {
    "==": _equal,
    "!=": lambda a, b: not _equal(a, b),
    "<": _less,
    ">": lambda a, b: _less(b, a),
    "<=": lambda a, b: _equal(a, b) or _less(a, b),
    ">=": lambda a, b: _equal(a, b) or _less(b, a),
}


# --- functions ---------------------------------------------------------------------------------------------------


def _contains(search: object, item: object) -> bool:
    if _kind(search) in _PRIMITIVE:
        return _kind(item) in _PRIMITIVE and _upper(stringify(item)) in _upper(stringify(search))
    if isinstance(search, (list, tuple)):
        return any(_equal(item, element) for element in search)
    return False


def _affix(check: Callable[[str, str], bool]) -> Callable[[object, object], bool]:
    def function(text: object, affix: object) -> bool:
        primitive = _kind(text) in _PRIMITIVE and _kind(affix) in _PRIMITIVE
        return primitive and check(_upper(stringify(text)), _upper(stringify(affix)))

    return function


def _format(template: object, *args: object) -> str:
    """`format('{0} {1}', a, b)`, with '{{' and '}}' for literal braces; errors as GitHub words them."""
    text = stringify(template)
    invalid = f"The following format string is invalid: {text}"
    out: list[str] = []
    index = 0
    for match in re.finditer(r"\{\{|\}\}|\{(\d+)[^{}]*\}|[{}]", text):
        out.append(text[index : match.start()])
        index = match.end()
        if match.group(0) in ("{{", "}}"):
            out.append(match.group(0)[0])
        elif match.group(1) is None:
            raise ValueError(invalid)
        elif int(match.group(1)) >= len(args):
            raise ValueError(f"The following format string references more arguments than were supplied: {text}")
        else:
            out.append(stringify(args[int(match.group(1))]))
    return "".join(out) + text[index:]


def _join(values: object, separator: object = ",") -> str:
    if _kind(values) in _PRIMITIVE:
        return stringify(values)
    if not isinstance(values, (list, tuple)):
        return ""
    glue = stringify(separator) if _kind(separator) in _PRIMITIVE else ","
    return glue.join(stringify(v) for v in values)


def _to_json(value: object) -> str:
    return json.dumps(to_jsonable(value), indent=2, ensure_ascii=False)


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")


def _from_json(text: object) -> object:
    source = stringify(text)
    try:
        return json.loads(source, parse_constant=_refuse_constant)
    except ValueError as exc:
        raise ValueError(f"fromJSON: {source!r} is not valid JSON: {exc}") from None


def _hash_files(*patterns: object) -> str:
    raise ValueError("hashFiles() reads the runner's checkout; the sandbox does not evaluate it")


# name (lowercase) -> (minimum arguments, maximum arguments, implementation)
_FUNCTIONS: dict[str, tuple[int, int, Callable[..., object]]] = {
    "contains": (2, 2, _contains),
    "startswith": (2, 2, _affix(str.startswith)),
    "endswith": (2, 2, _affix(str.endswith)),
    "format": (1, 255, _format),
    "join": (1, 2, _join),
    "tojson": (1, 1, _to_json),
    "fromjson": (1, 1, _from_json),
    "hashfiles": (1, 255, _hash_files),
}
_STATUS_FUNCTIONS = frozenset({"always", "success", "failure", "cancelled"})
_CONTEXTS = frozenset(
    {"github", "inputs", "vars", "matrix", "needs", "env", "secrets", "runner", "strategy", "job", "steps"}
)


# --- lexer and parser --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # the operator itself, or 'number', 'string', 'literal', 'ident', 'eof'
    text: str
    value: object
    pos: int  # 1-based, as GitHub reports it


@dataclass(frozen=True, slots=True)
class _Literal:
    value: object


@dataclass(frozen=True, slots=True)
class _Context:
    name: str  # lowercase


@dataclass(frozen=True, slots=True)
class _Index:
    target: _Node
    key: _Node | None  # None for the `*` filter


@dataclass(frozen=True, slots=True)
class _Not:
    operand: _Node


@dataclass(frozen=True, slots=True)
class _Compare:
    op: str
    left: _Node
    right: _Node


@dataclass(frozen=True, slots=True)
class _Logical:
    op: str  # '&&' or '||'
    operands: tuple[_Node, ...]


@dataclass(frozen=True, slots=True)
class _Call:
    name: str  # lowercase
    args: tuple[_Node, ...]


_Node: TypeAlias = "_Literal | _Context | _Index | _Not | _Compare | _Logical | _Call"

_BOUNDARY = frozenset("()[],.!><=&|")
_PAIRS = ("!=", "==", "<=", ">=", "&&", "||")
_KEYWORDS: dict[str, object] = {"true": True, "false": False, "null": None, "NaN": math.nan, "Infinity": math.inf}
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def _error(what: str, token: str, pos: int, expression: str) -> ValueError:
    return ValueError(f"{what}: '{token}'. Located at position {pos} within expression: {expression}")


def _lex(expression: str) -> list[_Token]:
    tokens: list[_Token] = []
    index = 0
    while index < len(expression):
        char = expression[index]
        previous = tokens[-1].kind if tokens else ""
        if char.isspace():
            index += 1
        elif char == "'":
            end = index + 1
            while (end := expression.find("'", end)) != -1 and expression.startswith("''", end):
                end += 2
            if end == -1:
                raise _error("Unexpected symbol", expression[index:], index + 1, expression)
            text = expression[index : end + 1]
            tokens.append(_Token("string", text, text[1:-1].replace("''", "'"), index + 1))
            index = end + 1
        elif expression.startswith(_PAIRS, index):
            tokens.append(_Token(expression[index : index + 2], expression[index : index + 2], None, index + 1))
            index += 2
        elif char in "()[],!<>*" or (char == "." and previous in ("ident", ")", "]", "*")):
            tokens.append(_Token(char, char, None, index + 1))
            index += 1
        else:
            index = _lex_word(expression, index, previous, tokens)
    tokens.append(_Token("eof", "", None, len(expression) + 1))
    return tokens


def _lex_word(expression: str, start: int, previous: str, tokens: list[_Token]) -> int:
    """A number, keyword or identifier: everything up to the next boundary character."""
    numeric = expression[start] in "0123456789+-."
    end = start + 1
    while end < len(expression) and not (
        expression[end].isspace() or (expression[end] in _BOUNDARY and not (numeric and expression[end] == "."))
    ):
        end += 1
    word = expression[start:end]
    if numeric:
        number = _js_number(word)
        if math.isnan(number):
            raise _error("Unexpected symbol", word, start + 1, expression)
        tokens.append(_Token("number", word, _plain_number(number), start + 1))
    elif previous != "." and word in _KEYWORDS:
        tokens.append(_Token("literal", word, _KEYWORDS[word], start + 1))
    elif _IDENTIFIER.fullmatch(word):
        tokens.append(_Token("ident", word, None, start + 1))
    else:
        raise _error("Unexpected symbol", word, start + 1, expression)
    return end


class _Parser:
    """Recursive descent, lowest precedence first: ||, &&, == !=, < <= > >=, !, then . [] and calls."""

    def __init__(self, expression: str) -> None:
        self.expression = expression
        self.tokens = _lex(expression)
        self.index = 0

    def parse(self) -> _Node:
        if self.peek().kind == "eof":
            raise ValueError(f"An expression was expected: '{self.expression}'")
        node = self.expression_()
        if self.peek().kind != "eof":
            raise self.unexpected()
        return node

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self, *kinds: str) -> _Token | None:
        token = self.peek()
        if token.kind in kinds:
            self.index += 1
            return token
        return None

    def expect(self, kind: str) -> _Token:
        token = self.take(kind)
        if token is None:
            raise self.unexpected()
        return token

    def unexpected(self) -> ValueError:
        token = self.peek()
        if token.kind == "eof":
            last = self.tokens[self.index - 1] if self.index else token
            return _error("Unexpected end of expression", last.text, last.pos, self.expression)
        return _error("Unexpected symbol", token.text, token.pos, self.expression)

    def expression_(self) -> _Node:
        return self.logical("||", lambda: self.logical("&&", self.equality))

    def logical(self, op: str, operand: Callable[[], _Node]) -> _Node:
        operands = [operand()]
        while self.take(op):
            operands.append(operand())
        return operands[0] if len(operands) == 1 else _Logical(op, tuple(operands))

    def equality(self) -> _Node:
        node = self.comparison()
        while (token := self.take("==", "!=")) is not None:
            node = _Compare(token.kind, node, self.comparison())
        return node

    def comparison(self) -> _Node:
        node = self.unary()
        while (token := self.take("<", "<=", ">", ">=")) is not None:
            node = _Compare(token.kind, node, self.unary())
        return node

    def unary(self) -> _Node:
        return _Not(self.unary()) if self.take("!") else self.postfix()

    def postfix(self) -> _Node:
        node, indexable = self.primary()
        while indexable:
            if self.take("["):
                key = None if self.take("*") else self.expression_()
                self.expect("]")
            elif self.take("."):
                token = self.take("ident", "*")
                if token is None:
                    raise self.unexpected()
                key = None if token.kind == "*" else _Literal(token.text)
            else:
                break
            node = _Index(node, key)
        return node

    def primary(self) -> tuple[_Node, bool]:
        """The node, and whether `.x`/`[x]` may follow (GitHub allows it after contexts, calls and groups)."""
        if (token := self.take("number", "string", "literal")) is not None:
            return _Literal(token.value), False
        if self.take("("):
            node = self.expression_()
            self.expect(")")
            return node, True
        token = self.expect("ident")
        name = token.text.lower()
        if not self.take("("):
            if name not in _CONTEXTS:
                raise _error("Unrecognized named-value", token.text, token.pos, self.expression)
            return _Context(name), True
        args: list[_Node] = []
        while not self.take(")"):
            args.append(self.expression_())
            if self.peek().kind != ")":
                self.expect(",")
        return self.call(token, args), True

    def call(self, token: _Token, args: list[_Node]) -> _Call:
        name = token.text.lower()
        low, high = (0, 0) if name in _STATUS_FUNCTIONS else _FUNCTIONS.get(name, (-1, -1, None))[:2]
        if low < 0:
            raise _error("Unrecognized function", token.text, token.pos, self.expression)
        if not low <= len(args) <= high:
            few = "Too few parameters supplied" if len(args) < low else "Too many parameters supplied"
            raise _error(few, token.text, token.pos, self.expression)
        return _Call(name, tuple(args))


@lru_cache(maxsize=1024)
def _parse(expression: str) -> _Node:
    return _Parser(expression).parse()


def _walk(node: _Node) -> Iterator[_Node]:
    yield node
    children: tuple[_Node | None, ...] = ()
    if isinstance(node, _Index):
        children = (node.target, node.key)
    elif isinstance(node, _Not):
        children = (node.operand,)
    elif isinstance(node, _Compare):
        children = (node.left, node.right)
    elif isinstance(node, (_Logical, _Call)):
        children = node.operands if isinstance(node, _Logical) else node.args
    for child in children:
        if child is not None:
            yield from _walk(child)


# --- evaluation --------------------------------------------------------------------------------------------------


def _lookup(mapping: Mapping[object, object], key: object) -> tuple[bool, object]:
    """Property access is case-insensitive, as in GitHub's dictionaries; the exact spelling wins."""
    if _kind(key) not in _PRIMITIVE:
        return False, None
    name = stringify(key)
    if name in mapping:
        return True, mapping[name]
    folded = name.lower()
    for candidate, value in mapping.items():
        if isinstance(candidate, str) and candidate.lower() == folded:
            return True, value
    return False, None


def _position(key: object) -> int | None:
    number = _to_number(key)
    return math.floor(number) if math.isfinite(number) and number >= 0 else None


def _item(target: object, key: object, star: bool) -> tuple[bool, object]:
    """One step of `a.b` / `a[b]` / `a.*`; (False, None) when there is nothing there."""
    if isinstance(target, Mapping):
        return (True, _Filtered(target.values())) if star else _lookup(target, key)
    if isinstance(target, (list, tuple)):
        if star:
            return True, _Filtered(target)
        position = _position(key)
        return (True, target[position]) if position is not None and position < len(target) else (False, None)
    return (True, _Filtered()) if star else (False, None)


def _index(target: object, key: object, star: bool) -> object:
    if not isinstance(target, _Filtered):
        return _item(target, key, star)[1]
    out = _Filtered()
    for element in target:
        if isinstance(element, (Mapping, list, tuple)):
            found, value = _item(element, key, star)
            if isinstance(value, _Filtered) and star:
                out.extend(value)
            elif found:
                out.append(value)
    return out


class _Evaluator:
    def __init__(self, ctx: ExprContext) -> None:
        self.ctx = ctx
        github = dict(ctx.github)
        event = github.get("event")
        event = dict(event) if isinstance(event, Mapping) else {}
        if "inputs" not in event and ctx.inputs:
            # On a dispatch, github.event.inputs mirrors inputs, but as the strings the API received.
            event["inputs"] = {name: stringify(value) for name, value in ctx.inputs.items()}
        github["event"] = event
        self.contexts: dict[str, object] = {
            "github": github,
            "inputs": ctx.inputs,
            "vars": ctx.vars,
            "matrix": ctx.matrix,
            "needs": {job: {"result": result, "outputs": {}} for job, result in ctx.needs.items()},
            "env": {},
            "secrets": _NoSecrets(),
            "runner": {"os": "Linux", "arch": "X64", "name": "releasekit-sandbox", "temp": "/tmp"},
            "strategy": {},
            "job": {},
            "steps": {},
        }

    def status(self, name: str) -> bool:
        results = self.ctx.needs.values()
        if name == "always":
            return True
        if name == "cancelled":
            return self.ctx.job_status == "cancelled"
        if name == "failure":
            return self.ctx.job_status == "failure" or "failure" in results
        return self.ctx.job_status == "success" and all(result == "success" for result in results)

    def eval(self, node: _Node) -> object:
        if isinstance(node, _Literal):
            return node.value
        if isinstance(node, _Context):
            return self.contexts[node.name]
        if isinstance(node, _Index):
            key = None if node.key is None else self.eval(node.key)
            return _index(self.eval(node.target), key, node.key is None)
        if isinstance(node, _Not):
            return not truthy(self.eval(node.operand))
        if isinstance(node, _Compare):
            return _COMPARISONS[node.op](self.eval(node.left), self.eval(node.right))
        if isinstance(node, _Logical):
            value: object = None
            for operand in node.operands:
                value = self.eval(operand)
                if truthy(value) == (node.op == "||"):
                    break
            return value
        if node.name in _STATUS_FUNCTIONS:
            return self.status(node.name)
        result = _FUNCTIONS[node.name][2](*(self.eval(arg) for arg in node.args))
        return _plain_number(result) if isinstance(result, float) else result


def evaluate(expression: str, ctx: ExprContext) -> object:
    """Evaluate the inside of a `${{ }}`. Raises ValueError for a syntax error or an unknown function/context."""
    return _Evaluator(ctx).eval(_parse(expression.strip()))


# --- templates ---------------------------------------------------------------------------------------------------


def split_template(text: str) -> list[tuple[bool, str]]:
    """Split text into (is_expression, part) pieces; a `}}` inside a quoted string does not close an expression."""
    parts: list[tuple[bool, str]] = []
    index = 0
    while (start := text.find("${{", index)) != -1:
        if start > index:
            parts.append((False, text[index:start]))
        end, quoted = start + 3, False
        while end < len(text) and (quoted or not text.startswith("}}", end)):
            quoted ^= text[end] == "'"
            end += 1
        if end >= len(text):
            raise ValueError(
                f"The expression is not closed. An unescaped ${{{{ sequence was found, but the closing }}}} "
                f"sequence was not found: {text}"
            )
        parts.append((True, text[start + 3 : end].strip()))
        index = end + 2
    if index < len(text):
        parts.append((False, text[index:]))
    return parts


def interpolate(text: str, ctx: ExprContext) -> str:
    """Replace each `${{ ... }}` in text with its value's string form."""
    return "".join(stringify(evaluate(part, ctx)) if is_expr else part for is_expr, part in split_template(text))


def evaluate_template(value: object, ctx: ExprContext) -> object:
    """A workflow value after expressions: a string that is one whole `${{ }}` keeps the value's type (a list stays
    a list); other strings are interpolated; lists and mappings are evaluated item by item."""
    if isinstance(value, str):
        parts = split_template(value.strip()) if "${{" in value else []
        if len(parts) == 1 and parts[0][0]:
            return evaluate(parts[0][1], ctx)
        return interpolate(value, ctx) if parts else value
    if isinstance(value, Mapping):
        return {k: evaluate_template(v, ctx) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [evaluate_template(v, ctx) for v in value]
    return value


def referenced_contexts(text: str) -> frozenset[str]:
    """The contexts (lowercase: 'matrix', 'inputs', ...) the `${{ }}` expressions in text refer to."""
    return frozenset(
        node.name
        for is_expr, part in split_template(text)
        if is_expr
        for node in _walk(_parse(part))
        if isinstance(node, _Context)
    )


def expression_error(text: str, *, bare: bool = False) -> str | None:
    """None if every expression in text parses (the whole text, when `bare`, as an `if:` may be), else the error."""
    try:
        for is_expr, part in [(True, text)] if bare and "${{" not in text else split_template(text):
            if is_expr:
                _parse(part)
    except ValueError as exc:
        return str(exc)
    return None


def condition_holds(condition: str | None, ctx: ExprContext) -> bool:
    """A job's `if:`. Without a status function it means `success() && (condition)`; None means `success()`.

    A condition that mixes `${{ }}` with other text is a string, hence true when not empty, as on GitHub.
    """
    text = (condition or "").strip() or "success()"
    parts = split_template(text) if "${{" in text else [(True, text)]
    evaluator = _Evaluator(ctx)
    if len(parts) != 1 or not parts[0][0]:
        return evaluator.status("success") and interpolate(text, ctx) != ""
    node = _parse(parts[0][1])
    if not any(isinstance(n, _Call) and n.name in _STATUS_FUNCTIONS for n in _walk(node)):
        return evaluator.status("success") and truthy(evaluator.eval(node))
    return truthy(evaluator.eval(node))
