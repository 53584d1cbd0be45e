"""Tests for releasekit.config.secrets.

Every fake token is generated when the test runs, so that no token-shaped string is in this file.
"""

from __future__ import annotations

import base64
import json
import random
import string
import uuid
from collections.abc import Callable

import pytest

from releasekit.config.secrets import find_secrets_in_text, secret_reason, shannon_entropy

ALNUM = string.ascii_letters + string.digits
UPPER_ALNUM = string.ascii_uppercase + string.digits
URLSAFE = ALNUM + "-_"
HEX = "0123456789abcdef"
_RNG = random.Random(1234)


def chars(count: int, alphabet: str = ALNUM) -> str:
    """``count`` random characters; mixes letter cases and digits whenever the alphabet has them."""
    while True:
        text = "".join(_RNG.choices(alphabet, k=count))
        if count < 8 or _kinds(text) == _kinds(alphabet):
            return text


def _kinds(text: str) -> tuple[bool, bool, bool]:
    return (
        any(c.islower() for c in text),
        any(c.isupper() for c in text),
        any(c.isdigit() for c in text),
    )


def b64url_json(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def fake_jwt() -> str:
    header = b64url_json({"alg": "HS256", "typ": "JWT"})
    payload = b64url_json({"sub": "1234567890", "name": "Mona"})
    return f"{header}.{payload}.{chars(43, URLSAFE)}"


def private_key_block(kind: str) -> str:
    dashes = "-" * 5
    label = f"{kind} PRIVATE KEY".strip()
    body = "\n".join(chars(64, ALNUM + "+/") for _ in range(3))
    return f"{dashes}BEGIN {label}{dashes}\n{body}\n{dashes}END {label}{dashes}"


# (factory, words expected in the reason)
TOKENS: dict[str, tuple[Callable[[], str], list[str]]] = {
    "github-pat-classic": (lambda: "ghp_" + chars(36), ["GitHub personal access token", "ghp_"]),
    "github-oauth": (lambda: "gho_" + chars(36), ["GitHub OAuth", "gho_"]),
    "github-user-to-server": (lambda: "ghu_" + chars(36), ["GitHub", "ghu_"]),
    "github-installation": (lambda: "ghs_" + chars(36), ["GitHub", "ghs_"]),
    "github-refresh": (lambda: "ghr_" + chars(36), ["GitHub", "ghr_"]),
    "github-pat-long": (lambda: "ghp_" + chars(40), ["ghp_"]),
    "github-fine-grained": (
        lambda: "github_pat_" + chars(22) + "_" + chars(59),
        ["GitHub fine-grained personal access token", "github_pat_"],
    ),
    "github-fine-grained-short": (lambda: "github_pat_" + chars(22), ["github_pat_"]),
    "groq": (lambda: "gsk_" + chars(52), ["Groq", "gsk_"]),
    "openai-legacy": (lambda: "sk-" + chars(48), ["OpenAI", "sk-"]),
    "openai-20": (lambda: "sk-" + chars(20), ["OpenAI", "sk-"]),
    "openai-hex": (lambda: "sk-" + chars(32, HEX), ["OpenAI", "sk-"]),
    "openai-project": (
        lambda: "sk-proj-" + chars(40, URLSAFE) + "-" + chars(30, URLSAFE),
        ["OpenAI", "sk-proj-"],
    ),
    "anthropic": (lambda: "sk-ant-api03-" + chars(90, URLSAFE), ["Anthropic", "sk-ant-"]),
    "aws-access-key": (lambda: "AKIA" + chars(16, UPPER_ALNUM), ["AWS access key id"]),
    "aws-temporary-key": (lambda: "ASIA" + chars(16, UPPER_ALNUM), ["AWS access key id"]),
    "slack-bot": (
        lambda: "xoxb-" + chars(12, string.digits) + "-" + chars(13, string.digits) + "-" + chars(24),
        ["Slack"],
    ),
    "slack-user": (lambda: "xoxp-" + chars(12, string.digits) + "-" + chars(30), ["Slack"]),
    "stripe-secret": (lambda: "sk_live_" + chars(24), ["Stripe", "sk_live_"]),
    "stripe-restricted": (lambda: "rk_live_" + chars(24), ["Stripe", "rk_live_"]),
    "google-api-key": (lambda: "AIza" + chars(35, URLSAFE), ["Google API key", "AIza"]),
    "rsa-private-key": (lambda: private_key_block("RSA"), ["private key"]),
    "openssh-private-key": (lambda: private_key_block("OPENSSH"), ["private key"]),
    "pkcs8-private-key": (lambda: private_key_block(""), ["private key"]),
    "encrypted-private-key": (lambda: private_key_block("ENCRYPTED"), ["private key"]),
    "jwt": (fake_jwt, ["JSON Web Token"]),
    "url-password": (lambda: f"https://deploy:{chars(14)}@example.com/repo.git", ["URL with a password"]),
    "url-password-no-user": (lambda: f"redis://:{chars(20)}@cache:6379/0", ["URL with a password"]),
    "url-password-db": (lambda: f"postgres://app:{chars(16)}@db.internal:5432/app", ["URL with a password"]),
}


@pytest.mark.parametrize("kind", list(TOKENS))
@pytest.mark.parametrize("name", ["NOTES", "API_TOKEN", "x"])
def test_token_shapes_are_refused_under_any_name(kind: str, name: str) -> None:
    factory, words = TOKENS[kind]
    reason = secret_reason(name, factory())
    assert reason is not None
    for word in words:
        assert word in reason, reason


@pytest.mark.parametrize("kind", list(TOKENS))
def test_token_shapes_are_found_inside_longer_values(kind: str) -> None:
    factory, words = TOKENS[kind]
    reason = secret_reason("HEADER", f"Authorization: Bearer {factory()} # keep")
    assert reason is not None
    assert words[0] in reason


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: "ghp_" + chars(35), id="github-35-chars"),
        pytest.param(lambda: "ghx_" + chars(36), id="github-unknown-prefix"),
        pytest.param(lambda: "github_pat_" + chars(21), id="github-pat-21"),
        pytest.param(lambda: "gsk_" + chars(39), id="groq-39"),
        pytest.param(lambda: "sk-" + chars(19), id="openai-19"),
        pytest.param(lambda: "sk-learn-compatible-models", id="hyphenated-words"),
        pytest.param(lambda: "task-" + chars(30), id="sk-inside-a-word"),
        pytest.param(lambda: "AKIA" + chars(15, UPPER_ALNUM), id="aws-15"),
        pytest.param(lambda: "AKIA" + chars(17, UPPER_ALNUM), id="aws-17"),
        pytest.param(lambda: "xoxz-" + chars(20), id="slack-unknown-kind"),
        pytest.param(lambda: "sk_test_" + chars(24), id="stripe-test"),
        pytest.param(lambda: "AIza" + chars(34, URLSAFE), id="google-34"),
        pytest.param(lambda: "eyJ" + chars(20, URLSAFE), id="jwt-one-segment"),
        pytest.param(lambda: "eyJ" + chars(20, URLSAFE) + "." + chars(20, URLSAFE), id="jwt-two-segments"),
        pytest.param(lambda: "-" * 5 + "BEGIN PUBLIC KEY" + "-" * 5, id="public-key-block"),
        pytest.param(lambda: "https://example.com/a:b@c", id="colon-in-path"),
        pytest.param(lambda: "https://user@example.com/x", id="url-user-only"),
        pytest.param(lambda: "https://example.com:8443/path", id="url-port"),
        pytest.param(lambda: "git@github.com:owner/repo.git", id="scp-like-git-url"),
        pytest.param(lambda: "https://x-access-token:${{ secrets.GH_TOKEN }}@github.com/o/r", id="url-expr"),
        pytest.param(lambda: "https://x-access-token:${{secrets.GH_TOKEN}}@github.com/o/r", id="url-expr-tight"),
        pytest.param(lambda: "https://user:$PASSWORD@example.com", id="url-env-var"),
        pytest.param(lambda: "https://user:<password>@example.com", id="url-placeholder"),
        pytest.param(lambda: "https://user:****@example.com", id="url-masked"),
        pytest.param(lambda: chars(40, HEX), id="commit-sha"),
        pytest.param(lambda: str(uuid.UUID(int=_RNG.getrandbits(128), version=4)), id="uuid"),
    ],
)
def test_near_misses_are_not_token_shaped(make: Callable[[], str]) -> None:
    value = make()
    assert secret_reason("NOTES", value) is None
    assert find_secrets_in_text(f"value: {value}\n") == []


