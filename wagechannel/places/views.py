"""Projects (sites) for contractors and offices; regions' minimum wages for administrators.

The board section of the project page is the boards feature's own (the `project_boards`
template global); the project list only counts each project's active boards.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import func, select

from wagechannel.accounts.permissions import roles_required
from wagechannel.accounts.services import record
from wagechannel.errors import DomainError
from wagechannel.extensions import db
from wagechannel.intake.services import lead_count
from wagechannel.money import yuan_text
from wagechannel.paging import count_of, page_number, paginate
from wagechannel.places.models import LEGAL_AID, Contractor, Project, Region
from wagechannel.places.services import (ProjectInvalid, WageStandard, can_view_project,
                                         confirm_wage_fallback, delete_project, minimum_wage,
                                         parse_project, project_form_values, project_scope,
                                         region_list, region_minimum_wage, regions_for_choice,
                                         save_project,
                                         serving_organisation, set_region_wage,
                                         wage_confirmation_current)

bp = Blueprint("places", __name__)
PROJECT_ROLES = ("contractor", "legal_aid_staff", "bureau_liaison")
EDIT_ROLES = ("contractor",)  # and admin


def _project_or_404(project_id: int) -> Project:
    project = db.session.get(Project, project_id)
    if project is None or not can_view_project(current_user, project):
        abort(404)
    return project


def _editable_or_404(project_id: int) -> Project:
    project = _project_or_404(project_id)
    if project.deleted_at is not None or current_user.role not in ("admin", "contractor"):
        abort(403)
    return project


@bp.route("/projects")
@roles_required(*PROJECT_ROLES)
def projects() -> ResponseReturnValue:
    conditions, order = project_scope(current_user)
    page = paginate(db.session, _project_rows().where(*conditions).order_by(*order),
                    page_number(request.args.get("page")),
                    count=count_of(Project.__table__, *conditions), rows=True)
    return render_template("places/projects.html", page=page,
                           can_create=current_user.role in ("admin", "contractor"))


_PROJECT_ROWS: list[Any] = []


def _project_rows() -> Any:
    """A row of the project list: its name, address, contractor and active boards counted, as
    plain columns in one statement. The boards are counted in their table as Project.boards
    reaches it (places imports nothing of boards), by ix_board_project_id."""
    if not _PROJECT_ROWS:
        boards = Project.boards.property.mapper.local_table
        active = (select(func.count()).select_from(boards)
                  .where(boards.c.project_id == Project.id, boards.c.revoked_at.is_(None))
                  .correlate(Project).scalar_subquery())
        _PROJECT_ROWS.append(
            select(Project.id, Project.name, Project.address,
                   Contractor.name.label("contractor_name"), active.label("active_boards"))
            .join(Contractor, Contractor.id == Project.contractor_id))
    return _PROJECT_ROWS[0]


@bp.route("/projects/<int:project_id>")
@roles_required(*PROJECT_ROLES)
def project(project_id: int) -> ResponseReturnValue:
    item = _project_or_404(project_id)
    wage = minimum_wage(db.session, item)
    # A contractor never sees a count of leads: on a small site it could point to one worker.
    leads = None if current_user.role == "contractor" else lead_count(db.session, item.id)
    return render_template("places/project.html", project=item, wage=wage,
                           wage_confirmed=wage_confirmation_current(item, wage),
                           centre=serving_organisation(db.session, item.region_code, LEGAL_AID),
                           lead_count=leads,
                           can_edit=current_user.role in ("admin", "contractor")
                           and item.deleted_at is None)


@bp.route("/projects/<int:project_id>/wage/confirm", methods=["POST"])
@roles_required(*EDIT_ROLES)
def confirm_wage(project_id: int) -> ResponseReturnValue:
    """A contractor or administrator confirms a city's or province's minimum wage applies."""
    item = _editable_or_404(project_id)
    try:
        standard = confirm_wage_fallback(db.session, item, current_user)
    except DomainError as error:
        flash(error.message, "info")
        return redirect(url_for("places.project", project_id=item.id), code=303)
    record(db.session, "project_wage_confirmed", actor=current_user, object_type="project",
           object_id=item.id, ip=request.remote_addr,
           region=standard.region.code if standard.region else None,
           monthly=yuan_text(standard.monthly_fen), hourly=yuan_text(standard.hourly_fen))
    db.session.commit()
    flash("已确认按这个标准印在告示牌上。标准改变后需要重新确认。", "info")
    return redirect(url_for("places.project", project_id=item.id), code=303)


def _wage_hint(wage: WageStandard) -> str:
    if wage.level is None:
        return "所在区县还没有登记标准，请填写"
    figures = "，".join(part for part in (
        f"{yuan_text(wage.monthly_fen)}元/月" if wage.monthly_fen is not None else "",
        f"{yuan_text(wage.hourly_fen)}元/小时" if wage.hourly_fen is not None else "") if part)
    if wage.is_fallback and wage.region is not None:
        return (f"所在区县还没有登记标准；不填则借用{wage.region.name}的标准（{figures}），"
                "打印前要在项目页面确认")
    return f"不填则用{wage.region.name if wage.region else '所在区县'}的标准（{figures}）"


def _form_context(values: dict[str, Any], errors: dict[str, str],
                  project: Project | None) -> dict[str, Any]:
    regions = regions_for_choice(db.session)
    contractors = None
    if current_user.role == "admin":
        contractors = [(c.id, c.name) for c in db.session.scalars(
            select(Contractor).order_by(Contractor.name))]
    hint = "不填则用所在区县登记的标准"
    if project is not None:
        hint = _wage_hint(region_minimum_wage(db.session, project.region_code))
    return {"values": values, "errors": errors, "project": project,
            "region_options": [(r.code, f"{r.name}（{r.code}）") for r in regions],
            "contractor_options": contractors, "wage_hint": hint}


def _contractor_for(values: dict[str, Any], errors: dict[str, str]) -> Contractor | None:
    if current_user.role == "contractor":
        return db.session.get(Contractor, current_user.contractor_id)
    raw = values.get("contractor_id", "")
    raw = str(raw)
    valid = raw.isascii() and raw.isdigit() and len(raw) < 10
    contractor = db.session.get(Contractor, int(raw)) if valid else None
    if contractor is None:
        errors["contractor_id"] = "请选择施工总承包单位。"
    return contractor


def _save(project: Project | None) -> ResponseReturnValue:
    values = request.form.to_dict()
    errors: dict[str, str] = {}
    contractor = _contractor_for(values, errors)
    try:
        data = parse_project(values, db.session)
    except ProjectInvalid as invalid:
        errors.update(invalid.errors)
    if errors or contractor is None:
        return render_template("places/project_form.html",
                               **_form_context(values, errors, project)), 422
    saved = save_project(db.session, data, contractor=contractor, project=project)
    record(db.session, "project_updated" if project else "project_created", actor=current_user,
           object_type="project", object_id=saved.id, ip=request.remote_addr)
    db.session.commit()
    flash("项目已保存。", "info")
    return redirect(url_for("places.project", project_id=saved.id), code=303)


@bp.route("/projects/new", methods=["GET", "POST"])
@roles_required(*EDIT_ROLES)
def new_project() -> ResponseReturnValue:
    if request.method == "POST":
        return _save(None)
    return render_template("places/project_form.html", **_form_context({}, {}, None))


@bp.route("/projects/<int:project_id>/edit", methods=["GET", "POST"])
@roles_required(*EDIT_ROLES)
def edit_project(project_id: int) -> ResponseReturnValue:
    item = _editable_or_404(project_id)
    if request.method == "POST":
        return _save(item)
    return render_template("places/project_form.html",
                           **_form_context(project_form_values(item), {}, item))


@bp.route("/projects/<int:project_id>/delete", methods=["POST"])
@roles_required(*EDIT_ROLES)
def remove_project(project_id: int) -> ResponseReturnValue:
    item = _editable_or_404(project_id)
    delete_project(db.session, item)
    record(db.session, "project_deleted", actor=current_user, object_type="project",
           object_id=item.id, ip=request.remote_addr)
    db.session.commit()
    flash(f"项目“{item.name}”已删除。已印出的二维码仍会打开一个有热线电话的页面。", "info")
    return redirect(url_for("places.projects"), code=303)


@bp.route("/admin/regions", methods=["GET", "POST"])
@roles_required()
def regions() -> ResponseReturnValue:
    errors: dict[str, dict[str, str]] = {}
    values: dict[str, dict[str, str]] = {}
    number = page_number(request.values.get("page"))
    if request.method == "POST":
        region = db.session.get(Region, request.form.get("code", ""))
        if region is None:
            abort(404)
        monthly, hourly = request.form.get("minimum_wage_monthly"), request.form.get("minimum_wage_hourly")
        try:
            set_region_wage(db.session, region, monthly=monthly, hourly=hourly)
        except ProjectInvalid as invalid:
            errors[region.code] = invalid.errors
            values[region.code] = {"minimum_wage_monthly": monthly or "",
                                   "minimum_wage_hourly": hourly or ""}
        else:
            record(db.session, "region_wage_updated", actor=current_user, object_type="region",
                   object_id=region.code, ip=request.remote_addr, monthly=monthly, hourly=hourly)
            db.session.commit()
            flash(f"{region.name} 的最低工资标准已保存。", "info")
            return redirect(url_for("places.regions", page=number), code=303)
    page = paginate(db.session, region_list(), number, count=count_of(Region.__table__),
                    rows=True)
    return render_template("places/regions.html", page=page, errors=errors, values=values), \
        (422 if errors else 200)
