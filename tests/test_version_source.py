"""Where the version comes from (`versioning.source`): `init` reads each build backend's tables, the config key is
validated like the rest of releasekit.yaml, and a release of a project whose version is its git tag (or a file its
backend reads) is planned, built with that version and checked against the built metadata. Small hand-made
projects in tmp_path, real git, the sandbox as GitHub, a real pypiserver; everything in this process."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import git, run_releasekit

from releasekit.backends import buildcache
from releasekit.config.loader import parse
from releasekit.detect import detect
from releasekit.errors import ConfigError
from releasekit.sandbox.app import Sandbox
from releasekit.sandbox.index import PackageIndex

SCM = '[build-system]\nrequires = ["setuptools>=77", "setuptools-scm>=8"]\nbuild-backend = "setuptools.build_meta"\n'
HATCH = '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
PDM = '[build-system]\nrequires = ["pdm-backend"]\nbuild-backend = "pdm.backend"\n'
FLIT = '[build-system]\nrequires = ["flit_core>=3.4"]\nbuild-backend = "flit_core.buildapi"\n'
MATURIN = '[build-system]\nrequires = ["maturin>=1,<2"]\nbuild-backend = "maturin"\n'
DYNAMIC = '[project]\nname = "demo-pkg"\ndynamic = ["version"]\n'
INIT = '__version__ = "1.2.3"\n'


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


# -- detection: one case per way a backend takes the version -------------------------------------------------------

TAGGED = [
    ("setuptools_scm table", {"pyproject.toml": SCM + DYNAMIC + "[tool.setuptools_scm]\n"}, "setuptools_scm"),
    ("setuptools-scm required", {"pyproject.toml": SCM + DYNAMIC}, "setuptools-scm in [build-system] requires"),
    (
        "hatch-vcs",
        {"pyproject.toml": HATCH + DYNAMIC + '[tool.hatch.version]\nsource = "vcs"\n'},
        'hatch-vcs: [tool.hatch.version] source = "vcs"',
    ),
    ("pdm scm", {"pyproject.toml": PDM + DYNAMIC + '[tool.pdm.version]\nsource = "scm"\n'}, "pdm-backend"),
    (
        "poetry-dynamic-versioning",
        {
            "pyproject.toml": '[tool.poetry]\nname = "demo"\nversion = "0.0.0"\n'
            "[tool.poetry-dynamic-versioning]\nenable = true\n"
        },
        "poetry-dynamic-versioning",
    ),
]


@pytest.mark.parametrize(("files", "says"), [pytest.param(f, s, id=i) for i, f, s in TAGGED])
def test_the_tag_is_the_version(tmp_path: Path, files: dict[str, str], says: str) -> None:
    found = detect(_write(tmp_path, files))
    assert found.version_source == "tag"
    assert found.version_files == ()
    note = next(n for n in found.notes if n.startswith("pyproject.toml: version from git tags ("))
    assert says in note and note.endswith("releases are the tags; nothing to edit")


def test_the_file_setuptools_scm_writes_is_not_a_version_file(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": SCM + DYNAMIC + '[tool.setuptools_scm]\nversion_file = "src/demo_pkg/_version.py"\n',
        "src/demo_pkg/_version.py": '__version__ = "1.2.4.dev3+g0123abc"\n',  # left by a build, git-ignored
    }
    found = detect(_write(tmp_path, files))
    assert found.version_source == "tag" and found.version_files == ()
    assert "src/demo_pkg/_version.py: is written by the build backend from the git tag; not added" in found.notes


FILES = [
    (
        "hatchling path",
        {"pyproject.toml": HATCH + DYNAMIC + '[tool.hatch.version]\npath = "demo/__version__.py"\n'},
        "demo/__version__.py",
        "hatchling",
    ),
    (
        "pdm file",
        {"pyproject.toml": PDM + DYNAMIC + '[tool.pdm.version]\nsource = "file"\npath = "src/demo/__init__.py"\n'},
        "src/demo/__init__.py",
        "pdm-backend",
    ),
    ("flit module", {"pyproject.toml": FLIT + DYNAMIC}, "src/demo_pkg/__init__.py", "flit"),
    (
        "setuptools attr",
        {"pyproject.toml": DYNAMIC + '[tool.setuptools.dynamic]\nversion = {attr = "demo.about.__version__"}\n'},
        "demo/about.py",
        "setuptools",
    ),
]


@pytest.mark.parametrize(("files", "path", "tool"), [pytest.param(f, p, t, id=i) for i, f, p, t in FILES])
def test_a_file_the_backend_reads_is_a_version_file(
    tmp_path: Path, files: dict[str, str], path: str, tool: str
) -> None:
    found = detect(_write(tmp_path, {**files, path: f"# the version\n{INIT}"}))
    assert found.version_source == "files"
    [vf] = found.version_files
    assert (vf.path, vf.kind, vf.version) == (path, "regex", "1.2.3")
    assert re.search(vf.locator, f"# the version\n{INIT}", re.MULTILINE)
    assert any(n.startswith(f"pyproject.toml: version read by {tool} from {path} (") for n in found.notes)


def test_maturin_reads_the_crate_version_once(tmp_path: Path) -> None:
    cargo = '[package]\nname = "demo"\nversion = "2.41.5"\n'
    found = detect(_write(tmp_path, {"pyproject.toml": MATURIN + DYNAMIC, "Cargo.toml": cargo}))
    assert [(vf.path, vf.locator, vf.format) for vf in found.version_files] == [
        ("Cargo.toml", "package.version", "semver")
    ]
    assert 'pyproject.toml: version read by maturin from Cargo.toml (build-backend = "maturin"): bumped there' in (
        found.notes
    )


def test_an_unknown_dynamic_version_says_what_to_do(tmp_path: Path) -> None:
    files = {"pyproject.toml": HATCH + DYNAMIC + '[tool.hatch.version]\npath = "demo/missing.py"\n'}
    found = detect(_write(tmp_path, files))
    assert found.version_files == () and found.version_source == "files"
    [note] = [n for n in found.notes if n.startswith("pyproject.toml:")]
    assert "demo/missing.py is missing" in note and "versioning.source: tag" in note


# -- the config key ----------------------------------------------------------------------------------------------


def _config(versioning: str) -> str:
    return f"project:\n  name: demo\n  repository: acme/demo\nversioning:\n{textwrap.indent(versioning, '  ')}"


def test_source_is_files_or_tag(tmp_path: Path) -> None:
    assert parse(_config("source: tag\n"), "releasekit.yaml", tmp_path).config.versioning.source == "tag"
    assert parse(_config("changelog: null\n"), "releasekit.yaml", tmp_path).config.versioning.source == "files"
    with pytest.raises(ConfigError) as info:
        parse(_config("source: tags\n"), "releasekit.yaml", tmp_path)
    assert str(info.value).startswith("releasekit.yaml:5:11: versioning.source: expected one of files, tag"), info.value


def test_a_static_project_version_contradicts_source_tag(tmp_path: Path) -> None:
    text = _config("source: tag\nfiles:\n  - path: pyproject.toml\n    toml: project.version\n")
    with pytest.raises(ConfigError) as info:
        parse(text, "releasekit.yaml", tmp_path)
    assert "releasekit.yaml:7:" in str(info.value)
    assert "project.version is a static version, but versioning.source is `tag`" in str(info.value)


def test_the_pretend_version_is_part_of_the_build_key() -> None:
    def key(env: dict[str, str] | None = None) -> str:
        return buildcache.build_key("tree", package=".", isolation=False, tools="x", env=env)

    keys = {key(), key({"SETUPTOOLS_SCM_PRETEND_VERSION": "0.2.0"}), key({"SETUPTOOLS_SCM_PRETEND_VERSION": "0.2.1"})}
    assert len(keys) == 3


# -- init, workflows, release --dry-run: the story on two small projects ------------------------------------------

README = "# demo\n\nA package.\n"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PackageIndex]:
    with PackageIndex(tmp_path_factory.mktemp("index") / "packages") as started:
        yield started


def _story(root: Path, files: dict[str, str], hub: Sandbox, index: PackageIndex, tag: str) -> Any:
    """Commit the project, tag it, run `init` and `workflows`, push, then `release patch --dry-run`."""
    project = _write(root / "demo", {"README.md": README, **files})
    git(project, "init", "-q", "-b", "main")
    git(project, "config", "user.name", "Release Manager")
    git(project, "config", "user.email", "release@example.invalid")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "first")
    git(project, "tag", "-a", tag, "-m", f"Release {tag}")
    hub.create_repo("your-org/demo", seed=project)
    git(project, "remote", "add", "origin", str(hub.remote_url("your-org/demo")))
    init = run_releasekit("init", "--name", "demo", cwd=project)
    assert init.returncode == 0, init.stdout + init.stderr
    assert run_releasekit("workflows", cwd=project).returncode == 0
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "chore: releasekit")
    git(project, "push", "-q", "origin", "main", "--follow-tags")
    git(project, "branch", "-q", "--set-upstream-to=origin/main", "main")
    env = {**hub.env(), "RELEASEKIT_INDEX_URL": index.url, "PIP_CONFIG_FILE": "/dev/null"}
    dry = run_releasekit(
        "release", "patch", "--dry-run", "--skip-ci-check", "--no-build-isolation", cwd=project, env=env
    )
    return init, dry, project


@pytest.fixture
def story(
    tmp_path: Path, sandbox_factory: Callable[..., Sandbox], index: PackageIndex, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Any]:
    monkeypatch.setenv("RELEASEKIT_CACHE_DIR", str(tmp_path / "cache"))
    return lambda files, tag: _story(tmp_path, files, sandbox_factory(), index, tag)


def test_release_of_a_project_whose_version_is_the_tag(story: Callable[..., Any]) -> None:
    # hatch-vcs: setuptools_scm's rules and variable on hatchling, which builds in a fraction of setuptools' time.
    pyproject = HATCH.replace('"hatchling"', '"hatchling", "hatch-vcs"')
    pyproject += DYNAMIC.replace("]\n", ']\nreadme = "README.md"\n', 1) + '[tool.hatch.version]\nsource = "vcs"\n'
    init, dry, project = story({"pyproject.toml": pyproject, "demo_pkg/__init__.py": ""}, "v0.1.0")
    note = 'note: pyproject.toml: version from git tags (hatch-vcs: [tool.hatch.version] source = "vcs"): releases'
    assert note in init.stderr
    config = (project / "releasekit.yaml").read_text()
    assert "  source: tag" in config and "  files: []" in config and '    path: "."' in config
    out = dry.stdout
    assert dry.returncode == 0, out + dry.stderr
    assert "version: the tag is the version (versioning.source: tag): no version file to edit" in out
    assert "1. Edit 1 files:" in out and "CHANGELOG.md: changelog section" in out
    assert "Annotated tag v0.1.1" in out
    names = "demo_pkg-0.1.1-py2.py3-none-any.whl, demo_pkg-0.1.1.tar.gz"
    assert re.search(rf"ok   package +{re.escape(names)} build as 0\.1\.1 and pass twine check", out), out


def test_release_of_a_project_whose_backend_reads_a_file(story: Callable[..., Any]) -> None:
    pyproject = HATCH + DYNAMIC.replace("]\n", ']\nreadme = "README.md"\n', 1)
    pyproject += '[tool.hatch.version]\npath = "demo_pkg/__version__.py"\n'
    files = {"pyproject.toml": pyproject, "demo_pkg/__init__.py": "", "demo_pkg/__version__.py": INIT}
    init, dry, _ = story(files, "v1.2.3")
    assert "from demo_pkg/__version__.py ([tool.hatch.version] path" in init.stderr
    out = dry.stdout
    assert dry.returncode == 0, out + dry.stderr
    assert '-__version__ = "1.2.3"' in out and '+__version__ = "1.2.4"' in out
    names = "demo_pkg-1.2.4-py2.py3-none-any.whl, demo_pkg-1.2.4.tar.gz"  # hatchling: no requires-python
    assert re.search(rf"ok   package +{re.escape(names)} build and pass twine check", out), out


def test_preflight_fails_when_the_built_version_is_not_the_release(
    tmp_path: Path, index: PackageIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`source: tag` on a project whose backend reads a file: the build says the file's version, not the tag's."""
    import semver

    from releasekit.backends.git import Git, Status
    from releasekit.plan import ReleasePlan
    from releasekit.steps import preflight

    monkeypatch.setenv("RELEASEKIT_CACHE_DIR", str(tmp_path / "cache"))
    pyproject = HATCH + DYNAMIC.replace("]\n", ']\nreadme = "README.md"\n', 1)
    pyproject += '[tool.hatch.version]\npath = "demo_pkg/__version__.py"\n'
    config = _config("source: tag\n") + "publish:\n  python:\n    path: .\n"
    files = {
        "pyproject.toml": pyproject,
        "demo_pkg/__init__.py": "",
        "demo_pkg/__version__.py": INIT,
        "README.md": README,
    }
    project = _write(tmp_path / "demo", {**files, "releasekit.yaml": config})
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "first")
    located = parse(config, "releasekit.yaml", project)
    plan = ReleasePlan(
        repository="acme/demo",
        version=semver.Version.parse("1.2.4"),
        tag="v1.2.4",
        previous_tag="v1.2.3",
        branch="main",
        base=git(project, "rev-parse", "HEAD"),
        changes=(),
        message="Release 1.2.4",
        sign=False,
        run=None,
        publishes=(),
        changelog_source="none",
    )

    def no_github() -> Any:
        raise AssertionError("the package check does not ask GitHub")

    options = preflight.Options(build_isolation=False, index_url=index.url)
    ctx = preflight.Context(located, Git(project), Status("main", plan.base, ()), plan, no_github, options)
    verdict = preflight.package(ctx)
    assert not verdict.ok
    assert verdict.detail == (
        "built demo_pkg-1.2.3-py2.py3-none-any.whl says 1.2.3; demo_pkg-1.2.3.tar.gz says 1.2.3, but the release is "
        "1.2.4"
    )
    assert verdict.fix.startswith("the build backend did not take the version releasekit gave it (")


