"""A case's page: the reports, the worker's messages and files, the workflow's actions on the
case, the contacts staff record and the case's timeline."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from wagechannel.accounts.models import User
from wagechannel.accounts.permissions import roles_required
from wagechannel.accounts.services import record
from wagechannel.cases import workflow
from wagechannel.cases.blueprint import CASE_ROLES, bp
from wagechannel.cases.cooperation import case_access
from wagechannel.cases.messages import add_message
from wagechannel.cases.models import (CONTACT_CHANNELS, HARDSHIP_BASES, OUTCOME_LABELS,
                                      OUTCOMES, PAYERS, ROUTE_DATES, ROUTES, Case)
from wagechannel.cases.services import can_view_case, same_worker_leads, sees_personal_data
from wagechannel.cases.timeline import record_contact, timeline
from wagechannel.cases.workflow import TRANSITIONS, WorkflowError
from wagechannel.clock import local_today
from wagechannel.deadlines import records
from wagechannel.deadlines.limits import AID_BEFORE_REVIEW_DAYS, facts_of, limits_for
from wagechannel.deadlines.rules import RULES
from wagechannel.errors import DomainError
from wagechannel.extensions import db
from wagechannel.intake import models
from wagechannel.paging import page_number

LABELS = {"trade": models.TRADES, "evidence": models.EVIDENCE, "urgent": models.URGENT,
          "best_time": models.BEST_TIMES, "employer_kind": models.EMPLOYER_KINDS,
          "award": models.AWARDS}
WORKFLOW_LABELS = {"hardship": HARDSHIP_BASES, "routes": ROUTES, "route_dates": ROUTE_DATES,
                   "outcomes": OUTCOMES, "outcome_labels": OUTCOME_LABELS, "payers": PAYERS,
                   "channels": CONTACT_CHANNELS}
ACTING_ROLES = ("legal_aid_staff", "lawyer")  # admin passes every role check


def _case_for(case_id: int) -> Case:
    case = db.session.get(Case, case_id)
    if case is None or not can_view_case(current_user, case):
        abort(404)
    return case


@bp.route("/cases/<int:case_id>")
@roles_required(*CASE_ROLES)
def detail(case_id: int) -> ResponseReturnValue:
    """The case, for those who work on it; read-only and masked for a hometown centre it is
    shared with (异地协作, logged by case_access)."""
    case = db.session.get(Case, case_id)
    access = case_access(db.session, current_user, case, ip=request.remote_addr) \
        if case is not None else None
    if case is None or access is None:
        abort(404)
    if access.full:
        record(db.session, "view_personal_data", actor=current_user, object_type="case",
               object_id=case.id, ip=request.remote_addr,
               leads=[lead.id for lead in case.leads])
    db.session.commit()
    return _page(case, full=access.full)


def _page(case: Case, status: int = 200, *, full: bool | None = None,
          **shown: Any) -> ResponseReturnValue:
    """The case page, with what a failed form needs shown again (its error and input). Every
    form on it posts to a route that asks can_view_case: a shared case shows none that act."""
    full = sees_personal_data(current_user) if full is None else full
    today = local_today()
    context: dict[str, Any] = {"message_error": None, "message": "", "message_lead": None,
                               "action_error": None, "typed": MultiDict(),
                               "contact_error": None, "contact": MultiDict(), **shown}
    return render_template("cases/detail.html", case=case, full=full, labels=LABELS,
                           **_related(case, today), **_workflow(case, today),
                           deadlines=records.deadlines_shown(db.session, case.id),
                           deadline_rules=RULES,
                           timeline=timeline(db.session, case, with_text=full,
                                             number=page_number(request.args.get("page"))),
                           **context), status


def _related(case: Case, today: date) -> dict[str, Any]:
    """Earlier or later reports by the same worker, where this user may open their case; and
    each report's time limits."""
    # Only cases this user may open: naming reports elsewhere would tell staff that a phone
    # number reported to another centre.
    related = {lead.id: [other for other in same_worker_leads(db.session, lead)
                         if other.case is not None and can_view_case(current_user, other.case)]
               for lead in case.leads}
    limits = {lead.id: limits_for(facts_of(lead)) for lead in case.leads}
    return {"related": related, "limits": limits, "today": today}


