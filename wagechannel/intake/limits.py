"""Rate limits on reports: loose per address, tight per board and per phone number."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, current_app, request

from wagechannel.crypto import keyring
from wagechannel.extensions import limiter
from wagechannel.intake.validation import MOBILE, normalise_phone
from wagechannel.tokens import normalise
from wagechannel.validation import clean_text


def _field(name: str) -> Any:
    if request.is_json:
        payload = request.get_json(silent=True)
        return payload.get(name) if isinstance(payload, dict) else None
    return request.form.get(name)


def _phone() -> str | None:
    raw = _field("phone")
    if not isinstance(raw, str | int):
        return None
    phone = normalise_phone(clean_text(raw) or "")
    return phone if MOBILE.match(phone) else None


def phone_key() -> str:
    phone = _phone()
    return f"phone:{keyring().digest(phone)}" if phone else "phone:none"


def board_key() -> str:
    """The board a report names; for the general form, the county the worker picked."""
    token = (request.view_args or {}).get("token") or _field("board_token")
    if isinstance(token, str):
        return f"board:{normalise(token)[:16]}"
    region = _field("region_code")
    return f"region:{region[:6]}" if isinstance(region, str) else "board:none"


def _stored(response: Response) -> bool:
    return response.status_code in (201, 303)


def _config(name: str) -> Callable[[], str]:
    return lambda: str(current_app.config[name])


def intake_limits(view: Callable[..., Any]) -> Callable[..., Any]:
    """All three limits on a view that stores reports (POST only). Shared by every way in
    (board form, general form, staff desk, API): one phone gets its handful once, not per route."""
    view = limiter.shared_limit(_config("INTAKE_LIMIT_PHONE"), scope="intake-phone",
                                key_func=phone_key, methods=["POST"], deduct_when=_stored,
                                exempt_when=lambda: _phone() is None)(view)
    view = limiter.shared_limit(_config("INTAKE_LIMIT_BOARD"), scope="intake-board",
                                key_func=board_key, methods=["POST"], deduct_when=_stored)(view)
    return limiter.shared_limit(_config("INTAKE_LIMIT_IP"), scope="intake-address",
                                methods=["POST"])(view)


def report_key() -> str:
    """The report a URL names, as the lookup finds it: every spelling of one code (lower case,
    dashes, O for 0) is one key, so respelling does not buy more guesses."""
    return "lookup:" + normalise(str((request.view_args or {}).get("code", "")))[:16]


def lookup_limit(view: Callable[..., Any]) -> Callable[..., Any]:
    """Guessing four digits: few tries per report (from any address) and per address."""
    view = limiter.limit(_config("LOOKUP_LIMIT"), key_func=report_key, methods=["POST"])(view)
    return limiter.limit(_config("LOOKUP_LIMIT"), methods=["POST"])(view)


def address_limit(view: Callable[..., Any]) -> Callable[..., Any]:
    return limiter.limit(_config("INTAKE_LIMIT_IP"), methods=["POST"])(view)
