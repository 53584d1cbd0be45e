"""GitHub's rules are written once (`releasekit.github_rules`), and every side that applies one agrees: the client's
input checks before a dispatch, the config checks of releasekit.yaml, and the sandbox that plays GitHub."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from releasekit.config.loader import load, parse
from releasekit.errors import ConfigError
from releasekit.github_rules import CORRELATION_INPUT, MAX_DISPATCH_INPUTS, input_accepts
from releasekit.lock import load_lock
from releasekit.render.engine import render
from releasekit.sandbox.workflow import WorkflowFileError, dispatch_errors, parse_workflow
from releasekit.steps.dispatch import InputSpec, check_inputs, plan_dispatch

# (value, whether GitHub takes it for a `type: number` input): the format of an HTML number field, which is what
# GitHub's Run-workflow form sends.
NUMBERS = [
    ("4", True),
    ("-4", True),
    ("0", True),
    ("007", True),
    ("4.25", True),
    (".5", True),
    ("-.5", True),
    ("1e3", True),
    ("1E-3", True),
    ("-2.5e+10", True),
    (" 4 ", False),
    ("4 ", False),
    ("+4", False),
    ("4.", False),
    ("-", False),
    ("", False),
    ("e3", False),
    ("1e", False),
    ("0x1f", False),
    ("1_000", False),
    ("1,5", False),
    ("Infinity", False),
    ("NaN", False),
    ("\u0663", False),  # ARABIC-INDIC DIGIT THREE: Python's float() takes it, GitHub's form does not
    ("4\n", False),
]
BOOLEANS = [("true", True), ("false", True), ("True", False), ("1", False), ("yes", False), ("", False)]
CHOICES = [("stable", True), ("beta", True), ("Stable", False), (" stable", False), ("", False)]
TABLE = (
    [("number", v, ok) for v, ok in NUMBERS]
    + [("boolean", v, ok) for v, ok in BOOLEANS]
    + [("choice", v, ok) for v, ok in CHOICES]
    + [("string", v, True) for v in ("", " 4 ", "anything")]
)
WORKFLOW = """name: Release Full
on:
  workflow_dispatch:
    inputs:
      value: {{type: {kind}{options}}}
jobs:
  build:
    runs-on: ubuntu-24.04
    steps:
      - run: echo
"""


def _client_accepts(kind: str, value: str) -> bool:
    options = ("stable", "beta") if kind == "choice" else ()
    return check_inputs({"value": InputSpec(kind, False, None, options)}, {"value": value}, where="w") == []


def _sandbox_accepts(kind: str, value: str) -> bool:
    options = ", options: [stable, beta]" if kind == "choice" else ""
    spec = parse_workflow(".github/workflows/w.yml", WORKFLOW.format(kind=kind, options=options))
    return dispatch_errors(spec, {"value": value}) == []


CONFIG = """project: {{name: demo, repository: acme/demo}}
machines:
  linux: {{runner: ubuntu-24.04, python: "3.12"}}
workflows:
  nightly:
    template: test-suite
    triggers:
      workflow_dispatch:
        inputs:
          value: {{type: {kind}{options}, default: {default}}}
    machines: [linux]
"""


def _config_accepts(kind: str, value: str) -> bool:
    """Whether releasekit.yaml takes the value as the input's default (written as a YAML string)."""
    options = ", options: [stable, beta]" if kind == "choice" else ""
    text = CONFIG.format(kind=kind, options=options, default=json.dumps(value))
    try:
        parse(text, "releasekit.yaml", Path("/nonexistent-root"))
    except ConfigError:
        return False
    return True


@pytest.mark.parametrize(("kind", "value", "accepted"), TABLE)
def test_the_client_the_sandbox_and_the_config_agree_on_input_values(kind: str, value: str, accepted: bool) -> None:
    assert input_accepts(kind, value, ("stable", "beta")) is accepted
    assert _client_accepts(kind, value) is accepted, "releasekit release-full"
    assert _sandbox_accepts(kind, value) is accepted, "the sandbox's dispatch endpoint"
    if kind == "number" or (kind == "choice" and value):  # a boolean default is YAML true/false, never a string
        assert _config_accepts(kind, value) is accepted, "releasekit.yaml"


