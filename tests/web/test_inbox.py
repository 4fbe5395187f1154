"""Reminders as people meet them: the inbox (read, acknowledge), the signed link in a message,
the administrators' outbox with its retry button, and the case page's deadlines and calculator;
first contact settled by a recorded contact or a message to the worker."""
from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_token, login
from tests.unit.test_channels import Robot, loopback_only, robot  # noqa: F401
from tests.unit.test_reminders import (FRIDAY, MONDAY, TUESDAY, add_deadline, at,  # noqa: F401
                                       backfilled, chief, make_case, run, told)
from wagechannel.accounts.models import AuditEvent
from wagechannel.cases.models import Case
from wagechannel.deadlines import inbox_views
from wagechannel.deadlines.models import Deadline, Reminder
from wagechannel.deadlines.rules import RULES, due_date
from wagechannel.intake.models import Lead


@pytest.fixture()
def clock(monkeypatch):  # type: ignore[no-untyped-def]
    """The pages' clock, set by the test: clock(datetime)."""
    def set_to(now: datetime) -> None:
        monkeypatch.setattr(inbox_views, "utcnow", lambda: now)
    set_to(at(TUESDAY, 10))
    return set_to


def post(client, url: str, page: str = "/inbox", **data: str):  # type: ignore[no-untyped-def]
    return client.post(url, data={"csrf_token": csrf_token(client, page), **data})


# --- the inbox ----------------------------------------------------------------------------------

def test_the_inbox_lists_reads_and_counts(app, client, db, world, backfilled) -> None:  # type: ignore[no-untyped-def]
    for n in range(52):  # more than a page
        add_deadline(db, make_case(db, world, lawyer=world.users["lawyer"]), "mediation", TUESDAY)
    run(app, at(TUESDAY))
    db.commit()
    login(client, "lawyer")
    first = client.get("/inbox").get_data(as_text=True)
    assert "未读 52 条" in first and "共 52 条" in first and 'rel="next"' in first
    assert "调解期限（未达成协议可申请仲裁），今天是最后一天" in first
    second = client.get("/inbox?page=2").get_data(as_text=True)
    assert second.count('class="card reminder') == 2
    newest = db.scalar(select(Reminder).where(Reminder.user_id == world.users["lawyer"].id)
                       .order_by(Reminder.id.desc()))
    assert post(client, f"/inbox/{newest.id}/read").status_code == 303
    assert "未读 51 条" in client.get("/inbox").get_data(as_text=True)
    assert post(client, "/inbox/read-all").status_code == 303
    assert "未读" not in client.get("/inbox").get_data(as_text=True)
    # someone else's reminder is not found; contractors have no inbox
    login(client, "staff")
    assert post(client, f"/inbox/{newest.id}/read").status_code == 404
    login(client, "contractor")
    assert client.get("/inbox").status_code == 403


def test_the_inbox_costs_the_same_statements_at_two_sizes(app, client, db, world, backfilled,
                                                         count_statements) -> None:  # type: ignore[no-untyped-def]
    lawyer = world.users["lawyer"]
    add_deadline(db, make_case(db, world, lawyer=lawyer), "mediation", TUESDAY)
    run(app, at(TUESDAY))
    db.commit()
    login(client, "lawyer")
    small = count_statements(lambda: client.get("/inbox"))
    for n in range(40):
        add_deadline(db, make_case(db, world, lawyer=lawyer), "mediation", TUESDAY)
    run(app, at(TUESDAY, 11))
    db.commit()
    large = count_statements(lambda: client.get("/inbox"))
    assert small == large, (small, large)


