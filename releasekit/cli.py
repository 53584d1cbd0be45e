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
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="releasekit",
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
        command = importlib.import_module(f"releasekit.commands.{module}")
        p = sub.add_parser(name, help=help_text, description=command.__doc__)
        command.add_arguments(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    module = importlib.import_module(f"releasekit.commands.{COMMANDS[args.command][0]}")
    try:
        code: int = module.run(args)
    except ReleasekitError as exc:
        print(f"releasekit {args.command}: error: {exc}" if "\n" not in str(exc)
              else f"releasekit {args.command}: error:\n{exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"releasekit {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback reaches a user
        if os.environ.get("RELEASEKIT_DEBUG"):
            raise
        print(
            f"releasekit {args.command}: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in releasekit. Run again with RELEASEKIT_DEBUG=1 for the traceback and report it.",
            file=sys.stderr,
        )
        return 70
    return code
