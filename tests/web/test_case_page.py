"""The case page does the workflow: a form per allowed action, the Chinese reason when a move is
refused (with what was typed kept), contacts and the timeline; and what the worker then reads on
/q/<code>."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token, login, report_form
from wagechannel.accounts.models import AuditEvent
from wagechannel.accounts.services import create_user
from wagechannel.cases.models import Case, CaseContact, Referral
from wagechannel.cases.timeline import timeline
from wagechannel.clock import local_today
from wagechannel.intake.models import Lead

PASSWORD = "correct-horse-9"


def report(client, board, **overrides):  # type: ignore[no-untyped-def]
    """A worker's report through the form: its receipt code."""
    data = report_form(client, f"/s/{board.token}", **overrides)
    location = client.post(f"/s/{board.token}", data=data).headers["Location"]
    return location.split("/q/")[1][:8]


@pytest.fixture()
def made(client, db, world):  # type: ignore[no-untyped-def]
    """A case in the first county's centre, from a worker's report: (case, receipt code)."""
    code = report(client, world.board, name="王五", phone="13700137000")
    lead = db.scalar(select(Lead).where(Lead.code == code))
    return db.get(Case, lead.case_id), code


def act(client, case, action, **fields):  # type: ignore[no-untyped-def]
    url = f"/cases/{case.id}"
    return client.post(f"{url}/actions/{action}",
                       data={"csrf_token": csrf_token(client, url), **fields})


def page_of(client, case) -> str:  # type: ignore[no-untyped-def]
    return client.get(f"/cases/{case.id}").get_data(as_text=True)


def refreshed(db, case):  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.get(Case, case.id)


def to_state(client, db, world, case, *actions):  # type: ignore[no-untyped-def]
    steps = {"accept": {}, "grant": {"basis": "exempt_42_3", "proof": "项目部务工证明"},
             "assign": {"lawyer": str(world.users["lawyer"].id)},
             "start_route": {"kind": "arbitration"}}
    for action in actions:
        response = act(client, case, action, **steps[action])
        assert response.status_code == 303, response.get_data(as_text=True)
    return refreshed(db, case)


def second_lawyer(db, world):  # type: ignore[no-untyped-def]
    lawyer = create_user(db, username="lawyer2", password=PASSWORD, role="lawyer",
                         display_name="李律师", organisation_id=world.centre.id)
    db.commit()
    return lawyer


# --- every action through the page ----------------------------------------------------------

def test_staff_take_a_case_from_acceptance_to_closing(client, db, world, made) -> None:  # type: ignore[no-untyped-def]
    case, _code = made
    login(client, "staff")
    page = page_of(client, case)
    assert 'action="/cases/%d/actions/accept"' % case.id in page
    assert "/actions/close" not in page  # only the actions the state allows

    response = act(client, case, "accept")
    assert response.status_code == 303 and response.headers["Location"].endswith("#workflow")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已受理，审查期限从今天起算。" in page
    assert local_today().isoformat() in page and "已受理" in page

    assert act(client, case, "request_materials",
               items="工资欠条原件\n\n 身份证复印件 \n").status_code == 303
    case = refreshed(db, case)
    assert case.materials_requested == ["工资欠条原件", "身份证复印件"]
    page = page_of(client, case)
    assert "等待补充，审查期限暂停" in page and "/actions/request_materials" not in page
    assert act(client, case, "receive_materials").status_code == 303
    assert "材料已补齐" in page_of(client, case)

    page = page_of(client, case)
    assert 'name="basis" value="exempt_42_3" checked' in page  # art. 42(3) by default
    assert act(client, case, "grant", basis="exempt_42_3", proof="项目部出具的务工证明").status_code == 303
    case = refreshed(db, case)
    assert (case.status, case.hardship_basis, case.hardship_proof) == \
        ("decided", "exempt_42_3", "项目部出具的务工证明")

    page = page_of(client, case)
    assert f'<option value="{world.users["lawyer"].id}">' in page and "（在办0件）" in page
    assert act(client, case, "assign", lawyer=str(world.users["lawyer"].id)).status_code == 303
    assert act(client, case, "start_route", kind="arbitration").status_code == 303
    case = refreshed(db, case)
    route = case.routes[0]
    assert act(client, case, "record_date", route_id=str(route.id), field="filed_on",
               date=local_today().isoformat()).status_code == 303
    page = page_of(client, case)
    assert "劳动仲裁" in page and f"申请或起诉日 {local_today().isoformat()}" in page

    assert act(client, case, "close", outcome="recovered", amount_recovered="8,500",
               paid_by="general_contractor", note="总包单位先行清偿").status_code == 303
    case = refreshed(db, case)
    assert (case.status, case.amount_recovered_fen, case.paid_by) == \
        ("closed", 850000, "general_contractor")
    page = page_of(client, case)
    assert "全部追回" in page and "8,500 元" in page and "施工总承包单位先行清偿（条例第30条）" in page

    assert act(client, case, "reopen", reason="用人单位未按调解书支付").status_code == 303
    assert refreshed(db, case).status == "in_progress"
    actions = [event.action for event in db.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "case",
                                 AuditEvent.object_id == str(case.id),
                                 AuditEvent.action.like("case_%")).order_by(AuditEvent.id))]
    assert actions == ["case_accept", "case_request_materials", "case_receive_materials",
                       "case_grant", "case_assign", "case_start_route", "case_record_date",
                       "case_close", "case_reopen"]


