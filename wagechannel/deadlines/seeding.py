"""The deadlines every new case starts with, seeded by the reminder tick (never on the report
path, which is kept short):

- `first_contact`: the centre calls the worker back within FIRST_CONTACT_WORKING_DAYS working
  days of the report (a service target, rules.py). One per case, from the case's creation.
  It is met by the first contact staff record, message to the worker, or acceptance of the
  application, whichever came first (the views settle it at once; the tick catches the rest).
- the worker's own time limit, one per report (source ``lead:<id>``): the arbitration year from
  the end of employment or a later demand for pay (LDMAL art. 27), or the 15 days to sue or
  appeal when the worker already holds an award or judgment — `limits.governing_limit`, and
  only when the facts give one (an unknown end of employment gives none: staff must ask).

Both are found by an indexed anti-join over recent cases and reports (SEED_WINDOW_DAYS), in
batches; the first tick ever walks every open case once (the backfill) and leaves a mark in the
audit log so no tick does it again.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, cast, exists, func, literal, or_, select, tuple_
from sqlalchemy.orm import Session, load_only

from wagechannel.cases.models import Case, CaseContact, CaseRoute
from wagechannel.clock import local
from wagechannel.deadlines.limits import APPEAL, ARBITRATION, SUE, facts_of, governing_limit
from wagechannel.deadlines.models import Deadline
from wagechannel.deadlines.rules import due_date
from wagechannel.intake.models import Lead, LeadMessage

OPEN_CASES = ("pending", "accepted", "decided", "assigned", "in_progress")
FIRST_CONTACT = "first_contact"
FIRST_CONTACT_SOURCE = "intake"
LIMIT_RULES = {ARBITRATION: "arbitration_limitation", SUE: "suit_after_award",
               APPEAL: "appeal_after_judgment"}
# A filing that meets a worker's limit (LDMAL art. 27: asking a competent body for help).
MET_BY_FILING = {"arbitration_limitation": ("arbitration", "litigation", "payment_order"),
                 "suit_after_award": ("litigation",), "appeal_after_judgment": ("litigation",)}
BACKFILL_MARK = "deadlines_backfilled"


def lead_source(lead_id: int) -> str:
    return f"lead:{lead_id}"


# --- finding what lacks its deadlines ----------------------------------------------------------

Cursor = tuple[datetime, int]  # (created_at, id) of the last row of the batch before


def _after(created: Any, key: Any, cursor: Cursor | None, since: datetime | None) -> list[Any]:
    """Rows from `since` after the cursor, in (created_at, id) order: the created_at index
    drives the scan, so a tick reads the window, not the table."""
    conditions = []
    if since is not None:
        conditions.append(created >= since)
    if cursor is not None:
        conditions += [created >= cursor[0], tuple_(created, key) > tuple_(
            literal(cursor[0], created.type), literal(cursor[1], key.type))]
    return conditions


def cases_lacking_first_contact(session: Session, *, since: datetime | None,
                                cursor: Cursor | None, limit: int) -> list[Any]:
    """Open cases without a first-contact deadline (of any status), oldest first."""
    query = (select(Case.id, Case.created_at, Case.accepted_at)
             .where(Case.status.in_(OPEN_CASES), *_after(Case.created_at, Case.id, cursor, since),
                    ~exists().where(Deadline.case_id == Case.id, Deadline.rule == FIRST_CONTACT))
             .order_by(Case.created_at, Case.id).limit(limit))
    return list(session.execute(query))


def _gives_a_limit() -> Any:
    """The facts `governing_limit` turns into a limit: an award with its date, or a known end
    of employment of a worker who no longer works there."""
    return or_(and_(Lead.award_kind.is_not(None), Lead.award_date.is_not(None)),
               and_(or_(Lead.employment_status.is_(None), Lead.employment_status != "working"),
                    Lead.work_end.is_not(None)))


def leads_lacking_limit(session: Session, *, since: datetime | None, cursor: Cursor | None,
                        limit: int) -> list[Lead]:
    """Reports on open cases whose time limit is known but not yet a deadline of the case,
    oldest first."""
    source = literal("lead:", String) + cast(Lead.id, String)
    query = (select(Lead)
             .options(load_only(Lead.id, Lead.case_id, Lead.created_at, Lead.employment_status,
                                Lead.work_end, Lead.work_end_precision, Lead.demanded_on,
                                Lead.award_kind, Lead.award_date))
             .join(Case, Case.id == Lead.case_id)
             .where(Case.status.in_(OPEN_CASES), Lead.erased_at.is_(None), _gives_a_limit(),
                    *_after(Lead.created_at, Lead.id, cursor, since),
                    ~exists().where(Deadline.case_id == Lead.case_id, Deadline.source == source))
             .order_by(Lead.created_at, Lead.id).limit(limit))
    return list(session.scalars(query))


# --- evidence that a deadline was met ----------------------------------------------------------

def first_contacts(session: Session, case_ids: Sequence[int]) -> dict[int, datetime]:
    """The first recorded contact or message to a worker of each case (two statements)."""
    if not case_ids:
        return {}
    found: dict[int, datetime] = {}
    contacts = session.execute(select(CaseContact.case_id, func.min(CaseContact.at))
                               .where(CaseContact.case_id.in_(list(case_ids)))
                               .group_by(CaseContact.case_id))
    messages = session.execute(select(Lead.case_id, func.min(LeadMessage.created_at))
                               .join(Lead, Lead.id == LeadMessage.lead_id)
                               .where(Lead.case_id.in_(list(case_ids)),
                                      LeadMessage.direction == "to_worker")
                               .group_by(Lead.case_id))
    for case_id, at in (*contacts, *messages):
        at = _aware(at)
        if case_id is not None and at is not None and (case_id not in found
                                                        or at < found[case_id]):
            found[case_id] = at
    return found


def filings(session: Session, case_ids: Sequence[int]) -> dict[int, list[tuple[str, Any]]]:
    """Each case's routes with a filing date: (kind, filed_on)."""
    if not case_ids:
        return {}
    found: dict[int, list[tuple[str, Any]]] = {}
    for case_id, kind, filed in session.execute(
            select(CaseRoute.case_id, CaseRoute.kind, CaseRoute.filed_on)
            .where(CaseRoute.case_id.in_(list(case_ids)), CaseRoute.filed_on.is_not(None))):
        found.setdefault(case_id, []).append((kind, filed))
    return found


