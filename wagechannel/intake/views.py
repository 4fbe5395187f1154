"""The worker's form behind the QR code, the general form, and the receipt / progress page."""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   session, url_for)
from flask_login import current_user
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from wagechannel.accounts.permissions import roles_required
from wagechannel.accounts.services import record

from wagechannel.boards.models import Board
from wagechannel.boards.services import find_board, record_scan
from wagechannel.clock import local_today
from wagechannel.db import utcnow
from wagechannel.errors import MESSAGES, DomainError
from wagechannel.validation import Invalid
from wagechannel.extensions import db
from wagechannel.intake import models
from wagechannel.intake.evidence import MAX_PHOTOS, ProcessedFile, process_photo
from wagechannel.intake.limits import address_limit, intake_limits, lookup_limit
from wagechannel.cases.messages import add_message
from wagechannel.cases.models import ROUTES, Claimant, Referral
from wagechannel.cases.routing import routable_region_codes
from wagechannel.intake.services import (CODE_LENGTH, WORKER_OUTCOME_LABELS, evidence_row,
                                         find_by_code,
                                         phone_suffix_matches, public_status,
                                         site_of, stash_uploads, stashed_counts, store_report)
from wagechannel.intake.submission import (fresh_form_fields, limit_photos, looks_like_a_bot,
                                           read_post, repeat_key, restarted)
from wagechannel.intake.validation import LeadInvalid, parse_lead
from wagechannel.deadlines.limits import facts_of, governing_limit
from wagechannel.places.models import BUREAU, LEGAL_AID
from wagechannel.places.services import (routable_regions, serving_organisations,
                                         visible_projects)
from wagechannel.tokens import random_code

bp = Blueprint("intake", __name__)
VERIFIED = "verified_leads"  # session key: report codes whose phone suffix was given


def _board_notice(board: Board) -> str | None:
    """Why this board is not the current one, in words for the worker."""
    if board.project.deleted_at is not None:
        return "这块告示牌所在的工地项目已经停用。您仍然可以在下面反映欠薪，我们会转给当地法律援助中心。"
    if not board.active:
        return ("这块告示牌已经更换（" + board.revoked_reason_label + "）。"
                "您仍然可以在下面反映欠薪，不会丢失。")
    return None


def form_context(values: dict[str, Any], errors: dict[str, str], *, board: Board | None,
                 notice: str | None = None) -> dict[str, Any]:
    """Everything the report form template needs (the worker's and the staff's)."""
    project = board.project if board else None
    stashed = stashed_counts(db.session, values["nonce"]) if values.get("nonce") else {}
    offices = serving_organisations(db.session, project.region_code) if project else {}
    return {"board": board, "project": project,
            "offices": {"centre": offices.get(LEGAL_AID), "bureau": offices.get(BUREAU)},
            "retention_years": current_app.config["RETENTION_YEARS"],
            "employment": models.EMPLOYMENT, "awards": models.AWARDS,
            "show_project": project is not None and project.deleted_at is None,
            "subcontractors": [s.name for s in project.subcontractors] if project else [],
            "values": values, "errors": errors, "notice": notice,
            "board_notice": _board_notice(board) if board else None,
            "stashed": stashed, "max_photos": MAX_PHOTOS,
            "regions": None if board else routable_regions(db.session),
            "wants": models.WANTS, "trades": models.TRADES, "evidence": models.EVIDENCE,
            "urgent": models.URGENT, "best_times": models.BEST_TIMES,
            "employer_kinds": models.EMPLOYER_KINDS}


def _blank_values() -> dict[str, Any]:
    return {"workers_affected": "1", "wants": "legal_aid", "evidence": [], "urgent": [],
            **fresh_form_fields()}


def _fake_receipt():  # type: ignore[no-untyped-def]
    """What a bot sees: a normal receipt for a report that was never stored."""
    lead = SimpleNamespace(code=random_code(CODE_LENGTH), created_at=utcnow())
    return render_template("intake/receipt.html", lead=lead, status="received",
                           status_label="已收到，正在转交法律援助中心", new=True, centre=None,
                           bureau=None, facts=None, limit=None, today=local_today(),
                           inspection_phone=None, verified=False, has_phone=True)


