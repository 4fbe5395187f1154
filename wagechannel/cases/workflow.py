"""The green channel after the queue: one state machine for every case (Legal Aid Law arts.
41–44, 48; LEGAL.md section 2).

    待受理 pending ──accept──> 已受理 accepted ──grant──> 已决定给予 decided ──assign──> 已指派 assigned
                                   │  └─refuse─> 不予 refused                    │
                                   │   request_materials / receive_materials      start_route
                                   v                                              v
                               (flag on accepted)            办理中 in_progress ──close──> 已结案 closed
                                                                                            │ reopen
    An urgent case (fewer than 7 days before a time limit) may be granted straight from
    pending: aid before review (art. 44), the application recorded at the same time.

Each action is one function taking the acting user; an illegal move raises WorkflowError with
a Chinese reason. Every action is an audit event on the case (its timeline). Services flush,
never commit.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wagechannel.accounts.models import User
from wagechannel.accounts.services import record
from wagechannel.cases.models import (HARDSHIP_BASES, OUTCOMES, PAYERS,
                                      ROUTE_DATES, ROUTES, Assignment, Case, CaseRoute)
from wagechannel.clock import local, local_today
from wagechannel.db import utcnow
from wagechannel.deadlines import records
from wagechannel.deadlines.limits import AID_BEFORE_REVIEW_DAYS
from wagechannel.errors import DomainError
from wagechannel.validation import Invalid, clean_text, parse_yuan

MAX_TEXT = 2000
MAX_AMOUNT_FEN = 100_000_000 * 100


class WorkflowError(DomainError):
    """An action the case's state or the user's role does not allow (HTTP 409 in the API)."""


@dataclass(frozen=True)
class Transition:
    label: str  # the button and the timeline say this
    sources: tuple[str, ...]  # states the action may start from
    target: str | None  # None: the state stays (a flag or a date is recorded)
    lawyer_may: bool = True  # an assigned lawyer may do it too (not: assign)


OPEN = ("pending", "accepted", "decided", "assigned", "in_progress")
TRANSITIONS: dict[str, Transition] = {
    "accept": Transition("受理", ("pending",), "accepted"),
    "request_materials": Transition("一次性告知补充材料", ("accepted",), None),
    "receive_materials": Transition("材料已补齐", ("accepted",), None),
    "grant": Transition("决定给予法律援助", ("accepted", "pending"), "decided"),
    "refuse": Transition("决定不予法律援助", ("accepted",), "refused"),
    "assign": Transition("指派律师", ("decided", "assigned", "in_progress"), "assigned",
                         lawyer_may=False),
    "start_route": Transition("开始办理", ("assigned", "in_progress"), "in_progress"),
    "record_date": Transition("记录办理日期", ("in_progress",), None),
    "close": Transition("结案", ("decided", "assigned", "in_progress"), "closed"),
    "reopen": Transition("重新办理", ("closed", "refused"), None),
}


def allowed_actions(user: User, case: Case) -> list[str]:
    """The actions this user may take on this case now, in the order of the workflow."""
    return [name for name, step in TRANSITIONS.items()
            if case.status in step.sources and _may(user, case, step)]


def may_take(user: User, case: Case, action: str) -> bool:
    """Whether this user's role lets them take this action on this case (whatever its state)."""
    return _may(user, case, TRANSITIONS[action])


def _may(user: User, case: Case, step: Transition) -> bool:
    if user.role == "admin":
        return True
    if user.role == "legal_aid_staff":
        return case.legal_aid_org_id == user.organisation_id
    if user.role == "lawyer":
        return step.lawyer_may and case.lawyer_id == user.id
    return False


def _begin(case: Case, user: User, action: str) -> Transition:
    step = TRANSITIONS[action]
    if not _may(user, case, step):
        raise WorkflowError("您不能对这个案件做这一步。")
    if case.status not in step.sources:
        raise WorkflowError(f"案件现在是“{case.status_label}”，不能{step.label}。")
    return step


def _finish(session: Session, case: Case, user: User, action: str, ip: str | None,
            **detail: Any) -> Case:
    step = TRANSITIONS[action]
    before = case.status
    if step.target is not None:
        case.status = step.target
    case.updated_at = utcnow()
    record(session, f"case_{action}", actor=user, object_type="case", object_id=case.id, ip=ip,
           status_from=before, status_to=case.status, **detail)
    session.flush()
    return case


def _text(raw: Any, field: str, label: str, *, required: bool = True) -> str | None:
    value = clean_text(raw, multiline=True) if isinstance(raw, str | None) else None
    if value is None and raw is not None and not isinstance(raw, str):
        raise WorkflowError(f"{label}格式不对。", field=field)
    if required and not value:
        raise WorkflowError(f"请填写{label}。", field=field)
    if value and len(value) > MAX_TEXT:
        raise WorkflowError(f"{label}太长了，最多{MAX_TEXT}个字。", field=field)
    return value


