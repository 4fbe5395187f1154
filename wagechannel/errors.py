"""Domain errors and the Chinese error pages (JSON under /api/)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException

if TYPE_CHECKING:
    from flask import Flask


class DomainError(Exception):
    """A rule of the domain refused the request; the message is for the user (Chinese)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


MESSAGES = {
    400: "请求有误，请返回重试。",
    403: "您没有权限查看这个页面。",
    404: "找不到这个页面。",
    405: "不支持这种操作。",
    413: "提交的内容太大了。照片每张不超过10MB，最多6张。",
    416: "请求的范围不对，请重新下载。",
    429: "提交太频繁了，请稍后再试。如有急事请拨打12348。",
    500: "系统出错了，我们会尽快处理。急事请拨打12348。",
}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def render_http_error(code: int):  # type: ignore[no-untyped-def]
    """The Chinese page (or JSON under /api/) for an HTTP error code."""
    message = MESSAGES.get(code, "请求未能完成，请返回重试。")
    if _wants_json():
        return jsonify({"error": message, "status": code}), code
    return render_template("error.html", code=code, message=message), code


def register_error_handlers(app: "Flask") -> None:
    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        return render_http_error(error.code or 500)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):  # type: ignore[no-untyped-def]
        if app.testing:
            raise error  # tests see the traceback instead of a page
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        from wagechannel.extensions import db
        db.session.rollback()
        if _wants_json():
            return jsonify({"error": MESSAGES[500], "status": 500}), 500
        return render_template("error.html", code=500, message=MESSAGES[500]), 500
