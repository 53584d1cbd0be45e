"""releasekit.backends.index against a real pypiserver on loopback, with real `build` and `twine` runs."""

from __future__ import annotations

import hashlib
import http.server
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import threading
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import copy_example
from packaging.requirements import Requirement

from releasekit.backends.index import (
    PYPI,
    TESTPYPI,
    IndexTarget,
    PackageError,
    UploadResult,
    build,
    files_on_index,
    index_target,
    project_metadata,
    twine_check,
    upload,
    version_on_index,
)
from releasekit.sandbox.http import free_port
from releasekit.sandbox.index import USERNAME, PackageIndex

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

WHEEL = "minimal_pkg-0.3.0-py3-none-any.whl"
SDIST = "minimal_pkg-0.3.0.tar.gz"


def _backend_installed(project: Path) -> bool:
    """Whether this interpreter already has the build backend: then build without isolation (no downloads)."""
    requires = tomllib.loads((project / "pyproject.toml").read_text())["build-system"]["requires"]
    for requirement in map(Requirement, requires):
        try:
            installed = importlib.metadata.version(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            return False
        if not requirement.specifier.contains(installed, prereleases=True):
            return False
    return True


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The minimal example's sdist and wheel, built once for the module."""
    root = tmp_path_factory.mktemp("built")
    project = copy_example("minimal", root)
    outdir = root / "dist"
    outdir.mkdir()
    (outdir / "minimal_pkg-0.2.0.tar.gz").write_text("an older build, not this one's")
    return build(project, outdir, isolation=not _backend_installed(project))


@pytest.fixture
def index(tmp_path: Path) -> Iterator[PackageIndex]:
    # pypiserver runs in the index's own process: importing it here would install its bundled bottle's old-style
    # import hook in the test process, which later in-process imports then warn about.
    with PackageIndex(tmp_path / "index") as index:
        yield index


# -- project metadata, build, check ---------------------------------------------------------------------------


def test_project_metadata(tmp_path: Path) -> None:
    assert project_metadata(copy_example("minimal", tmp_path)) == ("minimal-pkg", "0.3.0")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, "pyproject.toml: not found"),
        ("[project\n", "not valid TOML"),
        ("[tool.x]\na = 1\n", "no [project] table"),
        ('[project]\nversion = "1.0"\n', "has no `name`"),
        ('[project]\nname = "a"\ndynamic = ["version"]\n', "set `versioning.source: tag`"),
        ('[project]\nname = "a"\n', "has no `version`"),
    ],
)
def test_project_metadata_errors(tmp_path: Path, text: str | None, expected: str) -> None:
    if text is not None:
        (tmp_path / "pyproject.toml").write_text(text)
    with pytest.raises(PackageError, match=r"pyproject\.toml") as info:
        project_metadata(tmp_path)
    assert expected in str(info.value)


def test_build_returns_exactly_its_sdist_and_wheel(built: list[Path]) -> None:
    assert [p.name for p in built] == [WHEEL, SDIST]
    assert all(p.is_file() for p in built)
    # Only the two files (and the older build that was there before): no scratch folder left behind.
    assert sorted(p.name for p in built[0].parent.iterdir()) == ["minimal_pkg-0.2.0.tar.gz", WHEEL, SDIST]


def test_build_failure_shows_the_backend_output(tmp_path: Path) -> None:
    project = copy_example("minimal", tmp_path)
    (project / "pyproject.toml").write_text('[build-system]\nrequires = ["setuptools"\n')
    with pytest.raises(PackageError, match=r"building .*minimal failed \(`python -m build`, exit 1\)") as info:
        build(project, tmp_path / "dist")
    assert "pyproject.toml" in str(info.value)  # build's own words name the broken file
    assert list((tmp_path / "dist").iterdir()) == []


def test_twine_check_passes(built: list[Path]) -> None:
    twine_check(built)


