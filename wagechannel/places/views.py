"""Projects (sites) and their boards, for contractors and offices."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template
from flask_login import current_user

from wagechannel.accounts.permissions import roles_required
from wagechannel.boards.services import board_url
from wagechannel.extensions import db
from wagechannel.places.models import Project
from wagechannel.places.services import can_view_project, visible_projects

bp = Blueprint("places", __name__)
PROJECT_ROLES = ("contractor", "legal_aid_staff", "bureau_liaison")


@bp.route("/projects")
@roles_required(*PROJECT_ROLES)
def projects():  # type: ignore[no-untyped-def]
    items = list(db.session.scalars(visible_projects(current_user)))
    return render_template("places/projects.html", projects=items)


@bp.route("/projects/<int:project_id>")
@roles_required(*PROJECT_ROLES)
def project(project_id: int):  # type: ignore[no-untyped-def]
    item = db.session.get(Project, project_id)
    if item is None or not can_view_project(current_user, item):
        abort(404)
    base_url = current_app.config["BASE_URL"]
    return render_template("places/project.html", project=item,
                           board_urls={b.id: board_url(base_url, b.token) for b in item.boards})
