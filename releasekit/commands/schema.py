"""Print the JSON Schema of releasekit.yaml, for editors to complete and check the file."""

from __future__ import annotations

import argparse
import sys

from releasekit.errors import ReleasekitError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", metavar="FILE", help="write the schema to FILE instead of standard output")


def run(args: argparse.Namespace) -> int:
    from releasekit.config.schema import schema_text

    text = schema_text()
    if args.output:
        from pathlib import Path

        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ReleasekitError(f"cannot write {args.output}: {exc.strerror}") from None
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
