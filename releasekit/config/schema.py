"""The JSON Schema of `releasekit.yaml`, derived from the model so the two cannot disagree."""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from typing import Any, Literal, Union

from releasekit.config import model

SCHEMA_ID = "https://releasekit.dev/schema/releasekit.schema.json"


def _type_schema(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = typing.get_args(tp)
        options = [_type_schema(a, defs) for a in args if a is not type(None)]
        if type(None) in args:
            options.append({"type": "null"})
        return options[0] if len(options) == 1 else {"anyOf": options}
    if origin is Literal:
        return {"enum": list(typing.get_args(tp))}
    if origin is tuple:
        return {"type": "array", "items": _type_schema(typing.get_args(tp)[0], defs)}
    if origin is dict:
        return {"type": "object", "additionalProperties": _type_schema(typing.get_args(tp)[1], defs)}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        name = tp.__name__
        if name not in defs:
            defs[name] = {}  # reserve first: the model may refer to itself
            defs[name] = _object_schema(tp, defs)
        return {"$ref": f"#/$defs/{name}"}
    return {str: {"type": "string"}, int: {"type": "integer"}, bool: {"type": "boolean"}}[tp]


def _constrain(schema: dict[str, Any], meta: typing.Mapping[str, Any]) -> dict[str, Any]:
    if "anyOf" in schema:  # `X | None`: the constraints apply to the X branches
        schema["anyOf"] = [_constrain(option, meta) for option in schema["anyOf"]]
        return schema
    target = schema
    if schema.get("type") == "array":
        if meta.get("min_items"):
            schema["minItems"] = meta["min_items"]
        target = schema["items"]
    elif schema.get("type") == "object" and meta.get("key_pattern"):
        schema["propertyNames"] = {"pattern": meta["key_pattern"]}
    if meta.get("pattern") and target.get("type") == "string":
        target["pattern"] = meta["pattern"]
    if meta.get("minimum") is not None:
        target["minimum"] = meta["minimum"]
    if meta.get("maximum") is not None:
        target["maximum"] = meta["maximum"]
    return schema


def _object_schema(cls: Any, defs: dict[str, Any]) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    properties: dict[str, Any] = {}
    required: list[str] = []
    rest: dict[str, Any] | None = None
    for f in dataclasses.fields(cls):
        if f.metadata.get("rest"):  # every other key: a value of the dict's item type, the name by key_pattern
            rest = _constrain(_type_schema(hints[f.name], defs), f.metadata)
            continue
        key = model.yaml_key(f)
        prop = _constrain(_type_schema(hints[f.name], defs), f.metadata)
        if "$ref" in prop:
            prop = {"allOf": [prop]}
        prop["description"] = f.metadata["doc"]
        if f.default is not dataclasses.MISSING and isinstance(f.default, (str, int, bool)):
            prop["default"] = f.default
        if f.metadata.get("examples"):
            prop["examples"] = list(f.metadata["examples"])
        properties[key] = prop
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            required.append(key)
    out: dict[str, Any] = {
        "type": "object",
        "description": (cls.__doc__ or "").strip(),
        "properties": properties,
        "additionalProperties": False,
    }
    if rest is not None:
        out["additionalProperties"] = rest["additionalProperties"]
        if "propertyNames" in rest:
            out["propertyNames"] = rest["propertyNames"]
    if required:
        out["required"] = required
    return out


def json_schema() -> dict[str, Any]:
    """The schema as a dict (draft 2020-12)."""
    defs: dict[str, Any] = {}
    root = _object_schema(model.Config, defs)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "releasekit.yaml",
        **root,
        "$defs": dict(sorted(defs.items())),
    }


def schema_text() -> str:
    """The schema as stable, pretty JSON text."""
    return json.dumps(json_schema(), indent=2, sort_keys=False) + "\n"
