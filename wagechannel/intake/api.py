"""The JSON API: submit a report, read its status, the OpenAPI document, and a health check."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request, url_for
from sqlalchemy import text

from wagechannel.boards.services import find_board
from wagechannel.clock import local_today
from wagechannel.extensions import db
from wagechannel.intake.evidence import ProcessedFile
from wagechannel.intake.limits import intake_limits
from wagechannel.intake.openapi import openapi_document
from wagechannel.intake.submission import read_post
from wagechannel.places.services import routable_regions
from wagechannel.cases.routing import route_after_commit
from wagechannel.intake.services import (find_by_code, find_by_idempotency_key, public_status,
                                         store_unique)
from wagechannel.intake.validation import LeadInvalid, parse_lead

bp = Blueprint("api", __name__)
MAX_IDEMPOTENCY_KEY = 120  # stored with an "api:" prefix in a 128-character column


def _invalid(errors: dict[str, str]):  # type: ignore[no-untyped-def]
    return jsonify({"error": "提交的内容有误，请按提示修改。", "errors": errors}), 422


def _lead_body(lead: Any) -> dict[str, Any]:
    status, _label = public_status(lead)
    return {"code": lead.code, "status": status,
            "status_url": current_app.config["BASE_URL"] + url_for("api.lead_status", code=lead.code)}


@bp.route("/api/v1/leads", methods=["POST"])
@intake_limits
def create_lead():  # type: ignore[no-untyped-def]
    """A report as JSON, or as multipart/form-data with photos and a voice note."""
    files: list[ProcessedFile] = []
    errors: dict[str, str] = {}
    if request.mimetype == "multipart/form-data":
        posted = read_post()
        payload: Any = posted.values
        files, errors = posted.files, dict(posted.file_errors)
    else:
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict):
            return _invalid({"body": "请求体必须是JSON对象（Content-Type: application/json）。"})
    key = request.headers.get("Idempotency-Key")
    if key is not None and not (0 < len(key.strip()) <= MAX_IDEMPOTENCY_KEY):
        return _invalid({"Idempotency-Key": f"长度应为1到{MAX_IDEMPOTENCY_KEY}个字符。"})
    key = f"api:{key.strip()}" if key else None
    # Checks that need no database first: on SQLite every transaction holds the write lock.
    data = None
    try:
        data = parse_lead(payload, today=local_today())
    except LeadInvalid as invalid:
        errors.update(invalid.errors)
    if key:
        replay = find_by_idempotency_key(db.session, key)
        if replay is not None:  # a repeat gets the first answer, whatever it carries now
            return _created(replay, replayed=True)
    token = payload.get("board_token")
    board = find_board(db.session, token) if isinstance(token, str) and token else None
    region_code = None
    if board is None and token not in (None, ""):
        errors["board_token"] = "找不到这块告示牌，请检查编号。"
    elif board is None:
        region_code = payload.get("region_code")
        if not isinstance(region_code, str) or \
                region_code not in {r.code for r in routable_regions(db.session)}:
            errors["region_code"] = "没有告示牌编号时，请给出工地所在区县的行政区划代码。"
    if errors or data is None:
        db.session.rollback()
        return _invalid(errors)
    lead, created = store_unique(db.session, data, board=board, channel="api",
                                 idempotency_key=key, files=files, region_code=region_code)
    lead_id = lead.id
    db.session.commit()  # stored first
    if created:
        route_after_commit(db.session, lead_id, today=local_today(), stored=lead)
    return _created(lead, replayed=not created)


def _created(lead: Any, *, replayed: bool):  # type: ignore[no-untyped-def]
    body = _lead_body(lead)
    response = jsonify(body)
    response.status_code = 201
    response.headers["Location"] = body["status_url"]
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@bp.route("/api/v1/leads/<code>")
def lead_status(code: str):  # type: ignore[no-untyped-def]
    lead = find_by_code(db.session, code)
    if lead is None:
        return jsonify({"error": "没有找到这个查询码。", "status": 404}), 404
    status, label = public_status(lead)
    updated = max(lead.updated_at, lead.case.updated_at) if lead.case else lead.updated_at
    return jsonify({"code": lead.code, "status": status, "status_label": label,
                    "updated_at": updated.isoformat()})


@bp.route("/api/v1/openapi.json")
def openapi():  # type: ignore[no-untyped-def]
    return jsonify(openapi_document(current_app.config["BASE_URL"]))


@bp.route("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except Exception as error:  # report, do not raise: this is what monitors poll
        current_app.logger.warning("health check failed: %s", error)
        return jsonify({"status": "error", "database": "unreachable"}), 503
    return jsonify({"status": "ok", "database": "ok"})
