"""Storing a report first, exactly as the worker gave it (routing is cases' work)."""
from __future__ import annotations

import hmac
import logging
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wagechannel.accounts.models import User
from wagechannel.boards.models import Board
from wagechannel.boards.services import TOKEN_LENGTH
from wagechannel.cache import ProcessCache
from wagechannel.cases.routing import (RoutingFailed, add_claimant, no_centre, offices_for,
                                       open_case)
from wagechannel.crypto import keyring
from wagechannel.db import utcnow
from wagechannel.errors import DomainError
from wagechannel.intake.evidence import ProcessedFile
from wagechannel.intake.models import LEAD_RECEIVED, LEAD_ROUTED, EvidenceFile, Lead
from wagechannel.intake.validation import LeadInput
from wagechannel.places.models import Project
from wagechannel.tokens import is_code, normalise, random_code

log = logging.getLogger(__name__)
CODE_LENGTH = 8  # 40 random bits


STATUS_LABELS = {
    LEAD_RECEIVED: "已收到，正在转交法律援助中心",
    LEAD_ROUTED: "已转交法律援助中心，等待受理",
}


@dataclass(frozen=True)
class Site:
    """Where a report comes from: a board (and its project), a project, or only a county."""

    board_id: int | None = None
    project_id: int | None = None
    region_code: str | None = None


# A board's project and county never change on the report path except by an edit of the
# project (watched by the cache), so each process keeps them a minute.
_sites: ProcessCache[Site | None] = ProcessCache("board sites")


def site_for_token(session: Session, token: str) -> Site | None:
    """The site a board token names (revoked boards still take reports), or None."""
    token = normalise(token)
    if not is_code(token, TOKEN_LENGTH):
        return None

    def load() -> Site | None:
        row = session.execute(select(Board.id, Board.project_id, Project.region_code)
                              .join(Project, Project.id == Board.project_id)
                              .where(Board.token == token)).first()
        return Site(row[0], row[1], row[2]) if row else None
    return _sites.get(token, load)


def site_of(board: Board | None = None, project: Project | None = None,
            region_code: str | None = None) -> Site:
    project = board.project if board is not None else project
    return Site(board_id=board.id if board is not None else None,
                project_id=project.id if project is not None else None,
                region_code=project.region_code if project is not None else region_code)


def lead_values(data: LeadInput, *, site: Site, channel: str, now: datetime,
                idempotency_key: str | None = None, fingerprint: str | None = None,
                taken_by_id: int | None = None) -> dict[str, Any]:
    """The row of a lead, as the worker gave it."""
    keys = keyring()
    return dict(code=random_code(CODE_LENGTH), channel=channel, board_id=site.board_id,
                project_id=site.project_id, region_code=site.region_code,
                site_name=data.site_name, site_address=data.site_address,
                taken_by_id=taken_by_id, name=data.name, phone=data.phone,
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
                evidence=list(data.evidence), urgent=list(data.urgent),
                vulnerable=list(data.vulnerable), hometown=data.hometown,
                best_time=data.best_time, description=data.description, wants=data.wants,
                consent_at=now, idempotency_key=idempotency_key,
                idempotency_fingerprint=fingerprint, status=LEAD_RECEIVED, created_at=now,
                updated_at=now)


def store_lead(session: Session, data: LeadInput, *, board: Board | None, channel: str,
               idempotency_key: str | None = None, now: datetime | None = None,
               region_code: str | None = None, project: Project | None = None,
               files: Sequence[ProcessedFile] = (), upload_key: str | None = None,
               taken_by: User | None = None) -> Lead:
    """Add the lead as the worker gave it, with its files, unrouted (the scheduler's retry
    path and tests; reports from workers go through store_report)."""
    lead = Lead(**lead_values(data, site=site_of(board, project, region_code), channel=channel,
                              now=now or utcnow(), idempotency_key=idempotency_key,
                              taken_by_id=taken_by.id if taken_by else None))
    session.add(lead)
    session.flush()
    attach_files(session, lead.id, files, upload_key)
    return lead