def test_twine_check_rejects_broken_readme(tmp_path: Path, built: list[Path]) -> None:
    # The wheel as a broken README would build it: reStructuredText PyPI cannot render.
    broken = tmp_path / WHEEL
    with zipfile.ZipFile(built[0]) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.endswith(".dist-info/METADATA"):
                head = data.decode().split("\n\n", 1)[0]
                head = head.replace("Description-Content-Type: text/markdown", "Description-Content-Type: text/x-rst")
                data = (head + "\n\nA long title\n=====\n\nSome text.\n").encode()
            dst.writestr(item, data)
    with pytest.raises(PackageError, match="twine check --strict` rejected") as info:
        twine_check([broken])
    message = str(info.value)
    assert "long_description` has syntax errors in markup" in message
    assert "Title underline too short" in message
    assert "README" in message  # how to fix


# -- index targets --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("index", "override", "expected"),
    [
        ("pypi", None, PYPI),
        ("testpypi", None, TESTPYPI),
        ("https://upload.pypi.org/legacy", None, PYPI),
        (
            "pypi",
            "http://127.0.0.1:8080/",
            IndexTarget("http://127.0.0.1:8080/", "http://127.0.0.1:8080/simple/", "http://127.0.0.1:8080/"),
        ),
        ("pypi", "testpypi", TESTPYPI),
        (
            "https://pypi.example.com/legacy/",
            None,
            IndexTarget(
                "https://pypi.example.com/legacy/",
                "https://pypi.example.com/simple/",
                "https://pypi.example.com/legacy/",
            ),
        ),
        (
            "https://devpi.example.com/acme/prod",
            None,
            IndexTarget(
                "https://devpi.example.com/acme/prod",
                "https://devpi.example.com/acme/prod/simple/",
                "https://devpi.example.com/acme/prod",
            ),
        ),
        (
            "https://x.example/",
            "",
            IndexTarget("https://x.example/", "https://x.example/simple/", "https://x.example/"),
        ),
    ],
)
def test_index_target(index: str, override: str | None, expected: IndexTarget) -> None:
    assert index_target(index, override) == expected
    assert PYPI.upload_url == "https://upload.pypi.org/legacy/"
    assert PYPI.simple_url == "https://pypi.org/simple/"
    assert TESTPYPI.upload_url == "https://test.pypi.org/legacy/"
    assert TESTPYPI.simple_url == "https://test.pypi.org/simple/"


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("ftp://host/", "RELEASEKIT_INDEX_URL: 'ftp://host/' is not `pypi`, `testpypi` or an http(s) URL"),
        ("https://me:" + "x" * 8 + "@host/", "must not hold credentials"),  # built here: no password in the file
    ],
)
def test_index_target_refuses(override: str, expected: str) -> None:
    with pytest.raises(PackageError, match="RELEASEKIT_INDEX_URL") as info:
        index_target("pypi", override)
    assert expected in str(info.value)
    assert "s3cret" not in str(info.value)


# -- reading the index -------------------------------------------------------------------------------------------


def test_unknown_project_is_not_on_the_index(index: PackageIndex) -> None:
    # pypiserver redirects a project it lacks to pypi.org; that must read as "not here", without asking PyPI.
    assert files_on_index(index_target(index.url), "no-such-project") == {}
    assert version_on_index(index_target(index.url), "no-such-project", "1.0") == []


def test_unreachable_index_names_the_url() -> None:
    url = f"http://127.0.0.1:{free_port()}/"  # nothing listens there
    with pytest.raises(PackageError, match=rf"cannot read {url}simple/minimal-pkg/ \(.*refused") as info:
        files_on_index(index_target(url), "minimal_pkg", timeout=2)
    assert "check the index URL" in str(info.value)


