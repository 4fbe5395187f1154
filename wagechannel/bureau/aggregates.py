"""The statistics behind the dashboard and the summary workbook, each one aggregate statement.

A number is a measure of a *branch*: the reports received in the period (by their time), the
cases opened in it, the cases closed in it, accepted, granted, refused... Each branch is a
GROUP BY over its own table and its own timestamp; a statement puts the branches side by side
with UNION ALL and sums them per key (a region, a week or a month), so one statement gives a
whole table whatever the data size. The headline and the rankings by region, contractor, site
and boss come from one such statement at the grain of (site, county, boss), a few rows per
site, summed in Python (`fine_statement`, `rank`).

What the numbers mean (the dashboard says the same under its tables):

- reports (收到反映): reports whose time of receipt falls in the period;
- claimed (主张欠薪): what those reports say is owed (reports that do not say count nothing);
- cases, workers (新立案件, 涉及工人): cases opened in the period and the workers they stand for
  (a collective case counts its workers once, however many of them reported);
- closed, recovered (结案, 追回): cases closed in the period and what they recovered;
- accepted, granted, refused, helped: cases accepted, granted or refused in the period, and the
  workers of the cases granted (受援人数).

A case merged into another (并入其他案件) is left out everywhere: its workers and reports are
counted in the case it joined. The filters narrow every branch alike: regions (the user's scope
or the chosen region; a city covers its counties), a contractor (any of its sites), a project,
and the case's tier, state and boss (a report is narrowed by its case).
"""
from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (BigInteger, ColumnElement, Select, String, and_, case, cast, false,
                        func, literal_column, or_, select, union_all)

from wagechannel.bureau.expressions import (earliest, in_texts, local_month, local_week,
                                            milliseconds_between, text_list,
                                            whole_hours_between)
from wagechannel.bureau.filters import OPEN_STATE, Filters
from wagechannel.cases.models import Case, Referral
from wagechannel.cases.priority import OPEN_STATUSES
from wagechannel.deadlines.models import Deadline
from wagechannel.deadlines.rules import RULES
from wagechannel.intake.models import Lead
from wagechannel.places.models import Project
from wagechannel.places.services import in_regions

NOT_MERGED = or_(Case.outcome.is_(None), Case.outcome != "merged")
# Overdue deadlines a bureau answers for: its own (labour inspection), and the green-channel
# decisions of the centres in its regions (Legal Aid Law art. 43), as the reminders escalate.
BUREAU_RULES = tuple(code for code, rule in RULES.items() if rule.responsible == "bureau")
GREEN_RULES = ("legal_aid_decision", "legal_aid_assignment")
OVERDUE_KINDS = {"bureau": "人社部门自己的期限（劳动保障监察）", "green": "法律援助中心的绿色通道决定和指派"}
OVERDUE_RULES = {"bureau": BUREAU_RULES, "green": GREEN_RULES}


# --- conditions ---------------------------------------------------------------------------------

def _period(at: Any, filters: Filters) -> list[ColumnElement[bool]]:
    return [at >= filters.period.since, at < filters.period.until]


def _contractor_sites(contractor: int) -> Any:
    return select(Project.id).where(Project.contractor_id == contractor)


def case_attributes(filters: Filters) -> list[ColumnElement[bool]]:
    """What narrows by the case itself: tier, state, boss."""
    conditions: list[ColumnElement[bool]] = []
    if filters.tier is not None:
        conditions.append(Case.tier == filters.tier)
    if filters.state == OPEN_STATE:
        conditions.append(Case.status.in_(OPEN_STATUSES))
    elif filters.state is not None:
        conditions.append(Case.status == filters.state)
    if filters.boss is not None:
        conditions.append(Case.employer_key == filters.boss)
    return conditions


def needs_case(filters: Filters) -> bool:
    """Whether narrowing reports needs their case joined."""
    return bool(case_attributes(filters))


