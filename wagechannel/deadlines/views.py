"""The working-day calendar for administrators: days declared holidays or working days."""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from wagechannel.accounts.permissions import roles_required
from wagechannel.accounts.services import record
from wagechannel.clock import local_today
from wagechannel.deadlines.calendar import published_until, set_entries, statutory_holidays
from wagechannel.deadlines.services import (calendar_entries, entry_list, next_year_unpublished,
                                            remove_entry, set_entry)
from wagechannel.errors import DomainError
from wagechannel.extensions import db

bp = Blueprint("deadlines", __name__)


@bp.before_app_request
def _calendar_for_this_request() -> None:
    """Dates computed in this request honour the administrator's entries (fetched only if a
    date is computed, and kept a minute per process)."""
    set_entries(lambda: calendar_entries(db.session))


@bp.teardown_app_request
def _calendar_after_request(_error: BaseException | None) -> None:
    set_entries({})  # a thread serves other requests (and tests) after this one


@bp.app_context_processor
def _calendar_warning() -> dict[str, Any]:
    def warning() -> str | None:
        if not (current_user.is_authenticated and current_user.role == "admin"):
            return None
        today = local_today()
        if next_year_unpublished(db.session, today):
            return (f"{today.year + 1}年的放假安排还没有公布，也没有录入：涉及明年的期限按周末和法定节日"
                    "暂定计算。国务院公布后请在“工作日历”里录入调休。")
        return None
    return {"calendar_warning": warning}


def _parse_day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        return None


@bp.route("/admin/calendar", methods=["GET", "POST"])
@roles_required()
def calendar() -> ResponseReturnValue:
    today = local_today()
    year_raw = request.args.get("year", "")
    year = int(year_raw) if year_raw.isascii() and year_raw.isdigit() and \
        2004 <= int(year_raw) <= 2100 else today.year + 1
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    if request.method == "POST":
        values = {key: request.form.get(key, "") for key in ("day", "kind", "note")}
        if request.form.get("remove"):
            day = _parse_day(request.form.get("remove"))
            if day is not None and remove_entry(db.session, day):
                record(db.session, "calendar_entry_removed", actor=current_user,
                       object_type="calendar", object_id=day.isoformat(), ip=request.remote_addr)
                db.session.commit()
                flash(f"已删除 {day.isoformat()} 的设置。", "info")
            return redirect(url_for("deadlines.calendar", year=year), code=303)
        day = _parse_day(values["day"])
        if day is None:
            errors["day"] = "请填写日期，例如 2027-02-05。"
        if values["kind"] not in ("holiday", "working"):
            errors["kind"] = "请选择是放假还是上班。"
        if not errors and day is not None:
            try:
                set_entry(db.session, day, working=values["kind"] == "working",
                          note=values["note"], user=current_user)
            except DomainError as error:
                errors[error.field or "note"] = error.message
            else:
                record(db.session, "calendar_entry_set", actor=current_user,
                       object_type="calendar", object_id=day.isoformat(), ip=request.remote_addr,
                       working=values["kind"] == "working")
                db.session.commit()
                flash(f"{day.isoformat()} 已设为{'上班' if values['kind'] == 'working' else '放假'}。",
                      "info")
                return redirect(url_for("deadlines.calendar", year=day.year), code=303)
    entries = entry_list(db.session, year)
    return render_template("deadlines/calendar.html", year=year, entries=entries,
                           published=year <= published_until(), published_until=published_until(),
                           statutory=sorted(statutory_holidays(year)), errors=errors,
                           values=values), 422 if errors else 200

# Pages of reminders (inbox, acknowledgement links, outbox, calculator), on this blueprint.
from wagechannel.deadlines import inbox_views  # noqa: E402,F401
