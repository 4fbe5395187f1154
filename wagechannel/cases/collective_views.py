"""Collective cases (群体性案件): merging, splitting, and cases routed above their county."""
from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from wagechannel.accounts.permissions import roles_required
from wagechannel.cases.blueprint import bp
from wagechannel.cases.collective import (RegroupError, case_by_number, may_regroup,
                                          merge_cases, normalise_number, split_claimant)
from wagechannel.cases.models import COLLECTIVE_LEVELS, Case
from wagechannel.cases.priority import OPEN_STATUSES
from wagechannel.cases.services import can_view_case, sees_personal_data
from wagechannel.clock import local_today
from wagechannel.extensions import db
from wagechannel.paging import page_number, paginate


@bp.app_context_processor
def _collective_helpers() -> dict[str, Any]:
    """For the case page's collective section (templates/cases/_collective.html)."""
    def may_regroup_case(case: Case) -> bool:
        return current_user.is_authenticated and case.status in OPEN_STATUSES \
            and may_regroup(current_user, case)
    return {"may_regroup_case": may_regroup_case, "collective_levels": COLLECTIVE_LEVELS}


def _case_for_regrouping(case_id: int) -> Case:
    case = db.session.get(Case, case_id)
    if case is None or not can_view_case(current_user, case):
        abort(404)
    if not may_regroup(current_user, case):
        abort(403)
    return case


@bp.route("/cases/<int:case_id>/merge", methods=["GET", "POST"])
@roles_required("legal_aid_staff")
def merge(case_id: int) -> ResponseReturnValue:
    """Merge another case of the centre into this one: GET shows what would move (the number
    comes from the case page's form), POST does it."""
    case = _case_for_regrouping(case_id)
    typed = request.values.get("number", "")
    wanted = normalise_number(typed)
    error = None
    other = case_by_number(db.session, wanted)
    if other is not None and (other.legal_aid_org_id != case.legal_aid_org_id
                              or not may_regroup(current_user, other)):
        other = None  # another centre's case is "not found"
    if request.method == "POST":
        try:
            merged = merge_cases(db.session, case, typed, current_user, today=local_today(),
                                 ip=request.remote_addr)
        except RegroupError as refused:
            db.session.rollback()
            error = refused.message
        else:
            db.session.commit()
            flash(f"已把案件 {merged.number} 并入本案：当事人、线索和留言都已转过来，"
                  f"案件 {merged.number} 已按“已合并”结案。", "info")
            return redirect(url_for("cases.detail", case_id=case.id), code=303)
    elif not wanted:
        error = "请填写要并入本案的案号。" if "number" in request.values else None
    elif other is None:
        error = f"本中心没有案号为 {wanted} 的案件。"
    elif other.id == case.id:
        error = "不能把案件并入它自己，请填写另一个案件的案号。"
    return render_template("cases/merge.html", case=case, other=other if error is None else None,
                           typed=typed[:64], error=error,
                           full=sees_personal_data(current_user)), 422 if error else 200


@bp.route("/cases/<int:case_id>/claimants/<int:claimant_id>/split", methods=["GET", "POST"])
@roles_required("legal_aid_staff")
def split(case_id: int, claimant_id: int) -> ResponseReturnValue:
    """Split one worker out into a new case: GET asks to confirm, POST does it."""
    case = _case_for_regrouping(case_id)
    claimant = next((c for c in case.claimants if c.id == claimant_id), None)
    if claimant is None:
        abort(404)
    error = None
    if request.method == "POST":
        try:
            new = split_claimant(db.session, case, claimant_id, current_user,
                                 today=local_today(), ip=request.remote_addr)
        except RegroupError as refused:
            db.session.rollback()
            error = refused.message
        else:
            db.session.commit()
            flash(f"已把这名当事人拆分到新案件 {new.number}，他的线索、留言和照片都一起转过去了。",
                  "info")
            return redirect(url_for("cases.detail", case_id=new.id), code=303)
    elif len(case.claimants) < 2:
        error = "案件只有这一名当事人，不需要拆分。"
    return render_template("cases/split.html", case=case, claimant=claimant, error=error,
                           full=sees_personal_data(current_user)), 422 if error else 200


@bp.route("/cases/routed-above")
@roles_required()
def routed_above() -> ResponseReturnValue:
    """Cases whose county has no centre, sent to the city's or province's (for administrators:
    register the county's centre, or confirm)."""
    query = (select(Case).options(joinedload(Case.legal_aid_org), joinedload(Case.region),
                                  joinedload(Case.project))
             .where(Case.routed_above.is_(True))
             .order_by(Case.created_at.desc(), Case.id.desc()))
    page = paginate(db.session, query, page_number(request.args.get("page")))
    return render_template("cases/routed_above.html", page=page, cases=page.items)
