"""The staff API: every move of the workflow and a refusal of every illegal one, scoped as on
the web (another centre's case is 404, a lawyer sees assigned cases only, a contractor nothing,
a liaison masked data only), tokens only, a queue in constant statements."""
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import login
from wagechannel.accounts.models import AuditEvent, User
from wagechannel.accounts.services import create_user, set_active
from wagechannel.accounts.tokens import create_token, revoke_token
from wagechannel.cases import workflow
from wagechannel.cases.models import Case
from wagechannel.cases.routing import route_lead
from wagechannel.cases.workflow import TRANSITIONS
from wagechannel.clock import local_today
from wagechannel.intake.services import Site, store_lead, store_report
from wagechannel.intake.validation import parse_lead

TODAY = local_today()
STATES = ("pending", "accepted", "decided", "refused", "assigned", "in_progress", "closed")


class Api:
    """A client that sends one user's token."""

    def __init__(self, client, db, user: User) -> None:  # type: ignore[no-untyped-def]
        self.client = client
        _, self.token = create_token(db, user)
        db.commit()

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **kwargs: Any):  # type: ignore[no-untyped-def]
        return self.client.get(path, headers=self.headers(), **kwargs)

    def act(self, case_id: int, action: str, **fields: Any):  # type: ignore[no-untyped-def]
        return self.client.post(f"/api/v1/cases/{case_id}/actions", headers=self.headers(),
                                json={"action": action, **fields})


@pytest.fixture()
def api(client, db, world):  # type: ignore[no-untyped-def]
    made: dict[str, Api] = {}

    def for_user(username: str) -> Api:
        if username not in made:
            user = db.scalar(select(User).where(User.username == username))
            made[username] = Api(client, db, user)
        return made[username]
    return for_user


@pytest.fixture()
def new_case(db, world):  # type: ignore[no-untyped-def]
    def make(name: str = "张三", phone: str = "13800138001", board=None) -> Case:  # type: ignore[no-untyped-def]
        data = parse_lead({"name": name, "phone": phone, "consent": True, "amount_owed": "8500",
                           "employment_status": "ended", "work_end": "2026-10-31"}, today=TODAY)
        case = route_lead(db, store_lead(db, data, board=board or world.board, channel="qr"),
                          today=TODAY)
        db.commit()
        return case
    return make


def second_lawyer(db, world) -> User:  # type: ignore[no-untyped-def]
    return db.scalar(select(User).where(User.username == "lawyer2")) or create_user(
        db, username="lawyer2", password="correct-horse-9", role="lawyer",
        organisation_id=world.centre.id)


def drive(db, world, case: Case, state: str) -> Case:  # type: ignore[no-untyped-def]
    """Bring a case to a state with the workflow's own functions, as the centre's staff."""
    staff, lawyer = world.users["legal_aid_staff"], world.users["lawyer"]
    steps = {
        "accept": lambda: workflow.accept(db, case, staff, today=TODAY),
        "grant": lambda: workflow.grant(db, case, staff, basis="commitment_41", today=TODAY),
        "refuse": lambda: workflow.refuse(db, case, staff, reason="不属于劳动报酬争议",
                                          referral="拨打12348"),
        "assign": lambda: workflow.assign(db, case, staff, lawyer=lawyer),
        "start_route": lambda: workflow.start_route(db, case, staff, kind="arbitration"),
        "close": lambda: workflow.close(db, case, staff, outcome="recovered",
                                        amount_recovered="8500", paid_by="employer"),
    }
    path = {"pending": [], "accepted": ["accept"], "decided": ["accept", "grant"],
            "refused": ["accept", "refuse"], "assigned": ["accept", "grant", "assign"],
            "in_progress": ["accept", "grant", "assign", "start_route"],
            "closed": ["accept", "grant", "assign", "start_route", "close"]}[state]
    for step in path:
        steps[step]()
    db.commit()
    assert case.status == state
    return case


