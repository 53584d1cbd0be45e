"""Validate GitHub Actions ``on.schedule`` cron expressions and explain what is wrong with bad ones."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

__all__ = ["cron_error", "runs_more_often_than_every_5_minutes"]

# GitHub documents POSIX cron syntax for ``on.schedule``: five fields, ``*``, ``,``, ``-`` and ``/``,
# month names JAN-DEC and day-of-week names SUN-SAT, day of week 0-6 with 0 = Sunday.
# ``n/step`` (start at n, step to the end of the field) is accepted as well: GitHub schedules it
# (widely used, e.g. ``3/5 * * * *``) although POSIX itself has no steps at all.

_FIELDS_USAGE = "minute hour day-of-month month day-of-week"

_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")

# Quartz/Spring extensions that POSIX cron (and GitHub) does not understand.
_QUARTZ_L_W = re.compile(r"^(?:\d*L|\d+W|LW|L-\d+)$", re.IGNORECASE)
_NUMBER = re.compile(r"^\d+$")
_ALLOWED_CHARS = re.compile(r"^[0-9A-Za-z*,/-]*$")


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: dict[str, int]
    hint: str = ""


_SPECS = (
    _Field("minute", 0, 59, {}),
    _Field("hour", 0, 23, {}),
    _Field("day-of-month", 1, 31, {}),
    _Field("month", 1, 12, {m: i + 1 for i, m in enumerate(_MONTHS)}, " (or JAN-DEC)"),
    _Field(
        "day-of-week",
        0,
        6,
        {d: i for i, d in enumerate(_DAYS)},
        " (0 is Sunday; GitHub does not accept 7, use 0 or SUN)",
    ),
)


class _CronError(ValueError):
    """A problem in one cron field; its message is shown to the user as is."""


def cron_error(expr: str) -> str | None:
    """Return None if ``expr`` is a valid GitHub Actions cron expression, else what is wrong and the fix.

    GitHub documents POSIX cron syntax: five fields, ``*``, ``,``, ``-`` and ``/``, month names JAN-DEC,
    day-of-week names SUN-SAT and day of week 0-6 (0 is Sunday; 7 is refused).
    """
    try:
        _parse(expr)
    except _CronError as exc:
        return str(exc)
    return None


def runs_more_often_than_every_5_minutes(expr: str) -> bool:
    """Tell whether a valid expression schedules two runs less than 5 minutes apart within a day.

    GitHub's shortest schedule interval is 5 minutes. The minute and hour fields together give the times of day;
    the gap from the last run of a day to the first of the next counts too (the day fields are not considered,
    which can only make this stricter across midnight). Raises ValueError for an invalid expression.
    """
    minutes, hours = _parse(expr)[:2]
    times = sorted(h * 60 + m for h in hours for m in minutes)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    gaps.append(24 * 60 - times[-1] + times[0])
    return min(gaps) < 5


def _parse(expr: str) -> list[set[int]]:
    """Parse ``expr`` into the set of allowed values of each of its five fields."""
    stripped = expr.strip()
    if not stripped:
        raise _CronError(f"cron expression is empty; expected 5 fields ({_FIELDS_USAGE}), e.g. '0 3 * * 1'")
    if stripped.startswith("@"):
        macro = stripped.split()[0]
        equivalent = _MACROS.get(macro.lower())
        fix = f"write '{equivalent}' instead" if equivalent else "write the 5 fields instead"
        raise _CronError(f"'{macro}' macros are not supported by GitHub Actions cron; {fix}")
    fields = stripped.split()
    if len(fields) != 5:
        extra = ""
        if len(fields) in (6, 7):
            extra = "; GitHub cron has no seconds or year field"
        raise _CronError(f"expected 5 fields ({_FIELDS_USAGE}), got {len(fields)}{extra}")
    return [_parse_field(text, spec) for text, spec in zip(fields, _SPECS, strict=True)]


def _parse_field(text: str, spec: _Field) -> set[int]:
    for char in "?#":
        if char in text:
            raise _CronError(
                f"{spec.name} field '{text}': '{char}' is Quartz cron syntax, not supported by GitHub "
                "Actions (POSIX cron); use '*' or explicit values"
            )
    if not _ALLOWED_CHARS.match(text):
        bad = next(c for c in text if not re.match(r"[0-9A-Za-z*,/-]", c))
        raise _CronError(
            f"{spec.name} field '{text}': unexpected character '{bad}'; "
            "only digits, names, '*', ',', '-' and '/' are allowed"
        )
    values: set[int] = set()
    for item in text.split(","):
        if not item:
            raise _CronError(f"{spec.name} field '{text}' has an empty item; remove the extra ','")
        values |= _parse_item(item, spec)
    return values


def _parse_item(item: str, spec: _Field) -> set[int]:
    base, slash, step_text = item.partition("/")
    step = 1
    if slash:
        if not _NUMBER.match(step_text):
            raise _CronError(f"{spec.name} field '{item}': step '{step_text}' must be a whole number")
        step = int(step_text)
        if step < 1:
            raise _CronError(f"{spec.name} field '{item}': step must be at least 1")
    if base == "*":
        start, end = spec.low, spec.high
    elif "-" in base:
        start_text, _, end_text = base.partition("-")
        if not start_text or not end_text:
            raise _CronError(f"{spec.name} field '{item}': range '{base}' needs a start and an end, e.g. 1-5")
        start, end = _value(start_text, spec), _value(end_text, spec)
        if start > end:
            raise _CronError(
                f"{spec.name} field '{item}': range '{base}' is reversed; the start must not be after "
                f"the end (split it, e.g. '{start_text}-{spec.high},{spec.low}-{end_text}')"
            )
    else:
        start = _value(base, spec)
        end = spec.high if slash else start
    return set(range(start, end + 1, step))


def _value(token: str, spec: _Field) -> int:
    upper = token.upper()
    if upper in spec.names:
        return spec.names[upper]
    if _NUMBER.match(token):
        number = int(token)
        if not spec.low <= number <= spec.high:
            raise _CronError(f"{spec.name} field '{token}' is out of range {spec.low}-{spec.high}{spec.hint}")
        return number
    if _QUARTZ_L_W.match(token):
        letter = "LW" if upper == "LW" else "W" if "W" in upper else "L"
        raise _CronError(
            f"{spec.name} field '{token}': '{letter}' is Quartz cron syntax, not supported by GitHub "
            "Actions (POSIX cron); use explicit values"
        )
    if not token:
        raise _CronError(f"{spec.name} field: a value is missing")
    if spec.names:
        names = list(spec.names)
        raise _CronError(
            f"{spec.name} field '{token}' is neither a number in {spec.low}-{spec.high} "
            f"nor a name {names[0]}-{names[-1]}"
        )
    raise _CronError(f"{spec.name} field '{token}' is not a number in {spec.low}-{spec.high}")
