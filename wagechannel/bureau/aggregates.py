"""The statistics behind the dashboard and the summary workbook, each one aggregate statement.

A number is a measure of a *branch*: the reports received in the period (by their time), the
cases opened in it, the cases closed in it, accepted, granted, refused... Each branch is a
GROUP BY over its own table and its own timestamp; a statement puts the branches side by side
with UNION ALL and sums them per key (a region, a contractor, a project, a boss, a week or a
month), so one statement gives a whole table whatever the data size.

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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import (ColumnElement, Select, and_, case, distinct, func, literal_column, or_,
                        select, union_all)

from wagechannel.bureau.expressions import (earliest, local_month, local_week,
                                            whole_hours_between)
from wagechannel.bureau.filters import OPEN_STATE, Filters
from wagechannel.cases.models import Case, CaseContact, Referral
from wagechannel.cases.priority import OPEN_STATUSES
from wagechannel.deadlines.models import Deadline
from wagechannel.deadlines.rules import RULES
from wagechannel.intake.models import Lead, LeadMessage
from wagechannel.places.models import Contractor, Project, Region
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
# Beside a ranking's reports: how many sites they name, the latest, and the boss's name.
RANKED_REPORTS = Branch("lead", Lead.created_at, (), {
    **REPORTS.measures, "sites": func.count(distinct(Lead.project_id)),
    "last_report": func.max(Lead.created_at), "name": func.max(Lead.employer_name)})
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
    "contact": ("首次联系反映人", "first_contact",
                "服务标准：收到反映后{days}个工作日内（可配置）"),
    "decision": ("作出是否给予法律援助的决定", "legal_aid_decision",
                 "法定：受理申请后7日内（法律援助法第43条，补充材料期间不计入）"),
    "assignment": ("指派律师", "legal_aid_assignment",
                   "法定：决定给予后3日内（法律援助法第43条）"),
}


def first_contact_at() -> Any:
    """A case's first contact with the worker: the first contact staff recorded, the first
    message to a worker of the case, or acceptance, whichever came first (as the reminders'
    first-contact deadline counts it)."""
    contact = (select(func.min(CaseContact.at)).where(CaseContact.case_id == Case.id)
               .scalar_subquery())
    message = (select(func.min(LeadMessage.created_at))
               .join(Lead, Lead.id == LeadMessage.lead_id)
               .where(Lead.case_id == Case.id, LeadMessage.direction == "to_worker")
               .scalar_subquery())
    return earliest(contact, message, Case.accepted_at)


def step_at(step: str) -> Any:
    return {"contact": first_contact_at(), "decision": Case.decided_at,
            "assignment": Case.assigned_at}[step]


def timings_statement(filters: Filters, regions: list[str] | None) -> Select[Any]:
    """For the cases opened in the period: how many reached each step after how many whole
    hours from the report (a histogram: step, hours, cases)."""
    steps = (select(Case.created_at.label("at"), first_contact_at().label("contact"),
                    Case.decided_at.label("decision"), Case.assigned_at.label("assignment"))
             .where(*case_conditions(filters, regions, at=Case.created_at)).cte("steps"))
    parts = []
    for step in STEPS:
        hours = whole_hours_between(steps.c.at, steps.c[step])
        parts.append(select(literal_column(f"'{step}'").label("step"), hours.label("hours"),
                            func.count().label("cases"))
                     .where(steps.c[step].is_not(None)).group_by(hours))
    return union_all(*parts)  # type: ignore[return-value]


def compliance_bucket(today: date) -> Any:
    """A deadline's outcome: met, missed, late (still open, past its last day), open,
    cancelled."""
    return case((and_(Deadline.status == "open", Deadline.due_date < today), "late"),
                else_=Deadline.status)


def compliance_statement(filters: Filters, regions: list[str] | None,
                         today: date) -> Select[Any]:
    """The deadlines of each step, for the cases opened in the period, by outcome."""
    bucket = compliance_bucket(today)
    return (select(Deadline.rule, bucket.label("outcome"), func.count(Deadline.id))
            .join(Case, Case.id == Deadline.case_id)
            .where(Deadline.rule.in_([rule for _l, rule, _t in STEPS.values()]),
                   *case_conditions(filters, regions, at=Case.created_at))
            .group_by(Deadline.rule, bucket))


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

RANKING_LABELS = {"region": "地区", "contractor": "施工总承包单位", "project": "项目",
                  "boss": "老板（包工头）"}
REPEAT_SITES = 2  # a contractor or boss named in reports on this many sites or more


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


RANKED_NAMES = (*FACT_NAMES, "sites", "last_report", "name")


def ranking_statement(dimension: str, filters: Filters, regions: list[str] | None, *,
                      limit: int, offset: int = 0) -> Select[Any]:
    """One page of a ranking (most reports first), with the names it shows and how many keys
    there are in all."""
    branches = (RANKED_REPORTS, OPENED, CLOSED)
    by_key = aggregate(branches, filters, regions, dimension)
    columns: list[Any] = [by_key, func.count().over().label("groups")]
    order: list[Any] = [by_key.c.reports.desc(), by_key.c.claimed.desc(), by_key.c.key]
    statement: Select[Any]
    if dimension == "region":
        statement = select(*columns, Region.name.label("label")).outerjoin(
            Region, Region.code == by_key.c.key)
    elif dimension == "contractor":
        statement = select(*columns, Contractor.name.label("label"),
                           Contractor.phone.label("phone")).outerjoin(
            Contractor, Contractor.id == by_key.c.key)
    elif dimension == "project":
        statement = (select(*columns, Project.name.label("label"),
                            Project.contractor_id.label("contractor_id"),
                            Contractor.name.label("contractor_name"),
                            Region.name.label("region_name"))
                     .outerjoin(Project, Project.id == by_key.c.key)
                     .outerjoin(Contractor, Contractor.id == Project.contractor_id)
                     .outerjoin(Region, Region.code == Project.region_code))
    elif dimension == "boss":
        # Only repeat bosses: named on two or more sites in the period, or reported again in
        # the period after one of their cases was closed.
        firsts = first_closures("boss", filters, regions, None)
        statement = (select(*columns, firsts.c.first_closed)
                     .outerjoin(firsts, firsts.c.key == by_key.c.key)
                     .where(or_(by_key.c.sites >= REPEAT_SITES,
                                by_key.c.last_report > firsts.c.first_closed)))
        order = [by_key.c.sites.desc(), *order]
    else:
        raise ValueError(dimension)
    return statement.order_by(*order).limit(limit).offset(offset)


def first_closures(dimension: str, filters: Filters, regions: list[str] | None,
                   keys: Sequence[Any] | None) -> Any:
    """The first time a case of each contractor, project or boss was closed (ever, in the
    regions; merged cases are no closure). Without `keys`: for the bosses in the period."""
    if dimension == "contractor":
        key: Any = Project.contractor_id
    elif dimension == "project":
        key = Case.project_id
    else:
        key = Case.employer_key
    statement = select(key.label("key"), func.min(Case.closed_at).label("first_closed"))
    if dimension == "contractor":
        statement = statement.join(Project, Project.id == Case.project_id)
    conditions = [Case.status == "closed", NOT_MERGED, key.is_not(None)]
    if regions is not None:
        conditions.append(in_regions(Case.region_code, regions))
    if keys is not None:
        conditions.append(key.in_(list(keys)))
    else:
        reported = select(Case.employer_key).join(Lead, Lead.case_id == Case.id).where(
            *lead_conditions(filters, regions))
        conditions.append(key.in_(reported))
    return statement.where(*conditions).group_by(key).subquery("firsts")


def repeat_bosses_at(filters: Filters, regions: list[str] | None,
                     project_ids: Sequence[int]) -> Select[Any]:
    """Of these projects, those where a boss named in the period is also named, in the period,
    at another site."""
    joined = select(Case.employer_key).select_from(Lead).join(Case, Case.id == Lead.case_id)
    repeat = (joined.where(*lead_conditions(filters, regions), Case.employer_key.is_not(None))
              .group_by(Case.employer_key)
              .having(func.count(distinct(Lead.project_id)) >= REPEAT_SITES))
    return (select(Lead.project_id).distinct().select_from(Lead)
            .join(Case, Case.id == Lead.case_id)
            .where(*lead_conditions(filters, regions), Lead.project_id.in_(list(project_ids)),
                   Case.employer_key.in_(repeat)))