# --- the actions --------------------------------------------------------------------------

def accept(session: Session, case: Case, user: User, *, today: date,
           ip: str | None = None) -> Case:
    """The application is received: the decision's 7 days run from this date (art. 43)."""
    _begin(case, user, "accept")
    case.application_date = today
    case.accepted_at = utcnow()
    records.open_deadline(session, case.id, "legal_aid_decision", today)
    return _finish(session, case, user, "accept", ip, application_date=today.isoformat())


def request_materials(session: Session, case: Case, user: User, *, items: list[str],
                      ip: str | None = None) -> Case:
    """Everything missing, told once and all at once (art. 43); the decision clock pauses."""
    _begin(case, user, "request_materials")
    if case.materials_requested_at is not None:
        raise WorkflowError("补充材料只能一次性告知，已经告知过了。")
    cleaned = [item for item in (clean_text(raw) for raw in items if isinstance(raw, str)) if item]
    if not cleaned:
        raise WorkflowError("请写明需要补充的每一项材料。", field="items")
    if len(cleaned) > 30 or any(len(item) > 200 for item in cleaned):
        raise WorkflowError("材料清单太长了：最多30项，每项200字以内。", field="items")
    case.materials_requested = cleaned
    case.materials_requested_at = utcnow()
    return _finish(session, case, user, "request_materials", ip, items=cleaned)


def receive_materials(session: Session, case: Case, user: User, *,
                      ip: str | None = None) -> Case:
    """The materials arrived: the decision's 7 days resume, the waiting time added (the Ministry
    of Justice's procedural rules leave it out of the review period)."""
    _begin(case, user, "receive_materials")
    if case.materials_requested_at is None or case.materials_received_at is not None:
        raise WorkflowError("没有等待补充的材料。")
    case.materials_received_at = utcnow()
    waited = (local(case.materials_received_at).date()  # type: ignore[union-attr]
              - local(case.materials_requested_at).date()).days  # type: ignore[union-attr]
    for deadline in records.case_deadlines(session, case.id):
        if deadline.rule == "legal_aid_decision" and deadline.status == "open":
            deadline.due_date = records.due_date(
                "legal_aid_decision", deadline.trigger_date, paused_days=waited).due
    return _finish(session, case, user, "receive_materials", ip, waited_days=waited)


def materials_pending(case: Case) -> bool:
    return case.materials_requested_at is not None and case.materials_received_at is None


def grant(session: Session, case: Case, user: User, *, basis: str, proof: str | None = None,
          aid_before_review: bool = False, days_left: int | None = None, today: date,
          ip: str | None = None) -> Case:
    """Aid granted. The hardship basis is recorded: exempt as a migrant worker claiming wages
    (art. 42(3), with the proof noted) or the worker's signed commitment (art. 41). From pending
    only as aid before review (art. 44): fewer than 7 days before a time limit."""
    _begin(case, user, "grant")
    if basis not in HARDSHIP_BASES:
        raise WorkflowError("请选择经济困难状况的依据。", field="basis")
    proof_text = _text(proof, "proof", "证明材料说明", required=basis == "exempt_42_3")
    if case.status == "pending":
        if not aid_before_review:
            raise WorkflowError("案件还没有受理：先受理，或在期限不足7天时先行提供法律援助。")
        if days_left is None or days_left >= AID_BEFORE_REVIEW_DAYS:
            raise WorkflowError("离期限还有7天以上，不能先行提供法律援助（法律援助法第44条）。")
        case.application_date = today
        case.accepted_at = utcnow()
    if materials_pending(case) and not aid_before_review:
        raise WorkflowError("还在等待补充材料，材料补齐后再作决定。")
    case.hardship_basis = basis
    case.hardship_proof = proof_text
    case.aid_before_review = aid_before_review
    case.decided_at = utcnow()
    records.settle(session, case.id, ["legal_aid_decision"], today=today)
    records.open_deadline(session, case.id, "legal_aid_assignment", today)
    return _finish(session, case, user, "grant", ip, basis=basis,
                   aid_before_review=aid_before_review)


def refuse(session: Session, case: Case, user: User, *, reason: str, referral: str,
           ip: str | None = None) -> Case:
    """A refusal in writing with reasons (art. 43) and where to go instead; the worker sees both
    and the right to object within 5 days (art. 49)."""
    _begin(case, user, "refuse")
    case.refusal_reason = _text(reason, "reason", "不予法律援助的理由")
    case.refusal_referral = _text(referral, "referral", "建议去哪里求助")
    case.decided_at = utcnow()
    records.settle(session, case.id, ["legal_aid_decision"], today=local_today())
    records.cancel_open(session, case.id)
    return _finish(session, case, user, "refuse", ip)


