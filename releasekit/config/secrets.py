"""Recognise values that look like secrets so that configuration files and generated files can refuse them."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from releasekit.errors import excerpt

__all__ = ["find_secrets_in_text", "secret_reason", "shannon_entropy"]

# Name-based rule: a long, random-looking value under one of these names is refused.
_SECRET_NAME_SUFFIXES = (
    "_KEY",
    "_TOKEN",
    "_SECRET",
    "_PASSWORD",
    "_PASS",
    "_PWD",
    "_CREDENTIALS",
    "_API_KEY",
)
_SECRET_NAMES = frozenset({"PASSWORD", "TOKEN", "SECRET"})
_MIN_SECRET_LENGTH = 16
_MIN_SECRET_ENTROPY = 3.0  # bits per character

_ALNUM = "A-Za-z0-9"


NEVER_A_SECRET = (
    "Never write a secret in releasekit.yaml: remove it, rotate it if it was ever committed, store it as a "
    "repository secret, declare its name under env.secrets and refer to it by name"
)


def _looks_random(body: str) -> bool:
    """Tell whether ``body`` mixes character kinds the way generated keys do (not a hyphenated phrase)."""
    kinds = sum((any(c.islower() for c in body), any(c.isupper() for c in body), any(c.isdigit() for c in body)))
    return kinds >= 2


def _password_is_literal(match: re.Match[str]) -> bool:
    """Skip URL passwords that are references or placeholders: ``$X``, ``${{ x }}``, ``<x>``, ``***``."""
    password = match.group("password")
    return not (password[0] in "$%<{" or set(password) <= set("*xX"))


@dataclass(frozen=True)
class _Rule:
    regex: re.Pattern[str]
    reason: str
    accept: Callable[[re.Match[str]], bool] | None = None  # extra check on a match, to cut false positives


def _token(prefix: str, body: str, reason: str, *, tail: str = _ALNUM + "_") -> _Rule:
    """A token that starts at a word boundary and ends where its alphabet ends."""
    return _Rule(re.compile(rf"(?<![{_ALNUM}_-]){prefix}{body}(?![{tail}])"), reason)


# Order matters: the first rule that matches a string gives its reason (sk-ant- before sk-).
_RULES: tuple[_Rule, ...] = (
    _token("ghp_", f"[{_ALNUM}]{{36,251}}", "looks like a GitHub personal access token (ghp_...)"),
    _token("gho_", f"[{_ALNUM}]{{36,251}}", "looks like a GitHub OAuth access token (gho_...)"),
    _token("ghu_", f"[{_ALNUM}]{{36,251}}", "looks like a GitHub App user access token (ghu_...)"),
    _token("ghs_", f"[{_ALNUM}]{{36,251}}", "looks like a GitHub App installation token (ghs_...)"),
    _token("ghr_", f"[{_ALNUM}]{{36,251}}", "looks like a GitHub App refresh token (ghr_...)"),
    _token(
        "github_pat_",
        f"[{_ALNUM}_]{{22,}}",
        "looks like a GitHub fine-grained personal access token (github_pat_...)",
    ),
    _token("gsk_", f"[{_ALNUM}]{{40,}}", "looks like a Groq API key (gsk_...)"),
    _token("sk-ant-", f"[{_ALNUM}_-]{{20,}}", "looks like an Anthropic API key (sk-ant-...)", tail=_ALNUM + "_-"),
    _token(
        "sk-proj-",
        f"[{_ALNUM}_-]{{20,}}",
        "looks like an OpenAI project API key (sk-proj-...)",
        tail=_ALNUM + "_-",
    ),
    _Rule(
        re.compile(rf"(?<![{_ALNUM}_-])sk-(?P<body>[{_ALNUM}_-]{{20,}})(?![{_ALNUM}_-])"),
        "looks like an OpenAI-style API key (sk-...)",
        lambda m: _looks_random(m.group("body")),
    ),
    _Rule(
        re.compile(r"(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])"),
        "looks like an AWS access key id (AKIA.../ASIA...)",
    ),
    _token("xox[abposr]-", f"[{_ALNUM}-]{{10,}}", "looks like a Slack token (xox?-...)", tail=_ALNUM + "_-"),
    _token("sk_live_", f"[{_ALNUM}]{{16,}}", "looks like a Stripe live secret key (sk_live_...)"),
    _token("rk_live_", f"[{_ALNUM}]{{16,}}", "looks like a Stripe live restricted key (rk_live_...)"),
    _token("AIza", f"[{_ALNUM}_-]{{35}}", "looks like a Google API key (AIza...)", tail=_ALNUM + "_-"),
    _Rule(
        re.compile(r"-{5}BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-{5}"),
        "contains a private key block (-----BEGIN ... PRIVATE KEY-----)",
    ),
    _token(
        "eyJ",
        r"[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{10,}",
        "looks like a JSON Web Token (eyJ....)",
        tail=_ALNUM + "_-",
    ),
    _Rule(
        re.compile(r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*:(?P<password>[^\s/@]+)@[^\s/@]"),
        "is a URL with a password in it (user:password@ before the host)",
        _password_is_literal,
    ),
)

# Any rule's match is a match of this one: a value it does not match (nearly all) is cleared in one scan, not 18.
_ANY_RULE = re.compile("|".join(f"(?:{rule.regex.pattern})" for rule in _RULES))

# Values that are obviously not secrets, for the name-based rule.
_REFERENCE = re.compile(
    r"\$\{\{.*\}\}"  # a GitHub expression anywhere, e.g. ${{ secrets.NAME }}
    r"|\$[A-Za-z_][A-Za-z0-9_]*|\$\{[A-Za-z_][A-Za-z0-9_]*\}|%[A-Za-z_][A-Za-z0-9_]*%"  # env variables
    r"|(?:secrets|env|vars)\.[A-Za-z_][A-Za-z0-9_-]*"  # a context reference without ${{ }}
    r"|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+",  # the NAME of a secret or variable, e.g. RELEASE_TOKEN
    re.DOTALL,
)
_PUBLIC_KEY = re.compile(
    r"(?:ssh-(?:rsa|dss|ed25519)|ecdsa-sha2-\S+|sk-(?:ssh|ecdsa)-\S+) |-{5}BEGIN (?:PUBLIC KEY|CERTIFICATE)"
)
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+")
_PATH_START = re.compile(r"(?:/|\./|\.\./|~/|[A-Za-z]:[\\/])")
_FILE_EXTENSION = re.compile(
    r"\.(?:pem|key|crt|cer|der|p12|pfx|jks|keystore|asc|gpg|pub|json|ya?ml|toml|ini|cfg|conf|env|txt)$",
    re.IGNORECASE,
)
_PATH_SEGMENT = re.compile(r"[\w.@+~-]*")
_PLAIN_WORD = re.compile(r"[a-z]+|[A-Z]+|[A-Z][a-z]+")  # lower, UPPER or Capitalized; not rAnDoM


def secret_reason(name: str, value: str) -> str | None:
    """Return None if ``value`` may be written in a config file under ``name``, else why it looks secret.

    Token-shaped values (GitHub, Groq, OpenAI, Anthropic, AWS, Slack, Stripe and Google keys,
    private key blocks, JWTs, URLs with a password) are refused under any name. Under a name
    such as ``*_TOKEN``, ``*_KEY`` or ``PASSWORD``, any value of 16 or more characters with a
    Shannon entropy of at least 3 bits per character is refused too, unless it is obviously
    not a secret: a reference (``${{ secrets.X }}``, ``$X``, a secret's NAME), a public key,
    a file path, a URL without credentials, or plain words.

    Each reason is a verb phrase ("looks like ...", "is a URL ...", "contains ...") that reads
    after "this value".
    """
    reason = _first_reason(value)
    if reason is not None:
        return reason
    if not name or not _is_secret_name(name):
        return None
    text = value.strip()
    if len(text) < _MIN_SECRET_LENGTH or _is_obviously_not_secret(text):
        return None
    entropy = shannon_entropy(text)
    if entropy < _MIN_SECRET_ENTROPY:
        return None
    return (
        f"looks like a secret ({len(text)} random-looking characters, {entropy:.1f} bits of entropy each, "
        f"under the name {excerpt(name)})"
    )


def find_secrets_in_text(text: str) -> list[tuple[int, str]]:
    """Return ``(line number, reason)`` for each token-shaped secret in ``text``, line numbers 1-based.

    Only the token shapes of ``secret_reason`` are looked for (no entropy guess), so
    ``${{ secrets.NAME }}`` references and 40-hex commit SHAs are not reported. A reason is
    reported once per line even if it matches several times there.
    """
    found: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        for rule in _RULES:
            if any(_accepted(rule, match) for match in rule.regex.finditer(line)):
                found.append((number, rule.reason))
    return found


def shannon_entropy(value: str) -> float:
    """Return the Shannon entropy of ``value`` in bits per character (0.0 for an empty string)."""
    if not value:
        return 0.0
    total = len(value)
    return sum(count / total * math.log2(total / count) for count in Counter(value).values())


def _accepted(rule: _Rule, match: re.Match[str]) -> bool:
    return rule.accept is None or rule.accept(match)


def _first_reason(value: str) -> str | None:
    if _ANY_RULE.search(value) is None:
        return None
    for rule in _RULES:
        if any(_accepted(rule, match) for match in rule.regex.finditer(value)):
            return rule.reason
    return None


def _is_secret_name(name: str) -> bool:
    """Tell whether ``name`` (any case, snake_case, kebab-case or camelCase) names a secret."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name.strip())
    normal = re.sub(r"[-. ]", "_", snake).upper()
    if "PUBLIC" in normal:
        return False
    return normal in _SECRET_NAMES or normal.endswith(_SECRET_NAME_SUFFIXES)


def _is_obviously_not_secret(value: str) -> bool:
    return bool(
        _REFERENCE.fullmatch(value)
        or "${{" in value
        or _PUBLIC_KEY.match(value)
        or _URL.fullmatch(value)
        or _is_path(value)
        or all(_PLAIN_WORD.fullmatch(word) for word in re.split(r"[-_. ]", value))
    )


def _is_path(value: str) -> bool:
    """A file path: it starts like one (``/``, ``./``, ``~/``, ``C:\\``) or ends with a key-file extension."""
    if not (_PATH_START.match(value) or _FILE_EXTENSION.search(value)):
        return False
    segments = [s for s in re.split(r"[\\/]", value) if s and s != "~" and not re.fullmatch(r"[A-Za-z]:", s)]
    return all(_PATH_SEGMENT.fullmatch(s) and not _random_segment(s) for s in segments)


def _random_segment(segment: str) -> bool:
    """A long path segment without separators that mixes letters and digits is more likely part of a key."""
    return len(segment) >= 20 and not re.search(r"[-_. ]", segment) and _looks_random(segment)