def valid_fields(db, world, case: Case, action: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return {
        "accept": {},
        "request_materials": {"items": ["工资欠条原件", "身份证复印件"]},
        "receive_materials": {},
        "grant": {"basis": "exempt_42_3", "proof": "项目部出具的务工证明",
                  "aid_before_review": case.status == "pending"},
        "refuse": {"reason": "不属于劳动报酬争议", "referral": "请拨打12348咨询"},
        "assign": {"lawyer": "lawyer" if case.lawyer_id != world.users["lawyer"].id
                   else second_lawyer(db, world).username},
        "start_route": {"kind": "arbitration"},
        "record_date": {"route_id": case.routes[-1].id if case.routes else 0,
                        "field": "filed_on", "date": TODAY.isoformat()},
        "close": {"outcome": "recovered", "amount_recovered": "8500",
                  "paid_by": "general_contractor"},
        "reopen": {"reason": "用人单位未按调解书支付"},
    }[action]


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_every_action_from_every_state(api, db, world, new_case, state, action) -> None:  # type: ignore[no-untyped-def]
    case = drive(db, world, new_case(), state)
    if action == "receive_materials" and state == "accepted":
        workflow.request_materials(db, case, world.users["legal_aid_staff"], items=["欠条"])
    if action == "grant" and state == "pending":  # aid before review: a limit within 7 days
        case.limitation_end = TODAY + timedelta(days=3)
    fields = valid_fields(db, world, case, action)
    db.commit()
    response = api("staff").act(case.id, action, **fields)
    body = response.get_json()
    if state in TRANSITIONS[action].sources:
        assert response.status_code == 200, body
        step = TRANSITIONS[action]
        expected = state if step.target is None else \
            "in_progress" if action == "assign" and state == "in_progress" else step.target
        if action == "reopen":
            expected = "accepted" if state == "refused" else "in_progress"
        assert body["status"] == expected and body["id"] == case.id
        newest = [entry for entry in body["timeline"]["items"] if entry["kind"] == "action"][0]
        words = "改派律师" if action == "assign" and state != "decided" else step.label
        assert newest["what"].startswith(words) and newest["who"] == "staff", newest
        event = db.scalar(select(AuditEvent).where(AuditEvent.action == f"case_{action}")
                          .order_by(AuditEvent.id.desc()).limit(1))
        assert event is not None and event.object_id == str(case.id)
    else:
        assert response.status_code == 409, body
        assert "不能" in body["error"] and body["field"] is None
        db.expire_all()
        assert db.get(Case, case.id).status == state


def test_the_whole_path_through_the_api(api, db, world, new_case) -> None:  # type: ignore[no-untyped-def]
    case = new_case()
    staff, lawyer = api("staff"), api("lawyer")
    assert staff.act(case.id, "accept").status_code == 200
    assert staff.act(case.id, "request_materials", items=["考勤记录", "欠条"]).get_json()[
        "materials"]["items"] == ["考勤记录", "欠条"]
    refused = staff.act(case.id, "grant", basis="commitment_41")
    assert refused.status_code == 409 and "补充材料" in refused.get_json()["error"]
    assert staff.act(case.id, "receive_materials").status_code == 200
    granted = staff.act(case.id, "grant", basis="commitment_41").get_json()
    assert granted["decision"]["hardship_basis"] == "commitment_41"
    assert "法律援助法第41条" in granted["decision"]["hardship_basis_label"]
    assigned = staff.act(case.id, "assign", lawyer="lawyer").get_json()
    assert assigned["status"] == "assigned" and assigned["lawyer"]["username"] == "lawyer"
    # The lawyer now sees the case and works it, but may not reassign it.
    assert [item["id"] for item in lawyer.get("/api/v1/cases").get_json()["items"]] == [case.id]
    mine = lawyer.get(f"/api/v1/cases/{case.id}").get_json()
    assert "assign" not in [a["action"] for a in mine["allowed_actions"]]
    assert "start_route" in [a["action"] for a in mine["allowed_actions"]]
    route = lawyer.act(case.id, "start_route", kind="payment_order").get_json()["routes"][0]
    assert route["kind"] == "payment_order" and route["label"] == "支付令"
    dated = lawyer.act(case.id, "record_date", route_id=route["id"], field="filed_on",
                       date=TODAY.isoformat()).get_json()
    assert dated["routes"][0]["filed_on"] == TODAY.isoformat()
    future = lawyer.act(case.id, "record_date", route_id=route["id"], field="hearing_on",
                        date=(TODAY + timedelta(days=2)).isoformat())
    assert future.status_code == 422 and "date" in future.get_json()["errors"]
    reassign = lawyer.act(case.id, "assign", lawyer="lawyer")
    assert reassign.status_code == 403 and "指派律师" in reassign.get_json()["error"]
    claimant = mine["claimants"][0]["id"]
    closed = lawyer.act(case.id, "close", outcome="partial", amount_recovered=6000.5,
                        paid_by="general_contractor", note="总包先行清偿",
                        claimants=[{"id": claimant, "outcome": "partial",
                                    "amount_recovered": "6000.50"}]).get_json()
    assert closed["status"] == "closed"
    assert closed["outcome"] == {"outcome": "partial", "label": "部分追回",
                                 "amount_recovered": "6000.50", "paid_by": "general_contractor",
                                 "paid_by_label": "施工总承包单位先行清偿（条例第30条）",
                                 "note": "总包先行清偿", "closed_at": closed["outcome"]["closed_at"]}
    assert closed["claimants"][0]["amount_recovered"] == "6000.50"
    actions = [entry for entry in closed["timeline"]["items"] if entry["kind"] == "action"]
    assert [entry["what"].partition("：")[0] for entry in reversed(actions)] == [
        "受理", "一次性告知补充材料", "材料已补齐", "决定给予法律援助", "指派律师", "开始办理",
        "记录办理日期", "结案"]
    assert actions[0]["who"] == "lawyer" and "6,000.50 元" in actions[0]["what"]
    assert any(entry["kind"] == "view" for entry in closed["timeline"]["items"])
    assert [a["action"] for a in closed["allowed_actions"]] == ["reopen"]


def test_grant_with_each_hardship_basis_and_aid_before_review(api, db, world, new_case) -> None:  # type: ignore[no-untyped-def]
    staff = api("staff")
    exempt = drive(db, world, new_case(), "accepted")
    unproven = staff.act(exempt.id, "grant", basis="exempt_42_3")
    assert unproven.status_code == 422 and "证明材料" in unproven.get_json()["errors"]["proof"]
    body = staff.act(exempt.id, "grant", basis="exempt_42_3", proof="务工证明").get_json()
    assert body["decision"]["hardship_proof"] == "务工证明" and body["status"] == "decided"
    early = new_case(name="李四", phone="13800138002")  # its limit is months away
    too_soon = staff.act(early.id, "grant", basis="commitment_41", aid_before_review=True)
    assert too_soon.status_code == 409 and "7天以上" in too_soon.get_json()["error"]
    early.limitation_end = TODAY + timedelta(days=6)
    db.commit()
    urgent = staff.act(early.id, "grant", basis="commitment_41", aid_before_review=True)
    assert urgent.status_code == 200, urgent.get_json()
    assert urgent.get_json()["decision"]["aid_before_review"] is True
    assert urgent.get_json()["application_date"] == TODAY.isoformat()


@pytest.mark.parametrize("body,field", [
    ({"action": "fly"}, "action"),
    ({}, "action"),
    ({"action": ["accept"]}, "action"),
    ({"action": "accept", "today": "2020-01-01"}, "today"),
    ({"action": "grant", "basis": ["exempt_42_3"]}, "basis"),
    ({"action": "grant", "basis": "anything"}, "basis"),
    ({"action": "grant", "basis": "commitment_41", "aid_before_review": "yes"}, "aid_before_review"),
    ({"action": "request_materials", "items": "欠条"}, "items"),
    ({"action": "request_materials", "items": ["  "]}, "items"),
    ({"action": "refuse", "reason": 5, "referral": "12348"}, "reason"),
    ({"action": "refuse", "reason": "理由", "referral": ""}, "referral"),
    ({"action": "assign", "lawyer": "nobody"}, "lawyer"),
    ({"action": "assign", "lawyer": "other_lawyer"}, "lawyer"),
    ({"action": "assign", "lawyer": "staff"}, "lawyer"),
    ({"action": "start_route", "kind": "prayer"}, "kind"),
    ({"action": "record_date", "route_id": "1", "field": "filed_on", "date": "2026-01-01"}, "route_id"),
    ({"action": "record_date", "route_id": 1, "field": "filed_on", "date": "2026/01/01"}, "date"),
    ({"action": "record_date", "route_id": 1, "field": "filed_on", "date": "2026-02-30"}, "date"),
    ({"action": "close", "outcome": "recovered", "amount_recovered": "很多", "paid_by": "employer"},
     "amount_recovered"),
    ({"action": "close", "outcome": "recovered", "amount_recovered": True, "paid_by": "employer"},
     "amount_recovered"),
    ({"action": "close", "outcome": "recovered", "amount_recovered": "100"}, "paid_by"),
    ({"action": "close", "outcome": "won"}, "outcome"),
    ({"action": "close", "outcome": "withdrawn", "claimants": [{"id": "x"}]}, "claimants"),
    ({"action": "reopen"}, "reason"),
])
def test_bad_input_is_422_by_field(api, db, world, new_case, body, field) -> None:  # type: ignore[no-untyped-def]
    state = {"accept": "pending", "grant": "accepted", "request_materials": "accepted",
             "refuse": "accepted", "assign": "decided", "start_route": "assigned",
             "record_date": "in_progress", "close": "in_progress", "reopen": "closed"}
    action = body.get("action")
    start = state.get(action, "pending") if isinstance(action, str) else "pending"
    case = drive(db, world, new_case(), start)
    response = api("staff").client.post(f"/api/v1/cases/{case.id}/actions",
                                        headers=api("staff").headers(), json=body)
    errors = response.get_json().get("errors", {})
    assert response.status_code == 422 and field in errors, response.get_json()
    assert all(not message.isascii() for message in errors.values())  # in Chinese
    db.expire_all()
    assert db.get(Case, case.id).status == start


def test_a_body_must_be_a_small_json_object(api, db, world, new_case) -> None:  # type: ignore[no-untyped-def]
    case = new_case()
    staff = api("staff")
    url = f"/api/v1/cases/{case.id}/actions"
    not_json = staff.client.post(url, headers=staff.headers(), data="action=accept")
    assert not_json.status_code == 422 and "body" in not_json.get_json()["errors"]
    a_list = staff.client.post(url, headers=staff.headers(), json=["accept"])
    assert a_list.status_code == 422
    huge = staff.client.post(url, headers=staff.headers(),
                             json={"action": "accept", "pad": "x" * 40_000})
    assert huge.status_code == 413 and "32KB" in huge.get_json()["error"]
    db.expire_all()
    assert db.get(Case, case.id).status == "pending"


def test_tokens_only(client, api, db, world, new_case) -> None:  # type: ignore[no-untyped-def]
    case = new_case()
    paths = ["/api/v1/cases", f"/api/v1/cases/{case.id}"]
    for path in paths:
        bare = client.get(path)
        assert bare.status_code == 401 and "Bearer" in bare.get_json()["error"]
        assert bare.headers["WWW-Authenticate"].startswith("Bearer")
        wrong = client.get(path, headers={"Authorization": "Bearer wc_not-a-token"})
        assert wrong.status_code == 401 and "令牌无效" in wrong.get_json()["error"]
    # A logged-in browser's cookie is not a token: no CSRF through the API.
    login(client, "staff")
    assert client.get("/api/v1/cases").status_code == 401
    assert client.post(f"/api/v1/cases/{case.id}/actions",
                       json={"action": "accept"}).status_code == 401
    db.expire_all()
    assert db.get(Case, case.id).status == "pending"


def test_a_revoked_token_or_deactivated_account_is_401(api, db, world, new_case) -> None:  # type: ignore[no-untyped-def]
    case = new_case()
    staff = api("staff")
    assert staff.get(f"/api/v1/cases/{case.id}").status_code == 200
    token = db.scalar(select(User).where(User.username == "staff"))
    from wagechannel.accounts.models import ApiToken
    row = db.scalar(select(ApiToken).where(ApiToken.user_id == token.id))
    revoke_token(db, row.id)
    db.commit()
    revoked = staff.get(f"/api/v1/cases/{case.id}")
    assert revoked.status_code == 401 and "已停用" in revoked.get_json()["error"]
    assert staff.act(case.id, "accept").status_code == 401
    lawyer = api("lawyer")
    drive(db, world, case, "assigned")
    assert lawyer.get(f"/api/v1/cases/{case.id}").status_code == 200
    set_active(db.scalar(select(User).where(User.username == "lawyer")), False)
    db.commit()
    assert lawyer.get(f"/api/v1/cases/{case.id}").status_code == 401


def test_last_use_is_noted(api, db, world) -> None:  # type: ignore[no-untyped-def]
    from wagechannel.accounts.models import ApiToken
    staff = api("staff")
    assert staff.get("/api/v1/cases").status_code == 200
    db.expire_all()
    used = db.scalar(select(ApiToken.last_used_at))
    assert used is not None


def test_scoping_as_on_the_web(api, db, world, new_case) -> None:  # type: ignore[no-untyped-def]
    ours = drive(db, world, new_case(), "decided")
    theirs = new_case(name="王五", phone="13800138003", board=world.other_board)
    # Another centre's case does not exist for our staff, and ours not for theirs.
    staff = api("staff")
    assert staff.get(f"/api/v1/cases/{theirs.id}").status_code == 404
    assert staff.act(theirs.id, "accept").status_code == 404
    assert [item["id"] for item in staff.get("/api/v1/cases").get_json()["items"]] == [ours.id]
    other = api("other_staff")
    assert other.get(f"/api/v1/cases/{ours.id}").status_code == 404
    assert other.act(ours.id, "assign", lawyer="lawyer").status_code == 404
    assert staff.get("/api/v1/cases/999999").status_code == 404
    # The lawyer: only cases assigned to them.
    lawyer = api("lawyer")
    assert lawyer.get("/api/v1/cases").get_json()["items"] == []
    assert lawyer.get(f"/api/v1/cases/{ours.id}").status_code == 404
    assert lawyer.act(ours.id, "start_route", kind="mediation").status_code == 404
    workflow.assign(db, ours, world.users["legal_aid_staff"], lawyer=world.users["lawyer"])
    db.commit()
    assert [item["id"] for item in lawyer.get("/api/v1/cases").get_json()["items"]] == [ours.id]
    assert api("other_lawyer").get(f"/api/v1/cases/{ours.id}").status_code == 404
    # The contractor: nothing, anywhere.
    contractor = api("contractor")
    for response in (contractor.get("/api/v1/cases"), contractor.get(f"/api/v1/cases/{ours.id}"),
                     contractor.act(ours.id, "start_route", kind="mediation")):
        assert response.status_code == 403 and "不能使用" in response.get_json()["error"]
    # The admin sees both centres' cases.
    admin_ids = {item["id"] for item in api("admin").get("/api/v1/cases").get_json()["items"]}
    assert admin_ids == {ours.id, theirs.id}


def test_the_liaison_sees_masked_data_only_and_cannot_act(api, db, world, new_case) -> None:  # type: ignore[no-untyped-def]
    case = drive(db, world, new_case(name="张三丰", phone="13912345678"), "accepted")
    new_case(name="赵六", phone="13800138004", board=world.other_board)  # the other bureau's
    liaison = api("liaison")
    listed = liaison.get("/api/v1/cases").get_json()
    assert [item["id"] for item in listed["items"]] == [case.id]
    assert listed["items"][0]["claimants"][0]["name"] == "张**"
    body = liaison.get(f"/api/v1/cases/{case.id}").get_json()
    text = str(body)
    assert "张三丰" not in text and "13912345678" not in text
    assert body["claimants"][0]["name"] == "张**" and body["claimants"][0]["phone"] == "139****5678"
    assert body["allowed_actions"] == []
    refused = liaison.act(case.id, "grant", basis="commitment_41")
    assert refused.status_code == 403 and "不能" in refused.get_json()["error"]
    assert not db.scalars(select(AuditEvent).where(AuditEvent.action == "view_personal_data")).all()
    # The centre's staff see the worker's name and phone; the view is logged.
    full = api("staff").get(f"/api/v1/cases/{case.id}").get_json()
    assert full["claimants"][0]["name"] == "张三丰" and full["claimants"][0]["phone"] == "13912345678"
    assert full["claimants"][0]["amount_owed"] == "8500.00"
    views = db.scalars(select(AuditEvent).where(AuditEvent.action == "view_personal_data")).all()
    assert [(v.object_id, v.detail["via"]) for v in views] == [(str(case.id), "api")]
    # The admin sees it masked too.
    assert api("admin").get(f"/api/v1/cases/{case.id}").get_json()["claimants"][0]["name"] == "张**"


def add_reports(db, world, count: int, *, start: int = 0) -> None:  # type: ignore[no-untyped-def]
    for number in range(start, start + count):
        data = parse_lead({"name": f"工人{number}", "phone": f"139{number:08d}", "consent": True,
                           "employment_status": "ended", "work_end": "2026-06-01",
                           "amount_owed": str(1000 + number)}, today=TODAY)
        site = Site(board_id=world.board.id, project_id=world.project.id,
                    region_code=world.project.region_code)
        store_report(db, data, site=site, channel="qr", today=TODAY)


def test_the_queue_is_paged(api, db, world) -> None:  # type: ignore[no-untyped-def]
    add_reports(db, world, 55)
    staff = api("staff")
    first = staff.get("/api/v1/cases").get_json()
    assert (first["total"], first["page"], first["pages"], first["per_page"]) == (55, 1, 2, 50)
    assert len(first["items"]) == 50
    item = first["items"][0]
    assert item["status"] == "pending" and item["status_label"] == "待受理"
    assert item["claimants"][0]["name"].endswith("*") and item["worker_count"] == 1
    assert item["tier"] and item["tier_label"] and isinstance(item["priority_reasons"], list)
    assert item["limitation"]["kind"] == "arbitration" and item["limitation"]["last_day"]
    second = staff.get("/api/v1/cases?page=2").get_json()
    assert len(second["items"]) == 5 and second["page"] == 2
    assert {i["id"] for i in first["items"]}.isdisjoint({i["id"] for i in second["items"]})
    assert staff.get("/api/v1/cases?page=abc").get_json()["page"] == 1


@pytest.mark.parametrize("user", ["staff", "liaison", "admin", "lawyer"])
def test_the_queue_costs_the_same_statements_at_two_sizes(api, db, world, count_statements,  # type: ignore[no-untyped-def]
                                                         user) -> None:
    add_reports(db, world, 3)
    if user == "lawyer":
        for case in db.scalars(select(Case)):
            drive(db, world, case, "assigned")
    client = api(user)
    assert client.get("/api/v1/cases").status_code == 200  # the token's first use noted
    small = count_statements(lambda: client.get("/api/v1/cases"))
    add_reports(db, world, 70, start=100)
    if user == "lawyer":
        for case in db.scalars(select(Case).where(Case.status == "pending")):
            drive(db, world, case, "assigned")
    large = count_statements(lambda: client.get("/api/v1/cases?state=" + (
        "assigned" if user == "lawyer" else "pending")))
    assert large == small, f"{small} statements with 3 cases, {large} with 73"
    assert client.get("/api/v1/cases").get_json()["total"] == 73


def test_the_queue_filters(api, db, world, new_case, make_project) -> None:  # type: ignore[no-untyped-def]
    first = drive(db, world, new_case(), "in_progress")
    second = drive(db, world, new_case(name="李四", phone="13800138002"), "accepted")
    staff = api("staff")

    def ids(query: str) -> list[int]:
        response = staff.get("/api/v1/cases" + query)
        assert response.status_code == 200, response.get_json()
        return sorted(item["id"] for item in response.get_json()["items"])

    assert ids("") == sorted([first.id, second.id])
    assert ids("?state=accepted") == [second.id]
    assert ids("?route=arbitration") == [first.id]
    assert ids("?route=mediation") == []
    assert ids("?lawyer=lawyer") == [first.id]
    assert ids(f"?project={world.project.id}") == sorted([first.id, second.id])
    assert ids(f"?project={world.other_project.id}") == []
    assert ids(f"?contractor={world.contractor.id}") == sorted([first.id, second.id])
    assert ids(f"?contractor={world.other_contractor.id}") == []
    assert ids(f"?tier={first.tier}&state=in_progress") == [first.id]
    closed = drive(db, world, new_case(name="王五", phone="13800138005"), "closed")
    assert closed.id not in ids("")  # the queue holds open cases unless asked
    assert ids("?state=closed") == [closed.id]
    assert ids("?state=all") == sorted([first.id, second.id, closed.id])
    assert ids("?age=0") == sorted([first.id, second.id])
    assert ids("?age=3") == []
    bad = staff.get("/api/v1/cases?tier=hot&project=x&age=-1&state=done")
    assert bad.status_code == 422 and set(bad.get_json()["errors"]) == {"tier", "project", "age",
                                                                  "state"}


def test_the_openapi_document_describes_the_staff_api(client) -> None:  # type: ignore[no-untyped-def]
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": document["components"][
            "securitySchemes"]["bearerAuth"]["description"]}
    paths = document["paths"]
    for path, method in [("/api/v1/cases", "get"), ("/api/v1/cases/{case_id}", "get"),
                         ("/api/v1/cases/{case_id}/actions", "post")]:
        operation = paths[path][method]
        assert operation["security"] == [{"bearerAuth": []}]
        assert {"401", "404"} <= set(operation["responses"]) or path == "/api/v1/cases"
    actions = paths["/api/v1/cases/{case_id}/actions"]["post"]
    assert {"200", "401", "403", "404", "409", "413", "422"} <= set(actions["responses"])
    variants = actions["requestBody"]["content"]["application/json"]["schema"]["oneOf"]
    assert {variant["properties"]["action"]["const"] for variant in variants} == \
        set(TRANSITIONS) | {"refer_to_bureau"}
    close = next(v for v in variants if v["properties"]["action"]["const"] == "close")
    assert set(close["properties"]["outcome"]["enum"]) >= {"recovered", "partial"}
    filters = {p["name"] for p in paths["/api/v1/cases"]["get"]["parameters"]}
    assert filters >= {"page", "tier", "state", "route", "lawyer", "project", "contractor", "age"}
    assert "security" not in paths["/api/v1/leads"]["post"]  # the public API needs no token