def lead_conditions(filters: Filters, regions: list[str] | None, *,
                    period: bool = True) -> list[ColumnElement[bool]]:
    """Reports in the period and the filters (join Case when `needs_case`)."""
    conditions = _period(Lead.created_at, filters) if period else []
    if regions is not None:
        conditions.append(in_regions(Lead.region_code, regions))
    if filters.project is not None:
        conditions.append(Lead.project_id == filters.project)
    if filters.contractor is not None:
        conditions.append(Lead.project_id.in_(_contractor_sites(filters.contractor)))
    return conditions + case_attributes(filters)


def case_conditions(filters: Filters, regions: list[str] | None, *, at: Any = None,
                    attributes: bool = True) -> list[ColumnElement[bool]]:
    """Cases (never merged ones) in the filters; `at`: the timestamp the period applies to."""
    conditions = [NOT_MERGED, *(_period(at, filters) if at is not None else [])]
    if regions is not None:
        conditions.append(in_regions(Case.region_code, regions))
    if filters.project is not None:
        conditions.append(Case.project_id == filters.project)
    if filters.contractor is not None:
        conditions.append(Case.project_id.in_(_contractor_sites(filters.contractor)))
    return conditions + (case_attributes(filters) if attributes else [])


# --- branches, dimensions, one statement ------------------------------------------------------

@dataclass(frozen=True)
class Branch:
    """One GROUP BY: reports or cases, the timestamp the period applies to, extra conditions,
    and the measures it gives (name -> aggregate)."""

    source: str  # "lead" | "case"
    at: Any
    where: tuple[Any, ...]
    measures: Mapping[str, Any]


def _count(column: Any) -> Any:
    return func.count(column)


REPORTS = Branch("lead", Lead.created_at, (), {
    "reports": _count(Lead.id), "claimed": func.sum(Lead.amount_owed_fen),
    "claimed_known": _count(Lead.amount_owed_fen)})
OPENED = Branch("case", Case.created_at, (), {
    "cases": _count(Case.id), "workers": func.sum(Case.worker_count)})
CLOSED = Branch("case", Case.closed_at, (Case.status == "closed",), {
    "closed": _count(Case.id), "recovered": func.sum(Case.amount_recovered_fen)})
ACCEPTED = Branch("case", Case.accepted_at, (), {"accepted": _count(Case.id)})
GRANTED = Branch("case", Case.decided_at, (Case.hardship_basis.is_not(None),), {
    "granted": _count(Case.id), "helped": func.sum(Case.worker_count)})
REFUSED = Branch("case", Case.decided_at, (Case.status == "refused",), {
    "refused": _count(Case.id)})
DASHBOARD = (REPORTS, OPENED, CLOSED)
SUMMARY = (REPORTS, ACCEPTED, GRANTED, REFUSED, CLOSED)
# Outer aggregates other than a sum.
MAXIMA = {"last_report", "name"}

DIMENSIONS = ("region", "contractor", "project", "boss", "week", "month")


def _key(dimension: str, branch: Branch) -> Any:
    lead = branch.source == "lead"
    if dimension == "region":
        return Lead.region_code if lead else Case.region_code
    if dimension == "contractor":
        return Project.contractor_id
    if dimension == "project":
        return Lead.project_id if lead else Case.project_id
    if dimension == "boss":
        return Case.employer_key
    if dimension == "week":
        return local_week(branch.at)
    if dimension == "month":
        return local_month(branch.at)
    raise ValueError(dimension)


def _branch_statement(branch: Branch, names: Sequence[str], filters: Filters,
                      regions: list[str] | None, dimension: str | None,
                      keys: Sequence[Any] | None) -> Select[Any]:
    columns: list[Any] = []
    key = _key(dimension, branch) if dimension else None
    if key is not None:
        columns.append(key.label("key"))
    for name in names:
        measure = branch.measures.get(name)
        if measure is None:
            measure = literal_column("NULL") if name in MAXIMA else literal_column("0")
        columns.append(measure.label(name))
    if branch.source == "lead":
        statement = select(*columns).select_from(Lead)
        if dimension == "boss" or needs_case(filters):
            statement = statement.join(Case, Case.id == Lead.case_id)
        if dimension == "contractor":
            statement = statement.join(Project, Project.id == Lead.project_id)
        conditions = lead_conditions(filters, regions, period=branch.at is not None)
    else:
        statement = select(*columns).select_from(Case)
        if dimension == "contractor":
            statement = statement.join(Project, Project.id == Case.project_id)
        conditions = case_conditions(filters, regions, at=branch.at)
    conditions += list(branch.where)
    if key is not None:
        conditions.append(key.is_not(None))
        if keys is not None:
            conditions.append(key.in_(list(keys)))
    statement = statement.where(*conditions)
    return statement.group_by(key) if key is not None else statement


