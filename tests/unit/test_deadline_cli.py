"""The deadline commands: `deadlines compute`, `calendar add|list`, `remind --once`, and the
scheduler's reminder job."""
from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from tests.unit.test_reminders import TUESDAY, add_deadline, make_case  # noqa: F401
from wagechannel.accounts.models import AuditEvent
from wagechannel.cli import main
from wagechannel.deadlines.calendar import using_entries
from wagechannel.deadlines.models import CalendarEntry, Reminder
from wagechannel.deadlines.rules import due_date


@pytest.fixture()
def cli(runner, monkeypatch):  # type: ignore[no-untyped-def]
    """invoke(args) -> result, on the test's database; the calendar entries of this test only."""
    monkeypatch.setattr("wagechannel.cli._app", lambda: runner.app)

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        with using_entries({}):
            return runner.invoke(main, list(args))
    return invoke


def test_compute_prints_the_due_date_as_json_and_in_words(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("deadlines", "compute", "legal_aid_decision", "2026-09-28", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"rule": "legal_aid_decision", "from": "2026-09-28",
                                         "due": "2026-10-08", "provisional": False,
                                         "article": "法律援助法第43条（补充材料期间不计入）"}
    # 5 October falls in the National Day holiday: the next working day (Civil Code art. 203)
    words = cli("deadlines", "compute", "arbitration_limitation", "2026-12-31")
    assert words.exit_code == 0
    assert "最后一天 2027-12-31" in words.output and "暂定" in words.output
    assert "劳动争议调解仲裁法第27条" in words.output
    leap = cli("deadlines", "compute", "arbitration_limitation", "2027-02-28", "--json")
    assert json.loads(leap.output)["due"] == "2028-02-28"


def test_compute_refuses_an_unknown_rule_or_date_in_chinese(cli) -> None:  # type: ignore[no-untyped-def]
    rule = cli("deadlines", "compute", "no_such_rule", "2026-12-01")
    assert rule.exit_code == 2 and "RULE 只能是" in rule.output and "first_contact" in rule.output
    day = cli("deadlines", "compute", "mediation", "2026-13-01")
    assert day.exit_code == 2 and "起算日应写成 YYYY-MM-DD" in day.output


def test_calendar_add_overrides_and_list_shows_it(cli, db) -> None:  # type: ignore[no-untyped-def]
    def first_contact(day: str) -> dict[str, object]:
        return json.loads(cli("deadlines", "compute", "first_contact", day, "--json").output)

    # 2027 is not published: the Spring Festival (eve 5 February to 8 February) provisionally
    assert first_contact("2027-02-04") == {"rule": "first_contact", "from": "2027-02-04",
                                           "due": "2027-02-09", "provisional": True,
                                           "article": "法律援助中心服务标准（可配置）"}
    working = cli("calendar", "add", "2027-02-05", "--working", "--note", "调休上班（测试）")
    assert working.exit_code == 0 and "2027-02-05 已设为上班" in working.output
    holiday = cli("calendar", "add", "2027-02-03", "--holiday")
    assert holiday.exit_code == 0 and "2027-02-03 已设为放假" in holiday.output
    entry = db.get(CalendarEntry, date(2027, 2, 3))
    assert entry is not None and entry.working is False
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "calendar_entry_set"))
    assert first_contact("2027-02-04")["due"] == "2027-02-05"  # the entries override both
    assert first_contact("2027-02-02")["due"] == "2027-02-04"
    listed = cli("calendar", "list", "--year", "2027")
    assert listed.exit_code == 0
    assert listed.output.splitlines() == ["2027-02-03\t放假", "2027-02-05\t上班\t调休上班（测试）"]
    assert "没有录入" in cli("calendar", "list", "--year", "2030").output
    neither = cli("calendar", "add", "2027-02-07")
    assert neither.exit_code == 2 and "--holiday 或 --working" in neither.output


def test_remind_once_runs_one_tick(cli, db, world) -> None:  # type: ignore[no-untyped-def]
    from wagechannel.accounts.services import record
    from wagechannel.deadlines import seeding
    record(db, seeding.BACKFILL_MARK, object_type="deadlines")
    far = add_deadline(db, make_case(db, world), "legal_aid_decision", date(2100, 1, 4))
    db.commit()
    without = cli("remind")
    assert without.exit_code == 2 and "--once" in without.output
    result = cli("remind", "--once")
    assert result.exit_code == 0, result.output
    assert "写入提醒 0 条" in result.output  # nothing due today (the real clock)
    due = add_deadline(db, make_case(db, world), "legal_aid_decision",
                       due_date("first_contact", date.today()).due)
    db.commit()
    again = cli("remind", "--once")
    assert again.exit_code == 0, again.output
    assert db.scalar(select(Reminder).where(Reminder.deadline_id == due.id)) is not None
    assert db.scalar(select(Reminder).where(Reminder.deadline_id == far.id)) is None


def test_the_scheduler_ticks_reminders_every_minute(app) -> None:  # type: ignore[no-untyped-def]
    from wagechannel.scheduler import build_scheduler, remind

    job = build_scheduler(app).get_job("remind")
    assert job.func is remind and job.trigger.interval.total_seconds() == 60
    assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 3600)
