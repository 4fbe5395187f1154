from datetime import date

import pytest

from wagechannel.intake.validation import LeadInvalid, parse_lead
from wagechannel.validation import clean_text

TODAY = date(2026, 11, 28)


def parse(**fields):  # type: ignore[no-untyped-def]
    data = {"name": "张三", "consent": True, **fields}
    return parse_lead(data, today=TODAY)


def errors_of(**fields):  # type: ignore[no-untyped-def]
    with pytest.raises(LeadInvalid) as raised:
        parse(**fields)
    return raised.value.errors


@pytest.mark.parametrize("raw", ["13800138000", "138 0013 8000", "138-0013-8000", "+86 13800138000",
                                 "008613800138000"])
def test_mainland_mobile_formats_are_accepted(raw: str) -> None:
    assert parse(phone=raw).phone == "13800138000"


@pytest.mark.parametrize("raw", ["12345", "23800138000", "1380013800", "138001380001", "电话"])
def test_bad_phone_numbers_get_a_chinese_message(raw: str) -> None:
    assert "手机号码" in errors_of(phone=raw)["phone"]


def test_name_or_phone_is_required() -> None:
    with pytest.raises(LeadInvalid) as raised:
        parse_lead({"consent": True}, today=TODAY)
    assert "姓名或手机号码" in raised.value.errors["phone"]
    assert parse_lead({"phone": "13800138000", "consent": True}, today=TODAY).name is None


@pytest.mark.parametrize("raw,fen", [("8500", 850000), ("8,500.5", 850050), ("8500元", 850000),
                                     (8500, 850000), (12.34, 1234), ("", None), (None, None)])
def test_amounts_in_yuan_become_fen(raw: object, fen: int | None) -> None:
    assert parse(amount_owed=raw).amount_owed_fen == fen


@pytest.mark.parametrize("raw", ["-1", "abc", "1e400", "NaN", "Infinity", "1.001", True, [], {},
                                 "9" * 30])
def test_bad_amounts_are_refused(raw: object) -> None:
    assert "amount_owed" in errors_of(amount_owed=raw)


def test_work_period_checks() -> None:
    assert "work_end" in errors_of(work_start="2026-05-01", work_end="2026-04-01")
    assert "work_start" in errors_of(work_start="2027-01-01")
    assert parse(work_start="2026-03").work_start == date(2026, 3, 1)
    assert parse(work_start="2026/3/5").work_start == date(2026, 3, 5)
    assert parse(work_end="2026-10-01", still_working="1").work_end is None


def test_workers_and_wants() -> None:
    assert parse().workers_affected == 1
    assert parse(workers_affected="12").workers_affected == 12
    assert "workers_affected" in errors_of(workers_affected="0")
    assert "workers_affected" in errors_of(workers_affected="1" * 5000)
    assert "wants" in errors_of(wants="money")
    assert parse(wants="complaint").wants == "complaint"


def test_consent_must_be_given() -> None:
    with pytest.raises(LeadInvalid) as raised:
        parse_lead({"name": "张三"}, today=TODAY)
    assert set(raised.value.errors) == {"consent"}
    with pytest.raises(LeadInvalid):
        parse_lead({"name": "张三", "consent": "false"}, today=TODAY)
    with pytest.raises(LeadInvalid):
        parse_lead({"name": "张三", "consent": 1}, today=TODAY)  # JSON must say true


def test_every_problem_is_reported_at_once() -> None:
    errors = errors_of(phone="1", amount_owed="x", workers_affected="-3", wants="?", consent=False)
    assert set(errors) == {"phone", "amount_owed", "workers_affected", "wants", "consent"}


def test_control_characters_and_nul_are_removed() -> None:
    assert clean_text("张\x00三\x1b") == "张三"
    assert clean_text("第一行\r\n第二行", multiline=True) == "第一行\n第二行"
    assert clean_text("   ") is None


def test_lengths_are_limited() -> None:
    assert "name" in errors_of(name="张" * 65)
    assert "description" in errors_of(description="字" * 2001)
