"""The JSON API: submit a report, read its status, the OpenAPI document, and a health check."""
from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, current_app, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from wagechannel.cases.routing import routable_region_codes
from wagechannel.clock import local_today
from wagechannel.crypto import keyring
from wagechannel.extensions import db
from wagechannel.intake.evidence import ProcessedFile
from wagechannel.intake.limits import intake_limits
from wagechannel.intake.openapi import openapi_document
from wagechannel.intake.services import (KeyReused, Site, find_by_code, public_status,
                                         site_for_token, store_report)
from wagechannel.intake.submission import read_post
from wagechannel.intake.validation import LeadInvalid, parse_lead

bp = Blueprint("api", __name__)
MAX_IDEMPOTENCY_KEY = 120  # stored with an "api:" prefix in a 128-character column
MAX_JSON_BYTES = 64 * 1024  # far below the multipart limit: a JSON report carries no files


def _invalid(errors: dict[str, str]) -> ResponseReturnValue:
    return jsonify({"error": "提交的内容有误，请按提示修改。", "errors": errors}), 422


def _fingerprint(payload: Any, files: list[ProcessedFile]) -> str:
    """A keyed hash of what was sent (never a bare hash of personal data: LEGAL.md section 6)."""
    content = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str)
    return keyring().digest(content + "".join(f.sha256 for f in files))


@bp.route("/api/v1/leads", methods=["POST"])
@intake_limits
def create_lead() -> ResponseReturnValue:
    """A report as JSON, or as multipart/form-data with photos and a voice note."""
    files: list[ProcessedFile] = []
    errors: dict[str, str] = {}
    if request.mimetype == "multipart/form-data":
        posted = read_post()
        payload: Any = {k: v for k, v in posted.values.items() if k != "nonce"}
        files, errors = posted.files, dict(posted.file_errors)
    else:
        request.max_content_length = MAX_JSON_BYTES  # a report is a few kilobytes; 413 above
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict):
            return _invalid({"body": "请求体必须是JSON对象（Content-Type: application/json）。"})
    key = request.headers.get("Idempotency-Key")
    if key is not None and not (0 < len(key.strip()) <= MAX_IDEMPOTENCY_KEY):
        return _invalid({"Idempotency-Key": f"长度应为1到{MAX_IDEMPOTENCY_KEY}个字符。"})
    key = f"api:{key.strip()}" if key else None
    data = None
    try:
        data = parse_lead(payload, today=local_today())
    except LeadInvalid as invalid:
        errors.update(invalid.errors)
    token = payload.get("board_token")
    site = None
    if token not in (None, ""):
        site = site_for_token(db.session, token) if isinstance(token, str) else None
        if site is None:
            errors["board_token"] = "找不到这块告示牌，请检查编号。"
    else:
        region_code = payload.get("region_code")
        if isinstance(region_code, str) and region_code in routable_region_codes(db.session):
            site = Site(region_code=region_code)
        else:
            errors["region_code"] = "没有告示牌编号时，请给出工地所在区县的行政区划代码。"
    if errors or data is None or site is None:
        db.session.rollback()
        return _invalid(errors)
    try:
        receipt = store_report(db.session, data, site=site, channel="api", idempotency_key=key,
                               fingerprint=_fingerprint(payload, files) if key else None,
                               files=files, today=local_today())
    except KeyReused as reused:
        return _invalid({"Idempotency-Key": reused.message})
    body = {"code": receipt.code, "status": receipt.status,
            "status_url": current_app.config["BASE_URL"]
            + url_for("api.lead_status", code=receipt.code)}
    response = jsonify(body)
    response.status_code = 201
    response.headers["Location"] = body["status_url"]
    if not receipt.created:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@bp.route("/api/v1/leads/<code>")
def lead_status(code: str) -> ResponseReturnValue:
    lead = find_by_code(db.session, code)
    if lead is None:
        return jsonify({"error": "没有找到这个查询码。", "status": 404}), 404
    status, label = public_status(lead)
    updated = max(lead.updated_at, lead.case.updated_at) if lead.case else lead.updated_at
    return jsonify({"code": lead.code, "status": status, "status_label": label,
                    "updated_at": updated.isoformat()})


@bp.route("/api/v1/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(openapi_document(current_app.config["BASE_URL"]))


@bp.route("/healthz")
def healthz() -> ResponseReturnValue:
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except Exception as error:  # report, do not raise: this is what monitors poll
        current_app.logger.warning("health check failed: %s", error)
        return jsonify({"status": "error", "database": "unreachable"}), 503
    return jsonify({"status": "ok", "database": "ok"})