@dataclass(frozen=True)
class Receipt:
    """What the worker is told once the report is committed."""

    lead_id: int
    code: str
    status: str  # pending (in the centre's queue) or received (waiting for a retry)
    created: bool  # False: a repeat, answered with the first report


class KeyReused(DomainError):
    def __init__(self) -> None:
        super().__init__("这个 Idempotency-Key 已经用于另一份内容不同的反映；新的反映请换一个新的 Key。",
                         field="Idempotency-Key")


def store_report(session: Session, data: LeadInput, *, site: Site, channel: str,
                 idempotency_key: str | None = None, fingerprint: str | None = None,
                 files: Sequence[ProcessedFile] = (), upload_key: str | None = None,
                 taken_by_id: int | None = None, today: date) -> Receipt:
    """Store a report and open its case in the serving centre's queue, in one transaction:
    committed here, so the receipt is only given for a case in a queue (or, when no centre
    serves the site or routing fails, for a lead durably marked for the scheduler's retry).

    One write per row, as Core statements: the case, the lead (already routed), the claimant.
    No lookup first: a repeat of an idempotency key is found by the unique key's conflict.
    The session must hold no pending writes: a conflict rolls the transaction back.
    """
    for _attempt in range(3):
        now = utcnow()
        values = lead_values(data, site=site, channel=channel, now=now,
                             idempotency_key=idempotency_key, fingerprint=fingerprint,
                             taken_by_id=taken_by_id)
        try:
            try:
                receipt = _store_routed(session, data, values, site=site, files=files,
                                        upload_key=upload_key, today=today, now=now)
            except RoutingFailed as failed:
                session.rollback()
                receipt = _store_unrouted(session, values, str(failed), files, upload_key)
            except IntegrityError:
                raise
            except Exception as error:  # routing broke: keep the report, retry it later
                session.rollback()
                log.warning("routing a new report failed: %s", error)
                receipt = _store_unrouted(session, values, str(error), files, upload_key)
            return receipt
        except IntegrityError:
            session.rollback()
            if idempotency_key:
                existing = find_by_idempotency_key(session, idempotency_key)
                if existing is not None:
                    if fingerprint and existing.idempotency_fingerprint != fingerprint:
                        raise KeyReused() from None
                    status, _label = public_status(existing)
                    return Receipt(existing.id, existing.code, status, False)
    raise RuntimeError("could not store the report: receipt codes clashed three times")


def _store_routed(session: Session, data: LeadInput, values: dict[str, Any], *, site: Site,
                  files: Sequence[ProcessedFile], upload_key: str | None, today: date,
                  now: datetime) -> Receipt:
    if site.region_code is None:
        raise RoutingFailed(no_centre(None))
    offices = offices_for(session, site.region_code)
    case_id = open_case(session, data, offices=offices, project_id=site.project_id,
                        region_code=site.region_code, today=today, now=now)
    lead_id = _insert_lead(session, {**values, "case_id": case_id, "status": LEAD_ROUTED,
                                     "legal_aid_org_id": offices.centre_id,
                                     "bureau_org_id": offices.bureau_id})
    add_claimant(session, case_id=case_id, lead_id=lead_id, name=data.name,
                 amount_owed_fen=data.amount_owed_fen)
    attach_files(session, lead_id, files, upload_key)
    session.commit()
    return Receipt(lead_id, values["code"], "pending", True)


def _store_unrouted(session: Session, values: dict[str, Any], reason: str,
                    files: Sequence[ProcessedFile], upload_key: str | None) -> Receipt:
    lead_id = _insert_lead(session, {**values, "routing_error": reason[:256]})
    attach_files(session, lead_id, files, upload_key)
    session.commit()
    return Receipt(lead_id, values["code"], LEAD_RECEIVED, True)