def lawyers_of(session: Session, case: Case) -> list[tuple[User, int]]:
    """The centre's lawyers, each with the number of open cases they hold (one query)."""
    from sqlalchemy import func

    open_count = (select(Case.lawyer_id, func.count(Case.id).label("open"))
                  .where(Case.status.in_(OPEN)).group_by(Case.lawyer_id).subquery())
    rows = session.execute(
        select(User, func.coalesce(open_count.c.open, 0))
        .outerjoin(open_count, open_count.c.lawyer_id == User.id)
        .where(User.role == "lawyer", User.organisation_id == case.legal_aid_org_id,
               User.is_active_account.is_(True))
        .order_by(User.display_name, User.id))
    return [(lawyer, int(count)) for lawyer, count in rows]


def assign(session: Session, case: Case, user: User, *, lawyer: User | None,
           ip: str | None = None) -> Case:
    """Assign (or reassign) a lawyer of the centre; the earlier assignment ends, its history
    stays. The 3 days of art. 43 run from the decision."""
    _begin(case, user, "assign")
    if lawyer is None or lawyer.role != "lawyer" or not lawyer.is_active_account \
            or lawyer.organisation_id != case.legal_aid_org_id:
        raise WorkflowError("请从本中心的律师中选择。", field="lawyer")
    if lawyer.id == case.lawyer_id:
        raise WorkflowError("已经指派给这位律师了。", field="lawyer")
    now = utcnow()
    for current in case.assignments:
        if current.ended_at is None:
            current.ended_at = now
    session.add(Assignment(case=case, lawyer_id=lawyer.id, assigned_by_id=user.id,
                           assigned_at=now))
    previous = case.lawyer_id
    records.settle(session, case.id, ["legal_aid_assignment"], today=local_today())
    case.lawyer_id = lawyer.id
    case.assigned_at = case.assigned_at or now
    keep_state = case.status == "in_progress"
    result = _finish(session, case, user, "assign", ip, lawyer=lawyer.username,
                     previous_lawyer_id=previous)
    if keep_state:  # a reassignment does not undo the work under way
        case.status = "in_progress"
        session.flush()
    return result


def start_route(session: Session, case: Case, user: User, *, kind: str,
                ip: str | None = None) -> CaseRoute:
    """Work begins on a route: negotiation, mediation, arbitration, litigation, a payment order
    or a referral to labour inspection."""
    _begin(case, user, "start_route")
    if kind not in ROUTES:
        raise WorkflowError("请选择办理方式。", field="kind")
    route = CaseRoute(case=case, kind=kind, started_at=utcnow())
    session.add(route)
    session.flush()
    _finish(session, case, user, "start_route", ip, route=kind, route_id=route.id)
    return route


def record_date(session: Session, case: Case, user: User, *, route_id: int, field: str,
                day: date, today: date, ip: str | None = None) -> CaseRoute:
    """A key date of a route as it happens (filed, accepted, hearing, award or judgment
    served)."""
    _begin(case, user, "record_date")
    route = next((r for r in case.routes if r.id == route_id), None)
    if route is None:
        raise WorkflowError("没有这个办理方式。", field="route_id")
    if field not in ROUTE_DATES:
        raise WorkflowError("请选择要记录的日期。", field="field")
    if day > today:
        raise WorkflowError("日期不能晚于今天。", field="date")
    corrected = getattr(route, field) is not None
    setattr(route, field, day)
    _route_deadlines(session, case, route, field, day, today=today, user=user, ip=ip,
                     corrected=corrected)
    _finish(session, case, user, "record_date", ip, route_id=route.id, route=route.kind,
            field=field, date=day.isoformat())
    return route


# What each route date starts and ends: (route, date field) -> (rules met, rule opened).
ROUTE_CLOCKS: dict[tuple[str, str], tuple[tuple[str, ...], str | None]] = {
    ("mediation", "filed_on"): ((), "mediation"),
    ("mediation", "decided_on"): (("mediation",), None),
    ("arbitration", "filed_on"): ((), "arbitration_acceptance"),
    ("arbitration", "accepted_on"): (("arbitration_acceptance",), "arbitration_award"),
    ("arbitration", "decided_on"): (("arbitration_award", "arbitration_award_extended"),
                                    "suit_after_award"),
    ("litigation", "decided_on"): ((), "appeal_after_judgment"),
    ("payment_order", "decided_on"): ((), "payment_order_objection"),
    ("inspection", "filed_on"): ((), "inspection_acceptance"),
    ("inspection", "accepted_on"): (("inspection_acceptance",), "inspection_investigation"),
    ("inspection", "decided_on"): (("inspection_investigation",
                                    "inspection_investigation_extended"), None),
}


