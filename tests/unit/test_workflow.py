"""The case workflow: every allowed move, a refusal of every illegal one, each in the audit log."""
from datetime import date

import pytest
from sqlalchemy import select

from wagechannel.accounts.models import AuditEvent
from wagechannel.accounts.services import create_user
from wagechannel.cases import workflow
from wagechannel.cases.models import Case
from wagechannel.cases.routing import route_lead
from wagechannel.cases.workflow import TRANSITIONS, WorkflowError
from wagechannel.intake.services import store_lead
from wagechannel.intake.validation import parse_lead

TODAY = date(2026, 11, 30)


@pytest.fixture()
def new_case(db, world):  # type: ignore[no-untyped-def]
    def make() -> Case:
        data = parse_lead({"name": "张三", "phone": "13800138001", "consent": True,
                           "employment_status": "ended", "work_end": "2026-10-31"}, today=TODAY)
        return route_lead(db, store_lead(db, data, board=world.board, channel="qr"), today=TODAY)
    return make


def staff(world):  # type: ignore[no-untyped-def]
    return world.users["legal_aid_staff"]


def lawyer(world):  # type: ignore[no-untyped-def]
    return world.users["lawyer"]


def another_lawyer(db, world):  # type: ignore[no-untyped-def]
    from wagechannel.accounts.models import User
    return db.scalar(select(User).where(User.username == "lawyer2")) or create_user(
        db, username="lawyer2", password="correct-horse-9", role="lawyer",
        organisation_id=world.centre.id)


def run(db, world, case, action):  # type: ignore[no-untyped-def]
    """Each action with valid arguments, as the staff member of the centre."""
    who = staff(world)
    arguments = {
        "accept": {"today": TODAY},
        "request_materials": {"items": ["工资欠条原件", "身份证复印件"]},
        "receive_materials": {},
        "grant": {"basis": "exempt_42_3", "proof": "项目部出具的务工证明", "today": TODAY,
                  "aid_before_review": case.status == "pending", "days_left": 3},
        "refuse": {"reason": "不属于劳动报酬争议", "referral": "请向12348咨询民事纠纷"},
        "assign": {"lawyer": lawyer(world) if case.lawyer_id != lawyer(world).id
                   else another_lawyer(db, world)},
        "start_route": {"kind": "arbitration"},
        "record_date": {"route_id": case.routes[-1].id if case.routes else 0,
                        "field": "filed_on", "day": TODAY, "today": TODAY},
        "close": {"outcome": "recovered", "amount_recovered": "8500", "paid_by": "general_contractor"},
        "reopen": {"reason": "用人单位未按调解书支付"},
    }[action]
    return workflow.ACTIONS[action](db, case, who, **arguments)


def advance(db, world, case, state):  # type: ignore[no-untyped-def]
    path = {"pending": [], "accepted": ["accept"], "decided": ["accept", "grant"],
            "refused": ["accept", "refuse"], "assigned": ["accept", "grant", "assign"],
            "in_progress": ["accept", "grant", "assign", "start_route"],
            "closed": ["accept", "grant", "assign", "start_route", "close"]}[state]
    for action in path:
        run(db, world, case, action)
    assert case.status == state
    return case


STATES = ("pending", "accepted", "decided", "refused", "assigned", "in_progress", "closed")


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_every_action_from_every_state(db, world, new_case, state, action) -> None:  # type: ignore[no-untyped-def]
    case = advance(db, world, new_case(), state)
    step = TRANSITIONS[action]
    if action == "receive_materials" and state == "accepted":
        run(db, world, case, "request_materials")
    if action == "record_date" and state == "in_progress":
        pass  # the route started on the way here
    if state in step.sources:
        before = db.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
        run(db, world, case, action)
        if step.target:  # a reassignment leaves work under way where it is
            kept = action == "assign" and state == "in_progress"
            assert case.status == ("in_progress" if kept else step.target)
        event = db.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
        assert event.id != before and event.action == f"case_{action}"
        assert event.object_id == str(case.id) and event.actor_id == staff(world).id
    else:
        with pytest.raises(WorkflowError, match="不能"):
            run(db, world, case, action)
        assert case.status == state


def test_grant_with_each_hardship_basis(db, world, new_case) -> None:  # type: ignore[no-untyped-def]
    exempt = advance(db, world, new_case(), "accepted")
    workflow.grant(db, exempt, staff(world), basis="exempt_42_3", proof="务工证明", today=TODAY)
    assert exempt.hardship_basis == "exempt_42_3" and exempt.hardship_proof == "务工证明"
    committed = advance(db, world, new_case(), "accepted")
    workflow.grant(db, committed, staff(world), basis="commitment_41", today=TODAY)
    assert committed.hardship_basis == "commitment_41" and committed.status == "decided"
    unproven = advance(db, world, new_case(), "accepted")
    with pytest.raises(WorkflowError, match="证明材料"):
        workflow.grant(db, unproven, staff(world), basis="exempt_42_3", today=TODAY)


