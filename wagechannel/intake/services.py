"""Storing a report first, then routing it to the offices that serve the site."""
from __future__ import annotations

import hmac
import unicodedata
import logging
from collections.abc import Sequence
from typing import Any
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wagechannel.accounts.models import User
from wagechannel.boards.models import Board
from wagechannel.cases.models import Case
from wagechannel.cases.services import open_case
from wagechannel.crypto import keyring
from wagechannel.db import utcnow
from wagechannel.errors import DomainError
from wagechannel.intake.evidence import ProcessedFile
from wagechannel.intake.models import LEAD_RECEIVED, LEAD_ROUTED, EvidenceFile, Lead, LeadMessage
from wagechannel.intake.validation import LeadInput
from wagechannel.places.models import Project
from wagechannel.validation import clean_text
from wagechannel.places.models import BUREAU, LEGAL_AID
from wagechannel.places.services import serving_organisations
from wagechannel.tokens import is_code, normalise, random_code

log = logging.getLogger(__name__)
CODE_LENGTH = 8  # 40 random bits


class RoutingFailed(Exception):
    pass


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


def route_lead(session: Session, lead: Lead, *, today: date) -> Case:
    """Send a stored lead to the legal-aid centre and bureau serving its site; open its case."""
    if lead.case_id is not None:
        return session.get_one(Case, lead.case_id)
    if lead.region_code is None:
        raise RoutingFailed("没有项目所在地，无法确定管辖机构")
    offices = serving_organisations(session, lead.region_code)
    centre, bureau = offices.get(LEGAL_AID), offices.get(BUREAU)
    if centre is None:
        raise RoutingFailed(f"行政区划 {lead.region_code} 没有对应的法律援助中心")
    lead.legal_aid_org_id = centre.id
    lead.bureau_org_id = bureau.id if bureau else None
    case = open_case(session, lead, legal_aid_org=centre, bureau_org=bureau, today=today)
    lead.status = LEAD_ROUTED
    lead.routing_error = None
    session.flush()
    return case


def route_after_commit(session: Session, lead_id: int, *, today: date,
                       stored: Lead | None = None) -> bool:
    """Route a lead that is already committed; on failure record why and leave it received.

    Commits its own work. The lead itself is never at risk here: it was
    committed before this ran, and a failed routing is retried later by
    `wagechannel leads route`.
    """
    try:
        # A lead this request just stored is routed as it is: the scheduler leaves young leads
        # alone. Otherwise SKIP LOCKED (PostgreSQL): a lead another process holds is left to it.
        lead = stored if stored is not None and stored.id == lead_id else session.scalar(
            select(Lead).where(Lead.id == lead_id, Lead.status == LEAD_RECEIVED)
            .with_for_update(skip_locked=True))
        if lead is None:
            session.rollback()
            return False
        route_lead(session, lead, today=today)
        session.commit()
        return True
    except Exception as error:  # any failure: keep the lead, note why, retry later
        session.rollback()
        log.warning("routing lead %s failed: %s", lead_id, error)
        try:
            lead = session.get_one(Lead, lead_id)
            if lead.status == LEAD_RECEIVED:  # another process may have routed it meanwhile
                lead.routing_error = str(error)[:256]
            session.commit()
        except Exception:
            session.rollback()
            log.exception("could not record routing failure for lead %s", lead_id)
        return False


RETRY_AFTER = timedelta(minutes=2)  # younger leads are still being routed by their request


def unrouted_lead_ids(session: Session, *, min_age: timedelta = RETRY_AFTER) -> list[int]:
    cutoff = utcnow() - min_age
    return list(session.scalars(select(Lead.id).where(Lead.status == LEAD_RECEIVED,
                                                      Lead.created_at < cutoff)
                                .order_by(Lead.id)))


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


def lead_count(session: Session, project_id: int) -> int:
    """How many reports name a project (for offices; never shown to its contractor)."""
    return int(session.scalar(select(func.count(Lead.id)).where(Lead.project_id == project_id))
               or 0)
