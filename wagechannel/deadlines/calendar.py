"""The Chinese working-day calendar: official holidays and make-up working days (调休上班).

Three sources, the later overriding the earlier (LEGAL.md section 7):

1. `chinesecalendar` for the years the State Council has published (2004 to its last year);
2. for a later year, a provisional calendar: weekends, plus the fixed statutory holidays of
   《全国年节及纪念日放假办法》 as amended in 2024 — New Year's Day; Spring Festival eve to the
   third day of the first lunar month; Qingming; 1–2 May; Dragon Boat; Mid-Autumn; 1–3 October
   (lunar dates from `lunardate`, Qingming from the solar terms). Make-up working days are not
   known before publication, so none are assumed. Every answer from this source is provisional;
3. days an administrator enters (a holiday, or a working day), which override both.

The administrator's entries are loaded per process and refreshed every minute
(`refresh_entries`); code that computes dates for a request or a job runs inside
`entries_in_force(session)` or relies on the app's before-request hook.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, timedelta
from functools import lru_cache

from lunardate import LunarDate

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import chinese_calendar

# day -> True (an extra working day) / False (an extra rest day), as the administrator entered;
# or a loader that fetches them the first time a date is computed (most pages never do).
_entries: ContextVar[Mapping[date, bool] | Callable[[], Mapping[date, bool]]] = ContextVar(
    "calendar_entries", default={})


def _entries_now() -> Mapping[date, bool]:
    entries = _entries.get()
    if callable(entries):
        entries = entries()
        _entries.set(entries)
    return entries


def published_until() -> int:
    """The last year chinesecalendar knows (the State Council's latest published schedule)."""
    return max(day.year for day in chinese_calendar.holidays)


@lru_cache(maxsize=64)
def statutory_holidays(year: int) -> frozenset[date]:
    """The fixed holidays of a year by the 2024 rules, before any State Council arrangement.
    Outside the years the lunar tables cover (1900–2099), only the solar-calendar holidays."""
    days = {date(year, 1, 1), date(year, 5, 1), date(year, 5, 2),
            date(year, 10, 1), date(year, 10, 2), date(year, 10, 3)}
    try:
        new_year = LunarDate(year, 1, 1).to_solar_date()
        days.update({new_year - timedelta(days=1), new_year, new_year + timedelta(days=1),
                     new_year + timedelta(days=2), LunarDate(year, 5, 5).to_solar_date(),
                     LunarDate(year, 8, 15).to_solar_date()})
        days.update(day for day, name in chinese_calendar.get_solar_terms(
            date(year, 4, 1), date(year, 4, 10)) if name == "清明")
    except (ValueError, NotImplementedError):
        pass  # beyond the tables: weekends and the solar holidays still count
    # the Spring Festival falls between 21 January and 20 February: its eve is in the same year
    return frozenset(days)


def is_working_day(day: date) -> tuple[bool, bool]:
    """(is it a working day, is that only provisional because the year is not published)."""
    entered = _entries_now().get(day)
    if entered is not None:
        return entered, day.year > published_until()
    return _calendar_day(day)


@lru_cache(maxsize=8192)
def _calendar_day(day: date) -> tuple[bool, bool]:
    """The published or provisional answer for a day (the same for the life of the process;
    chinesecalendar checks its whole table on every call)."""
    try:
        return bool(chinese_calendar.is_workday(day)), False
    except NotImplementedError:
        return day.weekday() < 5 and day not in statutory_holidays(day.year), True


def roll_to_working_day(day: date) -> tuple[date, bool]:
    """A period whose last day is a rest day ends on the next working day (Civil Code
    art. 203, Civil Procedure Law art. 85). Returns the day and whether it is provisional."""
    provisional = False
    for _ in range(60):  # the longest run of rest days is well under this
        working, unsure = is_working_day(day)
        provisional = provisional or unsure
        if working:
            return day, provisional
        day += timedelta(days=1)
    return day, provisional


def add_working_days(start: date, count: int) -> tuple[date, bool]:
    """The `count`th working day after `start` (the trigger day itself does not count,
    Civil Code art. 201)."""
    provisional = False
    day = start
    counted = 0
    while counted < count:
        day += timedelta(days=1)
        working, unsure = is_working_day(day)
        provisional = provisional or unsure
        counted += working
    return day, provisional


@contextmanager
def using_entries(entries: Mapping[date, bool]) -> Iterator[None]:
    """Compute with these administrator entries (tests, jobs, requests)."""
    token = _entries.set(dict(entries))
    try:
        yield
    finally:
        _entries.reset(token)


def set_entries(entries: Mapping[date, bool] | Callable[[], Mapping[date, bool]]) -> None:
    """For the rest of this context (a request): compute with these entries, or with what the
    loader returns when a date is first computed."""
    _entries.set(entries)
