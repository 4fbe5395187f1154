"""A case's deadlines as records: opened by the event that starts them, settled by the event
that meets them, recomputed (and the move audited) when a trigger date is corrected."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from wagechannel.accounts.models import User
from wagechannel.accounts.services import record
from wagechannel.db import utcnow
from wagechannel.deadlines.models import Deadline
from wagechannel.deadlines.rules import due_date

__all__ = ["due_date", "open_deadline", "settle", "cancel_open", "correct_trigger",
           "case_deadlines", "deadlines_shown", "nearest_open"]

OPEN = "open"


def open_deadline(session: Session, case_id: int, rule: str, trigger: date, *,
                  source: str | None = None, amount: int | None = None) -> Deadline:
    """A new open deadline; an open one of the same rule and source is recomputed instead (a
    corrected trigger date), so each obligation has one record."""
    existing = session.scalar(select(Deadline).where(
        Deadline.case_id == case_id, Deadline.rule == rule, Deadline.status == OPEN,
        Deadline.source == source if source is not None else Deadline.source.is_(None)))
    due = due_date(rule, trigger, amount=amount)
    if existing is not None:
        existing.trigger_date, existing.due_date, existing.provisional = (
            trigger, due.due, due.provisional)
        session.flush()
        return existing
    deadline = Deadline(case_id=case_id, rule=rule, trigger_date=trigger, due_date=due.due,
                        provisional=due.provisional, status=OPEN, source=source)
    session.add(deadline)
    session.flush()
    return deadline


def settle(session: Session, case_id: int, rules: Iterable[str], *, today: date,
           source: str | None = None) -> list[Deadline]:
    """The event that meets these deadlines happened: met, or missed when it came late."""
    query = select(Deadline).where(Deadline.case_id == case_id, Deadline.status == OPEN,
                                   Deadline.rule.in_(list(rules)))
    if source is not None:
        query = query.where(Deadline.source == source)
    settled = list(session.scalars(query))
    for deadline in settled:
        deadline.status = "met" if today <= deadline.due_date else "missed"
        deadline.closed_at = utcnow()
    session.flush()
    return settled


def cancel_open(session: Session, case_id: int) -> int:
    """A case closed or refused: what is still open no longer binds anyone."""
    cancelled = list(session.scalars(select(Deadline).where(Deadline.case_id == case_id,
                                                            Deadline.status == OPEN)))
    for deadline in cancelled:
        deadline.status, deadline.closed_at = "cancelled", utcnow()
    session.flush()
    return len(cancelled)


def correct_trigger(session: Session, deadline: Deadline, trigger: date, *, user: User,
                    ip: str | None = None) -> tuple[date, date]:
    """A trigger date corrected: the due date moves, and the timeline says what moved and who
    changed it. Returns (old due, new due)."""
    old = deadline.due_date
    due = due_date(deadline.rule, trigger)
    deadline.trigger_date, deadline.due_date, deadline.provisional = (
        trigger, due.due, due.provisional)
    record(session, "deadline_moved", actor=user, object_type="case",
           object_id=deadline.case_id, ip=ip, rule=deadline.rule, trigger=trigger.isoformat(),
           due_from=old.isoformat(), due_to=due.due.isoformat())
    session.flush()
    return old, due.due


def case_deadlines(session: Session, case_id: int) -> list[Deadline]:
    return list(session.scalars(select(Deadline).where(Deadline.case_id == case_id)
                                .order_by(Deadline.status != OPEN, Deadline.due_date)))


def deadlines_shown(session: Session, case_id: int) -> list[Deadline]:
    """A case's deadlines as its page lists them, open first, with who acknowledged them (one
    statement)."""
    return list(session.scalars(select(Deadline).where(Deadline.case_id == case_id)
                                .options(joinedload(Deadline.acknowledged_by))
                                .order_by(Deadline.status != OPEN, Deadline.due_date,
                                          Deadline.id)))


def nearest_open(session: Session, case_ids: Sequence[int]) -> dict[int, Deadline]:
    """The nearest open deadline of each case, for a list (one statement)."""
    if not case_ids:
        return {}
    nearest: dict[int, Deadline] = {}
    for deadline in session.scalars(select(Deadline).where(
            Deadline.case_id.in_(list(case_ids)), Deadline.status == OPEN)
            .order_by(Deadline.due_date)):
        nearest.setdefault(deadline.case_id, deadline)
    return nearest
