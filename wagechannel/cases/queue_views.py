"""The queues: each user's cases by tier, nearest time limit and age, with filters in the
address; reports not yet routed; the in-app alerts."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import defaultload, load_only

from wagechannel.accounts.models import User
from wagechannel.accounts.permissions import roles_required
from wagechannel.cases import alerts
from wagechannel.cases.blueprint import CASE_ROLES, bp
from wagechannel.cases.models import ALERT_KINDS, ROUTES, TIERS, Case
from wagechannel.cases.priority import settings_from
from wagechannel.cases.routing import route_after_commit, unrouted_lead_ids, unrouted_leads
from wagechannel.cases.services import (STATE_CHOICES, CaseFilters, case_filters,
                                        claimant_summaries, filtered_cases)
from wagechannel.clock import local_today
from wagechannel.deadlines.limits import facts_of, governing_limit
from wagechannel.extensions import db
from wagechannel.intake.models import VULNERABLE
from wagechannel.deadlines.records import nearest_open
from wagechannel.deadlines.rules import RULES
from wagechannel.paging import page_number, paginate
from wagechannel.places.models import Contractor, Project


@bp.record_once
def _check_settings(state: Any) -> None:
    """A bad COLLECTIVE_WINDOW_DAYS or SEASON_WINDOW stops the application at start, naming
    the setting, instead of failing on the first report."""
    settings_from(state.app.config)


@bp.app_context_processor
def _queue_helpers() -> dict[str, Any]:
    """For base.html (the unread alerts in the header: call alert_count(), one statement, only
    where it is shown) and the report form (the vulnerable-worker choices)."""
    def alert_count() -> int:
        if not current_user.is_authenticated or current_user.role not in alerts.ALERT_ROLES:
            return 0
        return alerts.unread_count(db.session, current_user)
    return {"alert_count": alert_count, "vulnerable_choices": VULNERABLE}


def _filter_choices(filters: CaseFilters) -> dict[str, Any]:
    """What the filter form offers: the lawyers this user may filter by (one statement), and the
    names of a chosen project and contractor (one each, only when chosen)."""
    lawyers: list[User] = []
    if current_user.role in ("admin", "legal_aid_staff"):
        query = select(User).where(User.role == "lawyer").order_by(User.display_name, User.id)
        if current_user.role == "legal_aid_staff":
            query = query.where(User.organisation_id == current_user.organisation_id)
        lawyers = list(db.session.scalars(query.limit(500)))
    project = db.session.get(Project, filters.project) if filters.project else None
    contractor = db.session.get(Contractor, filters.contractor) if filters.contractor else None
    return {"lawyers": lawyers, "chosen_project": project, "chosen_contractor": contractor,
            "tiers": TIERS, "states": STATE_CHOICES, "routes": ROUTES}


@bp.route("/cases")
@roles_required(*CASE_ROLES)
def queue() -> ResponseReturnValue:
    filters, errors = case_filters(request.args)
    query = filtered_cases(current_user, filters, claimants=False).options(*ROW_COLUMNS)
    page = paginate(db.session, query, page_number(request.args.get("page")))
    ids = [case.id for case in page.items]
    summaries = claimant_summaries(db.session, ids)
    return render_template("cases/queue.html", page=page, cases=page.items, today=local_today(),
                           filters=filters, errors=errors, typed=request.args,
                           summaries=summaries, links=_row_links(filters),
                           deadlines=nearest_open(db.session, ids), rules=RULES,
                           **_filter_choices(filters))


# Only what a row shows is read and built into objects (a case has some fifty columns).
ROW_COLUMNS = (
    load_only(Case.id, Case.number, Case.status, Case.tier, Case.priority,
              Case.priority_reasons, Case.limitation_end, Case.limitation_kind,
              Case.limitation_provisional, Case.worker_count, Case.collective_level,
              Case.created_at, Case.project_id, Case.lawyer_id),
    defaultload(Case.project).load_only(Project.id, Project.name, Project.contractor_id),
    defaultload(Case.project).defaultload(Project.contractor).load_only(Contractor.id,
                                                                       Contractor.name),
    defaultload(Case.lawyer).load_only(User.id, User.display_name),
)


def _row_links(filters: CaseFilters) -> dict[str, str]:
    """The address prefixes a row's links add an id to (built once a page, not per row): the
    case, and the queue narrowed to the row's project or contractor."""
    def narrowed(name: str) -> str:
        base = url_for("cases.queue", **{k: v for k, v in filters.args().items() if k != name})
        return f"{base}{'&' if '?' in base else '?'}{name}="
    return {"case": url_for("cases.detail", case_id=0)[:-1], "project": narrowed("project"),
            "contractor": narrowed("contractor")}


@bp.route("/leads/unrouted", methods=["GET", "POST"])
@roles_required()
def unrouted() -> ResponseReturnValue:
    """Reports no centre has received yet (no centre serves the site, or routing failed), each
    with its own time limit: no centre's queue counts it down for them."""
    if request.method == "POST":
        ids = unrouted_lead_ids(db.session, min_age=timedelta(0))
        db.session.rollback()
        routed = sum(route_after_commit(db.session, lead_id, today=local_today())
                     for lead_id in ids)
        flash(f"重新转交：{len(ids)} 条中 {routed} 条已转交。", "info")
        return redirect(url_for("cases.unrouted"), code=303)
    page = paginate(db.session, unrouted_leads(), page_number(request.args.get("page")))
    limits = {lead.id: governing_limit(facts_of(lead)) for lead in page.items}
    return render_template("cases/unrouted.html", page=page, leads=page.items, limits=limits,
                           today=local_today())


@bp.route("/alerts")
@roles_required("legal_aid_staff", "bureau_liaison")
def alert_list() -> ResponseReturnValue:
    page = paginate(db.session, alerts.visible_alerts(current_user),
                    page_number(request.args.get("page")))
    return render_template("cases/alerts.html", page=page, items=page.items,
                           alert_kinds=ALERT_KINDS)


@bp.route("/alerts/<int:alert_id>/read", methods=["POST"])
@roles_required("legal_aid_staff", "bureau_liaison")
def alert_read(alert_id: int) -> ResponseReturnValue:
    alert = alerts.alert_for(db.session, current_user, alert_id)
    if alert is None:
        abort(404)
    alerts.mark_read(db.session, current_user, alert)
    db.session.commit()
    return redirect(url_for("cases.alert_list", page=request.form.get("page") or None), code=303)


@bp.route("/alerts/read", methods=["POST"])
@roles_required("legal_aid_staff", "bureau_liaison")
def alerts_all_read() -> ResponseReturnValue:
    done = alerts.mark_all_read(db.session, current_user)
    db.session.commit()
    flash(f"已将 {done} 条提醒标为已读。", "info")
    return redirect(url_for("cases.alert_list"), code=303)
