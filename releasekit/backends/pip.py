"""pip as a child process, for `releasekit lock --update`: what it would install for a set of requirements
(`pip install --dry-run --report`), the rounds that resolve a set for every machine that installs it, and the file
hashes of each pinned version from the package index (the one `publish` uploads to)."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from releasekit import __version__
from releasekit.toollock import LockedSet, LockError, Pinned, Resolved, Target, marker_for, reachable

RunPip = Callable[[list[str]], str]


def _run_pip(args: list[str]) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "pip", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        check=False,
        timeout=900,
    )
    if proc.returncode != 0:
        tail = "\n".join(f"  | {line}" for line in proc.stderr.strip().splitlines()[-12:]) or "  | (no output)"
        hint = "Fix the requirement or the index, then run `releasekit lock --update` again."
        if f"releasekit=={__version__}" in proc.stderr:
            hint = (
                f"releasekit {__version__} (the version that generates the workflows) is not on this index: build "
                "its wheel (`python -m build --wheel --outdir DIR` in its checkout) and pass `--find-links DIR`."
            )
        msg = f"resolving with pip failed (`pip {' '.join(shlex.quote(a) for a in args)}`, exit {proc.returncode}):"
        msg += f"\n{tail}\n{hint}"
        raise LockError(msg)
    return proc.stdout


def pip_report(
    requirements: Sequence[str],
    *,
    index_url: str,
    find_links: Sequence[Path] = (),
    python: str | None = None,
    run: RunPip = _run_pip,
) -> list[Resolved]:
    """What `pip install` would install for `requirements` from `index_url` (and `find_links`), nothing installed:
    `pip install --dry-run --report`. `python` resolves for that Python version (wheels only, as pip requires)."""
    args = ["--isolated", "install", "--dry-run", "--quiet", "--report", "-", "--ignore-installed"]
    args += ["--index-url", index_url]
    for link in find_links:
        args += ["--find-links", str(link)]
    if python:
        args += ["--python-version", python, "--only-binary", ":all:"]
    args += list(requirements)
    text = run(args)
    try:
        report = json.loads(text[text.index("{") :])
        out = []
        for item in report["install"]:
            meta = item["metadata"]
            url = str(item.get("download_info", {}).get("url", ""))
            local = (Path(url.removeprefix("file://")),) if url.startswith("file://") else ()
            deps = []
            for spec in meta.get("requires_dist") or ():
                req = Requirement(spec)
                bare = f"{req.name}{req.specifier}"
                marker = str(req.marker) if req.marker else None
                deps.append((canonicalize_name(req.name), marker, bare, frozenset(req.extras)))
            out.append(Resolved(canonicalize_name(meta["name"]), str(meta["version"]), tuple(deps), local))
    except (ValueError, KeyError, TypeError, InvalidRequirement) as exc:
        raise LockError(f"pip's installation report could not be read ({exc}); is pip 23 or later installed?") from None
    return out


def resolve(
    roots_: Sequence[str],
    targets: Sequence[Target],
    *,
    index_url: str,
    find_links: Sequence[Path] = (),
    run: RunPip = _run_pip,
) -> tuple[list[Resolved], dict[str, str | None]]:
    """Resolve `roots_` for every target: pip resolves here (for the oldest target Python), then each dependency
    that only another target needs (a marker false here: Windows-only, older-Python-only) is resolved too, until
    nothing is missing. Returns the packages, and each one's marker (None: needed everywhere)."""
    pythons = sorted({t.python for t in targets if t.python}, key=lambda v: tuple(int(p) for p in v.split(".")))
    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    python = pythons[0] if pythons and pythons[0] != here else None
    wanted = list(roots_)
    envs = {t: t.environment() for t in targets}
    for _ in range(10):
        found = pip_report(wanted, index_url=index_url, find_links=find_links, python=python, run=run)
        graph = {r.name: r for r in found}
        missing: dict[str, str] = {}
        where: dict[str, set[Target]] = {}
        for target, env in envs.items():
            seen, lacking = reachable(roots_, graph, env)
            missing.update(lacking)
            for name in seen:
                where.setdefault(name, set()).add(target)
        if not missing:
            markers = {name: marker_for(where.get(name, set()), list(envs)) for name in graph if name in where}
            return [graph[n] for n in sorted(markers)], markers
        # Resolved here without their marker (it is false here); the marker computed above is what keeps them
        # off the targets that do not need them.
        wanted = [*wanted, *(spec for _, spec in sorted(missing.items()))]
    raise LockError(f"resolving {', '.join(roots_)} did not settle after 10 rounds; report this")


# -- hashes -----------------------------------------------------------------------------------------------------


def collect_hashes(package: Resolved, simple_url: str) -> tuple[str, ...]:
    """Every file hash of this exact version on the index (sdist and all wheels, for every OS and Python, as
    pip-compile --generate-hashes collects them); a package from --find-links is hashed from its local files."""
    from releasekit.backends.index import IndexTarget, files_of_version, sha256_file

    target = IndexTarget(upload_url=simple_url, simple_url=simple_url, name=simple_url)
    found = files_of_version(target, package.name, package.version)
    hashes = {f"sha256:{h}" for h in found.values()}
    for path in package.local_files:
        if path.is_file():
            hashes.add(f"sha256:{sha256_file(path)}")
    if not hashes:
        raise LockError(
            f"{package.name} {package.version}: no file of it on {simple_url} to hash; is it on that index?"
        )
    return tuple(sorted(hashes))


def lock_set(
    roots_: Sequence[str],
    targets: Sequence[Target],
    *,
    simple_url: str,
    find_links: Sequence[Path] = (),
    run: RunPip = _run_pip,
) -> LockedSet:
    """Resolve and hash one set: what `releasekit lock --update` records for it."""
    packages, markers = resolve(roots_, targets, index_url=simple_url, find_links=find_links, run=run)
    pinned = tuple(Pinned(p.name, p.version, collect_hashes(p, simple_url), markers.get(p.name)) for p in packages)
    return LockedSet(tuple(roots_), pinned)
