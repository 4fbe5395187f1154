"""Headers every response carries: a Content-Security-Policy with no inline script, no framing,
no referrer (report codes and board tokens are in addresses), no content sniffing."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask, Response


def content_security_policy(*, script_src: str = "'self'") -> str:
    return "; ".join([
        "default-src 'self'",
        f"script-src {script_src}",
        "style-src 'self' 'unsafe-inline'",  # style attributes and the page's own <style>
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",  # the recorder's preview of a voice note
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


HEADERS = {
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def register_security_headers(app: "Flask") -> None:
    policy = content_security_policy()

    @app.after_request
    def _headers(response: "Response") -> "Response":
        response.headers.setdefault("Content-Security-Policy", policy)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response
