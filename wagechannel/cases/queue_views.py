"""The queues: each user's cases, most urgent first; reports not yet routed."""
from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from wagechannel.accounts.permissions import roles_required
from wagechannel.cases.blueprint import CASE_ROLES, bp
from wagechannel.cases.routing import route_after_commit, unrouted_lead_ids, unrouted_leads
from wagechannel.cases.services import visible_cases
from wagechannel.clock import local_today
from wagechannel.extensions import db
from wagechannel.paging import page_number, paginate


@bp.route("/cases")
@roles_required(*CASE_ROLES)
def queue() -> ResponseReturnValue:
    page = paginate(db.session, visible_cases(current_user), page_number(request.args.get("page")))
    return render_template("cases/queue.html", page=page, cases=page.items, today=local_today())


@bp.route("/leads/unrouted", methods=["GET", "POST"])
@roles_required()
def unrouted() -> ResponseReturnValue:
    """Reports no centre has received yet (no centre serves the site, or routing failed)."""
    if request.method == "POST":
        ids = unrouted_lead_ids(db.session, min_age=timedelta(0))
        db.session.rollback()
        routed = sum(route_after_commit(db.session, lead_id, today=local_today()) for lead_id in ids)
        flash(f"重新转交：{len(ids)} 条中 {routed} 条已转交。", "info")
        return redirect(url_for("cases.unrouted"), code=303)
    page = paginate(db.session, unrouted_leads(), page_number(request.args.get("page")))
    return render_template("cases/unrouted.html", page=page, leads=page.items)
