"""One validation for every way a report arrives (the phone form, the API, staff intake).

Errors are keyed by field and written in plain Chinese for the person who typed the value.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from wagechannel.intake.models import WANTS
from wagechannel.validation import Invalid, clean_text, parse_yuan

MOBILE = re.compile(r"^1[3-9]\d{9}$")
MAX_AMOUNT_FEN = 100_000_000 * 100  # one hundred million yuan: more is a typing mistake
MAX_WORKERS = 10_000
LIMITS = {"name": 64, "employer_name": 128, "description": 2000}


class LeadInvalid(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class LeadInput:
    name: str | None
    phone: str | None
    employer_name: str | None
    amount_owed_fen: int | None
    workers_affected: int
    work_start: date | None
    work_end: date | None
    description: str | None
    wants: str


def normalise_phone(value: str) -> str:
    digits = re.sub(r"[\s\-()（）]", "", value)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits


def _text(data: Mapping[str, Any], field: str, errors: dict[str, str],
          multiline: bool = False) -> str | None:
    raw = data.get(field)
    if raw is not None and not isinstance(raw, str | int | float):
        errors[field] = "格式不对，请填写文字。"
        return None
    value = clean_text(raw, multiline=multiline)
    if value and len(value) > LIMITS[field]:
        errors[field] = f"太长了，最多{LIMITS[field]}个字。"
    return value


def _amount(raw: Any, errors: dict[str, str]) -> int | None:
    try:
        return parse_yuan(raw, maximum_fen=MAX_AMOUNT_FEN)
    except Invalid as invalid:
        errors["amount_owed"] = str(invalid)
        return None


def _workers(raw: Any, errors: dict[str, str]) -> int:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return 1
    if isinstance(raw, bool) or isinstance(raw, float) and not raw.is_integer():
        errors["workers_affected"] = "请填写人数（整数）。"
        return 1
    try:
        count = int(str(raw).strip().removesuffix("人")) if not isinstance(raw, float) else int(raw)
    except ValueError:
        errors["workers_affected"] = "请填写人数（整数）。"
        return 1
    if count < 1:
        errors["workers_affected"] = "人数至少是1（您自己）。"
    elif count > MAX_WORKERS:
        errors["workers_affected"] = f"人数太多了，最多{MAX_WORKERS}人，请检查。"
    return count


def _date(raw: Any, field: str, errors: dict[str, str], today: date) -> date | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if not isinstance(raw, str):
        errors[field] = "日期格式应为 年-月-日，例如 2026-03-01。"
        return None
    text = raw.strip().replace("/", "-").replace(".", "-")
    if re.fullmatch(r"\d{4}-\d{1,2}", text):
        text += "-01"  # a month is enough: workers remember months, not days
    try:
        value = date.fromisoformat("-".join(part.zfill(2) for part in text.split("-")))
    except ValueError:
        errors[field] = "日期格式应为 年-月-日，例如 2026-03-01。"
        return None
    if value > today:
        errors[field] = "日期不能晚于今天。"
    elif value.year < 1990:
        errors[field] = "日期太早了，请检查年份。"
    return value


def _flag(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        return raw.strip().lower() in {"1", "true", "yes", "on", "y"}
    return False


def parse_lead(data: Mapping[str, Any], *, today: date) -> LeadInput:
    """Validate a report. Raises LeadInvalid with every problem at once, keyed by field."""
    errors: dict[str, str] = {}
    name = _text(data, "name", errors)
    phone_raw = data.get("phone")
    phone: str | None = None
    if phone_raw is not None and not isinstance(phone_raw, str | int):
        errors["phone"] = "请填写11位手机号码。"
    else:
        cleaned = clean_text(phone_raw)
        if cleaned:
            phone = normalise_phone(cleaned)
            if not MOBILE.match(phone):
                errors["phone"] = "手机号码应为11位数字，以1开头。"
    if not name and not phone and "name" not in errors and "phone" not in errors:
        errors["phone"] = "请至少留下姓名或手机号码，我们才能联系您。"
    employer_name = _text(data, "employer_name", errors)
    amount = _amount(data.get("amount_owed"), errors)
    workers = _workers(data.get("workers_affected"), errors)
    work_start = _date(data.get("work_start"), "work_start", errors, today)
    still_working = _flag(data.get("still_working"))
    work_end = None if still_working else _date(data.get("work_end"), "work_end", errors, today)
    if work_start and work_end and work_end < work_start and "work_end" not in errors:
        errors["work_end"] = "结束日期不能早于开始日期。"
    description = _text(data, "description", errors, multiline=True)
    wants = data.get("wants") or "legal_aid"
    if not isinstance(wants, str) or wants not in WANTS:
        errors["wants"] = "请选择您需要的帮助。"
        wants = "legal_aid"
    if data.get("consent") is not True and not (isinstance(data.get("consent"), str)
                                                 and _flag(data.get("consent"))):
        errors["consent"] = "需要您同意我们使用这些信息来帮您讨薪。"
    if errors:
        raise LeadInvalid(errors)
    return LeadInput(name=name, phone=phone, employer_name=employer_name, amount_owed_fen=amount,
                     workers_affected=workers, work_start=work_start, work_end=work_end,
                     description=description, wants=wants)