# --- the name-based rule --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("API_KEY", lambda: chars(32)),
        ("OPENROUTER_API_KEY", lambda: chars(48, URLSAFE)),
        ("DB_PASSWORD", lambda: chars(20, ALNUM + "!@#%&*")),
        ("SMTP_PASS", lambda: chars(18)),
        ("ROOT_PWD", lambda: chars(24)),
        ("GCP_CREDENTIALS", lambda: chars(40, ALNUM + "+/")),
        ("WEBHOOK_SECRET", lambda: chars(32, HEX)),
        ("DEPLOY_TOKEN", lambda: chars(30)),
        ("PASSWORD", lambda: chars(16)),
        ("TOKEN", lambda: chars(40)),
        ("SECRET", lambda: chars(64, HEX)),
        ("password", lambda: chars(20)),
        ("api_key", lambda: chars(32)),
        ("apiKey", lambda: chars(32)),
        ("githubToken", lambda: chars(32)),
        ("deploy-token", lambda: chars(32)),
        ("AWS_SECRET_ACCESS_KEY", lambda: chars(40, ALNUM + "+/")),
        ("LICENSE_KEY", lambda: str(uuid.UUID(int=_RNG.getrandbits(128), version=4))),
        ("SIGNING_KEY", lambda: chars(16, string.ascii_letters)),
        ("SSH_KEY", lambda: "/" + chars(40, ALNUM + "+/")),
    ],
)
def test_random_values_under_secret_names_are_refused(name: str, make: Callable[[], str]) -> None:
    value = make()
    assert shannon_entropy(value) >= 3.0  # the fixture really is random-looking
    reason = secret_reason(name, value)
    assert reason is not None
    assert reason.startswith("looks like a secret")
    assert repr(name) in reason
    assert f"{len(value)} random-looking characters" in reason


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TTS_ENGINE", "chatterbox"),
        ("SIP_HOST", "sip.ehiweb.it"),
        ("TTS_VOICE", "piper"),
        ("SPEAKER", "Sara"),
        ("PORT", "3002"),
        ("RUNNER", "ubuntu-24.04"),
        ("START_COMMAND", "python main.py"),
        ("GROQ_API_KEY", "${{ secrets.GROQ_API_KEY }}"),
        ("API_KEY", "${{secrets.API_KEY}}"),
        ("API_KEY", "$GROQ_API_KEY_FROM_ENV"),
        ("API_KEY", "${GROQ_API_KEY_FROM_ENV}"),
        ("API_KEY", "%GROQ_API_KEY_FROM_ENV%"),
        ("API_KEY", "secrets.GROQ_API_KEY"),
        ("GITHUB_TOKEN", "RELEASE_GITHUB_TOKEN"),
        ("CACHE_KEY", "${{ runner.os }}-pip-${{ hashFiles('**/requirements.txt') }}"),
        ("DEPLOY_KEY", "~/.ssh/deploy_key.pem"),
        ("SSH_KEY", "/home/runner/.ssh/id_ed25519"),
        ("SIGNING_KEY", "keys/release-signing.asc"),
        ("SIGNING_KEY", "release-signing-2024.asc"),
        ("TLS_KEY", "C:\\certs\\server.key"),
        ("VAULT_TOKEN", "https://vault.example.com/v1/auth/token/lookup"),
        ("SIGNING_KEY", "internationalization"),
        ("SIGNING_KEY", "INTERNATIONALIZATION"),
        ("SIGNING_KEY", "release-signing-key-name"),
        ("SIGNING_KEY", "Release.Signing.Key"),
        ("DB_PASS", "aaaaaaaaaaaaaaaaaaaaaaab"),  # long but low entropy
        ("API_KEY", "0123456789abcd"),  # high entropy but short
    ],
)
def test_obvious_non_secrets_pass(name: str, value: str) -> None:
    assert secret_reason(name, value) is None


