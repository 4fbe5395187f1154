"""Reminders: intake deadlines seeded by the tick, the stage each deadline is in, recipients and
escalation, catch-up after downtime, the outbox's back-off and failures, the liaisons' digest,
and exactly once with two ticks at the same moment (each on its own session and connection).

Every tick runs at a `now` the test sets; no test waits for time to pass. Messages leave only
for servers on loopback (test_channels.py)."""
from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD, app_config
from tests.scratch_database import scratch_database
from tests.unit.test_channels import (MailServer, Robot, loopback_only,  # noqa: F401
                                      mail_server, robot)
from wagechannel.accounts.models import AuditEvent, User
from wagechannel.accounts.services import create_user, record
from wagechannel.cases.models import Case, CaseContact
from wagechannel.cases.routing import route_lead
from wagechannel.clock import CHINA
from wagechannel.deadlines import reminders, seeding
from wagechannel.deadlines.calendar import using_entries
from wagechannel.deadlines.models import Deadline, Reminder
from wagechannel.deadlines.reminders import (TickResult, ack_token, acknowledge, backoff,
                                             read_ack_token, stage_on, stage_plan, tick)
from wagechannel.deadlines.settings import reminder_settings
from wagechannel.extensions import db as database
from wagechannel.intake.services import store_lead
from wagechannel.intake.validation import parse_lead
from wagechannel.scheduler import with_calendar

UTC = timezone.utc
OLD = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)  # outside the seeding window of the ticks below


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    """That local time in China, as the UTC instant a tick is given."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CHINA).astimezone(UTC)


TUESDAY = date(2026, 12, 1)
FRIDAY = date(2026, 12, 4)
MONDAY = date(2026, 12, 7)

_numbers = iter(range(1, 100_000))


def run(app, now: datetime, **config: Any) -> TickResult:  # type: ignore[no-untyped-def]
    """One tick in the test's transaction, with these settings over the app's (and the
    calendar entries of the database, as the scheduler reads them, for this tick only)."""
    with using_entries({}):
        with_calendar()
        return tick(database.unit_of_work, now=now,
                    settings=reminder_settings({**app.config, **config}))


def make_case(db, world, *, lawyer=None, status="accepted", created=OLD,  # type: ignore[no-untyped-def]
              bureau=True) -> Case:
    case = Case(number=f"T-{next(_numbers):05d}", legal_aid_org_id=world.centre.id,
                bureau_org_id=world.bureau.id if bureau else None, region_code="440305",
                status=status, lawyer_id=lawyer.id if lawyer else None, created_at=created)
    db.add(case)
    db.flush()
    return case


def add_deadline(db, case, rule: str, due: date, trigger: date | None = None) -> Deadline:  # type: ignore[no-untyped-def]
    deadline = Deadline(case_id=case.id, rule=rule, trigger_date=trigger or due - timedelta(7),
                        due_date=due, provisional=False, status="open", source="test")
    db.add(deadline)
    db.flush()
    return deadline


@pytest.fixture()
def backfilled(db) -> None:  # type: ignore[no-untyped-def]
    """The one-time backfill already happened (its mark is in the audit log)."""
    record(db, seeding.BACKFILL_MARK, object_type="deadlines", seeded=0)
    db.flush()


def inbox(db, user: User) -> list[Reminder]:  # type: ignore[no-untyped-def]
    return list(db.scalars(select(Reminder).where(Reminder.user_id == user.id,
                                                  Reminder.channel == "inapp")
                           .order_by(Reminder.id)))


def told(db, deadline: Deadline) -> Counter[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(username, stage) of each in-app message about the deadline."""
    rows = db.execute(select(User.username, Reminder.stage).join(User, User.id == Reminder.user_id)
                      .where(Reminder.deadline_id == deadline.id, Reminder.channel == "inapp"))
    return Counter((username, stage) for username, stage in rows)


def chief(db, world) -> User:  # type: ignore[no-untyped-def]
    found = db.scalar(select(User).where(User.username == "chief"))
    return found or create_user(db, username="chief", password=PASSWORD, role="legal_aid_staff",
                                organisation_id=world.centre.id, display_name="周主任")


