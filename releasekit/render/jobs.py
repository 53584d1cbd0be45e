"""The standard blocks jobs are made of (runner and matrix, checkout, Python, env, services), as YAML lines."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from releasekit.config import model
from releasekit.render.yamltext import expr, q

Machines = Sequence[tuple[str, model.Machine]]


# zizmor's auditor persona flags every self-hosted runner; a machine declared with `labels:` is the project's own,
# chosen on purpose, so the finding is explained where it occurs.
SELF_HOSTED_NOTE = " # zizmor: ignore[self-hosted-runner] a machine releasekit.yaml declares as the project's own"


def runs_on_text(machine: model.Machine) -> str:
    """`runs-on:`'s value: an image name, or a flow list of self-hosted labels (with the note above)."""
    runs_on = machine.runs_on
    if isinstance(runs_on, list):
        return "[" + ", ".join(q(label) for label in runs_on) + "]" + SELF_HOSTED_NOTE
    return q(runs_on)


def runner_lines(machines: Machines) -> list[str]:
    """`runs-on:`, with a `strategy.matrix` over the machines when there are several."""
    if len(machines) == 1:
        return [f"runs-on: {runs_on_text(machines[0][1])}"]
    lines = ["strategy:", "  fail-fast: false", "  matrix:", "    include:"]
    for name, m in machines:
        lines.append(f"      - machine: {q(name)}")
        lines.append(f"        runs-on: {runs_on_text(m).removesuffix(SELF_HOSTED_NOTE)}")
        lines.append(f"        os: {m.effective_os}")
        if m.python:
            lines.append(f"        python: {q(m.python)}")
        lines.append(f"        setup-python: {q(m.uses_setup_python)}")
    self_hosted = any(isinstance(m.runs_on, list) for _, m in machines)
    lines.append(f"runs-on: {expr('matrix.runs-on')}" + (SELF_HOSTED_NOTE if self_hosted else ""))
    return lines


def job_name(base: str, machines: Machines) -> str:
    """The job name as GitHub shows it: `build (imac)` for a matrix."""
    return q(f"{base} ({expr('matrix.machine')})") if len(machines) > 1 else q(base)


def checkout_lines(pin: Callable[[str], str], ref: str | None) -> list[str]:
    lines = ["- name: Check out", f"  uses: {pin('actions/checkout')}", "  with:"]
    if ref:
        lines.append(f"    ref: {q(ref)}")
    # The token stays out of .git/config: later steps run project code that must not be able to push.
    lines.append("    persist-credentials: false")
    return lines


def setup_python_lines(pin: Callable[[str], str], machines: Machines) -> list[str]:
    wanted = [m for _, m in machines if m.uses_setup_python]
    if not wanted:
        return []
    lines = ["- name: Set up Python", f"  uses: {pin('actions/setup-python')}"]
    if len(machines) == 1:
        return [*lines, "  with:", f"    python-version: {q(wanted[0].python)}"]
    return [
        lines[0],
        f"  if: {expr('matrix.setup-python')}",
        lines[1],
        "  with:",
        f"    python-version: {expr('matrix.python')}",
    ]


def job_env_lines(secrets: Sequence[str], extra: Mapping[str, str]) -> list[str]:
    """A job's `env:`: the secrets the workflow declared it needs, by reference only."""
    values = {**extra, **{name: expr(f"secrets.{name}") for name in secrets}}
    if not values:
        return []
    return ["env:", *(f"  {k}: {q(v)}" for k, v in values.items())]


def workflow_env_lines(env: model.Env) -> list[str]:
    """The workflow's `env:`: plain values literally, repository variables by reference."""
    values: dict[str, str] = dict(env.values)
    values.update({name: expr(f"vars.{name}") for name in env.vars})
    if not values:
        return []
    return ["env:", *(f"  {k}: {q(v)}" for k, v in values.items())]


def start_services_lines(services: Sequence[tuple[str, model.Service]]) -> list[str]:
    """Start each service in the background, then wait for its health check with a deadline."""
    lines: list[str] = []
    for name, s in services:
        lines += [
            f"- name: {q(f'Start {name} (port {s.port})')}",
            f"  working-directory: {q(s.working_directory)}",
            "  env:",
            f"    SERVICE_COMMAND: {q(s.start)}",
            f"    SERVICE_LOG: {q(f'{name}.log')}",
            "  run: |",
            '    nohup bash -c "$SERVICE_COMMAND" > "$RUNNER_TEMP/$SERVICE_LOG" 2>&1 &',
            f'    echo $! > "$RUNNER_TEMP/{name}.pid"',
        ]
    for name, s in services:
        url = f"http://127.0.0.1:{s.port}{s.health}"
        lines += [
            f"- name: {q(f'Wait for {name} ({url}, {s.start_timeout} s)')}",
            "  env:",
            f"    HEALTH_URL: {q(url)}",
            f"    DEADLINE: {q(str(s.start_timeout))}",
            f"    SERVICE_LOG: {q(f'{name}.log')}",
            "  run: |",
            "    start=$SECONDS",
            '    until curl -fsS --max-time 2 "$HEALTH_URL" > /dev/null; do',
            "      if (( SECONDS - start >= DEADLINE )); then",
            f'        echo "::error::{name} did not answer $HEALTH_URL within $DEADLINE s; last log lines:"',
            '        tail -n 50 "$RUNNER_TEMP/$SERVICE_LOG"',
            "        exit 1",
            "      fi",
            "      sleep 1",
            "    done",
            f'    echo "{name} is healthy after $(( SECONDS - start )) s"',
        ]
    return lines


def stop_services_lines(services: Sequence[tuple[str, model.Service]]) -> list[str]:
    if not services:
        return []
    names = " ".join(name for name, _ in services)
    return [
        "- name: Stop services",
        f"  if: {expr('always()')}",
        "  run: |",
        f"    for name in {names}; do",
        '      if [ -f "$RUNNER_TEMP/$name.pid" ]; then kill "$(cat "$RUNNER_TEMP/$name.pid")" || true; fi',
        "    done",
    ]


def primary_machine(machines: Machines) -> str:
    """The machine for single jobs (publishing): the first Linux one, else the first."""
    for name, m in machines:
        if m.effective_os == "linux":
            return name
    return machines[0][0]


def self_hosted_labels(config: model.Config) -> list[str]:
    """Custom labels of the self-hosted machines workflows use (for actionlint's config)."""
    used = {n for wf in config.workflows.values() for n in wf.machines}
    labels = {label for n in used if (m := config.machines.get(n)) and m.labels for label in m.labels}
    return sorted(labels)
