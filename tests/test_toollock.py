"""`releasekit lock`: requirement sets resolved to exact versions with every file hash from a real package index
(pypiserver, the one `publish` uploads to in rehearsals), the requirements files written from the lock, drift
caught; and the pure parts (markers, extras, the unpinned-install check) in-process."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO, run_releasekit

from releasekit import toollock
from releasekit.backends.pip import resolve
from releasekit.config.loader import load
from releasekit.lock import DEFAULT_PINS, lock_text
from releasekit.sandbox.app import new_token
from releasekit.sandbox.index import PackageIndex
from releasekit.toollock import LockedSet, Pinned, Resolved, Target

LINUX, WINDOWS, MAC39 = Target("linux", "3.12"), Target("windows", "3.12"), Target("macos", "3.9")


def fake_wheel(directory: Path, name: str, version: str, *requires: str, tag: str = "py3-none-any") -> Path:
    """A wheel pip can resolve: METADATA with its Requires-Dist, WHEEL and RECORD."""
    dist = f"{name.replace('-', '_')}-{version}"
    path = directory / f"{dist}-{tag}.whl"
    meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    meta += "".join(f"Requires-Dist: {r}\n" for r in requires)
    meta += "Description-Content-Type: text/plain\n\nA fake package for releasekit's tests.\n"
    with zipfile.ZipFile(path, "w") as whl:
        whl.writestr(f"{dist}.dist-info/METADATA", meta)
        whl.writestr(
            f"{dist}.dist-info/WHEEL", f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: {tag}\n"
        )
        whl.writestr(f"{dist}.dist-info/RECORD", "")
    return path


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PackageIndex]:
    """An index holding a small graph (tool-a, uploaded by the test, completes it): an extra, an older version, a
    platform wheel."""
    packages = tmp_path_factory.mktemp("index") / "packages"
    packages.mkdir()
    fake_wheel(packages, "tool-b", "0.9")
    fake_wheel(packages, "tool-b", "1.0")
    fake_wheel(packages, "tool-b", "1.0", tag="cp312-cp312-win_amd64")  # never installed here, hashed all the same
    fake_wheel(packages, "tool-e", "1.0", 'tool-f; extra == "fast"')
    fake_wheel(packages, "tool-f", "1.0")
    with PackageIndex(packages) as started:
        yield started


CONFIG = """\
project: {name: demo, repository: acme/demo}
machines:
  linux: {runner: ubuntu-24.04, python: "%(python)s"}
  windows: {runner: windows-2025, python: "%(python)s"}
workflows:
  test-suite:
    triggers: {push: {branches: [main]}}
    machines: [linux, windows]
    steps:
      setup: [python -m pip install --require-hashes -r .github/releasekit/requirements-tools.txt]
      test: [python -m pytest]
python-requirements:
  tools: [tool-a]
publish:
  python: {path: ., index: pypi}
