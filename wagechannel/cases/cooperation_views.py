"""Working with others: hometown sharing (异地协作) and referrals to the HR bureau.

The case page's section (templates/cases/_cooperation.html) asks `cooperation_of(case)`, a
helper this blueprint puts in its templates' context. A form of that section that fails comes
back on the case page itself (rendered by the page's own view), the message on its field and
what was typed kept.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import abort, flash, g, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from wagechannel.accounts.permissions import roles_required
from wagechannel.cases.blueprint import bp
from wagechannel.cases.cooperation import (REFERRAL_STEPS, Cooperation, acceptance_due,
                                           case_cooperation, record_referral_step,
                                           refer_to_bureau, referral_queue, share_case,
                                           shared_with, unshare_case)
from wagechannel.cases.models import Case, Referral
from wagechannel.cases.services import can_view_case
from wagechannel.cases.workflow import WorkflowError
from wagechannel.clock import local_today
from wagechannel.extensions import db
from wagechannel.paging import page_number, paginate


@dataclass
class FormState:
    """A section form that failed: which one, what was typed, the message per field."""

    name: str
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def error(self, form: str, field_name: str) -> str | None:
        return self.errors.get(field_name) if form == self.name else None

    def value(self, form: str, field_name: str, default: str = "") -> str:
        return self.values.get(field_name, default) if form == self.name else default


NO_FORM = FormState(name="")


@bp.context_processor
def cooperation_helpers() -> dict[str, Any]:
    def cooperation_of(case: Case) -> Cooperation:
        return case_cooperation(db.session, current_user, case, local_today())

    return {"cooperation_of": cooperation_of,
            "cooperation_form": g.get("cooperation_form", NO_FORM),
            "referral_steps": REFERRAL_STEPS}


def _case_or_404(case_id: int) -> Case:
    case = db.session.get(Case, case_id)
    if case is None or not can_view_case(current_user, case):
        abort(404)
    return case


def _again(case_id: int, form: str, error: WorkflowError, values: dict[str, str]
           ) -> ResponseReturnValue:
    """The case page again, with the message on the field and the input kept."""
    db.session.rollback()
    g.cooperation_form = FormState(name=form, values=values,
                                   errors={error.field or "_form": error.message})
    from wagechannel.cases.views import detail  # the page's own view renders it

    response = make_response(detail(case_id=case_id))
    response.status_code = 422
    return response


def _form_values(*names: str) -> dict[str, str]:
    return {name: request.form.get(name, "")[:4000] for name in names}


@bp.route("/cases/<int:case_id>/shares", methods=["POST"])
@roles_required("legal_aid_staff")
def share(case_id: int) -> ResponseReturnValue:
    case = _case_or_404(case_id)
    values = _form_values("organisation_id")
    try:
        made = share_case(db.session, case, current_user,
                          organisation_id=values["organisation_id"], ip=request.remote_addr)
    except WorkflowError as error:
        if error.field is None:
            abort(403)
        return _again(case.id, "share", error, values)
    name = made.organisation.name
    db.session.commit()
    flash(f"已共享给{name}（只读，个人信息已隐去）。", "info")
    return redirect(url_for("cases.detail", case_id=case.id) + "#cooperation", code=303)


@bp.route("/cases/<int:case_id>/shares/<int:organisation_id>/delete", methods=["POST"])
@roles_required("legal_aid_staff")
def unshare(case_id: int, organisation_id: int) -> ResponseReturnValue:
    case = _case_or_404(case_id)
    try:
        unshare_case(db.session, case, current_user, organisation_id=organisation_id,
                     ip=request.remote_addr)
    except WorkflowError as error:
        if error.field is None:
            abort(403)
        abort(404)
    db.session.commit()
    flash("已取消共享。", "info")
    return redirect(url_for("cases.detail", case_id=case.id) + "#cooperation", code=303)


@bp.route("/cases/<int:case_id>/referrals", methods=["POST"])
@roles_required("legal_aid_staff", "lawyer")
def refer(case_id: int) -> ResponseReturnValue:
    case = _case_or_404(case_id)
    values = _form_values("consent_note")
    try:
        refer_to_bureau(db.session, case, current_user, consent_note=values["consent_note"],
                        ip=request.remote_addr)
    except WorkflowError as error:
        return _again(case.id, "refer", error, values)
    db.session.commit()
    flash("已转人社部门劳动保障监察。案件状态不变，仍由本中心办理。", "info")
    return redirect(url_for("cases.detail", case_id=case.id) + "#referral", code=303)


@bp.route("/referrals/<int:referral_id>/<step>", methods=["POST"])
@roles_required("bureau_liaison")
def referral_step(referral_id: int, step: str) -> ResponseReturnValue:
    referral = db.session.get(Referral, referral_id)
    if referral is None or step not in REFERRAL_STEPS or (
            current_user.role != "admin"
            and referral.bureau_org_id != current_user.organisation_id):
        abort(404)
    values = _form_values("on", "note")
    try:
        record_referral_step(db.session, referral, current_user, step=step, on=values["on"],
                             note=values["note"] or None, today=local_today(),
                             ip=request.remote_addr)
    except WorkflowError as error:
        return _again(referral.case_id, f"step-{step}", error, values)
    db.session.commit()
    flash(f"已记录：{REFERRAL_STEPS[step].label}。", "info")
    return redirect(url_for("cases.detail", case_id=referral.case_id) + "#referral", code=303)


@bp.route("/cases/shared")
@roles_required("legal_aid_staff")
def shared() -> ResponseReturnValue:
    """Cases other centres shared with this one (异地协作), read-only."""
    page = paginate(db.session, shared_with(current_user), page_number(request.args.get("page")))
    return render_template("cases/shared.html", page=page, shares=page.items)


@bp.route("/referrals")
@roles_required("bureau_liaison")
def referrals() -> ResponseReturnValue:
    """The bureau's queue of cases referred by legal-aid centres, personal data masked."""
    page = paginate(db.session, referral_queue(current_user),
                    page_number(request.args.get("page")))
    today = local_today()
    due = {referral.id: acceptance_due(referral) for referral in page.items}
    return render_template("cases/referrals.html", page=page, referrals=page.items, due=due,
                           today=today)