def aggregate(branches: Sequence[Branch], filters: Filters, regions: list[str] | None,
              dimension: str | None = None, *, keys: Sequence[Any] | None = None) -> Any:
    """One statement: the branches' measures per key (or in all), as a subquery with columns
    `key` (when a dimension is given) and one per measure."""
    names: list[str] = []
    for branch in branches:
        names += [name for name in branch.measures if name not in names]
    parts = union_all(*(_branch_statement(branch, names, filters, regions, dimension, keys)
                        for branch in branches)).subquery("parts")
    columns = [(func.max if name in MAXIMA else func.sum)(parts.c[name]).label(name)
               for name in names]
    if dimension is None:
        return select(*columns).subquery("totals")
    return select(parts.c.key, *columns).group_by(parts.c.key).subquery("by_key")


def measures_of(row: Any, names: Iterable[str]) -> dict[str, Any]:
    """A row's measures as Python values: sums as int (0 when nothing), maxima as they are."""
    mapping = row._mapping if row is not None else {}
    return {name: (mapping.get(name) if name in MAXIMA else int(mapping.get(name) or 0))
            for name in names}


# --- the headline, states and tiers, what is waiting and late -----------------------------------

FACT_NAMES = ("reports", "claimed", "claimed_known", "cases", "workers", "closed", "recovered")
SUMMARY_NAMES = ("reports", "claimed", "claimed_known", "accepted", "granted", "helped",
                 "refused", "closed", "recovered")


def totals_statement(filters: Filters, regions: list[str] | None,
                     branches: Sequence[Branch] = DASHBOARD) -> Select[Any]:
    return select(aggregate(branches, filters, regions))


def states_statement(filters: Filters, regions: list[str] | None) -> Select[Any]:
    """Cases opened in the period by state and tier."""
    return (select(Case.status, Case.tier, func.count(Case.id))
            .where(*case_conditions(filters, regions, at=Case.created_at))
            .group_by(Case.status, Case.tier))


def facets_statement(filters: Filters, regions: list[str] | None) -> Select[Any]:
    """Cases opened in the period by state, counted with every filter but the state, and by
    tier, with every filter but the tier (rows: facet, value, cases). A row's link keeps the
    other filters and chooses its state or tier, so its list holds exactly the row's number."""
    by_state = (select(literal_column("'state'").label("facet"), Case.status.label("value"),
                       func.count(Case.id).label("cases"))
                .where(*case_conditions(filters.but(state=None), regions, at=Case.created_at))
                .group_by(Case.status))
    by_tier = (select(literal_column("'tier'"), Case.tier, func.count(Case.id))
               .where(*case_conditions(filters.but(tier=None), regions, at=Case.created_at))
               .group_by(Case.tier))
    return union_all(by_state, by_tier)  # type: ignore[return-value]


def referrals_statement(filters: Filters, regions: list[str] | None,
                        bureau_id: int | None) -> Select[Any]:
    """Referrals still waiting for the bureau to accept them (status 已转人社部门)."""
    return select(func.count(Referral.id)).where(*referral_conditions(filters, regions, bureau_id))


def referral_conditions(filters: Filters, regions: list[str] | None,
                        bureau_id: int | None) -> list[Any]:
    conditions: list[Any] = [Referral.status == "referred",
                             Referral.case_id.in_(select(Case.id).where(
                                 *case_conditions(filters, regions)))]
    if bureau_id is not None:
        conditions.append(Referral.bureau_org_id == bureau_id)
    return conditions


