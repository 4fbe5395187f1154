"""The staff API: the user's queue, one case, and every action of the case page (the
workflow's, and the referral to the HR bureau), as JSON. A case answers with the same timeline
as its page (cases/timeline.py) and logs a view of personal data as the page does.

Authentication is a personal token only (`Authorization: Bearer …`, accounts/tokens.py), never
the session cookie, so there is no CSRF to guard against; the token's user has the same role
and organisation, so the same cases, as on the web. Status codes: 401 without a valid token;
403 for a role outside the case roles (a contractor) and for an action this user may never
take on this case (a liaison; a lawyer reassigning); 404 for a case the user may not open;
409 when the case's state refuses the move; 422 for bad input, with `errors` keyed by field.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Blueprint, g, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import defaultload, joinedload, load_only, selectinload
from werkzeug.exceptions import RequestEntityTooLarge

from wagechannel.accounts.models import User
from wagechannel.accounts.privacy import mask_name, mask_phone
from wagechannel.accounts.services import record
from wagechannel.accounts.tokens import user_for_bearer
from wagechannel.cases import workflow
from wagechannel.cases.blueprint import CASE_ROLES
from wagechannel.cases.cooperation import (case_access, case_cooperation, may_refer,
                                           refer_to_bureau)
from wagechannel.cases.models import (COLLECTIVE_LEVELS, HARDSHIP_BASES, OUTCOME_LABELS,
                                      OUTCOMES, PAYERS, ROUTE_DATES, ROUTES, TIERS, Assignment,
                                      Case, Claimant)
from wagechannel.cases.services import (MAX_AGE_DAYS, STATE_CHOICES, can_view_case, case_filters,
                                        filtered_cases, sees_personal_data)
from wagechannel.cases.timeline import timeline
from wagechannel.clock import local_today
from wagechannel.extensions import db
from wagechannel.intake.models import Lead
from wagechannel.paging import page_number, paginate
from wagechannel.places.models import Contractor, Project

bp = Blueprint("cases_api", __name__, url_prefix="/api/v1/cases")
# An action is a few short fields; the longest lawful one (30 materials of 200 characters,
# or a collective case closed claimant by claimant) stays well under this.
MAX_ACTION_BYTES = 32 * 1024
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)


def _error(status: int, message: str, **extra: Any) -> ResponseReturnValue:
    return jsonify({"error": message, "status": status, **extra}), status


def _invalid(errors: dict[str, str]) -> ResponseReturnValue:
    return _error(422, "提交的内容有误，请按提示修改。", errors=errors)


def _user() -> User:
    return g.api_user  # type: ignore[no-any-return]


@bp.before_request
def authenticate() -> ResponseReturnValue | None:
    """The token's user for this request, or 401; the session cookie is never read here."""
    user = user_for_bearer(db.session, request.headers.get("Authorization"))
    if user is None:
        db.session.rollback()
        given = bool(request.headers.get("Authorization"))
        response = jsonify({"error": "令牌无效或已停用，请联系管理员重新发放。" if given
                            else "请在 Authorization 请求头中提供令牌：Bearer <令牌>。",
                            "status": 401})
        response.status_code = 401
        response.headers["WWW-Authenticate"] = \
            'Bearer realm="wagechannel", error="invalid_token"' if given \
            else 'Bearer realm="wagechannel"'
        return response
    if db.session.dirty:  # the token's last use, noted at most once a minute
        db.session.commit()
    if user.role != "admin" and user.role not in CASE_ROLES:
        return _error(403, "您的账号不能使用案件接口。")
    g.api_user = user
    return None


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error_: RequestEntityTooLarge) -> ResponseReturnValue:
    return _error(413, f"请求体太大了，最多{MAX_ACTION_BYTES // 1024}KB。")


# --- the queue ---------------------------------------------------------------------------

# The queue page's filters (cases/services.py), as query parameters; documented here.
FILTERS = {
    "tier": "紧急程度：" + "、".join(f"{key} {label}" for key, label in TIERS.items()),
    "state": "状态（默认 open：未结案的全部；all：含已结案）：" + "、".join(STATE_CHOICES),
    "route": "有这种办理方式的案件：" + "、".join(ROUTES),
    "lawyer": "承办律师的用户名",
    "project": "项目编号",
    "contractor": "施工总承包单位编号（其全部工地的案件）",
    "age": f"收到至今至少多少天（0到{MAX_AGE_DAYS}）",
}


