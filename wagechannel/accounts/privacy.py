"""Masking of personal data for lists and for roles that do not need the whole value."""
from __future__ import annotations


def mask_phone(phone: str | None) -> str:
    if not phone:
        return "—"
    if len(phone) >= 11:
        return phone[:3] + "****" + phone[-4:]
    if len(phone) > 4:
        return "*" * (len(phone) - 4) + phone[-4:]
    return "****"


def mask_name(name: str | None) -> str:
    if not name:
        return "（未留姓名）"
    return name[0] + "*" * max(1, len(name) - 1)
