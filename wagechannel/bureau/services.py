"""The liaison's dashboard, put together from the aggregate statements (bureau/aggregates.py):
a constant number of statements whatever the number of reports."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import case, func, select
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
    states: dict[str, int]  # with every filter but the state (agg.facets_statement)
    tiers: dict[str, int]  # with every filter but the tier
    referrals: int
    overdue: dict[str, int]
    unit: str  # week | month
    trend: list[TrendPoint]
    rankings: dict[str, agg.Ranking]
    boards: Page[Board]
    board_scans: dict[int, date]
    timings: list[agg.Timing]


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


def rankings(session: Session, fine: Sequence[agg.Fine], dimensions: Sequence[str],
             regions: list[str] | None, *, number: int = 1,
             per_page: int = SHOWN) -> dict[str, agg.Ranking]:
    """A page of each ranking, summed from the fine rows, with the names the rows show (one
    statement per kind of name) and the repeat-offender marks (one statement for all: the
    first closures of the sites and contractors shown and of the period's bosses, which also
    decide which bosses the table of repeat bosses lists)."""
    pages = {dimension: _page_of(dimension, agg.rank(fine, dimension), number, per_page)
             for dimension in dimensions if dimension != "boss"}
    # Asked even when no row is shown, so a page costs the same statements whatever it shows.
    # The period's bosses only where they count: the table of bosses and the sites' marks.
    bosses = agg.reported_bosses(fine) if {"boss", "project"} & set(dimensions) else set()
    firsts = {(kind, str(key)): first for kind, key, first in session.execute(
        agg.first_closures_statement(
            regions, contractors=_keys(pages, "contractor"), projects=_keys(pages, "project"),
            bosses=bosses))}
    again_bosses, again_sites = agg.again_after_closure(
        fine, {key: first for (kind, key), first in firsts.items() if kind == "boss"})
    if "boss" in dimensions:
        pages["boss"] = _page_of("boss", agg.rank(fine, "boss", again=again_bosses), number,
                                 per_page)
    _name(session, pages)
    _mark(pages, fine, firsts, again_sites)
    return {dimension: pages[dimension] for dimension in dimensions}


def _page_of(dimension: str, ranked: list[tuple[Any, dict[str, Any]]], number: int,
             per_page: int) -> agg.Ranking:
    total = len(ranked)
    page = min(max(1, number), max(1, -(-total // per_page)))
    rows = [agg.RankedRow(key, "", facts)
            for key, facts in ranked[(page - 1) * per_page:page * per_page]]
    return agg.Ranking(dimension, rows, total, page, per_page)


def _keys(pages: dict[str, agg.Ranking], dimension: str) -> list[Any]:
    return [row.key for row in pages[dimension].rows] if dimension in pages else []


def _name(session: Session, pages: dict[str, agg.Ranking]) -> None:
    """What each row is called: a region's name; a contractor's name and telephone; a site's
    name, its contractor and county; a boss as the reports wrote them."""
    if "region" in pages:
        names = dict(session.execute(select(Region.code, Region.name)
                                     .where(Region.code.in_(_keys(pages, "region")))).all())
        for row in pages["region"].rows:
            row.name = names.get(row.key) or row.key
    if "contractor" in pages:
        found = {row.id: row for row in session.execute(
            select(Contractor.id, Contractor.name, Contractor.phone)
            .where(Contractor.id.in_(_keys(pages, "contractor"))))}
        for row in pages["contractor"].rows:
            contractor = found.get(row.key)
            row.name = contractor.name if contractor else f"#{row.key}"
            row.detail["phone"] = contractor.phone if contractor else None
    if "project" in pages:
        found = {row.id: row for row in session.execute(
            select(Project.id, Project.name, Project.contractor_id,
                   Contractor.name.label("contractor_name"), Region.name.label("region_name"))
            .join(Contractor, Contractor.id == Project.contractor_id)
            .outerjoin(Region, Region.code == Project.region_code)
            .where(Project.id.in_(_keys(pages, "project"))))}
        for row in pages["project"].rows:
            project = found.get(row.key)
            row.name = project.name if project else f"#{row.key}"
            if project is not None:
                row.detail.update(contractor_id=project.contractor_id,
                                  contractor_name=project.contractor_name,
                                  region_name=project.region_name)
    for row in pages["boss"].rows if "boss" in pages else []:
        row.name = row.facts["name"] or "（未写名字）"


AGAIN = "结案后又被反映"
MANY_SITES = "多个工地被反映"
BOSS_ELSEWHERE = "老板在其他工地也被反映"


def _mark(pages: dict[str, agg.Ranking], fine: Sequence[agg.Fine],
          firsts: dict[tuple[str, str], Any], boss_again_sites: set[int]) -> None:
    """Repeat offenders: named on two or more sites in the period; reported again in the period
    after one of their cases was closed; for a site, a boss also named at another site, or a
    boss reported there after a case of theirs was closed anywhere (a boss is the same person
    across sites only by a phone or a name longer than a surname: agg.one_person)."""
    elsewhere = agg.repeat_boss_sites(fine) if "project" in pages else set()
    for dimension, ranking in pages.items():
        if dimension == "region":
            continue
        for row in ranking.rows:
            if dimension in ("contractor", "boss") and row.facts["sites"] >= agg.REPEAT_SITES:
                row.marks.append(MANY_SITES)
            if agg.after(row.facts["last_report"], firsts.get((dimension, str(row.key)))) or \
                    (dimension == "project" and row.key in boss_again_sites):
                row.marks.append(AGAIN)
            if dimension == "project" and row.key in elsewhere:
                row.marks.append(BOSS_ELSEWHERE)


def ranking(session: Session, dimension: str, filters: Filters, regions: list[str] | None, *,
            number: int = 1, per_page: int = SHOWN) -> agg.Ranking:
    """One page of one ranking (the ranking pages)."""
    fine = agg.fine_rows(session.execute(agg.fine_statement(filters, regions)))
    return rankings(session, fine, [dimension], regions, number=number,
                    per_page=per_page)[dimension]


def timings(session: Session, filters: Filters, regions: list[str] | None, today: date,
            first_contact_days: int) -> list[agg.Timing]:
    steps = {step: agg.Timing(step, label, rule, limit.format(days=first_contact_days))
             for step, (label, rule, limit) in agg.STEPS.items()}
    for step, hours, cases in session.execute(agg.timings_statement(filters, regions)):
        steps[step].histogram[int(hours)] = steps[step].histogram.get(int(hours), 0) + int(cases)
    by_rule = {timing.rule: timing for timing in steps.values()}
    for rule, outcome, hours, count in session.execute(
            agg.compliance_statement(filters, regions, today)):
        timing = by_rule[rule]
        timing.outcomes[outcome] = timing.outcomes.get(outcome, 0) + int(count)
        if hours is not None:  # the first contact's moment, from its settled deadline
            timing.histogram[int(hours)] = timing.histogram.get(int(hours), 0) + int(count)
    return list(steps.values())


def dashboard(session: Session, filters: Filters, scope: list[str] | None, *, today: date,
              bureau_id: int | None, first_contact_days: int = 1) -> Dashboard:
    regions = regions_for(filters, scope)
    fine = agg.fine_rows(session.execute(agg.fine_statement(filters, regions)))
    totals = agg.totals_of(fine)
    states = {status: 0 for status in CASE_STATUSES}
    tiers = {tier: 0 for tier in TIERS}
    for facet, value, count in session.execute(agg.facets_statement(filters, regions)):
        counted = states if facet == "state" else tiers
        counted[value] = counted.get(value, 0) + int(count)
    referrals = int(session.scalar(agg.referrals_statement(filters, regions, bureau_id)) or 0)
    overdue = {kind: 0 for kind in agg.OVERDUE_KINDS}
    for kind, count in session.execute(agg.overdue_statement(filters, regions, today)):
        overdue[kind] = int(count)
    unit = trend_unit(filters.period)
    by_time = agg.aggregate(agg.DASHBOARD, filters, regions, unit)
    found = {int(row.key): agg.measures_of(row, agg.FACT_NAMES)
             for row in session.execute(select(by_time))}
    ranked = rankings(session, fine, ("region", "contractor", "project", "boss"), regions)
    silent = boards_page(session, filters, regions, today, 1, per_page=SHOWN)
    return Dashboard(
        filters=filters, regions=regions, today=today, totals=totals, states=states,
        tiers=tiers, referrals=referrals, overdue=overdue, unit=unit,
        trend=trend_points(filters.period, unit, found), rankings=ranked, boards=silent.page,
        board_scans=silent.last_scans,
        timings=timings(session, filters, regions, today, first_contact_days))


@dataclass(frozen=True)
class Chosen:
    """The filters a user may apply, the names of what they chose, and why any was dropped."""

    filters: Filters
    names: dict[str, str]
    errors: dict[str, str]


CHOSEN_LABELS = {"contractor": "施工总承包单位", "project": "项目", "boss": "老板（包工头）"}


def _not_seen(what: str, filters: Filters, scope: list[str] | None) -> str:
    """Why a chosen contractor, project or boss was dropped: the same words whether it exists
    elsewhere or nowhere, so a liaison learns nothing of other regions from them."""
    if filters.region is not None:
        return f"所选地区内没有这个{what}。"
    if scope is not None:
        return f"这个{what}不在本部门辖区内（或者不存在）。"
    return f"没有这个{what}。"


def check_chosen(session: Session, filters: Filters, scope: list[str] | None) -> Chosen:
    """Name the chosen region, contractor, project and boss (one statement each, only when
    chosen), each looked up inside the regions the page covers (regions_for): a site outside
    them, a contractor with no site in them, a boss with no report in them is never named;
    it is dropped from the filters with a message under its parameter, as a bad value is."""
    regions = regions_for(filters, scope)
    names: dict[str, str] = {}
    found: dict[str, str | None] = {}  # contractor, project, boss: None when not seen
    if filters.region is not None:  # parse_filters kept it inside the scope
        region = session.get(Region, filters.region)
        names["region"] = region.name if region else filters.region
    if filters.contractor is not None:
        query = select(Contractor.name).where(Contractor.id == filters.contractor)
        if regions is not None:
            query = query.where(select(Project.id).where(
                Project.contractor_id == Contractor.id,
                in_regions(Project.region_code, regions)).exists())
        found["contractor"] = session.scalar(query)
    if filters.project is not None:
        query = select(Project.name).where(Project.id == filters.project)
        if regions is not None:
            query = query.where(in_regions(Project.region_code, regions))
        found["project"] = session.scalar(query)
    if filters.boss is not None:
        query = (select(func.max(Lead.employer_name), func.count(Lead.id))
                 .join(Case, Case.id == Lead.case_id)
                 .where(Case.employer_key == filters.boss))
        if regions is not None:
            query = query.where(in_regions(Lead.region_code, regions))
        name, reports = session.execute(query).one()
        found["boss"] = (name or filters.boss) if reports else None
    names.update({key: name for key, name in found.items() if name is not None})
    dropped = {key: None for key, name in found.items() if name is None}
    errors = {key: _not_seen(CHOSEN_LABELS[key], filters, scope) for key in dropped}
    return Chosen(filters.but(**dropped) if dropped else filters, names, errors)


def chosen_names(session: Session, filters: Filters,
                 scope: list[str] | None = None) -> dict[str, str]:
    """The names of a chosen region, contractor, project and boss inside the scope (None:
    everywhere), for the filter form and a workbook's heading."""
    return check_chosen(session, filters, scope).names


REGION_LIST = 500  # regions offered as a list; past this many, the code is typed


@dataclass(frozen=True)
class RegionChoices:
    regions: list[tuple[str, str]]  # (code, name)
    complete: bool  # every region the user may choose is listed; else the code is typed


def region_choices(session: Session, scope: list[str] | None,
                   limit: int | None = None) -> RegionChoices:
    """Regions a user may narrow to (their scope's, a city's counties included), in one
    statement. Up to `limit` of them are a list, by code; when there are more, the form takes
    a typed code (any region in the scope) and suggests the first `limit`: provinces, then
    cities, then counties."""
    limit = REGION_LIST if limit is None else limit
    level = case((Region.code.like("%0000"), 0), (Region.code.like("%00"), 1), else_=2)
    query = select(Region.code, Region.name).order_by(level, Region.code).limit(limit + 1)
    if scope is not None:
        query = query.where(in_regions(Region.code, scope))
    found = [(code, name) for code, name in session.execute(query)]
    if len(found) <= limit:
        return RegionChoices(sorted(found), True)
    return RegionChoices(found[:limit], False)