# --- stages ------------------------------------------------------------------------------------

@using_entries({})
def test_the_stage_of_a_deadline_on_working_days() -> None:
    due = date(2026, 12, 7)  # a Monday
    assert stage_on(due, date(2026, 12, 1), (3, 1, 0)) is None  # Tuesday: 4 working days before
    assert stage_on(due, date(2026, 12, 2), (3, 1, 0)) == "before-3@2026-12-07"
    assert stage_on(due, date(2026, 12, 4), (3, 1, 0)) == "before-1@2026-12-07"  # the weekend
    assert stage_on(due, date(2026, 12, 5), (3, 1, 0)) == "before-1@2026-12-07"
    assert stage_on(due, due, (3, 1, 0)) == "due@2026-12-07"
    # National Day 2026: 1–7 October off, Saturday 10 October a make-up working day
    assert stage_on(date(2026, 10, 9), date(2026, 9, 30), (3, 1, 0)) == "before-3@2026-10-09"
    assert stage_on(date(2026, 10, 12), date(2026, 10, 9), (3, 1, 0)) == "before-3@2026-10-12"
    assert stage_on(date(2026, 10, 12), date(2026, 10, 10), (3, 1, 0)) == \
        "before-1@2026-10-12"  # the make-up Saturday is a working day
    plan = stage_plan(date(2026, 12, 5))  # a Saturday: no overdue reminders today
    assert plan.overdue is None
    assert stage_plan(MONDAY).overdue == "overdue-2026-12-07"
    assert "aid_before_review" not in stage_plan(MONDAY).overdue_rules


