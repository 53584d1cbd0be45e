"""Validate and compile GitHub Actions filter patterns and release-asset file globs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from releasekit.errors import excerpt

__all__ = ["filter_pattern_error", "filter_pattern_to_regex", "glob_error"]

# Characters git forbids anywhere in a ref name (``man git-check-ref-format``), besides control
# characters, which are checked separately.
_REF_FORBIDDEN = {
    " ": "a space",
    "~": "'~'",
    "^": "'^'",
    ":": "':'",
    "\\": "a backslash",
    "*": "a literal '*'",
    "?": "a literal '?'",
    "[": "a literal '['",
}
_REF_FORBIDDEN_SEQUENCES = {"..": "'..'", "@{": "'@{'", "//": "'//'"}
_CLASS_RANGES = (("a", "z"), ("A", "Z"), ("0", "9"))
_NOT_IN_REFS = "which git forbids in branch/tag names"

_TokenKind = Literal["char", "star", "globstar", "quant", "class"]


@dataclass(frozen=True)
class _Token:
    """One element of a filter pattern: a literal character, a wildcard, a quantifier or a class."""

    kind: _TokenKind
    text: str  # the literal character, the quantifier, or the class as a regex
    pos: int  # 1-based column of the token in the pattern


class _PatternError(ValueError):
    """A syntax error in a filter pattern; its message is shown to the user as is."""


def filter_pattern_error(pattern: str, *, kind: Literal["ref", "path"] = "ref") -> str | None:
    """Return None if ``pattern`` is a valid branch/tag (``kind="ref"``) or path filter, else the problem.

    The syntax is GitHub's "Filter pattern cheat sheet" (see ``filter_pattern_to_regex``). For refs
    the literal parts must also be possible in git ref names (``man git-check-ref-format``); for
    paths a leading ``/`` or ``./`` is refused because GitHub matches paths relative to the root.
    """
    try:
        tokens = _tokenize(pattern)
        if kind == "ref":
            _check_ref_chars(pattern, tokens)
            _check_ref_shape(pattern, tokens)
        else:
            _check_path(pattern, tokens)
    except _PatternError as exc:
        return str(exc)
    return None


def filter_pattern_to_regex(pattern: str) -> re.Pattern[str]:
    """Compile a GitHub Actions branch, tag or path filter pattern to a regex matching whole names.

    The rules are those of the "Filter pattern cheat sheet" in GitHub's "Workflow syntax for GitHub
    Actions" documentation:

    * ``*`` matches zero or more characters except ``/``;
    * ``**`` matches zero or more of any character, ``/`` included; ``**/`` may also match nothing,
      so ``**/README.md`` matches ``README.md`` as the cheat sheet's examples show;
    * ``?`` matches zero or one of the preceding character (or ``[...]`` class);
    * ``+`` matches one or more of the preceding character (or class);
    * ``[...]`` matches one character listed or in a range (``a-z``, ``A-Z``, ``0-9``);
    * ``\\`` makes the next character literal;
    * a leading ``!`` negates the pattern within its list: it is not part of the match and is
      dropped here, the caller checks ``pattern.startswith("!")``.

    Matching is case-sensitive. The returned regex is anchored at both ends, so ``.match`` and
    ``.search`` both test the whole name. Raises ValueError for an invalid pattern (the message
    is the one ``filter_pattern_error(pattern, kind="path")`` gives for syntax errors).
    """
    try:
        tokens = _tokenize(pattern)
    except _PatternError as exc:
        raise ValueError(str(exc)) from None
    parts: list[str] = []
    skip_slash = False
    for index, token in enumerate(tokens):
        if skip_slash:
            skip_slash = False
            continue
        if token.kind == "char":
            parts.append(re.escape(token.text))
        elif token.kind == "star":
            parts.append("[^/]*")
        elif token.kind == "globstar":
            skip_slash = _is_slash(tokens, index + 1) and not _is_quant(tokens, index + 2)
            parts.append("(?:.*/)?" if skip_slash else ".*")
        else:  # "quant" and "class" are regex text already
            parts.append(token.text)
    return re.compile(r"\A(?:" + "".join(parts) + r")\Z", re.DOTALL)


def glob_error(pattern: str) -> str | None:
    """Return None if ``pattern`` is a usable relative file-system glob for release assets, else the problem.

    Release asset globs are relative to the repository root and use ``/`` as separator, e.g.
    ``dist/*.whl`` or ``src-tauri/target/release/bundle/**/*.dmg``.
    """
    return _glob_path_error(pattern) or _glob_bracket_error(pattern)


def _glob_path_error(pattern: str) -> str | None:
    if not pattern:
        return "glob is empty; give a path relative to the repository root, e.g. 'dist/*.whl'"
    if pattern != pattern.strip():
        return f"glob {excerpt(pattern)} starts or ends with whitespace; remove it"
    if pattern.startswith(("/", "\\")) or re.match(r"[A-Za-z]:[\\/]", pattern):
        return f"glob {excerpt(pattern)} is an absolute path; make it relative to the repository root"
    if "\\" in pattern:
        return f"glob {excerpt(pattern)} uses '\\' as a separator; use '/' instead"
    if ".." in pattern.split("/"):
        return f"glob {excerpt(pattern)} contains a '..' segment; assets must be inside the repository"
    return None


def _glob_bracket_error(pattern: str) -> str | None:
    open_at: int | None = None
    for index, char in enumerate(pattern):
        if char == "[" and open_at is not None:
            return f"glob {excerpt(pattern)} opens '[' inside another '[...]'; close the first one"
        if char == "[":
            open_at = index
        elif char == "]" and open_at is None:
            return f"glob {excerpt(pattern)} has ']' without a matching '['"
        elif char == "]":
            if index - 1 == open_at:
                return f"glob {excerpt(pattern)} has an empty '[]', which matches nothing"
            open_at = None
    if open_at is not None:
        return f"glob {excerpt(pattern)} has '[' without a matching ']'"
    return None


def _is_slash(tokens: list[_Token], index: int) -> bool:
    return index < len(tokens) and tokens[index].kind == "char" and tokens[index].text == "/"


def _is_quant(tokens: list[_Token], index: int) -> bool:
    return index < len(tokens) and tokens[index].kind == "quant"


def _tokenize(pattern: str) -> list[_Token]:
    """Split a filter pattern into tokens, raising _PatternError on a syntax error."""
    _check_whole(pattern)
    tokens: list[_Token] = []
    index = 1 if pattern.startswith("!") else 0
    while index < len(pattern):
        index = _next_token(pattern, index, tokens)
    return tokens


def _check_whole(pattern: str) -> None:
    if not pattern:
        raise _PatternError("pattern is empty; use '**' to match everything")
    if pattern != pattern.strip():
        raise _PatternError(f"pattern {excerpt(pattern)} starts or ends with whitespace; remove it")
    if "\n" in pattern or "\r" in pattern:
        raise _PatternError(f"pattern {excerpt(pattern)} contains a line break; give one pattern per list item")
    if pattern == "!":
        raise _PatternError("pattern '!' negates nothing; put a pattern after it, e.g. '!docs/**'")


def _next_token(pattern: str, index: int, tokens: list[_Token]) -> int:
    """Append the token starting at ``index`` to ``tokens`` and return the index after it."""
    char = pattern[index]
    pos = index + 1
    if char == "\\":
        if index + 1 == len(pattern):
            raise _PatternError(
                f"pattern {excerpt(pattern)} ends with a lone '\\'; put the character to escape after it, "
                "or write '\\\\' for a literal backslash"
            )
        tokens.append(_Token("char", pattern[index + 1], pos))
        return index + 2
    if char == "*":
        if pattern.startswith("**", index):
            tokens.append(_Token("globstar", "**", pos))
            return index + 2
        tokens.append(_Token("star", "*", pos))
        return index + 1
    if char in "?+":
        if not tokens or tokens[-1].kind not in ("char", "class"):
            raise _PatternError(
                f"pattern {excerpt(pattern)}: '{char}' at column {pos} repeats the preceding character, "
                f"but there is none to repeat; write '\\{char}' for a literal '{char}'"
            )
        tokens.append(_Token("quant", char, pos))
        return index + 1
    if char == "[":
        regex, after = _parse_class(pattern, index)
        tokens.append(_Token("class", regex, pos))
        return after
    if char == "]":
        raise _PatternError(
            f"pattern {excerpt(pattern)} has ']' at column {pos} without a matching '['; write '\\]' for a literal ']'"
        )
    tokens.append(_Token("char", char, pos))
    return index + 1


def _parse_class(pattern: str, open_at: int) -> tuple[str, int]:
    """Parse the ``[...]`` starting at ``open_at``; return its regex and the index after ``]``."""
    unclosed = f"pattern {excerpt(pattern)} has '[' at column {open_at + 1} without a matching ']'"
    members: list[str] = []  # single characters, or two-character ranges such as "az"
    index = open_at + 1
    while True:
        if index >= len(pattern):
            raise _PatternError(unclosed)
        char = pattern[index]
        if char == "]":
            break
        if char == "\\":
            index += 1
            if index == len(pattern):
                raise _PatternError(unclosed)
            char = pattern[index]
        if pattern.startswith("-", index + 1) and index + 2 < len(pattern):
            members.append(_parse_range(pattern, char, pattern[index + 2]))
            index += 3
        else:
            members.append(char)
            index += 1
    if not members:
        raise _PatternError(f"pattern {excerpt(pattern)} has an empty '[]' at column {open_at + 1}; it matches nothing")
    if len(members) == 1 and len(members[0]) == 1:
        only = members[0]
        fix = "write it without brackets" if only.isalnum() else f"escape it as '\\{only}'"
        raise _PatternError(f"pattern {excerpt(pattern)}: '[{only}]' matches a single character; {fix}")
    body = "".join(re.escape(m) if len(m) == 1 else f"{re.escape(m[0])}-{re.escape(m[1])}" for m in members)
    return f"[{body}]", index + 1


def _parse_range(pattern: str, start: str, end: str) -> str:
    """Check the class range ``start-end`` and return it as the two-character string ``start + end``."""
    if end == "]":
        raise _PatternError(
            f"pattern {excerpt(pattern)}: range '{start}-' has no end; write '{start}-x', or put '-' first in []"
        )
    low, high = sorted((start, end))
    if not any(first <= low and high <= last for first, last in _CLASS_RANGES):
        raise _PatternError(f"pattern {excerpt(pattern)}: range '{start}-{end}' must stay within a-z, A-Z or 0-9")
    if start > end:
        raise _PatternError(f"pattern {excerpt(pattern)}: range '{start}-{end}' is reversed; write '{end}-{start}'")
    return start + end


def _skeleton(tokens: list[_Token]) -> str:
    """The literal characters of a pattern, with each wildcard, quantifier or class replaced by NUL."""
    return "".join(t.text if t.kind == "char" else "\0" for t in tokens)


def _check_path(pattern: str, tokens: list[_Token]) -> None:
    """Reject path patterns that can never match: GitHub matches paths relative to the repository root."""
    skeleton = _skeleton(tokens)
    if skeleton.startswith(("/", "./")):
        prefix = skeleton[: skeleton.index("/") + 1]
        raise _PatternError(
            f"pattern {excerpt(pattern)} starts with '{prefix}', but paths are matched relative to the "
            "repository root; remove it"
        )


def _check_ref_chars(pattern: str, tokens: list[_Token]) -> None:
    """Reject literal characters that can never appear in a git ref name."""
    for token in tokens:
        if token.kind != "char":
            continue
        what = _REF_FORBIDDEN.get(token.text)
        if what is None and (ord(token.text) < 32 or ord(token.text) == 127):
            what = f"control character {excerpt(token.text)}"
        if what is not None:
            raise _PatternError(
                f"pattern {excerpt(pattern)}: {what} at column {token.pos} is not allowed in git branch/tag names"
            )


def _check_ref_shape(pattern: str, tokens: list[_Token]) -> None:
    """Reject literal sequences and name shapes that ``git check-ref-format`` refuses."""
    skeleton = _skeleton(tokens)
    parts = skeleton.split("/")
    problems = [
        *(f"contains {what}" for sequence, what in _REF_FORBIDDEN_SEQUENCES.items() if sequence in skeleton),
        *(["starts with '/'"] if skeleton.startswith("/") else []),
        *(["ends with '/'"] if skeleton.endswith("/") else []),
        *(["ends with '.'"] if skeleton.endswith(".") else []),
        *(["is just '@'"] if skeleton == "@" else []),
        *(f"has a component '{p}' starting with '.'" for p in parts if p.startswith(".")),
        *(f"has a component '{p}' ending with '.lock'" for p in parts if p.endswith(".lock")),
    ]
    if problems:
        raise _PatternError(f"pattern {excerpt(pattern)} {problems[0].replace(chr(0), '*')}, {_NOT_IN_REFS}")