def test_refusal_with_reason_and_referral(client, db, world, made) -> None:  # type: ignore[no-untyped-def]
    case, _code = made
    login(client, "staff")
    to_state(client, db, world, case, "accept")
    assert act(client, case, "refuse", reason="双方不是劳动关系，是买卖合同纠纷",
               referral="请向人民法院起诉，或拨打12348咨询").status_code == 303
    case = refreshed(db, case)
    assert case.status == "refused"
    page = page_of(client, case)
    assert "双方不是劳动关系，是买卖合同纠纷" in page and "请向人民法院起诉" in page
    assert "/actions/reopen" in page


def test_aid_before_review_only_when_a_limit_is_under_seven_days(client, db, world, made) -> None:  # type: ignore[no-untyped-def]
    case, _code = made
    login(client, "staff")
    case.limitation_end, case.limitation_kind = local_today() + timedelta(days=30), "arbitration"
    db.commit()
    page = page_of(client, case)
    assert "/actions/grant" not in page and "aid_before_review" not in page  # pending, far off

    case.limitation_end = local_today() + timedelta(days=3)
    db.commit()
    page = page_of(client, case)
    assert "/actions/grant" in page and "还剩3天，不足7天" in page
    assert 'name="aid_before_review" value="1" checked' in page
    assert act(client, case, "grant", basis="commitment_41", aid_before_review="1").status_code == 303
    case = refreshed(db, case)
    assert case.status == "decided" and case.aid_before_review and case.application_date == local_today()
    assert "先行提供法律援助（法律援助法第44条）" in page_of(client, case)


def test_reassignment_keeps_the_history(client, db, world, made) -> None:  # type: ignore[no-untyped-def]
    case, _code = made
    other = second_lawyer(db, world)
    login(client, "staff")
    case = to_state(client, db, world, case, "accept", "grant", "assign")
    page = page_of(client, case)
    assert "（在办1件）" in page and "现在承办" in page
    assert act(client, case, "assign", lawyer=str(other.id)).status_code == 303
    page = page_of(client, case)
    history = page[page.index('id="assignment-history"'):]
    history = history[:history.index("</ul>")]
    assert history.index("lawyer") < history.index("李律师")  # first assignment first
    assert "止" in history and "（现在承办）" in history
    assert refreshed(db, case).lawyer_id == other.id