def test_backoff_doubles_up_to_six_hours() -> None:
    assert [backoff(n, 60).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert backoff(30, 60) == timedelta(hours=6)


def test_acknowledgement_links_are_signed() -> None:
    token = ack_token("secret", 12, 3)
    assert read_ack_token("secret", token) == reminders.AckClaim(12, 3, None)
    assert read_ack_token("other", token) is None
    assert read_ack_token("secret", token[:-2] + "xy") is None
    group = read_ack_token("secret", ack_token("secret", 12, None, 7))
    assert group == reminders.AckClaim(12, None, 7)


# --- seeding -----------------------------------------------------------------------------------

def reported_case(db, world, **fields: Any) -> Case:  # type: ignore[no-untyped-def]
    values = {"name": "张三", "phone": f"1380013{next(_numbers):04d}", "consent": True,
              "employment_status": "ended", "work_end": "2026-10-31", **fields}
    data = parse_lead(values, today=date(2026, 11, 30))
    case = route_lead(db, store_lead(db, data, board=world.board, channel="qr"),
                      today=date(2026, 11, 30))
    assert case is not None
    case.created_at = at(date(2026, 11, 30), 9)
    db.flush()
    return case


def test_a_new_case_gets_first_contact_and_the_workers_limit_once(app, db, world,
                                                                   backfilled) -> None:  # type: ignore[no-untyped-def]
    case = reported_case(db, world)
    unknown = reported_case(db, world, employment_status="ended_unknown", work_end=None)
    lead = case.leads[0]
    first = run(app, at(date(2026, 11, 30), 10))
    assert first.seeded == 3 and not first.backfilled
    found = {d.rule: d for d in db.scalars(select(Deadline).where(Deadline.case_id == case.id))}
    contact = found["first_contact"]
    assert (contact.trigger_date, contact.due_date, contact.status, contact.source) == (
        date(2026, 11, 30), date(2026, 12, 1), "open", "intake")
    limit = found["arbitration_limitation"]
    # one year from the end of work (LDMAL art. 27); 31 October 2027 is a Sunday (art. 203)
    assert (limit.trigger_date, limit.due_date, limit.provisional, limit.source) == (
        date(2026, 10, 31), date(2027, 11, 1), True, f"lead:{lead.id}")
    # an unknown end of employment gives no limit: only the first contact
    assert [d.rule for d in db.scalars(select(Deadline).where(Deadline.case_id == unknown.id))] \
        == ["first_contact"]
    # the centre's staff hear of the new case at once (the day before the first contact is due)
    staff = world.users["legal_aid_staff"]
    assert told(db, contact) == Counter({(staff.username, "before-1@2026-12-01"): 1})
    again = run(app, at(date(2026, 11, 30), 11))
    assert (again.seeded, again.written) == (0, 0)
    # a contact recorded where the views do not settle it (another path): the next stage
    # finds it and settles the deadline instead of chasing it
    db.add(CaseContact(case_id=case.id, user_id=staff.id, channel="phone", note="已联系",
                       at=at(date(2026, 11, 30), 16)))
    db.flush()
    later = run(app, at(TUESDAY, 9))
    assert later.settled >= 1
    db.refresh(contact)
    assert contact.status == "met"
    assert (staff.username, "due@2026-12-01") not in told(db, contact)


def test_a_worker_with_an_award_gets_the_fifteen_days_to_sue(app, db, world, backfilled) -> None:  # type: ignore[no-untyped-def]
    case = reported_case(db, world, award_kind="award", award_date="2026-11-20")
    run(app, at(date(2026, 11, 30), 10))
    suit = db.scalar(select(Deadline).where(Deadline.case_id == case.id,
                                            Deadline.rule == "suit_after_award"))
    assert suit is not None and suit.due_date == date(2026, 12, 7)  # 5 Dec is a Saturday


def test_the_backfill_runs_once_over_every_open_case(app, db, world) -> None:  # type: ignore[no-untyped-def]
    old = make_case(db, world, created=OLD)
    old.accepted_at = OLD + timedelta(hours=2)  # accepted the same day: the centre had called
    closed = make_case(db, world, created=OLD, status="closed")
    first = run(app, at(TUESDAY))
    assert first.backfilled
    contact = db.scalar(select(Deadline).where(Deadline.case_id == old.id))
    assert contact.rule == "first_contact" and contact.status == "met"
    assert db.scalar(select(func.count(Deadline.id)).where(Deadline.case_id == closed.id)) == 0
    assert db.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == seeding.BACKFILL_MARK)) == 1
    another_old = make_case(db, world, created=OLD)
    second = run(app, at(TUESDAY, 10))
    assert not second.backfilled and second.seeded == 0  # outside the window: not seeded
    assert db.scalar(select(func.count(Deadline.id)).where(
        Deadline.case_id == another_old.id)) == 0
    with using_entries({}):
        forced = tick(database.unit_of_work, now=at(TUESDAY, 11),
                      settings=reminder_settings(app.config), backfill=True)
    assert forced.backfilled and forced.seeded == 1  # `wagechannel remind --once --backfill`


# --- recipients, escalation, acknowledgement -----------------------------------------------------

def test_the_lawyer_else_the_centres_staff_and_the_bureau_for_its_own(app, db, world,
                                                                    backfilled) -> None:  # type: ignore[no-untyped-def]
    lawyer, staff = world.users["lawyer"], world.users["legal_aid_staff"]
    liaison = world.users["bureau_liaison"]
    with_lawyer = add_deadline(db, make_case(db, world, lawyer=lawyer), "mediation", TUESDAY)
    without = add_deadline(db, make_case(db, world), "legal_aid_decision", TUESDAY)
    bureau = add_deadline(db, make_case(db, world, lawyer=lawyer), "inspection_acceptance",
                          TUESDAY)
    run(app, at(TUESDAY))
    assert told(db, with_lawyer) == Counter({("lawyer", "due@2026-12-01"): 1})
    assert told(db, without) == Counter({("staff", "due@2026-12-01"): 1})
    assert told(db, bureau) == Counter({("liaison", "due@2026-12-01"): 1})
    assert staff.username == "staff" and liaison.username == "liaison"
    body = inbox(db, lawyer)[0].body
    assert "今天是最后一天" in body and "劳动争议调解仲裁法第14条" in body
    assert f"http://wc.test/cases/{with_lawyer.case_id}" in body
    assert "张三" not in body  # no worker's personal data in a message