"""


def test_publish_uploads_to_the_index_and_lock_pins_every_file_hash_from_it(
    index: PackageIndex, tmp_path: Path
) -> None:
    """The python-index job's command (`releasekit publish TAG --index-only --dist DIR`, no GitHub) uploads tool-a
    to the index; `lock --update` resolves from that same index; the files follow the lock; drift is caught."""
    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    (tmp_path / "releasekit.yaml").write_text(CONFIG % {"python": here})
    (tmp_path / "releasekit.lock").write_text(lock_text(DEFAULT_PINS))
    dist = tmp_path / "dist"
    dist.mkdir()
    fake_wheel(dist, "tool-a", "1.0", "tool-b>=1", "tool-e[fast]")
    env = {"RELEASEKIT_INDEX_URL": index.url, **index.twine_env(), "GITHUB_TOKEN": "", "PIP_CONFIG_FILE": os.devnull}
    published = run_releasekit("publish", "v1.0.0", "--index-only", "--dist", "dist", cwd=tmp_path, env=env)
    assert published.returncode == 0, published.stdout + published.stderr
    assert "tool_a-1.0-py3-none-any.whl: uploaded" in published.stdout
    assert "Uploaded v1.0.0: 1 file(s) sent, 0 already on the index." in published.stdout

    check = run_releasekit("lock", "--check", cwd=tmp_path, env=env)
    assert check.returncode == 1 and "tools: not in releasekit.lock (wants tool-a)" in check.stdout
    result = run_releasekit("lock", "--update", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"tools: tool-a (for linux {here}, windows {here}) from {index.url}simple/" in result.stdout
    locked = toollock.read_section(tmp_path / "releasekit.lock")["tools"]
    assert locked.requires == ("tool-a",)
    pins = {p.name: p for p in locked.packages}
    assert {n: (p.version, p.marker) for n, p in pins.items()} == {
        "tool-a": ("1.0", None),
        "tool-b": ("1.0", None),
        "tool-e": ("1.0", None),
        "tool-f": ("1.0", None),  # through the extra tool-a asks for
    }
    on_disk = {p.name: f"sha256:{hashlib.sha256(p.read_bytes()).hexdigest()}" for p in index.directory.iterdir()}
    # Every file of the pinned version, the Windows wheel too; never the older version's.
    assert set(pins["tool-b"].hashes) == {
        on_disk["tool_b-1.0-py3-none-any.whl"],
        on_disk["tool_b-1.0-cp312-cp312-win_amd64.whl"],
    }
    assert pins["tool-a"].hashes == (on_disk["tool_a-1.0-py3-none-any.whl"],)

    assert run_releasekit("workflows", cwd=tmp_path, env=env).returncode == 0
    requirements = tmp_path / ".github/releasekit/requirements-tools.txt"
    text = requirements.read_text()
    assert "tool-b==1.0 \\\n    --hash=sha256:" in text
    assert run_releasekit("lock", "--check", cwd=tmp_path, env=env).returncode == 0
    # pip itself takes the file in --require-hashes mode, from the index the lock was made from.
    pip = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "--isolated", "install", "--dry-run", "--ignore-installed", "--quiet"),
            *("--require-hashes", "-r", str(requirements), "--index-url", f"{index.url}simple/"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert pip.returncode == 0, pip.stderr

    # Drift: a hand-edited requirements file, then a lock that no longer matches the config.
    requirements.write_text(text.replace("tool-b==1.0", "tool-b==0.9"))
    drift = run_releasekit("lock", "--check", cwd=tmp_path, env=env)
    assert drift.returncode == 1
    assert ".github/releasekit/requirements-tools.txt: differs from releasekit.lock" in drift.stdout
    assert run_releasekit("workflows", "--check", cwd=tmp_path, env=env).returncode == 1
    (tmp_path / "releasekit.yaml").write_text((CONFIG % {"python": here}).replace("[tool-a]", "[tool-a, tool-f]"))
    stale = run_releasekit("lock", "--check", cwd=tmp_path, env=env)
    assert "tools: locked for tool-a, but the project now wants tool-a, tool-f" in stale.stdout


def test_publish_index_only_to_pypi_without_a_token_or_an_oidc_token_is_refused_first(tmp_path: Path) -> None:
    (tmp_path / "releasekit.yaml").write_text(
        "project: {name: demo, repository: acme/demo}\npublish:\n  python: {path: ., index: pypi}\n"
    )
    (tmp_path / "dist").mkdir()
    bare = {"RELEASEKIT_INDEX_URL": "", "TWINE_PASSWORD": "", "ACTIONS_ID_TOKEN_REQUEST_URL": ""}
    refused = run_releasekit("publish", "v1.0.0", "--index-only", "--dist", "dist", cwd=tmp_path, env=bare)
    assert refused.returncode == 1
    assert "trusted publishing works in a GitHub Actions job with `id-token: write`" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_resolution_pins_what_only_another_target_needs_with_its_marker() -> None:
    """pip resolves for the machine it runs on; a dependency whose marker is false here (Windows-only) is resolved
    in another round and written with the marker of the targets that need it. pip's report is given, not run."""
    calls: list[list[str]] = []

    def report(args: list[str]) -> str:
        calls.append(args)
        install = [
            {"metadata": {"name": "tool-a", "version": "1.0", "requires_dist": ['tool-c>=1; sys_platform == "win32"']}}
        ]
        if "tool-c>=1" in args:
            install.append({"metadata": {"name": "tool-c", "version": "1.2"}})
        return json.dumps({"install": install})

    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    linux, windows = Target("linux", here), Target("windows", here)
    packages, markers = resolve(["tool-a"], [linux, windows], index_url="http://index/simple/", run=report)
    assert [(p.name, p.version) for p in packages] == [("tool-a", "1.0"), ("tool-c", "1.2")]
    assert markers == {"tool-a": None, "tool-c": 'sys_platform == "win32"'}
    assert len(calls) == 2 and calls[0][-1] == "tool-a" and calls[1][-2:] == ["tool-a", "tool-c>=1"]
    assert "--isolated" in calls[0] and calls[0][calls[0].index("--index-url") + 1] == "http://index/simple/"
    # An older target Python is resolved for (wheels only, as pip requires for another Python).
    resolve(["tool-a"], [Target("linux", "3.9")], index_url="http://index/simple/", run=report)
    assert calls[-1][calls[-1].index("--python-version") + 1] == "3.9" and ":all:" in calls[-1]


