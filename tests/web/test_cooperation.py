"""Hometown cooperation and referral to the HR bureau, through the pages: who sees what, what
each side may do, what is logged, and lists that do not grow in statements."""
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token, login
from wagechannel.accounts.models import AuditEvent
from wagechannel.cases.cooperation import refer_to_bureau, share_case
from wagechannel.cases.models import Alert, Case, Referral
from wagechannel.cases.routing import route_lead
from wagechannel.clock import local_today
from wagechannel.intake.services import store_lead
from wagechannel.intake.validation import parse_lead

def new_case(db, world, number: int = 0, **fields: str) -> Case:  # type: ignore[no-untyped-def]
    data = parse_lead({"name": "张三丰", "phone": f"1380013{number:04d}", "consent": True,
                       "employment_status": "ended", "work_end": "2026-10-31",
                       "hometown": "河南省周口市", "amount_owed": "8500", **fields},
                      today=date(2026, 11, 30))
    case = route_lead(db, store_lead(db, data, board=world.board, channel="qr"),
                      today=date(2026, 11, 30))
    db.commit()
    return case


def post(client, url: str, data: dict[str, str], token_from: str):  # type: ignore[no-untyped-def]
    return client.post(url, data={"csrf_token": csrf_token(client, token_from), **data})


def action_forms(page: str) -> list[str]:
    """Every form on a page but the header's logout."""
    return [action for action in re.findall(r'<form[^>]*action="([^"]*)"', page)
            if action != "/logout"]


# --- sharing ---------------------------------------------------------------------------------

def test_staff_share_and_unshare_from_the_case_page(client, db, world) -> None:  # type: ignore[no-untyped-def]
    case = new_case(db, world)
    login(client, "staff")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "异地协作" in page and "河南省周口市" in page  # the worker's hometown helps choose
    assert f'<option value="{world.other_centre.id}">' in page
    response = post(client, f"/cases/{case.id}/shares",
                    {"organisation_id": str(world.other_centre.id)}, f"/cases/{case.id}")
    assert response.status_code == 303
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "取消共享" in page and world.other_centre.name in page

    # A bad choice: the message on the field, the page again, never a 500.
    response = post(client, f"/cases/{case.id}/shares", {"organisation_id": "abc"},
                    f"/cases/{case.id}")
    assert response.status_code == 422
    assert "请选择要共享的法律援助中心" in response.get_data(as_text=True)

    response = post(client, f"/cases/{case.id}/shares/{world.other_centre.id}/delete", {},
                    f"/cases/{case.id}")
    assert response.status_code == 303
    actions = list(db.scalars(select(AuditEvent.action).where(
        AuditEvent.object_type == "case", AuditEvent.object_id == str(case.id),
        AuditEvent.action.in_(["case_share", "case_unshare"])).order_by(AuditEvent.id)))
    assert actions == ["case_share", "case_unshare"]


def test_the_shared_list_shows_only_cases_shared_with_the_users_centre(client, db, world) -> None:  # type: ignore[no-untyped-def]
    shared, kept = new_case(db, world, 1), new_case(db, world, 2)
    share_case(db, shared, world.users["legal_aid_staff"], organisation_id=world.other_centre.id)
    db.commit()
    login(client, "other_staff")
    page = client.get("/cases/shared").get_data(as_text=True)
    assert shared.number in page and kept.number not in page
    assert "张**" in page and "张三丰" not in page and "13800130001" not in page
    assert world.centre.name in page
    login(client, "staff")  # its own centre shared it: nothing shared *with* it
    page = client.get("/cases/shared").get_data(as_text=True)
    assert shared.number not in page and "还没有其他中心共享" in page
    for user in ("lawyer", "liaison", "contractor", "other_lawyer"):
        login(client, user)
        assert client.get("/cases/shared").status_code == 403