@pytest.mark.parametrize("state", STATES)
def test_refer_to_the_bureau_from_every_state(api, db, world, new_case, state) -> None:  # type: ignore[no-untyped-def]
    case = drive(db, world, new_case(), state)
    staff = api("staff")
    offered = "refer_to_bureau" in [a["action"] for a in staff.get(
        f"/api/v1/cases/{case.id}").get_json()["allowed_actions"]]
    response = staff.act(case.id, "refer_to_bureau", consent_note="工人11月30日电话同意")
    body = response.get_json()
    if state == "closed":
        assert not offered and response.status_code == 409 and "已结案" in body["error"]
        return
    assert offered and response.status_code == 200, body
    assert body["status"] == state  # the case stays where it was, with its centre
    assert body["referrals"][0]["status"] == "referred"
    assert body["referrals"][0]["consent_note"] == "工人11月30日电话同意"
    assert "refer_to_bureau" not in [a["action"] for a in body["allowed_actions"]]
    again = staff.act(case.id, "refer_to_bureau", consent_note="再转一次")
    assert again.status_code == 409 and "重复" in again.get_json()["error"]
    # The liaison sees the referral on the case, masked, and may not refer.
    seen = api("liaison").get(f"/api/v1/cases/{case.id}").get_json()
    assert seen["referrals"][0]["status"] == "referred" and seen["claimants"][0]["name"] == "张*"
    assert api("liaison").act(case.id, "refer_to_bureau", consent_note="x").status_code == 403