# Only what a row says is read (a case has some fifty columns).
ROW_COLUMNS = (
    load_only(Case.id, Case.number, Case.status, Case.tier, Case.priority, Case.priority_reasons,
              Case.limitation_end, Case.limitation_kind, Case.limitation_provisional,
              Case.worker_count, Case.collective_level, Case.created_at, Case.updated_at,
              Case.project_id, Case.lawyer_id),
    defaultload(Case.claimants).load_only(Claimant.id, Claimant.case_id, Claimant.name,
                                          Claimant.amount_owed_fen),
    defaultload(Case.project).load_only(Project.id, Project.name, Project.contractor_id),
    defaultload(Case.project).defaultload(Project.contractor).load_only(Contractor.id,
                                                                       Contractor.name),
    defaultload(Case.lawyer).load_only(User.id, User.username, User.display_name),
)


@bp.get("")
def queue() -> ResponseReturnValue:
    user = _user()
    filters, errors = case_filters(request.args)
    if errors:  # the page shows the rest; a program is told
        return _invalid(errors)
    page = paginate(db.session, filtered_cases(user, filters).options(*ROW_COLUMNS),
                    page_number(request.args.get("page")))
    return jsonify({"items": [summary(case) for case in page.items], "total": page.total,
                    "page": page.number, "pages": page.count, "per_page": page.per_page})


# --- one case ------------------------------------------------------------------------------

def _load(case_id: int, *, fresh: bool = False) -> Case | None:
    """A case with everything its answer shows, in a few statements whatever its size (fresh:
    read again after an action changed it, relationships included)."""
    return db.session.scalar(
        select(Case).where(Case.id == case_id).execution_options(populate_existing=fresh)
        .options(
            joinedload(Case.lawyer), joinedload(Case.legal_aid_org), joinedload(Case.bureau_org),
            joinedload(Case.project).joinedload(Project.contractor),
            selectinload(Case.claimants).joinedload(Claimant.lead).undefer(Lead.phone),
            selectinload(Case.routes),
            selectinload(Case.assignments).joinedload(Assignment.lawyer)))


def _workable(case_id: int) -> Case | None:
    """The case if this user works on it (as every POST on the case page asks); only then are
    its workers' phones read."""
    case = db.session.get(Case, case_id)
    if case is None or not can_view_case(_user(), case):
        return None
    return _load(case_id)


def _answer(case: Case, *, full: bool) -> ResponseReturnValue:
    """The case as this user sees it; a view of personal data is logged, as on the web."""
    user = _user()
    body = detail(case, user, full=full)
    if full:
        record(db.session, "view_personal_data", actor=user, object_type="case",
               object_id=case.id, ip=request.remote_addr,
               leads=[c.lead_id for c in case.claimants if c.lead_id], via="api")
    db.session.commit()
    return jsonify(body)


@bp.get("/<int:case_id>")
def show(case_id: int) -> ResponseReturnValue:
    """As the case page: for those who work on it, and read-only and masked for a hometown
    centre it is shared with (异地协作; case_access logs that view)."""
    case = db.session.get(Case, case_id)
    access = case_access(db.session, _user(), case, ip=request.remote_addr) \
        if case is not None else None
    if case is None or access is None:
        return _error(404, "找不到这个案件。")
    return _answer(_load(case_id) or case, full=access.full)


# --- actions -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Field:
    kind: str  # text, texts, choice, bool, int, date, amount, username, claimants
    description: str
    choices: dict[str, str] | None = None
    argument: str | None = None  # the workflow's keyword, where it differs


