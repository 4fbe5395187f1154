"""The OpenAPI 3.1 description of the public API."""
from __future__ import annotations

from typing import Any

from wagechannel.intake.models import WANTS
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
        "required": ["board_token", "consent"],
        "properties": {
            "board_token": {"type": "string", "maxLength": 10,
                            "description": "告示牌上二维码的编号（Crockford base32）"},
            "name": {"type": ["string", "null"], "maxLength": LIMITS["name"],
                     "description": "姓名；姓名和手机号至少填一个"},
            "phone": {"type": ["string", "null"], "pattern": "^1[3-9][0-9]{9}$",
                      "description": "大陆手机号码；可带 +86、空格或横线"},
            "employer_name": {"type": ["string", "null"], "maxLength": LIMITS["employer_name"],
                              "description": "欠薪的老板（班组长/包工头）或公司"},
            "amount_owed": {"type": ["number", "string", "null"], "minimum": 0,
                            "description": "被欠工资（元，最多两位小数）；不清楚填 null"},
            "workers_affected": {"type": "integer", "minimum": 1, "maximum": MAX_WORKERS,
                                 "default": 1},
            "work_start": {"type": ["string", "null"], "format": "date"},
            "work_end": {"type": ["string", "null"], "format": "date",
                         "description": "还在干活填 null"},
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
                                "schema": {"type": "string", "maxLength": 128},
                                "description": "重复提交时返回第一次的结果"}],
                "requestBody": {"required": True,
                                "content": {"application/json": {"schema": lead_in}}},
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