# -- pure parts ---------------------------------------------------------------------------------------------------


def test_reachable_follows_markers_and_extras_per_target() -> None:
    graph = {
        "a": Resolved(
            "a", "1", (("b", None, "b>=1", frozenset({"x"})), ("c", 'python_version < "3.10"', "c", frozenset()))
        ),
        "b": Resolved("b", "1", (("d", 'extra == "x"', "d>=2", frozenset()), ("e", 'extra == "y"', "e", frozenset()))),
        "d": Resolved("d", "2", ()),
    }
    seen, missing = toollock.reachable(["a"], graph, LINUX.environment())
    assert seen == {"a", "b", "d"} and missing == {}
    seen, missing = toollock.reachable(["a"], graph, MAC39.environment())
    assert missing == {"c": "c"}


def test_markers_name_exactly_the_targets_that_need_a_package() -> None:
    targets = [LINUX, WINDOWS, MAC39]
    assert toollock.marker_for(set(targets), targets) is None
    assert toollock.marker_for({WINDOWS}, targets) == 'sys_platform == "win32"'
    linux310 = Target("linux", "3.10")
    two_pythons = [LINUX, linux310]
    assert toollock.marker_for({linux310}, two_pythons) == 'python_version == "3.10"'
    mixed = [LINUX, linux310, WINDOWS]
    assert toollock.marker_for({linux310, WINDOWS}, mixed) == (
        '(sys_platform == "linux" and python_version == "3.10") or '
        '(sys_platform == "win32" and python_version == "3.12")'
    )


def test_an_unlocked_set_is_written_so_that_pip_refuses_it() -> None:
    body = toollock.requirements_body("test", None, ("pytest>=7",))
    assert body.startswith("# NOT LOCKED") and "pytest>=7\n" in body and "--hash" not in body
    locked = LockedSet(("pytest",), (Pinned("pytest", "8.0", ("sha256:" + "a" * 64,)),))
    assert "--hash" not in toollock.requirements_body("test", locked, ("pytest", "hatchling"))  # stale: refused too
    assert "pytest==8.0 \\\n    --hash=sha256:" in toollock.requirements_body("test", locked, ("pytest",))


def test_a_malformed_python_section_says_how_to_fix_it() -> None:
    with pytest.raises(toollock.LockError, match=r"releasekit\.lock: python\.x: expected .*releasekit lock --update"):
        toollock.parse_section({"x": {"requires": []}}, "releasekit.lock")
    bad = {"x": {"requires": [], "packages": {"a": {"version": "1", "hashes": ["md5:00"]}}}}
    with pytest.raises(toollock.LockError, match="not a sha256 hash list"):
        toollock.parse_section(bad, "releasekit.lock")


STEP_CONFIG = """\
project: {name: demo, repository: acme/demo}
machines:
  linux: {runner: ubuntu-24.04}
workflows:
  test-suite:
    triggers: {push: {branches: [main]}}
    machines: [linux]
    steps:
      setup: [STEP]
"""


def test_a_requirement_with_a_marker_or_a_path_is_refused_at_its_line(tmp_path: Path) -> None:
    config = (
        STEP_CONFIG.replace("STEP", "echo") + "python-requirements:\n  test: [pytest, \"./local; os_name == 'nt'\"]\n"
    )
    (tmp_path / "releasekit.yaml").write_text(config)
    (tmp_path / "releasekit.lock").write_text(lock_text(DEFAULT_PINS))
    for args in (("workflows",), ("lock", "--update"), ("lock", "--check")):
        result = run_releasekit(*args, cwd=tmp_path)
        assert result.returncode == 2, args
        assert "releasekit.yaml:11:18: python-requirements.test[1]: " in result.stderr, result.stderr
        assert "is not a requirement like `pytest>=7`" in result.stderr


@pytest.mark.parametrize(
    ("run", "pinned"),
    [
        ("python -m pip install -e ./voice-agent pytest", False),
        ("pip install nox", False),
        ("python -m pip install --no-deps -r requirements.txt", False),
        ("python -m pip install --no-deps -e .", False),  # an isolated build fetches the backend unpinned
        ("python -m pip install --require-hashes -r .github/releasekit/requirements-test.txt", True),
        ("python -m pip install --no-deps --no-build-isolation -e ./voice-agent", True),
        ("npm ci && pip3 install requests", False),
    ],
)
def test_unpinned_pip_installs_in_user_steps_are_reported_with_a_fix(tmp_path: Path, run: str, pinned: bool) -> None:
    (tmp_path / "releasekit.yaml").write_text(STEP_CONFIG.replace("STEP", json.dumps(run)))
    warnings = toollock.unpinned_installs(load(tmp_path / "releasekit.yaml").config)
    assert (warnings == []) == pinned, warnings
    if not pinned:
        assert warnings[0].startswith("workflows.test-suite.steps.setup[0]: `pip")
        assert "python-requirements" in warnings[0] and "--require-hashes -r" in warnings[0]


