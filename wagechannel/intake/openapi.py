"""The OpenAPI 3.1 description of the public API and the staff API."""
from __future__ import annotations

from typing import Any

from wagechannel.intake.evidence import MAX_PHOTO_BYTES, MAX_PHOTOS, MAX_VOICE_BYTES
from wagechannel.intake.models import (AWARDS, BEST_TIMES, EMPLOYER_KINDS, EMPLOYMENT, EVIDENCE,
                                       TRADES, URGENT, VULNERABLE, WANTS)
from wagechannel.intake.validation import LIMITS, MAX_WORKERS

ERRORS = {
    "type": "object",
    "properties": {
        "error": {"type": "string", "description": "给用户看的中文说明"},
        "errors": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "按字段名给出的中文错误信息"},
    },
    "required": ["error"],
}


def openapi_document(base_url: str) -> dict[str, Any]:
    lead_in = {
        "type": "object",
        "required": ["consent"],
        "description": "board_token 和 region_code 至少给一个。",
        "properties": {
            "board_token": {"type": ["string", "null"], "maxLength": 10,
                            "description": "告示牌上二维码的编号（Crockford base32）"},
            "region_code": {"type": ["string", "null"], "pattern": "^[0-9]{6}$",
                            "description": "没有告示牌时：工地所在区县的行政区划代码（GB/T 2260）"},
            "site_name": {"type": ["string", "null"], "maxLength": LIMITS["site_name"]},
            "site_address": {"type": ["string", "null"], "maxLength": LIMITS["site_address"]},
            "name": {"type": ["string", "null"], "maxLength": LIMITS["name"],
                     "description": "姓名；姓名和手机号至少填一个"},
            "phone": {"type": ["string", "null"], "pattern": "^1[3-9][0-9]{9}$",
                      "description": "大陆手机号码；可带 +86、空格或横线"},
            "employer_name": {"type": ["string", "null"], "maxLength": LIMITS["employer_name"],
                              "description": "欠薪的老板（班组长/包工头）或公司"},
            "employer_kind": {"type": ["string", "null"], "enum": [*EMPLOYER_KINDS, None]},
            "employer_phone": {"type": ["string", "null"], "description": "老板的电话（手机或座机）"},
            "subcontractor_name": {"type": ["string", "null"],
                                   "maxLength": LIMITS["subcontractor_name"]},
            "trade": {"type": ["string", "null"], "enum": [*TRADES, None], "description": "工种"},
            "months_unpaid": {"type": ["integer", "null"], "minimum": 0, "maximum": 240},
            "amount_unknown": {"type": "boolean", "description": "金额说不清楚"},
            "evidence": {"type": "array", "items": {"type": "string", "enum": list(EVIDENCE)},
                         "description": "手里的证据；none 不能和其他同时选"},
            "urgent": {"type": "array", "items": {"type": "string", "enum": list(URGENT)},
                       "description": "紧急情况：conflict 冲突或威胁；no_money 没钱吃饭或回家"},
            "vulnerable": {"type": "array", "items": {"type": "string", "enum": list(VULNERABLE)},
                           "description": "特殊情况（可多选，可不填）：elderly 60岁以上；disabled 有残疾；"
                                          "minor 未满18岁（同时提醒人社部门）"},
            "hometown": {"type": ["string", "null"], "maxLength": LIMITS["hometown"]},
            "best_time": {"type": ["string", "null"], "enum": [*BEST_TIMES, None]},
            "id_number": {"type": ["string", "null"], "pattern": "^[0-9]{17}[0-9X]$",
                          "description": "身份证号（GB 11643 校验位）；只在 id_consent 为 true 时接受"},
            "id_consent": {"type": "boolean", "description": "单独同意提供身份证号（个人信息保护法第29条）"},
            "amount_owed": {"type": ["number", "string", "null"], "minimum": 0,
                            "description": "被欠工资（元，最多两位小数）；不清楚填 null"},
            "workers_affected": {"type": "integer", "minimum": 1, "maximum": MAX_WORKERS,
                                 "default": 1},
            "work_start": {"type": ["string", "null"], "format": "date"},
            "employment_status": {"type": ["string", "null"], "enum": [*EMPLOYMENT, None],
                                  "description": "working 还在这个工地干活；ended 已经不干了（填 work_end）；"
                                                 "ended_unknown 不干了但记不清哪天（可填 work_end_month）。"
                                                 "不填且没有 work_end 时，案件标记“离职时间不明”，不当作仍在干活"},
            "work_end": {"type": ["string", "null"], "format": "date",
                         "description": "哪天不干的；employment_status 为 ended 时必填"},
            "work_end_month": {"type": ["string", "null"], "pattern": "^[0-9]{4}-[0-9]{1,2}$",
                               "description": "只记得月份时：YYYY-MM（按该月1日估算仲裁时效）"},
            "demanded_on": {"type": ["string", "null"], "format": "date",
                            "description": "最近一次向老板讨要工资或向有关部门求助的日期（仲裁时效重新计算）"},
            "award_kind": {"type": ["string", "null"], "enum": [*AWARDS, None],
                           "description": "已收到的文书：award 仲裁裁决书；judgment 法院判决书"},
            "award_date": {"type": ["string", "null"], "format": "date",
                           "description": "收到文书的日期（15日内起诉或上诉）"},
            "description": {"type": ["string", "null"], "maxLength": LIMITS["description"]},
            "wants": {"type": "string", "enum": list(WANTS), "default": "legal_aid"},
            "consent": {"type": "boolean", "const": True,
                        "description": "同意为讨薪目的使用所填信息"},
        },
    }
    created = {
        "type": "object",
        "properties": {"code": {"type": "string", "description": "查询码（8位）"},
                       "status": {"type": "string"},
                       "status_url": {"type": "string", "format": "uri"}},
        "required": ["code", "status", "status_url"],
    }
    status = {
        "type": "object",
        "properties": {"code": {"type": "string"}, "status": {"type": "string"},
                       "status_label": {"type": "string"},
                       "updated_at": {"type": "string", "format": "date-time"}},
        "required": ["code", "status", "status_label", "updated_at"],
    }
    error_response = {"content": {"application/json": {"schema": ERRORS}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "wagechannel API", "version": "1",
                 "description": "农民工欠薪线索的提交与进度查询。"},
        "servers": [{"url": base_url}],
        "paths": {
            "/api/v1/leads": {"post": {
                "summary": "提交一条欠薪线索",
                "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                                "schema": {"type": "string", "maxLength": 120},
                                "description": "重复提交时返回第一次的结果"}],
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": lead_in},
                    "multipart/form-data": {"schema": {
                        "allOf": [lead_in, {"type": "object", "properties": {
                            "photos": {"type": "array", "maxItems": MAX_PHOTOS,
                                       "items": {"type": "string", "format": "binary"},
                                       "description": f"证据照片，每张不超过{MAX_PHOTO_BYTES // 2**20}MB"},
                            "voice": {"type": "string", "format": "binary",
                                      "description": f"语音说明，不超过{MAX_VOICE_BYTES // 2**20}MB"},
                        }}]}},
                }},
                "responses": {
                    "201": {"description": "已保存",
                            "content": {"application/json": {"schema": created}}},
                    "422": {"description": "输入有误，errors 按字段给出", **error_response},
                    "429": {"description": "提交太频繁", **error_response},
                },
            }},
            "/api/v1/leads/{code}": {"get": {
                "summary": "按查询码查看进度（不含个人信息）",
                "parameters": [{"name": "code", "in": "path", "required": True,
                                "schema": {"type": "string"}}],
                "responses": {
                    "200": {"description": "进度",
                            "content": {"application/json": {"schema": status}}},
                    "404": {"description": "查询码不存在", **error_response},
                },
            }},
            "/healthz": {"get": {"summary": "健康检查（含数据库）",
                                 "responses": {"200": {"description": "正常"},
                                               "503": {"description": "数据库不可用"}}}},
            **staff_paths(error_response),
        },
        "components": {"securitySchemes": {"bearerAuth": {
            "type": "http", "scheme": "bearer",
            "description": "个人令牌：wagechannel token create --username <用户名> 发放，"
                           "token revoke <编号> 停用。权限与网页相同（角色、所属机构）。"}}},
    }


