"""The liaison's dashboard, put together from the aggregate statements (bureau/aggregates.py):
a constant number of statements whatever the number of reports."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wagechannel.boards.models import Board
from wagechannel.bureau import aggregates as agg
from wagechannel.bureau.expressions import month_of, month_start, week_of, week_start
from wagechannel.bureau.filters import Filters, Period, regions_for
from wagechannel.bureau.lists import boards_page
from wagechannel.cases.models import CASE_STATUSES, TIERS, Case
from wagechannel.intake.models import Lead
from wagechannel.paging import Page
from wagechannel.places.models import Contractor, Project, Region
from wagechannel.places.services import in_regions

SHOWN = 10  # rows of each ranking and silent boards on the dashboard itself
WEEKLY_UP_TO = 60  # weeks in a period shown week by week; longer periods month by month


@dataclass
class TrendPoint:
    start: date  # clipped to the period
    end: date
    label: str
    facts: dict[str, int]


@dataclass
class Dashboard:
    filters: Filters
    regions: list[str] | None
    today: date
    totals: dict[str, int]
    states: dict[str, int]
    tiers: dict[str, int]
    referrals: int
    overdue: dict[str, int]
    unit: str  # week | month
    trend: list[TrendPoint]
    rankings: dict[str, agg.Ranking]
    boards: Page[Board]
    board_scans: dict[int, date]
    timings: list[agg.Timing]
    names: dict[str, str] = field(default_factory=dict)  # chosen region, contractor, project


def trend_unit(period: Period) -> str:
    return "week" if period.days <= WEEKLY_UP_TO * 7 else "month"


def trend_points(period: Period, unit: str, found: dict[int, dict[str, int]]) -> list[TrendPoint]:
    """Every week (or month) of the period, the empty ones too, clipped to the period."""
    points = []
    if unit == "week":
        first, last = week_of(period.start), week_of(period.end)
        for number in range(first, last + 1):
            start = max(week_start(number), period.start)
            end = min(week_start(number) + timedelta(days=6), period.end)
            label = f"{week_start(number).month}/{week_start(number).day}"
            points.append(TrendPoint(start, end, label, found.get(number, _zero())))
    else:
        first, last = month_of(period.start), month_of(period.end)
        for number in range(first, last + 1):
            begins = month_start(number)
            following = month_start(number + 1)
            start, end = max(begins, period.start), min(following - timedelta(days=1), period.end)
            label = f"{begins.year % 100:02d}年{begins.month}月"
            points.append(TrendPoint(start, end, label, found.get(number, _zero())))
    return points


def _zero() -> dict[str, int]:
    return {name: 0 for name in agg.FACT_NAMES}


def ranking(session: Session, dimension: str, filters: Filters, regions: list[str] | None, *,
            number: int = 1, per_page: int = SHOWN) -> agg.Ranking:
    """One page of a ranking, with its repeat-offender marks (one more statement for
    contractors, two for projects)."""
    number = max(1, number)
    rows = session.execute(agg.ranking_statement(dimension, filters, regions, limit=per_page,
                                                 offset=(number - 1) * per_page)).all()
    if not rows and number > 1:  # past the end: the last page
        total = _ranking_total(session, dimension, filters, regions)
        number = max(1, -(-total // per_page))
        rows = session.execute(agg.ranking_statement(
            dimension, filters, regions, limit=per_page, offset=(number - 1) * per_page)).all()
    ranked = []
    for row in rows:
        mapping = row._mapping
        facts = agg.measures_of(row, agg.RANKED_NAMES)
        detail: dict[str, Any] = {}
        if dimension == "region":
            name = mapping["label"] or row.key
        elif dimension == "contractor":
            name, detail["phone"] = mapping["label"] or f"#{row.key}", mapping["phone"]
        elif dimension == "project":
            name = mapping["label"] or f"#{row.key}"
            detail.update(contractor_id=mapping["contractor_id"],
                          contractor_name=mapping["contractor_name"],
                          region_name=mapping["region_name"])
        else:
            name = facts["name"] or "（未写名字）"
            detail["first_closed"] = mapping["first_closed"]
        ranked.append(agg.RankedRow(row.key, name, facts, detail))
    total = int(rows[0].groups) if rows else 0
    _mark(session, dimension, ranked, filters, regions)
    return agg.Ranking(dimension, ranked, total, number, per_page)


def _ranking_total(session: Session, dimension: str, filters: Filters,
                   regions: list[str] | None) -> int:
    row = session.execute(agg.ranking_statement(dimension, filters, regions, limit=1)).first()
    return int(row.groups) if row is not None else 0


AGAIN = "结案后又被反映"
MANY_SITES = "多个工地被反映"
BOSS_ELSEWHERE = "老板在其他工地也被反映"


def _after(last: Any, first_closed: Any) -> bool:
    return last is not None and first_closed is not None and _aware(last) > _aware(first_closed)


def _aware(value: Any) -> datetime:
    from datetime import timezone
    if isinstance(value, str):  # SQLite's text, when a union hides the column's type
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def _mark(session: Session, dimension: str, rows: Sequence[agg.RankedRow], filters: Filters,
          regions: list[str] | None) -> None:
    """Repeat offenders: named on two or more sites in the period; reported again in the period
    after one of their cases was closed; for a site, a boss also named at another site."""
    if not rows or dimension == "region":
        return
    if dimension in ("contractor", "boss"):
        for row in rows:
            if row.facts["sites"] >= agg.REPEAT_SITES:
                row.marks.append(MANY_SITES)
    if dimension == "boss":
        for row in rows:
            if _after(row.facts["last_report"], row.detail.get("first_closed")):
                row.marks.append(AGAIN)
        return
    keys = [row.key for row in rows]
    firsts = agg.first_closures(dimension, filters, regions, keys)
    closed = dict(session.execute(select(firsts.c.key, firsts.c.first_closed)).all())
    for row in rows:
        if _after(row.facts["last_report"], closed.get(row.key)):
            row.marks.append(AGAIN)
    if dimension == "project":
        elsewhere = set(session.scalars(agg.repeat_bosses_at(filters, regions, keys)))
        for row in rows:
            if row.key in elsewhere:
                row.marks.append(BOSS_ELSEWHERE)


def timings(session: Session, filters: Filters, regions: list[str] | None, today: date,
            first_contact_days: int) -> list[agg.Timing]:
    steps = {step: agg.Timing(step, label, rule, limit.format(days=first_contact_days))
             for step, (label, rule, limit) in agg.STEPS.items()}
    for step, hours, cases in session.execute(agg.timings_statement(filters, regions)):
        steps[step].histogram[int(hours)] = steps[step].histogram.get(int(hours), 0) + int(cases)
    by_rule = {timing.rule: timing for timing in steps.values()}
    for rule, outcome, count in session.execute(agg.compliance_statement(filters, regions, today)):
        by_rule[rule].outcomes[outcome] = int(count)
    return list(steps.values())


def dashboard(session: Session, filters: Filters, scope: list[str] | None, *, today: date,
              bureau_id: int | None, first_contact_days: int = 1) -> Dashboard:
    regions = regions_for(filters, scope)
    totals = agg.measures_of(session.execute(agg.totals_statement(filters, regions)).first(),
                             agg.FACT_NAMES)
    states = {status: 0 for status in CASE_STATUSES}
    tiers = {tier: 0 for tier in TIERS}
    for status, tier, count in session.execute(agg.states_statement(filters, regions)):
        states[status] = states.get(status, 0) + int(count)
        tiers[tier] = tiers.get(tier, 0) + int(count)
    referrals = int(session.scalar(agg.referrals_statement(filters, regions, bureau_id)) or 0)
    overdue = {kind: 0 for kind in agg.OVERDUE_KINDS}
    for kind, count in session.execute(agg.overdue_statement(filters, regions, today)):
        overdue[kind] = int(count)
    unit = trend_unit(filters.period)
    by_time = agg.aggregate(agg.DASHBOARD, filters, regions, unit)
    found = {int(row.key): agg.measures_of(row, agg.FACT_NAMES)
             for row in session.execute(select(by_time))}
    rankings = {dimension: ranking(session, dimension, filters, regions)
                for dimension in ("region", "contractor", "project", "boss")}
    silent = boards_page(session, filters, regions, today, 1, per_page=SHOWN)
    return Dashboard(
        filters=filters, regions=regions, today=today, totals=totals, states=states,
        tiers=tiers, referrals=referrals, overdue=overdue, unit=unit,
        trend=trend_points(filters.period, unit, found), rankings=rankings, boards=silent.page,
        board_scans=silent.last_scans,
        timings=timings(session, filters, regions, today, first_contact_days),
        names=chosen_names(session, filters))


def chosen_names(session: Session, filters: Filters) -> dict[str, str]:
    """The names of a chosen region, contractor and project (one statement each, only when
    chosen), for the filter form."""
    names: dict[str, str] = {}
    if filters.region is not None:
        region = session.get(Region, filters.region)
        names["region"] = region.name if region else filters.region
    if filters.contractor is not None:
        contractor = session.get(Contractor, filters.contractor)
        names["contractor"] = contractor.name if contractor else f"编号 {filters.contractor}（不存在）"
    if filters.project is not None:
        project = session.get(Project, filters.project)
        names["project"] = project.name if project else f"编号 {filters.project}（不存在）"
    if filters.boss is not None:
        name = session.scalar(select(func.max(Lead.employer_name))
                              .join(Case, Case.id == Lead.case_id)
                              .where(Case.employer_key == filters.boss))
        names["boss"] = name or filters.boss
    return names


def region_choices(session: Session, scope: list[str] | None,
                   limit: int = 500) -> list[tuple[str, str]]:
    """Regions a user may narrow to (their scope's, a city's counties included), by code."""
    query = select(Region.code, Region.name).order_by(Region.code).limit(limit)
    if scope is not None:
        query = query.where(in_regions(Region.code, scope))
    return [(code, name) for code, name in session.execute(query)]
