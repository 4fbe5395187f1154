"""Checks shared by every form, the API and the Excel import; messages are plain Chinese."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

PHONE = re.compile(r"^(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(?:-\d{1,6})?|[48]00-?\d{3}-?\d{4}|1\d{4})$",
                   re.ASCII)  # \d is 0-9 only: other scripts' digits are not phone numbers


class Invalid(ValueError):
    """One field's problem; the message is for the person who typed the value."""


def clean_text(value: Any, *, multiline: bool = False) -> str | None:
    """Strip, normalise, and drop control characters (NUL breaks PostgreSQL text)."""
    if value is None:
        return None
    if not isinstance(value, str):
        value = str(value)
    value = unicodedata.normalize("NFC", value)
    allowed = {"\n", "\t"} if multiline else set()
    value = "".join(ch for ch in value
                    if ch in allowed or unicodedata.category(ch) not in {"Cc", "Cs", "Co", "Cn"})
    value = value.replace("\r", "").strip()
    return value or None


def parse_yuan(raw: Any, *, maximum_fen: int) -> int | None:
    """An amount in yuan (at most two decimals) as integer fen; None when left empty."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool) or not isinstance(raw, str | int | float | Decimal):
        raise Invalid("请填写数字金额（元）。")
    text = unicodedata.normalize("NFKC", str(raw)).strip().replace(",", "").replace("，", "")
    text = text.removesuffix("元")
    if not text.isascii():
        raise Invalid("请填写数字金额（元），例如 8500。")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise Invalid("请填写数字金额（元），例如 8500。") from None
    if not amount.is_finite() or amount < 0:
        raise Invalid("金额不能是负数。")
    if amount > Decimal(maximum_fen) / 100:  # before multiplying: 1e999999 would overflow
        raise Invalid("金额太大了，请检查是否多打了0。")
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise Invalid("金额最多精确到分（两位小数）。")
    return int(fen)


def parse_phone(raw: Any) -> str | None:
    """A mobile, landline (with area code), 400/800 or five-digit hotline number."""
    value = clean_text(raw)
    if value is None:
        return None
    compact = re.sub(r"[\s()（）]", "", unicodedata.normalize("NFKC", value))
    compact = re.sub(r"^(?:\+86|0086)-?", "", compact)
    if not PHONE.match(compact):
        raise Invalid("电话号码格式不对，例如 0755-26661234 或 13800138000。")
    return compact


def parse_int(raw: Any, *, minimum: int, maximum: int, message: str) -> int | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
        raise Invalid(message)
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    if not isinstance(raw, int | float) and not (text.isascii() and text.lstrip("-").isdigit()):
        raise Invalid(message)
    try:
        value = int(raw) if isinstance(raw, int | float) else int(text)
    except (ValueError, OverflowError):
        raise Invalid(message) from None
    if not minimum <= value <= maximum:
        raise Invalid(message)
    return value


class AddressArgs:
    """A list's filters read from an address's parameters (or a command's options): a bad value
    is left out and explained in Chinese under its parameter's name in `errors`, so the page
    shows what it can and keeps what was typed."""

    def __init__(self, args: Mapping[str, Any]) -> None:
        self.args = args
        self.errors: dict[str, str] = {}

    def text(self, name: str) -> str | None:
        value = self.args.get(name)
        if value is None or not isinstance(value, str) or not value.strip():
            return None
        return value.strip()

    def choice(self, name: str, allowed: Mapping[str, str], message: str) -> str | None:
        value = self.text(name)
        if value is not None and value not in allowed:
            self.errors[name] = message
            return None
        return value

    def number(self, name: str, message: str, *, minimum: int = 0,
               maximum: int = 2**31 - 1) -> int | None:
        """ASCII digits only (no full-width digits, signs or spaces inside), within the range."""
        value = self.text(name)
        if value is None:
            return None
        if not (value.isascii() and value.isdigit() and len(value) <= 10) \
                or not minimum <= int(value) <= maximum:
            self.errors[name] = message
            return None
        return int(value)
