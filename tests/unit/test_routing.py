from datetime import date, timedelta

import pytest
from sqlalchemy import select

from wagechannel.cases.models import Case
from wagechannel.cases.routing import (RoutingFailed, route_after_commit, route_lead,
                                       unrouted_lead_ids)
from wagechannel.cases.services import priority_for
from wagechannel.deadlines.limits import arbitration_limit
from wagechannel.intake.models import Lead
from wagechannel.intake.services import store_lead
from wagechannel.intake.validation import parse_lead
from wagechannel.places.models import BUREAU, LEGAL_AID
from wagechannel.places.services import create_organisation, ensure_region, serving_organisation

TODAY = date(2026, 11, 28)


def limitation_end(work_end: date) -> date:
    limit = arbitration_limit(work_end=work_end, demanded_on=None)
    assert limit is not None
    return limit.last_day


def ended(work_end: date | None, **fields):  # type: ignore[no-untyped-def]
    values = {"workers_affected": 1, "wants": "consult", "amount_owed_fen": None, "urgent": [],
              "evidence": [], "employment_status": "ended" if work_end else "ended_unknown",
              "work_end": work_end, "work_end_precision": "day" if work_end else None, **fields}
    return Lead(**values)


def lead_input(**fields):  # type: ignore[no-untyped-def]
    return parse_lead({"name": "张三", "phone": "13800138001", "consent": True, **fields},
                      today=TODAY)


def test_the_most_specific_office_serves_a_region(db, world) -> None:  # type: ignore[no-untyped-def]
    city_centre = create_organisation(db, kind=LEGAL_AID, name="深圳市法律援助中心",
                                      region_codes=["440300"])
    assert serving_organisation(db, "440305", LEGAL_AID).id == world.centre.id
    ensure_region(db, "440306", "深圳市宝安区")
    assert serving_organisation(db, "440306", LEGAL_AID).id == city_centre.id
    assert serving_organisation(db, "440306", BUREAU) is None
    assert serving_organisation(db, "110105", LEGAL_AID) is None


def test_a_lead_becomes_a_case_in_the_centre_serving_the_site(db, world) -> None:  # type: ignore[no-untyped-def]
    lead = store_lead(db, lead_input(workers_affected="15"), board=world.other_board, channel="qr")
    case = route_lead(db, lead, today=TODAY)
    assert lead.status == "routed"
    assert case.legal_aid_org_id == world.other_centre.id
    assert case.bureau_org_id == world.other_bureau.id
    assert case.project_id == world.other_project.id
    assert case.status == "pending"
    assert [c.lead_id for c in case.claimants] == [lead.id]
    assert case.number.startswith("WC2026-")
    assert case.priority > 0 and any("群体性" in reason for reason in case.priority_reasons)
    assert route_lead(db, lead, today=TODAY).id == case.id  # routing twice opens one case


def test_a_failed_routing_keeps_the_lead_and_is_retried(db, world) -> None:  # type: ignore[no-untyped-def]
    ensure_region(db, "440307", "深圳市龙岗区")
    world.project.region_code = "440307"  # a county nobody serves yet
    lead = store_lead(db, lead_input(), board=world.board, channel="qr")
    db.commit()
    with pytest.raises(RoutingFailed):
        route_lead(db, lead, today=TODAY)
    db.rollback()
    assert route_after_commit(db, lead.id, today=TODAY) is False
    kept = db.get(Lead, lead.id)
    assert kept is not None and kept.status == "received" and "440307" in kept.routing_error
    assert lead.id not in unrouted_lead_ids(db)  # its own request may still be routing it
    assert lead.id in unrouted_lead_ids(db, min_age=timedelta(0))

    create_organisation(db, kind=LEGAL_AID, name="龙岗区法律援助中心", region_codes=["440307"])
    db.commit()
    assert route_after_commit(db, lead.id, today=TODAY) is True
    assert db.get(Lead, lead.id).status == "routed"
    assert db.scalar(select(Case).where(Case.id == db.get(Lead, lead.id).case_id)) is not None
    assert lead.id not in unrouted_lead_ids(db, min_age=timedelta(0))


