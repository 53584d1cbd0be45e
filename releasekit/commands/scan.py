"""Look for secrets written in plain text in the repository's files (tokens, API keys, private keys, passwords in
URLs) and name each by file and line, never repeating the value. Exit 1 when any is found."""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

from releasekit.errors import ReleasekitError

_MAX_BYTES = 2 * 1024 * 1024  # larger files are data, not notes or config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="*", metavar="PATH", help="files or directories to scan (default: every file git tracks)"
    )


def _tracked(root: Path) -> list[Path]:
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=root,
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
    except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired):
        raise ReleasekitError(
            f"{root}: not a git repository (or git is missing); name the files to scan: releasekit scan PATH..."
        ) from None
    return [root / name for name in out.decode("utf-8", "surrogateescape").split("\0") if name]


def _expand(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file() and ".git" not in p.parts)
        elif path.is_file():
            files.append(path)
        else:
            raise ReleasekitError(f"{raw}: no such file or directory")
    return files


def run(args: argparse.Namespace) -> int:
    from releasekit.config.secrets import find_secrets_in_text

    root = Path(args.directory)
    files = _expand(args.paths) if args.paths else _tracked(root)
    found = 0
    for path in files:
        try:
            if path.stat().st_size > _MAX_BYTES:
                continue
            data = path.read_bytes()
        except OSError:
            continue
        if b"\0" in data[:8192]:
            continue  # binary
        shown = path.relative_to(root) if not args.paths and path.is_relative_to(root) else path
        for line, reason in find_secrets_in_text(data.decode("utf-8", "replace")):
            print(f"{shown}:{line}: {reason}")
            found += 1
    if found:
        print(
            f"{found} possible secret{'s' * (found != 1)} found. Remove each, rotate it (it may already have been "
            "copied), store it as a repository secret and refer to it by name in releasekit.yaml (env.secrets)."
        )
        return 1
    print(f"No secrets found in {len(files)} file{'s' * (len(files) != 1)}.")
    return 0
