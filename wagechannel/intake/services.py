"""Storing a report first, exactly as the worker gave it (routing is cases' work)."""
from __future__ import annotations

import hmac
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wagechannel.accounts.models import User
from wagechannel.boards.models import Board
from wagechannel.crypto import keyring
from wagechannel.db import utcnow
from wagechannel.intake.evidence import ProcessedFile
from wagechannel.intake.models import LEAD_RECEIVED, LEAD_ROUTED, EvidenceFile, Lead
from wagechannel.intake.validation import LeadInput
from wagechannel.places.models import Project
from wagechannel.tokens import is_code, normalise, random_code

CODE_LENGTH = 8  # 40 random bits


STATUS_LABELS = {
    LEAD_RECEIVED: "已收到，正在转交法律援助中心",
    LEAD_ROUTED: "已转交法律援助中心，等待受理",
}


def store_lead(session: Session, data: LeadInput, *, board: Board | None, channel: str,
               idempotency_key: str | None = None, now: datetime | None = None,
               region_code: str | None = None, project: Project | None = None,
               files: Sequence[ProcessedFile] = (), upload_key: str | None = None,
               taken_by: User | None = None) -> Lead:
    """Add the lead as the worker gave it, with its files. The caller commits before anything
    else happens. The site comes from the board, else from the project or region given."""
    project = board.project if board else project
    now = now or utcnow()
    keys = keyring()
    lead = Lead(code=random_code(CODE_LENGTH), channel=channel,
                board_id=board.id if board else None,
                project_id=project.id if project else None,
                region_code=project.region_code if project else region_code,
                site_name=data.site_name, site_address=data.site_address,
                taken_by_id=taken_by.id if taken_by else None,
                name=data.name, phone=data.phone,
                phone_hash=keys.digest(data.phone) if data.phone else None,
                id_number=data.id_number,
                id_number_hash=keys.digest(data.id_number) if data.id_number else None,
                id_consent_at=now if data.id_number else None,
                employer_kind=data.employer_kind, employer_name=data.employer_name,
                employer_phone=data.employer_phone, subcontractor_name=data.subcontractor_name,
                trade=data.trade, amount_owed_fen=data.amount_owed_fen,
                months_unpaid=data.months_unpaid, workers_affected=data.workers_affected,
                work_start=data.work_start, work_end=data.work_end,
                employment_status=data.employment_status,
                work_end_precision=data.work_end_precision, demanded_on=data.demanded_on,
                award_kind=data.award_kind, award_date=data.award_date,
                evidence=list(data.evidence), urgent=list(data.urgent), hometown=data.hometown,
                best_time=data.best_time, description=data.description, wants=data.wants,
                consent_at=now, idempotency_key=idempotency_key, status=LEAD_RECEIVED)
    session.add(lead)
    session.flush()
    if upload_key:
        drop_replaced_stash(session, upload_key, files)
        for waiting in session.scalars(select(EvidenceFile).where(
                EvidenceFile.upload_key == upload_key, EvidenceFile.lead_id.is_(None))):
            waiting.lead_id = lead.id
    for processed in files:
        session.add(evidence_row(processed, lead_id=lead.id))
    session.flush()
    return lead


def evidence_row(processed: ProcessedFile, *, lead_id: int | None = None,
                  upload_key: str | None = None) -> EvidenceFile:
    return EvidenceFile(lead_id=lead_id, upload_key=upload_key, kind=processed.kind,
                        content_type=processed.content_type, size=len(processed.data),
                        sha256=processed.sha256, data=processed.data)


def drop_replaced_stash(session: Session, upload_key: str, files: Sequence[ProcessedFile]) -> None:
    """A new voice note replaces the one kept from an earlier try (a report has one)."""
    if any(processed.kind == "voice" for processed in files):
        for waiting in session.scalars(select(EvidenceFile).where(
                EvidenceFile.upload_key == upload_key, EvidenceFile.lead_id.is_(None),
                EvidenceFile.kind == "voice")):
            session.delete(waiting)
        session.flush()


def stash_uploads(session: Session, upload_key: str, files: Sequence[ProcessedFile]) -> None:
    """Keep files from a form that failed validation, so the worker need not pick them again."""
    drop_replaced_stash(session, upload_key, files)
    for processed in files:
        session.add(evidence_row(processed, upload_key=upload_key))
    session.flush()


def stashed_counts(session: Session, upload_key: str) -> dict[str, int]:
    rows = session.execute(select(EvidenceFile.kind, func.count(EvidenceFile.id))
                           .where(EvidenceFile.upload_key == upload_key,
                                  EvidenceFile.lead_id.is_(None))
                           .group_by(EvidenceFile.kind))
    return {kind: int(count) for kind, count in rows}


def phone_suffix_matches(lead: Lead, digits: str) -> bool:
    """The worker proves it is their report with the last four digits of the phone they left."""
    digits = unicodedata.normalize("NFKC", digits or "").strip()  # ５６７８ from a Chinese keyboard
    if not lead.phone or len(digits) != 4 or not (digits.isascii() and digits.isdigit()):
        return False
    return hmac.compare_digest(lead.phone[-4:], digits)


def find_by_idempotency_key(session: Session, key: str) -> Lead | None:
    return session.scalar(select(Lead).where(Lead.idempotency_key == key))


def find_by_code(session: Session, code: str) -> Lead | None:
    code = normalise(code)
    if not is_code(code, CODE_LENGTH):
        return None
    return session.scalar(select(Lead).where(Lead.code == code))


def public_status(lead: Lead) -> tuple[str, str]:
    """What the worker may know: a status word and its Chinese label, nothing personal."""
    if lead.case is not None:
        if lead.case.status == "pending":
            return "pending", STATUS_LABELS[LEAD_ROUTED]
        return lead.case.status, lead.case.status_label
    return lead.status, STATUS_LABELS.get(lead.status, lead.status)


def store_unique(session: Session, data: LeadInput, *, board: Board | None, channel: str,
                 idempotency_key: str | None, **details: Any) -> tuple[Lead, bool]:
    """Store a lead once per idempotency key; a repeat (even a concurrent one) gets the first.

    No lookup first: the insert itself finds a repeat (the key is unique), and a clash of
    random receipt codes (40 bits) is simply tried again.
    """
    for _attempt in range(3):
        try:
            lead = store_lead(session, data, board=board, channel=channel,
                              idempotency_key=idempotency_key, **details)
            return lead, True
        except IntegrityError:
            session.rollback()
            if idempotency_key:
                existing = find_by_idempotency_key(session, idempotency_key)
                if existing is not None:
                    return existing, False
    raise RuntimeError("could not store the lead: receipt codes clashed three times")


def lead_count(session: Session, project_id: int) -> int:
    """How many reports name a project (for offices; never shown to its contractor)."""
    return int(session.scalar(select(func.count(Lead.id)).where(Lead.project_id == project_id))
               or 0)