def test_a_collective_case_closes_with_each_workers_result(client, db, world, made) -> None:  # type: ignore[no-untyped-def]
    case, _code = made
    from wagechannel.cases.models import Claimant
    db.add(Claimant(case_id=case.id, name="赵六", amount_owed_fen=300000))
    db.commit()
    login(client, "staff")
    case = to_state(client, db, world, case, "accept", "grant")
    first, second = case.claimants
    page = page_of(client, case)
    assert f'name="outcome-{second.id}"' in page and 'data-label="工人"' in page
    bad = act(client, case, "close", outcome="partial", amount_recovered="9000", paid_by="employer",
              **{f"amount-{second.id}": "abc", f"outcome-{first.id}": "recovered"})
    assert bad.status_code == 422
    body = bad.get_data(as_text=True)
    assert "请填写数字金额（元）" in body and 'value="abc"' in body
    assert refreshed(db, case).claimants[0].outcome is None  # nothing half-done kept
    assert act(client, case, "close", outcome="partial", amount_recovered="9000", paid_by="employer",
               **{f"outcome-{first.id}": "recovered", f"amount-{first.id}": "8500",
                  f"outcome-{second.id}": "partial", f"amount-{second.id}": "500"}
               ).status_code == 303
    case = refreshed(db, case)
    assert [(c.outcome, c.amount_recovered_fen) for c in case.claimants] == \
        [("recovered", 850000), ("partial", 50000)]
    page = page_of(client, case)
    assert "王五：全部追回，8,500 元" in page and "赵六：部分追回，500 元" in page


# --- refused moves ---------------------------------------------------------------------------

def test_an_illegal_move_shows_the_chinese_reason(client, db, world, made) -> None:  # type: ignore[no-untyped-def]
    case, _code = made
    login(client, "staff")
    response = act(client, case, "close", outcome="recovered", amount_recovered="100")
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "案件现在是“待受理”，不能结案。" in body and 'id="e-close"' in body
    assert refreshed(db, case).status == "pending"
    assert act(client, case, "no_such_action").status_code == 404


def test_a_missing_field_is_named_and_the_typed_words_kept(client, db, world, made) -> None:  # type: ignore[no-untyped-def]
    case, _code = made
    login(client, "staff")
    to_state(client, db, world, case, "accept")
    response = act(client, case, "refuse", reason="超出法律援助范围 <b>", referral="")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert '<p class="error" id="e-refuse-referral">请填写建议去哪里求助。</p>' in body
    assert "超出法律援助范围 &lt;b&gt;</textarea>" in body
    assert re.search(r'<details class="card" id="action-refuse" open>', body)
    grant = act(client, case, "grant", basis="exempt_42_3", proof="")
    assert grant.status_code == 422 and "请填写证明材料说明。" in grant.get_data(as_text=True)
    date = act(client, case, "request_materials", items="")
    assert "请写明需要补充的每一项材料。" in date.get_data(as_text=True)


def test_another_centres_case_is_not_found(client, db, world, made) -> None:  # type: ignore[no-untyped-def]
    case, _code = made
    login(client, world.other_users["legal_aid_staff"].username)
    token = csrf_token(client, "/cases")
    response = client.post(f"/cases/{case.id}/actions/accept", data={"csrf_token": token})
    assert response.status_code == 404
    assert client.post(f"/cases/{case.id}/contacts",
                       data={"csrf_token": token, "channel": "phone", "note": "x"}).status_code == 404
    assert refreshed(db, case).status == "pending"


@pytest.mark.parametrize("role", ["bureau_liaison", "contractor"])
def test_the_liaison_and_the_contractor_cannot_act(client, db, world, made, role) -> None:  # type: ignore[no-untyped-def]
    case, _code = made
    login(client, world.users[role].username)
    token = csrf_token(client, "/projects")
    response = client.post(f"/cases/{case.id}/actions/accept", data={"csrf_token": token})
    assert response.status_code == 403
    if role == "bureau_liaison":
        page = page_of(client, case)
        assert "/actions/" not in page and "记录一次联系" not in page
    assert refreshed(db, case).status == "pending"


def test_the_lawyer_acts_on_their_case_but_does_not_reassign(client, db, world, made) -> None:  # type: ignore[no-untyped-def]
    case, _code = made
    login(client, "staff")
    to_state(client, db, world, case, "accept", "grant")
    login(client, "lawyer")
    assert client.get(f"/cases/{case.id}").status_code == 404  # not theirs yet
    login(client, "staff")
    case = to_state(client, db, world, case, "assign")
    login(client, "lawyer")
    assert case.number in client.get("/cases").get_data(as_text=True)
    page = page_of(client, case)
    assert "/actions/start_route" in page and "/actions/assign" not in page
    refused = act(client, case, "assign", lawyer=str(world.users["lawyer"].id))
    assert refused.status_code == 409 and "您不能对这个案件做这一步。" in refused.get_data(as_text=True)
    assert act(client, case, "start_route", kind="mediation").status_code == 303
    assert act(client, case, "close", outcome="recovered", amount_recovered="8500",
               paid_by="employer").status_code == 303
    assert refreshed(db, case).status == "closed"


