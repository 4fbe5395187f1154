"""Pages of reminders: the inbox (/inbox), the signed acknowledgement link
(/reminders/ack/<token>), the outbox for administrators (/admin/reminders) and the deadline
calculator the case page uses (/deadlines/calculate)."""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import (abort, current_app, flash, jsonify, redirect, render_template, request,
                   url_for)
from flask.typing import ResponseReturnValue
from flask_login import current_user

from wagechannel.accounts.models import User
from wagechannel.accounts.permissions import roles_required
from wagechannel.accounts.services import record
from wagechannel.db import utcnow
from wagechannel.deadlines import inbox
from wagechannel.deadlines.models import Deadline, Reminder
from wagechannel.deadlines.reminders import acknowledge, escalation_stopped, read_ack_token
from wagechannel.deadlines.rules import CALCULATOR_RULES, RULES
from wagechannel.deadlines.services import compute_due
from wagechannel.deadlines.settings import reminder_settings
from wagechannel.deadlines.views import bp
from wagechannel.extensions import db
from wagechannel.paging import page_number

INBOX_ROLES = ("legal_aid_staff", "lawyer", "bureau_liaison")  # admin passes every check


@bp.record_once
def _check_settings(state: Any) -> None:
    """A bad reminder setting stops the application at start, naming the setting."""
    reminder_settings(state.app.config)


@bp.app_context_processor
def _inbox_helpers() -> dict[str, Any]:
    """For base.html: inbox_unread() — one statement, only where the header shows it."""
    def inbox_unread() -> int:
        if not current_user.is_authenticated or \
                current_user.role not in ("admin", *INBOX_ROLES):
            return 0
        return inbox.unread_count(db.session, current_user)
    return {"inbox_unread": inbox_unread, "calculator_rules": CALCULATOR_RULES}


# --- the inbox -------------------------------------------------------------------------------

@bp.route("/inbox")
@roles_required(*INBOX_ROLES)
def inbox_list() -> ResponseReturnValue:
    page = inbox.inbox_page(db.session, current_user, page_number(request.args.get("page")))
    return render_template("deadlines/inbox.html", page=page,
                           unread=inbox.unread_count(db.session, current_user))


def _own(reminder_id: int) -> Reminder:
    found = inbox.reminder_for(db.session, current_user, reminder_id)
    if found is None:
        abort(404)
    return found


def _back() -> ResponseReturnValue:
    page = page_number(request.form.get("page"))
    return redirect(url_for("deadlines.inbox_list", page=page) if page > 1
                    else url_for("deadlines.inbox_list"), code=303)


@bp.route("/inbox/<int:reminder_id>/read", methods=["POST"])
@roles_required(*INBOX_ROLES)
def inbox_read(reminder_id: int) -> ResponseReturnValue:
    inbox.mark_read(_own(reminder_id), utcnow())
    db.session.commit()
    return _back()


@bp.route("/inbox/read-all", methods=["POST"])
@roles_required(*INBOX_ROLES)
def inbox_read_all() -> ResponseReturnValue:
    count = inbox.mark_all_read(db.session, current_user, utcnow())
    db.session.commit()
    flash(f"已把 {count} 条提醒标为已读。", "info")
    return _back()


@bp.route("/inbox/<int:reminder_id>/ack", methods=["POST"])
@roles_required(*INBOX_ROLES)
def inbox_ack(reminder_id: int) -> ResponseReturnValue:
    """The button beside a reminder: this user has the deadline in hand."""
    reminder = _own(reminder_id)
    if reminder.deadline is None:
        abort(404)
    now = utcnow()
    inbox.mark_read(reminder, now)
    done = acknowledge(db.session, reminder.deadline, user=current_user, now=now, via="inbox",
                       ip=request.remote_addr)
    db.session.commit()
    flash(_acknowledged_words(reminder.deadline, done), "info")
    return _back()


def _acknowledged_words(deadline: Deadline, done: bool) -> str:
    if not done:
        return "这项期限已经办结，不需要确认。"
    if escalation_stopped(deadline):
        return "已确认：不再向上级催办这项期限；办结前负责人仍会收到提醒。"
    return "已确认。到最后一天仍未办结的，仍会告知主管。"


# --- the signed link in e-mails and group messages ----------------------------------------------

def _claim(token: str) -> tuple[Any, Deadline]:
    claim = read_ack_token(current_app.config["SECRET_KEY"], token)
    deadline = db.session.get(Deadline, claim.deadline_id) if claim is not None else None
    if claim is None or deadline is None:
        abort(404)
    return claim, deadline