ACTION_FIELDS: dict[str, dict[str, Field]] = {
    "accept": {},
    "request_materials": {"items": Field("texts", "需要补充的每一项材料（一次性告知，法律援助法第43条）")},
    "receive_materials": {},
    "grant": {"basis": Field("choice", "经济困难状况的依据", HARDSHIP_BASES),
              "proof": Field("text", "证明材料说明（exempt_42_3 时必填）"),
              "aid_before_review": Field("bool", "先行提供法律援助（离期限不足7天，法律援助法第44条）；"
                                                 "待受理的案件只能这样直接给予")},
    "refuse": {"reason": Field("text", "不予法律援助的理由"),
               "referral": Field("text", "建议去哪里求助")},
    "assign": {"lawyer": Field("username", "本中心律师的用户名")},
    "start_route": {"kind": Field("choice", "办理方式", ROUTES)},
    "record_date": {"route_id": Field("int", "办理方式的编号（见案件的 routes）"),
                    "field": Field("choice", "记录哪个日期", ROUTE_DATES),
                    "date": Field("date", "日期，YYYY-MM-DD，不晚于今天", argument="day")},
    "close": {"outcome": Field("choice", "结案结果", OUTCOMES),
              "amount_recovered": Field("amount", "追回金额（元，最多两位小数）"),
              "paid_by": Field("choice", "由谁支付（全部或部分追回时必填）", PAYERS),
              "note": Field("text", "结案说明"),
              "claimants": Field("claimants", "各当事人结果不同时：[{id, outcome, amount_recovered}]",
                                 argument="per_claimant")},
    "reopen": {"reason": Field("text", "重新办理的原因")},
    "refer_to_bureau": {"consent_note": Field("text", "工人同意转交的情况（何时、以何种方式同意）")},
}
ACTIONS = {**workflow.ACTIONS, "refer_to_bureau": refer_to_bureau}
LABELS = {**{name: step.label for name, step in workflow.TRANSITIONS.items()},
          "refer_to_bureau": "转人社部门"}
assert set(ACTION_FIELDS) == set(ACTIONS) == set(LABELS)


def _may_take(user: User, case: Case, action: str) -> bool:
    """Whether this user may ever take this action on this case (the state aside)."""
    if action == "refer_to_bureau":
        return may_refer(user, case)
    return workflow.may_take(user, case, action)


def _parse_field(name: str, spec: Field, raw: Any) -> Any:
    """One field's value for the workflow; ValueError with a Chinese message when its type is
    wrong (whether a value is required or allowed is the workflow's to say)."""
    if spec.kind in ("text", "choice", "username"):
        if raw is not None and not isinstance(raw, str):
            raise ValueError("应为文字。")
        if spec.kind == "username":
            found = db.session.scalar(select(User).where(User.username == raw.strip())) \
                if raw else None
            return found  # the workflow refuses anyone who is not one of the centre's lawyers
        return raw
    if spec.kind == "texts":
        if raw is None:
            return []
        if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
            raise ValueError("应为文字的列表。")
        return raw
    if spec.kind == "bool":
        if raw is None:
            return False
        if not isinstance(raw, bool):
            raise ValueError("应为 true 或 false。")
        return raw
    if spec.kind == "int":
        if raw is None or isinstance(raw, bool) or not isinstance(raw, int):
            raise ValueError("应为整数编号。")
        return raw
    if spec.kind == "date":
        if not isinstance(raw, str) or not DATE.match(raw):
            raise ValueError("请填写日期，格式 YYYY-MM-DD。")
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise ValueError("没有这一天，请检查日期。") from None
    if spec.kind == "amount":
        if raw is not None and (isinstance(raw, bool) or not isinstance(raw, str | int | float)):
            raise ValueError("请填写数字金额（元）。")
        return raw
    if spec.kind == "claimants":
        return _per_claimant(raw)
    raise AssertionError(spec.kind)


def _per_claimant(raw: Any) -> dict[int, tuple[str | None, Any]]:
    if raw is None:
        return {}
    if not isinstance(raw, list) or len(raw) > 1000:
        raise ValueError("应为当事人结果的列表。")
    result: dict[int, tuple[str | None, Any]] = {}
    for item in raw:
        if not isinstance(item, dict) or set(item) - {"id", "outcome", "amount_recovered"}:
            raise ValueError("每一项应为 {id, outcome, amount_recovered}。")
        claimant_id, outcome, amount = item.get("id"), item.get("outcome"), \
            item.get("amount_recovered")
        if isinstance(claimant_id, bool) or not isinstance(claimant_id, int):
            raise ValueError("当事人编号应为整数。")
        if outcome is not None and not isinstance(outcome, str):
            raise ValueError("当事人的结果应为文字。")
        if amount is not None and (isinstance(amount, bool)
                                   or not isinstance(amount, str | int | float)):
            raise ValueError("当事人的追回金额应为数字（元）。")
        result[claimant_id] = (outcome, amount)
    return result


