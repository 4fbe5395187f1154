"""Cases: priority with reasons, opening a case for a lead, and who may see which case."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, false, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from wagechannel.accounts.models import User
from wagechannel.cases.models import Case
from wagechannel.deadlines.limits import (AID_BEFORE_REVIEW_DAYS, ARBITRATION, CLOSE_DAYS,
                                          LimitFacts, days_left_text, facts_of, governing_limit)
from wagechannel.intake.models import Lead
from wagechannel.tokens import random_code


def priority_for(lead: Any, today: date) -> tuple[int, list[str]]:
    """A score for ordering the queue, and the reasons a person reads beside it. `lead` is a
    stored Lead or a LeadInput (the same attribute names)."""
    score = 0
    reasons: list[str] = []
    if "conflict" in (lead.urgent or []):
        score += 80
        reasons.append("发生冲突或受到威胁")
    if "no_money" in (lead.urgent or []):
        score += 60
        reasons.append("没钱吃饭或回家")
    limit_score, limit_reasons = _limit_priority(facts_of(lead), today)
    score += limit_score
    reasons.extend(limit_reasons)
    if lead.workers_affected >= 10:
        score += 50
        reasons.append(f"{lead.workers_affected}人被欠薪，可能是群体性案件")
    elif lead.workers_affected >= 3:
        score += 20
        reasons.append(f"{lead.workers_affected}人被欠薪")
    if lead.amount_owed_fen is not None:
        if lead.amount_owed_fen >= 100_000 * 100:
            score += 20
            reasons.append("欠薪金额10万元以上")
        elif lead.amount_owed_fen >= 20_000 * 100:
            score += 10
            reasons.append("欠薪金额2万元以上")
    if "iou" in (lead.evidence or []):
        reasons.append("有工资欠条：可直接向法院起诉（劳动争议司法解释（一）第15条）")
    if lead.wants == "legal_aid":
        score += 5
        reasons.append("申请法律援助")
    return score, reasons


def _limit_priority(facts: LimitFacts, today: date) -> tuple[int, list[str]]:
    """Time limits: the closer, the higher. A limit that seems past is never demoted below
    "no money for food": a demand for pay restarts the year and the employer must raise the
    limit (LDMAL art. 27), so it needs prompt review."""
    limit = governing_limit(facts)
    if limit is None:
        if facts.award_kind and facts.award_date is None:
            return 60, ["已收到裁决书或判决书，收到日期不明：起诉期限只有15天，需尽快核实"]
        if facts.end_unknown:
            return 60, ["离职时间不明，需尽快核实仲裁时效"]
        return 0, []
    days = limit.days_left(today)
    note = "（按离职月份的1日估算）" if limit.estimated else ""
    note += "（含未公布年份的节假日，暂定）" if limit.provisional else ""
    when = f"{limit.label}最后一天 {limit.last_day.isoformat()}，{days_left_text(days)}{note}"
    if limit.kind != ARBITRATION:
        if days < 0:
            return 60, [f"{when}：需尽快核实送达日期（劳动争议调解仲裁法第48条、第50条）"]
        return 100, [f"{when}：可先行提供法律援助（法律援助法第44条）"]
    if days < 0:
        return 65, [f"{when}：如曾讨要工资或老板答应支付，时效重新计算，需尽快核实（劳动争议调解仲裁法第27条）"]
    if days < AID_BEFORE_REVIEW_DAYS:
        return 100, [f"{when}：可先行提供法律援助（法律援助法第44条）"]
    if days <= CLOSE_DAYS:
        return 60, [f"{when}（劳动争议调解仲裁法第27条）"]
    return 0, []


def new_case_values(lead: Any, *, legal_aid_org_id: int, bureau_org_id: int | None,
                    project_id: int | None, region_code: str | None, today: date,
                    now: datetime) -> dict[str, Any]:
    """The row of a priority case for one lead, in the centre's queue (green channel: no
    hardship check). `lead` is a stored lead or the validated input about to become one."""
    # A random number, known before the insert. Never the receipt code: with a phone's last
    # four digits, that code opens the worker's messages.
    return {"number": f"WC{today.year}-{random_code(8)}", "legal_aid_org_id": legal_aid_org_id,
            "bureau_org_id": bureau_org_id, "project_id": project_id,
            "region_code": region_code, "status": "pending", "created_at": now,
            "updated_at": now, **case_priority([lead], today)}


def visible_cases(user: User) -> Select[tuple[Case]]:
    """The queue a user sees, most urgent first, with what a row shows loaded alongside
    (claimants in one more statement, the project joined): a constant number of statements
    per page. The order matches the queue indexes on legal_case."""
    query = (select(Case).options(selectinload(Case.claimants), joinedload(Case.project))
             .order_by(Case.priority.desc(), Case.created_at, Case.id))
    if user.role == "admin":
        return query
    if user.role == "legal_aid_staff":
        return query.where(Case.legal_aid_org_id == user.organisation_id)
    if user.role == "lawyer":
        return query.where(Case.lawyer_id == user.id)
    if user.role == "bureau_liaison":
        return query.where(Case.bureau_org_id == user.organisation_id)
    return query.where(false())


def can_view_case(user: User, case: Case) -> bool:
    if user.role == "admin":
        return True
    if user.role == "legal_aid_staff":
        return case.legal_aid_org_id == user.organisation_id
    if user.role == "lawyer":
        return case.lawyer_id == user.id
    if user.role == "bureau_liaison":
        return case.bureau_org_id == user.organisation_id
    return False


def sees_personal_data(user: User) -> bool:
    """Legal-aid staff and lawyers contact the worker; a liaison and admin see it masked."""
    return user.role in {"legal_aid_staff", "lawyer"}


OPEN_STATUSES = ("pending", "accepted", "decided", "assigned", "in_progress")


PRIORITY_FIELDS = ("priority", "priority_reasons", "limitation_end", "limitation_kind",
                   "limitation_provisional")


def case_priority(leads: Sequence[Any], today: date) -> dict[str, Any]:
    """A case's priority, reasons and nearest time limit, from its leads."""
    score, reasons = max((priority_for(lead, today) for lead in leads), key=lambda pair: pair[0])
    limits = [limit for limit in (governing_limit(facts_of(lead)) for lead in leads) if limit]
    nearest = min(limits, key=lambda limit: limit.last_day) if limits else None
    return {"priority": score, "priority_reasons": reasons,
            "limitation_end": nearest.last_day if nearest else None,
            "limitation_kind": nearest.kind if nearest else None,
            "limitation_provisional": bool(nearest and nearest.provisional)}