def test_a_referral_needs_the_workers_consent(api, db, world, new_case) -> None:  # type: ignore[no-untyped-def]
    case = new_case()
    missing = api("staff").act(case.id, "refer_to_bureau")
    assert missing.status_code == 422 and "同意" in missing.get_json()["errors"]["consent_note"]
    wrong = api("staff").act(case.id, "refer_to_bureau", consent_note=["是"])
    assert wrong.status_code == 422 and "consent_note" in wrong.get_json()["errors"]


def test_a_hometown_centre_reads_a_shared_case_masked_and_cannot_act(api, db, world, new_case) -> None:  # type: ignore[no-untyped-def]
    from wagechannel.cases.cooperation import share_case
    case = drive(db, world, new_case(name="张三丰", phone="13912345678"), "accepted")
    hometown = api("other_staff")
    assert hometown.get(f"/api/v1/cases/{case.id}").status_code == 404
    share_case(db, case, world.users["legal_aid_staff"], organisation_id=world.other_centre.id)
    db.commit()
    body = hometown.get(f"/api/v1/cases/{case.id}").get_json()
    assert body["id"] == case.id and body["allowed_actions"] == []
    assert "张三丰" not in str(body) and "13912345678" not in str(body)
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "view_shared_case",
                                              AuditEvent.object_id == str(case.id))) is not None
    assert hometown.act(case.id, "grant", basis="commitment_41").status_code == 404
    assert case.id not in [i["id"] for i in hometown.get("/api/v1/cases").get_json()["items"]]
