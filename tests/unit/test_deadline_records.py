"""Deadlines as records: opened by the workflow's events, settled by the events that meet them,
moved (and the move audited) when a trigger date is corrected."""
from datetime import date, timedelta

from sqlalchemy import select

from tests.unit.test_workflow import advance, new_case, run, staff  # noqa: F401  (fixtures)
from wagechannel.accounts.models import AuditEvent
from wagechannel.cases import workflow
from wagechannel.deadlines.models import Deadline
from wagechannel.deadlines.records import case_deadlines, nearest_open

TODAY = date(2026, 11, 30)


def states(db, case):  # type: ignore[no-untyped-def]
    return {(d.rule, d.status): d for d in case_deadlines(db, case.id)}


def test_the_legal_aid_clocks(db, world, new_case) -> None:  # type: ignore[no-untyped-def]
    case = advance(db, world, new_case(), "accepted")  # accepted on 2026-11-30 (Monday)
    decision = states(db, case)[("legal_aid_decision", "open")]
    assert decision.due_date == date(2026, 12, 7)
    run(db, world, case, "grant")
    found = states(db, case)
    assert ("legal_aid_decision", "met") in found
    assert found[("legal_aid_assignment", "open")].due_date == date(2026, 12, 3)
    run(db, world, case, "assign")
    assert ("legal_aid_assignment", "met") in states(db, case)


def test_waiting_for_materials_pauses_the_decision(db, world, new_case) -> None:  # type: ignore[no-untyped-def]
    from wagechannel.db import utcnow
    case = advance(db, world, new_case(), "accepted")
    workflow.request_materials(db, case, staff(world), items=["欠条"])
    case.materials_requested_at = utcnow() - timedelta(days=4)  # asked four days ago
    workflow.receive_materials(db, case, staff(world))
    assert states(db, case)[("legal_aid_decision", "open")].due_date == date(2026, 12, 11)


def test_route_dates_start_and_end_the_arbitration_clocks(db, world, new_case) -> None:  # type: ignore[no-untyped-def]
    case = advance(db, world, new_case(), "in_progress")  # an arbitration route
    route = case.routes[-1]
    workflow.record_date(db, case, staff(world), route_id=route.id, field="filed_on",
                         day=date(2026, 4, 30), today=TODAY)
    assert states(db, case)[("arbitration_acceptance", "open")].due_date == date(2026, 5, 6)
    workflow.record_date(db, case, staff(world), route_id=route.id, field="accepted_on",
                         day=date(2026, 5, 6), today=TODAY)
    found = states(db, case)
    assert ("arbitration_acceptance", "met") in found
    assert ("arbitration_award", "open") in found
    workflow.record_date(db, case, staff(world), route_id=route.id, field="decided_on",
                         day=date(2026, 6, 4), today=TODAY)
    found = states(db, case)
    assert ("arbitration_award", "met") in found
    assert found[("suit_after_award", "open")].due_date == date(2026, 6, 22)


def test_a_corrected_trigger_moves_its_deadline_and_says_who(db, world, new_case) -> None:  # type: ignore[no-untyped-def]
    case = advance(db, world, new_case(), "in_progress")
    route = case.routes[-1]
    workflow.record_date(db, case, staff(world), route_id=route.id, field="decided_on",
                         day=date(2026, 6, 4), today=TODAY)
    workflow.record_date(db, case, staff(world), route_id=route.id, field="decided_on",
                         day=date(2026, 6, 8), today=TODAY)
    suits = [d for d in case_deadlines(db, case.id) if d.rule == "suit_after_award"]
    assert len(suits) == 1 and suits[0].due_date == date(2026, 6, 23)
    moved = db.scalar(select(AuditEvent).where(AuditEvent.action == "deadline_moved"))
    assert moved.actor_id == staff(world).id
    assert (moved.detail["due_from"], moved.detail["due_to"]) == ("2026-06-22", "2026-06-23")


def test_closing_cancels_what_is_open_and_late_is_missed(db, world, new_case) -> None:  # type: ignore[no-untyped-def]
    case = advance(db, world, new_case(), "accepted")
    decision = states(db, case)[("legal_aid_decision", "open")]
    decision.due_date = date(2026, 11, 20)  # long past
    run(db, world, case, "grant")
    assert decision.status == "missed"
    run(db, world, case, "assign")
    run(db, world, case, "start_route")
    route = case.routes[-1]
    workflow.record_date(db, case, staff(world), route_id=route.id, field="filed_on",
                         day=TODAY, today=TODAY)
    assert nearest_open(db, [case.id])[case.id].rule == "arbitration_acceptance"
    run(db, world, case, "close")
    assert db.scalar(select(Deadline).where(Deadline.case_id == case.id,
                                            Deadline.status == "open")) is None
    assert nearest_open(db, [case.id]) == {}