def apply_priority(case: Case, leads: Sequence[Any], today: date) -> bool:
    """Set a case's priority fields from its leads; True if anything changed."""
    if not leads:
        return False
    values = case_priority(leads, today)
    if all(getattr(case, name) == values[name] for name in PRIORITY_FIELDS):
        return False
    for name in PRIORITY_FIELDS:
        setattr(case, name, values[name])
    return True


REFRESH_BATCH = 500


def refresh_priorities(session: Session, today: date, *, after_id: int = 0,
                       batch: int = REFRESH_BATCH) -> tuple[int, int | None]:
    """Recompute one batch of the open cases whose reasons can change today: those whose
    nearest limit is within CLOSE_DAYS or past (the days left are in their reasons). Nothing
    else in a reason depends on the date. Returns (cases changed, the id to continue after, or
    None when done); leads come in one statement per batch. Flushes, never commits."""
    cases = list(session.scalars(
        select(Case).options(selectinload(Case.leads))
        .where(Case.status.in_(OPEN_STATUSES), Case.limitation_end.is_not(None),
               Case.limitation_end <= today + timedelta(days=CLOSE_DAYS), Case.id > after_id)
        .order_by(Case.id).limit(batch)))
    changed = sum(apply_priority(case, case.leads, today) for case in cases)
    session.flush()
    return changed, cases[-1].id if len(cases) == batch else None


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


