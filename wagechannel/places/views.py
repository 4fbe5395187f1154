"""Projects (sites) and their boards, for contractors and offices; regions for administrators."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_login import current_user
from sqlalchemy import func, select

from wagechannel.accounts.permissions import roles_required
from wagechannel.accounts.services import record
from wagechannel.boards.fonts import FontMissing, find_font
from wagechannel.boards.layouts import layout_choices
from wagechannel.boards.models import REVOKE_REASONS
from wagechannel.boards.services import (STALE_DAYS, board_url, missing_items, project_channels,
                                         scans_since)
from wagechannel.clock import local_today
from wagechannel.extensions import db
from wagechannel.intake.models import Lead
from wagechannel.places.models import Contractor, Project, Region
from wagechannel.places.services import (ProjectInvalid, can_view_project, delete_project,
                                         parse_project, project_form_values, region_minimum_wage,
                                         regions_for_choice,
                                         save_project, set_region_wage, visible_projects)
from wagechannel.money import yuan

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
def projects():  # type: ignore[no-untyped-def]
    items = list(db.session.scalars(visible_projects(current_user)))
    return render_template("places/projects.html", projects=items,
                           can_create=current_user.role in ("admin", "contractor"))


@bp.route("/projects/<int:project_id>")
@roles_required(*PROJECT_ROLES)
def project(project_id: int):  # type: ignore[no-untyped-def]
    item = _project_or_404(project_id)
    base_url = current_app.config["BASE_URL"]
    channels = project_channels(db.session, item)
    since = local_today() - timedelta(days=STALE_DAYS - 1)
    scans = scans_since(db.session, [b.id for b in item.boards], since)
    # A contractor never sees a count of leads: on a small site it could point to one worker.
    lead_count = None if current_user.role == "contractor" else db.session.scalar(
        select(func.count(Lead.id)).where(Lead.project_id == item.id))
    try:
        find_font(current_app.config.get("FONT"))
        font_problem = None
    except FontMissing as missing:
        font_problem = missing.message  # PNG and PDF need it; the HTML print view does not
    return render_template("places/project.html", project=item, channels=channels,
                           font_problem=font_problem,
                           missing=missing_items(db.session, item, channels),
                           board_urls={b.id: board_url(base_url, b.token) for b in item.boards},
                           scans=scans, lead_count=lead_count, revoke_reasons=REVOKE_REASONS,
                           layouts=layout_choices(),
                           can_edit=current_user.role in ("admin", "contractor")
                           and item.deleted_at is None)


def _form_context(values: dict[str, Any], errors: dict[str, str],
                  project: Project | None) -> dict[str, Any]:
    regions = regions_for_choice(db.session)
    contractors = None
    if current_user.role == "admin":
        contractors = [(c.id, c.name) for c in db.session.scalars(
            select(Contractor).order_by(Contractor.name))]
    hint = "不填则用所在地区的标准"
    if project is not None:
        monthly, _hourly = region_minimum_wage(db.session, project.region_code)
        if monthly is not None:
            hint = f"不填则用所在地区的标准（{yuan(monthly)}/月）"
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


def _save(project: Project | None):  # type: ignore[no-untyped-def]
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
def new_project():  # type: ignore[no-untyped-def]
    if request.method == "POST":
        return _save(None)
    return render_template("places/project_form.html", **_form_context({}, {}, None))


@bp.route("/projects/<int:project_id>/edit", methods=["GET", "POST"])
@roles_required(*EDIT_ROLES)
def edit_project(project_id: int):  # type: ignore[no-untyped-def]
    item = _editable_or_404(project_id)
    if request.method == "POST":
        return _save(item)
    return render_template("places/project_form.html",
                           **_form_context(project_form_values(item), {}, item))


@bp.route("/projects/<int:project_id>/delete", methods=["POST"])
@roles_required(*EDIT_ROLES)
def remove_project(project_id: int):  # type: ignore[no-untyped-def]
    item = _editable_or_404(project_id)
    delete_project(db.session, item)
    record(db.session, "project_deleted", actor=current_user, object_type="project",
           object_id=item.id, ip=request.remote_addr)
    db.session.commit()
    flash(f"项目“{item.name}”已删除。已印出的二维码仍会打开一个有热线电话的页面。", "info")
    return redirect(url_for("places.projects"), code=303)


@bp.route("/admin/regions", methods=["GET", "POST"])
@roles_required()
def regions():  # type: ignore[no-untyped-def]
    errors: dict[str, dict[str, str]] = {}
    values: dict[str, dict[str, str]] = {}
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
            return redirect(url_for("places.regions"), code=303)
    items = regions_for_choice(db.session)
    return render_template("places/regions.html", regions=items, errors=errors, values=values), \
        (422 if errors else 200)
