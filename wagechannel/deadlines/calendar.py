"""The Chinese working-day calendar: official holidays and make-up working days (调休上班).

`chinesecalendar` knows the years the State Council has published. For a later year the
calendar falls back to weekends only and says the answer is provisional (LEGAL.md section 7).
"""
from __future__ import annotations

import warnings
from datetime import date, timedelta

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import chinese_calendar


def is_working_day(day: date) -> tuple[bool, bool]:
    """(is it a working day, is that only provisional because the year is not published)."""
    try:
        return bool(chinese_calendar.is_workday(day)), False
    except NotImplementedError:
        return day.weekday() < 5, True


def roll_to_working_day(day: date) -> tuple[date, bool]:
    """A period whose last day is a rest day ends on the next working day (Civil Procedure Law
    art. 85, applied to every deadline here). Returns the day and whether it is provisional."""
    provisional = False
    for _ in range(40):  # the longest run of rest days is well under this
        working, unsure = is_working_day(day)
        provisional = provisional or unsure
        if working:
            return day, provisional
        day += timedelta(days=1)
    return day, provisional
