"""Collective cases (群体性案件): reports about the same boss at the same site join one case;
staff merge two cases or split a worker out. Each worker stays a claimant with their own lead
(amount, consent, contact, messages).

Grouping runs inside the report's one transaction (intake.services.store_report through
routing.open_case), so it is written for the fewest statements:

1. what only the database knows about the report's context — the same boss's other cases
   within 90 days, counted up to REPEAT_CAP (the contractor's other sites with cases are
   counted once a minute per process) — and, on PostgreSQL, transaction-level advisory locks
   on the site and the boss's name, then the site and the boss's phone. Two reports about one boss
   arriving together would otherwise both find no case and open two; the lock makes the second
   wait until the first commits, and its next statement (a new snapshot under READ COMMITTED)
   then finds the first one's case. SQLite serialises writers already (BEGIN IMMEDIATE).
2. the open case to join and its reports, in one statement (FOR UPDATE on PostgreSQL), found
   through ix_legal_case_grouping (project_id, employer_key, created_at), or by the phone from
   the site's reports.
Then either the new case is inserted, or the joined case updated once (worker count, collective
level, priority and tier recomputed from all its reports).
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (Boolean, Row, and_, bindparam, exists, false, func, or_, select,
                        update)
from sqlalchemy.orm import Session

from wagechannel.accounts.models import User
from wagechannel.accounts.services import record
from wagechannel.cache import ProcessCache
from wagechannel.cases.models import Case, CaseContact, Claimant
from wagechannel.cases.priority import (OPEN_STATUSES, REPEAT_CAP, CaseContext, CaseSettings,
                                        case_priority, local_wage, reprioritise, repeat_since)
from wagechannel.db import utcnow
from wagechannel.deadlines import records, seeding
from wagechannel.deadlines.models import Deadline
from wagechannel.errors import DomainError
from wagechannel.intake.models import Lead
from wagechannel.places.models import Project
from wagechannel.tokens import random_code

# --- who the workers say owes them ------------------------------------------------------------

_BRACKETED = re.compile(r"[(\[【].*?[)\]】]")
# Words around a boss's name that say what they are, not who: "王老板", "王总", "老王",
# "示范劳务有限公司" and "示范劳务公司" are each one boss.
NOISE_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "分公司", "公司", "集团", "包工头",
                  "班组长", "老板", "老总", "工头", "经理", "班组", "班长", "总")
KEY_LENGTH = 64


def phone_digits(phone: str | None) -> str | None:
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", phone or ""))
    return digits or None


def employer_key(name: str | None, phone: str | None = None) -> str | None:
    """The boss a report names, normalised: full-width to half-width, case folded, notes in
    brackets, spaces and punctuation dropped, "老板/包工头/公司…" trimmed off the end (and
    "老" off "老王"). Without a usable name, the boss's phone ("tel:" and its digits)."""
    if name:
        text = unicodedata.normalize("NFKC", name).casefold()
        text = _BRACKETED.sub("", text) or text
        text = "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")
        trimmed = True
        while trimmed:
            trimmed = False
            for suffix in NOISE_SUFFIXES:
                if text.endswith(suffix) and len(text) > len(suffix):
                    text, trimmed = text[:-len(suffix)], True
                    break
        if len(text) == 2 and text[0] == "老":
            text = text[1:]
        if text:
            return text[:KEY_LENGTH]
    digits = phone_digits(phone)
    return f"tel:{digits}"[:KEY_LENGTH] if digits else None


def employer_key_of(lead: Any) -> str | None:
    return employer_key(getattr(lead, "employer_name", None), getattr(lead, "employer_phone", None))


def new_case_number(today: date) -> str:
    # A random number, known before the insert. Never the receipt code: with a phone's last
    # four digits, that code opens the worker's messages.
    return f"WC{today.year}-{random_code(8)}"


# --- grouping on the report path --------------------------------------------------------------

