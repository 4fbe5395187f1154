"""The legal-aid queue and a case's page."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from wagechannel.accounts.permissions import roles_required
from wagechannel.accounts.services import record
from wagechannel.cases.models import Case
from wagechannel.cases.services import can_view_case, sees_personal_data, visible_cases
from wagechannel.extensions import db

bp = Blueprint("cases", __name__)
CASE_ROLES = ("legal_aid_staff", "lawyer", "bureau_liaison")


@bp.route("/cases")
@roles_required(*CASE_ROLES)
def queue():  # type: ignore[no-untyped-def]
    cases = list(db.session.scalars(visible_cases(current_user)))
    return render_template("cases/queue.html", cases=cases)


@bp.route("/cases/<int:case_id>")
@roles_required(*CASE_ROLES)
def detail(case_id: int):  # type: ignore[no-untyped-def]
    case = db.session.get(Case, case_id)
    if case is None or not can_view_case(current_user, case):
        abort(404)
    full = sees_personal_data(current_user)
    if full:
        record(db.session, "view_personal_data", actor=current_user, object_type="case",
               object_id=case.id, ip=request.remote_addr,
               leads=[lead.id for lead in case.leads])
        db.session.commit()
    return render_template("cases/detail.html", case=case, full=full)
