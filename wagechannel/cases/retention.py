"""Personal data is kept no longer than the purpose needs (PIPL art. 19).

A closed case's workers' phone and identity-card numbers, names, hometowns, free text, photos,
voice notes and messages are erased a configurable number of years after closing (default 3).
What is left (amounts, dates, the site, the employer's name) still counts in statistics and
identifies nobody. Runs in the scheduler, in batches, each its own short transaction.
"""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from wagechannel.accounts.services import record
from wagechannel.cases.models import Case, Claimant
from wagechannel.deadlines.rules import add_years
from wagechannel.intake.models import EvidenceFile, Lead, LeadMessage

log = logging.getLogger(__name__)
BATCH = 200


def erasure_cutoff(now: datetime, years: int) -> datetime:
    """The same moment `years` earlier (29 February becomes the 28th)."""
    earlier = add_years(now.date(), -years)
    return now.replace(year=earlier.year, month=earlier.month, day=earlier.day)


def erase_batch(session: Session, *, now: datetime, years: int, batch: int = BATCH) -> int:
    """Erase the personal data of up to `batch` leads whose case closed `years` ago; flushes,
    never commits. Returns how many leads were erased (0: nothing left to do)."""
    cutoff = erasure_cutoff(now, years)
    ids = list(session.scalars(
        select(Lead.id).join(Case, Case.id == Lead.case_id)
        .where(Case.closed_at.is_not(None), Case.closed_at < cutoff, Lead.erased_at.is_(None))
        .order_by(Lead.id).limit(batch)))
    if not ids:
        return 0
    plain = {"synchronize_session": False}
    session.execute(delete(EvidenceFile).where(EvidenceFile.lead_id.in_(ids)),
                    execution_options=plain)
    session.execute(delete(LeadMessage).where(LeadMessage.lead_id.in_(ids)),
                    execution_options=plain)
    session.execute(update(Claimant).where(Claimant.lead_id.in_(ids)).values(name=None),
                    execution_options=plain)
    session.execute(update(Lead).where(Lead.id.in_(ids)).values(
        name=None, phone=None, phone_hash=None, id_number=None, id_number_hash=None,
        id_consent_at=None, hometown=None, description=None, best_time=None, erased_at=now),
        execution_options=plain)
    session.expire_all()  # the statements above bypass the objects already loaded
    record(session, "personal_data_erased", object_type="lead", object_id=f"{ids[0]}-{ids[-1]}",
           leads=len(ids), retention_years=years)
    session.flush()
    return len(ids)