def _days_left(case: Case, today: date) -> int | None:
    return (case.limitation_end - today).days if case.limitation_end is not None else None


def _workflow(case: Case, today: date) -> dict[str, Any]:
    """The actions this user may take now (each a small form), and what they need."""
    days_left = _days_left(case, today)
    before_review = days_left is not None and days_left < AID_BEFORE_REVIEW_DAYS
    actions = [name for name in workflow.allowed_actions(current_user, case)
               if _worth_showing(name, case, before_review)]
    return {"actions": actions, "transitions": TRANSITIONS, "wf": WORKFLOW_LABELS,
            "days_left": days_left, "before_review": before_review,
            "materials_pending": workflow.materials_pending(case),
            "collective": len(case.claimants) > 1,
            "lawyers": workflow.lawyers_of(db.session, case) if "assign" in actions else []}


def _worth_showing(action: str, case: Case, before_review: bool) -> bool:
    """Forms that could only fail now are left off (the workflow refuses them anyway)."""
    if action == "grant" and case.status == "pending":
        return before_review  # aid before review only (art. 44)
    if action == "request_materials":
        return case.materials_requested_at is None  # asked once (art. 43)
    if action == "receive_materials":
        return workflow.materials_pending(case)
    if action == "record_date":
        return bool(case.routes)
    return True


# --- the workflow's actions -----------------------------------------------------------------

def _text(form: Mapping[str, str], name: str) -> str:
    return form.get(name, "")