@dataclass(frozen=True)
class Stored:
    lead_id: int
    code: str


def handle_report(*, board: Board | None, template: str, channel: str,
                  extra: dict[str, Any] | None = None, staff: Any = None,
                  region_code: str | None = None, project: Any = None,
                  pre_errors: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    """POST of any report form: check, keep files, store and route once, commit."""
    posted = read_post()
    values = posted.values
    if staff is None and looks_like_a_bot(values):
        return _fake_receipt()
    errors: dict[str, str] = dict(pre_errors or {})
    try:
        data = parse_lead(values, today=local_today())
    except LeadInvalid as invalid:
        errors.update(invalid.errors)
    limit_photos(posted, stashed_counts(db.session, posted.nonce).get("photo", 0))
    errors.update(posted.file_errors)
    if board is None and project is None and region_code is None and "project_id" not in errors:
        region_code = values.get("region_code") or None
        if staff is not None and region_code is None:
            errors["region_code"] = "请选择项目，或选择工地所在的区县。"
        if region_code is None or region_code not in routable_region_codes(db.session):
            errors.setdefault("region_code", "请从列表中选择工地所在的区县；不在列表中请拨打12348。")
    if errors:
        if posted.files:  # keep what was uploaded, so it need not be picked again
            stash_uploads(db.session, posted.nonce, posted.files)
            db.session.commit()
        context = form_context(restarted(values), errors, board=board)
        return render_template(template, **context, **(extra or {})), 422
    receipt = store_report(db.session, data, site=site_of(board, project, region_code),
                           channel=channel, idempotency_key=repeat_key(posted),
                           files=posted.files, upload_key=posted.nonce,
                           taken_by_id=staff.id if staff is not None else None,
                           today=local_today())
    return Stored(receipt.lead_id, receipt.code)


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
@intake_limits
def report(token: str):  # type: ignore[no-untyped-def]
    board = find_board(db.session, token)
    if board is None:
        # No such board: the general form at once, so the worker can still report.
        return render_template("intake/form.html", missing_token=token[:32],
                               **form_context(_blank_values(), {}, board=None)), 404
    if request.method == "GET":
        record_scan(db.session, board, local_today(), address=request.remote_addr)
        db.session.commit()
    return _worker_form(board)


@bp.route("/report", methods=["GET", "POST"])
@intake_limits
def general_report():  # type: ignore[no-untyped-def]
    """The form without a board: the worker names the site and picks its county."""
    return _worker_form(None)


def _worker_form(board: Board | None):  # type: ignore[no-untyped-def]
    if request.method == "GET":
        return render_template("intake/form.html", **form_context(_blank_values(), {}, board=board))
    result = handle_report(board=board, template="intake/form.html", channel="qr")
    if not isinstance(result, Stored):
        return result
    return redirect(url_for("intake.receipt", code=result.code, new=1), code=303)


FORM_TEMPLATES = {"intake.report": "intake/form.html", "intake.general_report": "intake/form.html",
                  "intake.staff_report": "intake/staff_form.html"}


@bp.app_errorhandler(429)
def too_many(error: Exception):  # type: ignore[no-untyped-def]
    """Over a rate limit on a report form: the form again, everything kept, and a way out.
    A limit that made its own answer (the login page's) keeps it."""
    own = getattr(error, "response", None)
    if own is not None:
        return own
    if request.method == "POST" and request.endpoint in FORM_TEMPLATES:
        shown = _show_form_again("提交太频繁了，请过一会儿再点“提交”，您填的内容都还在。"
                                 "急事请直接拨打12348。", 429)
        if shown is not None:
            return shown
    from wagechannel.errors import render_http_error
    return render_http_error(429)


@bp.app_errorhandler(CSRFError)
def csrf_failed(error: CSRFError):  # type: ignore[no-untyped-def]
    """An expired or missing form token: show the worker's form again with everything kept."""
    shown = _show_form_again("页面停留时间太长了，您填的内容都还在，请再点一次“提交”。", 400)
    if shown is not None:
        return shown
    if request.path.startswith("/api/"):
        abort(400)
    return render_template("error.html", code=400,
                           message="页面已过期，请返回上一页，刷新后再试一次。"), 400


def _show_form_again(notice: str, status: int):  # type: ignore[no-untyped-def]
    """The report form the request came from, with what was typed, or None. Files sent with a
    request that failed its token or its rate limit are neither decoded nor kept: that work is
    only done for requests that passed both."""
    forms = FORM_TEMPLATES
    if request.endpoint in forms:
        board = None
        if request.endpoint == "intake.report":
            board = find_board(db.session, (request.view_args or {}).get("token", ""))
            if board is None:
                return render_template("intake/unknown_board.html", token=""), 404
        if request.endpoint == "intake.staff_report" and (
                not current_user.is_authenticated or current_user.role not in ("admin", "legal_aid_staff")):
            return render_template("error.html", code=403, message=MESSAGES[403]), 403
        posted = read_post(with_files=False)
        if any(upload.filename for upload in request.files.values()):
            notice += "照片和录音这次没有收到，请重新选择。"
        extra = _staff_extra() if request.endpoint == "intake.staff_report" else {}
        return render_template(forms[request.endpoint],
                               **form_context(restarted(posted.values), {}, board=board,
                                              notice=notice), **extra), status
    return None


@bp.route("/privacy")
def privacy():  # type: ignore[no-untyped-def]
    """The full personal-information notice (PIPL arts. 17, 19, 30) the form links to."""
    return render_template("intake/privacy.html",
                           retention_years=current_app.config["RETENTION_YEARS"])


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


def _receipt_page(lead: models.Lead, *, status_code: int = 200, error: str | None = None,
                  reply_error: str | None = None, reply: str = "") -> ResponseReturnValue:
    status, label = public_status(lead)
    centre, bureau = lead.legal_aid_org, lead.bureau_org
    if centre is None and lead.region_code:
        offices = serving_organisations(db.session, lead.region_code)
        centre, bureau = offices.get(LEGAL_AID), offices.get(BUREAU)
    verified = lead.code in session.get(VERIFIED, [])
    facts = facts_of(lead)
    project = lead.project
    inspection_phone = (project.labour_inspection_phone if project is not None else None) or \
        (bureau.phone if bureau is not None else None)
    return render_template("intake/receipt.html", lead=lead, status=status, status_label=label,
                           new=request.args.get("new") == "1", centre=centre, bureau=bureau,
                           facts=facts, limit=governing_limit(facts), today=local_today(),
                           inspection_phone=inspection_phone,
                           verified=verified, has_phone=bool(lead.phone),
                           messages=lead.messages if verified else [], error=error,
                           reply_error=reply_error, reply=reply,
                           **_progress(lead, verified)), status_code


def _progress(lead: models.Lead, verified: bool) -> dict[str, Any]:
    """The case's steps the worker should know (LEGAL.md section 2). What staff wrote for this
    worker (a refusal's reasons, the materials to bring) and money recovered need the phone's
    last four digits, as the messages do: the receipt code alone may be on someone else's
    screen. The centre's phone is given, never a lawyer's own."""
    case = lead.case
    if case is None:
        return {"case": None, "referrals": [], "claimant": None}
    referrals = list(db.session.scalars(
        select(Referral).options(joinedload(Referral.bureau_org))
        .where(Referral.case_id == case.id).order_by(Referral.referred_at, Referral.id)))
    claimant = db.session.scalar(select(Claimant).where(Claimant.lead_id == lead.id)) \
        if verified and case.status == "closed" else None
    return {"case": case, "referrals": referrals, "claimant": claimant,
            "routes": ROUTES, "payers": WORKER_PAYERS,
            "outcomes": WORKER_OUTCOME_LABELS}


# Who paid, in the worker's words.
WORKER_PAYERS = {"employer": "老板或公司", "general_contractor": "施工总承包单位先行垫付",
                 "wage_deposit": "从工资保证金中支付", "other": "其他方面"}


@bp.route("/q/<code>")
def receipt(code: str):  # type: ignore[no-untyped-def]
    lead = find_by_code(db.session, code)
    if lead is None:
        return render_template("intake/lookup.html", code=code[:16],
                               error="没有找到这个查询码，请检查后再输入。"), 404
    return _receipt_page(lead)


@bp.route("/q/<code>/verify", methods=["POST"])
@lookup_limit
def verify(code: str):  # type: ignore[no-untyped-def]
    lead = find_by_code(db.session, code)
    if lead is None:
        abort(404)
    if not phone_suffix_matches(lead, request.form.get("digits", "")):
        return _receipt_page(lead, status_code=422, error="后四位不对，请输入您留的手机号码的最后四位。")
    session[VERIFIED] = [*session.get(VERIFIED, [])[-19:], lead.code]
    return redirect(url_for("intake.receipt", code=lead.code), code=303)


@bp.route("/q/<code>/reply", methods=["POST"])
@address_limit
def reply(code: str):  # type: ignore[no-untyped-def]
    """The worker writes back, or adds what they forgot (words and photos), after proving the
    phone suffix."""
    lead = find_by_code(db.session, code)
    if lead is None:
        abort(404)
    if lead.code not in session.get(VERIFIED, []):
        return redirect(url_for("intake.receipt", code=lead.code), code=303)
    body = request.form.get("body", "")
    photos: list[ProcessedFile] = []
    uploads = [f for f in request.files.getlist("photos") if f and f.filename]
    try:
        if len(uploads) > MAX_PHOTOS:
            raise DomainError(f"照片一次最多{MAX_PHOTOS}张。")
        photos = [process_photo(upload.read()) for upload in uploads]
        if photos and not (body or "").strip():
            body = f"补充了{len(photos)}张照片。"
        add_message(db.session, lead, body, direction="from_worker")
    except (DomainError, Invalid) as error:
        message = error.message if isinstance(error, DomainError) else str(error)
        db.session.rollback()
        return _receipt_page(lead, status_code=422, reply_error=message, reply=body[:2000])
    for processed in photos:
        db.session.add(evidence_row(processed, lead_id=lead.id))
    db.session.commit()
    return redirect(url_for("intake.receipt", code=lead.code) + "#messages", code=303)


STAFF_CHANNELS = {key: label for key, label in models.CHANNELS.items()
                  if key in ("hotline_12348", "hotline_12333", "walk_in")}


def _staff_extra() -> dict[str, Any]:
    return {"channels": STAFF_CHANNELS,
            "projects": list(db.session.scalars(visible_projects(current_user)))}


@bp.route("/intake/new", methods=["GET", "POST"])
@roles_required("legal_aid_staff")
def staff_report():  # type: ignore[no-untyped-def]
    """A report taken on the 12348 or 12333 hotline or at the desk, through the same checks."""
    extra = _staff_extra()
    projects = extra["projects"]
    if request.method == "GET":
        values = {**_blank_values(), "channel": "hotline_12348"}
        return render_template("intake/staff_form.html",
                               **form_context(values, {}, board=None), **extra)
    channel = request.form.get("channel", "")
    project = None
    raw_project = request.form.get("project_id", "")
    if raw_project:
        project = next((p for p in projects if str(p.id) == raw_project), None)
    problems: dict[str, str] = {}
    if channel not in STAFF_CHANNELS:
        problems["channel"] = "请选择来源渠道。"
    if raw_project and project is None:
        problems["project_id"] = "请从列表中选择项目。"
    result = handle_report(board=None, template="intake/staff_form.html", channel=channel,
                           extra=extra, staff=current_user, project=project, pre_errors=problems)
    if not isinstance(result, Stored):
        return result
    record(db.session, "staff_intake", actor=current_user, object_type="lead",
           object_id=result.lead_id, ip=request.remote_addr, channel=channel)
    db.session.commit()
    lead = db.session.get(models.Lead, result.lead_id)
    flash(f"已登记，查询码 {result.code}（请告诉当事人）。", "info")
    if lead is not None and lead.case_id is not None and lead.legal_aid_org_id == current_user.organisation_id:
        return redirect(url_for("cases.detail", case_id=lead.case_id), code=303)
    return redirect(url_for("cases.queue"), code=303)
