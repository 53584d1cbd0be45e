"""Python distributions and package indexes: build with `build`, check and upload with `twine`, read the simple API.

`build` and `twine` run as `python -m ...` child processes, so their output and exit codes are theirs. `packaging`
(a dependency of both) names and versions files the way indexes do. Reads use urllib: no HTTP library of our own.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import Message
from html.parser import HTMLParser
from pathlib import Path
from typing import IO, Literal

import packaging.utils as pkg
from packaging.version import InvalidVersion, Version

from releasekit import __version__
from releasekit.errors import ReleasekitError

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

_TAIL_LINES = 15
_USER_AGENT = f"releasekit/{__version__}"
# PEP 691 content negotiation: JSON if the index speaks it, else PEP 503 HTML (pypiserver ignores Accept).
_JSON_TYPE = "application/vnd.pypi.simple.v1+json"
_ACCEPT = f"{_JSON_TYPE}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# Inherited variables that could point twine at another index or account than the one we pass.
_TWINE_TARGET_VARS = ("TWINE_USERNAME", "TWINE_PASSWORD", "TWINE_REPOSITORY", "TWINE_REPOSITORY_URL")


class PackageError(ReleasekitError):
    """Building, checking, reading or uploading distributions failed; the message has the tool's own words."""

    exit_code = 1


# -- the project and its distributions ----------------------------------------------------------------------


def project_metadata(package_dir: Path) -> tuple[str, str]:
    """(name, version) from `[project]` in package_dir/pyproject.toml."""
    project, pyproject = _project_table(package_dir)
    version = project.get("version")
    if not isinstance(version, str) or not version.strip():
        dynamic = project.get("dynamic")
        if isinstance(dynamic, list) and "version" in dynamic:
            msg = (
                f'{pyproject}: the version is dynamic (`dynamic = [..., "version"]`), so there is no static '
                "`project.version` to compare: when the build backend takes it from the git tag, set "
                "`versioning.source: tag` in releasekit.yaml (`releasekit init` finds this)"
            )
        else:
            msg = f'{pyproject}: [project] has no `version`; add `version = "0.1.0"` (releasekit bumps it)'
        raise PackageError(msg)
    return str(project["name"]), version


def project_name(package_dir: Path) -> str:
    """`[project] name` from package_dir/pyproject.toml; the version may be dynamic."""
    return str(_project_table(package_dir)[0]["name"])


def declared_version(package_dir: Path) -> str | None:
    """The static `project.version`, or None when the build backend sets it (`dynamic = ["version"]`)."""
    project, _ = _project_table(package_dir)
    dynamic = project.get("dynamic")
    if isinstance(dynamic, list) and "version" in dynamic:
        return None
    return project_metadata(package_dir)[1]


def version_mismatches(paths: Sequence[Path], wanted: str) -> list[str]:
    """`name says X` for each built distribution whose metadata version is not `wanted` (compared as PEP 440, so
    1.4.0-rc.1 and 1.4.0rc1 agree); [] when all say it."""
    out = []
    for path in paths:
        found = built_version(path)
        try:
            same = Version(found) == Version(wanted)
        except InvalidVersion:
            same = found == wanted
        if not same:
            out.append(f"{path.name} says {found}")
    return out


# Where each tag-versioning build backend takes a version from instead of git: setuptools_scm (and hatch-vcs,
# which uses it), pdm-backend's scm source, poetry-dynamic-versioning and uv-dynamic-versioning (dunamai). A
# backend that knows none of them builds its own idea of the version, which the metadata check then catches.
PRETEND_VERSION_VARS = (
    "SETUPTOOLS_SCM_PRETEND_VERSION",
    "PDM_BUILD_SCM_VERSION",
    "POETRY_DYNAMIC_VERSIONING_BYPASS",
    "UV_DYNAMIC_VERSIONING_BYPASS",
)


def pretend_version_env(version: str) -> dict[str, str]:
    """The environment that makes a tag-versioned build produce `version` (PEP 440) from a tree without git."""
    return dict.fromkeys(PRETEND_VERSION_VARS, version)