def test_version_on_index_normalizes_names_and_versions(index: PackageIndex) -> None:
    files = [
        "minimal_pkg-1.4.0rc1.tar.gz",
        "minimal_pkg-1.4.0rc1-py3-none-any.whl",
        "minimal-pkg-1.4.0rc1.zip",  # a legacy spelling of the same name
        "minimal_pkg-1.4.0rc2.tar.gz",
        "minimal_pkg-1.4.0.tar.gz",
        "minimal_pkg-1.4.0rc10-py3-none-any.whl",
        "minimal_pkg_extra-1.4.0rc1.tar.gz",  # another project
    ]
    for name in files:
        (index.directory / name).write_bytes(name.encode())
    target = index_target(index.url)
    expected = ["minimal-pkg-1.4.0rc1.zip", "minimal_pkg-1.4.0rc1-py3-none-any.whl", "minimal_pkg-1.4.0rc1.tar.gz"]
    assert version_on_index(target, "Minimal.Pkg", "1.4.0-rc.1") == expected
    assert version_on_index(target, "minimal-pkg", "1.4.0rc1") == expected
    assert version_on_index(target, "minimal_pkg", "1.4.0") == ["minimal_pkg-1.4.0.tar.gz"]
    assert version_on_index(target, "minimal_pkg", "1.4.1") == []
    on_index = files_on_index(target, "MINIMAL_PKG")
    assert on_index["minimal_pkg-1.4.0rc2.tar.gz"] == hashlib.sha256(b"minimal_pkg-1.4.0rc2.tar.gz").hexdigest()
    assert "minimal_pkg_extra-1.4.0rc1.tar.gz" not in on_index
    with pytest.raises(PackageError, match="'one' is not a PEP 440 version"):
        version_on_index(target, "minimal_pkg", "one")


class _SimpleAPI:
    """A loopback server for the simple API only: `respond(path, accept)` -> (status, content type, body)."""

    def __init__(self, respond: Callable[[str, str], tuple[int, str, bytes]]) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, content_type, body = respond(self.path, self.headers.get("Accept", ""))
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> _SimpleAPI:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def test_files_on_index_reads_pep_691_json_and_hashes_files_it_is_not_told_about() -> None:
    unhashed = b"an sdist whose hash the index does not give"
    page = {
        "meta": {"api-version": "1.1"},
        "name": "minimal-pkg",
        "files": [
            {"filename": WHEEL, "url": "/files/w.whl", "hashes": {"sha256": "AB" * 32}},
            {"filename": SDIST, "url": "/files/s.tar.gz", "hashes": {}},
        ],
    }

    def respond(path: str, accept: str) -> tuple[int, str, bytes]:
        if path == "/simple/minimal-pkg/" and "application/vnd.pypi.simple.v1+json" in accept:
            return 200, "application/vnd.pypi.simple.v1+json", json.dumps(page).encode()
        if path == "/files/s.tar.gz":
            return 200, "application/octet-stream", unhashed
        return 404, "text/plain", b"not found"

    with _SimpleAPI(respond) as api:
        files = files_on_index(index_target(api.url), "Minimal_Pkg")
    assert files == {WHEEL: "ab" * 32, SDIST: hashlib.sha256(unhashed).hexdigest()}


# -- uploading -----------------------------------------------------------------------------------------------------


