"""Cron text: the core's check accepts exactly what APScheduler's from_crontab accepts."""

from __future__ import annotations

import pytest
from apscheduler.triggers.cron import CronTrigger
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.schedules import check_cron

CASES = [
    # plain, ranges, steps, lists
    "* * * * *",
    "0 6 * * *",
    "*/15 * * * *",
    "0 */6 * * *",
    "5,35 8-18 * * *",
    "0-59/10 0-23/2 1-31/5 1-12/3 0-6/2",
    "30 2 1 * *",
    "59 23 31 12 6",
    "0 0 1 1 0",
    "7/5 * * * *",
    "0 0 */31 * *",
    "0-0/5 * * * *",
    "00 06 01 01 00",
    # names, any case; a name is read from the start of the text only
    "0 6 * jan-mar mon-fri",
    "0 6 * JAN MON",
    "0 6 * Dec Sun",
    "0 6 * jan,jul sat,sun",
    "0 6 * * mon/2",
    "0 6 * * mon-",
    "0 6 * janx *",
    "0 6 * jan5 *",
    "0 6 * * monday",
    "0 6 * * fri-mon",
    "0 6 * dec-jan *",
    "0 6 * * mon-fr",
    # the last day of the month
    "0 6 last * *",
    "0 6 LAST * *",
    "0 6 lastly * *",
    "0 6 1,last * *",
    "0 6 * last *",
    "0 6 * * last",
    # out of range, reversed, zero or too large steps
    "60 * * * *",
    "* 24 * * *",
    "* * 0 * *",
    "* * 32 * *",
    "* * * 0 *",
    "* * * 13 *",
    "* * * * 7",
    "10-5 * * * *",
    "*/0 * * * *",
    "*/60 * * * *",
    "*/59 * * * *",
    "* */24 * * *",
    "* * * */12 *",
    "* * * */11 *",
    "0/0 * * * *",
    "50/10 * * * *",
    "50/9 * * * *",
    "1-5/5 * * * *",
    "1-5/4 * * * *",
    # not expressions at all
    "1,,2 * * * *",
    "1, * * * *",
    ",1 * * * *",
    "? * * * *",
    "L * * * *",
    "-1 * * * *",
    "1- * * * *",
    "*/ * * * *",
    "** * * * *",
    "*/5/5 * * * *",
    "1-2-3 * * * *",
    "0 6 * * 1st",
    "0 6 1st * *",
    "0 6 ab * *",
    # number of fields
    "* * * *",
    "* * * * * *",
    "",
    "   ",
    "0\t6\n*  * *",
]


def apscheduler_accepts(expression: str) -> bool:
    try:
        CronTrigger.from_crontab(expression, timezone="UTC")
    except ValueError:
        return False
    return True


def core_accepts(expression: str) -> bool:
    try:
        check_cron(expression)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("expression", CASES)
def test_cron_check_agrees_with_apscheduler(expression: str) -> None:
    assert core_accepts(expression) == apscheduler_accepts(expression)


def test_the_table_holds_both_answers() -> None:
    answers = {apscheduler_accepts(expression) for expression in CASES}
    assert answers == {True, False}


def test_a_bad_expression_names_itself_and_the_part() -> None:
    with pytest.raises(ValueError, match=r"not a valid cron expression '0 6 \* \* 7'.*'7'"):
        check_cron("0 6 * * 7")


# Pieces of cron text, glued at random into one field; the other four fields are ``*``.
_PIECES = st.sampled_from(
    ["*", "*/", "last", "LAST", "mon", "Fri", "jan", "dec", "sun", "x", "L", "-", "/", "/0"]
    + ["/5", "/7", "/60", "0", "1", "5", "6", "7", "12", "13", "23", "24", "31", "32", "59", "60"]
)
_FIELD = st.lists(st.lists(_PIECES, min_size=1, max_size=4).map("".join), min_size=1, max_size=2)


@settings(max_examples=500, deadline=None)
@given(st.integers(0, 4), _FIELD.map(",".join))
def test_generated_cron_text_agrees_with_apscheduler(position: int, field: str) -> None:
    fields = ["*"] * 5
    fields[position] = field
    expression = " ".join(fields)
    assert core_accepts(expression) == apscheduler_accepts(expression)