_INSERT_LEAD = insert(Lead.__table__).returning(Lead.__table__.c.id)  # compiled once


def _insert_lead(session: Session, values: dict[str, Any]) -> int:
    return int(session.connection().execute(_INSERT_LEAD, values).scalar_one())


def attach_files(session: Session, lead_id: int, files: Sequence[ProcessedFile],
                 upload_key: str | None) -> None:
    """The report's files: those uploaded now, and those kept from an earlier try of its form."""
    table = EvidenceFile.__table__
    if upload_key:
        drop_replaced_stash(session, upload_key, files)
        session.execute(update(table).where(table.c.upload_key == upload_key,
                                            table.c.lead_id.is_(None)).values(lead_id=lead_id))
    if files:
        session.execute(insert(table), [
            {"lead_id": lead_id, "kind": f.kind, "content_type": f.content_type,
             "size": len(f.data), "sha256": f.sha256, "data": f.data, "created_at": utcnow()}
            for f in files])


def evidence_row(processed: ProcessedFile, *, lead_id: int | None = None,
                  upload_key: str | None = None) -> EvidenceFile:
    return EvidenceFile(lead_id=lead_id, upload_key=upload_key, kind=processed.kind,
                        content_type=processed.content_type, size=len(processed.data),
                        sha256=processed.sha256, data=processed.data)


def drop_replaced_stash(session: Session, upload_key: str, files: Sequence[ProcessedFile]) -> None:
    """A new voice note replaces the one kept from an earlier try (a report has one)."""
    if any(processed.kind == "voice" for processed in files):
        session.execute(delete(EvidenceFile).where(
            EvidenceFile.upload_key == upload_key, EvidenceFile.lead_id.is_(None),
            EvidenceFile.kind == "voice"), execution_options={"synchronize_session": False})


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
    return hmac.compare_digest(lead.phone[-4:].encode(), digits.encode())


def find_by_idempotency_key(session: Session, key: str) -> Lead | None:
    return session.scalar(select(Lead).where(Lead.idempotency_key == key))


def find_by_code(session: Session, code: str) -> Lead | None:
    code = normalise(code)
    if not is_code(code, CODE_LENGTH):
        return None
    return session.scalar(select(Lead).where(Lead.code == code))


# The case's state as the worker reads it on /q/<code>: plain words, nothing personal.
WORKER_STATUS_LABELS = {
    "accepted": "法律援助中心已受理您的申请",
    "decided": "已决定给您法律援助，正在安排律师",
    "assigned": "已给您指派律师",
    "in_progress": "律师正在为您办理",
    "refused": "法律援助中心决定不给予法律援助",
    "closed": "已结案",
}
WORKER_OUTCOME_LABELS = {
    "recovered": "欠薪已经追回",
    "partial": "追回了一部分欠薪",
    "withdrawn": "您撤回了申请",
    "unreachable": "联系不上您，暂时结案",
    "transferred": "已转给其他机构办理",
}


def public_status(lead: Lead) -> tuple[str, str]:
    """What the worker may know: a status word and its Chinese label, nothing personal."""
    case = lead.case
    if case is not None:
        if case.status == "pending":
            return "pending", STATUS_LABELS[LEAD_ROUTED]
        if case.status == "accepted" and case.materials_requested_at is not None \
                and case.materials_received_at is None:
            return "accepted", "法律援助中心已受理，需要您补充材料"
        if case.status == "closed" and case.outcome in WORKER_OUTCOME_LABELS:
            return "closed", f"已结案：{WORKER_OUTCOME_LABELS[case.outcome]}"
        return case.status, WORKER_STATUS_LABELS.get(case.status, case.status_label)
    return lead.status, STATUS_LABELS.get(lead.status, lead.status)


def lead_count(session: Session, project_id: int) -> int:
    """How many reports name a project (for offices; never shown to its contractor)."""
    return int(session.scalar(select(func.count(Lead.id)).where(Lead.project_id == project_id))
               or 0)