def _route_deadlines(session: Session, case: Case, route: CaseRoute, field: str, day: date, *,
                     today: date, user: User, ip: str | None, corrected: bool) -> None:
    met, opened = ROUTE_CLOCKS.get((route.kind, field), ((), None))
    source = f"route:{route.id}"
    if corrected and opened is not None:
        for deadline in records.case_deadlines(session, case.id):
            if deadline.rule == opened and deadline.source == source:
                records.correct_trigger(session, deadline, day, user=user, ip=ip)
                return
    if met:
        records.settle(session, case.id, met, today=day, source=source)
    if opened is not None:
        records.open_deadline(session, case.id, opened, day, source=source)


def close(session: Session, case: Case, user: User, *, outcome: str, amount_recovered: Any,
          paid_by: str | None = None, note: str | None = None,
          per_claimant: dict[int, tuple[str | None, Any]] | None = None,
          ip: str | None = None) -> Case:
    """Close with an outcome: the amount recovered and who paid (the employer, the general
    contractor paying first under the Regulation's art. 30, the wage deposit, other); per
    claimant where their results differ."""
    _begin(case, user, "close")
    if outcome not in OUTCOMES:
        raise WorkflowError("请选择结案结果。", field="outcome")
    try:
        amount = parse_yuan(amount_recovered, maximum_fen=MAX_AMOUNT_FEN)
    except Invalid as invalid:
        raise WorkflowError(str(invalid), field="amount_recovered") from None
    if outcome in ("recovered", "partial"):
        if not amount:
            raise WorkflowError("请填写追回的金额（元）。", field="amount_recovered")
        if paid_by not in PAYERS:
            raise WorkflowError("请选择由谁支付。", field="paid_by")
    elif paid_by is not None and paid_by not in PAYERS:
        raise WorkflowError("请选择由谁支付。", field="paid_by")
    claimants = {claimant.id: claimant for claimant in case.claimants}
    for claimant_id, (claimant_outcome, claimant_amount) in (per_claimant or {}).items():
        claimant = claimants.get(claimant_id)
        if claimant is None or (claimant_outcome is not None and claimant_outcome not in OUTCOMES):
            raise WorkflowError("当事人的结果不对。", field="claimants")
        try:
            claimant.amount_recovered_fen = parse_yuan(claimant_amount,
                                                       maximum_fen=MAX_AMOUNT_FEN)
        except Invalid as invalid:
            raise WorkflowError(str(invalid), field="claimants") from None
        claimant.outcome = claimant_outcome
    case.outcome = outcome
    case.amount_recovered_fen = amount
    case.paid_by = paid_by
    case.outcome_note = _text(note, "note", "结案说明", required=False)
    case.closed_at = utcnow()
    records.cancel_open(session, case.id)
    for current in case.assignments:
        if current.ended_at is None:
            current.ended_at = case.closed_at
    return _finish(session, case, user, "close", ip, outcome=outcome, amount_recovered_fen=amount,
                   paid_by=paid_by)


def reopen(session: Session, case: Case, user: User, *, reason: str,
           ip: str | None = None) -> Case:
    """Back to work: a closed case to where it stood (in progress with its lawyer, or granted),
    a refused one to accepted (after an objection upheld, art. 49)."""
    _begin(case, user, "reopen")
    why = _text(reason, "reason", "重新办理的原因")
    if case.status == "refused":
        case.status = "accepted"
        case.refusal_reason = case.refusal_referral = None
        case.decided_at = None
    else:
        case.status = "in_progress" if case.routes else "assigned" if case.lawyer_id else "decided"
        case.closed_at = None
        case.outcome = None
        case.amount_recovered_fen = None
        case.paid_by = None
        if case.lawyer_id is not None:
            for current in case.assignments:
                if current.lawyer_id == case.lawyer_id and current.ended_at is not None:
                    current.ended_at = None
                    break
    return _finish(session, case, user, "reopen", ip, reason=why)


ACTIONS: dict[str, Callable[..., Any]] = {
    "accept": accept, "request_materials": request_materials,
    "receive_materials": receive_materials, "grant": grant, "refuse": refuse,
    "assign": assign, "start_route": start_route, "record_date": record_date, "close": close,
    "reopen": reopen,
}
assert set(ACTIONS) == set(TRANSITIONS)
