"""Tests for releasekit.config.cron: GitHub Actions schedule expressions."""

from __future__ import annotations

import pytest

from releasekit.config.cron import cron_error, runs_more_often_than_every_5_minutes


@pytest.mark.parametrize(
    "expr",
    [
        "*/15 * * * *",
        "0 3 * * 1",
        "30 5,17 * * *",
        "0 0 1 1 *",
        "59 23 31 12 6",
        "0 0 * * 0",
        "0-30/10 8-18 * * 1-5",
        "0 0 1 JAN-DEC/3 *",
        "0 9 * * mon-fri",
        "0 9 * * Sun,SAT",
        "0 12 * jul *",
        "3/5 * * * *",
        "*/1 * * * *",
        "5 4 1,15 */2 *",
        "  0 3 * * 1  ",
        "0\t3 * * 1",
    ],
)
def test_valid_expressions(expr: str) -> None:
    assert cron_error(expr) is None


@pytest.mark.parametrize(
    ("expr", "words"),
    [
        ("", ["empty", "5 fields"]),
        ("   ", ["empty"]),
        ("0 3 * *", ["expected 5 fields (minute hour day-of-month month day-of-week), got 4"]),
        ("0 0 3 * * *", ["expected 5 fields", "got 6", "no seconds"]),
        ("0 0 3 * * * 2030", ["got 7"]),
        ("0 0 3 * * 1 2 3", ["got 8"]),
        ("61 * * * *", ["minute field '61' is out of range 0-59"]),
        ("0 24 * * *", ["hour field '24' is out of range 0-23"]),
        ("0 0 0 * *", ["day-of-month field '0' is out of range 1-31"]),
        ("0 0 32 * *", ["day-of-month", "out of range 1-31"]),
        ("0 0 * 13 *", ["month field '13' is out of range 1-12", "JAN-DEC"]),
        ("0 0 * * 7", ["day-of-week field '7' is out of range 0-6", "0 is Sunday", "7"]),
        ("*/0 * * * *", ["'*/0': step must be at least 1"]),
        ("0 */0 * * *", ["hour field", "'*/0': step must be at least 1"]),
        ("*/x * * * *", ["step 'x'", "whole number"]),
        ("5-1 * * * *", ["'5-1'", "reversed"]),
        ("0 0 * * SAT-SUN", ["'SAT-SUN'", "reversed"]),
        ("-5 * * * *", ["needs a start and an end"]),
        ("1- * * * *", ["needs a start and an end"]),
        ("1,,2 * * * *", ["empty item", "','"]),
        ("1, * * * *", ["empty item"]),
        ("x * * * *", ["minute field 'x' is not a number"]),
        ("MON * * * *", ["minute field 'MON' is not a number"]),
        ("0 0 * JANUARY *", ["month field 'JANUARY'", "JAN-DEC"]),
        ("0 0 * * FUN", ["day-of-week field 'FUN'", "SUN-SAT"]),
        ("0 0 ? * MON", ["'?'", "Quartz", "not supported"]),
        ("0 0 L * *", ["'L'", "Quartz", "not supported"]),
        ("0 0 * * 5L", ["'L'", "Quartz"]),
        ("0 0 15W * *", ["'W'", "Quartz"]),
        ("0 0 LW * *", ["'LW'", "Quartz"]),
        ("0 0 * * 5#3", ["'#'", "Quartz"]),
        ("0 0 * * 1;2", ["unexpected character ';'"]),
        ("0 0 * * 1.5", ["unexpected character '.'"]),
        ("@daily", ["'@daily'", "not supported", "0 0 * * *"]),
        ("@hourly", ["'@hourly'", "0 * * * *"]),
        ("@weekly", ["0 0 * * 0"]),
        ("@reboot", ["'@reboot'", "not supported", "5 fields"]),
    ],
)
def test_invalid_expressions_explain_the_problem(expr: str, words: list[str]) -> None:
    message = cron_error(expr)
    assert message is not None
    for word in words:
        assert word in message


@pytest.mark.parametrize(
    ("expr", "too_often"),
    [
        ("* * * * *", True),
        ("*/1 * * * *", True),
        ("*/2 * * * *", True),
        ("*/4 * * * *", True),
        ("0-4 0 * * *", True),
        ("0,3 * * * *", True),
        ("0,58 * * * *", True),  # 58 -> next hour's 0 is 2 minutes
        ("*/5 * * * *", False),
        ("3/5 * * * *", False),
        ("*/15 * * * *", False),
        ("0 * * * *", False),
        ("0,30 * * * *", False),
        ("0,5,10 * * * *", False),
        ("*/7 * * * *", True),  # 0, 7, ..., 56: from 56 to the next hour's 0 is 4 minutes
        ("*/6 * * * *", False),  # 0, 6, ..., 54: from 54 to the next hour's 0 is 6 minutes
    ],
)
def test_runs_more_often_than_every_5_minutes(expr: str, too_often: bool) -> None:
    assert runs_more_often_than_every_5_minutes(expr) is too_often


def test_runs_more_often_rejects_an_invalid_expression() -> None:
    with pytest.raises(ValueError, match="out of range"):
        runs_more_often_than_every_5_minutes("61 * * * *")
