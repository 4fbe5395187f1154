"""The OpenAPI 3.1 description of the public API."""
from __future__ import annotations

from typing import Any

from wagechannel.intake.evidence import MAX_PHOTO_BYTES, MAX_PHOTOS, MAX_VOICE_BYTES
from wagechannel.intake.models import (AWARDS, BEST_TIMES, EMPLOYER_KINDS, EMPLOYMENT, EVIDENCE,
                                       TRADES, URGENT, WANTS)
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
        },
    }