def parse_action(payload: Any) -> tuple[str | None, dict[str, Any], dict[str, str]]:
    """(action, the workflow's keyword arguments, errors by field) from a request body."""
    if not isinstance(payload, dict):
        return None, {}, {"body": "请求体必须是JSON对象（Content-Type: application/json）。"}
    action = payload.get("action")
    if not isinstance(action, str) or action not in ACTION_FIELDS:
        return None, {}, {"action": "没有这个操作，可用：" + "、".join(ACTION_FIELDS) + "。"}
    fields = ACTION_FIELDS[action]
    errors = {name: "这个操作没有这个字段。" for name in payload if name != "action"
              and name not in fields}
    arguments: dict[str, Any] = {}
    for name, spec in fields.items():
        try:
            arguments[spec.argument or name] = _parse_field(name, spec, payload.get(name))
        except ValueError as wrong:
            errors[name] = str(wrong)
    return action, arguments, errors


def _context(action: str, case: Case) -> dict[str, Any]:
    """What the workflow needs besides the request: today, and the days left for aid before
    review, counted from the case's nearest time limit."""
    today = local_today()
    extra: dict[str, Any] = {}
    if action in ("accept", "grant", "record_date"):
        extra["today"] = today
    if action == "grant":
        extra["days_left"] = (case.limitation_end - today).days \
            if case.limitation_end is not None else None
    return extra


@bp.post("/<int:case_id>/actions")
def act(case_id: int) -> ResponseReturnValue:
    request.max_content_length = MAX_ACTION_BYTES
    user = _user()
    case = _workable(case_id)  # a hometown centre only reads: 404 here, as on the page
    if case is None:
        return _error(404, "找不到这个案件。")
    action, arguments, errors = parse_action(request.get_json(silent=True))
    if action is None:
        return _invalid(errors)
    if not _may_take(user, case, action):
        return _error(403, f"您不能对这个案件{LABELS[action]}。")
    if errors:
        return _invalid(errors)
    try:
        ACTIONS[action](db.session, case, user, ip=request.remote_addr, **arguments,
                        **_context(action, case))
    except workflow.WorkflowError as refused:
        db.session.rollback()
        if refused.field:  # a value to correct
            return _error(422, refused.message, errors={refused.field: refused.message})
        return _error(409, refused.message, field=None)
    db.session.commit()
    return _answer(_load(case.id, fresh=True) or case, full=sees_personal_data(user))


# --- what the answers say ------------------------------------------------------------------

def _yuan(fen: int | None) -> str | None:
    return None if fen is None else str((Decimal(fen) / 100).quantize(Decimal("0.01")))


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _person(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.id, "username": user.username, "display_name": user.display_name}


def summary(case: Case) -> dict[str, Any]:
    """A row of the queue: what the web queue shows, names masked for every role as there
    (full names only on the case, where the view is logged); nothing decrypted."""
    return {
        "id": case.id, "number": case.number,
        "status": case.status, "status_label": case.status_label,
        "tier": case.tier, "tier_label": TIERS.get(case.tier, case.tier),
        "priority": case.priority, "priority_reasons": list(case.priority_reasons or []),
        "limitation": _limitation(case),
        "worker_count": case.worker_count, "collective_level": case.collective_level,
        "project": {"id": case.project.id, "name": case.project.name,
                    "contractor": {"id": case.project.contractor.id,
                                   "name": case.project.contractor.name}}
        if case.project else None,
        "lawyer": _person(case.lawyer),
        "claimants": [{"id": c.id, "name": mask_name(c.name), "amount_owed": _yuan(c.amount_owed_fen)}
                      for c in case.claimants],
        "created_at": _iso(case.created_at), "updated_at": _iso(case.updated_at),
    }


def _limitation(case: Case) -> dict[str, Any] | None:
    if case.limitation_end is None:
        return None
    return {"last_day": case.limitation_end.isoformat(), "kind": case.limitation_kind,
            "label": case.limitation_label, "provisional": case.limitation_provisional,
            "days_left": (case.limitation_end - local_today()).days}