# --- contacts and the timeline ---------------------------------------------------------------

def test_a_recorded_contact_is_in_the_timeline_and_audited(client, db, world, made) -> None:  # type: ignore[no-untyped-def]
    case, _code = made
    login(client, "staff")
    url = f"/cases/{case.id}"
    missing = client.post(f"{url}/contacts", data={"csrf_token": csrf_token(client, url),
                                                   "channel": "phone", "note": " "})
    assert missing.status_code == 422 and "请写下联系的情况。" in missing.get_data(as_text=True)
    lead_id = case.leads[0].id
    response = client.post(f"{url}/contacts", data={
        "csrf_token": csrf_token(client, url), "channel": "phone", "lead_id": str(lead_id),
        "note": "打通电话，约好周一来中心签字"})
    assert response.status_code == 303 and response.headers["Location"].endswith("#timeline")
    contact = db.scalar(select(CaseContact))
    assert (contact.case_id, contact.lead_id, contact.user_id, contact.channel) == \
        (case.id, lead_id, world.users["legal_aid_staff"].id, "phone")
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "case_contact"))
    assert event.object_id == str(case.id) and event.detail["contact_id"] == contact.id
    page = page_of(client, case)
    assert "电话联系工人（工人 王五）" in page and "约好周一来中心签字" in page
    login(client, "liaison")  # masked: who and what, not the words
    page = page_of(client, case)
    assert "电话联系工人（工人 王*）" in page and "约好周一来中心签字" not in page


def test_the_timeline_lists_actions_messages_and_views_newest_first(client, db, world, made) -> None:  # type: ignore[no-untyped-def]
    case, _code = made
    login(client, "staff")
    to_state(client, db, world, case, "accept", "grant", "assign")
    url = f"/cases/{case.id}"
    client.post(f"{url}/leads/{case.leads[0].id}/messages",
                data={"csrf_token": csrf_token(client, url), "body": "您的申请已批准。"})
    page = page_of(client, case)
    section = page[page.index('id="timeline"'):]
    rows = re.findall(r'<tr class="entry-(\w+)">.*?data-label="做了什么">([^<]*)', section, re.S)
    whats = [what for _kind, what in rows]
    assert whats.index("给工人留言") < whats.index("指派律师：lawyer") \
        < whats.index("决定给予法律援助：免予核查经济困难（第42条第3项）") \
        < whats.index(f"受理：申请日期 {local_today().isoformat()}")
    assert ("view", "查看了当事人的个人信息") in rows
    assert "您的申请已批准。" in section
    deadlines = [what.split("（")[0] for kind, what in rows if kind == "deadline"]
    assert deadlines == ["期限已按期完成：指派法律援助人员", "期限已按期完成：作出是否给予法律援助的决定"]


def test_the_timeline_costs_the_same_statements_at_two_sizes(db, world, made, count_statements) -> None:  # type: ignore[no-untyped-def]
    from wagechannel.accounts.services import record
    from wagechannel.cases.messages import add_message
    from wagechannel.cases.timeline import record_contact
    case, _code = made
    staff = world.users["legal_aid_staff"]

    def grow(times: int) -> None:
        for number in range(times):
            record(db, "view_personal_data", actor=staff, object_type="case", object_id=case.id)
            add_message(db, case.leads[0], f"留言{number}", direction="to_worker", author=staff)
            record_contact(db, case, staff, channel="phone", note=f"电话{number}",
                           lead_id=case.leads[0].id)
        db.commit()

    grow(2)
    small = count_statements(lambda: timeline(db, case))
    grow(40)
    large = count_statements(lambda: timeline(db, case))
    assert small == large, (small, large)
    page = timeline(db, case)
    assert page.total == 42 * 3 and len(page.items) == 50  # views, messages, contacts
    assert [entry.at for entry in page.items] == sorted((e.at for e in page.items), reverse=True)
    second = timeline(db, case, number=2)
    assert len(second.items) == 50 and second.items[0].at <= page.items[-1].at


