"""Collective cases: reports about the same boss at the same site join one case within the
window; 10 and 30 workers; merging and splitting keep each worker's own data."""
from __future__ import annotations

import threading
import time
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from wagechannel.accounts.models import AuditEvent
from wagechannel.boards.services import issue_board
from wagechannel.cases.collective import RegroupError, employer_key, merge_cases, split_claimant
from wagechannel.cases.models import Case, CaseContact, Claimant
from wagechannel.cases.workflow import accept, grant
from wagechannel.db import utcnow
from wagechannel.deadlines import seeding
from wagechannel.deadlines.models import Deadline
from wagechannel.intake.models import Lead, LeadMessage
from wagechannel.intake.services import Site, store_report
from wagechannel.intake.validation import parse_lead
from wagechannel.places.services import create_project

TODAY = date(2026, 11, 28)
_phones = iter(range(10_000, 99_999))


def report(db, world, *, project=None, board=None, **fields: Any) -> Lead:  # type: ignore[no-untyped-def]
    """A worker's report through the report path (one transaction, committed)."""
    project = project or world.project
    board = board or world.board
    values = {"name": "张三", "phone": f"138000{next(_phones):05d}", "consent": True,
              "employment_status": "ended", "work_end": "2026-10-31", **fields}
    data = parse_lead(values, today=TODAY)
    receipt = store_report(db, data, site=Site(board.id, project.id, project.region_code),
                           channel="qr", today=TODAY)
    return db.get_one(Lead, receipt.lead_id)


def case_of(db, lead: Lead) -> Case:  # type: ignore[no-untyped-def]
    return db.scalars(select(Case).where(Case.id == lead.case_id)
                      .execution_options(populate_existing=True)).one()


def cases_count(db) -> int:  # type: ignore[no-untyped-def]
    return int(db.scalar(select(func.count(Case.id))))


@pytest.mark.parametrize("first,second", [
    ("王老板", "王 老板（木工班）"), ("王老板", "王总"), ("老王", "王老板"),
    ("深圳市示范劳务有限公司", "深圳市示范劳务公司"), ("ＡＢＣ劳务公司", "abc劳务"),
])
def test_the_same_boss_written_differently_is_one_key(first, second) -> None:  # type: ignore[no-untyped-def]
    assert employer_key(first) == employer_key(second) is not None


def test_keys_tell_bosses_apart_and_fall_back_to_the_phone() -> None:
    assert employer_key("王老板") != employer_key("李老板")
    assert employer_key(None, "0755-2666-1234") == "tel:075526661234"
    assert employer_key("（）", "13912345678") == "tel:13912345678"
    assert employer_key(None, None) is None


def test_reports_naming_the_same_boss_join_one_case(db, world) -> None:  # type: ignore[no-untyped-def]
    first = report(db, world, employer_name="王老板", amount_owed="8000")
    second = report(db, world, name="李四", employer_name="王 老板（木工班）", amount_owed="12000")
    assert second.case_id == first.case_id
    case = case_of(db, first)
    assert [(c.name, c.amount_owed_fen, c.lead_id) for c in case.claimants] == \
        [("张三", 800_000, first.id), ("李四", 1_200_000, second.id)]
    assert case.worker_count == 2 and case.collective_level is None
    other = report(db, world, employer_name="李老板")
    assert other.case_id != first.case_id


def test_the_boss_phone_joins_reports_with_different_names(db, world) -> None:  # type: ignore[no-untyped-def]
    first = report(db, world, employer_name="王老板", employer_phone="0755-26661234")
    second = report(db, world, employer_name="老王头", employer_phone="075526661234")
    third = report(db, world, employer_phone="0755-26661234")  # no name at all
    assert first.case_id == second.case_id == third.case_id