def test_escalation_owner_then_supervisor_then_liaison_until_acknowledged(app, db, world,
                                                                        backfilled) -> None:  # type: ignore[no-untyped-def]
    boss = chief(db, world)
    config = {"SUPERVISORS": "chief"}
    decision = add_deadline(db, make_case(db, world), "legal_aid_decision", FRIDAY)
    run(app, at(FRIDAY), **config)
    assert told(db, decision) == Counter({("staff", "due@2026-12-04"): 1})
    run(app, at(MONDAY), **config)  # first overdue working day: the supervisor too
    assert told(db, decision) - Counter({("staff", "due@2026-12-04"): 1}) == Counter(
        {("staff", "overdue-2026-12-07"): 1, ("chief", "overdue-2026-12-07"): 1})
    supervisor_message = inbox(db, boss)[-1]
    assert supervisor_message.subject.startswith("【逾期督办】") and "主管" in supervisor_message.body
    run(app, at(date(2026, 12, 8)), **config)  # second: the bureau's liaison as well
    assert {who for who, stage in told(db, decision) if stage == "overdue-2026-12-08"} == {
        "staff", "chief", "liaison"}
    # the liaison acknowledges through the link in the message
    message = [row for row in inbox(db, world.users["bureau_liaison"])
               if row.deadline_id == decision.id][-1]
    assert "人社部门联络人" in message.body
    link = next(line for line in message.body.splitlines() if line.startswith("确认已在处理："))
    claim = read_ack_token(app.config["SECRET_KEY"], link.rsplit("/", 1)[1])
    assert claim == reminders.AckClaim(decision.id, world.users["bureau_liaison"].id, None)
    acknowledge(db, decision, user=world.users["bureau_liaison"], now=at(date(2026, 12, 8), 10),
                via="link")
    run(app, at(date(2026, 12, 9)), **config)  # the owner keeps hearing; nobody above
    assert {who for who, stage in told(db, decision) if stage == "overdue-2026-12-09"} == {
        "staff"}


def test_an_acknowledgement_before_the_last_day_does_not_stop_escalation(app, db, world,
                                                                       backfilled) -> None:  # type: ignore[no-untyped-def]
    chief(db, world)
    decision = add_deadline(db, make_case(db, world), "legal_aid_decision", FRIDAY)
    acknowledge(db, decision, user=world.users["legal_aid_staff"], now=at(TUESDAY), via="inbox")
    run(app, at(MONDAY), SUPERVISORS="chief")
    assert ("chief", "overdue-2026-12-07") in told(db, decision)


def test_without_supervisors_the_admins_supervise(app, db, world, backfilled) -> None:  # type: ignore[no-untyped-def]
    late = add_deadline(db, make_case(db, world), "legal_aid_assignment", FRIDAY)
    run(app, at(MONDAY))
    assert told(db, late) == Counter({("staff", "overdue-2026-12-07"): 1,
                                      ("admin", "overdue-2026-12-07"): 1})


def test_nobody_to_tell_is_visible_to_admins(app, db, world, backfilled) -> None:  # type: ignore[no-untyped-def]
    for user in db.scalars(select(User).where(User.role.in_(("admin", "legal_aid_staff")))):
        user.is_active_account = False
    deadline = add_deadline(db, make_case(db, world), "legal_aid_decision", TUESDAY)
    first = run(app, at(TUESDAY))
    row = db.scalar(select(Reminder).where(Reminder.deadline_id == deadline.id))
    assert row.status == "failed" and row.user_id is None and "没有可以接收" in row.last_error
    assert run(app, at(TUESDAY, 10)).written == 0 and first.written == 1


# --- catch-up ------------------------------------------------------------------------------------