def test_the_inbox_button_acknowledges_and_escalation_stops(app, client, db, world, clock,
                                                           backfilled) -> None:  # type: ignore[no-untyped-def]
    chief(db, world)
    decision = add_deadline(db, make_case(db, world), "legal_aid_decision", FRIDAY)
    run(app, at(MONDAY), SUPERVISORS="chief")
    db.commit()
    assert ("chief", "overdue-2026-12-07") in told(db, decision)
    login(client, "staff")
    page = client.get("/inbox").get_data(as_text=True)
    assert "【逾期督办】" in page and "确认已在处理" in page
    mine = db.scalar(select(Reminder).where(Reminder.deadline_id == decision.id,
                                            Reminder.user_id == world.users["legal_aid_staff"].id))
    clock(at(MONDAY, 10))
    response = post(client, f"/inbox/{mine.id}/ack")
    assert response.status_code == 303
    flashed = client.get("/inbox").get_data(as_text=True)
    assert "不再向上级催办" in flashed and "已确认在处理" in flashed
    db.expire_all()
    decision = db.get(Deadline, decision.id)
    assert decision.acknowledged_by_id == world.users["legal_aid_staff"].id
    assert decision.acknowledged_at == at(MONDAY, 10)
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "deadline_acknowledged")
                     ).detail["via"] == "inbox"
    run(app, at(date(2026, 12, 8)), SUPERVISORS="chief")
    assert {who for who, stage in told(db, decision) if stage == "overdue-2026-12-08"} == {
        "staff"}
    case_page = client.get(f"/cases/{decision.case_id}").get_data(as_text=True)
    assert "确认在处理" in case_page


def test_the_signed_link_shows_a_button_and_only_the_button_acknowledges(
        app, client, db, world, clock, backfilled) -> None:  # type: ignore[no-untyped-def]
    decision = add_deadline(db, make_case(db, world), "legal_aid_decision", FRIDAY)
    run(app, at(date(2026, 12, 8)))  # two working days late: the liaison is told too
    db.commit()
    message = db.scalar(select(Reminder).where(
        Reminder.deadline_id == decision.id, Reminder.user_id == world.users["bureau_liaison"].id))
    link = re.search(r"确认已在处理：http://wc\.test(/reminders/ack/\S+)", message.body).group(1)
    opened = client.get(link)  # not logged in: the link is enough
    assert opened.status_code == 200
    text = opened.get_data(as_text=True)
    assert "作出是否给予法律援助的决定" in text and "2026-12-04" in text and "<button" in text
    db.expire_all()
    assert db.get(Deadline, decision.id).acknowledged_at is None  # opening is not acknowledging
    clock(at(date(2026, 12, 8), 11))
    done = client.post(link, data={"csrf_token": csrf_token(client, link)})
    assert done.status_code == 200 and "不再向上级催办" in done.get_data(as_text=True)
    db.expire_all()
    assert db.get(Deadline, decision.id).acknowledged_by_id == world.users["bureau_liaison"].id
    assert client.get(link[:-3] + "abc").status_code == 404
    assert client.get("/reminders/ack/not-a-token").status_code == 404
    run(app, at(date(2026, 12, 9)))
    assert {who for who, stage in told(db, decision) if stage == "overdue-2026-12-09"} == {
        "staff"}


# --- the administrators' outbox --------------------------------------------------------------------

def test_failed_messages_are_shown_to_admins_with_a_retry_button(app, client, db, world, robot,
                                                                 clock, backfilled) -> None:  # type: ignore[no-untyped-def]
    robot.answer = lambda: (200, {"errcode": 93000, "errmsg": "invalid webhook url"})
    config = {"WEBHOOKS": json.dumps({str(world.centre.id): {"wecom": robot.url()}}),
              "REMINDER_MAX_ATTEMPTS": 1}
    add_deadline(db, make_case(db, world), "legal_aid_decision", TUESDAY)
    result = run(app, at(TUESDAY), **config)
    assert result.delivery.failed == 1
    db.commit()
    login(client, "staff")
    assert client.get("/admin/reminders").status_code == 403
    login(client, "admin")
    page = client.get("/admin/reminders").get_data(as_text=True)
    assert "发送失败（1）" in page and "93000" in page and "企业微信群" in page
    failed = db.scalar(select(Reminder).where(Reminder.status == "failed"))
    response = post(client, f"/admin/reminders/{failed.id}/retry", page="/admin/reminders")
    assert response.status_code == 303
    db.expire_all()
    failed = db.get(Reminder, failed.id)
    assert (failed.status, failed.attempts, failed.next_attempt_at) == ("pending", 0,
                                                                        at(TUESDAY, 10))
    robot.answer = lambda: (200, {"errcode": 0, "errmsg": "ok"})
    run(app, at(TUESDAY, 10, 1), **config)
    db.expire_all()
    assert db.get(Reminder, failed.id).status == "sent"
    assert "已发送（1）" in client.get("/admin/reminders?status=sent").get_data(as_text=True)
    assert db.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "reminder_retry")) == 1


