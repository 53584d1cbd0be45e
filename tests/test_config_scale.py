"""Config at scale: any `releasekit.yaml` loads (or is refused) within a second and 100 MB, and no message repeats
more than a short excerpt of a value, whatever its size."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_releasekit

from releasekit.config.limits import MAX_CONFIG_BYTES, MAX_VALUE_CHARS, MAX_VALUES
from releasekit.config.loader import parse
from releasekit.errors import MAX_MESSAGE_CHARS, ConfigError, Problem, clip, excerpt

FLUXION = Path(__file__).resolve().parent.parent / "examples" / "fluxion"

# Generated worst cases, each at the size bound, loaded in a child process so that its peak memory is its own.
# Each prints {name: [cpu seconds, "ok" or the first line of the error, the error's length]}; then the peak RSS.
_WORST_CASES = r"""
import json, resource, sys, time
from pathlib import Path
from releasekit.config.limits import MAX_CONFIG_BYTES, MAX_VALUES
from releasekit.config.loader import parse
from releasekit.errors import ConfigError

base = Path(sys.argv[1]).read_text(encoding="utf-8")
room = MAX_CONFIG_BYTES - len(base) - 100
entries = "".join(f"    K{i:06}: v{i}\n" for i in range(MAX_VALUES // 2 - 500))  # the most values accepted
laughs = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
laughs += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
machine = "  m: &m {labels: [x], os: linux, role: " + "Ab1-" * 2400 + "}\n"
branches = "".join(f"          - '{'ab/' * 3300}c{i}'\n" for i in range(room // 9915))  # parsed in Python
workflow = "  w:\n    template: test-suite\n    machines: [ubuntu]\n    triggers:\n      push:\n        branches:\n"
cases = {
    "1 MB scalar": base.replace("  name: fluxion\n", "  name: " + "x" * room + "\n"),
    "1 MB of keys": "x-keys:\n" + "".join(f"  k{i:07}: 1\n" for i in range(room // 14)) + base,
    "1 MB flow list": "project: [" + "a," * (room // 2) + "]\n",
    "nesting 100,000 deep": "project: " + "[" * 100_000 + "]" * 100_000 + "\n",
    "block nesting": "".join(" " * i + "a:\n" for i in range(1300)),
    "billion laughs": "\n".join(laughs) + "\n",
    "many aliases": base.replace("machines:\n", "machines:\n" + machine + "".join(
        f"  m{i}: *m\n" for i in range((room - len(machine)) // 14)), 1),
    "1 MB of branch patterns": base.replace("workflows:\n", "workflows:\n" + workflow + branches, 1),
    "largest accepted": base.replace("    VOIP_SIP_SERVER:", entries + "    VOIP_SIP_SERVER:", 1),
}
out = {}
for name, text in cases.items():
    assert len(text) <= MAX_CONFIG_BYTES, (name, len(text))
    start = time.process_time()
    try:
        parse(text, "releasekit.yaml", Path(sys.argv[1]).parent)
        outcome, size = "ok", 0
    except ConfigError as exc:
        outcome, size = str(exc).splitlines()[0], len(str(exc))
    out[name] = [time.process_time() - start, outcome, size]
# The peak of this process's own memory: Linux's VmHWM (ru_maxrss would carry over the parent's peak from before
# the exec: a pytest worker's 100 MB).
try:
    hwm = [line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmHWM:")]
    peak = int(hwm[0].split()[1]) / 1024
except (OSError, IndexError):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"cases": out, "peak_mb": peak}))
"""


def test_worst_cases_load_within_a_second_and_100_mb() -> None:
    child = subprocess.run(
        [sys.executable, "-c", _WORST_CASES, str(FLUXION / "releasekit.yaml")],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert child.returncode == 0, child.stderr
    report = json.loads(child.stdout)
    cases = report["cases"]
    assert len(cases) == 9
    for name, (cpu, outcome, size) in cases.items():
        assert cpu < 1.0, f"{name}: {cpu:.2f} s of CPU"
        assert size < 1_000, f"{name}: a {size}-character error"
        assert "Traceback" not in outcome
    # The whole child's peak: the interpreter, PyYAML and releasekit's imports included.
    assert report["peak_mb"] < 100, report
    assert cases["largest accepted"][1] == "ok"
    assert "at most 10,000 characters" in cases["1 MB scalar"][1]
    assert f"more than {MAX_VALUES:,} values" in cases["1 MB of keys"][1]
    assert f"more than {MAX_VALUES:,} values" in cases["1 MB flow list"][1]
    assert "maximum nesting depth" in cases["nesting 100,000 deep"][1]
    assert "maximum nesting depth" in cases["block nesting"][1]
    assert "alias bomb" in cases["billion laughs"][1]
    assert cases["billion laughs"][1].startswith("releasekit.yaml:5:15: the alias *a3 repeats 7,381 values")
    assert "alias bomb" in cases["many aliases"][1]
    assert "patterns and version regexes hold more than 100,000 characters" in cases["1 MB of branch patterns"][1]


def test_a_3_mb_config_is_refused_naming_file_size_and_limit(tmp_path: Path) -> None:
    text = (FLUXION / "releasekit.yaml").read_text(encoding="utf-8")
    big = text.replace("  tag-format: v{version}\n", "  tag-format: '" + "x" * 3_000_000 + "'\n", 1)
    (tmp_path / "releasekit.yaml").write_text(big, encoding="utf-8")
    (tmp_path / "releasekit.lock").write_text((FLUXION / "releasekit.lock").read_text(encoding="utf-8"))
    size = len(big.encode())
    result = run_releasekit("workflows", "--check", cwd=tmp_path, env={"RELEASEKIT_NO_CACHE": "1"})
    assert result.returncode == 2
    assert result.stderr == (
        f"releasekit workflows: error: releasekit.yaml:1:1: the file is 3.0 MB ({size:,} bytes), over the 1.0 MB "
        "limit; a releasekit config declares the machinery: keep data (long scripts, lists) in the files it names\n"
    )
    assert result.stdout == ""


def test_a_special_file_is_read_only_up_to_the_bound(tmp_path: Path) -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero here")
    result = run_releasekit("--config", "/dev/zero", "workflows", "--check", cwd=tmp_path)
    assert result.returncode == 2
    assert "/dev/zero:1:1: the file is 1.0 MB (1,000,001 bytes), over the 1.0 MB limit" in result.stderr


def test_the_lock_file_has_the_same_bound(tmp_path: Path) -> None:
    (tmp_path / "releasekit.yaml").write_text((FLUXION / "releasekit.yaml").read_text(encoding="utf-8"))
    (tmp_path / "releasekit.lock").write_text(" " * (MAX_CONFIG_BYTES + 1), encoding="utf-8")
    result = run_releasekit("workflows", "--check", cwd=tmp_path, env={"RELEASEKIT_NO_CACHE": "1"})
    assert result.returncode == 2
    assert "releasekit.lock:1:1: the file is 1.0 MB (1,000,001 bytes), over the 1.0 MB limit" in result.stderr
    assert "releasekit init --lock-only" in result.stderr


def _problems(text: str) -> list[Problem]:
    with pytest.raises(ConfigError) as caught:
        parse(text, "releasekit.yaml", FLUXION)
    return caught.value.problems


BASE = (FLUXION / "releasekit.yaml").read_text(encoding="utf-8")
LONG = "ab/" * (MAX_VALUE_CHARS // 3 - 1) + "a:"  # just under the bound, and wrong (':' is not in branch names)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("  name: fluxion\n", f"  name: '{LONG}'\n", "project.name: 'ab/ab/"),
        ("  default-branch: main\n", f"  default-branch: '{LONG}'\n", "invalid branch/tag pattern 'ab/"),
        ("  tag-format: v{version}\n", f"  tag-format: '{LONG}'\n", "tag format 'ab/ab/"),
        ("    port: 3001\n", f"    port: {'1' * 5000}\n", "a number of 5,000 digits is out of range"),
        ("    port: 3001\n", f"    port: {'0' * 9000}\n", "write '000000"),
        ('    python: "3.12"\n', f"    python: {'1' * 5000}.5\n", "is read as a number; quote it"),
        ("project:\n", f"project:\n  ? {'k' * 9000}\n  : 1\n", "unknown key 'kkkk"),
        ("    description: HTTP", f"    description: ['{LONG}']\n    x: HTTP", "got a list"),
    ],
)
def test_messages_quote_an_excerpt_of_a_long_value(old: str, new: str, expected: str) -> None:
    assert old in BASE
    problems = _problems(BASE.replace(old, new, 1))
    assert any(expected in p.message for p in problems), problems
    for problem in problems:
        assert len(problem.message) < 400, problem.message


def test_a_file_of_typos_stops_after_the_first_screenful() -> None:
    typos = "".join(f"pr0ject{i}: 1\n" for i in range(2_000))
    with pytest.raises(ConfigError) as caught:
        parse(typos + BASE, "releasekit.yaml", FLUXION)
    text = str(caught.value)
    assert len(caught.value.problems) == 31
    assert text.endswith("... and more problems: releasekit stopped looking after 31; fix these first")
    assert len(text.splitlines()) == 31


def test_recursive_alias_is_refused_at_its_line() -> None:
    (problem,) = _problems("project: &p\n  name: *p\n")
    assert str(problem) == "releasekit.yaml:2:9: the alias *p is inside the value it names"


def test_excerpt_and_clip() -> None:
    assert excerpt("dist/*.whl") == "'dist/*.whl'"
    assert excerpt("x" * 10_000_000) == "'" + "x" * 60 + "…' (10,000,000 characters)"
    assert excerpt("it's" * 100, 5) == '"it\'si…" (400 characters)'
    assert clip("short") == "short"
    clipped = clip("what went wrong " + "v" * 5000 + " how to fix it")
    assert len(clipped) < MAX_MESSAGE_CHARS + 50
    assert clipped.startswith("what went wrong vvv") and clipped.endswith("vvv how to fix it")
    assert "characters left out" in clipped
    assert len(Problem("f", 1, 1, "m" * 100_000).message) < MAX_MESSAGE_CHARS + 50