_case = Case.__table__
_lead = Lead.__table__
_project = Project.__table__
# Advisory locks (PostgreSQL), two int4 keys: a class, and a hash of the site and the boss's
# name or phone. Reports about different bosses at one site do not wait for each other.
LOCK_BY_NAME, LOCK_BY_PHONE = 0x5743, 0x5744
# What a case's priority reads from each of its reports.
LEAD_PRIORITY_COLUMNS = ("urgent", "evidence", "workers_affected", "amount_owed_fen", "wants",
                         "employment_status", "work_end", "work_end_precision", "demanded_on",
                         "award_kind", "award_date", "vulnerable", "phone_hash")


def _open_in_window(case: Any) -> Any:
    """An open case of the same centre and project, opened within the window."""
    return and_(case.c.project_id == bindparam("g_project"),
                case.c.legal_aid_org_id == bindparam("g_centre"),
                case.c.status.in_(OPEN_STATUSES),
                case.c.created_at >= bindparam("g_cutoff", type_=_case.c.created_at.type))


def _same_phone(case: Any) -> Any:
    """A report on the case gave the same boss's phone (hyphens aside)."""
    lead = _lead.alias("grouped_lead")
    return exists().where(lead.c.case_id == case.c.id,
                          func.replace(lead.c.employer_phone, "-", "") == bindparam("g_phone"))


def _candidate(case: Any, *, by_phone: bool) -> Any:
    """A case this report would join: open, same centre and project, within the window, naming
    the same boss (normalised name, or a report with the same boss's phone)."""
    same_boss = case.c.employer_key == bindparam("g_key")
    return and_(_open_in_window(case), or_(same_boss, _same_phone(case)) if by_phone else same_boss)


def _other_sites() -> Any:
    """The general contractor's other sites with a case within 90 days, counted up to
    REPEAT_CAP (the contractor's projects by index, a case of each by ix_legal_case_grouping)."""
    contractor = (select(_project.c.contractor_id).where(_project.c.id == bindparam("g_project"))
                  .scalar_subquery())
    site, site_case = _project.alias("other_site"), _case.alias("site_case")
    sites = (select(site.c.id).where(
        site.c.contractor_id == contractor, site.c.id != bindparam("g_project"),
        exists().where(site_case.c.project_id == site.c.id,
                       site_case.c.created_at >= bindparam("g_since",
                                                           type_=_case.c.created_at.type))))
    return select(func.count()).select_from(sites.limit(REPEAT_CAP).subquery())


def _other_boss_cases(*, by_phone: bool) -> Any:
    """Other cases naming the same boss at the contractor's sites within 90 days, counted up to
    REPEAT_CAP; the case this report joins is not "other" (ix_legal_case_grouping)."""
    contractor = (select(_project.c.contractor_id).where(_project.c.id == bindparam("g_project"))
                  .scalar_subquery())
    other = _case.alias("other_case")
    sites = select(_project.c.id).where(_project.c.contractor_id == contractor)
    cases = select(other.c.id).where(
        other.c.project_id.in_(sites), other.c.employer_key == bindparam("g_key"),
        other.c.created_at >= bindparam("g_since", type_=_case.c.created_at.type),
        ~func.coalesce(_candidate(other, by_phone=by_phone), false(), type_=Boolean))
    return select(func.count()).select_from(cases.limit(REPEAT_CAP).subquery()).scalar_subquery()


