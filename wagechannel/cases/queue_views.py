"""The queues: each user's cases by tier, nearest time limit and age, with filters in the
address; reports not yet routed; the in-app alerts."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, NamedTuple

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import func, select

from wagechannel.accounts.models import User
from wagechannel.accounts.permissions import roles_required
from wagechannel.accounts.privacy import mask_name
from wagechannel.cache import ProcessCache, watch
from wagechannel.cases import alerts
from wagechannel.cases.blueprint import CASE_ROLES, bp
from wagechannel.cases.models import ALERT_KINDS, CASE_STATUSES, ROUTES, TIERS, Alert, Case
from wagechannel.cases.priority import settings_from
from wagechannel.cases.routing import route_after_commit, unrouted_lead_ids
from wagechannel.cases.services import (QUEUE_ORDER, STATE_CHOICES, CaseFilters,
                                        ClaimantSummary, case_conditions, case_filters,
                                        claimant_summaries)
from wagechannel.clock import local_today
from wagechannel.deadlines.limits import (KIND_LABELS, days_left_text, facts_of,
                                          governing_limit)
from wagechannel.deadlines.models import Deadline
from wagechannel.deadlines.records import OPEN
from wagechannel.deadlines.rules import RULES
from wagechannel.extensions import db
from wagechannel.intake.models import CHANNELS, LEAD_RECEIVED, VULNERABLE, Lead
from wagechannel.money import yuan
from wagechannel.paging import count_of, page_number, paginate
from wagechannel.places.models import Contractor, Project, Region
from wagechannel.templating import when


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
HEADER_COUNTS_KEY = "wagechannel.header_counts"


def header_counts() -> HeaderCounts:
    """What the header shows beside its links, for the user of this request: both unread
    counts in one statement (none for a role that sees neither), once a request."""
    user = current_user
    key = user.get_id() if user.is_authenticated else None
    found = request.environ.get(HEADER_COUNTS_KEY)  # this request's, never another's
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
    request.environ[HEADER_COUNTS_KEY] = (key, counts)
    return counts


HEADER_ENDPOINTS = ("accounts.home", "accounts.audit", "accounts.logout", "bureau.dashboard",
                    "cases.alert_list",
                    "cases.queue", "cases.referrals", "cases.routed_above", "cases.shared",
                    "cases.unrouted", "deadlines.calendar", "deadlines.inbox_list",
                    "deadlines.reminders", "intake.staff_report", "places.projects",
                    "places.regions")
_header_links: dict[tuple[int, str], dict[str, str]] = {}


def header_links() -> dict[str, str]:
    """The header's link addresses, built once per application (and mount point), not on every
    page."""
    key = (id(current_app._get_current_object()), request.script_root)  # type: ignore[attr-defined]
    links = _header_links.get(key)
    if links is None:
        links = _header_links[key] = {endpoint: url_for(endpoint)
                                      for endpoint in HEADER_ENDPOINTS}
    return links


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
            "header_links": header_links, "vulnerable_choices": VULNERABLE}


class LawyerChoice(NamedTuple):
    username: str
    display_name: str


# The lawyers a centre (or, for administrators, everyone) may filter by: each process keeps
# them a minute, and forgets them at once after its own change to an account.
_lawyers: ProcessCache[list[LawyerChoice]] = ProcessCache("lawyer choices")
watch(User)


def _lawyer_choices(role: str, organisation_id: int | None) -> list[LawyerChoice]:
    def load() -> list[LawyerChoice]:
        query = (select(User.username, User.display_name).where(User.role == "lawyer")
                 .order_by(User.display_name, User.id))
        if role == "legal_aid_staff":
            query = query.where(User.organisation_id == organisation_id)
        return [LawyerChoice(*row) for row in db.session.execute(query.limit(500))]
    return _lawyers.get((role, organisation_id if role == "legal_aid_staff" else None), load)


def _filter_choices(filters: CaseFilters) -> dict[str, Any]:
    """What the filter form offers: the lawyers this user may filter by (one statement a
    minute per process), and the names of a chosen project and contractor (one each, only
    when chosen)."""
    lawyers: list[LawyerChoice] = []
    if current_user.role in ("admin", "legal_aid_staff"):
        lawyers = _lawyer_choices(current_user.role, current_user.organisation_id)
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
    return render_template("cases/queue.html", page=page,
                           cases=queue_rows(page.items, summaries, local_today()),
                           filters=filters, errors=errors, typed=request.args,
                           links=_row_links(filters), **_filter_choices(filters))


@dataclass(frozen=True, slots=True)
class QueueRow:
    """A queue row's texts, put together once in Python (the template only places them)."""

    id: int
    number: str | None
    tier: str
    tier_label: str
    priority: int
    reasons: list[str]
    deadline_label: str | None
    deadline_due: str | None
    deadline_left: str | None
    deadline_provisional: bool
    limitation_label: str
    limitation_end: str | None
    limitation_left: str | None
    limitation_provisional: bool
    project_id: int | None
    project_name: str | None
    contractor_id: int | None
    contractor_name: str | None
    workers: str
    collective: str | None
    claimants: str
    lawyer_name: str | None
    owed: str
    owed_unknown: int
    status: str
    received: str


COLLECTIVE_TAGS = {"major": "重大群体性", "collective": "群体性"}


def queue_rows(rows: Sequence[Any], summaries: Mapping[int, ClaimantSummary],
               today: date) -> list[QueueRow]:
    made = []
    for row in rows:
        workers = summaries.get(row.id)
        if workers is None:
            claimants, owed, unknown = "—", "不清楚", 0
        else:
            claimants = "、".join(mask_name(name) for name in workers.names)
            if workers.count > len(workers.names):
                claimants += f" 等{workers.count}名当事人"
            known = workers.unknown < workers.count
            owed, unknown = (yuan(workers.owed_fen), workers.unknown) if known else ("不清楚", 0)
        due, end = row.deadline_due, row.limitation_end
        made.append(QueueRow(
            id=row.id, number=row.number, tier=row.tier,
            tier_label=TIERS.get(row.tier, row.tier), priority=row.priority,
            reasons=row.priority_reasons or [],
            deadline_label=RULES[row.deadline_rule].label if due else None,
            deadline_due=due.isoformat() if due else None,
            deadline_left=days_left_text((due - today).days) if due else None,
            deadline_provisional=bool(row.deadline_provisional),
            limitation_label=KIND_LABELS.get(row.limitation_kind or "", "期限"),
            limitation_end=end.isoformat() if end else None,
            limitation_left=days_left_text((end - today).days) if end else None,
            limitation_provisional=bool(row.limitation_provisional),
            project_id=row.project_id, project_name=row.project_name,
            contractor_id=row.contractor_id, contractor_name=row.contractor_name,
            workers=f"{row.worker_count}人", collective=COLLECTIVE_TAGS.get(row.collective_level),
            claimants=claimants, lawyer_name=row.lawyer_name, owed=owed, owed_unknown=unknown,
            status=CASE_STATUSES.get(row.status, row.status), received=when(row.created_at)))
    return made


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
