"""Cases: priority with reasons, opening a case for a lead, and who may see which case."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session

from wagechannel.accounts.models import User
from wagechannel.cases.models import Case, Claimant
from wagechannel.deadlines.calendar import roll_to_working_day
from wagechannel.intake.models import Lead
from wagechannel.places.models import Organisation
from wagechannel.tokens import random_code


def limitation_end(work_end: date) -> date:
    """Arbitration limitation for wages: one year from the end of employment (LDMAL art. 27);
    a last day on a rest day or holiday moves to the next working day (CPL art. 85)."""
    try:
        end = work_end.replace(year=work_end.year + 1)
    except ValueError:  # 29 February
        end = work_end.replace(year=work_end.year + 1, day=28)
    return roll_to_working_day(end)[0]


def priority_for(lead: Lead, today: date) -> tuple[int, list[str]]:
    """A score for ordering the queue, and the reasons a person reads beside it."""
    score = 0
    reasons: list[str] = []
    if "conflict" in (lead.urgent or []):
        score += 80
        reasons.append("发生冲突或受到威胁")
    if "no_money" in (lead.urgent or []):
        score += 60
        reasons.append("没钱吃饭或回家")
    if lead.work_end is not None:
        days_left = (limitation_end(lead.work_end) - today).days
        if days_left < 0:
            score += 20
            reasons.append("离职已满一年，需尽快核实仲裁时效是否中断（劳动争议调解仲裁法第27条）")
        elif days_left < 7:
            score += 100
            reasons.append(f"仲裁时效还剩{days_left}天，可先行提供法律援助（法律援助法第44条）")
        elif days_left <= 30:
            score += 60
            reasons.append(f"仲裁时效还剩{days_left}天（劳动争议调解仲裁法第27条）")
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
    if lead.wants == "legal_aid":
        score += 5
        reasons.append("申请法律援助")
    return score, reasons


def open_case(session: Session, lead: Lead, *, legal_aid_org: Organisation,
              bureau_org: Organisation | None, today: date) -> Case:
    """A priority case for one lead, in the centre's queue (green channel: no hardship check)."""
    score, reasons = priority_for(lead, today)
    # A random number, known before the insert. Never the receipt code: with a phone's last
    # four digits, that code opens the worker's messages.
    case = Case(number=f"WC{today.year}-{random_code(8)}", legal_aid_org_id=legal_aid_org.id,
                bureau_org_id=bureau_org.id if bureau_org else None,
                project_id=lead.project_id, region_code=lead.region_code, status="pending",
                priority=score, priority_reasons=reasons)
    case.claimants.append(Claimant(lead_id=lead.id, name=lead.name,
                                   amount_owed_fen=lead.amount_owed_fen))
    lead.case = case
    session.add(case)
    session.flush()
    return case


def visible_cases(user: User) -> Select[tuple[Case]]:
    """The queue a user sees, most urgent first."""
    query = select(Case).order_by(Case.priority.desc(), Case.created_at, Case.id)
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


def refresh_priorities(session: Session, today: date) -> int:
    """Recompute the priority of open cases: time limits come closer every day."""
    changed = 0
    for case in session.scalars(select(Case).where(Case.status.in_(OPEN_STATUSES))):
        scores = [priority_for(lead, today) for lead in case.leads]
        if not scores:
            continue
        score, reasons = max(scores, key=lambda pair: pair[0])
        if (score, reasons) != (case.priority, case.priority_reasons):
            case.priority, case.priority_reasons = score, reasons
            changed += 1
    session.flush()
    return changed