def _aware(at: datetime | None) -> datetime | None:
    from datetime import timezone
    if at is None:
        return None
    return at if at.tzinfo is not None else at.replace(tzinfo=timezone.utc)


def settle_by(deadline: Deadline, at: datetime) -> None:
    """Met, or missed when the event came after the last day (local dates)."""
    day = local(at).date()  # type: ignore[union-attr]
    deadline.status = "met" if day <= deadline.due_date else "missed"
    deadline.closed_at = at


# --- seeding ---------------------------------------------------------------------------------

def seed_first_contacts(session: Session, rows: Iterable[Any], *, now: datetime,
                        working_days: int) -> int:
    rows = list(rows)
    contacted = first_contacts(session, [row.id for row in rows])
    for row in rows:
        created = _aware(row.created_at) or now
        due = due_date(FIRST_CONTACT, local(created).date(), amount=working_days)  # type: ignore[union-attr]
        deadline = Deadline(case_id=row.id, rule=FIRST_CONTACT, trigger_date=due.trigger,
                            due_date=due.due, provisional=due.provisional, status="open",
                            source=FIRST_CONTACT_SOURCE, created_at=now)
        evidence = [at for at in (contacted.get(row.id), _aware(row.accepted_at)) if at]
        if evidence:
            settle_by(deadline, min(evidence))
        session.add(deadline)
    session.flush()
    return len(rows)


def seed_limits(session: Session, leads: Iterable[Lead], *, now: datetime) -> int:
    made = 0
    for lead in leads:
        limit = governing_limit(facts_of(lead))
        if limit is None or lead.case_id is None:
            continue
        rule = LIMIT_RULES[limit.kind]
        due = due_date(rule, limit.start)
        session.add(Deadline(case_id=lead.case_id, rule=rule, trigger_date=limit.start,
                             due_date=due.due, provisional=due.provisional, status="open",
                             source=lead_source(lead.id), created_at=now))
        made += 1
    session.flush()
    return made


DONE = object()  # a kind of row with nothing left in this pass


def seed_batch(session: Session, *, now: datetime, working_days: int, since: datetime | None,
               cases: Cursor | None | object, leads: Cursor | None | object,
               limit: int) -> tuple[int, Cursor | object, Cursor | object]:
    """One batch of each kind still going; returns (deadlines made, next case cursor, next
    lead cursor), DONE for a kind that has no more."""
    made = 0
    next_cases: Cursor | object = DONE
    next_leads: Cursor | object = DONE
    if cases is not DONE:
        rows = cases_lacking_first_contact(session, since=since, cursor=cases,  # type: ignore[arg-type]
                                           limit=limit)
        made += seed_first_contacts(session, rows, now=now, working_days=working_days)
        if len(rows) == limit:
            next_cases = (rows[-1].created_at, rows[-1].id)
    if leads is not DONE:
        found = leads_lacking_limit(session, since=since, cursor=leads,  # type: ignore[arg-type]
                                    limit=limit)
        made += seed_limits(session, found, now=now)
        if len(found) == limit:
            next_leads = (found[-1].created_at, found[-1].id)
    return made, next_cases, next_leads


def window_start(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)
