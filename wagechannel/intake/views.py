"""The worker's form behind the QR code, and the receipt / progress page."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError

from wagechannel.boards.services import find_board, record_scan
from wagechannel.clock import local_today
from wagechannel.errors import MESSAGES
from wagechannel.extensions import db
from wagechannel.intake.models import WANTS
from wagechannel.intake.services import find_by_code, public_status, route_after_commit, store_lead
from wagechannel.intake.validation import LeadInvalid, parse_lead

bp = Blueprint("intake", __name__)


def _board_notice(board) -> str | None:  # type: ignore[no-untyped-def]
    """Why this board is not the current one, in words for the worker."""
    if board.project.deleted_at is not None:
        return "这块告示牌所在的工地项目已经停用。您仍然可以在下面反映欠薪，我们会转给当地法律援助中心。"
    if not board.active:
        return ("这块告示牌已经更换（" + board.revoked_reason_label + "）。"
                "您仍然可以在下面反映欠薪，不会丢失。")
    return None


def _render_form(board, values, errors, status=200, notice=None):  # type: ignore[no-untyped-def]
    project = board.project
    return render_template("intake/form.html", board=board, project=project,
                           show_project=project.deleted_at is None, values=values, errors=errors,
                           wants=WANTS, notice=notice,
                           board_notice=_board_notice(board)), status


@bp.route("/s")
def board_lookup():  # type: ignore[no-untyped-def]
    """For a worker whose phone cannot scan: type the number printed under the QR code."""
    token = (request.args.get("token") or "").strip()
    if token:
        board = find_board(db.session, token)
        if board is not None:
            return redirect(url_for("intake.report", token=board.token))
        return render_template("intake/unknown_board.html", token=token[:32]), 404
    return render_template("intake/board_lookup.html")


@bp.route("/s/<token>", methods=["GET", "POST"])
def report(token: str):  # type: ignore[no-untyped-def]
    board = find_board(db.session, token)
    if board is None:
        return render_template("intake/unknown_board.html", token=token[:32]), 404
    if request.method == "GET":
        record_scan(db.session, board, local_today())
        db.session.commit()
        return _render_form(board, {"workers_affected": "1", "wants": "legal_aid"}, {})
    values = request.form.to_dict()
    try:
        data = parse_lead(values, today=local_today())
    except LeadInvalid as invalid:
        return _render_form(board, values, invalid.errors, status=422)
    lead = store_lead(db.session, data, board=board, channel="qr")
    lead_id, code = lead.id, lead.code
    db.session.commit()  # stored first: nothing after this line can lose the report
    route_after_commit(db.session, lead_id, today=local_today())
    return redirect(url_for("intake.receipt", code=code, new=1), code=303)


@bp.app_errorhandler(CSRFError)
def csrf_failed(error: CSRFError):  # type: ignore[no-untyped-def]
    """An expired or missing form token: show the worker's form again with everything kept."""
    if request.endpoint == "intake.report" and request.view_args:
        board = find_board(db.session, request.view_args.get("token", ""))
        if board is not None:
            return _render_form(board, request.form.to_dict(), {}, status=400,
                                notice="页面停留时间太长了，您填的内容都还在，请再点一次“提交”。")
    if request.path.startswith("/api/"):
        abort(400)
    return render_template("error.html", code=400,
                           message="页面已过期，请返回上一页，刷新后再试一次。"), 400


@bp.route("/q", methods=["GET", "POST"])
def lookup():  # type: ignore[no-untyped-def]
    code = (request.values.get("code") or "").strip()
    if code:
        lead = find_by_code(db.session, code)
        if lead is not None:
            return redirect(url_for("intake.receipt", code=lead.code))
        return render_template("intake/lookup.html", code=code[:16],
                               error="没有找到这个查询码，请检查后再输入。"), 404
    return render_template("intake/lookup.html", code="", error=None)


@bp.route("/q/<code>")
def receipt(code: str):  # type: ignore[no-untyped-def]
    lead = find_by_code(db.session, code)
    if lead is None:
        return render_template("intake/lookup.html", code=code[:16],
                               error="没有找到这个查询码，请检查后再输入。"), 404
    status, label = public_status(lead)
    return render_template("intake/receipt.html", lead=lead, status=status, status_label=label,
                           new=request.args.get("new") == "1",
                           centre=lead.legal_aid_org, messages=MESSAGES)
