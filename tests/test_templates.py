"""Project templates override the built-ins, extension points are checked, and every output meets the policy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import copy_example, run_releasekit, snapshot

from releasekit.render import policy
from releasekit.render.yamltext import q, tidy

OWN = """name: {{ workflow.name | q }}

{{ on_block() }}

permissions: {}

concurrency:
  group: {{ gh("github.workflow") }}

jobs:
  lint:
{{ runner(4) }}
    permissions:
      contents: read
    timeout-minutes: {{ workflow.timeout }}
    steps:
{{ checkout(6) }}
{{ steps("lint", 6) }}
"""


@pytest.fixture
def minimal(tmp_path: Path) -> Path:
    root = copy_example("minimal", tmp_path)
    shutil.rmtree(root / ".github")
    return root


def add_workflow(root: Path, text: str) -> None:
    config = root / "releasekit.yaml"
    config.write_text(config.read_text().replace("\npublish:", text + "\npublish:"))


LINT_WORKFLOW = """  lint:
    template: lint
    triggers: {push: {branches: [main]}}
    machines: [linux]
    steps:
      lint: [ruff check .]
"""


def test_a_project_template_is_used_and_named_in_the_header(minimal: Path) -> None:
    (minimal / "templates").mkdir()
    (minimal / "templates/lint.yml.j2").write_text(OWN)
    add_workflow(minimal, LINT_WORKFLOW)
    result = run_releasekit("workflows", cwd=minimal)
    assert result.returncode == 0, result.stderr
    text = (minimal / ".github/workflows/lint.yml").read_text()
    assert "workflows.lint, templates/lint.yml.j2" in text.splitlines()[0]
    assert "      - run: ruff check .\n" in text


def test_a_project_template_overrides_a_builtin(minimal: Path) -> None:
    (minimal / "templates").mkdir()
    (minimal / "templates/test-suite.yml.j2").write_text(
        OWN.replace('steps("lint", 6)', 'steps("test", 6)').replace(
            "{{ checkout(6) }}", '{{ checkout(6) }}\n{{ steps("setup", 6) }}'
        )
    )
    assert run_releasekit("workflows", cwd=minimal).returncode == 0
    text = (minimal / ".github/workflows/test-suite.yml").read_text()
    assert "templates/test-suite.yml.j2" in text.splitlines()[0]
    assert "  lint:\n" in text


def test_an_unknown_extension_point_is_an_error_at_its_line(minimal: Path) -> None:
    config = minimal / "releasekit.yaml"
    config.write_text(config.read_text().replace("      test: [python -m pytest]", "      tests: [python -m pytest]"))
    result = run_releasekit("workflows", cwd=minimal)
    assert result.returncode == 2
    line = next(i for i, t in enumerate(config.read_text().splitlines(), 1) if "tests: [python" in t)
    assert (
        f"releasekit.yaml:{line}:7: workflows.test-suite.steps: built-in template 'test-suite' has no "
        "extension point 'tests' (it has: setup, test)" in result.stderr
    )
    assert not (minimal / ".github").exists()


def test_an_unknown_template_is_an_error(minimal: Path) -> None:
    add_workflow(minimal, LINT_WORKFLOW.replace("template: lint", "template: lnit"))
    result = run_releasekit("workflows", cwd=minimal)
    assert result.returncode == 2
    assert "no template 'lnit'; built-in templates are e2e-tests, release, release-full, test-suite" in result.stderr


def test_an_action_missing_from_the_lock_is_an_error(minimal: Path) -> None:
    config = minimal / "releasekit.yaml"
    config.write_text(
        config.read_text().replace(
            "- python -m pip install --no-deps --no-build-isolation -e .", "- {uses: someone/action, with: {x: 1}}"
        )
    )
    result = run_releasekit("workflows", cwd=minimal)
    assert result.returncode == 2
    assert "action 'someone/action' is not pinned in" in result.stderr


@pytest.mark.parametrize(
    ("mutation", "message"),
    [
        (("permissions: {}", "permissions: write-all"), "top-level `permissions:` grants write access"),
        (("    permissions:\n      contents: read\n", ""), "job 'lint' has no `permissions:`"),
        (("    timeout-minutes: {{ workflow.timeout }}\n", ""), "job 'lint' has no `timeout-minutes:`"),
        (("{{ checkout(6) }}", "      - uses: actions/checkout@v4"), "is not pinned to a full commit SHA"),
        (("{{ checkout(6) }}", "      - run: echo ${{ '${{' }} github.event.issue.title }}"), "inside `run:`"),
        (('concurrency:\n  group: {{ gh("github.workflow") }}\n', ""), "has no `concurrency:`"),
    ],
)
def test_an_insecure_project_template_is_refused(minimal: Path, mutation: tuple[str, str], message: str) -> None:
    (minimal / "templates").mkdir()
    old, new = mutation
    assert old in OWN
    (minimal / "templates/lint.yml.j2").write_text(OWN.replace(old, new))
    add_workflow(minimal, LINT_WORKFLOW)
    before = snapshot(minimal)
    result = run_releasekit("workflows", cwd=minimal)
    assert result.returncode == 2, result.stdout + result.stderr
    assert (
        "templates/lint.yml.j2 generated .github/workflows/lint.yml that breaks releasekit's security policy"
        in result.stderr
    )
    assert message in result.stderr
    assert snapshot(minimal) == before


def test_a_template_error_names_the_template_line(minimal: Path) -> None:
    (minimal / "templates").mkdir()
    (minimal / "templates/lint.yml.j2").write_text(OWN.replace("{{ workflow.timeout }}", "{{ workflow.timeuot }}"))
    add_workflow(minimal, LINT_WORKFLOW)
    result = run_releasekit("workflows", cwd=minimal)
    assert result.returncode == 2
    assert "error: templates/lint.yml.j2:15: " in result.stderr
    assert "timeuot" in result.stderr
    assert "Traceback" not in result.stderr


def test_policy_accepts_a_checkout_without_persisted_credentials_only() -> None:
    base = "permissions: {}\nconcurrency: x\njobs:\n  a:\n    permissions: {}\n    timeout-minutes: 1\n    steps:\n"
    pinned = "      - uses: actions/checkout@" + "a" * 40 + "\n"
    assert policy.problems(base + pinned) == ["job 'a' step 1: actions/checkout without `persist-credentials: false`"]
    assert policy.problems(base + pinned + "        with: {persist-credentials: false}\n") == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", "plain"),
        ("3.12", '"3.12"'),
        ("on", '"on"'),
        ("v*", '"v*"'),
        ("a: b", '"a: b"'),
        (True, "true"),
        (5, "5"),
        ("${{ x }}", '"${{ x }}"'),
        ("", '""'),
        ("#x", '"#x"'),
        ("ubuntu-24.04", "ubuntu-24.04"),
    ],
)
def test_scalars_are_quoted_only_when_needed(value: object, expected: str) -> None:
    assert q(value) == expected


def test_tidy_keeps_blank_lines_inside_literal_blocks() -> None:
    text = "a: 1\n\n\nb:\n  run: |\n    one\n\n    two\n  c: 2\n\n\njobs:\n  x: 1\n  y: 2\n"
    assert tidy(text) == "a: 1\n\nb:\n  run: |\n    one\n\n    two\n  c: 2\n\njobs:\n  x: 1\n\n  y: 2\n"