def _find(*, by_phone: bool) -> Any:
    """The earliest open case of the boss by name, else by phone, with its reports: each
    lookup an index search (ix_legal_case_grouping; the project's cases for the phone)."""
    named = _case.alias("named_case")
    found = (select(named.c.id).where(_open_in_window(named),
                                      named.c.employer_key == bindparam("g_key"))
             .order_by(named.c.created_at, named.c.id).limit(1).scalar_subquery())
    if by_phone:
        # From the site's reports that gave this phone (ix_lead_project_id) to their cases.
        dialled, caller = _case.alias("dialled_case"), _lead.alias("dialled_lead")
        by_number = (select(dialled.c.id)
                     .select_from(caller.join(dialled, dialled.c.id == caller.c.case_id))
                     .where(caller.c.project_id == bindparam("g_project"),
                            func.replace(caller.c.employer_phone, "-", "") == bindparam("g_phone"),
                            _open_in_window(dialled))
                     .order_by(dialled.c.created_at, dialled.c.id).limit(1).scalar_subquery())
        found = func.coalesce(found, by_number)
    return (select(_case.c.id, _case.c.number, _case.c.bureau_org_id, _case.c.employer_key,
                   *(_lead.c[name] for name in LEAD_PRIORITY_COLUMNS))
            .select_from(_case.join(_lead, _lead.c.case_id == _case.c.id))
            .where(_case.c.id == found)
            .order_by(_lead.c.id)
            .with_for_update(of=_case))


def _locks(*, by_phone: bool) -> list[Any]:
    """The name's lock, then the phone's (evaluated in order), one of each at most: no two
    reports can wait for each other in a cycle."""
    return [func.pg_advisory_xact_lock(kind, bindparam(name))
            for kind, name, wanted in ((LOCK_BY_NAME, "g_lock_name", True),
                                       (LOCK_BY_PHONE, "g_lock_phone", by_phone)) if wanted]


def _lock_key(project_id: int, text: str) -> int:
    digest = hashlib.blake2b(f"{project_id}:{text}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big", signed=True)


# Built once: on the report path, building and caching statements costs more than running them.
# A variant per case: with or without the advisory locks (PostgreSQL), a boss's phone to match.
_FLAGS = (False, True)
_OTHER_SITES = _other_sites()
_CONTEXT = {(locked, by_phone): select(*(_locks(by_phone=by_phone) if locked else []),
                                       _other_boss_cases(by_phone=by_phone))
            for locked in _FLAGS for by_phone in _FLAGS}
_FIND = {by_phone: _find(by_phone=by_phone) for by_phone in _FLAGS}
JOINED_FIELDS = ("priority", "priority_reasons", "limitation_end", "limitation_kind",
                 "limitation_provisional", "tier", "tier_rank", "worker_count",
                 "collective_level", "updated_at")
_UPDATE_JOINED = (update(_case).where(_case.c.id == bindparam("b_id"))
                  .values({name: bindparam(f"b_{name}") for name in JOINED_FIELDS}))
# A site's contractor gains or loses other sites with cases rarely: each process counts them
# once a minute per site (and the daily refresh recounts the cases of a changed contractor).
_sites: ProcessCache[int] = ProcessCache("contractor's other sites")


def other_sites(session: Session, project_id: int, today: date) -> int:
    return _sites.get((project_id, today), lambda: int(session.connection().execute(
        _OTHER_SITES, {"g_project": project_id, "g_since": repeat_since(today)}).scalar_one()))


@dataclass
class Grouping:
    """Where a new report goes: the open case it joins (if any) and its context."""

    key: str | None
    context: CaseContext
    case_id: int | None = None
    number: str | None = None
    bureau_org_id: int | None = None
    leads: list[Row[Any]] = field(default_factory=list)  # the joined case's reports so far