def _claimant(claimant: Claimant, full: bool) -> dict[str, Any]:
    phone = claimant.lead.phone if claimant.lead is not None else None
    return {"id": claimant.id, "lead_id": claimant.lead_id,
            "name": (claimant.name or "（未留姓名）") if full else mask_name(claimant.name),
            "phone": phone if full else (mask_phone(phone) if phone else None),
            "amount_owed": _yuan(claimant.amount_owed_fen),
            "outcome": claimant.outcome,
            "amount_recovered": _yuan(claimant.amount_recovered_fen)}


def detail(case: Case, user: User, *, full: bool) -> dict[str, Any]:
    row = summary(case)
    today = local_today()
    cooperation = case_cooperation(db.session, user, case, today)
    allowed = workflow.allowed_actions(user, case) + (
        ["refer_to_bureau"] if cooperation.may_refer else [])
    history = timeline(db.session, case, with_text=full,
                       number=page_number(request.args.get("timeline_page")))
    return {
        **row,
        "claimants": [_claimant(c, full) for c in case.claimants],
        "collective_label": COLLECTIVE_LEVELS.get(case.collective_level or ""),
        "centre": {"id": case.legal_aid_org.id, "name": case.legal_aid_org.name},
        "bureau": {"id": case.bureau_org.id, "name": case.bureau_org.name}
        if case.bureau_org else None,
        "project": {**row["project"], "address": case.project.address} if case.project else None,
        "application_date": _iso(case.application_date),
        "materials": {"items": list(case.materials_requested or []),
                      "requested_at": _iso(case.materials_requested_at),
                      "received_at": _iso(case.materials_received_at)}
        if case.materials_requested_at else None,
        "decision": {"decided_at": _iso(case.decided_at), "hardship_basis": case.hardship_basis,
                     "hardship_basis_label": HARDSHIP_BASES.get(case.hardship_basis or ""),
                     "hardship_proof": case.hardship_proof,
                     "aid_before_review": case.aid_before_review,
                     "refusal_reason": case.refusal_reason,
                     "refusal_referral": case.refusal_referral}
        if case.decided_at else None,
        "assignments": [{"lawyer": _person(a.lawyer), "assigned_at": _iso(a.assigned_at),
                         "ended_at": _iso(a.ended_at)} for a in case.assignments],
        "routes": [{"id": r.id, "kind": r.kind, "label": r.kind_label,
                    "started_at": _iso(r.started_at),
                    **{name: _iso(getattr(r, name)) for name in ROUTE_DATES}}
                   for r in case.routes],
        "outcome": {"outcome": case.outcome, "label": OUTCOME_LABELS.get(case.outcome or ""),
                    "amount_recovered": _yuan(case.amount_recovered_fen),
                    "paid_by": case.paid_by, "paid_by_label": PAYERS.get(case.paid_by or ""),
                    "note": case.outcome_note, "closed_at": _iso(case.closed_at)}
        if case.outcome else None,
        "referrals": [_referral(view, cooperation.show_consent) for view in cooperation.referrals],
        "allowed_actions": [{"action": name, "label": LABELS[name]} for name in allowed],
        "timeline": {"items": [{"at": _iso(entry.at), "kind": entry.kind, "who": entry.who,
                                "what": entry.what, "text": entry.text}
                               for entry in history.items],
                     "total": history.total, "page": history.number, "pages": history.count},
    }


def _referral(view: Any, show_consent: bool) -> dict[str, Any]:
    referral = view.referral
    return {"id": referral.id, "status": referral.status, "status_label": referral.status_label,
            "bureau": {"id": referral.bureau_org.id, "name": referral.bureau_org.name},
            "referred_at": _iso(referral.referred_at),
            "consent_note": referral.consent_note if show_consent else None,
            "acceptance_due": view.due.isoformat(), "acceptance_due_provisional":
            view.due_provisional, "overdue": view.overdue,
            "accepted_on": _iso(referral.accepted_on), "ordered_on": _iso(referral.ordered_on),
            "resolved_on": _iso(referral.resolved_on), "result_note": referral.result_note}