# --- the staff API (wagechannel/cases/api.py) --------------------------------------------

def _field_schema(field: Any) -> dict[str, Any]:
    kind = field.kind
    if kind == "choice":
        schema: dict[str, Any] = {"type": ["string", "null"], "enum": [*field.choices, None]}
    elif kind in ("text", "username"):
        schema = {"type": ["string", "null"]}
    elif kind == "texts":
        schema = {"type": "array", "items": {"type": "string", "maxLength": 200}, "maxItems": 30}
    elif kind == "bool":
        schema = {"type": "boolean", "default": False}
    elif kind == "int":
        schema = {"type": "integer"}
    elif kind == "date":
        schema = {"type": "string", "format": "date"}
    elif kind == "amount":
        schema = {"type": ["number", "string", "null"], "minimum": 0}
    else:  # claimants
        schema = {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "integer"}, "outcome": {"type": ["string", "null"]},
            "amount_recovered": {"type": ["number", "string", "null"]}},
            "required": ["id"], "additionalProperties": False}}
    return {**schema, "description": field.description}


def staff_paths(error_response: dict[str, Any]) -> dict[str, Any]:
    from wagechannel.cases.api import ACTION_FIELDS, FILTERS, LABELS, MAX_ACTION_BYTES
    from wagechannel.cases.models import CASE_STATUSES, REFERRAL_STATUSES, TIERS

    security = [{"bearerAuth": []}]
    person = {"type": ["object", "null"], "properties": {
        "id": {"type": "integer"}, "username": {"type": "string"},
        "display_name": {"type": "string"}}}
    limitation = {"type": ["object", "null"], "properties": {
        "last_day": {"type": "string", "format": "date"}, "kind": {"type": "string"},
        "label": {"type": "string"}, "provisional": {"type": "boolean"},
        "days_left": {"type": "integer"}}}
    yuan = {"type": ["string", "null"], "description": "元，两位小数，例如 \"8500.00\""}
    claimant = {"type": "object", "properties": {
        "id": {"type": "integer"}, "lead_id": {"type": ["integer", "null"]},
        "name": {"type": "string", "description": "法援中心工作人员和承办律师看到全名，其他角色看到打码的姓名"},
        "phone": {"type": ["string", "null"], "description": "同上：全号或打码（139****5678）；列表中不给出"},
        "amount_owed": yuan, "outcome": {"type": ["string", "null"]}, "amount_recovered": yuan}}
    summary = {"type": "object", "properties": {
        "id": {"type": "integer"}, "number": {"type": "string", "description": "案号"},
        "status": {"type": "string", "enum": list(CASE_STATUSES)},
        "status_label": {"type": "string"},
        "tier": {"type": "string", "enum": list(TIERS)}, "tier_label": {"type": "string"},
        "priority": {"type": "integer"},
        "priority_reasons": {"type": "array", "items": {"type": "string"}},
        "limitation": limitation, "worker_count": {"type": "integer"},
        "collective_level": {"type": ["string", "null"]},
        "project": {"type": ["object", "null"]}, "lawyer": person,
        "claimants": {"type": "array", "items": claimant,
                      "description": "列表中姓名对所有角色打码（与网页列表相同）"},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"}}}
    case = {"allOf": [summary, {"type": "object", "properties": {
        "centre": {"type": "object"}, "bureau": {"type": ["object", "null"]},
        "application_date": {"type": ["string", "null"], "format": "date"},
        "materials": {"type": ["object", "null"]}, "decision": {"type": ["object", "null"]},
        "assignments": {"type": "array", "items": {"type": "object", "properties": {
            "lawyer": person, "assigned_at": {"type": "string", "format": "date-time"},
            "ended_at": {"type": ["string", "null"], "format": "date-time"}}}},
        "routes": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "integer"}, "kind": {"type": "string"}, "label": {"type": "string"},
            "filed_on": {"type": ["string", "null"], "format": "date"},
            "accepted_on": {"type": ["string", "null"], "format": "date"},
            "hearing_on": {"type": ["string", "null"], "format": "date"},
            "decided_on": {"type": ["string", "null"], "format": "date"}}}},
        "outcome": {"type": ["object", "null"]},
        "referrals": {"type": "array", "description": "转人社部门（劳动保障监察）的记录",
                      "items": {"type": "object", "properties": {
                          "id": {"type": "integer"},
                          "status": {"type": "string", "enum": list(REFERRAL_STATUSES)},
                          "status_label": {"type": "string"}, "bureau": {"type": "object"},
                          "referred_at": {"type": "string", "format": "date-time"},
                          "consent_note": {"type": ["string", "null"]},
                          "acceptance_due": {"type": "string", "format": "date",
                                             "description": "5个工作日内决定是否受理"},
                          "acceptance_due_provisional": {"type": "boolean"},
                          "overdue": {"type": "boolean"},
                          "accepted_on": {"type": ["string", "null"], "format": "date"},
                          "ordered_on": {"type": ["string", "null"], "format": "date"},
                          "resolved_on": {"type": ["string", "null"], "format": "date"},
                          "result_note": {"type": ["string", "null"]}}}},
        "allowed_actions": {"type": "array", "description": "这个用户现在可以做的操作",
                            "items": {"type": "object", "properties": {
                                "action": {"type": "string", "enum": list(ACTION_FIELDS)},
                                "label": {"type": "string"}}}},
        "timeline": {"type": "object", "description": "时间线（操作、查看个人信息、留言、联系记录），"
                                                      "最新的在前，每页50条，?timeline_page= 翻页",
                     "properties": {
                         "items": {"type": "array", "items": {"type": "object", "properties": {
                             "at": {"type": "string", "format": "date-time"},
                             "kind": {"type": "string",
                                      "enum": ["action", "view", "message", "contact"]},
                             "who": {"type": "string"}, "what": {"type": "string"},
                             "text": {"type": ["string", "null"],
                                      "description": "留言或联系记录的内容；打码查看时为 null"}}}},
                         "total": {"type": "integer"}, "page": {"type": "integer"},
                         "pages": {"type": "integer"}}},
    }}]}
    page = {"type": "object", "properties": {
        "items": {"type": "array", "items": summary}, "total": {"type": "integer"},
        "page": {"type": "integer"}, "pages": {"type": "integer"},
        "per_page": {"type": "integer"}}, "required": ["items", "total", "page", "pages"]}
    actions = [{"type": "object", "title": LABELS[name],
                "properties": {"action": {"const": name},
                               **{key: _field_schema(spec) for key, spec in fields.items()}},
                "required": ["action"], "additionalProperties": False}
               for name, fields in ACTION_FIELDS.items()]
    case_id = {"name": "case_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    case_response = {"description": "案件（与 GET 相同）",
                     "content": {"application/json": {"schema": case}}}
    unauthorised = {"description": "没有令牌，或令牌无效、已停用，或账号已停用", **error_response}
    forbidden = {"description": "这个角色不能使用案件接口（施工单位），或不能对这个案件做这一步"
                                "（人社部门联络人；律师不能改派）", **error_response}
    missing = {"description": "案件不存在，或不在这个用户的范围内（其他中心的案件、未指派的律师）",
               **error_response}
    return {
        "/api/v1/cases": {"get": {
            "summary": "我的案件列表（与网页相同的范围和顺序，每页50条）", "security": security,
            "parameters": [{"name": "page", "in": "query", "schema": {"type": "integer",
                                                                      "minimum": 1}},
                           *({"name": name, "in": "query", "description": text,
                              "schema": {"type": "integer" if name in (
                                  "project", "contractor", "age") else "string"}}
                             for name, text in FILTERS.items())],
            "responses": {"200": {"description": "一页案件",
                                  "content": {"application/json": {"schema": page}}},
                          "401": unauthorised, "403": forbidden,
                          "422": {"description": "筛选条件有误，errors 按参数给出",
                                  **error_response}},
        }},
        "/api/v1/cases/{case_id}": {"get": {
            "summary": "一个案件：状态、紧急程度、当事人（按角色打码）、律师、办理、结果、可做的操作、时间线；"
                       "法援中心工作人员和律师查看个人信息会记入审计日志",
            "security": security,
            "parameters": [case_id, {"name": "timeline_page", "in": "query",
                                     "schema": {"type": "integer", "minimum": 1}}],
            "responses": {"200": case_response, "401": unauthorised, "403": forbidden,
                          "404": missing},
        }},
        "/api/v1/cases/{case_id}/actions": {"post": {
            "summary": "对案件做一步操作（与案件页面的按钮相同）", "security": security,
            "parameters": [case_id],
            "requestBody": {"required": True, "description": f"JSON，最多{MAX_ACTION_BYTES // 1024}KB",
                            "content": {"application/json": {"schema": {"oneOf": actions}}}},
            "responses": {
                "200": case_response, "401": unauthorised, "403": forbidden, "404": missing,
                "409": {"description": "案件现在的状态不允许这一步（error 说明原因，field 为 null）",
                        **error_response},
                "413": {"description": "请求体太大", **error_response},
                "422": {"description": "输入有误，errors 按字段给出", **error_response},
            },
        }},
    }