def group_report(session: Session, lead: Any, *, project_id: int | None, region_code: str | None,
                 centre_id: int, today: date, now: datetime,
                 settings: CaseSettings) -> Grouping:
    """Find the open case a new report joins, and the context of its priority. Statements: none
    when the report names no boss (the site's context is cached per process); otherwise two
    (the locks and the boss's other cases, then the case to join with its reports)."""
    key = employer_key_of(lead)  # the boss's name, else "tel:" and the phone
    phone = phone_digits(getattr(lead, "employer_phone", None))
    wage = local_wage(session, project_id, region_code)
    if project_id is None:
        return Grouping(key, CaseContext(wage=wage, season=settings.season))
    context = CaseContext(other_contractor_sites=other_sites(session, project_id, today),
                          wage=wage, season=settings.season)
    if key is None:
        return Grouping(key, context)
    connection = session.connection()
    params = {"g_project": project_id, "g_centre": centre_id, "g_key": key,
              "g_phone": phone or "", "g_since": repeat_since(today),
              "g_cutoff": now - timedelta(days=settings.collective_window_days),
              "g_lock_name": _lock_key(project_id, key),
              "g_lock_phone": _lock_key(project_id, phone) if phone is not None else 0}
    locked = connection.dialect.name == "postgresql"
    row = connection.execute(_CONTEXT[locked, phone is not None], params).one()
    context = replace(context, other_boss_cases=int(row[-1]))
    rows = list(connection.execute(_FIND[phone is not None], params))
    if not rows:
        return Grouping(key, context)
    first = rows[0]
    return Grouping(first.employer_key or key, context, first.id, first.number,
                    first.bureau_org_id, rows)


def join_case(session: Session, grouping: Grouping, lead: Any, *, today: date,
              now: datetime) -> dict[str, Any]:
    """Count the report into the case it joins: one UPDATE (worker count, collective level,
    priority and tier from all its reports). Returns the values set."""
    values = case_priority([*grouping.leads, lead], today, grouping.context)
    values["updated_at"] = now
    session.connection().execute(_UPDATE_JOINED, {"b_id": grouping.case_id,
                                                  **{f"b_{name}": values[name]
                                                     for name in JOINED_FIELDS}})
    return values


# --- merging and splitting by staff ------------------------------------------------------------

class RegroupError(DomainError):
    """A merge or split the cases or the user's role do not allow."""


def may_regroup(user: User, case: Case) -> bool:
    """Staff of the case's centre (and administrators) merge and split its cases."""
    if user.role == "admin":
        return True
    return user.role == "legal_aid_staff" and user.organisation_id == case.legal_aid_org_id


def normalise_number(raw: Any) -> str:
    text = unicodedata.normalize("NFKC", raw if isinstance(raw, str) else "")
    return re.sub(r"\s", "", text).upper()[:32]


def case_by_number(session: Session, number: str) -> Case | None:
    return session.scalar(select(Case).where(Case.number == number)) if number else None


def _check_open(case: Case, what: str) -> None:
    if case.status not in OPEN_STATUSES:
        raise RegroupError(f"{what} {case.number} 现在是“{case.status_label}”，不能合并或拆分。")


def merge_cases(session: Session, target: Case, number: Any, user: User, *, today: date,
                ip: str | None = None) -> Case:
    """Merge the case numbered `number` into `target`: its claimants, reports (with their
    messages and files) and recorded contacts move; it is closed as merged. An audit event on
    both. Returns the emptied case."""
    if not may_regroup(user, target):
        raise RegroupError("您不能合并这个案件。")
    _check_open(target, "案件")
    wanted = normalise_number(number)
    if not wanted:
        raise RegroupError("请填写要并入本案的案号。", field="number")
    source = case_by_number(session, wanted)
    # Another centre's case is "not found": a number must not tell whether it exists elsewhere.
    if source is None or source.legal_aid_org_id != target.legal_aid_org_id \
            or not may_regroup(user, source):
        raise RegroupError(f"本中心没有案号为 {wanted} 的案件。", field="number")
    if source.id == target.id:
        raise RegroupError("不能把案件并入它自己，请填写另一个案件的案号。", field="number")
    _check_open(source, "案件")
    moved = [claimant.id for claimant in source.claimants]
    leads = [lead.id for lead in source.leads]
    for model in (Claimant, Lead, CaseContact):
        session.execute(update(model).where(model.case_id == source.id)
                        .values(case_id=target.id))
    _move_limits(session, source.id, target.id, leads)
    now = utcnow()
    source.status = "closed"
    source.closed_at = now
    source.outcome = "merged"
    source.outcome_note = f"已并入案件 {target.number}"
    source.worker_count = 0
    source.collective_level = None
    source.updated_at = now
    for assignment in source.assignments:
        if assignment.ended_at is None:
            assignment.ended_at = now
    records.cancel_open(session, source.id)  # the case's own steps go on in the target
    target.employer_key = target.employer_key or source.employer_key
    target.updated_at = now
    session.expire(source, ["claimants", "leads"])
    session.expire(target, ["claimants", "leads"])
    reprioritise(session, target, today)
    record(session, "case_merge", actor=user, object_type="case", object_id=target.id, ip=ip,
           merged_from=source.number, merged_from_id=source.id, claimants=moved, leads=leads)
    record(session, "case_merge", actor=user, object_type="case", object_id=source.id, ip=ip,
           merged_into=target.number, merged_into_id=target.id, claimants=moved, leads=leads)
    session.flush()
    return source