@bp.route("/reminders/ack/<token>", methods=["GET", "POST"])
def acknowledge_link(token: str) -> ResponseReturnValue:
    """Opening the link shows the deadline and one button; only the button (a POST) records
    the acknowledgement, so a mail scanner that follows links acknowledges nothing."""
    claim, deadline = _claim(token)
    who: User | None = db.session.get(User, claim.user_id) if claim.user_id else None
    if who is not None and not who.is_active_account:
        abort(404)
    if who is None and current_user.is_authenticated:
        who = current_user  # a group's link, opened by someone logged in
    done = None
    if request.method == "POST":
        done = acknowledge(db.session, deadline, user=who, now=utcnow(), via="link",
                           organisation_id=claim.organisation_id, ip=request.remote_addr)
        db.session.commit()
    return render_template("deadlines/acknowledge.html", deadline=deadline,
                           rule=RULES.get(deadline.rule), who=who, done=done,
                           words=_acknowledged_words(deadline, bool(done)) if done else None)


# --- the outbox for administrators --------------------------------------------------------------

@bp.route("/admin/reminders")
@roles_required()
def reminders() -> ResponseReturnValue:
    status = request.args.get("status", "failed")
    if status not in inbox.OUTBOX_FILTERS:
        status = "failed"
    page = inbox.outbox_page(db.session, status, page_number(request.args.get("page")))
    return render_template("deadlines/outbox.html", page=page, status=status,
                           filters=inbox.OUTBOX_FILTERS, counts=inbox.outbox_counts(db.session),
                           rules=RULES)


@bp.route("/admin/reminders/<int:reminder_id>/retry", methods=["POST"])
@roles_required()
def reminder_retry(reminder_id: int) -> ResponseReturnValue:
    reminder = db.session.get(Reminder, reminder_id)
    if reminder is None:
        abort(404)
    if inbox.retry(db.session, reminder, utcnow()):
        record(db.session, "reminder_retry", actor=current_user, object_type="reminder",
               object_id=reminder.id, ip=request.remote_addr)
        db.session.commit()
        flash("已放回待发送，下一分钟内重新发送。", "info")
    else:
        flash("这条提醒不是发送失败的外发消息，不需要重试。", "info")
    return redirect(url_for("deadlines.reminders", status=request.form.get("status", "failed")),
                    code=303)


@bp.route("/admin/reminders/retry-failed", methods=["POST"])
@roles_required()
def reminder_retry_failed() -> ResponseReturnValue:
    count = inbox.retry_failed(db.session, utcnow())
    record(db.session, "reminder_retry", actor=current_user, object_type="reminder",
           object_id="failed", ip=request.remote_addr, count=count)
    db.session.commit()
    flash(f"已把 {count} 条发送失败的提醒放回待发送。", "info")
    return redirect(url_for("deadlines.reminders", status="failed"), code=303)


# --- the calculator ------------------------------------------------------------------------------

CALCULATOR_ROLES = ("legal_aid_staff", "lawyer", "bureau_liaison")


@bp.route("/deadlines/calculate")
@roles_required(*CALCULATOR_ROLES)
def calculate() -> ResponseReturnValue:
    """A rule and a trigger date -> the last day, as `wagechannel deadlines compute` says it
    (JSON with format=json, else a small page)."""
    rule = request.args.get("rule", "")
    raw = request.args.get("from", "").strip()
    error = None
    due = None
    if rule not in CALCULATOR_RULES:
        error = "请选择期限的种类。"
    else:
        try:
            trigger = date.fromisoformat(raw)
        except ValueError:
            error = "请填写起算日，例如 2026-11-30。"
        else:
            due = compute_due(rule, trigger, current_app.config)
    if not (rule or raw) and request.args.get("format") != "json":
        error = None  # the empty form, not yet used
    wants_json = request.args.get("format") == "json"
    if wants_json:
        if error:
            return jsonify({"error": error}), 422
        return jsonify(due.as_dict())  # type: ignore[union-attr]
    case_id = request.args.get("case", "")
    return render_template("deadlines/calculate.html", rules=CALCULATOR_RULES, rule=rule, raw=raw,
                           due=due, error=error,
                           case_id=int(case_id) if case_id.isascii() and case_id.isdigit()
                           and len(case_id) < 10 else None), 422 if error and raw else 200