def overdue_conditions(filters: Filters, regions: list[str] | None, today: date,
                       kinds: Iterable[str] = ("bureau", "green")) -> list[Any]:
    rules = [rule for kind in kinds for rule in OVERDUE_RULES[kind]]
    return [Deadline.status == "open", Deadline.due_date < today, Deadline.rule.in_(rules),
            *case_conditions(filters, regions)]


def overdue_statement(filters: Filters, regions: list[str] | None, today: date) -> Select[Any]:
    kind = case((Deadline.rule.in_(BUREAU_RULES), "bureau"), else_="green")
    return (select(kind.label("kind"), func.count(Deadline.id))
            .join(Case, Case.id == Deadline.case_id)
            .where(*overdue_conditions(filters, regions, today)).group_by(kind))


# --- time to first contact, decision, assignment ----------------------------------------------

STEPS = {
    "contact": ("首次联系反映人（从收到反映算起）", "first_contact",
                "服务标准：收到反映后{days}个工作日内（可配置）"),
    "decision": ("作出是否给予法律援助的决定（从受理申请算起，等待补充材料的时间不算）",
                 "legal_aid_decision",
                 "法定：受理申请后7日内（法律援助法第43条，补充材料期间不计入）"),
    "assignment": ("指派律师（从决定给予法律援助算起）", "legal_aid_assignment",
                   "法定：决定给予后3日内（法律援助法第43条）"),
}
# What the statutory steps are timed from and to (art. 43: the decision from the application,
# the assignment from the decision). The first contact is timed from the report, to the
# moment its deadline was settled (compliance_statement).
STEP_TIMES = {"decision": (Case.accepted_at, Case.decided_at),
              "assignment": (Case.decided_at, Case.assigned_at)}
HOUR_MS = literal_column("3600000", BigInteger())


def contacted() -> Any:
    """A case's first contact with the worker happened: its first-contact deadline is settled
    (the reminders settle it at the first contact staff record, the first message to the
    worker, or acceptance, whichever came first, and keep that moment as its closing time)."""
    return (select(Deadline.id).where(Deadline.case_id == Case.id,
                                      Deadline.rule == "first_contact",
                                      Deadline.status.in_(("met", "missed"))).exists())


def step_reached(step: str) -> list[ColumnElement[bool]]:
    """The case reached a statutory step, and its start is known: what is timed."""
    start, end = STEP_TIMES[step]
    return [start.is_not(None), end.is_not(None)]


def step_milliseconds(step: str) -> Any:
    """How long a case took over a step. The decision: from the application's acceptance to
    the decision, less the wait for missing materials (from the request until they arrived,
    or until the decision if it came first), which the Ministry of Justice's procedural rules
    leave out of art. 43's 7 days. The assignment: from the decision to the first
    assignment."""
    start, end = STEP_TIMES[step]
    taken = milliseconds_between(start, end)
    if step != "decision":
        return taken
    waited = case((Case.materials_requested_at.is_not(None),
                   milliseconds_between(Case.materials_requested_at,
                                        earliest(Case.materials_received_at, end))),
                  else_=literal_column("0"))
    return taken - waited


def timings_statement(filters: Filters, regions: list[str] | None) -> Select[Any]:
    """For the cases opened in the period: how many reached the decision and the assignment
    after how many whole hours of the step (step_milliseconds; a histogram: step, hours,
    cases)."""
    parts = []
    for step in STEP_TIMES:
        hours = step_milliseconds(step) // HOUR_MS
        parts.append(select(literal_column(f"'{step}'").label("step"), hours.label("hours"),
                            func.count(Case.id).label("cases"))
                     .where(*case_conditions(filters, regions, at=Case.created_at),
                            *step_reached(step)).group_by(hours))
    return union_all(*parts)  # type: ignore[return-value]


def compliance_bucket(today: date) -> Any:
    """A deadline's outcome: met, missed, late (still open, past its last day), open,
    cancelled."""
    return case((and_(Deadline.status == "open", Deadline.due_date < today), "late"),
                else_=Deadline.status)


