"""The in-app inbox of reminders, and the outbox as administrators see it (failures, retry)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, joinedload

from wagechannel.accounts.models import User
from wagechannel.deadlines.models import REMINDER_STATUSES, Deadline, Reminder
from wagechannel.paging import Page, paginate

OUTBOX_FILTERS = {"failed": "发送失败", "pending": "待发送", "sent": "已发送", "all": "全部"}


def _mine(user: User) -> tuple[object, ...]:
    return (Reminder.user_id == user.id, Reminder.channel == "inapp")


def inbox_page(session: Session, user: User, number: int) -> Page[Reminder]:
    """Newest first, each with its deadline (one statement, and one to count)."""
    query = (select(Reminder).where(*_mine(user))
             .options(joinedload(Reminder.deadline))
             .order_by(Reminder.id.desc()))
    return paginate(session, query, number)


def unread_count(session: Session, user: User) -> int:
    return int(session.scalar(select(func.count(Reminder.id))
                              .where(*_mine(user), Reminder.read_at.is_(None))) or 0)


def reminder_for(session: Session, user: User, reminder_id: int) -> Reminder | None:
    """The user's own in-app reminder, or None."""
    found = session.get(Reminder, reminder_id)
    if found is None or found.user_id != user.id or found.channel != "inapp":
        return None
    return found


def mark_read(reminder: Reminder, now: datetime) -> None:
    if reminder.read_at is None:
        reminder.read_at = now


def mark_all_read(session: Session, user: User, now: datetime) -> int:
    result = session.execute(update(Reminder).where(*_mine(user), Reminder.read_at.is_(None))
                             .values(read_at=now).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def _outgoing() -> object:
    """What leaves the application (e-mail, robots), and in-app rows nobody could receive."""
    return or_(Reminder.channel != "inapp", Reminder.status == "failed")


def outbox_page(session: Session, status: str, number: int) -> Page[Reminder]:
    """Messages other than the inbox's (and the in-app ones nobody could receive), newest
    first, with their recipient and deadline."""
    query = (select(Reminder).where(_outgoing())
             .options(joinedload(Reminder.user), joinedload(Reminder.deadline)
                      .joinedload(Deadline.case))
             .order_by(Reminder.id.desc()))
    if status in REMINDER_STATUSES:
        query = query.where(Reminder.status == status)
    return paginate(session, query, number)


def outbox_counts(session: Session) -> dict[str, int]:
    """How many messages are in each state (one statement)."""
    counts = dict.fromkeys(REMINDER_STATUSES, 0)
    for status, count in session.execute(select(Reminder.status, func.count(Reminder.id))
                                         .where(_outgoing()).group_by(Reminder.status)):
        counts[status] = int(count)
    return counts


def retry(session: Session, reminder: Reminder, now: datetime) -> bool:
    """A failed message goes back to the outbox, with a fresh count of attempts."""
    if reminder.status != "failed" or reminder.channel == "inapp":
        return False
    reminder.status, reminder.attempts, reminder.next_attempt_at = "pending", 0, now
    session.flush()
    return True


def retry_failed(session: Session, now: datetime) -> int:
    result = session.execute(update(Reminder).where(Reminder.status == "failed",
                                                    Reminder.channel != "inapp")
                             .values(status="pending", attempts=0, next_attempt_at=now)
                             .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)