def test_workflows_warns_about_an_unpinned_install_even_from_the_cache(tmp_path: Path) -> None:
    (tmp_path / "releasekit.yaml").write_text(STEP_CONFIG.replace("STEP", "pip install pytest"))
    (tmp_path / "releasekit.lock").write_text(lock_text(DEFAULT_PINS))
    first = run_releasekit("workflows", cwd=tmp_path)
    assert (
        first.returncode == 0 and "warning: workflows.test-suite.steps.setup[0]: `pip install pytest`" in first.stderr
    )
    for _ in range(2):  # the first check renders, the second is answered by the render cache
        check = run_releasekit("workflows", "--check", cwd=tmp_path)
        assert check.returncode == 0 and "`pip install pytest` installs packages without pinned" in check.stderr


def test_writing_the_python_section_keeps_the_rest_of_the_lock(tmp_path: Path) -> None:
    """The actions (which `releasekit pin` manages) and any other key stay as they are."""
    lock = tmp_path / "releasekit.lock"
    actions = {"actions/checkout": {"version": "v7.0.1", "sha": "3d3c42e5aac5ba805825da76410c181273ba90b1"}}
    lock.write_text(json.dumps({"lock-version": 1, "actions": actions, "about": "kept"}))
    toollock.write_section(lock, {"t": LockedSet(("a",), (Pinned("a", "1", ("sha256:" + "b" * 64,)),))})
    data = json.loads(lock.read_text())
    assert data["about"] == "kept" and data["actions"] == actions
    assert toollock.read_section(lock)["t"].packages[0].hashes == ("sha256:" + "b" * 64,)


@pytest.mark.parametrize("project", ["releasekit", "examples/fluxion", "examples/minimal"])
def test_the_committed_locks_match_their_projects(project: str) -> None:
    """Offline: every set the committed workflows install is locked for what the project asks today."""
    root = REPO if project == "releasekit" else REPO / project
    result = run_releasekit("lock", "--check", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_committed_workflow_installs_anything_unpinned() -> None:
    """Every `pip install` line of the generated workflows (the templates' and the examples' own steps) installs
    exact versions with hashes, or the project itself without dependencies and without an isolated build."""
    roots = [REPO, REPO / "examples/fluxion", REPO / "examples/minimal"]
    lines = [
        line
        for root in roots
        for path in sorted((root / ".github/workflows").glob("*.yml"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if "pip install" in line and not line.lstrip().startswith("#")
    ]
    assert len(lines) >= 10
    unpinned = [line.strip() for line in lines if not toollock.is_pinned_install(line)]
    assert unpinned == []
    assert not any("pypa/gh-action-pypi-publish" in p.read_text() for r in roots for p in r.glob(".github/workflows/*"))


def test_the_python_index_job_uploads_by_trusted_publishing_only_with_an_oidc_token_and_no_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Which credentials `publish --index-only` gives twine: none (trusted publishing, twine 6.1+ trades the OIDC
    token) in a job with `id-token: write` and no token; a token when one is set; a rehearsal index's own token."""
    import argparse

    from releasekit.backends.index import PYPI
    from releasekit.commands.publish import _index_plan

    (tmp_path / "releasekit.yaml").write_text("project: {name: demo, repository: acme/demo}\npublish: {python: {}}\n")
    config = load(tmp_path / "releasekit.yaml").config
    args = argparse.Namespace(skip_index=False, index_only=True)
    said: list[str] = []
    for name in ("RELEASEKIT_INDEX_URL", "TWINE_PASSWORD", "ACTIONS_ID_TOKEN_REQUEST_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", "https://token.actions.example/request")
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", new_token())
    assert _index_plan(args, config, lambda key, text: said.append(text)) == (PYPI, None)
    assert said == ["pypi: trusted publishing (this job's OIDC identity, no stored token)"]
    token = new_token()
    monkeypatch.setenv("TWINE_PASSWORD", token)
    assert _index_plan(args, config, lambda key, text: None) == (PYPI, token)
    monkeypatch.setenv("RELEASEKIT_INDEX_URL", "http://127.0.0.1:9/")
    target, password = _index_plan(args, config, lambda key, text: None) or (None, None)
    assert target is not None and target.upload_url == "http://127.0.0.1:9/" and password == token