# --- what the worker reads -------------------------------------------------------------------

@pytest.fixture()
def worker(app, client):  # type: ignore[no-untyped-def]
    """The worker's phone: a client of its own beside the staff's. Requests share the test's
    app context, so the form token cached in `g` by one client must not serve the other."""
    from flask import g, request_started

    def fresh_token(_sender, **_extra) -> None:  # type: ignore[no-untyped-def]
        g.pop("csrf_token", None)

    request_started.connect(fresh_token, app)
    yield app.test_client()
    request_started.disconnect(fresh_token, app)


def verify(client, code: str, digits: str = "7000") -> None:  # type: ignore[no-untyped-def]
    token = csrf_token(client, f"/q/{code}")
    assert client.post(f"/q/{code}/verify", data={"csrf_token": token, "digits": digits}
                       ).status_code == 303


def receipt(client, code: str) -> str:  # type: ignore[no-untyped-def]
    return client.get(f"/q/{code}").get_data(as_text=True)


def test_the_worker_reads_the_refusal_and_the_right_to_object(client, db, world, made, worker) -> None:  # type: ignore[no-untyped-def]
    case, code = made
    login(client, "staff")
    to_state(client, db, world, case, "accept")
    act(client, case, "refuse", reason="您反映的是工程款纠纷，不是工资",
        referral="请到南山区人民法院立案庭咨询")
    page = receipt(worker, code)
    assert "法律援助中心决定不给予法律援助" in page
    assert "可以提出异议" in page and "司法局" in page and "5天内" in page and "第49条" in page
    assert "工程款纠纷" not in page  # the written reason after the phone's last four digits
    assert "输入您留的手机号码最后四位" in page
    verify(worker, code)
    page = receipt(worker, code)
    assert "理由：" in page and "您反映的是工程款纠纷，不是工资" in page
    assert "请到南山区人民法院立案庭咨询" in page and "第49条" in page


def test_the_worker_follows_each_step_with_the_centres_phone(client, db, world, made, worker) -> None:  # type: ignore[no-untyped-def]
    case, code = made
    verify(worker, code)
    login(client, "staff")
    to_state(client, db, world, case, "accept")
    page = receipt(worker, code)
    assert "法律援助中心已受理您的申请" in page and "7天内" in page
    assert "0755-1234567" in page  # the centre's phone
    act(client, case, "request_materials", items="工资欠条原件\n身份证复印件")
    page = receipt(worker, code)
    assert "需要您补充材料" in page and "<li>工资欠条原件</li>" in page
    act(client, case, "receive_materials")
    to_state(client, db, world, case, "grant")
    assert "给您法律援助" in receipt(worker, code)
    to_state(client, db, world, case, "assign")
    page = receipt(worker, code)
    assert "已给您指派律师" in page and "0755-1234567" in page
    db.add(Referral(case_id=case.id, bureau_org_id=world.bureau.id, consent_note="电话中同意"))
    db.commit()
    page = receipt(worker, code)
    assert f"转给<strong>{world.bureau.name}</strong>" in page and "已转人社部门" in page


def test_the_worker_reads_the_outcome_and_amount(client, db, world, made, worker) -> None:  # type: ignore[no-untyped-def]
    case, code = made
    login(client, "staff")
    to_state(client, db, world, case, "accept", "grant", "assign", "start_route")
    act(client, case, "close", outcome="recovered", amount_recovered="8500",
        paid_by="general_contractor", note="内部备注：总包很配合")
    page = receipt(worker, code)
    assert "已结案：欠薪已经追回" in page and "8,500 元" not in page
    verify(worker, code)
    page = receipt(worker, code)
    assert '<strong id="amount">8,500 元</strong>' in page and "施工总承包单位先行垫付" in page
    assert "内部备注" not in page
    assert "time-limit" in page  # the time-limit card stays
