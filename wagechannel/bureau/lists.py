"""The lists behind the dashboard's numbers: reports, cases, referrals, deadlines and silent
boards, each with the same conditions as the number it explains, paged (50), and each page in
two statements: the totals (how many, and the sums the number showed), then the rows.

Rows are plain columns (no ORM objects): a report's phone and identity-card number are never
read, so never decrypted.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from wagechannel.boards.models import Board, BoardScan
from wagechannel.boards.services import stale_boards
from wagechannel.bureau.aggregates import (STEPS, case_conditions, compliance_bucket,
                                           contacted, lead_conditions, needs_case,
                                           overdue_conditions, referral_conditions,
                                           step_reached)
from wagechannel.bureau.filters import Filters
from wagechannel.cases.models import Case, Referral
from wagechannel.deadlines.models import Deadline
from wagechannel.intake.models import Lead
from wagechannel.paging import PER_PAGE, Page
from wagechannel.places.models import Contractor, Organisation, Project, Region

CASE_BASES = {"opened": "本期新立的案件", "closed": "本期结案的案件"}
REACHED = {"contact": "已首次联系", "decision": "已作出决定", "assignment": "已指派律师"}
DEADLINE_OUTCOMES = {"met": "按期完成", "missed": "逾期完成", "late": "已过期仍未完成",
                     "open": "未到期", "cancelled": "已取消"}


@dataclass(frozen=True)
class Listing:
    """One page of a list, with the totals the dashboard's number showed."""

    page: Page[Any]
    totals: dict[str, int]