def test_after_three_days_down_one_message_per_deadline_and_recipient(app, db, world,
                                                                    backfilled) -> None:  # type: ignore[no-untyped-def]
    chief(db, world)
    config = {"SUPERVISORS": "chief"}
    lawyer = world.users["lawyer"]
    deadlines = [add_deadline(db, make_case(db, world, lawyer=lawyer), rule, FRIDAY)
                 for rule in ("mediation", "arbitration_acceptance", "suit_after_award")]
    run(app, at(TUESDAY), **config)  # 3 working days before: one message each
    assert Counter(stage for d in deadlines for _, stage in told(db, d)) == {
        "before-3@2026-12-04": 3}
    # down from Wednesday to Friday (before-1 and the last day slept through), back on Monday
    result = run(app, at(MONDAY), **config)
    for deadline in deadlines:
        assert told(db, deadline) == Counter({("lawyer", "before-3@2026-12-04"): 1,
                                              ("lawyer", "overdue-2026-12-07"): 1,
                                              ("chief", "overdue-2026-12-07"): 1})
    assert result.written == 6
    assert run(app, at(MONDAY, 9, 1), **config).written == 0  # the next minute: nothing


def test_a_deadline_moved_to_a_later_day_goes_through_its_stages_again(app, db, world,
                                                                      backfilled) -> None:  # type: ignore[no-untyped-def]
    lawyer = world.users["lawyer"]
    award = add_deadline(db, make_case(db, world, lawyer=lawyer), "arbitration_award", TUESDAY)
    run(app, at(TUESDAY))
    award.due_date = date(2026, 12, 8)  # the award's period extended, or a corrected date
    db.flush()
    run(app, at(date(2026, 12, 3)))  # three working days before the new last day
    run(app, at(date(2026, 12, 8)))
    assert told(db, award) == Counter({("lawyer", "due@2026-12-01"): 1,
                                       ("lawyer", "before-3@2026-12-08"): 1,
                                       ("lawyer", "due@2026-12-08"): 1})


# --- delivery: back-off, failure, retry -------------------------------------------------------------

def test_a_failing_robot_is_retried_with_backoff_then_shown_failed(app, db, world, robot,
                                                                  backfilled) -> None:  # type: ignore[no-untyped-def]
    robot.answer = lambda: (500, {"errcode": -1})
    config = {"WEBHOOKS": json.dumps({str(world.centre.id): {"wecom": robot.url()}}),
              "REMINDER_MAX_ATTEMPTS": 3, "REMINDER_BACKOFF_SECONDS": 60}
    add_deadline(db, make_case(db, world), "legal_aid_decision", TUESDAY)
    start = at(TUESDAY)
    first = run(app, start, **config)
    assert first.delivery.retrying == 1 and len(robot.received) == 1
    row = db.scalar(select(Reminder).where(Reminder.channel == "wecom"))
    db.refresh(row)
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 1,
                                                               start + timedelta(seconds=60))
    assert "HTTP 500" in row.last_error
    run(app, start + timedelta(seconds=30), **config)  # not yet
    assert len(robot.received) == 1
    run(app, start + timedelta(seconds=61), **config)  # second attempt, then 120 s
    assert len(robot.received) == 2
    run(app, start + timedelta(seconds=61 + 119), **config)
    assert len(robot.received) == 2
    last = run(app, start + timedelta(seconds=61 + 121), **config)
    assert len(robot.received) == 3 and last.delivery.failed == 1
    db.refresh(row)
    assert (row.status, row.attempts) == ("failed", 3)
    run(app, start + timedelta(hours=5), **config)
    assert len(robot.received) == 3  # failed stays failed until an admin retries
    # the in-app message was delivered all along
    assert db.scalar(select(Reminder.status).where(Reminder.channel == "inapp")) == "sent"


def test_email_and_both_robots_deliver_once(app, db, world, robot, mail_server,
                                            backfilled) -> None:  # type: ignore[no-untyped-def]
    config = {"WEBHOOKS": json.dumps({str(world.centre.id): {
        "wecom": robot.url("/wecom?key=k"), "dingtalk": robot.url("/ding?access_token=t")}}),
        "REMINDER_EMAILS": "staff=staff@wc.test", "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": mail_server.port, "SMTP_FROM": "reminders@wc.test"}
    deadline = add_deadline(db, make_case(db, world), "legal_aid_decision", TUESDAY)
    result = run(app, at(TUESDAY), **config)
    assert result.delivery.sent == 3
    assert sorted(got["path"] for got in robot.received) == ["/ding", "/wecom"]
    assert len(mail_server.messages) == 1 and mail_server.envelopes[0][1] == ["staff@wc.test"]
    assert all(row.status == "sent" for row in db.scalars(
        select(Reminder).where(Reminder.deadline_id == deadline.id)))
    run(app, at(TUESDAY, 10), **config)
    assert len(robot.received) == 2 and len(mail_server.messages) == 1


