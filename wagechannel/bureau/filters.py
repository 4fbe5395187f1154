"""What the dashboard, its lists and its workbooks are narrowed to, read from an address (or
the command line): a period, a region inside the user's scope, a general contractor, a project,
a tier, a case state (and, from a drill-down, a boss).

A bad value never fails the page: it is left out of the filters and explained in Chinese under
its parameter's name, and the page shows what it could.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from wagechannel.accounts.models import User
from wagechannel.cases.models import CASE_STATUSES, TIERS
from wagechannel.clock import CHINA
from wagechannel.places.models import region_prefix
from wagechannel.validation import AddressArgs

OPEN_STATE = "open"
STATES = {OPEN_STATE: "办理中（未结案）", **CASE_STATUSES}
DEFAULT_WEEKS = 12  # the default period: this week and the eleven before it
MAX_DAYS = 3660  # ten years
# Week numbers count from the Monday before the first day (bureau/expressions.EPOCH_MONDAY).
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
REGION_CODE = re.compile(r"^[1-9]\d{5}$")
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class Period:
    """Local days, both ends included."""

    start: date
    end: date

    @property
    def since(self) -> datetime:
        """The first instant of the period (local midnight), as an aware datetime."""
        return datetime.combine(self.start, time.min, CHINA)

    @property
    def until(self) -> datetime:
        """The first instant after the period."""
        return datetime.combine(self.end + timedelta(days=1), time.min, CHINA)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()} 至 {self.end.isoformat()}"


def default_period(today: date) -> Period:
    monday = today - timedelta(days=today.weekday())
    return Period(monday - timedelta(weeks=DEFAULT_WEEKS - 1), today)


def month_period(day: date) -> Period:
    start = day.replace(day=1)
    following = (start + timedelta(days=32)).replace(day=1)
    return Period(start, following - timedelta(days=1))


def quarter_period(day: date) -> Period:
    first_month = (day.month - 1) // 3 * 3 + 1
    start = date(day.year, first_month, 1)
    end = month_period(date(day.year, first_month + 2, 1)).end
    return Period(start, end)


def year_period(day: date) -> Period:
    return Period(date(day.year, 1, 1), date(day.year, 12, 31))


def presets(today: date) -> list[tuple[str, Period]]:
    """The periods offered as one-click links: weeks, this and last month, quarter, year."""
    last_month = month_period(today.replace(day=1) - timedelta(days=1))
    last_quarter = quarter_period(quarter_period(today).start - timedelta(days=1))
    return [("近12周", default_period(today)),
            ("本月", month_period(today)), ("上月", last_month),
            ("本季度", quarter_period(today)), ("上季度", last_quarter),
            ("本年", year_period(today)), ("去年", year_period(date(today.year - 1, 1, 1)))]


@dataclass(frozen=True)
class Filters:
    period: Period
    region: str | None = None  # a region code inside the scope (a city covers its counties)
    contractor: int | None = None
    project: int | None = None
    tier: str | None = None  # urgent | priority | routine
    state: str | None = None  # open, or a case status; None: every state
    boss: str | None = None  # a case's employer_key (from the repeat-boss table)

    def args(self, today: date | None = None) -> dict[str, Any]:
        """The filters as address parameters; the period only when not the default."""
        values: dict[str, Any] = {"region": self.region, "contractor": self.contractor,
                                  "project": self.project, "tier": self.tier,
                                  "state": self.state, "boss": self.boss}
        if today is None or self.period != default_period(today):
            values["from"] = self.period.start.isoformat()
            values["to"] = self.period.end.isoformat()
        return {name: value for name, value in values.items() if value is not None}

    def but(self, **changes: Any) -> Filters:
        return replace(self, **changes)

    @property
    def narrowed(self) -> bool:
        return any(value is not None for value in (self.region, self.contractor, self.project,
                                                   self.tier, self.state, self.boss))


def scope_of(user: User) -> list[str] | None:
    """The regions a user's statistics cover: an administrator everywhere (None), a liaison the
    regions the bureau serves, anyone else nothing."""
    if user.role == "admin":
        return None
    if user.role == "bureau_liaison" and user.organisation is not None:
        return sorted(region.code for region in user.organisation.regions)
    return []


def within(code: str, scope: list[str] | None) -> bool:
    """Whether a region lies inside the scope (a city covers its counties)."""
    if scope is None:
        return True
    return any(code.startswith(region_prefix(outer)) for outer in scope)


def regions_for(filters: Filters, scope: list[str] | None) -> list[str] | None:
    """The regions the queries cover: the chosen region, else the whole scope."""
    if filters.region is not None:
        return [filters.region]
    return scope


def parse_filters(args: Mapping[str, Any], *, today: date, scope: list[str] | None,
                  boss: bool = True) -> tuple[Filters, dict[str, str]]:
    """Read the filters from an address's parameters (or the command line's options)."""
    read = AddressArgs(args)
    text, choice, errors = read.text, read.choice, read.errors

    def day(name: str) -> date | None:
        value = text(name)
        if value is None:
            return None
        try:
            parsed = date.fromisoformat(value) if len(value) == 10 else None
        except ValueError:
            parsed = None
        if parsed is None:
            errors[name] = "日期应写成 2026-11-30 这样的格式。"
            return None
        if not FIRST_DAY <= parsed <= LAST_DAY:
            errors[name] = "日期应在2000年到2099年之间。"
            return None
        return parsed

    def number(name: str, message: str) -> int | None:  # an id: 1 and up
        return read.number(name, message, minimum=1, maximum=MAX_ID)

    period = default_period(today)
    start, end = day("from"), day("to")
    if start is not None or end is not None:
        start = start or (max(FIRST_DAY, end - timedelta(days=DEFAULT_WEEKS * 7 - 1)) if end
                          else period.start)
        end = end or max(today, start)
        if start > end:
            errors["to"] = "结束日期不能早于开始日期。"
        elif (end - start).days >= MAX_DAYS:
            errors["to"] = "时间段最长10年。"
        else:
            period = Period(start, end)

    region = text("region")
    if region is not None:
        if not REGION_CODE.match(region):
            errors["region"] = "行政区划代码应为6位数字。"
            region = None
        elif not within(region, scope):
            errors["region"] = "只能查看本部门辖区内的地区。"
            region = None
    key = text("boss") if boss else None
    if key is not None and len(key) > 64:
        errors["boss"] = "老板的标识太长了。"
        key = None
    filters = Filters(
        period=period, region=region,
        contractor=number("contractor", "施工总承包单位编号应为数字。"),
        project=number("project", "项目编号应为数字。"),
        tier=choice("tier", TIERS, "紧急程度只能选 紧急、优先 或 常规。"),
        state=choice("state", STATES, "请从列表中选择案件状态。"),
        boss=key)
    return filters, errors