def compliance_statement(filters: Filters, regions: list[str] | None,
                         today: date) -> Select[Any]:
    """The deadlines of each step, for the cases opened in the period, by outcome; for the
    first contact, also after how many whole hours from the report it happened (the moment
    its deadline was settled)."""
    bucket = compliance_bucket(today)
    hours = case((and_(Deadline.rule == "first_contact", Deadline.status.in_(("met", "missed"))),
                  whole_hours_between(Case.created_at, Deadline.closed_at)), else_=None)
    return (select(Deadline.rule, bucket.label("outcome"), hours.label("hours"),
                   func.count(Deadline.id))
            .join(Case, Case.id == Deadline.case_id)
            .where(Deadline.rule.in_([rule for _l, rule, _t in STEPS.values()]),
                   *case_conditions(filters, regions, at=Case.created_at))
            .group_by(Deadline.rule, bucket, hours))


@dataclass
class Timing:
    step: str
    label: str
    rule: str
    limit: str
    histogram: dict[int, int] = field(default_factory=dict)  # whole hours -> cases
    outcomes: dict[str, int] = field(default_factory=dict)  # met, missed, late, open, cancelled

    @property
    def count(self) -> int:
        return sum(self.histogram.values())

    def percentile(self, fraction: float) -> int | None:
        """Nearest rank: the hours (rounded up to the next whole hour) within which this
        fraction of the cases reached the step."""
        total = self.count
        if not total:
            return None
        rank, seen = max(1, math.ceil(fraction * total)), 0
        for hours in sorted(self.histogram):
            seen += self.histogram[hours]
            if seen >= rank:
                return hours + 1
        return None  # pragma: no cover

    @property
    def median(self) -> int | None:
        return self.percentile(0.5)

    @property
    def p90(self) -> int | None:
        return self.percentile(0.9)


def duration_text(hours: int | None) -> str:
    if hours is None:
        return "—"
    if hours < 48:
        return f"{hours}小时内"
    return f"{hours / 24:.1f}天内"


# --- rankings: regions, contractors, projects, bosses -------------------------------------------
#
# One statement gives every ranking and the headline totals: the three branches grouped by
# (site, county, boss) — a few rows per site, whatever the number of reports — then summed in
# Python per region, contractor, site and boss. A contractor's and a boss's sites are the
# distinct sites among them with reports in the period.

RANKING_LABELS = {"region": "地区", "contractor": "施工总承包单位", "project": "项目",
                  "boss": "老板（包工头）"}
REPEAT_SITES = 2  # a contractor or boss named in reports on this many sites or more
# A boss's key shorter than this is a surname alone: cases/collective.py keys 王老板, 老王 and
# 王总 all as "王". At one site the workers mean one boss, and their reports join one case;
# across sites it is a different boss on each, so it never makes a repeat offender.
BOSS_KEY_MIN = 2
FINE_NAMES = (*FACT_NAMES, "last_report", "name")


def one_person(key: str | None) -> bool:
    """Whether a boss's key stands for the same person on every site: a phone ("tel:…"), or a
    name of at least BOSS_KEY_MIN characters."""
    return key is not None and (key.startswith("tel:") or len(key) >= BOSS_KEY_MIN)


@dataclass
class RankedRow:
    key: Any
    name: str
    facts: dict[str, Any]
    detail: dict[str, Any] = field(default_factory=dict)  # contractor phone, project's contractor
    marks: list[str] = field(default_factory=list)


