"""Tests for releasekit.sandbox.workflow: what GitHub Actions would do with a workflow file."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path

import pytest

from releasekit.sandbox.workflow import (
    ExprContext,
    WorkflowFileError,
    WorkflowSpec,
    condition_holds,
    dispatch_errors,
    evaluate,
    expand_matrix,
    interpolate,
    parse_workflow,
    plan_jobs,
    push_matches,
    resolved_inputs,
)

REPO = Path(__file__).resolve().parents[1]
PATH = ".github/workflows/x.yml"


def wf(text: str) -> WorkflowSpec:
    return parse_workflow(PATH, textwrap.dedent(text))


def push(on: str) -> WorkflowSpec:
    """A one-job workflow with the given `on:` block (already indented by two spaces)."""
    return wf(f"on:\n{on}\njobs:\n  j:\n    runs-on: x\n    steps:\n      - run: echo\n")


def ctx(
    inputs: Mapping[str, object] | None = None,
    needs: Mapping[str, str] | None = None,
    status: str = "success",
    **github: object,
) -> ExprContext:
    base: dict[str, object] = {"ref": "refs/heads/main", "ref_name": "main", "event_name": "push", "event": {}}
    return ExprContext(github={**base, **github}, inputs=inputs or {}, needs=needs or {}, job_status=status)


def failure(text: str) -> WorkflowFileError:
    with pytest.raises(WorkflowFileError) as info:
        wf(text)
    return info.value


# --- parse_workflow ----------------------------------------------------------------------------------------------


def test_bare_on_key_and_defaults() -> None:
    spec = wf("""\
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: make
        """)
    assert spec.triggers == {"push": {}}
    assert spec.name == PATH  # GitHub shows the path when there is no `name:`
    assert spec.run_name is None
    assert spec.dispatch_inputs is None
    assert [job.job_id for job in spec.jobs] == ["build"]


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        ("on: [push, workflow_dispatch]", {"push": {}, "workflow_dispatch": {}}),
        ("on:\n  push:\n  release:\n    types: [published]", {"push": {}, "release": {"types": ["published"]}}),
        ('"on":\n  push: {}', {"push": {}}),
        ("on:\n  schedule:\n    - cron: '0 3 * * *'", {"schedule": [{"cron": "0 3 * * *"}]}),
    ],
)
def test_triggers_are_normalized(on: str, expected: dict[str, object]) -> None:
    spec = wf(f"{on}\njobs:\n  j:\n    runs-on: x\n    steps:\n      - run: echo\n")
    assert spec.triggers == expected


def test_jobs_and_steps() -> None:
    spec = wf("""\
        name: CI
        run-name: "CI ${{ inputs.version }}"
        on: workflow_dispatch
        jobs:
          build:
            name: "Build ${{ inputs.version }}"
            runs-on: [self-hosted, linux]
            if: github.ref == 'refs/heads/main'
            strategy:
              matrix:
                py: ["3.12"]
            steps:
              - name: Check out
                uses: actions/checkout@v4
              - uses: actions/setup-python@v5
              - id: script
                if: always()
                run: |

                  echo "first ${{ inputs.version }}"
                  echo second
          publish:
            needs: build
            runs-on: ubuntu-latest
            steps:
              - run: echo publish
          notify:
            needs: [build, publish]
            uses: ./.github/workflows/notify.yml
        """)
    assert spec.name == "CI"
    assert spec.run_name == "CI ${{ inputs.version }}"
    assert spec.dispatch_inputs == {}
    build, publish, notify = spec.jobs
    assert build.name == "Build ${{ inputs.version }}"
    assert build.runs_on == ["self-hosted", "linux"]
    assert build.condition == "github.ref == 'refs/heads/main'"
    assert build.matrix == {"py": ["3.12"]}
    assert [step.name for step in build.steps] == [
        "Check out",
        "Run actions/setup-python@v5",
        'Run echo "first ${{ inputs.version }}"',  # the first line of the script, as written
    ]
    assert build.steps[2].step_id == "script"
    assert build.steps[2].condition == "always()"
    assert build.steps[0].uses == "actions/checkout@v4"
    assert (publish.needs, publish.name, publish.matrix, publish.condition) == (("build",), None, None, None)
    assert notify.needs == ("build", "publish")
    assert (notify.runs_on, notify.steps) == (None, ())


def test_dispatch_inputs() -> None:
    spec = wf("""\
        on:
          workflow_dispatch:
            inputs:
              version:
                description: Version to release
                required: true
              dry-run:
                type: boolean
                default: true
              level:
                type: choice
                options: [patch, minor, major]
                default: patch
              retries:
                type: number
                default: 3
              target:
                type: environment
        jobs:
          j:
            runs-on: x
            steps:
              - run: echo
        """)
    assert spec.dispatch_inputs is not None
    inputs = spec.dispatch_inputs
    assert list(inputs) == ["version", "dry-run", "level", "retries", "target"]
    version = inputs["version"]
    assert (version.type, version.required, version.default, version.description) == (
        "string",
        True,
        None,
        "Version to release",
    )
    assert (inputs["dry-run"].type, inputs["dry-run"].default, inputs["dry-run"].required) == ("boolean", "true", False)
    assert inputs["level"].options == ("patch", "minor", "major")
    assert inputs["retries"].default == "3"
    assert inputs["target"].type == "environment"


def test_yaml_syntax_error_names_the_line() -> None:
    error = failure("""\
        on: push
        jobs:
          build:
            runs-on: [ubuntu
            steps: []
        """)
    assert error.path == PATH
    assert str(error).startswith(f"Invalid workflow file: {PATH}#L")
    assert f"#L{error.line} You have an error in your yaml syntax on line {error.line}" in str(error)
    assert error.line in (4, 5, 6)


def test_yaml_bad_indentation_line() -> None:
    error = failure("on: push\njobs:\n  build:\n    runs-on: x\n   steps: []\n")
    assert error.line == 5
    assert str(error).startswith(f"Invalid workflow file: {PATH}#L5 You have an error in your yaml syntax on line 5")


@pytest.mark.parametrize(
    ("text", "line", "detail"),
    [
        ("jobs:\n  j:\n    runs-on: x\n    steps: [{run: a}]\n", 1, "No event triggers defined in `on`"),
        ("name: x\non:\njobs:\n  j:\n    runs-on: x\n    steps: [{run: a}]\n", 2, "No event triggers defined in `on`"),
        ("", 1, "No event triggers defined in `on`"),
        ("- push\n- jobs\n", 1, 'A workflow file must be a mapping, not ["push", "jobs"]'),
        ("name: x\non: push\n", 1, "Required property is missing: jobs"),
        ("on: push\njobs: {}\n", 2, "No jobs defined in `jobs`"),
        ("on: push\njobs:\n  j:\n    steps: [{run: a}]\n", 3, "Required property is missing: runs-on"),
        ("on: push\njobs:\n  j:\n    runs-on: x\n", 3, "Required property is missing: steps"),
        (
            "on: push\njobs:\n  j:\n    runs-on: x\n    needs: nope\n    steps: [{run: a}]\n",
            5,
            "Job 'j' depends on unknown job 'nope'.",
        ),
        (
            "on: push\njobs:\n  a:\n    needs: b\n    runs-on: x\n    steps: [{run: a}]\n"
            "  b:\n    needs: a\n    runs-on: x\n    steps: [{run: a}]\n",
            4,
            "Job 'a' depends on job 'b' which creates a cycle in the dependency graph.",
        ),
        ("on: push\njobs:\n  1st:\n    runs-on: x\n    steps: [{run: a}]\n", 3, "The identifier '1st' is invalid."),
        (
            "on:\n  push:\n    branches: [main]\n    branches-ignore: [dev]\njobs:\n  j:\n    runs-on: x\n"
            "    steps: [{run: a}]\n",
            2,
            "you may only define one of `branches` and `branches-ignore` for a single event",
        ),
        (
            "on:\n  push:\n    tags: ['v[1']\njobs:\n  j:\n    runs-on: x\n    steps: [{run: a}]\n",
            3,
            "Invalid pattern 'v[1' in `on.push.tags`",
        ),
        (
            "on:\n  workflow_dispatch:\n    inputs:\n      x:\n        type: choice\njobs:\n  j:\n    runs-on: x\n"
            "    steps: [{run: a}]\n",
            4,
            "Input 'x' of type choice must define `options`",
        ),
        (
            "on:\n  workflow_dispatch:\n    inputs:\n      x:\n        type: text\njobs:\n  j:\n    runs-on: x\n"
            "    steps: [{run: a}]\n",
            5,
            "Unexpected value 'text'",
        ),
        (
            "on: push\njobs:\n  j:\n    runs-on: x\n    if: nope() == 1\n    steps: [{run: a}]\n",
            5,
            "Unrecognized function: 'nope'",
        ),
        (
            "on: push\njobs:\n  j:\n    runs-on: x\n    steps:\n      - run: a\n      - uses: b\n        run: c\n",
            7,
            "A step must define exactly one of `uses` and `run`",
        ),
    ],
)
def test_invalid_workflow_files(text: str, line: int, detail: str) -> None:
    error = failure(text)
    assert error.line == line
    assert detail in error.detail
    assert str(error).startswith(f"Invalid workflow file: {PATH}#L{line} ")


def test_too_many_declared_inputs() -> None:
    inputs = "".join(f"      i{n}: {{}}\n" for n in range(26))
    error = failure(
        f"on:\n  workflow_dispatch:\n    inputs:\n{inputs}jobs:\n  j:\n    runs-on: x\n    steps: [{{run: a}}]\n"
    )
    assert error.detail == "you may only define up to 25 `inputs` for a `workflow_dispatch` event"


# --- push_matches ------------------------------------------------------------------------------------------------


def test_bare_push_matches_every_branch_and_tag() -> None:
    for on in ("  push:\n", "  push: {}\n"):
        spec = push(on)
        assert push_matches(spec, "refs/heads/main", None)
        assert push_matches(spec, "refs/heads/feature/x", ["a.py"])
        assert push_matches(spec, "refs/tags/v1.4.0", None)
        assert not push_matches(spec, "refs/pull/1/merge", None)


def test_workflow_without_push_never_matches() -> None:
    assert not push_matches(push("  workflow_dispatch:\n"), "refs/heads/main", None)


def test_branch_filter_only_never_matches_tags() -> None:
    spec = push("  push:\n    branches: [main, 'releases/**']\n")
    assert push_matches(spec, "refs/heads/main", None)
    assert push_matches(spec, "refs/heads/releases/1.x/hotfix", None)
    assert not push_matches(spec, "refs/heads/develop", None)
    assert not push_matches(spec, "refs/tags/v1.4.0", None)
    assert not push_matches(spec, "refs/tags/main", None)


def test_tag_filter_only_never_matches_branches() -> None:
    spec = push("  push:\n    tags: ['v*']\n")
    assert push_matches(spec, "refs/tags/v1.4.0", None)
    assert not push_matches(spec, "refs/tags/1.4.0", None)
    assert not push_matches(spec, "refs/heads/main", None)
    assert not push_matches(spec, "refs/heads/v1", None)


def test_branch_and_tag_filters_each_check_their_kind() -> None:
    spec = push("  push:\n    branches: [main]\n    tags: ['v*']\n")
    assert push_matches(spec, "refs/heads/main", None)
    assert push_matches(spec, "refs/tags/v2.0.0", None)
    assert not push_matches(spec, "refs/heads/v2.0.0", None)
    assert not push_matches(spec, "refs/tags/main", None)


def test_ignore_filters() -> None:
    spec = push("  push:\n    branches-ignore: ['dependabot/**', gh-pages]\n    tags-ignore: ['*-rc*']\n")
    assert push_matches(spec, "refs/heads/main", None)
    assert not push_matches(spec, "refs/heads/dependabot/pip/x", None)
    assert not push_matches(spec, "refs/heads/gh-pages", None)
    assert push_matches(spec, "refs/tags/v1.0.0", None)
    assert not push_matches(spec, "refs/tags/v1.0.0-rc1", None)
    # An ignore filter is still a filter of its kind: tags-ignore alone does not let branches through.
    assert not push_matches(push("  push:\n    tags-ignore: ['x']\n"), "refs/heads/main", None)


def test_negated_patterns_last_match_decides() -> None:
    spec = push("  push:\n    branches: ['releases/**', '!releases/**-alpha']\n")
    assert push_matches(spec, "refs/heads/releases/10", None)
    assert not push_matches(spec, "refs/heads/releases/10-alpha", None)
    reordered = push("  push:\n    branches: ['!releases/**-alpha', 'releases/**']\n")
    assert push_matches(reordered, "refs/heads/releases/10-alpha", None)
    tags = push("  push:\n    tags: ['v*', '!v*-rc*', 'v9*']\n")
    assert push_matches(tags, "refs/tags/v1.0.0", None)
    assert not push_matches(tags, "refs/tags/v1.0.0-rc1", None)
    assert push_matches(tags, "refs/tags/v9.0.0-rc1", None)


def test_single_star_stops_at_slash() -> None:
    spec = push("  push:\n    branches: ['feature/*']\n")
    assert push_matches(spec, "refs/heads/feature/a", None)
    assert not push_matches(spec, "refs/heads/feature/a/b", None)


def test_paths_apply_to_branch_pushes_only() -> None:
    spec = push("  push:\n    branches: [main]\n    tags: ['v*']\n    paths: ['src/**', '!src/**/*.md']\n")
    assert push_matches(spec, "refs/heads/main", ["src/app/main.py"])
    assert push_matches(spec, "refs/heads/main", ["docs/x.md", "src/a.py"])
    assert not push_matches(spec, "refs/heads/main", ["docs/index.md"])
    assert not push_matches(spec, "refs/heads/main", ["src/app/README.md"])  # negated, and it comes last
    assert not push_matches(spec, "refs/heads/main", [])
    assert push_matches(spec, "refs/heads/main", None)  # unknown (a new branch): treated as matching
    assert push_matches(spec, "refs/tags/v1.0.0", ["docs/index.md"])  # never evaluated for tags


def test_paths_alone_still_lets_tags_through() -> None:
    spec = push("  push:\n    paths: ['**.py']\n")
    assert push_matches(spec, "refs/tags/v1.0.0", ["README.md"])
    assert push_matches(spec, "refs/heads/main", ["pkg/deep/mod.py"])
    assert not push_matches(spec, "refs/heads/main", ["README.md"])


def test_paths_ignore() -> None:
    spec = push("  push:\n    paths-ignore: ['docs/**', '**/README.md']\n")
    assert not push_matches(spec, "refs/heads/main", ["docs/a.md", "README.md", "pkg/README.md"])
    assert push_matches(spec, "refs/heads/main", ["docs/a.md", "setup.py"])
    assert push_matches(spec, "refs/heads/main", None)
    assert push_matches(spec, "refs/tags/v1", ["docs/a.md"])


# --- workflow_dispatch -------------------------------------------------------------------------------------------

DISPATCH = """\
    on:
      workflow_dispatch:
        inputs:
          version:
            required: true
          channel:
            required: true
            default: stable
          dry-run:
            type: boolean
          level:
            type: choice
            options: [patch, minor]
            default: patch
          retries:
            type: number
            default: 2
          note:
            type: string
    jobs:
      j:
        runs-on: x
        steps:
          - run: echo
    """


def test_dispatch_without_trigger() -> None:
    assert dispatch_errors(push("  push:\n"), {}) == ["Workflow does not have 'workflow_dispatch' trigger"]


def test_dispatch_accepted() -> None:
    spec = wf(DISPATCH)
    assert dispatch_errors(spec, {"version": "1.4.0"}) == []
    assert dispatch_errors(spec, {"version": "1.4.0", "dry-run": "true", "level": "minor", "retries": "5"}) == []
    # PyGithub may send Python values; GitHub itself wants strings.
    assert dispatch_errors(spec, {"version": "1", "dry-run": False, "retries": 2.5}) == []


def test_dispatch_errors_in_githubs_order() -> None:
    spec = wf(DISPATCH)
    inputs: dict[str, object] = {"zeta": "1", "alpha": "2", "dry-run": "yes", "level": "huge", "retries": "many"}
    assert dispatch_errors(spec, inputs) == [
        'Unexpected inputs provided: ["alpha", "zeta"]',
        "Required input 'version' not provided",
        "Provided value 'yes' for input 'dry-run' is not a valid boolean",
        "Provided value 'huge' for input 'level' not in the list of allowed values",
        "Provided value 'many' for input 'retries' is not a valid number",
    ]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("dry-run", "True", "Provided value 'True' for input 'dry-run' is not a valid boolean"),
        ("dry-run", 1, "Provided value '1' for input 'dry-run' is not a valid boolean"),
        ("retries", True, "Provided value 'true' for input 'retries' is not a valid number"),
        ("retries", "", "Provided value '' for input 'retries' is not a valid number"),
        # As releasekit's own check (releasekit.github_rules): what GitHub's Run-workflow form can send, no more.
        ("retries", " 4 ", "Provided value ' 4 ' for input 'retries' is not a valid number"),
        ("retries", "+4", "Provided value '+4' for input 'retries' is not a valid number"),
        ("level", "PATCH", "Provided value 'PATCH' for input 'level' not in the list of allowed values"),
    ],
)
def test_dispatch_value_validation(name: str, value: object, message: str) -> None:
    assert dispatch_errors(wf(DISPATCH), {"version": "1", name: value}) == [message]


@pytest.mark.parametrize("value", ["-3", "1e3", "4", ".5", 7, 0.25])
def test_dispatch_valid_numbers(value: object) -> None:
    assert dispatch_errors(wf(DISPATCH), {"version": "1", "retries": value}) == []


def test_dispatch_more_than_25_inputs() -> None:
    inputs: dict[str, object] = {f"x{n:02}": "v" for n in range(25)}
    inputs["version"] = "1"
    errors = dispatch_errors(wf(DISPATCH), inputs)
    assert errors[-1] == "you may only define up to 25 `inputs` for a `workflow_dispatch` event"
    assert errors[0].startswith('Unexpected inputs provided: ["x00", "x01",')


def test_resolved_inputs() -> None:
    spec = wf(DISPATCH)
    assert resolved_inputs(spec, {"version": "1.4.0"}) == {
        "version": "1.4.0",
        "channel": "stable",
        "dry-run": False,
        "level": "patch",
        "retries": 2,
        "note": "",
    }
    got = resolved_inputs(spec, {"version": "2", "dry-run": "true", "retries": "1.5", "unknown": "x"})
    assert got["dry-run"] is True
    assert got["retries"] == 1.5
    assert "unknown" not in got
    assert resolved_inputs(spec, {"dry-run": True, "retries": 4})["dry-run"] is True
    assert resolved_inputs(spec, {"retries": 4})["retries"] == 4
    assert resolved_inputs(push("  push:\n"), {"a": "b"}) == {}
    boolean_default = wf(
        "on:\n  workflow_dispatch:\n    inputs:\n      go:\n        type: boolean\n        default: true\n"
        "jobs:\n  j:\n    runs-on: x\n    steps: [{run: a}]\n"
    )
    assert resolved_inputs(boolean_default, {}) == {"go": True}
    assert resolved_inputs(boolean_default, {"go": "false"}) == {"go": False}


# --- expressions -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("null", None),
        ("true", True),
        ("false", False),
        ("42", 42),
        ("-2.5", -2.5),
        ("0x1F", 31),
        ("1e3", 1000),
        ("'it''s'", "it's"),
        ("''", ""),
        ("github.ref", "refs/heads/main"),
        ("github['ref_name']", "main"),
        ("GitHub.REF_NAME", "main"),  # context and property names are case-insensitive
        ("github.nope", None),
        ("github.nope.deeper", None),
        ("fromJSON('[10, 20]')[1]", 20),
        ("fromJSON('[10, 20]')[5]", None),
        ('fromJSON(\'{"a": {"b-c": 1}}\').a.b-c', 1),
        ('fromJSON(\'[{"n": 1}, {"n": 2}]\').*.n', [1, 2]),
        ("!true", False),
        ("!''", True),
        ("!fromJSON('[]')", False),  # arrays are truthy, even empty ones
        ("1 < 2", True),
        ("2 <= 2", True),
        ("'b' > 'A'", True),
        ("'abc' == 'ABC'", True),
        ("'abc' != 'abd'", True),
        ("'1' == 1", True),
        ("'0x10' == 16", True),
        ("'' == 0", True),
        ("null == 0", True),
        ("null == false", True),
        ("true == 1", True),
        ("true == '1'", True),
        ("'abc' == 0", False),
        ("NaN == NaN", False),
        ("fromJSON('[]') == fromJSON('[]')", False),  # arrays and objects compare by identity
        ("github.event == github.event", True),
        ("1 < 'x'", False),
        ("false < true", True),
        ("null && 'x'", None),
        ("'a' && 'b'", "b"),
        ("'' || 'fallback'", "fallback"),
        ("0 || null", None),
        ("'x' || 'y'", "x"),
        ("(1 == 1) && (2 > 1 || false)", True),
        ("1 == 1 && 2 == 3 || 'or'", "or"),
    ],
)
def test_evaluate(expression: str, expected: object) -> None:
    assert evaluate(expression, ctx()) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("contains('Hello World', 'WORLD')", True),
        ("contains('Hello', 'x')", False),
        ("contains(fromJSON('[\"a\", 2]'), 'A')", True),
        ("contains(fromJSON('[\"a\", 2]'), '2')", True),
        ("contains(fromJSON('[\"a\"]'), 'b')", False),
        ("startsWith('Refs/Heads/main', 'refs/heads/')", True),
        ("endsWith('v1.4.0-RC1', '-rc1')", True),
        ("endsWith('v1.4.0', 'rc1')", False),
        ("format('{0} {1}', 'Hello', 'World')", "Hello World"),
        ("format('{{0}} is {0}; {{{0}}}', 1.0)", "{0} is 1; {1}"),
        ("format('{1}{0}{1}', 'a', true)", "trueatrue"),
        ("join(fromJSON('[\"a\", 1, true, null]'))", "a,1,true,"),
        ("join(fromJSON('[\"a\", \"b\"]'), ' | ')", "a | b"),
        ("join('solo', '-')", "solo"),
        ('toJSON(fromJSON(\'{"a": [1, 2.0], "b": null}\'))', '{\n  "a": [\n    1,\n    2\n  ],\n  "b": null\n}'),
        ("toJSON('x')", '"x"'),
        ("fromJSON('{\"x\": true}').x", True),
        ("fromJSON('3')", 3),
        ("always()", True),
        ("SUCCESS()", True),
        ("failure()", False),
        ("cancelled()", False),
    ],
)
def test_functions(expression: str, expected: object) -> None:
    assert evaluate(expression, ctx()) == expected


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("nosuch(1)", "Unrecognized function: 'nosuch'. Located at position 1 within expression: nosuch(1)"),
        ("foo.bar", "Unrecognized named-value: 'foo'. Located at position 1 within expression: foo.bar"),
        ("contains('a')", "Too few parameters supplied: 'contains'"),
        ("always(1)", "Too many parameters supplied: 'always'"),
        ("1 +", "Unexpected symbol: '+'"),
        ("a = b", "Unexpected symbol"),
        ("'open", "Unexpected symbol: ''open'"),
        ("(1 == 1", "Unexpected end of expression"),
        ("format('{0}')", "references more arguments than were supplied"),
        ("format('{x}', 1)", "The following format string is invalid: {x}"),
        ("fromJSON('{nope')", "is not valid JSON"),
        ("hashFiles('**/lock')", "hashFiles()"),
        ("", "An expression was expected"),
    ],
)
def test_expression_errors(expression: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        evaluate(expression, ctx())
    assert message in str(info.value)


def test_contexts() -> None:
    c = ExprContext(
        github={"ref": "refs/tags/v1", "event": {}},
        inputs={"version": "1.4.0", "dry-run": True, "retries": 3},
        vars={"REGION": "eu"},
        matrix={"os": "linux"},
        needs={"build": "success"},
    )
    assert evaluate("inputs.version", c) == "1.4.0"
    assert evaluate("inputs.dry-run", c) is True
    # github.event.inputs mirrors inputs as the strings the dispatch API received.
    assert evaluate("github.event.inputs", c) == {"version": "1.4.0", "dry-run": "true", "retries": "3"}
    assert evaluate("vars.REGION", c) == "eu"
    assert evaluate("vars.MISSING", c) is None
    assert evaluate("matrix.os", c) == "linux"
    assert evaluate("needs.build.result", c) == "success"
    assert evaluate("needs.other.result", c) is None
    assert evaluate("secrets.GITHUB_TOKEN", c) == ""  # never a real value
    assert evaluate("secrets.PYPI_TOKEN || 'none'", c) == "none"
    assert evaluate("toJSON(secrets)", c) == "{}"
    assert evaluate("env.HOME", c) is None
    assert evaluate("runner.os", c) == "Linux"
    # An event payload that carries its own inputs is left alone.
    given = ExprContext(github={"event": {"inputs": {"x": "given"}}}, inputs={"x": "other"})
    assert evaluate("github.event.inputs.x", given) == "given"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain text", "plain text"),
        ("v${{ inputs.version }}", "v1.4.0"),
        ("${{ null }}|${{ true }}|${{ false }}", "|true|false"),
        ("${{ 1.0 }} ${{ 2.50 }} ${{ 0.1 }} ${{ 1e21 }} ${{ 0x10 }}", "1 2.5 0.1 1e+21 16"),
        (
            "${{ 100.0 }} ${{ -0.5 }} ${{ 0.000001 }} ${{ 1e-7 }} ${{ 5e20 }}",
            "100 -0.5 0.000001 1e-7 500000000000000000000",
        ),
        ("${{ fromJSON('[1]') }} ${{ github.event }}", "Array Object"),
        ("${{ format('}}{0}', 'x') }}!", "}x!"),  # a `}}` inside a quoted string does not end the expression
        ("a ${{ inputs.missing }} b", "a  b"),
    ],
)
def test_interpolate(text: str, expected: str) -> None:
    assert interpolate(text, ctx(inputs={"version": "1.4.0"})) == expected


def test_interpolate_unclosed_expression() -> None:
    with pytest.raises(ValueError, match="The expression is not closed"):
        interpolate("oops ${{ inputs.x ", ctx())


def test_run_name_interpolation() -> None:
    spec = wf("""\
        run-name: "Release ${{ inputs.version }} by ${{ github.actor }}${{ github.event.inputs.note || ' (no note)' }}"
        on:
          workflow_dispatch:
            inputs:
              version:
                required: true
              note: {}
        jobs:
          j:
            runs-on: x
            steps: [{run: a}]
        """)
    assert spec.run_name is not None
    inputs = resolved_inputs(spec, {"version": "1.4.0"})
    assert interpolate(spec.run_name, ctx(inputs=inputs, actor="mona")) == "Release 1.4.0 by mona (no note)"
    inputs = resolved_inputs(spec, {"version": "1.4.0", "note": " - hotfix"})
    assert interpolate(spec.run_name, ctx(inputs=inputs, actor="mona")) == "Release 1.4.0 by mona - hotfix"


def test_condition_holds() -> None:
    ok = ctx(needs={"build": "success"})
    failed = ctx(needs={"build": "failure", "lint": "success"})
    skipped = ctx(needs={"build": "skipped"})
    cancelled = ctx(needs={"build": "cancelled"}, status="cancelled")
    assert condition_holds(None, ok)
    assert condition_holds("", ok)
    assert not condition_holds(None, failed)
    assert not condition_holds(None, skipped)  # a skipped need skips the job too
    assert condition_holds("always()", failed)
    assert condition_holds("${{ always() }}", skipped)
    assert condition_holds("failure()", failed)
    assert not condition_holds("failure()", ok)
    assert condition_holds("cancelled()", cancelled)
    assert not condition_holds("!cancelled()", cancelled)
    assert condition_holds("!cancelled() && needs.build.result == 'skipped'", skipped)
    # Without a status function a condition means `success() && (condition)`.
    assert condition_holds("github.ref == 'refs/heads/main'", ok)
    assert not condition_holds("github.ref == 'refs/heads/main'", failed)
    assert not condition_holds("${{ github.ref == 'refs/heads/other' }}", ok)
    assert condition_holds("${{ needs.build.result == 'failure' || always() }}", failed)
    # Text around a ${{ }} makes the condition a non-empty string: always true (GitHub's well-known trap).
    assert condition_holds("${{ false }} == true", ok)
    assert not condition_holds("${{ false }} == true", failed)


# --- matrix and planning -----------------------------------------------------------------------------------------


def matrix(text: str, c: ExprContext | None = None) -> list[dict[str, object]] | None:
    spec = wf(f"on: push\njobs:\n  j:\n    runs-on: x\n    strategy:\n      matrix:\n{text}    steps: [{{run: a}}]\n")
    return expand_matrix(spec.jobs[0].matrix, c or ctx())


def test_matrix_include_expands_docs_example() -> None:
    # GitHub docs, "Expanding or adding matrix configurations".
    got = matrix("""\
        fruit: [apple, pear]
        animal: [cat, dog]
        include:
          - color: green
          - color: pink
            animal: cat
          - fruit: apple
            shape: circle
          - fruit: banana
          - fruit: banana
            animal: cat
""")
    assert got == [
        {"fruit": "apple", "animal": "cat", "color": "pink", "shape": "circle"},
        {"fruit": "apple", "animal": "dog", "color": "green", "shape": "circle"},
        {"fruit": "pear", "animal": "cat", "color": "pink"},
        {"fruit": "pear", "animal": "dog", "color": "green"},
        {"fruit": "banana"},
        {"fruit": "banana", "animal": "cat"},
    ]
    assert got is not None
    assert list(got[0]) == ["fruit", "animal", "color", "shape"]  # original keys first, then include's


def test_matrix_exclude_docs_example() -> None:
    got = matrix("""\
        os: [macos-latest, windows-latest]
        version: [12, 14, 16]
        environment: [staging, production]
        exclude:
          - os: macos-latest
            version: 12
            environment: production
          - os: windows-latest
            version: 16
""")
    assert got is not None
    assert len(got) == 9
    assert {"os": "macos-latest", "version": 12, "environment": "production"} not in got
    assert not any(c["os"] == "windows-latest" and c["version"] == 16 for c in got)
    assert got[0] == {"os": "macos-latest", "version": 12, "environment": "staging"}


def test_matrix_include_adds_to_one_combination() -> None:
    got = matrix("""\
        os: [windows-latest, ubuntu-latest]
        node: [14, 16]
        include:
          - os: windows-latest
            node: 16
            npm: 6
""")
    assert got == [
        {"os": "windows-latest", "node": 14},
        {"os": "windows-latest", "node": 16, "npm": 6},
        {"os": "ubuntu-latest", "node": 14},
        {"os": "ubuntu-latest", "node": 16},
    ]


def test_matrix_exclude_runs_before_include() -> None:
    got = matrix("""\
        os: [a, b]
        exclude:
          - os: b
        include:
          - os: b
            extra: 1
""")
    assert got == [{"os": "a"}, {"os": "b", "extra": 1}]


def test_matrix_include_only() -> None:
    got = matrix("""\
        include:
          - machine: one
            runs-on: ubuntu-24.04
          - machine: two
            runs-on: [self-hosted, two]
""")
    assert got == [
        {"machine": "one", "runs-on": "ubuntu-24.04"},
        {"machine": "two", "runs-on": ["self-hosted", "two"]},
    ]


def test_matrix_expressions() -> None:
    c = ctx(inputs={"matrix": '{"py": ["3.12", "3.13"]}', "version": "2"})
    assert matrix("        ${{ fromJSON(inputs.matrix) }}\n", c) == [{"py": "3.12"}, {"py": "3.13"}]
    assert matrix("        ${{ inputs.version }}\n", c) is None  # not a mapping: no matrix
    assert matrix("        os: ${{ fromJSON('[\"a\", \"b\"]') }}\n        tag: ['v${{ inputs.version }}']\n", c) == [
        {"os": "a", "tag": "v2"},
        {"os": "b", "tag": "v2"},
    ]
    with pytest.raises(ValueError, match="Matrix vector 'os' does not contain any values"):
        matrix("        os: []\n")


PLAN = """\
    name: Release
    on: workflow_dispatch
    jobs:
      build:
        name: "build (${{ matrix.machine }})"
        strategy:
          matrix:
            include:
              - machine: ubuntu
                runs-on: ubuntu-24.04
              - machine: mac
                runs-on: [self-hosted, macOS]
        runs-on: ${{ matrix.runs-on }}
        steps:
          - uses: actions/checkout@v4
          - name: Build on ${{ matrix.machine }}
            run: make
      test:
        strategy:
          matrix:
            os: [ubuntu-latest, windows-latest]
            python: ["3.12", 3.13]
            config: [{a: 1}]
        runs-on: ${{ matrix.os }}
        steps:
          - run: pytest ${{ matrix.python }}
      lint:
        name: Lint ${{ inputs.version }}
        strategy:
          matrix:
            flag: [true]
        runs-on: ubuntu-latest
        steps:
          - run: ruff
      publish:
        name: "Publish ${{ inputs.version }}"
        needs: [build, test]
        if: ${{ !cancelled() }}
        runs-on:
          group: releasers
          labels: [linux, "${{ inputs.arch }}"]
        steps:
          - name: Upload ${{ secrets.TOKEN }}done
            run: twine upload
          - name: Broken ${{ fromJSON('nope') }}
            run: echo
      plain:
        runs-on: ubuntu-latest
        steps:
          - run: echo
    """


def test_plan_jobs() -> None:
    jobs = plan_jobs(wf(PLAN), ctx(inputs={"version": "1.4.0", "arch": "arm64"}))
    assert [job.key for job in jobs] == [
        "build-1",
        "build-2",
        "test-1",
        "test-2",
        "test-3",
        "test-4",
        "lint-1",
        "publish",
        "plain",
    ]
    names = [job.name for job in jobs]
    assert names == [
        "build (ubuntu)",
        "build (mac)",
        'test (ubuntu-latest, 3.12, {"a":1})',
        'test (ubuntu-latest, 3.13, {"a":1})',
        'test (windows-latest, 3.12, {"a":1})',
        'test (windows-latest, 3.13, {"a":1})',
        "Lint 1.4.0 (true)",
        "Publish 1.4.0",
        "plain",
    ]
    build_ubuntu, build_mac, test1 = jobs[0], jobs[1], jobs[2]
    assert build_ubuntu.labels == ("ubuntu-24.04",)
    assert build_mac.labels == ("self-hosted", "macOS")
    assert build_mac.matrix == {"machine": "mac", "runs-on": ["self-hosted", "macOS"]}
    assert build_mac.steps == ("Set up job", "Run actions/checkout@v4", "Build on mac", "Complete job")
    assert test1.labels == ("ubuntu-latest",)
    assert test1.steps == ("Set up job", "Run pytest ${{ matrix.python }}", "Complete job")
    publish = jobs[7]
    assert publish.needs == ("build", "test")
    assert publish.condition == "${{ !cancelled() }}"
    assert publish.labels == ("linux", "arm64")
    assert publish.runner_group == "releasers"
    assert publish.matrix == {}
    # Secrets are empty; a name the runner cannot evaluate stays as written.
    assert publish.steps == ("Set up job", "Upload done", "Broken ${{ fromJSON('nope') }}", "Complete job")
    assert jobs[8].steps == ("Set up job", "Run echo", "Complete job")
    assert jobs[8].labels == ("ubuntu-latest",)


# --- the generated workflows of this repository and of the fluxion example ----------------------------------------

WORKFLOW_FILES = sorted((REPO / ".github" / "workflows").glob("*.yml")) + sorted(
    (REPO / "examples" / "fluxion" / ".github" / "workflows").glob("*.yml")
)


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_generated_workflows_parse_and_plan(path: Path) -> None:
    relative = str(path.relative_to(REPO))
    spec = parse_workflow(relative, path.read_text(encoding="utf-8"))
    assert spec.triggers
    assert spec.jobs
    inputs = resolved_inputs(spec, {"version": "1.4.0"})
    c = ctx(inputs=inputs, ref="refs/tags/v1.4.0", ref_name="v1.4.0")
    planned = plan_jobs(spec, c)
    assert planned
    assert all(job.labels and job.steps[0] == "Set up job" and job.steps[-1] == "Complete job" for job in planned)
    assert len({job.key for job in planned}) == len(planned)


def load(relative: str) -> WorkflowSpec:
    return parse_workflow(relative, (REPO / relative).read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "relative", [".github/workflows/release.yml", "examples/fluxion/.github/workflows/release.yml"]
)
def test_release_workflow_runs_on_version_tags_only(relative: str) -> None:
    spec = load(relative)
    assert spec.name == "Release"
    assert spec.triggers == {"push": {"tags": ["v*"]}}
    assert spec.dispatch_inputs is None
    assert [(job.job_id, job.needs) for job in spec.jobs] == [
        ("build", ()),
        ("python-index", ("build",)),
        ("github-release", ("build", "python-index")),
    ]
    assert push_matches(spec, "refs/tags/v1.4.0", None)
    assert not push_matches(spec, "refs/heads/main", ["pyproject.toml"])
    assert not push_matches(spec, "refs/tags/1.4.0", None)
    names = [job.name for job in plan_jobs(spec, ctx(ref="refs/tags/v1.4.0", ref_name="v1.4.0"))]
    assert names == ["build", "upload to pypi", "GitHub release"]
    assert dispatch_errors(spec, {}) == ["Workflow does not have 'workflow_dispatch' trigger"]


def test_tests_workflows_run_on_their_branches() -> None:
    tests = load(".github/workflows/tests.yml")
    assert push_matches(tests, "refs/heads/main", ["releasekit/cli.py"])
    assert not push_matches(tests, "refs/heads/develop", None)
    assert not push_matches(tests, "refs/tags/v1.4.0", None)
    assert [job.name for job in plan_jobs(tests, ctx())] == ["test (linux)", "test (linux-py310)"]
    suite = load("examples/fluxion/.github/workflows/test-suite.yml")
    assert push_matches(suite, "refs/heads/develop", None)
    assert not push_matches(suite, "refs/heads/main", None)
    planned = plan_jobs(suite, ctx())
    assert [(job.name, job.labels) for job in planned] == [
        ("test (ubuntu)", ("ubuntu-24.04",)),
        ("test (windows-pc)", ("self-hosted", "Windows", "windows-pc")),
    ]


def test_fluxion_release_full_dispatch() -> None:
    spec = load("examples/fluxion/.github/workflows/release-full.yml")
    assert not push_matches(spec, "refs/tags/v1.4.0", None)
    assert spec.dispatch_inputs is not None
    assert list(spec.dispatch_inputs) == ["version", "correlation_id"]
    assert dispatch_errors(spec, {}) == ["Required input 'version' not provided"]
    assert dispatch_errors(spec, {"version": "1.4.0", "ref": "main"}) == ['Unexpected inputs provided: ["ref"]']
    assert spec.run_name is not None
    plain = resolved_inputs(spec, {"version": "1.4.0"})
    assert plain == {"version": "1.4.0", "correlation_id": ""}
    assert interpolate(spec.run_name, ctx(inputs=plain)) == "Release Full 1.4.0"
    tagged = resolved_inputs(spec, {"version": "1.4.0", "correlation_id": "rk-42"})
    assert interpolate(spec.run_name, ctx(inputs=tagged)) == "Release Full 1.4.0 [rk-42]"
    planned = plan_jobs(spec, ctx(inputs=plain))
    assert [(job.key, job.name) for job in planned] == [
        ("build-1", "build (ubuntu)"),
        ("build-2", "build (imac)"),
        ("build-3", "build (windows-pc)"),
        ("python-index", "upload to pypi"),
        ("github-release", "GitHub release"),
    ]
    assert planned[1].labels == ("self-hosted", "macOS", "imac")
    e2e = load("examples/fluxion/.github/workflows/e2e-tests.yml")
    assert set(e2e.triggers) == {"schedule", "workflow_dispatch"}
    assert e2e.dispatch_inputs == {}
    assert dispatch_errors(e2e, {}) == []
