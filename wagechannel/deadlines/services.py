"""Calendar entries an administrator makes, and the computation of a rule's due date."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from wagechannel.accounts.models import User
from wagechannel.cache import ProcessCache, watch
from wagechannel.deadlines.calendar import published_until
from wagechannel.deadlines.models import CalendarEntry
from wagechannel.deadlines.rules import Due, due_date
from wagechannel.errors import DomainError
from wagechannel.validation import clean_text

_entries: ProcessCache[Mapping[date, bool]] = ProcessCache("calendar entries")
watch(CalendarEntry)


def calendar_entries(session: Session) -> Mapping[date, bool]:
    """Every entry, kept a minute per process (cleared at once by a change in this one)."""
    return _entries.get("all", lambda: {
        entry.day: entry.working for entry in session.scalars(select(CalendarEntry))})


def entry_list(session: Session, year: int | None = None) -> list[CalendarEntry]:
    query = select(CalendarEntry).order_by(CalendarEntry.day)
    if year is not None:
        query = query.where(CalendarEntry.day >= date(year, 1, 1),
                            CalendarEntry.day <= date(year, 12, 31))
    return list(session.scalars(query))


def set_entry(session: Session, day: date, *, working: bool, note: str | None,
              user: User | None) -> CalendarEntry:
    """Declare a day a holiday or a working day (a State Council notice, a local change)."""
    text = clean_text(note)
    if text and len(text) > 128:
        raise DomainError("说明太长了，最多128个字。", field="note")
    entry = session.get(CalendarEntry, day)
    if entry is None:
        entry = CalendarEntry(day=day)
        session.add(entry)
    entry.working = working
    entry.note = text
    entry.created_by_id = user.id if user else None
    session.flush()
    return entry


def remove_entry(session: Session, day: date) -> bool:
    entry = session.get(CalendarEntry, day)
    if entry is None:
        return False
    session.delete(entry)
    session.flush()
    return True


def next_year_unpublished(session: Session, today: date) -> bool:
    """From November, a warning while next year's schedule is neither published nor entered."""
    if today.month < 11 or published_until() > today.year:
        return False
    first = date(today.year + 1, 1, 1)
    return session.scalar(select(CalendarEntry.day).where(CalendarEntry.day >= first)
                          .limit(1)) is None


def compute_due(code: str, trigger: date, config: Mapping[str, object]) -> Due:
    """A rule's last day from a trigger, as every deadline record is computed (the command
    line and the case page's calculator): first contact with the centre's configured target."""
    if code == "first_contact":
        from wagechannel.deadlines.settings import reminder_settings
        return due_date(code, trigger, amount=reminder_settings(config).first_contact_days)
    return due_date(code, trigger)
