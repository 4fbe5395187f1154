"""Login, logout, the landing page of each role, and the administrator's audit search."""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from flask import (Blueprint, Response, current_app, flash, redirect, render_template, request,
                   session, url_for)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import Select, String, and_, cast, or_, select
from sqlalchemy.orm import joinedload

from wagechannel.accounts import services
from wagechannel.accounts.forms import LoginForm, LogoutForm
from wagechannel.accounts.models import AuditEvent, User
from wagechannel.accounts.permissions import roles_required
from wagechannel.clock import CHINA
from wagechannel.extensions import db, limiter, login_manager
from wagechannel.paging import page_number, paginate

bp = Blueprint("accounts", __name__)

HOME_BY_ROLE = {
    "admin": "cases.queue",
    "legal_aid_staff": "cases.queue",
    "lawyer": "cases.queue",
    "bureau_liaison": "cases.queue",
    "contractor": "places.projects",
}


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The account of a session, if the session is still current: same session version (no
    logout, new password or deactivation since) and the account active."""
    user_id, _, version = str(session_id).partition(":")
    if not (user_id.isascii() and user_id.isdigit() and version.isascii() and version.isdigit()
            and len(user_id) < 10):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active_account or user.session_version != int(version):
        return None
    return user


SEEN = "seen"  # session key: when this session last made a request (unix time)


@bp.before_app_request
def end_idle_sessions() -> ResponseReturnValue | None:
    """A session idle longer than SESSION_IDLE_MINUTES ends (a shared office PC)."""
    if not current_user.is_authenticated:
        return None
    now = time.time()
    seen = session.get(SEEN)
    idle = float(current_app.config["SESSION_IDLE_MINUTES"]) * 60
    if isinstance(seen, int | float) and now - seen > idle:
        logout_user()
        session.pop(SEEN, None)
        flash("长时间没有操作，已自动退出，请重新登录。", "info")
        return redirect(url_for("accounts.login", next=request.full_path
                                if request.method == "GET" else None))
    if not isinstance(seen, int | float) or now - seen > 60:  # rewrite the cookie once a minute
        session[SEEN] = int(now)
    return None


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/")
def home() -> ResponseReturnValue:
    if not current_user.is_authenticated:
        return render_template("accounts/welcome.html")
    return redirect(url_for(HOME_BY_ROLE.get(current_user.role, "accounts.login")))


def _account_key() -> str:
    return "login-account:" + (request.form.get("username") or "").strip().lower()[:64]


def _locked_out(_limit: object) -> Response:
    form = LoginForm()
    form.password.errors = ["这个账号输错密码的次数太多，请15分钟后再试，或请管理员帮忙。"]
    return Response(render_template("accounts/login.html", form=form), status=429)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
@limiter.limit(lambda: str(current_app.config["LOGIN_ACCOUNT_LIMIT"]), key_func=_account_key,
               methods=["POST"], deduct_when=lambda response: response.status_code != 302,
               on_breach=_locked_out)
def login() -> ResponseReturnValue:
    """Failed logins count per account (whatever the address), so guessing one account's
    password from many addresses is stopped too."""
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(db.session, form.username.data or "", form.password.data or "")
        if user is None:
            services.record(db.session, "login_failed", ip=request.remote_addr,
                            username=(form.username.data or "")[:64])
            db.session.commit()
            form.password.errors.append("用户名或密码不对。")
        else:
            login_user(user)
            session[SEEN] = int(time.time())
            services.record(db.session, "login", actor=user, ip=request.remote_addr)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")) or url_for("accounts.home"))
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> ResponseReturnValue:
    """Ends the session for good: a copy of its cookie no longer works (every session of the
    account ends, since one version number stands for them all)."""
    if LogoutForm().validate_on_submit():
        user = db.session.get(User, current_user.id)
        if user is not None:
            services.end_sessions(user)
            services.record(db.session, "logout", actor=user, ip=request.remote_addr)
            db.session.commit()
        logout_user()
        session.pop(SEEN, None)
        flash("已退出登录。", "info")
    return redirect(url_for("accounts.login"))


# --- the audit log, searched by an administrator ---------------------------------------------

@dataclass(frozen=True)
class AuditFilters:
    """What the search asks, as typed into the address (every field optional)."""

    user: str = ""
    case: str = ""
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def as_args(self) -> dict[str, str]:
        """The filters to keep in page links (empty ones left out)."""
        values = {"user": self.user, "case": self.case, "action": self.action,
                  "from": self.date_from.isoformat() if self.date_from else "",
                  "to": self.date_to.isoformat() if self.date_to else ""}
        return {key: value for key, value in values.items() if value}


def _audit_filters(args: Any) -> tuple[AuditFilters, dict[str, str]]:
    errors: dict[str, str] = {}
    dates: dict[str, date | None] = {}
    for name in ("from", "to"):
        raw = (args.get(name) or "").strip()
        try:
            dates[name] = date.fromisoformat(raw) if raw else None
        except ValueError:
            dates[name] = None
            errors[name] = "请按“2026-11-30”的样子填写日期。"
    if dates["from"] and dates["to"] and dates["to"] < dates["from"]:
        errors["to"] = "结束日期不能早于开始日期。"
        dates["to"] = None
    filters = AuditFilters(user=(args.get("user") or "").strip()[:64],
                           case=(args.get("case") or "").strip()[:32],
                           action=(args.get("action") or "").strip()[:64],
                           date_from=dates["from"], date_to=dates["to"])
    return filters, errors


def _local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=CHINA).astimezone(timezone.utc)


def audit_search(filters: AuditFilters) -> Select[tuple[AuditEvent]]:
    """The audit events the filters name, newest first, each with its actor (one statement a
    page). A case is its number or id: events on the case and on its reports."""
    from wagechannel.cases.models import Case
    from wagechannel.intake.models import Lead

    query = (select(AuditEvent).options(joinedload(AuditEvent.actor))
             .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()))
    if filters.user:
        query = query.where(AuditEvent.actor_id.in_(
            select(User.id).where(User.username == filters.user)))
    if filters.case:
        raw = filters.case
        case_id: Any = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else \
            select(Case.id).where(Case.number == raw.upper()).scalar_subquery()
        query = query.where(or_(
            and_(AuditEvent.object_type == "case",
                 AuditEvent.object_id == (str(case_id) if isinstance(case_id, int)
                                          else cast(case_id, String))),
            and_(AuditEvent.object_type == "lead",
                 AuditEvent.object_id.in_(select(cast(Lead.id, String))
                                          .where(Lead.case_id == case_id)))))
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.date_from:
        query = query.where(AuditEvent.at >= _local_midnight(filters.date_from))
    if filters.date_to:
        query = query.where(AuditEvent.at < _local_midnight(filters.date_to + timedelta(days=1)))
    return query


@bp.route("/admin/audit")
@roles_required()
def audit() -> ResponseReturnValue:
    """Who did or saw what, when: searched by user, case, action and dates, in the address."""
    from wagechannel.cases.timeline import ACTION_WORDS, action_words
    from wagechannel.cases.workflow import TRANSITIONS

    filters, errors = _audit_filters(request.args)
    page = paginate(db.session, audit_search(filters), page_number(request.args.get("page")))
    known = {**{f"case_{name}": step.label for name, step in TRANSITIONS.items()},
             **ACTION_WORDS}
    return render_template("accounts/audit.html", page=page, filters=filters, errors=errors,
                           known_actions=known, action_words=action_words), \
        422 if errors else 200
