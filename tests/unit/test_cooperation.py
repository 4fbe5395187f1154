"""Hometown cooperation (异地协作) and referral to the HR bureau, through the services."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from wagechannel.accounts.models import AuditEvent
from wagechannel.cases import cooperation, workflow
from wagechannel.cases.cooperation import (acceptance_due, can_view_shared, case_access,
                                           record_referral_step, refer_to_bureau, share_case,
                                           shared_with, unshare_case)
from wagechannel.deadlines.calendar import add_working_days as working_days_after
from wagechannel.cases.models import Alert, Case, Referral
from wagechannel.cases.routing import route_lead
from wagechannel.cases.workflow import WorkflowError
from wagechannel.intake.services import store_lead
from wagechannel.intake.validation import parse_lead
from wagechannel.places.models import LEGAL_AID
from wagechannel.places.services import create_organisation, ensure_region

TODAY = date(2026, 11, 30)


@pytest.fixture()
def new_case(db, world):  # type: ignore[no-untyped-def]
    def make(**fields: str) -> Case:
        data = parse_lead({"name": "张三", "phone": "13800138001", "consent": True,
                           "employment_status": "ended", "work_end": "2026-10-31", **fields},
                          today=TODAY)
        return route_lead(db, store_lead(db, data, board=world.board, channel="qr"), today=TODAY)
    return make


@pytest.fixture()
def henan_centre(db):  # type: ignore[no-untyped-def]
    ensure_region(db, "410000", "河南省")
    ensure_region(db, "411600", "周口市")
    return create_organisation(db, kind=LEGAL_AID, name="周口市法律援助中心",
                               region_codes=["411600"])


def events(db, case, prefix):  # type: ignore[no-untyped-def]
    return list(db.scalars(select(AuditEvent).where(
        AuditEvent.object_type == "case", AuditEvent.object_id == str(case.id),
        AuditEvent.action.startswith(prefix)).order_by(AuditEvent.id)))


# --- working days -------------------------------------------------------------------------

def test_five_working_days_skip_weekends_and_holidays_and_count_make_up_days() -> None:
    # Monday to the next Monday: the weekend does not count.
    assert working_days_after(date(2026, 11, 30), 5) == (date(2026, 12, 7), False)
    # Across National Day 2026 (1–7 October off, Saturday 10 October a make-up working day):
    # 8, 9, 10, 12, 13 October.
    assert working_days_after(date(2026, 9, 30), 5) == (date(2026, 10, 13), False)
    # A year the State Council has not published is provisional.
    assert working_days_after(date(2027, 3, 1), 5)[1] is True


# --- hometown cooperation ---------------------------------------------------------------------

def test_sharing_opens_a_masked_read_only_view_and_unsharing_closes_it(db, world, new_case) -> None:  # type: ignore[no-untyped-def]
    case = new_case()
    staff, hometown = world.users["legal_aid_staff"], world.other_users["legal_aid_staff"]
    assert case_access(db, hometown, case) is None and not can_view_shared(hometown, case)

    share_case(db, case, staff, organisation_id=str(world.other_centre.id), ip="10.0.0.1")
    access = case_access(db, hometown, case, ip="10.0.0.2")
    assert access is not None and access.shared and not access.full
    assert [e.action for e in events(db, case, "view_shared")] == ["view_shared_case"]
    # Everything that acts or shows personal data still says no.
    assert not cooperation.can_view_case(hometown, case)
    assert workflow.allowed_actions(hometown, case) == []
    # The centre's own staff see it in full, and it is not a shared view for them.
    own = case_access(db, staff, case)
    assert own is not None and own.full and not own.shared
    # The hometown centre's lawyer and the other county's liaison see nothing.
    assert case_access(db, world.other_users["lawyer"], case) is None
    assert case_access(db, world.other_users["bureau_liaison"], case) is None

    unshare_case(db, case, staff, organisation_id=world.other_centre.id)
    assert case_access(db, hometown, case) is None
    actions = [e.action for e in events(db, case, "case_")]
    assert actions == ["case_share", "case_unshare"]
    assert events(db, case, "case_share")[0].detail["organisation_id"] == world.other_centre.id


def test_only_the_cases_centre_shares_and_only_with_another_legal_aid_centre(db, world, new_case) -> None:  # type: ignore[no-untyped-def]
    case = new_case()
    staff = world.users["legal_aid_staff"]
    for who in (world.users["lawyer"], world.users["bureau_liaison"],
                world.other_users["legal_aid_staff"], world.users["contractor"]):
        with pytest.raises(WorkflowError):
            share_case(db, case, who, organisation_id=world.other_centre.id)
    for target in (world.centre.id, world.other_bureau.id, "x", None, 999999, "-1",
                   "99999999999999999999", " ", "１", True):
        with pytest.raises(WorkflowError) as refused:
            share_case(db, case, staff, organisation_id=target)
        assert refused.value.field == "organisation_id"
    share_case(db, case, staff, organisation_id=world.other_centre.id)
    with pytest.raises(WorkflowError, match="已经共享"):
        share_case(db, case, staff, organisation_id=world.other_centre.id)
    with pytest.raises(WorkflowError):
        unshare_case(db, case, staff, organisation_id=world.centre.id)
    # An administrator may share and unshare too.
    unshare_case(db, case, world.users["admin"], organisation_id=world.other_centre.id)
    assert share_case(db, case, world.users["admin"], organisation_id=world.other_centre.id
                      ).shared_by_id == world.users["admin"].id


def test_the_shared_list_holds_only_the_users_centres_shares(db, world, new_case, henan_centre) -> None:  # type: ignore[no-untyped-def]
    staff = world.users["legal_aid_staff"]
    to_other, to_henan, unshared = new_case(), new_case(), new_case()
    share_case(db, to_other, staff, organisation_id=world.other_centre.id)
    share_case(db, to_henan, staff, organisation_id=henan_centre.id)
    seen = [share.case_id for share in db.scalars(shared_with(world.other_users["legal_aid_staff"]))]
    assert seen == [to_other.id]
    assert list(db.scalars(shared_with(staff))) == []  # its own centre shared, nothing to it
    assert list(db.scalars(shared_with(world.other_users["lawyer"]))) == []
    assert {share.case_id for share in db.scalars(shared_with(world.users["admin"]))} == \
        {to_other.id, to_henan.id}
    assert unshared.id not in {share.case_id for share in db.scalars(shared_with(world.users["admin"]))}


def test_the_centre_of_the_workers_hometown_is_suggested_first(db, world, new_case, henan_centre) -> None:  # type: ignore[no-untyped-def]
    case = new_case(hometown="河南省周口市郸城县")
    view = cooperation.case_cooperation(db, world.users["legal_aid_staff"], case, TODAY)
    assert view.hometowns == ["河南省周口市郸城县"]
    assert [(centre.name, hint) for centre, hint in view.targets] == \
        [("周口市法律援助中心", True), (world.other_centre.name, False)]
    share_case(db, case, world.users["legal_aid_staff"], organisation_id=henan_centre.id)
    view = cooperation.case_cooperation(db, world.users["legal_aid_staff"], case, TODAY)
    assert [centre.name for centre, _hint in view.targets] == [world.other_centre.name]
    shared_view = cooperation.case_cooperation(db, world.other_users["legal_aid_staff"], case, TODAY)
    assert shared_view.read_only and not shared_view.may_share and not shared_view.may_refer


# --- referral to the HR bureau -------------------------------------------------------------

def test_a_referral_needs_the_workers_consent(db, world, new_case) -> None:  # type: ignore[no-untyped-def]
    case = new_case()
    for note in ("", "   ", None, 12, "字" * 2001):
        with pytest.raises(WorkflowError) as refused:
            refer_to_bureau(db, case, world.users["legal_aid_staff"], consent_note=note)
        assert refused.value.field == "consent_note"
    assert db.scalars(select(Referral)).all() == []


def test_a_referral_alerts_the_bureau_keeps_the_case_state_and_is_audited(db, world, new_case) -> None:  # type: ignore[no-untyped-def]
    case = new_case()
    workflow.accept(db, case, world.users["legal_aid_staff"], today=TODAY)
    referral = refer_to_bureau(db, case, world.users["legal_aid_staff"],
                               consent_note="12月1日电话确认，工人同意转人社部门", ip="10.0.0.1")
    assert case.status == "accepted" and case.legal_aid_org_id == world.centre.id
    assert referral.bureau_org_id == world.bureau.id and referral.status == "referred"
    alert = db.scalar(select(Alert).where(Alert.case_id == case.id, Alert.kind == "referral"))
    assert alert is not None and alert.organisation_id == world.bureau.id
    due, _provisional = acceptance_due(referral)
    assert due.isoformat() in alert.message and case.number in alert.message
    assert "张" not in alert.message  # no worker's name in an alert
    [event] = events(db, case, "case_refer_to_bureau")
    assert event.actor_id == world.users["legal_aid_staff"].id and event.ip == "10.0.0.1"
    assert event.detail["referral_id"] == referral.id
    assert event.detail["status_from"] == event.detail["status_to"] == "accepted"
    with pytest.raises(WorkflowError, match="重复"):
        refer_to_bureau(db, case, world.users["legal_aid_staff"], consent_note="再次同意")


def test_who_may_refer(db, world, new_case) -> None:  # type: ignore[no-untyped-def]
    case = new_case()
    for who in (world.users["bureau_liaison"], world.users["lawyer"],  # not yet assigned
                world.other_users["legal_aid_staff"], world.users["contractor"]):
        with pytest.raises(WorkflowError, match="不能"):
            refer_to_bureau(db, case, who, consent_note="工人同意")
    staff = world.users["legal_aid_staff"]
    workflow.accept(db, case, staff, today=TODAY)
    workflow.grant(db, case, staff, basis="exempt_42_3", proof="务工证明", today=TODAY)
    workflow.assign(db, case, staff, lawyer=world.users["lawyer"])
    assert refer_to_bureau(db, case, world.users["lawyer"], consent_note="工人当面同意").id
    assert case.status == "assigned"


def test_no_referral_of_a_closed_case_or_without_a_bureau(db, world, new_case) -> None:  # type: ignore[no-untyped-def]
    staff = world.users["legal_aid_staff"]
    case = new_case()
    workflow.accept(db, case, staff, today=TODAY)
    workflow.grant(db, case, staff, basis="exempt_42_3", proof="务工证明", today=TODAY)
    workflow.close(db, case, staff, outcome="withdrawn", amount_recovered="")
    with pytest.raises(WorkflowError, match="结案"):
        refer_to_bureau(db, case, staff, consent_note="工人同意")
    orphan = new_case()
    orphan.bureau_org_id = None
    with pytest.raises(WorkflowError, match="人社部门"):
        refer_to_bureau(db, orphan, staff, consent_note="工人同意")


def test_the_liaison_records_each_step_with_its_date(db, world, new_case) -> None:  # type: ignore[no-untyped-def]
    case = new_case()
    referral = refer_to_bureau(db, case, world.users["legal_aid_staff"], consent_note="同意")
    liaison = world.users["bureau_liaison"]
    today = cooperation.local_today()
    # Not the order before acceptance, nor a result.
    for step in ("order", "resolve"):
        with pytest.raises(WorkflowError, match="不能记录"):
            record_referral_step(db, referral, liaison, step=step, on=today, note="x", today=today)
    for bad, message in (("", "请填写日期"), ("2026-13-01", "格式不对"),
                         ((today + timedelta(days=1)).isoformat(), "晚于今天"),
                         ((today - timedelta(days=1)).isoformat(), "早于")):
        with pytest.raises(WorkflowError, match=message) as refused:
            record_referral_step(db, referral, liaison, step="accept", on=bad, today=today)
        assert refused.value.field == "on"
    record_referral_step(db, referral, liaison, step="accept", on=today.isoformat(), today=today)
    assert referral.status == "accepted" and referral.accepted_on == today
    record_referral_step(db, referral, liaison, step="order", on=today, today=today)
    assert referral.status == "ordered" and referral.ordered_on == today
    with pytest.raises(WorkflowError) as refused:
        record_referral_step(db, referral, liaison, step="resolve", on=today, today=today)
    assert refused.value.field == "note"
    record_referral_step(db, referral, liaison, step="resolve", on=today, today=today,
                         note="用人单位已按责令支付全部工资")
    assert referral.status == "resolved" and referral.result_note == "用人单位已按责令支付全部工资"
    assert [e.action for e in events(db, case, "case_referral_")] == [
        "case_referral_accept", "case_referral_order", "case_referral_resolve"]
    assert events(db, case, "case_referral_accept")[0].detail["within_limit"] is True
    assert case.status == "pending"  # the legal-aid case is untouched
    # Finished: a new referral may follow.
    assert refer_to_bureau(db, case, world.users["legal_aid_staff"], consent_note="再次同意").id


def test_a_refusal_needs_its_reason_and_another_bureau_cannot_answer(db, world, new_case) -> None:  # type: ignore[no-untyped-def]
    case = new_case()
    referral = refer_to_bureau(db, case, world.users["legal_aid_staff"], consent_note="同意")
    today = cooperation.local_today()
    for who in (world.other_users["bureau_liaison"], world.users["legal_aid_staff"],
                world.users["lawyer"], world.users["contractor"]):
        with pytest.raises(WorkflowError, match="不能"):
            record_referral_step(db, referral, who, step="accept", on=today, today=today)
    with pytest.raises(WorkflowError) as refused:
        record_referral_step(db, referral, world.users["bureau_liaison"], step="decline",
                             on=today, today=today, note="  ")
    assert refused.value.field == "note"
    record_referral_step(db, referral, world.users["bureau_liaison"], step="decline", on=today,
                         today=today, note="不属于本部门管辖")
    assert referral.status == "declined" and referral.result_note == "不属于本部门管辖"
    assert [e.action for e in events(db, case, "case_referral_")] == ["case_referral_decline"]


def test_a_referral_runs_the_bureaus_clocks(db, world) -> None:  # type: ignore[no-untyped-def]
    """Referral opens the 5 working days to accept; acceptance meets them and opens the 60 of
    the investigation; the result meets those (deadline records the reminders follow)."""
    from wagechannel.deadlines.records import case_deadlines
    data = parse_lead({"name": "张三", "consent": True}, today=TODAY)
    case = route_lead(db, store_lead(db, data, board=world.board, channel="qr"), today=TODAY)
    referral = refer_to_bureau(db, case, world.users["legal_aid_staff"], consent_note="电话同意")
    opened = {(d.rule, d.status) for d in case_deadlines(db, case.id)}
    assert ("inspection_acceptance", "open") in opened
    record_referral_step(db, referral, world.users["bureau_liaison"], step="accept",
                         on=referral.referred_at.date(), today=referral.referred_at.date())
    found = {(d.rule, d.status) for d in case_deadlines(db, case.id)}
    assert {("inspection_acceptance", "met"), ("inspection_investigation", "open")} <= found