@dataclass
class Ranking:
    dimension: str
    rows: list[RankedRow]
    total: int  # how many keys in all (rows is one page of them)
    number: int = 1
    per_page: int = 10

    @property
    def count(self) -> int:
        return max(1, -(-self.total // self.per_page))


def fine_statement(filters: Filters, regions: list[str] | None) -> Select[Any]:
    """The period's reports, new cases and closed cases per (site, county, boss), with each
    site's contractor: what the totals and every ranking are summed from."""
    measures: dict[str, dict[str, Any]] = {
        "lead": {**REPORTS.measures, "last_report": func.max(Lead.created_at),
                 "name": func.max(Lead.employer_name)},
        "opened": dict(OPENED.measures), "closed": dict(CLOSED.measures)}
    parts = []
    for branch, these in measures.items():
        columns = [these.get(name, literal_column("NULL") if name in MAXIMA
                             else literal_column("0")).label(name) for name in FINE_NAMES]
        if branch == "lead":
            keys = (Lead.project_id, Lead.region_code, Case.employer_key)
            statement = select(*(key.label(label) for key, label in zip(keys, KEY_LABELS)),
                               *columns).select_from(Lead)
            statement = (statement.join(Case, Case.id == Lead.case_id) if needs_case(filters)
                         else statement.outerjoin(Case, Case.id == Lead.case_id))
            statement = statement.where(*lead_conditions(filters, regions))
        else:
            keys = (Case.project_id, Case.region_code, Case.employer_key)
            at = Case.created_at if branch == "opened" else Case.closed_at
            statement = select(*(key.label(label) for key, label in zip(keys, KEY_LABELS)),
                               *columns).where(*case_conditions(filters, regions, at=at))
            if branch == "closed":
                statement = statement.where(Case.status == "closed")
        parts.append(statement.group_by(*keys))
    union = union_all(*parts).subquery("parts")
    by_key = (select(*(union.c[label] for label in KEY_LABELS),
                     *((func.max if name in MAXIMA else func.sum)(union.c[name]).label(name)
                       for name in FINE_NAMES))
              .group_by(*(union.c[label] for label in KEY_LABELS)).subquery("fine"))
    return (select(by_key, Project.contractor_id)
            .outerjoin(Project, Project.id == by_key.c.project))


KEY_LABELS = ("project", "region", "boss")


@dataclass
class Fine:
    """One row of fine_statement."""

    project: int | None
    region: str | None
    boss: str | None
    contractor: int | None
    facts: dict[str, Any]


def fine_rows(rows: Iterable[Any]) -> list[Fine]:
    """The rows as Fine, their measures as measures_of gives them. A period holds thousands of
    fine rows: each column is found by its position once, not by name on every row."""
    found: list[Fine] = []
    places: tuple[Any, ...] | None = None
    for row in rows:
        if places is None:
            fields = list(row._fields)
            places = ([(name, fields.index(name)) for name in FINE_NAMES if name not in MAXIMA],
                      [(name, fields.index(name)) for name in FINE_NAMES if name in MAXIMA],
                      *(fields.index(name) for name in ("project", "region", "boss",
                                                         "contractor_id")))
        sums, maxima, project, region, boss, contractor = places
        facts = {name: int(row[at] or 0) for name, at in sums}
        for name, at in maxima:
            facts[name] = row[at]
        found.append(Fine(row[project], row[region], row[boss], row[contractor], facts))
    return found


def _later(first: Any, second: Any) -> Any:
    if first is None:
        return second
    if second is None:
        return first
    return max(first, second)


def totals_of(fine: Iterable[Fine]) -> dict[str, int]:
    totals = {name: 0 for name in FACT_NAMES}
    for row in fine:
        for name in FACT_NAMES:
            totals[name] += row.facts[name]
    return totals


def rank(fine: Sequence[Fine], dimension: str, *,
         again: Collection[str] = ()) -> list[tuple[Any, dict[str, Any]]]:
    """Every key of a dimension with its summed facts (and, for contractors and bosses, the
    sites reported, the latest report, the boss's name as written), most reports first; for
    bosses only the repeat offenders, most sites first: a boss who is one person (one_person)
    named on REPEAT_SITES sites or more, or among `again` (reported after a closed case)."""
    groups: dict[Any, dict[str, Any]] = {}
    sites: dict[Any, set[int]] = {}
    bosses = dimension == "boss"
    for row in fine:
        key = getattr(row, dimension)  # Fine's fields are named as the dimensions
        if key is None or (bosses and not one_person(key)):
            continue
        facts = row.facts
        group = groups.get(key)
        if group is None:
            group = groups[key] = {name: 0 for name in FACT_NAMES}
            group.update(last_report=None, name=None)
            sites[key] = set()
        for name in FACT_NAMES:
            group[name] += facts[name]
        group["last_report"] = _later(group["last_report"], facts["last_report"])
        if facts["name"] is not None:
            group["name"] = _later(group["name"], facts["name"])
        if row.project is not None and facts["reports"]:
            sites[key].add(row.project)
    for key, group in groups.items():
        group["sites"] = len(sites[key])
    ranked = list(groups.items())
    if dimension == "boss":
        ranked = [(key, group) for key, group in ranked
                  if group["sites"] >= REPEAT_SITES or key in again]
        ranked.sort(key=lambda item: (-item[1]["sites"], -item[1]["reports"],
                                      -item[1]["claimed"], item[0]))
    else:
        ranked.sort(key=lambda item: (-item[1]["reports"], -item[1]["claimed"], item[0]))
    return ranked


def repeat_boss_sites(fine: Sequence[Fine]) -> set[int]:
    """Sites where a boss reported there in the period is also reported at another site (a
    boss who is one person: a surname alone is not)."""
    boss_sites: dict[str, set[int]] = {}
    for row in fine:
        if row.boss is not None and one_person(row.boss) and row.project is not None \
                and row.facts["reports"]:
            boss_sites.setdefault(row.boss, set()).add(row.project)
    return {site for sites in boss_sites.values() if len(sites) >= REPEAT_SITES
            for site in sites}


def after(last: Any, first_closed: Any) -> bool:
    """Whether the latest report came after the first closure (both may be missing)."""
    return last is not None and first_closed is not None and _aware(last) > _aware(first_closed)


def _aware(value: Any) -> datetime:
    if isinstance(value, str):  # SQLite's text, when a union hides the column's type
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def reported_bosses(fine: Iterable[Fine]) -> set[str]:
    """The bosses (one person each) named in reports in the period."""
    return {row.boss for row in fine
            if row.boss is not None and row.facts["reports"] and one_person(row.boss)}


def again_after_closure(fine: Sequence[Fine],
                        closures: Mapping[str, Any]) -> tuple[set[str], set[int]]:
    """The bosses (one person each) reported in the period after a case of theirs was closed,
    anywhere in the regions (`closures`: each boss's first closure), and the sites where they
    were reported after it: a boss who moves to another site is still the same boss."""
    bosses: set[str] = set()
    sites: set[int] = set()
    for row in fine:
        if row.boss is not None and row.boss in closures and row.facts["reports"] and \
                one_person(row.boss) and after(row.facts["last_report"], closures[row.boss]):
            bosses.add(row.boss)
            if row.project is not None:
                sites.add(row.project)
    return bosses, sites


def first_closures_statement(regions: list[str] | None, *, contractors: Sequence[int],
                             projects: Sequence[int], bosses: Collection[str]) -> Select[Any]:
    """When a case of each of these contractors, sites and bosses was first closed (ever, in
    the regions; a case merged into another is no closure): one statement, three parts. The
    bosses are one parameter, however many (the period's may be thousands)."""
    # closed_at IS NOT NULL lets an index on (project_id | employer_key, closed_at) serve.
    closed = [Case.closed_at.is_not(None), Case.status == "closed", NOT_MERGED]
    if regions is not None:
        closed.append(in_regions(Case.region_code, regions))
    first = func.min(Case.closed_at)
    parts = [
        select(literal_column("'contractor'").label("kind"),
               cast(Project.contractor_id, String).label("key"), first.label("first_closed"))
        .join(Project, Project.id == Case.project_id)
        .where(*closed, Project.contractor_id.in_(list(contractors)))
        .group_by(Project.contractor_id),
        select(literal_column("'project'"), cast(Case.project_id, String), first)
        .where(*closed, Case.project_id.in_(list(projects))).group_by(Case.project_id),
        select(literal_column("'boss'"), Case.employer_key, first)
        .where(*closed, in_texts(Case.employer_key, text_list("bosses", bosses)) if bosses
               else false())  # no boss: no scan
        .group_by(Case.employer_key),
    ]
    return union_all(*parts)  # type: ignore[return-value]
