"""Login, logout and the landing page of each role."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
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
def load_user(user_id: str) -> User | None:
    try:
        return db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/")
def home():  # type: ignore[no-untyped-def]
    if not current_user.is_authenticated:
        return render_template("accounts/welcome.html")
    return redirect(url_for(HOME_BY_ROLE.get(current_user.role, "accounts.login")))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def login():  # type: ignore[no-untyped-def]
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
            services.record(db.session, "login", actor=user, ip=request.remote_addr)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")) or url_for("accounts.home"))
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():  # type: ignore[no-untyped-def]
    if LogoutForm().validate_on_submit():
        logout_user()
        flash("已退出登录。", "info")
    return redirect(url_for("accounts.login"))