def test_reports_outside_the_window_open_a_new_case(db, world, app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    first = report(db, world, employer_name="王老板")
    db.execute(update(Case).where(Case.id == first.case_id)
               .values(created_at=utcnow() - timedelta(days=31)))
    db.commit()
    late = report(db, world, employer_name="王老板")
    assert late.case_id != first.case_id  # 31 days: past the default 30
    monkeypatch.setitem(app.config, "COLLECTIVE_WINDOW_DAYS", 45)
    later = report(db, world, employer_name="王老板")
    assert later.case_id == first.case_id  # the earliest open case within 45 days


def test_another_project_or_a_closed_case_is_never_joined(db, world) -> None:  # type: ignore[no-untyped-def]
    site = create_project(db, contractor=world.contractor, region_code="440305",
                          name="南山区二号工地", address="南山区测试路2号")
    board = issue_board(db, site)
    db.commit()
    first = report(db, world, employer_name="王老板")
    elsewhere = report(db, world, project=site, board=board, employer_name="王老板")
    assert elsewhere.case_id != first.case_id
    case = case_of(db, first)
    case.status = "closed"
    db.commit()
    assert report(db, world, employer_name="王老板").case_id not in (first.case_id,
                                                                   elsewhere.case_id)
    county = report(db, world, project=world.other_project, board=world.other_board,
                    employer_name="王老板")
    assert case_of(db, county).legal_aid_org_id == world.other_centre.id


def test_ten_workers_make_a_collective_case_and_thirty_a_major_one(db, world) -> None:  # type: ignore[no-untyped-def]
    leads = [report(db, world, employer_name="王老板") for _ in range(9)]
    case = case_of(db, leads[0])
    assert case.worker_count == 9 and case.collective_level is None
    leads.append(report(db, world, employer_name="王老板"))
    case = case_of(db, leads[0])
    assert (case.worker_count, case.collective_level, case.tier) == (10, "collective", "priority")
    assert "10人被欠薪，群体性案件" in case.priority_reasons
    report(db, world, employer_name="王老板", workers_affected="30")
    case = case_of(db, leads[0])
    assert (case.worker_count, case.collective_level, case.tier) == (30, "major", "urgent")
    assert len(case.claimants) == 11


def test_a_crew_reporting_one_by_one_is_counted_once(db, world) -> None:  # type: ignore[no-untyped-def]
    """Each of twelve workers says "12 of us": the case stands for 12, not 144."""
    leads = [report(db, world, employer_name="王老板", workers_affected="12") for _ in range(12)]
    assert case_of(db, leads[0]).worker_count == 12
    again = report(db, world, employer_name="王老板", phone=leads[0].phone)  # the same worker
    assert again.case_id == leads[0].case_id and case_of(db, again).worker_count == 12


def test_a_joined_report_recomputes_priority_from_all_reports(db, world) -> None:  # type: ignore[no-untyped-def]
    calm = report(db, world, employer_name="王老板", employment_status="working", work_end=None)
    assert case_of(db, calm).tier == "routine"
    report(db, world, employer_name="王老板", urgent=["conflict"])
    case = case_of(db, calm)
    assert case.tier == "urgent" and case.priority_reasons[0] == "发生冲突或受到威胁"
    assert case.limitation_end == date(2027, 11, 1)  # the joined report's limit (10-31 + 1 year)


def test_routing_a_stored_lead_later_joins_the_open_case(db, world) -> None:  # type: ignore[no-untyped-def]
    from wagechannel.cases.routing import route_lead
    from wagechannel.intake.services import store_lead
    first = report(db, world, employer_name="王老板")
    data = parse_lead({"name": "王五", "phone": "13700001111", "consent": True,
                       "employer_name": "王老板"}, today=TODAY)
    stored = store_lead(db, data, board=world.board, channel="qr")
    case = route_lead(db, stored, today=TODAY)
    assert case.id == first.case_id and len(case.claimants) == 2 and case.worker_count == 2


# --- merge and split -------------------------------------------------------------------------

def _two_cases(db, world):  # type: ignore[no-untyped-def]
    a = report(db, world, name="张三", employer_name="王老板", amount_owed="8000")
    b = report(db, world, name="李四", employer_name="李老板", amount_owed="6000",
               id_number="11010519491231002X", id_consent="1")
    db.add(LeadMessage(lead_id=b.id, direction="from_worker", body="我是李四，什么时候能拿到钱？"))
    db.add(CaseContact(case_id=b.case_id, lead_id=b.id, channel="phone", note="打过电话"))
    db.commit()
    return case_of(db, a), case_of(db, b), a, b


def limit_of(db, lead: Lead, due: date = date(2027, 10, 31)) -> Deadline:  # type: ignore[no-untyped-def]
    """The worker's own time limit, as the reminders seed it from the report."""
    deadline = Deadline(case_id=lead.case_id, rule="arbitration_limitation",
                        trigger_date=date(2026, 10, 31), due_date=due, status="open",
                        source=seeding.lead_source(lead.id))
    db.add(deadline)
    db.flush()
    return deadline


def test_merging_moves_each_worker_with_their_own_data(db, world) -> None:  # type: ignore[no-untyped-def]
    target, source, a, b = _two_cases(db, world)
    staff = world.users["legal_aid_staff"]
    limits = limit_of(db, a), limit_of(db, b)
    own_step = Deadline(case_id=source.id, rule="first_contact", trigger_date=TODAY,
                        due_date=TODAY + timedelta(days=1), status="open", source="intake")
    db.add(own_step)
    db.commit()
    merged = merge_cases(db, target, f" {source.number.lower()} ", staff, today=TODAY)
    db.commit()
    for deadline in (*limits, own_step):
        db.refresh(deadline)
    # each worker's year goes with their report; the emptied case's own steps lapse
    assert [(d.case_id, d.status) for d in limits] == [(target.id, "open"), (target.id, "open")]
    assert (own_step.case_id, own_step.status) == (source.id, "cancelled")
    target = case_of(db, a)
    assert merged.id == source.id and merged.status == "closed" and merged.outcome == "merged"
    assert target.number in merged.outcome_note and merged.worker_count == 0
    by_name = {c.name: c for c in target.claimants}
    assert set(by_name) == {"张三", "李四"}
    assert by_name["李四"].amount_owed_fen == 600_000 and by_name["李四"].lead_id == b.id
    lead = db.get_one(Lead, b.id)
    assert lead.case_id == target.id and lead.id_number == "11010519491231002X"
    assert lead.consent_at is not None and lead.id_consent_at is not None
    assert [m.body for m in lead.messages] == ["我是李四，什么时候能拿到钱？"]
    assert db.scalar(select(CaseContact.case_id).where(CaseContact.lead_id == b.id)) == target.id
    assert target.worker_count == 2
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "case_merge")).all()
    assert {e.object_id for e in events} == {str(target.id), str(source.id)}
    assert all(e.actor_id == staff.id for e in events)