def test_publish_builds_the_tag_as_its_version(
    tmp_path: Path, sandbox_factory: Callable[..., Sandbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The release workflow's `releasekit publish TAG` on a `source: tag` project: the backend is given the tag's
    version (hatchling's `env` source stands in for setuptools_scm: the same variable, a build without git; with
    the variable unset here, only releasekit can have set it, and hatchling fails without it)."""
    monkeypatch.delenv("SETUPTOOLS_SCM_PRETEND_VERSION", raising=False)
    pyproject = HATCH + DYNAMIC.replace("]\n", ']\nreadme = "README.md"\n', 1)
    pyproject += '[tool.hatch.version]\nsource = "env"\nvariable = "SETUPTOOLS_SCM_PRETEND_VERSION"\n'
    config = _config("source: tag\nchangelog: null\n").replace("acme/demo", "your-org/demo")
    config += "publish:\n  python:\n    path: .\n"
    files = {"pyproject.toml": pyproject, "demo_pkg/__init__.py": "", "README.md": README, "releasekit.yaml": config}
    project = _write(tmp_path / "demo", files)
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "first")
    git(project, "tag", "v0.3.0")
    hub = sandbox_factory()
    hub.create_repo("your-org/demo", seed=project)
    proc = run_releasekit("publish", "v0.3.0", "--skip-index", "--no-build-isolation", cwd=project, env=hub.env())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "demo_pkg-0.3.0-py2.py3-none-any.whl, demo_pkg-0.3.0.tar.gz (twine check passed)" in proc.stdout
    assert "Published v0.3.0: 3 uploaded" in proc.stdout
