"""The JSON Schema of `releasekit.yaml`: valid, accepts the examples, catches what editors should catch, and is
printed by `releasekit schema` exactly as the library builds it."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from releasekit.config.loader import parse
from releasekit.config.schema import json_schema, schema_text
from releasekit.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = {name: REPO / "examples" / name / "releasekit.yaml" for name in ("fluxion", "minimal")}


@pytest.fixture(scope="module")
def validator() -> Any:
    return jsonschema.Draft202012Validator(json_schema())


def minimal() -> dict[str, Any]:
    data = yaml.safe_load(EXAMPLES["minimal"].read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def errors(validator: Any, data: object) -> list[Any]:
    return list(validator.iter_errors(data))


def loads(data: dict[str, Any]) -> bool:
    """Whether the loader accepts `data` (written out as YAML)."""
    try:
        parse(yaml.safe_dump(data, sort_keys=False), "releasekit.yaml", Path("/nonexistent-root"))
    except ConfigError:
        return False
    return True


def test_schema_is_valid_draft_2020_12() -> None:
    schema = json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_schema_text_is_the_schema_as_json() -> None:
    assert json.loads(schema_text()) == json_schema()
    assert schema_text().endswith("}\n")


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_examples_validate(validator: Any, name: str) -> None:
    data = yaml.safe_load(EXAMPLES[name].read_text(encoding="utf-8"))
    assert [e.message for e in errors(validator, data)] == []


def test_minimal_base_loads_and_validates(validator: Any) -> None:
    """The mutations below start from a config both the loader and the schema accept."""
    assert loads(minimal())
    assert errors(validator, minimal()) == []


def _set(path: tuple[str | int, ...], value: object) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        target: Any = data
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return mutate


def _delete(path: tuple[str | int, ...]) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        target: Any = data
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]

    return mutate


def _rename(path: tuple[str | int, ...], new: str) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        target: Any = data
        for part in path[:-1]:
            target = target[part]
        target[new] = target.pop(path[-1])

    return mutate


# (mutation of the minimal example, where the schema error is, a word of its message)
INVALID = {
    "unknown-key-in-workflow": (
        _rename(("workflows", "release", "triggers"), "trigers"),
        ["workflows", "release"],
        "trigers",
    ),
    "unknown-top-level-key": (_set(("pipline",), ["test"]), [], "pipline"),
    "on-instead-of-triggers": (_rename(("workflows", "release", "triggers"), "on"), ["workflows", "release"], "'on'"),
    "string-where-list-expected": (
        _set(("workflows", "release", "machines"), "linux"),
        ["workflows", "release", "machines"],
        "array",
    ),
    "list-where-mapping-expected": (
        _set(("workflows", "release", "triggers"), ["push"]),
        ["workflows", "release", "triggers"],
        "object",
    ),
    "number-where-string-expected": (_set(("machines", "linux", "python"), 3.10), ["machines", "linux", "python"], ""),
    "boolean-where-string-expected": (_set(("project", "name"), True), ["project", "name"], ""),
    "missing-project-repository": (_delete(("project", "repository")), ["project"], "repository"),
    "missing-workflow-machines": (_delete(("workflows", "release", "machines")), ["workflows", "release"], "machines"),
    "missing-project": (_delete(("project",)), [], "project"),
    "bad-enum": (_set(("machines", "linux", "os"), "freebsd"), ["machines", "linux", "os"], ""),
    "integer-out-of-range": (
        _set(("workflows", "release", "timeout-minutes"), 0),
        ["workflows", "release", "timeout-minutes"],
        "",
    ),
    "bad-project-name": (_set(("project", "name"), "-demo"), ["project", "name"], ""),
    "empty-machine-list": (_set(("workflows", "release", "machines"), []), ["workflows", "release", "machines"], ""),
    # Pattern constraints of optional (`str | None`) fields: the loader refuses these values, so must editors.
    "python-version-pattern": (_set(("machines", "linux", "python"), "3"), ["machines", "linux", "python"], ""),
    "workflow-file-pattern": (
        _set(("workflows", "release", "file"), "release.txt"),
        ["workflows", "release", "file"],
        "",
    ),
    "step-uses-pattern": (
        _set(("workflows", "test-suite", "steps", "setup"), [{"uses": "actions/checkout@v4"}]),
        ["workflows", "test-suite", "steps", "setup", 0],
        "",
    ),
    "empty-labels": (_set(("machines", "linux"), {"labels": [], "os": "linux"}), ["machines", "linux", "labels"], ""),
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_invalid_configs_fail_schema_validation(validator: Any, case: str) -> None:
    mutate, where, word = INVALID[case]
    data = minimal()
    mutate(data)
    assert not loads(data), "the loader accepts this config: the case tests nothing"
    found = errors(validator, data)
    assert found, "the schema accepts a config the loader refuses"
    # An editor marks the place of each error: one of them must be the mistake itself.
    paths = [list(e.absolute_path) for e in found]
    assert where in paths, paths
    if word:
        assert any(word in e.message for e in found), [e.message for e in found]


def test_schema_does_not_change_the_data(validator: Any) -> None:
    data = minimal()
    before = copy.deepcopy(data)
    errors(validator, data)
    assert data == before


def _properties(node: object, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (path, schema) under a `properties` keyword anywhere in the schema."""
    if isinstance(node, dict):
        for name, prop in node.get("properties", {}).items():
            yield f"{path}.properties.{name}", prop
        for key, value in node.items():
            yield from _properties(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _properties(value, f"{path}[{i}]")


def test_every_property_has_a_description() -> None:
    schema = json_schema()
    props = list(_properties(schema))
    assert len(props) > 50, "too few properties found: the walk is broken"
    missing = [path for path, prop in props if not str(prop.get("description", "")).strip()]
    assert missing == []
    undocumented = [name for name, d in schema["$defs"].items() if not d.get("description", "").strip()]
    assert undocumented == []
    assert schema["description"].strip()


def test_schema_is_deterministic() -> None:
    assert json_schema() == json_schema()
    assert schema_text() == schema_text()
    assert json.dumps(json_schema()) == json.dumps(json_schema())  # same key order too


def run_schema(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "RELEASEKIT_DEBUG"}
    return subprocess.run(
        [sys.executable, "-m", "releasekit", "schema", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_prints_the_schema(tmp_path: Path) -> None:
    result = run_schema(cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == schema_text()  # also: the same in another process
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_cli_writes_the_schema_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "releasekit.schema.json"
    result = run_schema("-o", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert out.read_text(encoding="utf-8") == schema_text()
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["releasekit.schema.json"]