def test_aid_before_review_only_inside_seven_days(db, world, new_case) -> None:  # type: ignore[no-untyped-def]
    case = new_case()
    with pytest.raises(WorkflowError, match="7天以上"):
        workflow.grant(db, case, staff(world), basis="commitment_41", aid_before_review=True,
                       days_left=20, today=TODAY)
    with pytest.raises(WorkflowError, match="先受理"):
        workflow.grant(db, case, staff(world), basis="commitment_41", today=TODAY)
    workflow.grant(db, case, staff(world), basis="commitment_41", aid_before_review=True,
                   days_left=4, today=TODAY)
    assert case.status == "decided" and case.aid_before_review and case.application_date == TODAY


def test_materials_are_asked_for_once_and_hold_the_decision(db, world, new_case) -> None:  # type: ignore[no-untyped-def]
    case = advance(db, world, new_case(), "accepted")
    with pytest.raises(WorkflowError, match="每一项"):
        workflow.request_materials(db, case, staff(world), items=["  "])
    workflow.request_materials(db, case, staff(world), items=["欠条", "考勤记录"])
    assert case.materials_requested == ["欠条", "考勤记录"]
    with pytest.raises(WorkflowError, match="一次性"):
        workflow.request_materials(db, case, staff(world), items=["别的"])
    with pytest.raises(WorkflowError, match="补充材料"):
        workflow.grant(db, case, staff(world), basis="commitment_41", today=TODAY)
    workflow.receive_materials(db, case, staff(world))
    workflow.grant(db, case, staff(world), basis="commitment_41", today=TODAY)


def test_a_refusal_needs_reason_and_referral(db, world, new_case) -> None:  # type: ignore[no-untyped-def]
    case = advance(db, world, new_case(), "accepted")
    with pytest.raises(WorkflowError, match="理由"):
        workflow.refuse(db, case, staff(world), reason="", referral="12348")
    with pytest.raises(WorkflowError, match="去哪里"):
        workflow.refuse(db, case, staff(world), reason="不属于劳动争议", referral=" ")
    workflow.refuse(db, case, staff(world), reason="不属于劳动争议", referral="拨打12348")
    assert case.status == "refused" and case.refusal_referral == "拨打12348"


def test_reassignment_keeps_the_history(db, world, new_case) -> None:  # type: ignore[no-untyped-def]
    case = advance(db, world, new_case(), "in_progress")
    second = another_lawyer(db, world)
    workflow.assign(db, case, staff(world), lawyer=second)
    assert case.status == "in_progress" and case.lawyer_id == second.id
    history = [(a.lawyer_id, a.ended_at is None) for a in case.assignments]
    assert history == [(lawyer(world).id, False), (second.id, True)]
    other = world.other_users["lawyer"]
    with pytest.raises(WorkflowError, match="本中心"):
        workflow.assign(db, case, staff(world), lawyer=other)


def test_who_may_act(db, world, new_case) -> None:  # type: ignore[no-untyped-def]
    case = advance(db, world, new_case(), "assigned")
    assert "start_route" in workflow.allowed_actions(lawyer(world), case)
    assert "assign" not in workflow.allowed_actions(lawyer(world), case)
    with pytest.raises(WorkflowError, match="不能对这个案件"):
        workflow.assign(db, case, lawyer(world), lawyer=lawyer(world))
    for outsider in (world.other_users["legal_aid_staff"], world.users["bureau_liaison"],
                     world.users["contractor"], world.other_users["lawyer"]):
        assert workflow.allowed_actions(outsider, case) == []
        with pytest.raises(WorkflowError):
            workflow.start_route(db, case, outsider, kind="arbitration")
    assert "start_route" in workflow.allowed_actions(world.users["admin"], case)


def test_closing_records_the_outcome_per_claimant(db, world, new_case) -> None:  # type: ignore[no-untyped-def]
    case = advance(db, world, new_case(), "in_progress")
    with pytest.raises(WorkflowError, match="金额"):
        workflow.close(db, case, staff(world), outcome="recovered", amount_recovered="",
                       paid_by="employer")
    claimant = case.claimants[0]
    workflow.close(db, case, lawyer(world), outcome="partial", amount_recovered="6000",
                   paid_by="wage_deposit", per_claimant={claimant.id: ("partial", "6000")})
    assert (case.status, case.amount_recovered_fen, case.paid_by) == ("closed", 600000, "wage_deposit")
    assert claimant.amount_recovered_fen == 600000 and case.closed_at is not None
    workflow.reopen(db, case, staff(world), reason="对方未履行")
    assert case.status == "in_progress" and case.closed_at is None
