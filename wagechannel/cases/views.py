"""A case's page: the reports, the worker's messages and files, the actions on the case."""
from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from wagechannel.accounts.permissions import roles_required
from wagechannel.accounts.services import record
from wagechannel.cases.blueprint import CASE_ROLES, bp
from wagechannel.cases.models import Case
from wagechannel.cases.messages import add_message
from wagechannel.cases.services import can_view_case, same_worker_leads, sees_personal_data
from wagechannel.deadlines.limits import facts_of, limits_for
from wagechannel.errors import DomainError
from wagechannel.extensions import db
from wagechannel.intake import models
from wagechannel.clock import local_today



@bp.route("/cases/<int:case_id>")
@roles_required(*CASE_ROLES)
def detail(case_id: int) -> ResponseReturnValue:
    case = db.session.get(Case, case_id)
    if case is None or not can_view_case(current_user, case):
        abort(404)
    full = sees_personal_data(current_user)
    if full:
        record(db.session, "view_personal_data", actor=current_user, object_type="case",
               object_id=case.id, ip=request.remote_addr,
               leads=[lead.id for lead in case.leads])
        db.session.commit()
    return render_template("cases/detail.html", case=case, full=full, labels=LABELS,
                           message_error=None, message="", **_related(case))


def _related(case: Case) -> dict[str, Any]:
    """Earlier or later reports by the same worker, where this user may open their case; and
    each report's time limits."""
    # Only cases this user may open: naming reports elsewhere would tell staff that a phone
    # number reported to another centre.
    related = {lead.id: [other for other in same_worker_leads(db.session, lead)
                         if other.case is not None and can_view_case(current_user, other.case)]
               for lead in case.leads}
    limits = {lead.id: limits_for(facts_of(lead)) for lead in case.leads}
    return {"related": related, "limits": limits, "today": local_today()}


LABELS = {"trade": models.TRADES, "evidence": models.EVIDENCE, "urgent": models.URGENT,
          "best_time": models.BEST_TIMES, "employer_kind": models.EMPLOYER_KINDS,
          "award": models.AWARDS}


@bp.route("/cases/<int:case_id>/leads/<int:lead_id>/messages", methods=["POST"])
@roles_required("legal_aid_staff", "lawyer")
def send_message(case_id: int, lead_id: int) -> ResponseReturnValue:
    """A message to the worker, shown at /q/<code> once they give their phone's last digits."""
    case = db.session.get(Case, case_id)
    if case is None or not can_view_case(current_user, case) or not sees_personal_data(current_user):
        abort(404)
    lead = next((lead for lead in case.leads if lead.id == lead_id), None)
    if lead is None:
        abort(404)
    body = request.form.get("body", "")
    try:
        add_message(db.session, lead, body, direction="to_worker", author=current_user)
    except DomainError as error:
        return render_template("cases/detail.html", case=case, full=True, labels=LABELS,
                               message_error=error.message, message=body[:2000],
                               message_lead=lead.id, **_related(case)), 422
    record(db.session, "message_to_worker", actor=current_user, object_type="lead",
           object_id=lead.id, ip=request.remote_addr)
    db.session.commit()
    flash("留言已发送。工人用查询码和手机后四位可以看到。", "info")
    return redirect(url_for("cases.detail", case_id=case.id) + f"#lead-{lead.id}", code=303)


@bp.route("/evidence/<int:file_id>")
@roles_required("legal_aid_staff", "lawyer")
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
