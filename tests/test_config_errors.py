"""Every mistake in `releasekit.yaml` is reported at the user's `file:line:column`, with a message that says what
is wrong and how to fix it.

Most cases are one deliberate mistake in a small valid config (`BASE`), parsed in-process. The CLI cases run
`python -m releasekit` on a copy of the Fluxion example. Fake secrets are generated when a test runs, so no
token-shaped string is in this file.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import string
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest
from conftest import releasekit_main

from releasekit.config.loader import parse
from releasekit.errors import ConfigError, Problem

REPO = Path(__file__).resolve().parents[1]
FLUXION = REPO / "examples" / "fluxion"
FILE = "releasekit.yaml"

# A small valid config. Line numbers below refer to this text:
#   1 project / 2 name / 3 repository / 4 machines / 5 linux / 6 runner / 7 python
#   8 workflows / 9 test / 10 triggers / 11 push / 12 branches / 13 machines; appended text starts at line 14.
BASE = """\
project:
  name: demo
  repository: acme/demo
machines:
  linux:
    runner: ubuntu-24.04
    python: "3.12"
workflows:
  test:
    triggers:
      push:
        branches: [main]
    machines: [linux]
"""

PUSH = "      push:\n        branches: [main]\n"  # lines 11-12
WF_MACHINES = "    machines: [linux]\n"  # line 13


def edit(old: str, new: str, base: str = BASE) -> str:
    """`base` with its one occurrence of `old` replaced."""
    if base.count(old) != 1:
        raise ValueError(f"{old!r} occurs {base.count(old)} times in the base config")
    return base.replace(old, new)


def problems_of(text: str, file: str = FILE) -> list[Problem]:
    """The problems `parse` reports for `text` (none if it loads)."""
    try:
        parse(text, file, Path("/nonexistent-root"))
    except ConfigError as exc:
        assert exc.problems, "ConfigError without problems"
        return exc.problems
    return []


def first_problem(text: str) -> Problem:
    problems = problems_of(text)
    assert problems, "the config was accepted; expected it to be refused"
    return problems[0]


class Case(NamedTuple):
    id: str
    text: str
    line: int
    column: int
    words: tuple[str, ...]  # each must occur in the first problem's message


def dispatch(inputs: str) -> str:
    """BASE with a workflow_dispatch trigger (line 11) whose `inputs:` (line 12) are `inputs`."""
    return edit(PUSH, "      workflow_dispatch:\n        inputs:\n" + inputs)


TWENTY_SIX_INPUTS = "".join(f"          in{i}:\n            type: string\n" for i in range(26))

OTHER_WORKFLOW = "  other:\n    file: {file}\n    triggers:\n" + PUSH + WF_MACHINES  # `file:` on line 15

CASES = [
    # --- unknown keys ------------------------------------------------------------------------------------------
    Case(
        "unknown-key-did-you-mean",
        edit(WF_MACHINES, "    machnes: [linux]\n"),
        13,
        5,
        ("unknown key 'machnes' in workflows.test; did you mean 'machines'?",),
    ),
    Case(
        "unknown-key-in-machine",
        edit("    runner:", "    runer:"),
        6,
        5,
        ("unknown key 'runer' in machines.linux; did you mean 'runner'?",),
    ),
    Case(
        "on-instead-of-triggers",
        edit("    triggers:", "    on:"),
        10,
        5,
        ("unknown key 'on' in workflows.test", "did you mean 'triggers'?"),
    ),
    Case(
        "runs-on-instead-of-machines",
        edit(WF_MACHINES, "    runs-on: [linux]\n"),
        13,
        5,
        ("unknown key 'runs-on'", "did you mean 'machines'?"),
    ),
    Case("unknown-top-level-key", BASE + "pipline:\n  - test\n", 14, 1, ("unknown key 'pipline' at the top level",)),
    Case(
        "unknown-top-level-key-did-you-mean",
        edit("workflows:", "workflow:"),
        8,
        1,
        ("unknown key 'workflow' at the top level; did you mean 'workflows'?",),
    ),
    # --- malformed YAML ----------------------------------------------------------------------------------------
    Case(
        "yaml-bad-indentation",
        edit("  repository:", "   repository:"),
        3,
        14,
        ("invalid YAML", "mapping values are not allowed"),
    ),
    Case(
        "yaml-bad-indentation-nested",
        edit("    runner:", "     runner:"),
        7,
        5,
        ("invalid YAML", "did not find expected key"),
    ),
    Case(
        "yaml-unclosed-bracket",
        edit("branches: [main]", "branches: [main"),
        13,
        13,
        ("invalid YAML", "did not find expected ',' or ']'", "flow sequence"),
    ),
    Case(
        "yaml-tab-indentation", edit("  name: demo", "\tname: demo"), 2, 1, ("invalid YAML", "cannot start any token")
    ),
    Case("empty-file", "", 1, 1, ("empty", "releasekit init")),
    Case("comments-only-file", "# nothing here yet\n", 1, 1, ("empty", "releasekit init")),
    # The position is that of the second document's `---` (what the message names), not of what follows it.
    Case(
        "two-documents",
        BASE + "---\nproject: {name: x, repository: a/b}\n",
        14,
        1,
        ("expected one YAML document", "'---'"),
    ),
    Case("trailing-document-marker", BASE + "---\n# end\n", 14, 1, ("expected one YAML document", "'---'")),
    Case("top-level-list", "- project\n- machines\n", 1, 1, ("the top level", "expected a mapping, got a list")),
    Case(
        "merge-key",
        edit(
            'machines:\n  linux:\n    runner: ubuntu-24.04\n    python: "3.12"\n',
            'machines:\n  base: &base\n    runner: ubuntu-24.04\n  linux:\n    <<: *base\n    python: "3.12"\n',
        ),
        8,
        5,
        ("machines.linux", "merge keys ('<<') are not supported", "write the keys out"),
    ),
    # A merge key in a service whose required keys come from the anchor: the merge key is the mistake the
    # user has to fix, so it must come first; a "missing key" for a key the user did write is misleading.
    Case(
        "merge-key-supplies-required-keys",
        BASE + "services:\n  a: &a\n    port: 8000\n    start: ./a\n  b:\n    <<: *a\n    port: 8001\n",
        19,
        5,
        ("services.b", "merge keys ('<<') are not supported"),
    ),
    # --- duplicate keys ----------------------------------------------------------------------------------------
    Case(
        "duplicate-key",
        edit("  repository: acme/demo\n", "  repository: acme/demo\n  name: other\n"),
        4,
        3,
        ("duplicate key 'name' in project", "first at line 2"),
    ),
    Case(
        "duplicate-workflow",
        BASE + "  test:\n    triggers: {push: {branches: [x]}}\n    machines: [linux]\n",
        14,
        3,
        ("duplicate key 'test' in workflows", "first at line 9"),
    ),
    # --- wrong types -------------------------------------------------------------------------------------------
    Case(
        "string-where-list-expected",
        edit(WF_MACHINES, "    machines: linux\n"),
        13,
        15,
        ("workflows.test.machines", "expected a list, got the string 'linux'", "[linux]"),
    ),
    Case(
        "list-where-mapping-expected",
        edit(PUSH, "      - push\n"),
        11,
        7,
        ("workflows.test.triggers", "expected a mapping, got a list"),
    ),
    Case(
        "python-version-unquoted",
        edit('python: "3.12"', "python: 3.10"),
        7,
        13,
        ("machines.linux.python", "3.10 is read as a number", 'quote it: "3.10"'),
    ),
    Case(
        "boolean-where-string-expected",
        edit("name: demo", "name: yes"),
        2,
        9,
        ("project.name", "yes is read as a boolean", 'quote it: "yes"'),
    ),
    Case(
        "boolean-env-value",
        BASE + "env:\n  values:\n    DEBUG: true\n",
        16,
        12,
        ("env.values.DEBUG", "read as a boolean", 'quote it: "true"'),
    ),
    Case(
        "float-where-integer-expected",
        BASE + "    timeout-minutes: 1.5\n",
        14,
        22,
        ("workflows.test.timeout-minutes", "expected an integer", "1.5"),
    ),
    Case("missing-required-key", edit("  repository: acme/demo\n", ""), 2, 3, ("missing key 'repository' in project",)),
    # --- values checked one by one -----------------------------------------------------------------------------
    Case(
        "cron-six-fields",
        edit(PUSH, '      schedule: ["0 0 * * * *"]\n'),
        11,
        18,
        ("workflows.test.triggers.schedule[0]", "invalid cron '0 0 * * * *'", "5 fields", "got 6"),
    ),
    Case(
        "cron-minute-61",
        edit(PUSH, '      schedule: ["61 0 * * *"]\n'),
        11,
        18,
        ("invalid cron '61 0 * * *'", "minute", "0-59"),
    ),
    Case(
        "branch-pattern-unclosed-bracket",
        edit("branches: [main]", 'branches: ["[v*"]'),
        12,
        20,
        ("workflows.test.triggers.push.branches[0]", "invalid branch/tag pattern '[v*'", "']'"),
    ),
    Case(
        "branch-pattern-dotdot",
        edit("branches: [main]", "branches: [a..b]"),
        12,
        20,
        ("invalid branch/tag pattern 'a..b'", "'..'"),
    ),
    Case(
        "tag-pattern-dotdot",
        edit("        branches: [main]", '        tags: ["v1..*"]'),
        12,
        16,
        ("workflows.test.triggers.push.tags[0]", "invalid branch/tag pattern", "'..'"),
    ),
    Case(
        "asset-glob-absolute",
        BASE + "publish:\n  assets:\n    - /etc/passwd\n",
        16,
        7,
        ("publish.assets[0]", "invalid glob '/etc/passwd'", "absolute"),
    ),
    Case(
        "asset-glob-dotdot",
        BASE + "publish:\n  assets:\n    - ../dist/*.whl\n",
        16,
        7,
        ("publish.assets[0]", "invalid glob '../dist/*.whl'", "'..'"),
    ),
    Case(
        "version-regex-without-group",
        BASE + "versioning:\n  files:\n    - path: a.py\n      regex: '__version__ = \"(.*)\"'\n",
        17,
        14,
        ("versioning.files[0].regex", "named group", "(?P<version>"),
    ),
    Case(
        "version-regex-invalid",
        BASE + "versioning:\n  files:\n    - path: a.py\n      regex: '(?P<version>[0-9'\n",
        17,
        14,
        ("versioning.files[0].regex", "invalid regex"),
    ),
    Case(
        "tag-format-without-version",
        edit("  repository: acme/demo\n", "  repository: acme/demo\n  tag-format: release\n"),
        4,
        15,
        ("project.tag-format", "tag format 'release'", "{version}"),
    ),
    Case(
        "script-injection-in-run",
        BASE + '    steps:\n      test:\n        - run: echo "${{ github.event.issue.title }}"\n',
        16,
        16,
        ("workflows.test.steps.test[0].run", "script-injection", "env:"),
    ),
    Case(
        "script-injection-in-run-block",
        BASE + "    steps:\n      test:\n        - name: greet\n          run: |\n            echo hi\n"
        '            echo "${{ github.event.issue.title }}"\n',
        17,
        16,
        ("workflows.test.steps.test[0].run", "script-injection"),
    ),
    # A string step "is a `run`" (model.Workflow.steps): it must be checked like one.
    Case(
        "script-injection-in-string-step",
        BASE + '    steps:\n      test:\n        - echo "${{ github.event.issue.title }}"\n',
        16,
        11,
        ("workflows.test.steps.test[0]", "script-injection"),
    ),
    Case(
        "empty-string-step",
        BASE + '    steps:\n      test:\n        - ""\n',
        16,
        11,
        ("workflows.test.steps.test[0]", "the command is empty"),
    ),
    # --- machines ----------------------------------------------------------------------------------------------
    Case(
        "machine-runner-and-labels",
        edit("    runner: ubuntu-24.04\n", "    runner: ubuntu-24.04\n    labels: [gpu]\n"),
        6,
        5,
        ("machines.linux", "`runner`", "`labels`", "not both"),
    ),
    Case(
        "unknown-hosted-runner",
        edit("runner: ubuntu-24.04", "runner: ubuntu-24.4"),
        6,
        13,
        ("machines.linux.runner", "'ubuntu-24.4' is not a GitHub-hosted image", "did you mean 'ubuntu-24.04'?"),
    ),
    Case(
        "self-hosted-without-os",
        edit("    runner: ubuntu-24.04\n", "    labels: [gpu]\n"),
        6,
        5,
        ("machines.linux", "self-hosted machine needs `os`"),
    ),
    # --- references between parts ------------------------------------------------------------------------------
    Case(
        "workflow-file-clash",
        BASE + OTHER_WORKFLOW.format(file="test.yml"),
        15,
        11,
        ("workflows.other", "writes test.yml", "workflows.test writes too"),
    ),
    Case(
        "workflow-file-clash-case-insensitive",
        BASE + OTHER_WORKFLOW.format(file="Test.yml"),
        15,
        11,
        ("workflows.other", "writes Test.yml", "workflows.test writes too"),
    ),
    Case(
        "workflow-key-clash-case-insensitive",
        BASE + "  Test:\n    triggers:\n" + PUSH + WF_MACHINES,
        15,
        5,
        ("workflows.Test", "writes Test.yml", "workflows.test writes too"),
    ),
    Case(
        "unknown-machine-did-you-mean",
        edit(WF_MACHINES, "    machines: [linx]\n"),
        13,
        16,
        ("workflows.test.machines[0]", "no machine named 'linx'", "did you mean 'linux'?"),
    ),
    Case(
        "development-only-machine",
        edit('    python: "3.12"\n', '    python: "3.12"\n    development-only: true\n'),
        14,
        16,
        ("workflows.test.machines[0]", "'linux' is development-only"),
    ),
    Case(
        "unknown-service",
        BASE + "    services: [db]\n",
        14,
        16,
        ("workflows.test.services[0]", "no service named 'db'", "declare it under services"),
    ),
    Case(
        "unknown-service-did-you-mean",
        BASE + "    services: [postgress]\nservices:\n  postgres:\n    port: 5432\n    start: ./pg\n",
        14,
        16,
        ("no service named 'postgress'", "did you mean 'postgres'?"),
    ),
    Case(
        "undeclared-secret",
        BASE + "    secrets: [API_TOKEN]\n",
        14,
        15,
        ("workflows.test.secrets[0]", "'API_TOKEN' is not declared in env.secrets"),
    ),
    Case(
        "github-token-declared-as-secret",
        BASE + "env:\n  secrets:\n    - GITHUB_TOKEN\n",
        16,
        7,
        ("env.secrets[0]", "'GITHUB_TOKEN'", "reserves", "permissions:"),
    ),
    Case(
        "two-services-one-port",
        BASE + "services:\n  a:\n    port: 8000\n    start: ./a\n  b:\n    port: 8000\n    start: ./b\n",
        19,
        11,
        ("services.b.port", "port 8000 is already used by services.a"),
    ),
    # --- versioning --------------------------------------------------------------------------------------------
    Case(
        "version-file-toml-and-regex",
        BASE + "versioning:\n  files:\n    - path: pyproject.toml\n      toml: project.version\n"
        "      regex: 'v(?P<version>.*)'\n",
        16,
        7,
        ("versioning.files[0]", "exactly one of toml, json, yaml or regex", "got toml and regex"),
    ),
    Case(
        "version-file-without-locator",
        BASE + "versioning:\n  files:\n    - path: pyproject.toml\n",
        16,
        7,
        ("versioning.files[0]", "exactly one of toml, json, yaml or regex", "got none"),
    ),
    # --- workflow_dispatch inputs ------------------------------------------------------------------------------
    Case(
        "choice-input-without-options",
        dispatch("          level:\n            type: choice\n"),
        14,
        19,
        ("inputs.level", "a choice input needs `options`"),
    ),
    Case(
        "boolean-input-string-default",
        dispatch('          dry-run:\n            type: boolean\n            default: "yes"\n'),
        15,
        22,
        ("inputs.dry-run", 'default "yes" is not a boolean'),
    ),
    Case(
        "too-many-dispatch-inputs",
        dispatch(TWENTY_SIX_INPUTS),
        12,
        9,
        ("workflows.test", "26 dispatch inputs", "at most 25"),
    ),
]


def test_base_config_is_valid() -> None:
    """The cases are one mistake away from a config that loads."""
    assert problems_of(BASE) == []
    assert problems_of(dispatch("".join(f"          in{i}: {{}}\n" for i in range(25)))) == []


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_first_problem_is_located(case: Case) -> None:
    problem = first_problem(case.text)
    assert (problem.file, problem.line, problem.column) == (FILE, case.line, case.column), str(problem)
    assert str(problem).startswith(f"{FILE}:{case.line}:{case.column}: "), str(problem)
    for word in case.words:
        assert word in problem.message, f"{word!r} not in: {problem}"


def test_file_name_is_as_given() -> None:
    problems = problems_of(edit(WF_MACHINES, "    machnes: [linux]\n"), file="ci/rk.yaml")
    assert [str(p).split(": ", 1)[0] for p in problems] == ["ci/rk.yaml:13:5"]


@pytest.mark.parametrize(
    "value", ["010", "0o10", "1:30", "0b101"], ids=["octal-yaml11", "octal-0o", "sexagesimal", "binary"]
)
def test_yaml11_integer_spellings_do_not_crash(value: str) -> None:
    """YAML 1.1 resolves `010` (octal) and `1:30` (base 60) to integers; the loader must load them or report
    them at their position, never raise anything but ConfigError."""
    text = BASE + f"    timeout-minutes: {value}\n"
    problems = problems_of(text)  # anything but ConfigError escapes and fails the test
    if problems:
        assert (problems[0].line, problems[0].column) == (14, 22), str(problems[0])


def test_several_problems_are_all_reported_sorted_by_line() -> None:
    text = edit("  repository:", "  repo:")  # line 3
    text = edit('python: "3.12"', "python: 3.10", text)  # line 7
    text = edit(WF_MACHINES, "    machnes: [linux]\n", text)  # line 13
    with pytest.raises(ConfigError) as caught:
        parse(text, FILE, Path("/nonexistent-root"))
    problems = caught.value.problems
    assert [(p.line, p.column) for p in problems] == [(3, 3), (7, 13), (13, 5)]
    assert "unknown key 'repo' in project" in problems[0].message
    assert "read as a number" in problems[1].message
    assert "did you mean 'machines'?" in problems[2].message
    assert str(caught.value).splitlines() == [str(p) for p in problems]


def test_several_reference_problems_are_all_reported_sorted_by_line() -> None:
    text = BASE + "env:\n  secrets: [GITHUB_TOKEN]\n"  # line 15 / 16
    text = edit(WF_MACHINES, "    machines: [linx]\n    services: [db]\n    secrets: [API_TOKEN]\n", text)
    problems = problems_of(text)
    assert [(p.line, p.column) for p in problems] == [(13, 16), (14, 16), (15, 15), (17, 13)], problems
    assert problems == sorted(problems, key=lambda p: (p.line, p.column))
    assert "no machine named 'linx'" in problems[0].message
    assert "no service named 'db'" in problems[1].message
    assert "'API_TOKEN' is not declared in env.secrets" in problems[2].message
    assert "GITHUB_TOKEN" in problems[3].message


# --- secrets -----------------------------------------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits


def random_text(count: int) -> str:
    """`count` random letters and digits that mix lower case, upper case and digits (so they look generated)."""
    while True:
        text = "".join(random.choices(ALNUM, k=count))
        if any(c.islower() for c in text) and any(c.isupper() for c in text) and any(c.isdigit() for c in text):
            return text


def github_token() -> str:
    return "ghp_" + random_text(36)


def openai_project_key() -> str:
    return "sk-" + "proj-" + random_text(40)


class SecretCase(NamedTuple):
    id: str
    secret: Callable[[], str]
    text: Callable[[str], str]
    line: int
    column: int
    words: tuple[str, ...]


SECRET_CASES = [
    SecretCase(
        "env-value-github-token",
        github_token,
        lambda s: BASE + f"env:\n  values:\n    DEPLOY_URL: {s}\n",
        16,
        17,
        ("env.values.DEPLOY_URL", "GitHub personal access token", "env.secrets"),
    ),
    SecretCase(
        "env-value-quoted-github-token",
        github_token,
        lambda s: BASE + f'env:\n  values:\n    TTS_ENGINE: chatterbox\n    DEPLOY_URL: "{s}"\n',
        17,
        17,
        ("env.values.DEPLOY_URL", "GitHub personal access token", "env.secrets"),
    ),
    SecretCase(
        "env-value-high-entropy-api-key",
        lambda: random_text(32),
        lambda s: BASE + f"env:\n  values:\n    OPENAI_API_KEY: {s}\n",
        16,
        21,
        ("env.values.OPENAI_API_KEY", "looks like a secret", "env.secrets"),
    ),
    SecretCase(
        "step-env-github-token",
        github_token,
        lambda s: BASE + f"    steps:\n      test:\n        - run: make\n          env:\n            DEPLOY: {s}\n",
        18,
        21,
        ("steps.test[0].env.DEPLOY", "GitHub personal access token", "env.secrets"),
    ),
    # env.secrets holds names ("Never a value", model.Env.secrets); a pasted token must be refused, not accepted
    # and later written into `${{ secrets.<token> }}`.
    SecretCase(
        "token-pasted-into-env-secrets",
        github_token,
        lambda s: BASE + f"env:\n  secrets:\n    - {s}\n",
        16,
        7,
        ("env.secrets[0]", "GitHub personal access token"),
    ),
    SecretCase(
        "openai-key-pasted-into-env-secrets",
        openai_project_key,
        lambda s: BASE + f"env:\n  secrets:\n    - {s}\n",
        16,
        7,
        ("env.secrets[0]",),
    ),
    SecretCase(
        "token-pasted-into-token-secret",
        github_token,
        lambda s: BASE + f"publish:\n  python:\n    index: https://upload.example.com/legacy/\n    token-secret: {s}\n",
        17,
        19,
        ("publish.python.token-secret",),
    ),
    # Step `env:` values are checked for secrets; an action's `with:` inputs are written into the workflow
    # the same way and must be checked the same way.
    SecretCase(
        "step-with-github-token",
        github_token,
        lambda s: (
            BASE + "    steps:\n      test:\n        - uses: actions/setup-node\n          with:\n"
            f"            token: {s}\n"
        ),
        18,
        20,
        ("steps.test[0].with.token", "env.secrets"),
    ),
]


@pytest.mark.parametrize("case", SECRET_CASES, ids=[c.id for c in SECRET_CASES])
def test_secret_values_are_refused_without_echoing_them(case: SecretCase) -> None:
    # Assertions below compare booleans and print masked messages, so that a failure never prints the secret.
    secret = case.secret()
    problems = problems_of(case.text(secret))
    masked = [str(p).replace(secret, "<SECRET>") for p in problems]
    assert problems, "a secret value in releasekit.yaml was accepted"
    first = problems[0]
    assert (first.line, first.column) == (case.line, case.column), masked[0]
    for word in case.words:
        found = word in first.message
        assert found, f"{word!r} not in: {masked[0]}"
    # Messages end up in terminals and CI logs: they must not repeat the secret, nor a recognisable part of it.
    for p, text in zip(problems, masked, strict=True):
        echoed = secret in p.message
        assert not echoed, f"the message repeats the secret: {text}"
        partly = secret[-16:] in p.message
        assert not partly, "the message repeats part of the secret"


def test_secret_names_and_references_are_fine() -> None:
    text = BASE + (
        "env:\n  values:\n    TTS_ENGINE: chatterbox\n    GROQ_API_KEY_NAME: GROQ_API_KEY\n  secrets: [GROQ_API_KEY]\n"
    )
    text = edit(WF_MACHINES, WF_MACHINES + "    secrets: [GROQ_API_KEY]\n", text)
    assert problems_of(text) == []


# --- the command line --------------------------------------------------------------------------------------------


def run_cli(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command line in-process, as a user runs it: without RELEASEKIT_DEBUG, so an internal error is a message."""
    env = {k: v for k, v in os.environ.items() if k != "RELEASEKIT_DEBUG"}
    return releasekit_main(["-C", str(directory), *args], cwd=directory, env=env, only_env=True)