def test_public_keys_pass_under_key_names() -> None:
    public = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + chars(43, ALNUM + "+/") + " release@ci"
    assert secret_reason("DEPLOY_KEY", public) is None
    assert secret_reason("SSH_PUBLIC_KEY", chars(40, ALNUM + "+/")) is None


@pytest.mark.parametrize("name", ["DEVICE_ID", "CLIENT_ID", "PROJECT_ID", "BUILD_HASH", "BYPASS", "KEYBOARD", "NOTES"])
def test_random_values_under_other_names_pass(name: str) -> None:
    assert secret_reason(name, str(uuid.UUID(int=_RNG.getrandbits(128), version=4))) is None
    assert secret_reason(name, chars(40, HEX)) is None
    assert secret_reason(name, chars(32)) is None


@pytest.mark.parametrize(
    ("value", "bits"),
    [("", 0.0), ("a", 0.0), ("aaaa", 0.0), ("ab", 1.0), ("abcd", 2.0), ("aabb", 1.0), (HEX, 4.0)],
)
def test_shannon_entropy(value: str, bits: float) -> None:
    assert shannon_entropy(value) == pytest.approx(bits)


# --- find_secrets_in_text ------------------------------------------------------------------------


def test_find_secrets_reports_lines_and_reasons() -> None:
    pat = "ghp_" + chars(36)
    groq = "gsk_" + chars(52)
    aws = "AKIA" + chars(16, UPPER_ALNUM)
    text = "\n".join(
        [
            "name: release",  # 1
            "env:",  # 2
            f"  GH_TOKEN: {pat}",  # 3
            "  SAFE: ${{ secrets.GH_TOKEN }}",  # 4
            f"  GROQ: '{groq}'  # twice: {groq}",  # 5
            f"  MIXED: {aws},{pat}",  # 6
            private_key_block("EC"),  # 7 (and 8-11)
            f"  JWT: {fake_jwt()}",  # 12
        ]
    )
    found = find_secrets_in_text(text)
    assert [line for line, _ in found] == [3, 5, 6, 6, 7, 12]
    reasons = dict(found[:2])
    assert "GitHub personal access token" in reasons[3]
    assert "Groq" in reasons[5]
    assert {reason.split(" (")[0] for line, reason in found if line == 6} == {
        "looks like a GitHub personal access token",
        "looks like an AWS access key id",
    }
    assert "private key" in found[4][1]
    assert "JSON Web Token" in found[5][1]


def test_find_secrets_ignores_references_and_shas() -> None:
    sha = chars(40, HEX)
    text = "\n".join(
        [
            "on: push",
            "jobs:",
            "  release:",
            "    steps:",
            f"      - uses: actions/checkout@{sha} # v4",
            f"      - uses: actions/setup-python@{chars(40, HEX)}",
            "        env:",
            "          GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}",
            "          GROQ_API_KEY: ${{ secrets.GROQ_API_KEY }}",
            "          PYPI: ${{secrets.PYPI_TOKEN}}",
            "      - run: git push https://x-access-token:${{ secrets.GITHUB_TOKEN }}@github.com/o/r.git",
            '      - run: curl -H "Authorization: Bearer $GITHUB_TOKEN" https://api.github.com',
            f"      - run: docker pull ghcr.io/o/r@sha256:{chars(64, HEX)}",
            f"        with: {{ ref: {sha}, id: {uuid.UUID(int=_RNG.getrandbits(128), version=4)} }}",
            "        run: pip install scikit-learn  # sk-learn-compatible-models",
        ]
    )
    assert find_secrets_in_text(text) == []


def test_find_secrets_in_empty_text() -> None:
    assert find_secrets_in_text("") == []
