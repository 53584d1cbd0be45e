"""GitHub's limits and formats, written once: the client checks against them before it asks, the config checks
before anything is generated, and the sandbox answers by them, so that a rehearsal refuses exactly what GitHub would.

Standard library only (the sandbox and every command import it). Where GitHub does not document a rule, the choice
made here is the one that cannot let through what GitHub might refuse, and its comment says why.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# -- workflow_dispatch ---------------------------------------------------------------------------------------------

# "you may only define up to 25 `inputs` for a `workflow_dispatch` event" (GitHub's error for a workflow file with
# more, and the most a dispatch may send).
MAX_DISPATCH_INPUTS = 25
INPUT_TYPES = ("string", "boolean", "choice", "number", "environment")
BOOLEAN_VALUES = ("true", "false")

# The input through which releasekit finds the run a dispatch started, on servers that do not return its id: the
# generated release-full.yml declares it and shows it in its `run-name`; `release-full` fills it in.
CORRELATION_INPUT = "correlation_id"

# A number input's value, as the dispatch API receives it (a string). GitHub documents the type but not the format
# it accepts. Its own Run-workflow form is an HTML number field, which can only submit a "valid floating-point
# number" (https://html.spec.whatwg.org/multipage/#valid-floating-point-number): an optional '-', digits with an
# optional fraction (or a fraction alone), an optional exponent. That is the format taken here, on both sides: no
# '+', no spaces, no trailing '.', no hex, no Infinity/NaN, no digit separators, ASCII digits only (Python's `\d`
# and `float()` also take other scripts' digits). Looser values may work on github.com, but nothing promises it;
# the expression language's looser string-to-number coercion (' +4 ' == 4) is a different rule.
_NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def is_number(value: str) -> bool:
    """Whether GitHub takes `value` for a `type: number` input (see _NUMBER)."""
    return _NUMBER.fullmatch(value) is not None


def input_accepts(kind: str, value: str, options: Sequence[str] = ()) -> bool:
    """Whether a dispatch may send `value` (a string, as the API takes every input) for an input of type `kind`:
    a choice takes one of its options exactly, a boolean `true` or `false`, a number the format above; a string
    or an environment any text."""
    if kind == "choice":
        return value in options
    if kind == "boolean":
        return value in BOOLEAN_VALUES
    if kind == "number":
        return is_number(value)
    return True


# -- REST API pages ------------------------------------------------------------------------------------------------

DEFAULT_PER_PAGE = 30  # a list endpoint's page size when `per_page` is not given
MAX_PER_PAGE = 100  # the largest `per_page` GitHub honours; larger values are cut to it
