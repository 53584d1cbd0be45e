"""Write YAML text by hand, deterministically: scalars quoted only when needed, blocks at a given indentation."""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterable, Mapping

from releasekit.config import model
from releasekit.lock import Lock

# Lines that hold only this are removed after rendering, so an empty helper leaves no blank line.
EMPTY = "\x1e"

_PLAIN = re.compile(r"^[A-Za-z_/][A-Za-z0-9_./()-]*(?: [A-Za-z0-9_./()-]+)*$")
# YAML 1.1 words that a reader would take for booleans or null.
_RESERVED = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf"}


def q(value: object) -> str:
    """A YAML scalar for `value`: plain when unambiguous, else a JSON (double-quoted YAML) string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _RESERVED and "${{" not in text:
        return text
    return json.dumps(text, ensure_ascii=False)


def expr(expression: str) -> str:
    """A GitHub Actions expression, `${{ expression }}`."""
    return "${{ " + expression + " }}"


def indent(lines: Iterable[str], by: int) -> str:
    """Join lines indented by `by` spaces; no lines gives the EMPTY marker."""
    pad = " " * by
    out = [pad + line if line else "" for line in lines]
    return "\n".join(out) if out else EMPTY


def scalar_lines(key: str, value: object) -> list[str]:
    """`key: value`, with a literal block for multi-line text."""
    if isinstance(value, str) and "\n" in value.strip("\n"):
        body = textwrap.dedent(value).strip("\n")
        if not body.splitlines()[0].startswith(" "):
            return [f"{key}: |", *("  " + line if line.strip() else "" for line in body.splitlines())]
    return [f"{key}: {q(value.strip() if isinstance(value, str) else value)}"]


def mapping_lines(key: str, values: Mapping[str, object]) -> list[str]:
    if not values:
        return []
    lines = [f"{key}:"]
    for k, v in values.items():
        lines += ["  " + line for line in scalar_lines(k, v)]
    return lines


def list_lines(key: str, values: Iterable[object]) -> list[str]:
    items = list(values)
    if not items:
        return []
    return [f"{key}:", *(f"  - {q(v)}" for v in items)]


def step_lines(step: model.Step | str, lock: Lock, where: str) -> list[str]:
    """One step as YAML lines starting with `- `. Raises KeyError(message) for an action missing from the lock."""
    if isinstance(step, str):
        step = model.Step(run=step)
    body: list[str] = []
    if step.name:
        body.append(f"name: {q(step.name)}")
    if step.uses:
        pin = lock.pin(step.uses)
        if pin is None:
            raise KeyError(
                f"{where}: action {step.uses!r} is not pinned in {lock.file}; add its release tag and "
                'full commit SHA under "actions"'
            )
        body.append(f"uses: {pin.uses(step.uses[len(pin.action) :])}")
        body += mapping_lines("with", step.with_)
    if step.shell:
        body.append(f"shell: {step.shell}")
    if step.working_directory:
        body.append(f"working-directory: {q(step.working_directory)}")
    body += mapping_lines("env", step.env)
    if step.run is not None:
        body += scalar_lines("run", step.run)
    return ["- " + body[0], *("  " + line for line in body[1:])]


def on_lines(triggers: model.Triggers, extra_inputs: Mapping[str, model.DispatchInput] | None = None) -> list[str]:
    """The `on:` block."""
    lines = ["on:"]
    if triggers.push is not None:
        p = triggers.push
        lines += ["  push:"] + [
            "    " + line
            for line in list_lines("branches", p.branches) + list_lines("tags", p.tags) + list_lines("paths", p.paths)
        ]
    if triggers.pull_request is not None:
        pr = triggers.pull_request
        body = list_lines("branches", pr.branches) + list_lines("paths", pr.paths)
        lines += ["  pull_request:" + ("" if body else " {}")] + ["    " + line for line in body]
    if triggers.schedule:
        lines += ["  schedule:", *(f"    - cron: {q(c)}" for c in triggers.schedule)]
    if triggers.workflow_dispatch is not None:
        inputs = dict(triggers.workflow_dispatch.inputs)
        inputs.update(extra_inputs or {})
        if not inputs:
            lines.append("  workflow_dispatch: {}")
        else:
            lines += ["  workflow_dispatch:", "    inputs:"]
            for name, spec in inputs.items():
                lines.append(f"      {name}:")
                fields: list[tuple[str, object]] = [
                    ("description", spec.description or name),
                    ("required", spec.required),
                    ("type", spec.type),
                ]
                if spec.default is not None:
                    fields.append(("default", spec.default))
                lines += [f"        {k}: {q(v)}" for k, v in fields]
                if spec.options:
                    lines += ["        options:", *(f"          - {q(o)}" for o in spec.options)]
    return lines


def tidy(text: str) -> str:
    """Normalise rendered YAML: drop EMPTY markers and blank lines, then put one blank line before each top-level
    key and each job. Lines inside literal blocks (`key: |`) are kept exactly as they are."""
    out: list[str] = []
    block_indent: int | None = None
    in_jobs = False
    for line in text.splitlines():
        stripped = line.strip()
        width = len(line) - len(line.lstrip(" "))
        if block_indent is not None and (not stripped or width > block_indent):
            out.append(line.rstrip())
            continue
        if block_indent is not None:
            while out and not out[-1]:  # blank lines at the end of a literal block are not part of it
                out.pop()
        block_indent = None
        if not stripped or stripped == EMPTY:
            continue
        if width == 0 and not stripped.startswith("#"):
            in_jobs = stripped == "jobs:"
            if out and out[-1] and not out[-1].startswith("#"):
                out.append("")
        elif in_jobs and width == 2 and not stripped.startswith(("#", "-")) and out[-1] not in ("jobs:", ""):
            out.append("")
        out.append(line.rstrip())
        if re.search(r":\s*[|>][-+0-9]*$", stripped):
            block_indent = width
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n"