def test_upload_then_upload_again(
    index: PackageIndex, built: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = index_target(index.url)
    runs: list[tuple[list[str], dict[str, str]]] = []
    real_run = subprocess.run

    def spy(args: list[str], **kwargs: object) -> object:
        runs.append((list(args), dict(kwargs.get("env") or {})))  # type: ignore[call-overload]
        return real_run(args, **kwargs)  # type: ignore[call-overload]

    with monkeypatch.context() as patch:
        patch.setattr(subprocess, "run", spy)
        results = upload(built, target, username=USERNAME, password=index.token)
    assert results == [UploadResult(built[0], "uploaded"), UploadResult(built[1], "uploaded")]
    assert index.files() == [WHEEL, SDIST]
    # The token travels in the child's environment only, never in its argv.
    ((argv, env),) = runs
    assert argv[:4] == [sys.executable, "-m", "twine", "--no-color"]
    assert not any(index.token in arg for arg in argv)
    assert env["TWINE_PASSWORD"] == index.token

    assert files_on_index(target, "minimal-pkg") == {p.name: _sha256(p) for p in built}
    assert version_on_index(target, "minimal-pkg", "0.3.0") == [WHEEL, SDIST]

    # Again, with a password the index would refuse: nothing is sent, so nothing is refused.
    again = upload(built, target, username=USERNAME, password="not-the-token")
    assert [r.outcome for r in again] == ["already-there", "already-there"]

    # What was uploaded installs from the index with pip (and pip sees only this index).
    got = tmp_path / "got"
    pip_env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    pip_env.update(PIP_CONFIG_FILE="/dev/null", PIP_DISABLE_PIP_VERSION_CHECK="1")
    pip = [sys.executable, "-m", "pip", "download", "--no-deps", "--dest", str(got), "-i", target.simple_url]
    download = subprocess.run(
        [*pip, "minimal-pkg==0.3.0"],
        env=pip_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert download.returncode == 0, download.stdout + download.stderr
    assert [p.name for p in got.iterdir()] == [WHEEL]
    assert _sha256(got / WHEEL) == _sha256(built[0])


def test_different_content_under_a_published_name_is_refused(
    index: PackageIndex, built: list[Path], tmp_path: Path
) -> None:
    target = index_target(index.url)
    shutil.copy(built[0], index.directory / WHEEL)
    changed = tmp_path / WHEEL
    shutil.copy(built[0], changed)
    with zipfile.ZipFile(changed, "a") as wheel:
        wheel.writestr("minimal_pkg/extra.py", "X = 1\n")
    with pytest.raises(PackageError) as info:
        upload([built[1], changed], target, username=USERNAME, password=index.token)
    message = str(info.value)
    assert f"already has {WHEEL} with different content (sha256 {_sha256(built[0])[:16]}" in message
    assert "a published file can never be replaced: release a new version" in message
    assert index.files() == [WHEEL]  # the sdist was not sent either


def test_wrong_password_fails_without_showing_it(index: PackageIndex, built: list[Path]) -> None:
    password = "pypi-wrong-password-0123456789"
    with pytest.raises(PackageError, match=r"uploading to http://127\.0\.0\.1:\d+/ failed") as info:
        upload(built, index_target(index.url), username=USERNAME, password=password)
    message = str(info.value)
    assert password not in message and password not in repr(info.value)
    assert index.token not in message
    assert "403" in message or "401" in message
    assert "Check the upload token" in message
    assert index.files() == []


@pytest.mark.parametrize(
    ("raced", "expected"),
    [((WHEEL, SDIST), ["already-there", "already-there"]), ((SDIST,), ["uploaded", "already-there"])],
)
def test_already_exists_after_a_race_counts_as_done(
    index: PackageIndex, built: list[Path], raced: tuple[str, ...], expected: list[str]
) -> None:
    """Another publisher stores files between our read of the index and our upload: the index answers twine
    "already exists" (400), and the re-read shows our own bytes there, so the release goes on."""
    for name in raced:
        shutil.copy(built[0].parent / name, index.directory / name)
    reads: list[str] = []

    def respond(path: str, accept: str) -> tuple[int, str, bytes]:
        reads.append(path)
        if len(reads) == 1:
            return 404, "text/plain", b"not yet"  # the read before the upload
        with urllib.request.urlopen(f"{index.url.rstrip('/')}{path}") as real:  # the truth, read again
            return 200, "text/html", real.read()

    with _SimpleAPI(respond) as api:
        target = IndexTarget(upload_url=index.url, simple_url=f"{api.url}simple/", name="raced")
        results = upload(built, target, username=USERNAME, password=index.token)
    assert [r.outcome for r in results] == expected
    assert [r.path for r in results] == built
    assert reads == ["/simple/minimal-pkg/", "/simple/minimal-pkg/"]
    assert index.files() == [WHEEL, SDIST]