def _day(raw: str, field: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise WorkflowError("请填写日期，例如 2026-11-30。", field=field) from None


def _number(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


def _lawyer(form: Mapping[str, str]) -> User | None:
    chosen = _number(form.get("lawyer"))
    return db.session.get(User, chosen) if chosen is not None else None


def _per_claimant(form: Mapping[str, str], case: Case) -> dict[int, tuple[str | None, Any]]:
    """A collective case's result for each worker whose outcome or amount was entered."""
    result: dict[int, tuple[str | None, Any]] = {}
    for claimant in case.claimants if len(case.claimants) > 1 else []:
        outcome = form.get(f"outcome-{claimant.id}") or None
        amount = form.get(f"amount-{claimant.id}", "")
        if outcome or amount.strip():
            result[claimant.id] = (outcome, amount)
    return result


def _arguments(action: str, form: Mapping[str, str], case: Case,
               today: date) -> dict[str, Any]:
    """The keyword arguments of the workflow's function, from the action's form."""
    builders: dict[str, Callable[[], dict[str, Any]]] = {
        "accept": lambda: {"today": today},
        "request_materials": lambda: {"items": _text(form, "items").splitlines()},
        "receive_materials": dict,
        "grant": lambda: {"basis": _text(form, "basis"), "proof": _text(form, "proof"),
                          "aid_before_review": form.get("aid_before_review") == "1",
                          "days_left": _days_left(case, today), "today": today},
        "refuse": lambda: {"reason": _text(form, "reason"), "referral": _text(form, "referral")},
        "assign": lambda: {"lawyer": _lawyer(form)},
        "start_route": lambda: {"kind": _text(form, "kind")},
        "record_date": lambda: {"route_id": _number(form.get("route_id")) or 0,
                                "field": _text(form, "field"),
                                "day": _day(_text(form, "date"), "date"), "today": today},
        "close": lambda: {"outcome": _text(form, "outcome"),
                          "amount_recovered": _text(form, "amount_recovered"),
                          "paid_by": form.get("paid_by") or None, "note": _text(form, "note"),
                          "per_claimant": _per_claimant(form, case)},
        "reopen": lambda: {"reason": _text(form, "reason")},
    }
    return builders[action]()


DONE = {"accept": "已受理，审查期限从今天起算。", "request_materials": "已一次性告知需要补充的材料。",
        "receive_materials": "已记录材料补齐。", "grant": "已决定给予法律援助，请在3日内指派律师。",
        "refuse": "已决定不予法律援助。工人在查询页面能看到理由和异议的权利。",
        "assign": "已指派律师。", "start_route": "已开始办理。", "record_date": "已记录日期。",
        "close": "已结案。工人在查询页面能看到结果。", "reopen": "已重新办理。"}


@bp.route("/cases/<int:case_id>/actions/<action>", methods=["POST"])
@roles_required(*ACTING_ROLES)
def act(case_id: int, action: str) -> ResponseReturnValue:
    """One step of the workflow from the case page: one service call, one commit."""
    case = _case_for(case_id)
    if action not in workflow.ACTIONS:
        abort(404)
    today = local_today()
    try:
        workflow.ACTIONS[action](db.session, case, current_user,
                                 **_arguments(action, request.form, case, today),
                                 ip=request.remote_addr)
    except WorkflowError as error:
        db.session.rollback()  # nothing half-done stays (a closing's per-worker results)
        # A field's problem is the input's (422); otherwise the case's state refused it (409).
        return _page(case, 422 if error.field else 409,
                     action_error={"action": action, "field": error.field,
                                   "message": error.message},
                     typed=request.form)
    db.session.commit()
    flash(DONE[action], "info")
    return redirect(url_for("cases.detail", case_id=case.id) + "#workflow", code=303)


@bp.route("/cases/<int:case_id>/contacts", methods=["POST"])
@roles_required(*ACTING_ROLES)
def add_contact(case_id: int) -> ResponseReturnValue:
    """A call, visit or WeChat exchange with a worker, recorded in the case's timeline."""
    case = _case_for(case_id)
    if not sees_personal_data(current_user):
        abort(404)
    raw_lead = request.form.get("lead_id", "")
    try:
        lead_id = _number(raw_lead)
        if raw_lead and lead_id is None:
            raise DomainError("请从本案的工人中选择。", field="lead_id")
        record_contact(db.session, case, current_user, channel=request.form.get("channel", ""),
                       note=request.form.get("note", ""), lead_id=lead_id,
                       ip=request.remote_addr)
        records.settle(db.session, case.id, ["first_contact"], today=local_today())
    except DomainError as error:
        db.session.rollback()
        return _page(case, 422, contact_error={"field": error.field, "message": error.message},
                     contact=request.form)
    db.session.commit()
    flash("已记录这次联系。", "info")
    return redirect(url_for("cases.detail", case_id=case.id) + "#timeline", code=303)


@bp.route("/cases/<int:case_id>/leads/<int:lead_id>/messages", methods=["POST"])
@roles_required(*ACTING_ROLES)
def send_message(case_id: int, lead_id: int) -> ResponseReturnValue:
    """A message to the worker, shown at /q/<code> once they give their phone's last digits."""
    case = _case_for(case_id)
    if not sees_personal_data(current_user):
        abort(404)
    lead = next((lead for lead in case.leads if lead.id == lead_id), None)
    if lead is None:
        abort(404)
    body = request.form.get("body", "")
    try:
        add_message(db.session, lead, body, direction="to_worker", author=current_user)
    except DomainError as error:
        return _page(case, 422, message_error=error.message, message=body[:2000],
                     message_lead=lead.id)
    record(db.session, "message_to_worker", actor=current_user, object_type="lead",
           object_id=lead.id, ip=request.remote_addr)
    records.settle(db.session, case.id, ["first_contact"], today=local_today())
    db.session.commit()
    flash("留言已发送。工人用查询码和手机后四位可以看到。", "info")
    return redirect(url_for("cases.detail", case_id=case.id) + f"#lead-{lead.id}", code=303)


@bp.route("/evidence/<int:file_id>")
@roles_required(*ACTING_ROLES)
def evidence(file_id: int) -> ResponseReturnValue:
    """A photo or voice note of a lead, for the staff and lawyer of its case; every view logged."""
    item = db.session.get(models.EvidenceFile, file_id)
    lead = item.lead if item is not None else None
    if lead is None or lead.case is None or not can_view_case(current_user, lead.case) \
            or not sees_personal_data(current_user):
        abort(404)
    record(db.session, "view_evidence", actor=current_user, object_type="evidence_file",
           object_id=item.id, ip=request.remote_addr, lead=lead.id)
    db.session.commit()
    response = Response(item.data, mimetype=item.content_type)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# The other pages of the blueprint, each in its own module (registered on import).
from wagechannel.cases import collective_views, cooperation_views, queue_views  # noqa: E402,F401