def _move_limits(session: Session, from_case: int, to_case: int, lead_ids: list[int]) -> None:
    """Each moving worker's own time limit (the deadline seeded from their report) goes with
    their report, whatever its state."""
    if lead_ids:
        session.execute(update(Deadline).where(
            Deadline.case_id == from_case,
            Deadline.source.in_([seeding.lead_source(lead_id) for lead_id in lead_ids]))
            .values(case_id=to_case))


# A split-out worker's case starts where the decision about them stood; a lawyer is assigned
# to the new case afresh.
SPLIT_STATUS = {"pending": "pending", "accepted": "accepted", "decided": "decided",
                "assigned": "decided", "in_progress": "decided"}
COPIED_ON_SPLIT = ("application_date", "accepted_at", "materials_requested",
                   "materials_requested_at", "materials_received_at", "decided_at",
                   "hardship_basis", "hardship_proof", "aid_before_review")


def split_claimant(session: Session, case: Case, claimant_id: int, user: User, *, today: date,
                   ip: str | None = None) -> Case:
    """Move one claimant out into a new case of the same centre, with their own report (amount,
    consent, contact, messages and files) and the contacts recorded about it. The new case
    names no boss for grouping: later reports keep joining the case the worker left."""
    if not may_regroup(user, case):
        raise RegroupError("您不能拆分这个案件。")
    _check_open(case, "案件")
    claimant = next((c for c in case.claimants if c.id == claimant_id), None)
    if claimant is None:
        raise RegroupError("这个案件没有这名当事人。", field="claimant")
    if len(case.claimants) < 2:
        raise RegroupError("案件只有这一名当事人，不需要拆分。", field="claimant")
    now = utcnow()
    lead = claimant.lead
    new = Case(number=new_case_number(today), legal_aid_org_id=case.legal_aid_org_id,
               bureau_org_id=case.bureau_org_id, project_id=case.project_id,
               region_code=case.region_code, status=SPLIT_STATUS[case.status],
               routed_above=case.routed_above, employer_key=None,
               created_at=lead.created_at if lead is not None else case.created_at,
               updated_at=now, **{name: getattr(case, name) for name in COPIED_ON_SPLIT})
    session.add(new)
    session.flush()
    claimant.case_id = new.id
    if lead is not None:
        lead.case_id = new.id
        session.execute(update(CaseContact).where(CaseContact.case_id == case.id,
                                                  CaseContact.lead_id == lead.id)
                        .values(case_id=new.id))
        _move_limits(session, case.id, new.id, [lead.id])
    case.updated_at = now
    session.flush()
    session.expire(case, ["claimants", "leads"])
    session.expire(new, ["claimants", "leads"])
    reprioritise(session, case, today)
    reprioritise(session, new, today)
    detail = {"claimant": claimant.id, "lead": lead.id if lead is not None else None}
    record(session, "case_split", actor=user, object_type="case", object_id=case.id, ip=ip,
           split_into=new.number, split_into_id=new.id, **detail)
    record(session, "case_split", actor=user, object_type="case", object_id=new.id, ip=ip,
           split_from=case.number, split_from_id=case.id, **detail)
    session.flush()
    return new