def _page(session: Session, totals: Select[Any], rows: Select[Any], number: int,
          names: Sequence[str], per_page: int = PER_PAGE) -> Listing:
    found = session.execute(totals).one()
    sums = {name: int(value or 0) for name, value in zip(names, found)}
    total = sums[names[0]]
    number = min(max(1, number), max(1, -(-total // per_page)))
    items = list(session.execute(rows.limit(per_page).offset((number - 1) * per_page)))
    return Listing(Page(items=items, number=number, per_page=per_page, total=total), sums)


# --- reports -------------------------------------------------------------------------------------

def _reports_from(statement: Select[Any], filters: Filters) -> Select[Any]:
    joined = statement.select_from(Lead)
    if needs_case(filters):
        return joined.join(Case, Case.id == Lead.case_id)
    return joined.outerjoin(Case, Case.id == Lead.case_id)


def report_rows(filters: Filters, regions: list[str] | None) -> Select[Any]:
    """Reports in the period, newest first, with their site, county and case: what the list and
    the ledger show (never the receipt code, the phone or the identity-card number)."""
    centre = aliased(Organisation)
    return (_reports_from(select(
        Lead.id, Lead.created_at, Lead.channel, Lead.name, Lead.employer_name,
        Lead.amount_owed_fen, Lead.workers_affected, Lead.region_code,
        Region.name.label("region_name"), Lead.project_id, Project.name.label("project_name"),
        Project.contractor_id, Contractor.name.label("contractor_name"),
        Lead.site_name, Case.id.label("case_id"), Case.number.label("case_number"),
        Case.status.label("case_status"), Case.tier.label("case_tier"),
        centre.name.label("centre_name")), filters)
        .outerjoin(Project, Project.id == Lead.project_id)
        .outerjoin(Contractor, Contractor.id == Project.contractor_id)
        .outerjoin(Region, Region.code == Lead.region_code)
        .outerjoin(centre, centre.id == Case.legal_aid_org_id)
        .where(*lead_conditions(filters, regions))
        .order_by(Lead.created_at.desc(), Lead.id.desc()))


REPORT_TOTALS = ("reports", "claimed")


def report_totals(filters: Filters, regions: list[str] | None) -> Select[Any]:
    return (_reports_from(select(func.count(Lead.id), func.sum(Lead.amount_owed_fen)), filters)
            .where(*lead_conditions(filters, regions)))


def reports_page(session: Session, filters: Filters, regions: list[str] | None,
                 number: int) -> Listing:
    return _page(session, report_totals(filters, regions), report_rows(filters, regions),
                 number, REPORT_TOTALS)


# --- cases ---------------------------------------------------------------------------------------

CASE_TIMES = {"opened": Case.created_at, "closed": Case.closed_at}


def _case_where(filters: Filters, regions: list[str] | None, basis: str,
                reached: str | None) -> list[Any]:
    conditions = case_conditions(filters, regions, at=CASE_TIMES[basis])
    if basis == "closed":
        conditions.append(Case.status == "closed")
    if reached == "contact":
        conditions.append(contacted())
    elif reached is not None:  # the cases the dashboard times for that step
        conditions += step_reached(reached)
    return conditions


CASE_TOTALS = ("cases", "workers", "recovered")


def cases_page(session: Session, filters: Filters, regions: list[str] | None, *, basis: str,
               reached: str | None, number: int) -> Listing:
    where = _case_where(filters, regions, basis, reached)
    centre = aliased(Organisation)
    totals = select(func.count(Case.id), func.sum(Case.worker_count),
                    func.sum(Case.amount_recovered_fen)).where(*where)
    order = CASE_TIMES[basis]
    rows = (select(Case.id, Case.number, Case.status, Case.tier, Case.worker_count,
                   Case.collective_level, Case.created_at, Case.closed_at, Case.outcome,
                   Case.amount_recovered_fen, Case.project_id,
                   Project.name.label("project_name"), Project.contractor_id,
                   Contractor.name.label("contractor_name"), Region.name.label("region_name"),
                   centre.name.label("centre_name"))
            .outerjoin(Project, Project.id == Case.project_id)
            .outerjoin(Contractor, Contractor.id == Project.contractor_id)
            .outerjoin(Region, Region.code == Case.region_code)
            .outerjoin(centre, centre.id == Case.legal_aid_org_id)
            .where(*where).order_by(order.desc(), Case.id.desc()))
    return _page(session, totals, rows, number, CASE_TOTALS)


# --- referrals waiting for the bureau ------------------------------------------------------------

def referrals_page(session: Session, filters: Filters, regions: list[str] | None,
                   bureau_id: int | None, number: int) -> Listing:
    where = referral_conditions(filters, regions, bureau_id)
    centre = aliased(Organisation)
    rows = (select(Referral.id, Referral.referred_at, Referral.case_id,
                   Case.number.label("case_number"), Case.status.label("case_status"),
                   Case.worker_count, Project.name.label("project_name"),
                   Contractor.name.label("contractor_name"), Region.name.label("region_name"),
                   centre.name.label("centre_name"))
            .join(Case, Case.id == Referral.case_id)
            .outerjoin(Project, Project.id == Case.project_id)
            .outerjoin(Contractor, Contractor.id == Project.contractor_id)
            .outerjoin(Region, Region.code == Case.region_code)
            .outerjoin(centre, centre.id == Case.legal_aid_org_id)
            .where(*where).order_by(Referral.referred_at, Referral.id))
    return _page(session, select(func.count(Referral.id)).where(*where), rows, number,
                 ("referrals",))


# --- deadlines: overdue now, or a step's outcomes for the period's cases -------------------------

def deadlines_page(session: Session, filters: Filters, regions: list[str] | None, *,
                   today: date, kind: str | None, rule: str | None, outcome: str | None,
                   number: int) -> Listing:
    """`kind` (bureau | green): open deadlines past their last day now. Else `rule` and
    `outcome`: the deadlines of that step for the cases opened in the period."""
    if kind is not None:
        where = overdue_conditions(filters, regions, today, kinds=[kind])
    else:
        where = [*case_conditions(filters, regions, at=Case.created_at),
                 Deadline.rule == rule]
        if outcome is not None:
            where.append(compliance_bucket(today) == outcome)
    centre = aliased(Organisation)
    rows = (select(Deadline.id, Deadline.rule, Deadline.due_date, Deadline.status,
                   Deadline.provisional, Deadline.closed_at, Deadline.case_id,
                   Case.number.label("case_number"), Case.status.label("case_status"),
                   Project.name.label("project_name"), Region.name.label("region_name"),
                   centre.name.label("centre_name"))
            .join(Case, Case.id == Deadline.case_id)
            .outerjoin(Project, Project.id == Case.project_id)
            .outerjoin(Region, Region.code == Case.region_code)
            .outerjoin(centre, centre.id == Case.legal_aid_org_id)
            .where(*where).order_by(Deadline.due_date, Deadline.id))
    totals = select(func.count(Deadline.id)).join(Case, Case.id == Deadline.case_id).where(*where)
    return _page(session, totals, rows, number, ("deadlines",))


STEP_RULES = {rule: step for step, (_label, rule, _limit) in STEPS.items()}


# --- silent boards -------------------------------------------------------------------------------

def silent_boards(filters: Filters, regions: list[str] | None, today: date) -> Select[Any]:
    """Boards with no scan for 30 days (boards.services.stale_boards), narrowed to a contractor
    or project; each with its project, contractor and county loaded in the same statement."""
    query = stale_boards(regions, today)
    if filters.project is not None:
        query = query.where(Project.id == filters.project)
    if filters.contractor is not None:
        query = query.where(Project.contractor_id == filters.contractor)
    return query


def boards_count(filters: Filters, regions: list[str] | None, today: date) -> Select[Any]:
    query = silent_boards(filters, regions, today)
    return select(func.count()).select_from(query.order_by(None).subquery())


@dataclass(frozen=True)
class BoardPage:
    page: Page[Board]
    last_scans: dict[int, date]  # boards never scanned are left out


def boards_page(session: Session, filters: Filters, regions: list[str] | None, today: date,
                number: int, per_page: int = PER_PAGE) -> BoardPage:
    """A page of silent boards with each one's last scan, in two statements (the count, then
    the boards with their projects, contractors, counties and last scan day)."""
    total = int(session.scalar(boards_count(filters, regions, today)) or 0)
    number = min(max(1, number), max(1, -(-total // per_page)))
    last = (select(func.max(BoardScan.day)).where(BoardScan.board_id == Board.id)
            .correlate(Board).scalar_subquery().label("last_scan"))
    rows = session.execute(silent_boards(filters, regions, today).add_columns(last)
                           .limit(per_page).offset((number - 1) * per_page)).unique().all()
    page = Page(items=[row[0] for row in rows], number=number, per_page=per_page, total=total)
    return BoardPage(page, {row[0].id: row[1] for row in rows if row[1] is not None})