# --- the case page --------------------------------------------------------------------------------

def reported(client, db, world) -> Case:  # type: ignore[no-untyped-def]
    from tests.web.test_case_page import report
    code = report(client, world.board, name="王五", phone="13700137000", work_end="2026-10-31")
    lead = db.scalar(select(Lead).where(Lead.code == code))
    return db.get(Case, lead.case_id)


def test_the_case_page_lists_its_deadlines_and_offers_the_calculator(app, client, db,
                                                                    world) -> None:  # type: ignore[no-untyped-def]
    case = reported(client, db, world)
    run(app, at(TUESDAY))  # seeds first contact and the worker's arbitration year
    db.commit()
    login(client, "staff")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    section = page.split('id="deadlines"')[1].split("</table>")[0]
    assert "首次联系反映人" in section and "申请劳动仲裁的时效" in section
    assert "2026-10-31" in section and "2027-11-01" in section  # provisional year
    assert "暂定" in section and "未到期" in section and "劳动争议调解仲裁法第27条" in section
    assert 'action="/deadlines/calculate"' in page
    answer = client.get("/deadlines/calculate?rule=inspection_acceptance&from=2026-09-28"
                        "&format=json").get_json()
    assert answer == due_date("inspection_acceptance", date(2026, 9, 28)).as_dict()
    # five working days across National Day: the fifth is the make-up Saturday, 10 October
    assert answer["due"] == "2026-10-10"
    shown = client.get(f"/deadlines/calculate?rule=arbitration_limitation&from=2026-12-31"
                       f"&case={case.id}").get_data(as_text=True)
    assert "最后一天 2027-12-31" in shown and "暂定" in shown
    assert f"/cases/{case.id}#deadlines" in shown
    bad = client.get("/deadlines/calculate?rule=arbitration_limitation&from=31.12.2026")
    assert bad.status_code == 422 and "请填写起算日" in bad.get_data(as_text=True)
    assert client.get("/deadlines/calculate?rule=nope&from=2026-12-31&format=json"
                      ).status_code == 422
    login(client, "contractor")
    assert client.get("/deadlines/calculate?rule=mediation&from=2026-12-01").status_code == 403


@pytest.mark.parametrize("how", ["contact", "message"])
def test_first_contact_is_met_by_a_contact_or_a_message(app, client, db, world, how) -> None:  # type: ignore[no-untyped-def]
    case = reported(client, db, world)
    case.created_at = datetime.now(tz=at(TUESDAY).tzinfo) - timedelta(hours=1)
    db.commit()
    from wagechannel.db import utcnow
    run(app, utcnow())
    db.commit()
    first = db.scalar(select(Deadline).where(Deadline.case_id == case.id,
                                             Deadline.rule == "first_contact"))
    assert first.status == "open"
    assert first.due_date == due_date("first_contact", first.trigger_date).due
    login(client, "staff")
    url = f"/cases/{case.id}"
    if how == "contact":
        response = client.post(f"{url}/contacts", data={
            "csrf_token": csrf_token(client, url), "channel": "phone", "note": "已电话联系"})
    else:
        lead = case.leads[0]
        response = client.post(f"{url}/leads/{lead.id}/messages", data={
            "csrf_token": csrf_token(client, url), "body": "我们收到了，明天给您打电话。"})
    assert response.status_code == 303
    db.expire_all()
    assert db.get(Deadline, first.id).status == "met"
    assert RULES["first_contact"].label in client.get(url).get_data(as_text=True)