# --- the liaisons' digest --------------------------------------------------------------------------

def test_the_liaison_gets_one_digest_a_day_of_the_regions_items(app, db, world,
                                                               backfilled) -> None:  # type: ignore[no-untyped-def]
    liaison = world.users["bureau_liaison"]
    overdue = make_case(db, world)
    add_deadline(db, overdue, "legal_aid_decision", date(2026, 11, 27))
    soon = make_case(db, world)
    add_deadline(db, soon, "inspection_acceptance", FRIDAY)
    elsewhere = make_case(db, world, bureau=False)
    add_deadline(db, elsewhere, "legal_aid_decision", TUESDAY)
    add_deadline(db, make_case(db, world), "mediation", date(2027, 3, 1))  # far off
    assert run(app, at(TUESDAY, 7)).digests == 0  # before DIGEST_HOUR
    assert run(app, at(TUESDAY, 8)).digests == 1
    digest = db.scalar(select(Reminder).where(Reminder.user_id == liaison.id,
                                              Reminder.stage == "digest-2026-12-01"))
    assert "逾期1项，临近1项" in digest.subject
    assert overdue.number in digest.body and soon.number in digest.body
    assert elsewhere.number not in digest.body and "2027-03-01" not in digest.body
    from wagechannel.cache import clear_all
    clear_all()  # another process, or hours later: the key keeps it to one
    assert run(app, at(TUESDAY, 15)).digests == 0


# --- the liaisons' weekly numbers ---------------------------------------------------------------

def weekly_case(db, world, created: datetime, *, other: bool = False, amount: str = "5000",  # type: ignore[no-untyped-def]
                closed: datetime | None = None, recovered: int | None = None) -> Case:
    values = {"name": "李四", "phone": f"1390013{next(_numbers):04d}", "consent": True,
              "employment_status": "ended", "work_end": "2026-10-31", "amount_owed": amount}
    lead = store_lead(db, parse_lead(values, today=date(2026, 11, 20)),
                      board=world.other_board if other else world.board, channel="qr")
    case = route_lead(db, lead, today=date(2026, 11, 20))
    assert case is not None
    lead.created_at = case.created_at = created
    if closed is not None:
        case.status, case.closed_at, case.amount_recovered_fen = "closed", closed, recovered
    db.flush()
    return case