def test_a_merge_is_refused_in_chinese(db, world) -> None:  # type: ignore[no-untyped-def]
    target, source, _a, _b = _two_cases(db, world)
    staff = world.users["legal_aid_staff"]
    elsewhere = case_of(db, report(db, world, project=world.other_project,
                                   board=world.other_board, employer_name="王老板"))
    for number, message in [("", "请填写"), (target.number, "不能把案件并入它自己"),
                            (elsewhere.number, "本中心没有"), ("WC2026-NOSUCHNO", "本中心没有")]:
        with pytest.raises(RegroupError) as refused:
            merge_cases(db, target, number, staff, today=TODAY)
        assert message in refused.value.message and refused.value.field == "number"
    with pytest.raises(RegroupError, match="不能合并"):
        merge_cases(db, target, source.number, world.users["lawyer"], today=TODAY)
    source.status = "closed"
    db.flush()
    with pytest.raises(RegroupError, match="已结案"):
        merge_cases(db, target, source.number, staff, today=TODAY)


def test_splitting_moves_one_worker_with_their_own_data(db, world) -> None:  # type: ignore[no-untyped-def]
    first = report(db, world, name="张三", employer_name="王老板", amount_owed="8000")
    second = report(db, world, name="李四", employer_name="王老板", amount_owed="6000",
                    urgent=["no_money"])
    db.add(LeadMessage(lead_id=second.id, direction="to_worker", body="请带上欠条。"))
    case = case_of(db, first)
    db.add(CaseContact(case_id=case.id, lead_id=second.id, channel="phone", note="李四来电"))
    db.add(CaseContact(case_id=case.id, lead_id=first.id, channel="phone", note="张三来电"))
    staff = world.users["legal_aid_staff"]
    accept(db, case, staff, today=TODAY)
    grant(db, case, staff, basis="exempt_42_3", proof="工地考勤", today=TODAY)
    stays, goes = limit_of(db, first), limit_of(db, second, date(2027, 9, 30))
    db.commit()
    moved = next(c for c in case.claimants if c.lead_id == second.id)
    new = split_claimant(db, case, moved.id, staff, today=TODAY)
    db.commit()
    db.refresh(stays)
    db.refresh(goes)
    assert (stays.case_id, goes.case_id) == (case.id, new.id)  # the worker's own year moves
    case, new = case_of(db, first), case_of(db, db.get_one(Lead, second.id))
    assert [c.name for c in case.claimants] == ["张三"] and [c.name for c in new.claimants] == ["李四"]
    assert new.claimants[0].amount_owed_fen == 600_000 and new.leads[0].id == second.id
    assert [m.body for m in new.leads[0].messages] == ["请带上欠条。"]
    notes = dict(db.execute(select(CaseContact.note, CaseContact.case_id)).all())
    assert notes == {"李四来电": new.id, "张三来电": case.id}
    assert new.status == "decided" and new.hardship_basis == "exempt_42_3"  # the grant covers them
    assert new.legal_aid_org_id == case.legal_aid_org_id and new.employer_key is None
    assert "没钱吃饭或回家" in new.priority_reasons and "没钱吃饭或回家" not in case.priority_reasons
    assert case.worker_count == new.worker_count == 1
    splits = db.scalars(select(AuditEvent).where(AuditEvent.action == "case_split")).all()
    assert {e.object_id for e in splits} == {str(case.id), str(new.id)}
    # a later report about the same boss keeps joining the case the worker left
    assert report(db, world, employer_name="王老板").case_id == case.id
    with pytest.raises(RegroupError, match="只有这一名当事人"):
        split_claimant(db, new, new.claimants[0].id, staff, today=TODAY)


