"""The queues: each user's cases by tier, nearest time limit and age, with filters in the
address; reports not yet routed; the in-app alerts."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import func, select

from wagechannel.accounts.models import User
from wagechannel.accounts.permissions import roles_required
from wagechannel.cases import alerts
from wagechannel.cases.blueprint import CASE_ROLES, bp
from wagechannel.cases.models import ALERT_KINDS, CASE_STATUSES, ROUTES, TIERS, Alert, Case
from wagechannel.cases.priority import settings_from
from wagechannel.cases.routing import route_after_commit, unrouted_lead_ids
from wagechannel.cases.services import (QUEUE_ORDER, STATE_CHOICES, CaseFilters,
                                        case_conditions, case_filters, claimant_summaries)
from wagechannel.clock import local_today
from wagechannel.deadlines.limits import KIND_LABELS, facts_of, governing_limit
from wagechannel.deadlines.models import Deadline
from wagechannel.deadlines.records import OPEN
from wagechannel.deadlines.rules import RULES
from wagechannel.extensions import db
from wagechannel.intake.models import CHANNELS, LEAD_RECEIVED, VULNERABLE, Lead
from wagechannel.paging import count_of, page_number, paginate
from wagechannel.places.models import Contractor, Project, Region


@bp.record_once
def _check_settings(state: Any) -> None:
    """A bad COLLECTIVE_WINDOW_DAYS or SEASON_WINDOW stops the application at start, naming
    the setting, instead of failing on the first report."""
    settings_from(state.app.config)


@dataclass(frozen=True)
class HeaderCounts:
    alerts: int = 0  # unread alerts of the user's office (administrators: those for nobody)
    inbox: int = 0  # the user's unread in-app reminders


ALERT_HEADER_ROLES = ("admin", "legal_aid_staff", "bureau_liaison")
INBOX_HEADER_ROLES = ("admin", "legal_aid_staff", "lawyer", "bureau_liaison")


def header_counts() -> HeaderCounts:
    """What the header shows beside its links, for the user of this request: both unread
    counts in one statement (none for a role that sees neither), once a request."""
    user = current_user
    key = user.get_id() if user.is_authenticated else None
    found = g.get("_header_counts")
    if found is not None and found[0] == key:
        return found[1]  # type: ignore[no-any-return]
    from wagechannel.deadlines import inbox
    from wagechannel.deadlines.models import Reminder

    counts = HeaderCounts()
    if user.is_authenticated and user.role in INBOX_HEADER_ROLES:
        unread_inbox = (select(func.count(Reminder.id))
                        .where(*inbox._mine(user), Reminder.read_at.is_(None))
                        .scalar_subquery())
        if user.role in ALERT_HEADER_ROLES:
            unread_alerts = (select(func.count(Alert.id))
                             .where(alerts._scope(user), Alert.read_at.is_(None))
                             .scalar_subquery())
            row = db.session.execute(select(unread_alerts, unread_inbox)).one()
            counts = HeaderCounts(int(row[0] or 0), int(row[1] or 0))
        else:
            counts = HeaderCounts(inbox=int(db.session.scalar(select(unread_inbox)) or 0))
    g._header_counts = (key, counts)
    return counts


@bp.app_context_processor
def _queue_helpers() -> dict[str, Any]:
    """For base.html (the unread alerts and reminders in the header: header_counts(), one
    statement, only where it is shown; alert_count() as before) and the report form (the
    vulnerable-worker choices)."""
    def alert_count() -> int:
        if not current_user.is_authenticated or current_user.role not in alerts.ALERT_ROLES:
            return 0
        return header_counts().alerts
    return {"alert_count": alert_count, "header_counts": header_counts,
            "vulnerable_choices": VULNERABLE}


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
    conditions = case_conditions(current_user, filters)
    page = paginate(db.session, QUEUE_ROWS.where(*conditions).order_by(*QUEUE_ORDER),
                    page_number(request.args.get("page")),
                    count=count_of(Case.__table__, *conditions), rows=True)
    summaries = claimant_summaries(db.session, [case.id for case in page.items])
    return render_template("cases/queue.html", page=page, cases=page.items, today=local_today(),
                           filters=filters, errors=errors, typed=request.args,
                           summaries=summaries, links=_row_links(filters), rules=RULES,
                           statuses=CASE_STATUSES, limit_labels=KIND_LABELS,
                           **_filter_choices(filters))


def _nearest_deadline() -> Any:
    """The id of a case's nearest open deadline (ix_deadline_case_rule): a row of the queue
    names it with the case, in the same statement."""
    other = Deadline.__table__.alias("other_deadline")
    return (select(other.c.id).where(other.c.case_id == Case.id, other.c.status == OPEN)
            .order_by(other.c.due_date, other.c.id).limit(1).correlate(Case.__table__)
            .scalar_subquery())


# A queue row: only what it shows, as plain columns (a case has some fifty), with the project,
# contractor, lawyer and nearest open deadline joined: one statement a page.
QUEUE_ROWS = (
    select(Case.id, Case.number, Case.status, Case.tier, Case.priority, Case.priority_reasons,
           Case.limitation_end, Case.limitation_kind, Case.limitation_provisional,
           Case.worker_count, Case.collective_level, Case.created_at, Case.project_id,
           Project.name.label("project_name"), Project.contractor_id,
           Contractor.name.label("contractor_name"), User.display_name.label("lawyer_name"),
           Deadline.rule.label("deadline_rule"), Deadline.due_date.label("deadline_due"),
           Deadline.provisional.label("deadline_provisional"))
    .select_from(Case)
    .outerjoin(Project, Project.id == Case.project_id)
    .outerjoin(Contractor, Contractor.id == Project.contractor_id)
    .outerjoin(User, User.id == Case.lawyer_id)
    .outerjoin(Deadline, Deadline.id == _nearest_deadline()))


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
    waiting = Lead.status == LEAD_RECEIVED
    page = paginate(db.session, UNROUTED_ROWS.where(waiting).order_by(Lead.created_at, Lead.id),
                    page_number(request.args.get("page")),
                    count=count_of(Lead.__table__, waiting), rows=True)
    limits = {lead.id: governing_limit(facts_of(lead)) for lead in page.items}
    return render_template("cases/unrouted.html", page=page, leads=page.items, limits=limits,
                           today=local_today(), channels=CHANNELS)


# A waiting report as the list shows it (no phone number: nothing is decrypted), with the
# facts its time limit is worked out from and its site's and county's names, in one statement.
UNROUTED_ROWS = (
    select(Lead.id, Lead.created_at, Lead.channel, Lead.site_name, Lead.region_code, Lead.name,
           Lead.routing_error, Lead.employment_status, Lead.work_end, Lead.work_end_precision,
           Lead.demanded_on, Lead.award_kind, Lead.award_date,
           Project.name.label("project_name"), Region.name.label("region_name"))
    .select_from(Lead)
    .outerjoin(Project, Project.id == Lead.project_id)
    .outerjoin(Region, Region.code == Lead.region_code))


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
