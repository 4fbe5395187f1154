"""Messages between staff and a worker about a lead, shown at /q/<code>."""
from __future__ import annotations

from sqlalchemy.orm import Session

from wagechannel.accounts.models import User
from wagechannel.db import utcnow
from wagechannel.errors import DomainError
from wagechannel.intake.models import Lead, LeadMessage
from wagechannel.validation import clean_text


def add_message(session: Session, lead: Lead, body: str, *, direction: str,
                author: User | None = None) -> LeadMessage:
    text = clean_text(body, multiline=True)
    if not text:
        raise DomainError("请写下要说的话。", field="body")
    if len(text) > 2000:
        raise DomainError("太长了，最多2000个字。", field="body")
    message = LeadMessage(lead_id=lead.id, direction=direction, body=text,
                          author_id=author.id if author else None)
    session.add(message)
    lead.updated_at = utcnow()
    session.flush()
    return message
