"""Login, logout and the landing page of each role."""
from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import (Blueprint, Response, current_app, flash, redirect, render_template, request,
                   session, url_for)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user, logout_user

from wagechannel.accounts import services
from wagechannel.accounts.forms import LoginForm, LogoutForm
from wagechannel.accounts.models import User
from wagechannel.extensions import db, limiter, login_manager

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