# --- two reports about one boss at the same moment (PostgreSQL) --------------------------------

@pytest.mark.parametrize("bosses", [
    ({"employer_name": "并发老板"}, {"employer_name": "并发 老板"}),
    ({"employer_name": "并发老板", "employer_phone": "0755-26661234"},
     {"employer_phone": "075526661234"}),  # one names the boss, the other gives only the phone
])
def test_two_reports_about_one_boss_at_once_open_one_case(app, monkeypatch, bosses) -> None:  # type: ignore[no-untyped-def]
    """Both look for the boss's case before either has committed: the advisory lock makes the
    second wait, and then find the first one's case."""
    from wagechannel.cases import collective
    from wagechannel.extensions import db as database
    from wagechannel.places.models import BUREAU, LEGAL_AID
    from wagechannel.places.services import (create_contractor, create_organisation,
                                             ensure_region)
    if not app.config["DATABASE_URL"].startswith("postgresql"):
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE; the lock is PostgreSQL's")
    with app.app_context():
        session = database.session()
        ensure_region(session, "460000", "海南省")
        ensure_region(session, "460105", "海口市秀英区")
        create_organisation(session, kind=LEGAL_AID, name="秀英区法律援助中心",
                            region_codes=["460105"])
        create_organisation(session, kind=BUREAU, name="秀英区人力资源局", region_codes=["460105"])
        contractor = create_contractor(session, name="并发测试建设有限公司")
        project = create_project(session, contractor=contractor, region_code="460105",
                                 name="并发测试工地", address="秀英区测试路1号")
        site = Site(None, project.id, "460105")
        session.commit()
        database.session.remove()

    found = collective.group_report

    def slow_group(*args: Any, **kwargs: Any) -> Any:
        grouping = found(*args, **kwargs)
        time.sleep(0.5)  # both have looked before either inserts
        return grouping

    monkeypatch.setattr(collective, "group_report", slow_group)
    monkeypatch.setattr("wagechannel.cases.routing.group_report", slow_group)
    start = threading.Barrier(2)
    receipts: list[Any] = []

    def worker(phone: str, boss: dict[str, str]) -> None:
        with app.app_context():
            data = parse_lead({"name": "工人", "phone": phone, "consent": True, **boss},
                              today=TODAY)
            start.wait()
            receipts.append(store_report(database.session(), data, site=site, channel="qr",
                                         today=TODAY))
            database.session.remove()

    threads = [threading.Thread(target=worker, args=(phone, boss))
               for phone, boss in zip(("13900000001", "13900000002"), bosses)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        with app.app_context():
            session = database.session()
            cases = session.scalars(select(Case).where(Case.project_id == project.id)).all()
            assert len(receipts) == 2 and all(r.status == "pending" for r in receipts)
            assert len(cases) == 1 and len(cases[0].claimants) == 2
            assert cases[0].worker_count == 2
    finally:
        with app.app_context():
            session = database.session()
            case_ids = select(Case.id).where(Case.project_id == project.id)
            for statement in (
                    Claimant.__table__.delete().where(Claimant.case_id.in_(case_ids)),
                    Lead.__table__.delete().where(Lead.project_id == project.id),
                    Case.__table__.delete().where(Case.project_id == project.id)):
                session.execute(statement)
            from sqlalchemy import text
            for sql in ("DELETE FROM project WHERE id = :p",
                        "DELETE FROM contractor WHERE id = :c",
                        "DELETE FROM organisation WHERE id IN (SELECT organisation_id FROM "
                        "organisation_region WHERE region_code = '460105')",
                        "DELETE FROM region WHERE code IN ('460105', '460000')"):
                session.execute(text(sql), {"p": project.id, "c": contractor.id})
            session.commit()
            database.session.remove()