def test_an_unexpected_routing_error_never_loses_the_lead(db, world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    lead = store_lead(db, lead_input(), board=world.board, channel="qr")
    db.commit()

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("database hiccup")

    monkeypatch.setattr("wagechannel.cases.routing.open_case", broken)
    assert route_after_commit(db, lead.id, today=TODAY) is False
    assert db.get(Lead, lead.id).routing_error == "database hiccup"
    monkeypatch.undo()
    assert route_after_commit(db, lead.id, today=TODAY) is True


@pytest.mark.parametrize("work_end,expected", [
    (date(2025, 12, 2), "可先行提供法律援助"),   # 4 days left: Legal Aid Law art. 44
    (date(2025, 12, 20), "申请劳动仲裁最后一天 2026-12-21，还剩23天"),  # 12-20 is a Sunday
    (date(2025, 11, 1), "时效重新计算，需尽快核实"),
])
def test_priority_names_the_limitation_period(world, db, work_end, expected) -> None:  # type: ignore[no-untyped-def]
    lead = ended(work_end)
    score, reasons = priority_for(lead, TODAY)
    assert any(expected in reason for reason in reasons), reasons
    assert score > 0


def test_priority_orders_urgent_above_ordinary() -> None:
    urgent = ended(date(2025, 12, 1), wants="legal_aid", amount_owed_fen=100_000)
    ordinary = Lead(employment_status="working", work_end=None, workers_affected=1,
                    wants="legal_aid", amount_owed_fen=100_000)
    assert priority_for(urgent, TODAY)[0] > priority_for(ordinary, TODAY)[0]
    assert priority_for(ordinary, TODAY)[1] == ["申请法律援助"]


def test_limitation_runs_one_year_from_the_end_of_work() -> None:
    assert limitation_end(date(2026, 3, 31)) == date(2027, 3, 31)
    assert limitation_end(date(2024, 2, 29)) == date(2025, 2, 28)


def test_urgent_situations_come_first() -> None:
    calm = Lead(work_end=None, workers_affected=1, wants="legal_aid", amount_owed_fen=None, urgent=[])
    threatened = Lead(work_end=None, workers_affected=1, wants="legal_aid", amount_owed_fen=None,
                      urgent=["conflict", "no_money"])
    score, reasons = priority_for(threatened, TODAY)
    assert score > priority_for(calm, TODAY)[0] + 100
    assert reasons[:2] == ["发生冲突或受到威胁", "没钱吃饭或回家"]


def test_a_limitation_ending_on_a_holiday_runs_to_the_next_working_day() -> None:
    # 2026-10-01 is National Day: the year from 2025-10-01 runs to the first working day after.
    assert limitation_end(date(2025, 10, 1)) == date(2026, 10, 8)
    lead = ended(date(2025, 10, 1))
    score, reasons = priority_for(lead, date(2026, 10, 2))
    assert any("可先行提供法律援助" in reason for reason in reasons), reasons
    assert limitation_end(date(2025, 11, 20)) == date(2026, 11, 20)  # a Friday stays


def test_unpublished_years_fall_back_to_weekends_provisionally() -> None:
    from wagechannel.deadlines.calendar import roll_to_working_day
    day, provisional = roll_to_working_day(date(2031, 3, 8))  # a Saturday, year unknown
    assert day == date(2031, 3, 10) and provisional


def test_priorities_are_refreshed_as_time_passes(db, world) -> None:  # type: ignore[no-untyped-def]
    from wagechannel.cases.services import refresh_priorities
    lead = store_lead(db, lead_input(work_end="2025-12-20"), board=world.board, channel="qr")
    case = route_lead(db, lead, today=date(2026, 10, 1))
    assert not any("时效" in reason for reason in case.priority_reasons)
    assert refresh_priorities(db, date(2026, 12, 15)) == (1, None)
    assert any("可先行提供法律援助" in reason for reason in case.priority_reasons)
    assert refresh_priorities(db, date(2026, 12, 15)) == (0, None)


def test_refreshing_touches_only_cases_whose_reasons_can_change(db, world) -> None:  # type: ignore[no-untyped-def]
    from wagechannel.cases.services import refresh_priorities
    far = route_lead(db, store_lead(db, lead_input(employment_status="ended",
                                                   work_end="2026-09-01"),
                                    board=world.board, channel="qr"), today=TODAY)
    near = [route_lead(db, store_lead(db, lead_input(employment_status="ended",
                                                     work_end="2025-12-20"),
                                      board=world.board, channel="qr"), today=TODAY)
            for _ in range(3)]
    far.priority = -1  # a stale value that a full sweep would "correct"
    db.flush()
    changed, after = refresh_priorities(db, date(2026, 12, 15), batch=2)
    assert (changed, after) == (2, near[1].id)  # a full batch: there may be more
    assert refresh_priorities(db, date(2026, 12, 15), after_id=after, batch=2) == (1, None)
    assert all("还剩6天" in " ".join(case.priority_reasons) for case in near)
    assert far.priority == -1  # nine months away: not even loaded


def test_a_limit_that_seems_past_stays_above_no_money_for_food() -> None:
    """A demand for pay restarts the year and the employer must raise the limit: review it soon."""
    hungry = Lead(employment_status="working", work_end=None, workers_affected=1, wants="consult",
                  amount_owed_fen=None, urgent=["no_money"], evidence=[])
    expired, reasons = priority_for(ended(date(2024, 6, 1)), TODAY)
    assert expired >= priority_for(hungry, TODAY)[0]
    assert any("时效重新计算" in reason for reason in reasons), reasons


def test_an_unknown_end_of_work_is_flagged_never_taken_for_still_working() -> None:
    score, reasons = priority_for(ended(None), TODAY)
    assert "离职时间不明，需尽快核实仲裁时效" in reasons
    assert score >= 60
    unasked = Lead(employment_status=None, work_end=None, workers_affected=1, wants="consult",
                   amount_owed_fen=None, urgent=[], evidence=[])
    assert "离职时间不明，需尽快核实仲裁时效" in priority_for(unasked, TODAY)[1]
    working = Lead(employment_status="working", work_end=None, workers_affected=1,
                   wants="consult", amount_owed_fen=None, urgent=[], evidence=[])
    assert priority_for(working, TODAY) == (0, [])


def test_an_award_gives_fifteen_days_to_sue() -> None:
    # Received 2026-11-20: 15 days run to 2026-12-05, a Saturday, so to Monday 12-07.
    lead = ended(date(2026, 3, 1), award_kind="award", award_date=date(2026, 11, 20))
    score, reasons = priority_for(lead, TODAY)
    assert any("不服裁决向法院起诉最后一天 2026-12-07，还剩9天" in r for r in reasons), reasons
    assert score >= 100


def test_a_later_demand_for_pay_restarts_the_year() -> None:
    limit = arbitration_limit(work_end=date(2025, 3, 2), demanded_on=date(2025, 11, 3))
    assert limit is not None and limit.last_day == date(2026, 11, 3)
    earlier = arbitration_limit(work_end=date(2025, 3, 2), demanded_on=date(2025, 1, 5))
    assert earlier is not None and earlier.last_day == date(2026, 3, 2)


def test_the_last_day_reads_today_is_the_last_day() -> None:
    from wagechannel.deadlines.limits import days_left_text
    assert days_left_text(0) == "今天是最后一天"
    assert days_left_text(3) == "还剩3天"
    assert days_left_text(-2) == "已过2天"
    lead = ended(date(2025, 11, 27))  # 2026-11-27 is a Friday... the last day is today here
    _score, reasons = priority_for(lead, date(2026, 11, 27))
    assert any("今天是最后一天" in reason for reason in reasons), reasons


def test_a_case_keeps_its_nearest_limit_for_lists(db, world) -> None:  # type: ignore[no-untyped-def]
    lead = store_lead(db, lead_input(employment_status="ended", work_end="2026-01-05"),
                      board=world.board, channel="qr")
    case = route_lead(db, lead, today=TODAY)
    assert case.limitation_end == date(2027, 1, 5)
    assert case.limitation_kind == "arbitration"
    assert case.limitation_provisional  # 2027's holidays are not published yet


# --- routing fallbacks: the most specific region with a centre wins ---------------------------

def test_a_county_without_a_centre_goes_to_its_city_and_the_admin_is_told(db, world) -> None:  # type: ignore[no-untyped-def]
    from wagechannel.cases.models import Alert
    from wagechannel.places.services import create_project
    ensure_region(db, "440306", "深圳市宝安区")
    city = create_organisation(db, kind=LEGAL_AID, name="深圳市法律援助中心", region_codes=["440300"])
    site = create_project(db, contractor=world.contractor, region_code="440306",
                          name="宝安区测试工地", address="宝安区测试路1号")
    db.commit()
    case = route_lead(db, store_lead(db, lead_input(), board=None, project=site, channel="qr"),
                      today=TODAY)
    assert case.legal_aid_org_id == city.id and case.routed_above
    alert = db.scalar(select(Alert).where(Alert.case_id == case.id))
    assert alert is not None and alert.organisation_id is None and alert.kind == "routed_above"
    assert "440306" in alert.message and "深圳市法律援助中心" in alert.message
    own = route_lead(db, store_lead(db, lead_input(), board=world.board, channel="qr"), today=TODAY)
    assert own.legal_aid_org_id == world.centre.id and not own.routed_above  # its county's own


def test_a_region_served_only_by_its_province_goes_there_on_the_report_path(db, world) -> None:  # type: ignore[no-untyped-def]
    from wagechannel.cases.models import Alert
    from wagechannel.intake.services import Site, store_report
    for code, name in [("450000", "广西壮族自治区"), ("450100", "南宁市"), ("450102", "南宁市兴宁区")]:
        ensure_region(db, code, name)
    province = create_organisation(db, kind=LEGAL_AID, name="广西壮族自治区法律援助中心",
                                   region_codes=["450000"])
    db.commit()
    receipt = store_report(db, lead_input(), site=Site(region_code="450102"), channel="qr",
                           today=TODAY)
    case = db.get_one(Case, db.get_one(Lead, receipt.lead_id).case_id)
    assert receipt.status == "pending" and case.legal_aid_org_id == province.id
    assert case.routed_above and case.bureau_org_id is None
    alerts = db.scalars(select(Alert).where(Alert.case_id == case.id)).all()
    assert [(a.kind, a.organisation_id) for a in alerts] == [("routed_above", None)]
    # the city registers a centre: the next report goes there
    city = create_organisation(db, kind=LEGAL_AID, name="南宁市法律援助中心", region_codes=["450100"])
    db.commit()
    receipt = store_report(db, lead_input(phone="13800138002"), site=Site(region_code="450102"),
                           channel="qr", today=TODAY)
    assert db.get_one(Lead, receipt.lead_id).case.legal_aid_org_id == city.id