def test_the_input_limit_is_the_same_everywhere() -> None:
    declared = {f"i{n}": InputSpec("string", False, None, ()) for n in range(MAX_DISPATCH_INPUTS + 1)}
    spec = parse_workflow(
        "w.yml",
        "on:\n  workflow_dispatch:\n    inputs:\n"
        + "".join(f"      i{n}: {{type: string}}\n" for n in range(MAX_DISPATCH_INPUTS))
        + "jobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo\n",
    )
    for count, accepted in ((MAX_DISPATCH_INPUTS, True), (MAX_DISPATCH_INPUTS + 1, False)):
        inputs = {f"i{n}": "x" for n in range(count)}
        assert (check_inputs(declared, inputs, where="w") == []) is accepted
        too_many = [e for e in dispatch_errors(spec, inputs) if "you may only define up to" in e]
        assert (too_many == []) is accepted
    with pytest.raises(WorkflowFileError, match=f"only define up to {MAX_DISPATCH_INPUTS} `inputs`"):
        parse_workflow(
            "w.yml",
            "on:\n  workflow_dispatch:\n    inputs:\n"
            + "".join(f"      i{n}: {{type: string}}\n" for n in range(MAX_DISPATCH_INPUTS + 1))
            + "jobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo\n",
        )


def _inputs_config(count: int, template: str) -> str:
    inputs = "".join(f"          i{n}: {{type: string}}\n" for n in range(count))
    return (
        "project: {name: demo, repository: acme/demo}\n"
        'machines:\n  linux: {runner: ubuntu-24.04, python: "3.12"}\n'
        f"workflows:\n  w:\n    template: {template}\n    triggers:\n      workflow_dispatch:\n        inputs:\n"
        f"{inputs}    machines: [linux]\n"
    )


def test_the_config_counts_the_correlation_input_that_release_full_adds() -> None:
    """A release-full workflow declares the correlation input on top of those listed, so 25 listed make 26."""
    parse(_inputs_config(MAX_DISPATCH_INPUTS, "test-suite"), "releasekit.yaml", Path("/nonexistent-root"))
    with pytest.raises(ConfigError, match=f"{MAX_DISPATCH_INPUTS + 1} dispatch inputs; GitHub allows at most"):
        parse(_inputs_config(MAX_DISPATCH_INPUTS + 1, "test-suite"), "releasekit.yaml", Path("/nonexistent-root"))
    with pytest.raises(ConfigError, match=f"and {CORRELATION_INPUT}, which the release-full template adds"):
        parse(_inputs_config(MAX_DISPATCH_INPUTS, "release-full"), "releasekit.yaml", Path("/nonexistent-root"))


def test_the_generated_workflow_and_the_dispatch_use_the_same_correlation_input() -> None:
    """The name the generated release-full.yml declares and shows in its run-name is the one `release-full` fills."""
    located = load(Path(__file__).resolve().parents[1] / "examples" / "fluxion" / "releasekit.yaml")
    text = next(o.text for o in render(located, load_lock(located.root)) if o.path.endswith("/release-full.yml"))
    workflow = yaml.safe_load(text)
    declared = workflow[True]["workflow_dispatch"]["inputs"]
    assert CORRELATION_INPUT in declared
    assert f"inputs.{CORRELATION_INPUT}" in workflow["run-name"]
    specs = {name: InputSpec("string", False, None, ()) for name in declared}
    plan, problems = plan_dispatch(
        workflow="release-full.yml",
        path=".github/workflows/release-full.yml",
        ref="v1.4.0",
        declared=specs,
        configured={},
        given={},
        version="1.4.0",
        correlation_id="c0ffee",
    )
    assert problems == [] and plan.inputs[CORRELATION_INPUT] == "c0ffee"
