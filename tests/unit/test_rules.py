"""Each rule against hand-checked dates (the State Council's 2026 schedule), the provisional
calendar for 2027, and the administrator's entries overriding both."""
from datetime import date

import pytest

from wagechannel.deadlines.calendar import (add_working_days, is_working_day,
                                            roll_to_working_day, statutory_holidays,
                                            using_entries)
from wagechannel.deadlines.rules import RULES, due_date


@pytest.mark.parametrize("code,trigger,due", [
    # 7 days from Mon 28 Sep 2026 is Mon 5 Oct, inside National Day (1–7 Oct): Thu 8 Oct.
    ("legal_aid_decision", date(2026, 9, 28), date(2026, 10, 8)),
    # 3 days from Thu 12 Feb 2026 is Sun 15 Feb, the Spring Festival (15–23 Feb): Tue 24 Feb.
    ("legal_aid_assignment", date(2026, 2, 12), date(2026, 2, 24)),
    # A last day on a make-up working Saturday (14 Feb 2026) stays there: no roll-over.
    ("legal_aid_decision", date(2026, 2, 7), date(2026, 2, 14)),
    # ...and on a make-up working Sunday (4 Jan 2026).
    ("mediation", date(2025, 12, 20), date(2026, 1, 4)),
    # One year from 29 February is the last day of February (Civil Code art. 202).
    ("arbitration_limitation", date(2024, 2, 29), date(2025, 2, 28)),
    # Five working days from Tue 29 Sep 2026: 30 Sep, 8 Oct, 9 Oct, Sat 10 Oct (make-up), 12 Oct.
    ("inspection_acceptance", date(2026, 9, 29), date(2026, 10, 12)),
    ("arbitration_acceptance", date(2026, 4, 30), date(2026, 5, 6)),  # 5 May: Labour Day
    ("suit_after_award", date(2026, 6, 4), date(2026, 6, 22)),  # 19 June: Dragon Boat (19–21)
    ("payment_order_objection", date(2026, 9, 10), date(2026, 9, 28)),  # 25 Sep: Mid-Autumn
    ("arbitration_award", date(2026, 8, 17), date(2026, 10, 8)),
])
def test_rules_on_the_published_calendar(code, trigger, due) -> None:  # type: ignore[no-untyped-def]
    result = due_date(code, trigger)
    assert (result.due, result.provisional) == (due, False)
    assert result.as_dict() == {"rule": code, "from": trigger.isoformat(), "due": due.isoformat(),
                                "provisional": False, "article": RULES[code].article}


def test_a_period_into_an_unpublished_year_is_provisional_and_honours_the_festivals() -> None:
    # 2027: Spring Festival 6 Feb, its eve Fri 5 Feb; 5–8 Feb are holidays by law.
    assert {date(2027, 2, 5), date(2027, 2, 8), date(2027, 4, 5), date(2027, 6, 9),
            date(2027, 9, 15), date(2027, 10, 3)} <= statutory_holidays(2027)
    result = due_date("arbitration_limitation", date(2026, 2, 5))
    assert (result.due, result.provisional) == (date(2027, 2, 9), True)
    assert is_working_day(date(2027, 6, 9)) == (False, True)  # Dragon Boat, a Wednesday


def test_the_administrators_entries_override_both() -> None:
    with using_entries({date(2027, 2, 9): False, date(2027, 2, 10): False}):
        assert due_date("arbitration_limitation", date(2026, 2, 5)).due == date(2027, 2, 11)
    with using_entries({date(2027, 2, 20): True}):  # a declared make-up working Saturday
        assert roll_to_working_day(date(2027, 2, 20))[0] == date(2027, 2, 20)
    with using_entries({date(2026, 10, 12): False}):  # even a published year gives way
        assert add_working_days(date(2026, 9, 29), 5)[0] == date(2026, 10, 13)


@pytest.mark.parametrize("year", [1890, 1990, 2099, 2100, 2150])
def test_any_year_computes(year) -> None:  # type: ignore[no-untyped-def]
    day, provisional = roll_to_working_day(date(year, 10, 1))
    assert day >= date(year, 10, 1)
    assert provisional == (year > 2026 or year < 2004)


def test_the_aid_before_review_window() -> None:
    # Fewer than 7 days remain from 6 days before the limit's last day.
    assert due_date("aid_before_review", date(2026, 12, 21)).due == date(2026, 12, 15)