def test_each_liaison_gets_the_week_befores_numbers_once_a_week(app, db, world, robot,
                                                                backfilled) -> None:  # type: ignore[no-untyped-def]
    liaison, other = world.users["bureau_liaison"], world.other_users["bureau_liaison"]
    last_week = [weekly_case(db, world, at(date(2026, 11, 23), 0, 1), amount="3000"),
                 weekly_case(db, world, at(date(2026, 11, 29), 23, 59), amount="1200.50"),
                 weekly_case(db, world, at(date(2026, 11, 25)), amount="800",
                             closed=at(date(2026, 11, 27)), recovered=80_000)]
    weekly_case(db, world, at(date(2026, 11, 22), 23, 59))  # the Sunday before: not counted
    weekly_case(db, world, at(date(2026, 11, 30), 0, 0))  # this week: not counted
    weekly_case(db, world, at(date(2026, 11, 24)), other=True, amount="99999")  # not its region
    overdue = add_deadline(db, last_week[0], "inspection_acceptance", date(2026, 11, 27))
    add_deadline(db, weekly_case(db, world, OLD, other=True), "inspection_acceptance",
                 date(2026, 11, 27))  # the other county's
    config = {"WEBHOOKS": json.dumps({str(world.bureau.id): {"wecom": robot.url("/w?key=k")}})}

    assert run(app, at(MONDAY - timedelta(days=7), 7), **config).weekly == 0  # before the hour
    result = run(app, at(TUESDAY, 8), **config)  # Monday's tick never came: caught up Tuesday
    assert result.weekly == 3  # each liaison in-app, the first bureau's robot
    mine = db.scalar(select(Reminder).where(Reminder.user_id == liaison.id,
                                            Reminder.stage == "weekly-2026-11-23"))
    reports = len(last_week)
    claimed = sum(case.leads[0].amount_owed_fen for case in last_week)
    assert claimed == 500_050
    assert f"收到反映{reports}条，新立案件{reports}件，逾期期限1项" in mine.subject
    assert "2026-11-23 至 2026-11-29" in mine.subject
    assert "主张欠薪合计 5,000.50 元（3条填写了金额）" in mine.body
    assert f"涉及工人{sum(case.worker_count for case in last_week)}人" in mine.body
    assert "结案：1件，追回 800 元" in mine.body
    assert "劳动保障监察）1项" in mine.body and overdue.rule == "inspection_acceptance"
    assert "/bureau?from=2026-11-23&to=2026-11-29" in mine.body
    theirs = db.scalar(select(Reminder).where(Reminder.user_id == other.id,
                                              Reminder.stage == "weekly-2026-11-23"))
    assert "收到反映1条" in theirs.subject and "99,999 元" in theirs.body
    assert "5,000.50" not in theirs.body
    weekly = [got for got in robot.received if "每周统计" in got["json"]["markdown"]["content"]]
    assert len(weekly) == 1 and "收到反映3条" in weekly[0]["json"]["markdown"]["content"]

    from wagechannel.cache import clear_all
    clear_all()  # another process, or later that week: the keys keep it to one a week
    assert run(app, at(FRIDAY, 9), **config).weekly == 0
    assert run(app, at(MONDAY, 8), **config).weekly == 3  # the next week's
    assert db.scalar(select(func.count()).select_from(Reminder)
                     .where(Reminder.stage == "weekly-2026-11-30")) == 3


# --- statements ------------------------------------------------------------------------------------

def statements_of(app, action) -> int:  # type: ignore[no-untyped-def]
    """Statements `action` sends, counted on its one and only run (a tick's second run at the
    same minute would find nothing to do)."""
    from sqlalchemy import event

    from tests.conftest import StatementCounter
    counter = StatementCounter()
    engine = app.extensions["wagechannel_engine"]
    event.listen(engine, "before_cursor_execute", counter)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    return counter.count


def test_a_tick_costs_the_same_statements_however_many_deadlines_are_open(
        app, db, world, backfilled) -> None:  # type: ignore[no-untyped-def]
    lawyer = world.users["lawyer"]

    def load(far: int, due: int) -> None:
        case = make_case(db, world, lawyer=lawyer)
        for n in range(far):
            add_deadline(db, case, "arbitration_limitation", date(2027, 6, 1) + timedelta(n % 300))
        for _ in range(due):
            add_deadline(db, make_case(db, world), "legal_aid_decision", TUESDAY)

    run(app, at(TUESDAY, 6))  # warm: the backfill's mark, the calendar entries
    load(20, 5)
    small = statements_of(app, lambda: run(app, at(TUESDAY, 7)))
    load(400, 5)  # twenty times as many open, the same number newly due
    large = statements_of(app, lambda: run(app, at(TUESDAY, 7, 30)))
    assert small == large, (small, large)
    quiet = statements_of(app, lambda: run(app, at(TUESDAY, 7, 45)))  # nothing new
    assert small > quiet  # the batch was planned: its recipients read, its messages written
    assert db.scalar(select(func.count(Reminder.id))) == 10


# --- two schedulers at once -------------------------------------------------------------------------