def built_version(path: Path) -> str:
    """The `Version:` of a wheel's METADATA or an sdist's PKG-INFO: what an index and pip will see."""
    import tarfile
    import zipfile
    from email.parser import HeaderParser

    try:
        if path.name.endswith(".whl"):
            with zipfile.ZipFile(path) as whl:
                name = next((n for n in whl.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")), "")
                text = whl.read(name).decode("utf-8") if name else ""
        else:
            with tarfile.open(path) as sdist:
                member = next(
                    (m for m in sdist.getmembers() if m.name.count("/") == 1 and m.name.endswith("/PKG-INFO")), None
                )
                handle = sdist.extractfile(member) if member is not None else None
                text = handle.read().decode("utf-8") if handle is not None else ""
    except (OSError, KeyError, zipfile.BadZipFile, tarfile.TarError, UnicodeDecodeError) as exc:
        raise PackageError(f"{path.name}: cannot read its metadata ({exc})") from None
    version = HeaderParser().parsestr(text).get("Version") if text else None
    if not version:
        raise PackageError(f"{path.name}: no METADATA/PKG-INFO with a `Version:` in it; is it a distribution?")
    return str(version).strip()


def _project_table(package_dir: Path) -> tuple[dict[str, object], Path]:
    """The `[project]` table of package_dir/pyproject.toml, with a `name`; and the file's path."""
    pyproject = package_dir / "pyproject.toml"
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except FileNotFoundError:
        msg = f"{pyproject}: not found; releasekit builds packages that declare [project] name and version there"
        raise PackageError(msg) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PackageError(f"{pyproject}: cannot read it: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise PackageError(f"{pyproject}: not valid TOML: {exc}") from None
    project = data.get("project")
    if not isinstance(project, dict):
        msg = f"{pyproject}: no [project] table; releasekit needs `project.name` and `project.version` (or dynamic)"
        raise PackageError(msg)
    name = project.get("name")
    if not isinstance(name, str) or not name.strip():
        raise PackageError(f'{pyproject}: [project] has no `name`; add `name = "your-package"`')
    return project, pyproject


def build(package_dir: Path, outdir: Path, *, isolation: bool = True, env: dict[str, str] | None = None) -> list[Path]:
    """Build the sdist and the wheel into outdir; returns exactly the two files this build produced, sorted.
    `env` is added to the build's environment (the backend's hooks inherit it): `pretend_version_env`."""
    outdir.mkdir(parents=True, exist_ok=True)
    # Build into a scratch folder inside outdir, then move: files already in outdir (an older build, another
    # package) can neither be mistaken for this build's output nor hide that it wrote nothing.
    with tempfile.TemporaryDirectory(prefix=".releasekit-build-", dir=outdir) as scratch:
        args = ["build", "--sdist", "--wheel", "--outdir", scratch]
        if not isolation:
            args.append("--no-isolation")
        extra = {"PIP_DISABLE_PIP_VERSION_CHECK": "1", **(env or {})}
        proc = _python([*args, str(package_dir)], extra, timeout=1800)
        if proc.returncode != 0:
            hint = (
                " (with isolation, build first installs the backend from the package index: a failure there is "
                "about pip's configuration or the network)"
                if isolation
                else " (isolation is off: [build-system] requires must already be installed here)"
            )
            msg = (
                f"building {package_dir} failed (`python -m build`, exit {proc.returncode}):\n"
                f"{_tail(proc.stdout)}\nFix the error above and build again{hint}."
            )
            raise PackageError(msg)
        made = sorted(Path(scratch).iterdir())
        sdists = [p for p in made if p.name.endswith((".tar.gz", ".zip"))]
        wheels = [p for p in made if p.name.endswith(".whl")]
        if len(sdists) != 1 or len(wheels) != 1 or len(made) != 2:
            names = ", ".join(p.name for p in made) or "nothing"
            raise PackageError(f"building {package_dir} produced {names}; expected one sdist and one wheel")
        results = []
        for path in made:
            target = outdir / path.name
            path.replace(target)
            results.append(target)
    return sorted(results)


def twine_check(paths: Sequence[Path]) -> None:
    """`twine check --strict`: the metadata and README render the way PyPI requires."""
    if not paths:
        return
    proc = _python(["twine", "--no-color", "check", "--strict", *map(str, paths)], {}, timeout=600)
    if proc.returncode != 0:
        names = ", ".join(p.name for p in paths)
        msg = (
            f"`twine check --strict` rejected {names}:\n{_tail(proc.stdout)}\n"
            "PyPI would refuse or mis-render this metadata: fix it (most often the README that `project.readme` "
            "names, its markup or its content type) and build again."
        )
        raise PackageError(msg)


# -- where the files go -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndexTarget:
    upload_url: str  # what twine posts to
    simple_url: str  # the PEP 503/691 simple API root, ending in `/`
    name: str  # for messages: `pypi`, `testpypi`, or the URL


PYPI = IndexTarget("https://upload.pypi.org/legacy/", "https://pypi.org/simple/", "pypi")
TESTPYPI = IndexTarget("https://test.pypi.org/legacy/", "https://test.pypi.org/simple/", "testpypi")
_KNOWN = {"pypi": PYPI, "testpypi": TESTPYPI, PYPI.upload_url: PYPI, TESTPYPI.upload_url: TESTPYPI}


def index_target(index: str, override: str | None = None) -> IndexTarget:
    """Where `publish.python.index` uploads, and where its simple API is read. `override` (the caller reads it
    from RELEASEKIT_INDEX_URL) replaces the configured index entirely, e.g. to rehearse against a local index."""
    spec, source = (override, "RELEASEKIT_INDEX_URL") if override else (index, "publish.python.index")
    known = _KNOWN.get(spec) or _KNOWN.get(spec.rstrip("/") + "/")
    if known is not None:
        return known
    parts = urllib.parse.urlsplit(spec)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PackageError(f"{source}: {spec!r} is not `pypi`, `testpypi` or an http(s) URL")
    if parts.username is not None or parts.password is not None:
        # Credentials in the URL would reach twine's argv and every message that names the index.
        msg = f"{source}: the index URL must not hold credentials; put the token in the secret `token-secret` names"
        raise PackageError(msg)
    path = parts.path.rstrip("/")
    # Warehouse-like hosts take uploads at .../legacy/ and serve the simple API beside it; pypiserver and devpi
    # take uploads at the root they serve `simple/` under.
    simple_path = path[: -len("legacy")] + "simple/" if path.rsplit("/", 1)[-1] == "legacy" else path + "/simple/"
    simple = urllib.parse.urlunsplit((parts.scheme, parts.netloc, simple_path, "", ""))
    return IndexTarget(upload_url=spec, simple_url=simple, name=spec)


# -- reading the index --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Link:
    url: str
    sha256: str | None  # None when the index gives no sha256 for the file


def files_on_index(target: IndexTarget, name: str, *, timeout: float = 10) -> dict[str, str]:
    """filename -> sha256 of every file of the project on the index; {} when the index does not have it."""
    return {
        filename: _remote_sha256(link, timeout) for filename, link in sorted(_listing(target, name, timeout).items())
    }


def files_of_version(target: IndexTarget, name: str, version: str, *, timeout: float = 10) -> dict[str, str]:
    """filename -> sha256 of every file of this version of the project on the index (`releasekit lock`)."""
    wanted = (pkg.canonicalize_name(name), Version(version))
    listing = _listing(target, name, timeout)
    return {f: _remote_sha256(link, timeout) for f, link in sorted(listing.items()) if _identity(f) == wanted}


def version_on_index(target: IndexTarget, name: str, version: str, *, timeout: float = 10) -> list[str]:
    """The project's files on the index that belong to this version (1.4.0-rc.1 and 1.4.0rc1 are one version)."""
    try:
        wanted = Version(version)
    except InvalidVersion:
        raise PackageError(f"{version!r} is not a PEP 440 version, so no index can hold files for it") from None
    project = pkg.canonicalize_name(name)
    return sorted(f for f in _listing(target, name, timeout) if _identity(f) == (project, wanted))


def _identity(filename: str) -> tuple[pkg.NormalizedName, Version] | None:
    """(normalized name, version) of an sdist or wheel file name (PEP 625, PEP 427; legacy spellings too)."""
    try:
        if filename.endswith(".whl"):
            name, version, _build, _tags = pkg.parse_wheel_filename(filename)
            return name, version
        return pkg.parse_sdist_filename(filename)
    except (pkg.InvalidSdistFilename, pkg.InvalidWheelFilename, InvalidVersion):
        return None


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects within the index (PyPI sends non-normalized names to the normalized page) and refuses
    the others, which then surface as HTTPError with the redirect's status."""

    def redirect_request(  # noqa: PLR0917 - urllib's own signature
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        if _origin(newurl) != _origin(req.full_url):
            return None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_SAME_ORIGIN = urllib.request.build_opener(_SameOriginRedirects())
_FOLLOW_ALL = urllib.request.build_opener()


def _origin(url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme, parts.netloc.lower()


def _get(url: str, timeout: float, *, accept: str = "*/*", follow: bool = False) -> tuple[int, bytes, str, Message]:
    """(status, body, final URL, headers) of a GET; an error status is returned, a network failure raised."""
    request = urllib.request.Request(url, headers={"Accept": accept, "User-Agent": _USER_AGENT})
    opener = _FOLLOW_ALL if follow else _SAME_ORIGIN
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.read(), response.geturl(), response.headers
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code, b"", url, exc.headers
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        raise PackageError(
            f"cannot read {url} ({reason}); check the index URL and the network, then run again"
        ) from None


def _listing(target: IndexTarget, name: str, timeout: float) -> dict[str, _Link]:
    url = f"{target.simple_url.rstrip('/')}/{pkg.canonicalize_name(name)}/"
    status, body, final_url, headers = _get(url, timeout, accept=_ACCEPT)
    if status in (404, 410) or 300 <= status < 400:
        # 404: the project is not on this index yet. A redirect to another host: pypiserver answers a project it
        # does not hold with one to its fallback index (pypi.org by default); PyPI's files are not this index's.
        return {}
    if status in (401, 403):
        msg = f"{url} answered {status}: the index wants credentials to read its simple API; releasekit reads"
        raise PackageError(f"{msg} indexes anonymously: use one that allows it")
    if status != 200:
        raise PackageError(f"{url} answered {status}; check the index URL, or run again when the index is healthy")
    try:
        if headers.get_content_type() == _JSON_TYPE:
            return _parse_json(json.loads(body), final_url)
        return _parse_html(body.decode(headers.get_content_charset() or "utf-8", errors="replace"), final_url)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise PackageError(f"{url}: not a simple-API project page ({exc}); is {target.name} a package index?") from None


def _parse_json(data: dict[str, object], base: str) -> dict[str, _Link]:
    """PEP 691: {"files": [{"filename", "url", "hashes": {"sha256": ...}}, ...]}."""
    files = data["files"]
    if not isinstance(files, list):
        raise TypeError("`files` is not a list")
    links = {}
    for entry in files:
        hashes = entry.get("hashes") or {}
        sha = str(hashes.get("sha256", "")).lower()
        links[str(entry["filename"])] = _Link(
            urllib.parse.urljoin(base, entry["url"]), sha if _SHA256.match(sha) else None
        )
    return links


class _Anchors(HTMLParser):
    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "base" and href:
            self.base = urllib.parse.urljoin(self.base, href)
        elif tag == "a" and href:
            self.hrefs.append(urllib.parse.urljoin(self.base, href))


def _parse_html(text: str, base: str) -> dict[str, _Link]:
    """PEP 503: one anchor per file, named by the URL's last path segment, sha256 in the `#sha256=` fragment."""
    parser = _Anchors(base)
    parser.feed(text)
    parser.close()
    links = {}
    for href in parser.hrefs:
        url, _, fragment = href.partition("#")
        filename = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])
        algo, _, digest = fragment.partition("=")
        if filename:
            links[filename] = _Link(url, digest.lower() if algo == "sha256" and _SHA256.match(digest.lower()) else None)
    return links


def _remote_sha256(link: _Link, timeout: float) -> str:
    """The file's sha256: from the listing, or by downloading it when the index gives none."""
    if link.sha256 is not None:
        return link.sha256
    status, body, _, _ = _get(link.url, timeout, follow=True)  # files may well live on another host (a CDN)
    if status != 200:
        raise PackageError(f"cannot download {link.url} to hash it: the index answered {status}; run again")
    return hashlib.sha256(body).hexdigest()


# -- uploading ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadResult:
    path: Path
    outcome: Literal["uploaded", "already-there"]


def upload(paths: Sequence[Path], target: IndexTarget, *, username: str, password: str | None) -> list[UploadResult]:
    """Upload what the index does not have yet; a file it has with the same sha256 is "already-there". Never
    re-sends blindly: after a failed upload it reads the index to learn what arrived. Results in input order.
    `password` None is trusted publishing: twine (6.1 or later), given no password for PyPI or TestPyPI, trades
    the CI job's OIDC identity token (GitHub Actions: `id-token: write`) for a short-lived upload token."""
    if not paths:
        return []
    if password is not None and not password:
        raise PackageError(f"no upload token for {target.name}: the password is empty (is the secret set?)")
    names: dict[str, Path] = {}
    for path in paths:
        if _identity(path.name) is None:
            raise PackageError(f"{path}: not a wheel or sdist file name; only build's output can be uploaded")
        if path.name in names:
            raise PackageError(f"{path.name} is given twice ({names[path.name]}, {path})")
        names[path.name] = path
    local = {path.name: sha256_file(path) for path in paths}
    projects = sorted({ident[0] for path in paths if (ident := _identity(path.name))})

    done: dict[str, UploadResult] = {}
    remote = _remote_files(target, projects)
    for path in paths:
        if _matches(target, path, local[path.name], remote):
            done[path.name] = UploadResult(path, "already-there")
    pending = [p for p in paths if p.name not in done]
    if pending:
        for result in _twine_upload(pending, target, local=local, username=username, password=password):
            done[result.path.name] = result
    return [done[path.name] for path in paths]


def _remote_files(target: IndexTarget, projects: Sequence[str]) -> dict[str, _Link]:
    remote: dict[str, _Link] = {}
    for project in projects:
        remote.update(_listing(target, project, 10))
    return remote


def _matches(target: IndexTarget, path: Path, sha256: str, remote: dict[str, _Link]) -> bool:
    """True when the index has this file with this content, False when it lacks it; raises when it differs."""
    link = remote.get(path.name)
    if link is None:
        return False
    there = _remote_sha256(link, 30)
    if there != sha256:
        msg = (
            f"{target.name} already has {path.name} with different content (sha256 {there[:16]}..., this "
            f"file's is {sha256[:16]}...); a published file can never be replaced: release a new version"
        )
        raise PackageError(msg)
    return True


def _twine_upload(
    pending: Sequence[Path], target: IndexTarget, *, local: dict[str, str], username: str, password: str | None
) -> list[UploadResult]:
    projects = sorted({ident[0] for path in pending if (ident := _identity(path.name))})
    env = {k: v for k, v in os.environ.items() if k not in _TWINE_TARGET_VARS}
    # Credentials travel only in the child's environment: argv is visible to every user of the machine.
    env.update(TWINE_USERNAME=username)
    if password is not None:
        env.update(TWINE_PASSWORD=password)
    else:
        # Trusted publishing: no keyring either, so that twine goes straight to the CI system's identity token.
        env.update(PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")
    args = ["twine", "--no-color", "upload", "--non-interactive", "--disable-progress-bar"]
    args += ["--repository-url", target.upload_url, *map(str, pending)]
    proc = _python(args, {}, timeout=3600, base_env=env)
    if proc.returncode == 0:
        return [UploadResult(path, "uploaded") for path in pending]
    output = _redact(proc.stdout, username, password) if password is not None else proc.stdout

    # The upload failed, but files may have arrived all the same: twine stops at the first refused file after
    # sending the ones before it, and a failure can come after the index stored a file (a lost response, a
    # timeout). So the index, not twine's exit code, says what is done; nothing is re-sent from here.
    # "Already exists" is the usual case: PyPI and TestPyPI answer 400 "File already exists", pypiserver 409
    # (400 to twine's User-Agent), when a concurrent publisher or an earlier attempt got there first; a file
    # present with our sha256 is then as good as uploaded.
    try:
        remote: dict[str, _Link] | None = _remote_files(target, projects)
    except PackageError as exc:
        remote = None
        state = f"The index could not be re-read to see what arrived: {exc}"
    if remote is not None:
        arrived = [path for path in pending if _matches(target, path, local[path.name], remote)]
        if len(arrived) == len(pending):
            return _outcomes(pending, output)
        missing = ", ".join(p.name for p in pending if p not in arrived)
        state = f"Now on the index: {', '.join(p.name for p in arrived) or 'none of them'}; not: {missing}."
    if any(code in output for code in ("401 Unauthorized", "403 Forbidden", "Invalid or non-existent authentication")):
        hint = "Check the upload token (the secret `token-secret` names) and its scope, then run again"
    elif password is None:
        hint = (
            "Trusted publishing needs twine 6.1 or later, a job with `id-token: write`, and a trusted publisher on "
            f"{target.name} for this repository, workflow and environment; fix that, then run again"
        )
    else:
        hint = "Fix the cause and run again: files already on the index with the same content are skipped"
    msg = f"uploading to {target.name} failed (twine exit {proc.returncode}):\n{_tail(output)}\n{state}\n{hint}."
    raise PackageError(msg)


def _outcomes(pending: Sequence[Path], output: str) -> list[UploadResult]:
    """Who sent what, when twine failed but every file is on the index with our content. Twine sends files in
    the order given, printing `Uploading <name>` before each, and stops at the first failure: the files before
    it were stored by us, the files after it by someone else. The failing file itself was stored by someone
    else when the index refused it with a 4xx (an index does not store a file and then refuse it), and may
    have been stored by our request after a 5xx, a timeout or a dropped connection."""
    attempted = re.findall(r"^Uploading (\S+)\s*$", output, flags=re.MULTILINE)
    names = [p.name for p in pending]
    stop = names.index(attempted[-1]) if attempted and attempted[-1] in names else -1
    refused = re.search(r"HTTPError: 4\d\d ", output) is not None
    ours = stop if refused or stop < 0 else stop + 1
    return [UploadResult(p, "uploaded" if i < ours else "already-there") for i, p in enumerate(pending)]


def _redact(text: str, username: str, password: str) -> str:
    """Twine does not print the password; this makes sure no spelling of it (plain, URL-quoted, inside a Basic
    authorization header) leaves through its output either."""
    basic = base64.b64encode(f"{username}:{password}".encode()).decode()
    for secret in (basic, password, urllib.parse.quote(password, safe="")):
        text = text.replace(secret, "********")
    return text


# -- helpers ------------------------------------------------------------------------------------------------


def _python(
    args: list[str], extra_env: dict[str, str], *, timeout: float, base_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m <args>` with stdout and stderr merged; a timeout becomes a failed run with a last line saying so."""
    env = dict(os.environ if base_env is None else base_env)
    # Wide, uncoloured, UTF-8 output: twine prints through rich, which wraps at 80 columns off a terminal.
    env.update(COLUMNS="200", PYTHONIOENCODING="utf-8", **extra_env)
    command = [sys.executable, "-m", *args]
    try:
        return subprocess.run(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            encoding="utf-8",
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        partial = exc.output.decode("utf-8", "replace") if isinstance(exc.output, bytes) else exc.output or ""
        return subprocess.CompletedProcess(command, -1, f"{partial}\n(stopped: no result within {timeout:g} s)")


def _tail(output: str) -> str:
    lines = [line.rstrip() for line in output.strip().splitlines() if line.strip()][-_TAIL_LINES:]
    return "\n".join(f"  | {line}" for line in lines) if lines else "  | (no output)"


def sha256_file(path: Path) -> str:
    """The file's SHA-256, read in 1 MiB chunks: memory stays flat whatever its size."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
