"""One validation for every way a report arrives (the phone form, the API, staff intake).

Errors are keyed by field and written in plain Chinese for the person who typed the value.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from wagechannel.intake.models import (AWARDS, BEST_TIMES, EMPLOYER_KINDS, EMPLOYMENT, EVIDENCE,
                                       TRADES, URGENT, VULNERABLE, WANTS)
from wagechannel.validation import Invalid, clean_text, parse_int, parse_phone, parse_yuan

MOBILE = re.compile(r"^1[3-9][0-9]{9}$")  # ASCII digits only (\d takes any script's digits)
MAX_AMOUNT_FEN = 100_000_000 * 100  # one hundred million yuan: more is a typing mistake
MAX_WORKERS = 10_000
LIMITS = {"name": 64, "employer_name": 128, "description": 2000, "subcontractor_name": 200,
          "hometown": 64, "site_name": 200, "site_address": 256}
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def valid_id_number(value: str) -> bool:
    """GB 11643-1999: 17 digits, then a check character from the weighted sum mod 11."""
    if not re.fullmatch(r"\d{17}[\dX]", value):
        return False
    total = sum(int(digit) * weight for digit, weight in zip(value[:17], ID_WEIGHTS))
    if ID_CHECK[total % 11] != value[17]:
        return False
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return born.year >= 1900


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
    employer_kind: str | None = None
    employer_phone: str | None = None
    subcontractor_name: str | None = None
    trade: str | None = None
    months_unpaid: int | None = None
    evidence: tuple[str, ...] = ()
    urgent: tuple[str, ...] = ()
    hometown: str | None = None
    best_time: str | None = None
    id_number: str | None = None  # given only with its own consent (PIPL art. 29)
    site_name: str | None = None
    site_address: str | None = None
    employment_status: str | None = None  # None: the worker did not say (flagged, not "working")
    work_end_precision: str | None = None
    demanded_on: date | None = None
    award_kind: str | None = None
    award_date: date | None = None
    # Optional: 60 or older, a disability, under 18 (keys of VULNERABLE); raises the priority
    # tier, and a minor alerts the HR bureau.
    vulnerable: tuple[str, ...] = ()


def normalise_phone(value: str) -> str:
    """Full-width digits from a Chinese keyboard become ASCII; other scripts' digits stay and
    fail the check."""
    digits = re.sub(r"[\s\-()（）]", "", unicodedata.normalize("NFKC", value))
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
    if isinstance(raw, str) and len(raw) > 4 * LIMITS[field]:  # refuse before any more work
        errors[field] = f"太长了，最多{LIMITS[field]}个字。"
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
    text = unicodedata.normalize("NFKC", str(raw)).strip().removesuffix("人")
    if not isinstance(raw, int | float) and not (text.isascii() and text.isdigit()):
        errors["workers_affected"] = "请填写人数（整数）。"
        return 1
    try:
        count = int(text) if not isinstance(raw, float) else int(raw)
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


def _choice(data: Mapping[str, Any], field: str, options: Mapping[str, str],
            errors: dict[str, str], message: str) -> str | None:
    raw = data.get(field)
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or raw not in options:
        errors[field] = message
        return None
    return raw


def _choices(data: Mapping[str, Any], field: str, options: Mapping[str, str],
             errors: dict[str, str], message: str) -> tuple[str, ...]:
    raw = data.get(field)
    if raw is None or raw == "":
        return ()
    values = [raw] if isinstance(raw, str) else raw
    if not isinstance(values, list | tuple) or not all(isinstance(v, str) and v in options
                                                        for v in values):
        errors[field] = message
        return ()
    return tuple(dict.fromkeys(values))  # keep order, drop repeats


def _id_number(data: Mapping[str, Any], errors: dict[str, str]) -> str | None:
    raw = data.get("id_number")
    if raw is not None and not isinstance(raw, str):
        errors["id_number"] = "身份证号应为18位。"
        return None
    value = (clean_text(raw) or "").replace(" ", "").upper()
    if not value:
        return None
    if not valid_id_number(value):
        errors["id_number"] = "身份证号不对，请核对18位号码（最后一位可能是X）。"
        return None
    if not _consented(data.get("id_consent")):
        errors["id_consent"] = "填写身份证号需要您单独勾选同意；不想提供可以不填。"
        return None
    return value


def _consented(raw: Any) -> bool:
    return raw is True or (isinstance(raw, str) and _flag(raw))


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
    employer_kind = _choice(data, "employer_kind", EMPLOYER_KINDS, errors, "请选择是班组长还是公司。")
    employer_phone = None
    try:
        employer_phone = parse_phone(data.get("employer_phone"))
    except Invalid as invalid:
        errors["employer_phone"] = str(invalid)
    subcontractor_name = _text(data, "subcontractor_name", errors)
    trade = _choice(data, "trade", TRADES, errors, "请从列表中选择工种。")
    amount = None if _flag(data.get("amount_unknown")) else _amount(data.get("amount_owed"), errors)
    months_unpaid = None
    try:
        months_unpaid = parse_int(data.get("months_unpaid"), minimum=0, maximum=240,
                                  message="请填写欠了几个月（0到240之间的整数）。")
    except Invalid as invalid:
        errors["months_unpaid"] = str(invalid)
    workers = _workers(data.get("workers_affected"), errors)
    work_start = _date(data.get("work_start"), "work_start", errors, today)
    employment, work_end, precision = _employment(data, errors, today)
    if work_start and work_end and work_end < work_start and "work_end" not in errors:
        errors["work_end"] = "结束日期不能早于开始日期。"
    demanded_on = _date(data.get("demanded_on"), "demanded_on", errors, today)
    award_kind = _choice(data, "award_kind", AWARDS, errors, "请选择是仲裁裁决书还是法院判决书。")
    award_date = _date(data.get("award_date"), "award_date", errors, today)
    if award_date and not award_kind and "award_kind" not in errors:
        errors["award_kind"] = "请选择收到的是仲裁裁决书还是法院判决书。"
    description = _text(data, "description", errors, multiline=True)
    wants = data.get("wants") or "legal_aid"
    if not isinstance(wants, str) or wants not in WANTS:
        errors["wants"] = "请选择您需要的帮助。"
        wants = "legal_aid"
    evidence = _choices(data, "evidence", EVIDENCE, errors, "请从列表中选择手里的证据。")
    if "none" in evidence and len(evidence) > 1:
        errors["evidence"] = "选了“都没有”，就不要再选其他证据。"
    urgent = _choices(data, "urgent", URGENT, errors, "请从列表中选择。")
    vulnerable = _choices(data, "vulnerable", VULNERABLE, errors, "请从列表中选择特殊情况。")
    hometown = _text(data, "hometown", errors)
    best_time = _choice(data, "best_time", BEST_TIMES, errors, "请选择方便接电话的时间。")
    id_number = _id_number(data, errors)
    site_name = _text(data, "site_name", errors)
    site_address = _text(data, "site_address", errors)
    if not _consented(data.get("consent")):
        errors["consent"] = "需要您同意我们使用这些信息来帮您讨薪。"
    if errors:
        raise LeadInvalid(errors)
    return LeadInput(name=name, phone=phone, employer_name=employer_name, amount_owed_fen=amount,
                     workers_affected=workers, work_start=work_start, work_end=work_end,
                     description=description, wants=wants, employer_kind=employer_kind,
                     employer_phone=employer_phone, subcontractor_name=subcontractor_name,
                     trade=trade, months_unpaid=months_unpaid, evidence=evidence, urgent=urgent,
                     hometown=hometown, best_time=best_time, id_number=id_number,
                     site_name=site_name, site_address=site_address, employment_status=employment,
                     work_end_precision=precision, demanded_on=demanded_on,
                     award_kind=award_kind, award_date=award_date, vulnerable=vulnerable)


def _employment(data: Mapping[str, Any], errors: dict[str, str],
                today: date) -> tuple[str | None, date | None, str | None]:
    """Still working here / stopped on a day / stopped, day not remembered (then the month).

    A blank answer stays None and is flagged on the case: the arbitration year runs from the
    end of employment (LDMAL art. 27), so an unknown end is never taken for "still working".
    """
    status = _choice(data, "employment_status", EMPLOYMENT, errors, "请选择现在还干不干。")
    if status is None and _flag(data.get("still_working")):
        status = "working"  # the older API's flag
    if status == "working":
        return status, None, None
    if status == "ended_unknown":
        month = _date(data.get("work_end_month"), "work_end_month", errors, today)
        return status, month.replace(day=1) if month else None, "month" if month else None
    work_end = _date(data.get("work_end"), "work_end", errors, today)
    if work_end is not None:
        return "ended", work_end, "day"
    if status == "ended" and "work_end" not in errors:
        errors["work_end"] = "请填写哪天不干的；记不清就选“已经不干了，记不清哪天”。"
    return status, None, None
