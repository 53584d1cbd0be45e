"""The `releasekit` command line: parse arguments, run one command, turn its errors into exit codes."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from releasekit import __version__
from releasekit.errors import ReleasekitError

# command -> (module under releasekit.commands, one-line help). Modules are imported only when run.
COMMANDS = {
    "init": ("init", "scaffold releasekit.yaml, releasekit.lock and a noxfile for this repository"),
    "workflows": ("workflows", "generate .github/workflows from releasekit.yaml (--check: verify, write nothing)"),
    "schema": ("schema", "print the JSON Schema of releasekit.yaml"),
    "scan": ("scan", "find secrets written in plain text in the repository's files"),
    "release": ("release", "cut a release: check, bump, changelog, commit, tag, push, follow the run to the release"),
    "publish": ("publish", "publish a tagged version: build, check, upload to the index, publish the GitHub release"),
    "release-full": ("release_full", "dispatch the full release workflow once, follow it job by job, report it"),
    "watch": ("watch", "follow a workflow run to its end (live job table; --rerun-failed)"),
    "runs": ("runs", "list recent workflow runs, a line each"),
    "sandbox": ("sandbox", "run a local GitHub (API, git remotes, workflow runs) to rehearse a release"),
}


class _Formatter(argparse.HelpFormatter):
    """argparse's formatter, told the width so that it does not import shutil on every run (see BENCHMARKS.md)."""

    def __init__(self, prog: str) -> None:
        try:
            width = os.get_terminal_size().columns - 2
        except OSError:
            width = 78
        super().__init__(prog, width=max(40, min(width, 118)))


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with `only`, just that command's arguments are set up (the others' modules stay unimported)."""
    parser = argparse.ArgumentParser(
        prog="releasekit",
        formatter_class=_Formatter,
        description="Declare CI and release machinery once in releasekit.yaml; generate and drive it.",
    )
    parser.add_argument("--version", action="version", version=f"releasekit {__version__}")
    parser.add_argument(
        "-C", "--directory", default=".", metavar="DIR", help="run as if started in DIR (default: current directory)"
    )
    parser.add_argument(
        "--config", default="releasekit.yaml", metavar="PATH", help="config file (default: releasekit.yaml in DIR)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, formatter_class=_Formatter)
        if only in (None, name):
            command = importlib.import_module(f"releasekit.commands.{module}")
            p.description = command.__doc__
            command.add_arguments(p)
    return parser


def _redact(text: str) -> str:
    """No token reaches the terminal, even quoted back in some tool's error (tokens are never put in messages)."""
    from releasekit.backends.github import redact  # only when there is an error to print

    return redact(text)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    chosen = next((a for a in argv if a in COMMANDS), None)
    args = build_parser(chosen).parse_args(argv)
    module = importlib.import_module(f"releasekit.commands.{COMMANDS[args.command][0]}")
    try:
        code: int = module.run(args)
    except ReleasekitError as exc:
        text = _redact(str(exc))
        separator = "\n" if "\n" in text else " "
        print(f"releasekit {args.command}: error:{separator}{text}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"releasekit {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`releasekit ... | head`): stop quietly, as other command-line tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:
        if os.environ.get("RELEASEKIT_DEBUG"):
            raise
        print(
            f"releasekit {args.command}: internal error: {type(exc).__name__}: {_redact(str(exc))}\n"
            "This is a bug in releasekit. Run again with RELEASEKIT_DEBUG=1 for the traceback and report it.",
            file=sys.stderr,
        )
        return 70
    return code