def test_two_ticks_at_once_send_every_message_exactly_once(tmp_path, robot, mail_server) -> None:  # type: ignore[no-untyped-def]
    """Two schedulers tick at the same moment on their own sessions and connections; every
    message is written once and delivered once (SKIP LOCKED on PostgreSQL, BEGIN IMMEDIATE on
    SQLite)."""
    from wagechannel import create_app
    from wagechannel.migrate import upgrade
    from wagechannel.places.models import BUREAU, LEGAL_AID
    from wagechannel.places.services import create_organisation, ensure_region
    from wagechannel.scheduler import remind

    with scratch_database(tmp_path) as url:
        upgrade(url)
        app = create_app(app_config(url, str(tmp_path / "instance")))
        try:
            with app.app_context():
                session = database.session()
                ensure_region(session, "440000", "广东省")
                ensure_region(session, "440305", "深圳市南山区")
                centre = create_organisation(session, kind=LEGAL_AID, name="南山区法律援助中心",
                                             region_codes=["440305"])
                bureau = create_organisation(session, kind=BUREAU, name="南山区人力资源局",
                                             region_codes=["440305"])
                users = {name: create_user(session, username=name, password=PASSWORD, role=role,
                                           organisation_id=org)
                         for name, role, org in (("staff", "legal_aid_staff", centre.id),
                                                 ("staff2", "legal_aid_staff", centre.id),
                                                 ("lawyer", "lawyer", centre.id),
                                                 ("liaison", "bureau_liaison", bureau.id),
                                                 ("admin", "admin", None))}
                record(session, seeding.BACKFILL_MARK, object_type="deadlines")
                for n in range(24):
                    case = Case(number=f"P-{n:03d}", legal_aid_org_id=centre.id,
                                bureau_org_id=bureau.id, region_code="440305", status="accepted",
                                lawyer_id=users["lawyer"].id if n % 2 else None, created_at=OLD)
                    session.add(case)
                    session.flush()
                    for rule, due in (("legal_aid_decision", date(2026, 11, 27)),
                                      ("mediation", TUESDAY), ("inspection_acceptance", FRIDAY),
                                      ("arbitration_limitation", date(2027, 9, 1))):
                        add_deadline(session, case, rule, due)
                session.commit()
                app.config.update(
                    WEBHOOKS=json.dumps({str(centre.id): {"wecom": robot.url("/w?key=1")},
                                         str(bureau.id): {"dingtalk": robot.url("/d?t=1")}}),
                    REMINDER_EMAILS="lawyer=lawyer@wc.test,liaison=liaison@wc.test",
                    SMTP_HOST="127.0.0.1", SMTP_PORT=mail_server.port,
                    SMTP_FROM="reminders@wc.test", SUPERVISORS="admin")
                database.session.remove()

            start = threading.Barrier(2)
            results: list[TickResult] = []
            errors: list[BaseException] = []

            def scheduler_process() -> None:
                try:
                    start.wait(10)
                    results.append(remind(app, now=at(TUESDAY, 9)))
                except BaseException as error:  # noqa: BLE001  (reported below)
                    errors.append(error)

            threads = [threading.Thread(target=scheduler_process) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(120)
            assert not errors, errors
            assert len(results) == 2
            with app.app_context():
                session = database.session()
                rows = list(session.scalars(select(Reminder)))
                by_channel = Counter(row.channel for row in rows)
                # 24 decisions overdue (staff ×2 + supervisor), 24 due today (lawyer or
                # staff ×2), 24 bureau items before-1... every one written once
                assert sum(result.written + result.digests + result.weekly
                           for result in results) == len(rows)
                assert by_channel["email"] >= 24 and by_channel["wecom"] >= 24
                assert all(row.status == "sent" for row in rows), Counter(r.status for r in rows)
                sent = [row for row in rows if row.channel in ("wecom", "dingtalk")]
                bodies = Counter(got["json"]["markdown"].get("content")
                                 or got["json"]["markdown"]["text"] for got in robot.received)
                assert len(robot.received) == len(sent)
                assert max(bodies.values()) == 1  # no message twice
                assert len(mail_server.messages) == by_channel["email"]
                assert sum(result.delivery.sent for result in results) == len(rows) - \
                    by_channel["inapp"]
                database.session.remove()
        finally:
            with app.app_context():
                database.engine.dispose()
