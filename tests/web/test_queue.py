"""The queue by tier, nearest limit and age, with its filters in the address; the alerts list;
merging and splitting through the case page; the report form's vulnerable-worker question."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from tests.conftest import csrf_token, login, report_form
from tests.unit.test_collective import case_of, report
from wagechannel.cases.models import Alert, Case, CaseRoute
from wagechannel.db import utcnow
from wagechannel.intake.models import Lead
from wagechannel.places.services import create_contractor, create_project, ensure_region


def numbers(page: str) -> list[str]:
    return re.findall(r'data-label="案号"><a href="/cases/\d+">([^<]+)</a>', page)


def make_case(db, world, **values) -> Case:  # type: ignore[no-untyped-def]
    case = case_of(db, report(db, world))
    db.execute(update(Case).where(Case.id == case.id).values(**values))
    db.commit()
    return case


def test_the_queue_orders_by_tier_then_nearest_limit_then_age(client, db, world) -> None:  # type: ignore[no-untyped-def]
    now = utcnow()
    made = {}
    for name, tier, rank, limit, days in [
            ("routine_new", "routine", 2, None, 1), ("urgent_none", "urgent", 0, None, 9),
            ("urgent_far", "urgent", 0, date(2027, 1, 1), 8),
            ("routine_old", "routine", 2, None, 5),
            ("priority", "priority", 1, date(2026, 12, 1), 7),
            ("urgent_near", "urgent", 0, date(2026, 12, 20), 2)]:
        made[name] = make_case(db, world, tier=tier, tier_rank=rank, limitation_end=limit,
                               created_at=now - timedelta(days=days)).number
    login(client, "staff")
    page = client.get("/cases").get_data(as_text=True)
    assert numbers(page) == [made[name] for name in ("urgent_near", "urgent_far", "urgent_none",
                                                     "priority", "routine_old", "routine_new")]
    assert "紧急" in page and "优先" in page and "常规" in page


def test_one_row_per_case_with_its_worker_count(client, db, world) -> None:  # type: ignore[no-untyped-def]
    for name in ("张三", "李四", "王五"):
        report(db, world, name=name, employer_name="王老板", amount_owed="1000")
    login(client, "staff")
    page = client.get("/cases").get_data(as_text=True)
    assert len(numbers(page)) == 1
    row = page.split('data-label="人数">')[1].split("</td>")[0]
    assert row.startswith("3人")
    assert "3,000 元" in page and "张*、李*、王*" in page


def test_filters_narrow_the_queue_and_stay_in_the_links(client, db, world) -> None:  # type: ignore[no-untyped-def]
    urgent = make_case(db, world, tier="urgent", tier_rank=0)
    closed = make_case(db, world, status="closed")
    routed = make_case(db, world, status="in_progress", lawyer_id=world.users["lawyer"].id)
    db.add(CaseRoute(case_id=routed.id, kind="arbitration"))
    old = make_case(db, world, created_at=utcnow() - timedelta(days=10))
    builder = create_contractor(db, name="另一家建设有限公司")
    site = create_project(db, contractor=builder, region_code="440305", name="另一家的工地",
                          address="南山区另一路1号")
    db.commit()
    elsewhere = make_case(db, world, project_id=site.id)
    login(client, "staff")

    def listed(query: str) -> set[str]:
        response = client.get(f"/cases?{query}")
        assert response.status_code == 200, query
        return set(numbers(response.get_data(as_text=True)))

    everything_open = {urgent.number, routed.number, old.number, elsewhere.number}
    assert listed("") == everything_open  # closed cases only when asked
    assert listed("state=all") == everything_open | {closed.number}
    assert listed("state=closed") == {closed.number}
    assert listed("tier=urgent") == {urgent.number}
    assert listed("route=arbitration") == {routed.number}
    assert listed("lawyer=lawyer") == {routed.number}
    assert listed(f"project={site.id}") == {elsewhere.number}
    assert listed(f"contractor={world.contractor.id}") == everything_open - {elsewhere.number}
    assert listed("age=7") == {old.number}
    assert listed(f"age=7&contractor={builder.id}") == set()
    page = client.get(f"/cases?contractor={builder.id}").get_data(as_text=True)
    assert "另一家建设有限公司" in page and "不限单位" in page


def test_page_links_keep_the_filters(client, db, world) -> None:  # type: ignore[no-untyped-def]
    from tests.web.test_case_lists import add_reports
    add_reports(db, world, 55)
    login(client, "staff")
    page = client.get("/cases?state=all&age=0").get_data(as_text=True)
    assert "共 55 条" in page
    link = re.search(r'href="(/cases\?[^"]*page=2[^"]*)"', page)
    assert link is not None and "state=all" in link.group(1) and "age=0" in link.group(1)
    second = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert len(numbers(second)) == 5


def test_a_bad_filter_is_named_on_its_field_and_kept(client, db, world) -> None:  # type: ignore[no-untyped-def]
    make_case(db, world)
    login(client, "staff")
    response = client.get("/cases?age=abc&tier=huge&project=x1&route=magic")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "请填写0到36500之间的整数天数" in page and 'value="abc"' in page
    assert "紧急程度只能选" in page and "项目编号应为数字" in page and "请从列表中选择办理方式" in page
    assert len(numbers(page)) == 1  # the bad filters are left out, the list still shows
    assert client.get("/cases?age=99999999999999999999").status_code == 200


@pytest.mark.parametrize("user,query", [
    ("staff", ""), ("staff", "tier=routine&state=all&route=negotiation&lawyer=lawyer&age=0"),
    ("lawyer", "state=all"), ("liaison", "project=1&contractor=1"), ("admin", "tier=priority")])
def test_the_queue_costs_the_same_statements_at_two_sizes(client, db, world, count_statements,  # type: ignore[no-untyped-def]
                                                          user, query) -> None:
    from tests.web.test_case_lists import add_reports
    add_reports(db, world, 3)
    for name in ("甲", "乙"):
        report(db, world, name=name, employer_name="王老板")
    report(db, world, urgent=["no_money"])  # a priority case: no size starts with an empty page
    login(client, user)
    client.get(f"/cases?{query}")
    small = count_statements(lambda: client.get(f"/cases?{query}"))
    add_reports(db, world, 70, start=100)
    for index in range(12):
        report(db, world, name=f"工{index}", employer_name="李老板")
    large = count_statements(lambda: client.get(f"/cases?{query}"))
    assert large == small, f"{query}: {small} statements, then {large}"


# --- alerts ------------------------------------------------------------------------------------

def test_alerts_reach_the_centre_and_the_bureau_and_are_marked_read(client, db, world) -> None:  # type: ignore[no-untyped-def]
    from wagechannel.cases.alerts import unread_count
    case = case_of(db, report(db, world, urgent=["conflict"]))
    login(client, "staff")
    page = client.get("/alerts").get_data(as_text=True)
    assert "发生冲突或受到威胁" in page and case.number in page and "标为已读" in page
    alert = db.scalar(select(Alert).where(Alert.organisation_id == world.centre.id))
    assert unread_count(db, world.users["legal_aid_staff"]) == 1
    token = csrf_token(client, "/alerts")
    response = client.post(f"/alerts/{alert.id}/read", data={"csrf_token": token})
    assert response.status_code == 303
    assert unread_count(db, world.users["legal_aid_staff"]) == 0
    assert unread_count(db, world.users["bureau_liaison"]) == 1  # the bureau's own, still unread
    login(client, "liaison")
    assert case.number in client.get("/alerts").get_data(as_text=True)
    login(client, "other_staff")
    assert case.number not in client.get("/alerts").get_data(as_text=True)
    token = csrf_token(client, "/alerts")
    assert client.post(f"/alerts/{alert.id}/read", data={"csrf_token": token}).status_code == 404
    login(client, "lawyer")
    assert client.get("/alerts").status_code == 403


def test_the_header_count_helper_counts_only_for_alert_roles(app, db, world) -> None:  # type: ignore[no-untyped-def]
    from flask import render_template_string
    report(db, world, urgent=["conflict"], vulnerable=["minor"])
    shown = {}
    with app.test_request_context():
        from flask_login import login_user
        for role in ("bureau_liaison", "lawyer", "admin"):
            login_user(world.users[role])
            shown[role] = render_template_string("{{ alert_count() }}")
    assert shown == {"bureau_liaison": "2", "lawyer": "0", "admin": "0"}


def test_the_admin_lists_cases_routed_above_their_county(client, db, world) -> None:  # type: ignore[no-untyped-def]
    from wagechannel.intake.services import Site, store_report
    from wagechannel.intake.validation import parse_lead
    from wagechannel.places.models import LEGAL_AID
    from wagechannel.places.services import create_organisation
    ensure_region(db, "440306", "深圳市宝安区")
    create_organisation(db, kind=LEGAL_AID, name="深圳市法律援助中心", region_codes=["440300"])
    db.commit()
    data = parse_lead({"name": "赵六", "consent": True}, today=date(2026, 11, 28))
    receipt = store_report(db, data, site=Site(region_code="440306"), channel="qr",
                           today=date(2026, 11, 28))
    number = db.get_one(Lead, receipt.lead_id).case.number
    login(client, "admin")
    listed = client.get("/cases/routed-above").get_data(as_text=True)
    assert number in listed and "深圳市宝安区" in listed and "深圳市法律援助中心" in listed
    alerts = client.get("/alerts").get_data(as_text=True)
    assert number in alerts and "由上级机构受理" in alerts
    login(client, "staff")
    assert client.get("/cases/routed-above").status_code == 403


def test_the_unrouted_page_shows_each_reports_own_limit(client, db, world) -> None:  # type: ignore[no-untyped-def]
    from wagechannel.intake.services import Site, store_report
    from wagechannel.intake.validation import parse_lead
    ensure_region(db, "440307", "深圳市龙岗区")
    db.commit()
    data = parse_lead({"name": "孙七", "consent": True, "employment_status": "ended",
                       "work_end": "2025-12-20"}, today=date(2026, 11, 28))
    store_report(db, data, site=Site(region_code="440307"), channel="qr", today=date(2026, 11, 28))
    login(client, "admin")
    page = client.get("/leads/unrouted").get_data(as_text=True)
    assert "申请劳动仲裁最后一天 <strong>2026-12-21</strong>" in page


# --- merge and split through the pages ---------------------------------------------------------

def test_staff_merge_two_cases_from_the_case_page(client, db, world) -> None:  # type: ignore[no-untyped-def]
    target = case_of(db, report(db, world, name="张三", employer_name="王老板", amount_owed="8000"))
    moved = report(db, world, name="李四", employer_name="李老板", amount_owed="6000")
    source = case_of(db, moved)
    login(client, "staff")
    page = client.get(f"/cases/{target.id}").get_data(as_text=True)
    assert 'id="merge-form"' in page and "拆分为单独案件" not in page  # one claimant: no split
    wrong = client.get(f"/cases/{target.id}/merge?number=WC2026-NOSUCHNO")
    assert wrong.status_code == 422
    assert "本中心没有案号为 WC2026-NOSUCHNO 的案件" in wrong.get_data(as_text=True)
    assert 'value="WC2026-NOSUCHNO"' in wrong.get_data(as_text=True)
    preview = client.get(f"/cases/{target.id}/merge?number={source.number}").get_data(as_text=True)
    assert "确认合并" in preview and "李四" in preview and "6,000 元" in preview
    token = csrf_token(client, f"/cases/{target.id}/merge?number={source.number}")
    response = client.post(f"/cases/{target.id}/merge",
                           data={"csrf_token": token, "number": source.number})
    assert response.status_code == 303
    page = client.get(f"/cases/{target.id}").get_data(as_text=True)
    section = page.split('id="collective"')[1].split('id="merge-form"')[0]
    assert "张三" in section and "李四" in section and "8,000 元" in section
    assert case_of(db, moved).id == target.id
    login(client, "lawyer")
    assert client.get(f"/cases/{target.id}/merge?number=x").status_code == 403


def test_staff_split_a_worker_out_and_others_see_masked_names(client, db, world) -> None:  # type: ignore[no-untyped-def]
    first = report(db, world, name="张三", employer_name="王老板", amount_owed="8000")
    second = report(db, world, name="李四", employer_name="王老板", amount_owed="6000")
    case = case_of(db, first)
    claimant = next(c for c in case.claimants if c.lead_id == second.id)
    login(client, "staff")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert page.count("拆分为单独案件") == 2 and "李四" in page
    url = f"/cases/{case.id}/claimants/{claimant.id}/split"
    assert "确认拆分" in client.get(url).get_data(as_text=True)
    response = client.post(url, data={"csrf_token": csrf_token(client, url)})
    assert response.status_code == 303
    new = case_of(db, db.get_one(Lead, second.id))
    assert response.headers["Location"].endswith(f"/cases/{new.id}")
    assert [c.name for c in new.claimants] == ["李四"] and new.id != case.id
    again = client.post(url, data={"csrf_token": csrf_token(client, f"/cases/{new.id}")})
    assert again.status_code == 404  # the claimant is no longer on that case
    login(client, "liaison")
    masked = client.get(f"/cases/{case.id}").get_data(as_text=True)
    section = masked.split('id="collective"')[1]
    assert "张*" in section and "张三" not in section and "拆分为单独案件" not in section


# --- the report form's question on vulnerable workers ------------------------------------------

def test_the_form_asks_about_vulnerable_workers_and_keeps_the_answer(client, db, world) -> None:  # type: ignore[no-untyped-def]
    url = f"/s/{world.board.token}"
    assert "特殊情况（可多选）" in client.get(url).get_data(as_text=True)
    response = client.post(url, data=report_form(client, url, vulnerable="minor"))
    assert response.status_code == 303
    lead = db.scalar(select(Lead).order_by(Lead.id.desc()))
    assert lead.vulnerable == ["minor"] and lead.case.tier == "urgent"
    bad = client.post(url, data=report_form(client, url, vulnerable="giant", name="王二"))
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "请从列表中选择特殊情况" in page and 'value="王二"' in page


def test_the_api_takes_several_vulnerable_answers(client, db, world) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/leads", json={
        "board_token": world.board.token, "consent": True, "phone": "13700001234",
        "employment_status": "working", "vulnerable": ["elderly", "disabled"]})
    assert response.status_code == 201
    lead = db.scalar(select(Lead).order_by(Lead.id.desc()))
    assert lead.vulnerable == ["elderly", "disabled"] and lead.case.tier == "priority"
    bad = client.post("/api/v1/leads", json={"board_token": world.board.token, "consent": True,
                                             "phone": "13700001235", "vulnerable": "old"})
    assert bad.status_code == 422 and "vulnerable" in bad.get_json()["errors"]
    schema = client.get("/api/v1/openapi.json").get_json()
    properties = schema["paths"]["/api/v1/leads"]["post"]["requestBody"]["content"][
        "application/json"]["schema"]["properties"]
    assert properties["vulnerable"]["items"]["enum"] == ["elderly", "disabled", "minor"]


def test_the_queue_shows_each_cases_nearest_open_deadline(client, db, world) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from tests.conftest import login as log_in
    from wagechannel.cases import workflow
    from wagechannel.cases.models import Case
    from sqlalchemy import select
    url = f"/s/{world.board.token}"
    from tests.conftest import report_form
    client.post(url, data=report_form(client, url))
    case = db.scalar(select(Case).order_by(Case.id.desc()))
    workflow.accept(db, case, world.users["legal_aid_staff"], today=date(2026, 9, 28))
    db.commit()
    log_in(client, "staff")
    page = client.get("/cases").get_data(as_text=True)
    cell = page.split('class="next-deadline"')[1].split("</span>")[0]
    assert "作出是否给予法律援助的决定" in cell and "2026-10-08" in cell