@pytest.fixture
def fluxion(tmp_path: Path) -> Path:
    """A copy of the Fluxion example's config and lock, alone in a directory."""
    shutil.copy(FLUXION / "releasekit.yaml", tmp_path / "releasekit.yaml")
    shutil.copy(FLUXION / "releasekit.lock", tmp_path / "releasekit.lock")
    return tmp_path


def break_line(path: Path, old: str, new: str) -> tuple[int, str]:
    """Replace the first line containing `old` (once) in `path`; return its 1-based number and the new line."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for number, line in enumerate(lines, start=1):
        if old in line:
            lines[number - 1] = line.replace(old, new, 1)
            path.write_text("".join(lines), encoding="utf-8")
            return number, lines[number - 1]
    raise AssertionError(f"{old!r} not found in {path}")


def assert_clean_failure(result: subprocess.CompletedProcess[str], directory: Path) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert "internal error" not in result.stderr, result.stderr
    assert not (directory / ".github").exists(), "a failed run wrote files"


def test_cli_example_is_valid(fluxion: Path) -> None:
    """The broken-config cases below differ from this run by one line."""
    result = run_cli(fluxion, "workflows", "--check")
    assert result.returncode == 1, result.stderr  # nothing generated yet: out of date, but valid
    assert "releasekit.yaml:" not in result.stderr
    assert not (fluxion / ".github").exists()


@pytest.mark.parametrize(
    ("old", "new", "column_of"),
    [
        ('python: "3.12"', "python: 3.10", "3.10"),
        ("machines: [ubuntu, windows-pc]", "machines: [ubuntu, windows]", "windows"),
        ("timeout-minutes: 120", "timeout-minute: 120", "timeout-minute"),
        ("port: 3002", "port: 3001", "3001"),
        ("timeout-minutes: 60", "timeout-minutes: 060", "060"),  # YAML 1.1 octal
    ],
    ids=["unquoted-python", "unknown-machine", "unknown-key", "port-clash", "octal-integer"],
)
def test_cli_broken_config(fluxion: Path, old: str, new: str, column_of: str) -> None:
    line, text = break_line(fluxion / "releasekit.yaml", old, new)
    column = text.index(column_of) + 1
    result = run_cli(fluxion, "workflows")
    assert_clean_failure(result, fluxion)
    assert f"releasekit.yaml:{line}:{column}:" in result.stderr, result.stderr


def test_cli_missing_config(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "workflows")
    assert_clean_failure(result, tmp_path)
    assert "releasekit.yaml" in result.stderr
    assert "releasekit init" in result.stderr


def test_cli_lock_with_bad_json(fluxion: Path) -> None:
    lock = fluxion / "releasekit.lock"
    line, text = break_line(lock, '"version": "v2.9.2"', '"version": v2.9.2')
    result = run_cli(fluxion, "workflows")
    assert_clean_failure(result, fluxion)
    assert f"releasekit.lock:{line}:{text.index('v2.9.2') + 1}: invalid JSON" in result.stderr, result.stderr


def test_cli_lock_with_short_sha(fluxion: Path) -> None:
    lock = fluxion / "releasekit.lock"
    data = json.loads(lock.read_text(encoding="utf-8"))
    sha = data["actions"]["actions/checkout"]["sha"]
    break_line(lock, sha, sha[:39])
    action_line = next(
        n for n, line in enumerate(lock.read_text(encoding="utf-8").splitlines(), 1) if '"actions/checkout"' in line
    )
    result = run_cli(fluxion, "workflows")
    assert_clean_failure(result, fluxion)
    assert f"releasekit.lock:{action_line}:1: actions/checkout: sha must be a full 40-character" in result.stderr, (
        result.stderr
    )
