"""Cases: priority and tiers (cases/priority.py), opening a case for a lead, the queue and its
filters, and who may see which case."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, false, func, or_, select, true
from sqlalchemy.orm import Session, joinedload, selectinload

from wagechannel.accounts.models import User
from wagechannel.cases.collective import employer_key_of, new_case_number
from wagechannel.cases.models import (CASE_STATUSES, ROUTES, TIER_RANKS, TIERS, Case, CaseRoute,
                                      Claimant)
from wagechannel.cases.priority import (OPEN_STATUSES, PRIORITY_FIELDS, REFRESH_BATCH,  # noqa: F401
                                        CaseContext, apply_priority, case_priority,
                                        priority_for, refresh_priorities)
from wagechannel.db import utcnow
from wagechannel.intake.models import Lead
from wagechannel.places.models import Project
from wagechannel.validation import AddressArgs


def new_case_values(lead: Any, *, legal_aid_org_id: int, bureau_org_id: int | None,
                    project_id: int | None, region_code: str | None, today: date,
                    now: datetime, context: CaseContext | None = None,
                    employer_key: str | None = None, routed_above: bool = False) -> dict[str, Any]:
    """The row of a priority case for one lead, in the centre's queue (green channel: no
    hardship check). `lead` is a stored lead or the validated input about to become one."""
    return {"number": new_case_number(today), "legal_aid_org_id": legal_aid_org_id,
            "bureau_org_id": bureau_org_id, "project_id": project_id,
            "region_code": region_code, "status": "pending", "created_at": now,
            "updated_at": now, "employer_key": employer_key or employer_key_of(lead),
            "routed_above": routed_above, **case_priority([lead], today, context)}


def visible_cases(user: User, *, claimants: bool = True) -> Select[tuple[Case]]:
    """The cases a user sees, in the queue's order (QUEUE_ORDER), with what a row shows loaded
    alongside (project, contractor and lawyer joined; every claimant in one more statement
    unless `claimants` is False: the page shows a summary, claimant_summaries): a constant
    number of statements per page."""
    query = (select(Case).options(joinedload(Case.project).joinedload(Project.contractor),
                                  joinedload(Case.lawyer))
             .where(visible_to(user)).order_by(*QUEUE_ORDER))
    if claimants:
        query = query.options(selectinload(Case.claimants))
    return query


def visible_to(user: User) -> ColumnElement[bool]:
    """The condition on a case row for the cases a user sees (each role's by its index)."""
    if user.role == "admin":
        return true()
    if user.role == "legal_aid_staff":
        return Case.legal_aid_org_id == user.organisation_id
    if user.role == "lawyer":
        return Case.lawyer_id == user.id
    if user.role == "bureau_liaison":
        return Case.bureau_org_id == user.organisation_id
    return false()


# By tier, then the nearest time limit (none last), then age: the ix_legal_case_tiers_* indexes.
QUEUE_ORDER = (Case.tier_rank, Case.limitation_end.asc().nulls_last(), Case.created_at, Case.id)


# --- the queue's filters ------------------------------------------------------------------------

OPEN_STATE = "open"  # the default: cases still being worked on
ALL_STATES = "all"
STATE_CHOICES = {OPEN_STATE: "办理中的全部（未结案）", ALL_STATES: "全部（含已结案）", **CASE_STATUSES}
MAX_AGE_DAYS = 36_500


@dataclass(frozen=True)
class CaseFilters:
    """What the queue is narrowed to, as given in the address (?tier=&state=&route=&lawyer=
    &project=&contractor=&age=). Empty values are no filter; state defaults to the open cases."""

    tier: str | None = None  # urgent | priority | routine
    state: str = OPEN_STATE  # open | all | a status
    route: str | None = None  # a ROUTES key: cases with such a route
    lawyer: str | None = None  # the assigned lawyer's username
    project: int | None = None  # a project's id
    contractor: int | None = None  # a general contractor's id: cases at any of its sites
    age: int | None = None  # received at least this many days ago

    def args(self) -> dict[str, Any]:
        """The filters as address parameters (for page links and forms): only those set."""
        values = {"tier": self.tier, "state": None if self.state == OPEN_STATE else self.state,
                  "route": self.route, "lawyer": self.lawyer, "project": self.project,
                  "contractor": self.contractor, "age": self.age}
        return {name: value for name, value in values.items() if value is not None}

    @property
    def active(self) -> bool:
        return bool(self.args())


def case_filters(args: Mapping[str, Any]) -> tuple[CaseFilters, dict[str, str]]:
    """Read the filters from an address's parameters. A bad value is left out of the filters
    and explained in Chinese under its parameter's name (the page keeps what was typed)."""
    read = AddressArgs(args)
    text, choice, number, errors = read.text, read.choice, read.number, read.errors
    lawyer = text("lawyer")
    if lawyer is not None and len(lawyer) > 64:
        errors["lawyer"] = "律师用户名太长了。"
        lawyer = None
    filters = CaseFilters(
        tier=choice("tier", TIERS, "紧急程度只能选 紧急、优先 或 常规。"),
        state=choice("state", STATE_CHOICES, "请从列表中选择案件状态。") or OPEN_STATE,
        route=choice("route", ROUTES, "请从列表中选择办理方式。"),
        lawyer=lawyer,
        project=number("project", "项目编号应为数字。"),
        contractor=number("contractor", "施工总承包单位编号应为数字。"),
        age=number("age", f"请填写0到{MAX_AGE_DAYS}之间的整数天数。", maximum=MAX_AGE_DAYS))
    return filters, errors


def filtered_cases(user: User, filters: CaseFilters, *, now: datetime | None = None,
                   claimants: bool = True) -> Select[tuple[Case]]:
    """The cases a user sees, narrowed by the filters, in the queue's order: each filter is one
    condition on the case row (or a subquery), so a page costs the same statements whatever
    the filters. The staff API (GET /api/v1/cases) uses this; the queue page reads the same
    conditions (case_conditions) into plain rows."""
    return visible_cases(user, claimants=claimants).where(*filter_conditions(filters, now=now))


def case_conditions(user: User, filters: CaseFilters, *,
                    now: datetime | None = None) -> list[ColumnElement[bool]]:
    """The conditions on a case row for what filtered_cases selects."""
    return [visible_to(user), *filter_conditions(filters, now=now)]


def filter_conditions(filters: CaseFilters, *,
                      now: datetime | None = None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.tier is not None:
        conditions.append(Case.tier_rank == TIER_RANKS[filters.tier])
    if filters.state == OPEN_STATE:
        conditions.append(Case.status.in_(OPEN_STATUSES))
    elif filters.state != ALL_STATES:
        conditions.append(Case.status == filters.state)
    if filters.route is not None:
        conditions.append(exists().where(CaseRoute.case_id == Case.id,
                                         CaseRoute.kind == filters.route))
    if filters.lawyer is not None:
        conditions.append(Case.lawyer_id.in_(select(User.id)
                                             .where(User.username == filters.lawyer)))
    if filters.project is not None:
        conditions.append(Case.project_id == filters.project)
    if filters.contractor is not None:
        conditions.append(Case.project_id.in_(select(Project.id).where(
            Project.contractor_id == filters.contractor)))
    if filters.age is not None:
        conditions.append(Case.created_at <= (now or utcnow()) - timedelta(days=filters.age))
    return conditions


@dataclass(frozen=True)
class ClaimantSummary:
    """What a queue row says about a case's workers: how many, the first few names, and what
    they are owed in all (and how many did not say)."""

    count: int
    names: list[str | None]
    owed_fen: int
    unknown: int


SUMMARY_NAMES = 3


def claimant_summaries(session: Session, case_ids: Sequence[int]) -> dict[int, ClaimantSummary]:
    """For a page of cases, in one statement however many workers a collective case has: each
    case's claimants counted and summed in the database, the first few named."""
    if not case_ids:
        return {}
    by_case = {"partition_by": Claimant.case_id}
    ranked = (select(Claimant.case_id, Claimant.name,
                     func.row_number().over(order_by=Claimant.id, **by_case).label("n"),
                     func.count().over(**by_case).label("total"),
                     func.count(Claimant.amount_owed_fen).over(**by_case).label("known"),
                     func.sum(Claimant.amount_owed_fen).over(**by_case).label("owed"))
              .where(Claimant.case_id.in_(case_ids)).subquery())
    summaries: dict[int, ClaimantSummary] = {}
    for row in session.execute(select(ranked).where(ranked.c.n <= SUMMARY_NAMES)
                               .order_by(ranked.c.case_id, ranked.c.n)):
        found = summaries.get(row.case_id)
        if found is None:
            found = summaries[row.case_id] = ClaimantSummary(
                int(row.total), [], int(row.owed or 0), int(row.total) - int(row.known))
        found.names.append(row.name)
    return summaries


def can_view_case(user: User, case: Case) -> bool:
    if user.role == "admin":
        return True
    if user.role == "legal_aid_staff":
        return case.legal_aid_org_id == user.organisation_id
    if user.role == "lawyer":
        return case.lawyer_id == user.id
    if user.role == "bureau_liaison":
        return case.bureau_org_id == user.organisation_id
    return False


def sees_personal_data(user: User) -> bool:
    """Legal-aid staff and lawyers contact the worker; a liaison and admin see it masked."""
    return user.role in {"legal_aid_staff", "lawyer"}


def same_worker_leads(session: Session, lead: Lead) -> list[Lead]:
    """Other reports from the same phone or identity-card number, found by their keyed hashes
    (nothing is decrypted to compare)."""
    conditions = []
    if lead.phone_hash:
        conditions.append(Lead.phone_hash == lead.phone_hash)
    if lead.id_number_hash:
        conditions.append(Lead.id_number_hash == lead.id_number_hash)
    if not conditions:
        return []
    return list(session.scalars(select(Lead).where(or_(*conditions), Lead.id != lead.id)
                                .order_by(Lead.created_at)))


