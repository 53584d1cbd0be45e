"""The `releasekit` command line: parse arguments, run one command, turn its errors into exit codes."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from releasekit import __version__
from releasekit.errors import ReleasekitError, clip

# Not `from typing import TYPE_CHECKING`: importing typing costs ~2.5 ms on every start, `workflows --check` included
# (see BENCHMARKS.md). Type checkers take any constant of this name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from releasekit.steps.watch import Clock

# command -> (module under releasekit.commands, one-line help). Modules are imported only when run.
COMMANDS = {
    "init": ("init", "scaffold releasekit.yaml, releasekit.lock and a noxfile for this repository"),
    "workflows": ("workflows", "generate .github/workflows from releasekit.yaml (--check: verify, write nothing)"),
    "pin": ("pin", "pin each action in releasekit.lock to the commit its version names (--check, --update)"),
    "lock": ("lock", "pin the Python tools the workflows install, every file hash (--update, --check)"),
    "schema": ("schema", "print the JSON Schema of releasekit.yaml"),
    "scan": ("scan", "find secrets written in plain text in the repository's files"),
    "release": ("release", "cut a release: check, bump, changelog, commit, tag, push, follow the run to the release"),
    "publish": ("publish", "publish a tagged version: build, check, upload to the index, publish the GitHub release"),
    "release-full": ("release_full", "dispatch the full release workflow once, follow it job by job, report it"),
    "watch": ("watch", "follow a workflow run to its end (live job table; --rerun-failed)"),
    "runs": ("runs", "list recent workflow runs, a line each"),
    "sla": ("sla", "check performance samples against the SLA targets in releasekit.yaml (exit 1 on a breach)"),
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


def _skeleton() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The top-level parser with an empty parser per command; `_fill` gives a command its arguments when chosen."""
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
    # No -h yet: an empty parser would answer `releasekit watch --help` with a page that lists no options.
    commands = {
        name: sub.add_parser(name, help=help_text, formatter_class=_Formatter, add_help=False)
        for name, (_, help_text) in COMMANDS.items()
    }
    return parser, commands


def _fill(parser: argparse.ArgumentParser, name: str) -> None:
    """Give one command's parser its -h and its own arguments (this imports the command's module)."""
    parser.add_argument("-h", "--help", action="help", help="show this help message and exit")
    command = importlib.import_module(f"releasekit.commands.{COMMANDS[name][0]}")
    parser.description = command.__doc__
    command.add_arguments(parser)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole parser; with `only`, just that command's arguments are set up (the others' modules stay unimported)."""
    parser, commands = _skeleton()
    for name, command_parser in commands.items():
        if only in (None, name):
            _fill(command_parser, name)
    return parser


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Parse in two passes so that only the chosen command's module is imported, and argparse alone chooses it.

    The first pass knows every global option and every command name but no command's options, so it picks the
    command exactly as the full parser would (`-C watch schema` runs `schema` in the directory `watch`); whatever
    belongs to the command is left over. The second pass, with that command's arguments added, is the real one.
    """
    parser, commands = _skeleton()
    chosen, _ = parser.parse_known_args(argv)
    _fill(commands[chosen.command], chosen.command)
    return parser.parse_args(argv)


def _redact(text: str) -> str:
    """No token reaches the terminal, even quoted back in some tool's error (tokens are never put in messages)."""
    from releasekit.backends.github import redact  # only when there is an error to print

    return redact(text)


def main(argv: Sequence[str] | None = None, *, clock: Clock | None = None) -> int:
    """Run one command. `clock` is the time the commands that wait for GitHub see (default: the real one); tests
    pass one that moves a sandbox's clock instead of sleeping."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    args.clock = clock
    module = importlib.import_module(f"releasekit.commands.{COMMANDS[args.command][0]}")
    try:
        code: int = module.run(args)
    except ReleasekitError as exc:
        text = _redact(str(exc))
        separator = "\n" if "\n" in text else " "
        kind = "interrupted" if exc.exit_code == 130 else "error"  # errors.Interrupted: Ctrl-C, and how to go on
        print(f"releasekit {args.command}: {kind}:{separator}{text}", file=sys.stderr)
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
            f"releasekit {args.command}: internal error: {type(exc).__name__}: {_redact(clip(str(exc)))}\n"
            "This is a bug in releasekit. Run again with RELEASEKIT_DEBUG=1 for the traceback and report it.",
            file=sys.stderr,
        )
        return 70
    return code