def test_a_shared_case_opens_read_only_masked_and_logged(client, db, world) -> None:  # type: ignore[no-untyped-def]
    case = new_case(db, world)
    share_case(db, case, world.users["legal_aid_staff"], organisation_id=world.other_centre.id)
    db.commit()
    login(client, "other_staff")
    response = client.get(f"/cases/{case.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert case.number in page and "只能查看" in page
    assert "张**" in page and "张三丰" not in page and "13800130000" not in page
    assert action_forms(page) == []  # no actions, no messages, no sharing, no referral
    views = db.scalars(select(AuditEvent).where(AuditEvent.action == "view_shared_case",
                                                AuditEvent.object_id == str(case.id))).all()
    assert len(views) == 1 and views[0].actor_id == world.other_users["legal_aid_staff"].id

    # Unshared: not found again, and gone from the list.
    login(client, "staff")
    post(client, f"/cases/{case.id}/shares/{world.other_centre.id}/delete", {},
         f"/cases/{case.id}")
    login(client, "other_staff")
    assert client.get(f"/cases/{case.id}").status_code == 404
    assert case.number not in client.get("/cases/shared").get_data(as_text=True)


def test_every_post_on_a_shared_case_is_refused(app, client, db, world) -> None:  # type: ignore[no-untyped-def]
    """Whatever POST route the case pages have (this module's, the workflow's, messages,
    contacts), the hometown centre's staff get 403 or 404 on a case shared with them."""
    case = new_case(db, world)
    referral = refer_to_bureau(db, case, world.users["legal_aid_staff"], consent_note="同意")
    share_case(db, case, world.users["legal_aid_staff"], organisation_id=world.other_centre.id)
    db.commit()
    values = {"case_id": case.id, "lead_id": case.leads[0].id, "referral_id": referral.id,
              "organisation_id": world.other_centre.id, "step": "accept",
              "file_id": 1, "route_id": 1, "claimant_id": case.claimants[0].id}
    login(client, "other_staff")
    token = csrf_token(client, "/cases/shared")
    tried = []
    for rule in app.url_map.iter_rules():
        if "POST" not in (rule.methods or ()) or rule.rule.startswith("/api/") or not (
                set(rule.arguments) & {"case_id", "referral_id", "lead_id"}):
            continue  # the API authenticates by token, not by this session
        url = rule.build({name: values.get(name, 1) for name in rule.arguments})[1]
        response = client.post(url, data={"csrf_token": token, "body": "你好",
                                          "consent_note": "同意", "on": local_today().isoformat(),
                                          "organisation_id": str(world.other_centre.id)})
        tried.append(url)
        assert response.status_code in (403, 404), (url, response.status_code)
    assert f"/cases/{case.id}/referrals" in tried and f"/cases/{case.id}/shares" in tried
    assert db.scalars(select(Referral)).all() == [referral] and referral.status == "referred"


# --- referral to the HR bureau ---------------------------------------------------------------

def test_a_referral_needs_consent_and_keeps_what_was_typed(client, db, world) -> None:  # type: ignore[no-untyped-def]
    case = new_case(db, world)
    login(client, "staff")
    response = post(client, f"/cases/{case.id}/referrals", {"consent_note": "  "},
                    f"/cases/{case.id}")
    assert response.status_code == 422
    assert "请填写工人同意转交的情况" in response.get_data(as_text=True)
    long_note = "工人同意" + "很" * 2000
    response = post(client, f"/cases/{case.id}/referrals", {"consent_note": long_note},
                    f"/cases/{case.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "太长了" in page and long_note in page
    assert db.scalars(select(Referral)).all() == []


def test_the_whole_exchange_with_the_bureau(client, db, world) -> None:  # type: ignore[no-untyped-def]
    case = new_case(db, world)
    login(client, "staff")
    response = post(client, f"/cases/{case.id}/referrals",
                    {"consent_note": "12月1日电话确认，工人同意转人社部门"}, f"/cases/{case.id}")
    assert response.status_code == 303
    referral = db.scalars(select(Referral)).one()
    assert db.scalar(select(Alert).where(Alert.organisation_id == world.bureau.id,
                                         Alert.kind == "referral")) is not None
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "已转人社部门" in page and "转人社部门</button>" not in page  # no second referral
    again = post(client, f"/cases/{case.id}/referrals", {"consent_note": "再次同意"},
                 f"/cases/{case.id}")
    assert again.status_code == 422 and "不能重复转交" in again.get_data(as_text=True)
    assert db.get(Case, case.id).status == "pending"  # the case stays where it was

    login(client, "liaison")
    queue = client.get("/referrals").get_data(as_text=True)
    assert case.number in queue and "张**" in queue
    assert "张三丰" not in queue and "13800130000" not in queue
    assert "5个工作日" in queue and world.centre.name in queue
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "张三丰" not in page and "13800130000" not in page
    assert "12月1日电话确认" in page  # the consent the bureau relies on

    today = local_today()
    url = f"/referrals/{referral.id}"
    bad = post(client, f"{url}/accept", {"on": "2026-02-30"}, f"/cases/{case.id}")
    assert bad.status_code == 422
    bad_page = bad.get_data(as_text=True)
    assert "日期格式不对" in bad_page and 'value="2026-02-30"' in bad_page
    future = (today + timedelta(days=3)).isoformat()
    assert "晚于今天" in post(client, f"{url}/accept", {"on": future},
                             f"/cases/{case.id}").get_data(as_text=True)
    assert post(client, f"{url}/accept", {"on": today.isoformat()},
                f"/cases/{case.id}").status_code == 303
    assert post(client, f"{url}/order", {"on": today.isoformat()},
                f"/cases/{case.id}").status_code == 303
    no_note = post(client, f"{url}/resolve", {"on": today.isoformat(), "note": ""},
                   f"/cases/{case.id}")
    assert no_note.status_code == 422 and "请填写处理结果" in no_note.get_data(as_text=True)
    assert post(client, f"{url}/resolve", {"on": today.isoformat(),
                                           "note": "用人单位已按责令支付全部工资"},
                f"/cases/{case.id}").status_code == 303

    actions = list(db.scalars(select(AuditEvent.action).where(
        AuditEvent.object_type == "case", AuditEvent.object_id == str(case.id),
        AuditEvent.action.like("case_refer%")).order_by(AuditEvent.id)))
    assert actions == ["case_refer_to_bureau", "case_referral_accept", "case_referral_order",
                       "case_referral_resolve"]

    login(client, "staff")  # the centre sees what the bureau recorded
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "已处理完毕" in page and "用人单位已按责令支付全部工资" in page
    assert page.count(today.isoformat()) >= 3  # accepted, ordered, resolved
    assert "转人社部门</button>" in page  # finished: a new referral may follow


def test_the_bureau_may_refuse_with_a_reason(client, db, world) -> None:  # type: ignore[no-untyped-def]
    case = new_case(db, world)
    referral = refer_to_bureau(db, case, world.users["legal_aid_staff"], consent_note="同意")
    db.commit()
    login(client, "liaison")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "记录：受理" in page and "记录：不予受理" in page and "记录：责令支付" not in page
    response = post(client, f"/referrals/{referral.id}/decline",
                    {"on": local_today().isoformat(), "note": "不属于本部门管辖"}, f"/cases/{case.id}")
    assert response.status_code == 303
    login(client, "staff")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "人社部门不予受理" in page and "不属于本部门管辖" in page


def test_another_bureau_and_the_contractor_see_nothing(client, db, world) -> None:  # type: ignore[no-untyped-def]
    case = new_case(db, world)
    referral = refer_to_bureau(db, case, world.users["legal_aid_staff"], consent_note="同意")
    db.commit()
    login(client, "other_liaison")
    assert case.number not in client.get("/referrals").get_data(as_text=True)
    assert client.get(f"/cases/{case.id}").status_code == 404
    token = csrf_token(client, "/referrals")
    for step in ("accept", "decline", "nonsense"):
        assert client.post(f"/referrals/{referral.id}/{step}",
                           data={"csrf_token": token, "on": local_today().isoformat(),
                                 "note": "x"}).status_code == 404
    assert db.get(Referral, referral.id).status == "referred"
    login(client, "contractor")
    assert client.get("/referrals").status_code == 403
    assert client.get(f"/cases/{case.id}").status_code in (403, 404)


def test_staff_and_lawyers_cannot_answer_for_the_bureau(client, db, world) -> None:  # type: ignore[no-untyped-def]
    case = new_case(db, world)
    referral = refer_to_bureau(db, case, world.users["legal_aid_staff"], consent_note="同意")
    db.commit()
    for user in ("staff", "lawyer"):
        login(client, user)
        assert client.post(f"/referrals/{referral.id}/accept",
                           data={"csrf_token": csrf_token(client, "/cases"),
                                 "on": local_today().isoformat()}).status_code == 403
        assert client.get("/referrals").status_code == 403
    login(client, "liaison")  # and the liaison cannot refer or share
    token = csrf_token(client, "/referrals")
    assert client.post(f"/cases/{case.id}/referrals",
                       data={"csrf_token": token, "consent_note": "同意"}).status_code == 403
    assert client.post(f"/cases/{case.id}/shares",
                       data={"csrf_token": token, "organisation_id": "1"}).status_code == 403


# --- lists at scale ------------------------------------------------------------------------

def add_shared_and_referred(db, world, count: int, start: int) -> None:  # type: ignore[no-untyped-def]
    staff = world.users["legal_aid_staff"]
    for number in range(start, start + count):
        case = new_case(db, world, number)
        share_case(db, case, staff, organisation_id=world.other_centre.id)
        refer_to_bureau(db, case, staff, consent_note="工人同意")
    db.commit()


@pytest.mark.parametrize("path,user", [("/cases/shared", "other_staff"), ("/referrals", "liaison"),
                                       ("/cases/shared", "admin"), ("/referrals", "admin")])
def test_the_lists_cost_the_same_statements_at_two_sizes(client, db, world, count_statements,  # type: ignore[no-untyped-def]
                                                         path, user) -> None:
    add_shared_and_referred(db, world, 3, 0)
    login(client, user)
    small = count_statements(lambda: client.get(path))
    add_shared_and_referred(db, world, 60, 100)
    large = count_statements(lambda: client.get(path))
    assert large == small, f"{path}: {small} statements with 3 rows, {large} with 63"
    page = client.get(path).get_data(as_text=True)
    assert "共 63 条" in page and page.count('data-label="案号"') == 50
    assert f'href="{path}?page=2"' in page
    assert 'class="stack"' in page
