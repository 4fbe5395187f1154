import re

from sqlalchemy import func, select

from tests.conftest import VALID_LEAD, report_form
from wagechannel.intake.models import Lead


def post_report(client, token, **overrides):  # type: ignore[no-untyped-def]
    return client.post(f"/s/{token}", data=report_form(client, f"/s/{token}", **overrides))


def test_form_names_the_site(client, world) -> None:  # type: ignore[no-untyped-def]
    page = client.get(f"/s/{world.board.token}").get_data(as_text=True)
    assert world.project.name in page and world.project.address in page
    assert world.contractor.name in page
    assert 'name="phone"' in page and "12348" in page


def test_token_is_read_case_insensitively(client, world) -> None:  # type: ignore[no-untyped-def]
    assert client.get(f"/s/{world.board.token.lower()}").status_code == 200


def test_a_report_is_stored_routed_and_gets_a_receipt(client, db, world) -> None:  # type: ignore[no-untyped-def]
    response = post_report(client, world.board.token)
    assert response.status_code == 303
    code = re.search(r"/q/([0-9A-Z]{8})\?new=1$", response.headers["Location"]).group(1)
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    assert code in receipt and "截屏" in receipt and "等待受理" in receipt
    lead = db.scalar(select(Lead).where(Lead.code == code))
    assert lead.name == "张三" and lead.phone == "13800138001"
    assert lead.amount_owed_fen == 850000 and lead.board_id == world.board.id
    assert lead.case.legal_aid_org_id == world.centre.id
    assert lead.channel == "qr"


def test_invalid_input_keeps_everything_typed(client, db, world) -> None:  # type: ignore[no-untyped-def]
    before = db.scalar(select(func.count(Lead.id)))
    response = post_report(client, world.board.token, phone="12345", amount_owed="很多",
                           consent=None, description="老板跑了<script>")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "手机号码应为11位数字" in page and "请填写数字金额" in page and "需要您同意" in page
    assert 'value="12345"' in page and 'value="很多"' in page and 'value="张三"' in page
    assert 'value="王老板"' in page and "老板跑了&lt;script&gt;" in page
    assert 'value="2026-03-01"' in page
    assert db.scalar(select(func.count(Lead.id))) == before


def test_a_missing_form_token_shows_the_form_again_with_input(client, world) -> None:  # type: ignore[no-untyped-def]
    response = client.post(f"/s/{world.board.token}", data={**VALID_LEAD, "csrf_token": "stale"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "您填的内容都还在" in page and 'value="张三"' in page and 'value="13800138001"' in page


def test_unknown_board_gets_a_helpful_page(client, db) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/s/NOSUCHTOKN")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "找不到这块告示牌" in page and "12348" in page and "12333" in page
    assert client.get("/s/" + "x" * 500).status_code == 404


def test_receipt_lookup(client, world) -> None:  # type: ignore[no-untyped-def]
    code = post_report(client, world.board.token).headers["Location"].split("/q/")[1][:8]
    assert client.get(f"/q?code={code.lower()}").headers["Location"].endswith(f"/q/{code}")
    page = client.get(f"/q/{code}").get_data(as_text=True)
    assert code in page and "13800138001" not in page and "张三" not in page
    missing = client.get("/q/ZZZZZZZZ")
    assert missing.status_code == 404 and "没有找到这个查询码" in missing.get_data(as_text=True)
    assert client.get("/q").status_code == 200


def test_home_page_for_workers(client, db) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/").get_data(as_text=True)
    assert "扫描" in page and "12348" in page


def test_a_board_number_can_be_typed_in(client, world) -> None:  # type: ignore[no-untyped-def]
    assert "二维码下面的编号" in client.get("/s").get_data(as_text=True)
    response = client.get(f"/s?token={world.board.token.lower()}")
    assert response.headers["Location"].endswith(f"/s/{world.board.token}")
    wrong = client.get("/s?token=WRONG")
    assert wrong.status_code == 404 and 'value="WRONG"' in wrong.get_data(as_text=True)
