"""Boards on the web: print formats, completeness, revoke and reissue, scans, batches."""
import io
import re
import zipfile
from datetime import date, datetime, timedelta, timezone

import pypdfium2
import zxingcpp
from PIL import Image
from sqlalchemy import select

from tests.conftest import COMPLETE_PROJECT, csrf_token, login, report_form
from wagechannel.boards.models import Board, BoardScan
from wagechannel.intake.models import Lead


def test_every_format_downloads_with_the_right_qr(client, world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.users["contractor"].username)
    url = f"http://wc.test/s/{world.board.token}"
    preview = client.get(f"/boards/{world.board.id}/download?format=preview&size=A3")
    assert preview.status_code == 200 and preview.mimetype == "image/png"
    image = Image.open(io.BytesIO(preview.data))
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [url]
    pdf = client.get(f"/boards/{world.board.id}/download?format=pdf&size=A2")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    page = pypdfium2.PdfDocument(pdf.data)[0]
    assert [r.text for r in zxingcpp.read_barcodes(page.render(scale=1).to_pil())] == [url]
    card = client.get(f"/boards/{world.board.id}/download?format=pdf&size=A5")
    assert card.status_code == 200
    assert client.get(f"/boards/{world.board.id}/download?format=pdf&size=B9").status_code == 404
    assert client.get(f"/boards/{world.board.id}/download?format=gif").status_code == 404


def test_html_view_has_every_art34_item(client, world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.users["contractor"].username)
    html = client.get(f"/boards/{world.board.id}/download?format=html&size=A2").get_data(as_text=True)
    assert "<svg" in html and "@page" in html and "420.0mm 594.0mm" in html
    text = re.sub(r"<[^>]+>", "", html)
    for value in ("测试置业有限公司", world.contractor.name, "测试工程项目部", "测试劳务有限公司",
                  "测试区住房和建设局", "0755-26652888", "李专管", "13800000001", "2520元/月",
                  "每月15日", "12333", "0755-26665678", "测试区劳动人事争议仲裁委员会",
                  "测试区仲裁路1号", "0755-26668888", world.centre.name, "援助路1号", "0755-1234567",
                  "12348", world.board.token):
        assert value in text, value


def test_revoke_and_reissue_keeps_old_qr_working(client, db, world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.users["contractor"].username)
    project_url = f"/projects/{world.project.id}"
    response = client.post(f"/boards/{world.board.id}/revoke",
                           data={"csrf_token": csrf_token(client, project_url), "reason": "defaced"})
    assert response.status_code == 303
    db.expire_all()
    old = db.get(Board, world.board.id)
    assert not old.active and old.replaced_by is not None and old.replaced_by.active
    assert old.replaced_by.token != old.token
    page = client.get(project_url).get_data(as_text=True)
    assert old.replaced_by.token in page and "已作废（污损看不清）" in page
    # the old board's QR: a page that says it was replaced, with hotlines, and still a form
    worker = client.get(f"/s/{old.token}").get_data(as_text=True)
    assert "已经更换" in worker and "12348" in worker and world.project.name in worker
    data = report_form(client, f"/s/{old.token}")
    receipt = client.post(f"/s/{old.token}", data=data)
    assert receipt.status_code == 303
    lead = db.scalar(select(Lead).order_by(Lead.id.desc()))
    assert lead.project_id == world.project.id and lead.case is not None
    # a revoked board cannot be printed, nor revoked twice
    assert client.get(f"/boards/{old.id}/download?format=pdf").status_code == 409


def test_other_roles_cannot_revoke(client, world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.users["bureau_liaison"].username)
    token = csrf_token(client, "/cases")
    assert client.post(f"/boards/{world.board.id}/revoke",
                       data={"csrf_token": token, "reason": "stolen"}).status_code == 403
    login(client, world.users["contractor"].username)
    assert client.post(f"/boards/{world.other_board.id}/revoke",
                       data={"csrf_token": token, "reason": "stolen"}).status_code == 404


def test_add_board(client, db, world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.users["contractor"].username)
    url = f"/projects/{world.project.id}"
    client.post(f"/projects/{world.project.id}/boards", data={"csrf_token": csrf_token(client, url)})
    assert len(db.scalars(select(Board).where(Board.project_id == world.project.id)).all()) == 2


def test_reloading_a_board_counts_one_scan(client, db, world) -> None:  # type: ignore[no-untyped-def]
    """Security finding 9: 30 GETs from one address were 30 scans, enough to hide a board that
    was torn down. Now an address counts once per board per day."""
    for _ in range(30):
        assert client.get(f"/s/{world.board.token}").status_code == 200
    rows = db.scalars(select(BoardScan).where(BoardScan.board_id == world.board.id)).all()
    assert len(rows) == 1 and rows[0].count == 1
    login(client, world.users["contractor"].username)
    page = client.get(f"/projects/{world.project.id}").get_data(as_text=True)
    assert '<td data-label="近30天扫码">1 次</td>' in page
    assert "收到的线索" not in page  # a contractor never sees a count of leads
    login(client, world.users["bureau_liaison"].username)
    assert "收到的线索" in client.get(f"/projects/{world.project.id}").get_data(as_text=True)


def test_scans_from_different_addresses_each_count(client, db, world) -> None:  # type: ignore[no-untyped-def]
    for number in range(3):
        for _ in range(2):
            client.get(f"/s/{world.board.token}", environ_base={"REMOTE_ADDR": f"10.1.0.{number}"})
    rows = db.scalars(select(BoardScan).where(BoardScan.board_id == world.board.id)).all()
    assert [row.count for row in rows] == [3]


def test_silent_boards_are_listed_for_the_bureau(client, db, world) -> None:  # type: ignore[no-untyped-def]
    long_ago = datetime.now(timezone.utc) - timedelta(days=60)
    world.board.created_at = long_ago  # never scanned since
    world.other_board.created_at = long_ago
    db.add(BoardScan(board_id=world.other_board.id, day=date.today() - timedelta(days=2), count=1))
    db.commit()
    login(client, world.users["bureau_liaison"].username)
    page = client.get("/boards/stale").get_data(as_text=True)
    stale = page.split('id="stale"')[1].split("</table>")[0]
    assert world.board.token in stale and "从来没有人扫过" in stale
    assert world.other_board.token not in page
    login(client, world.other_users["bureau_liaison"].username)
    page = client.get("/boards/stale").get_data(as_text=True)
    assert world.board.token not in page and 'id="stale-empty"' in page
    login(client, world.users["contractor"].username)
    assert client.get("/boards/stale").status_code == 403


def test_a_new_board_nobody_scanned_is_shown_as_new_not_as_silent(client, db, world) -> None:  # type: ignore[no-untyped-def]
    from wagechannel.boards.services import issue_board
    world.board.created_at = datetime.now(timezone.utc) - timedelta(days=45)
    db.add(BoardScan(board_id=world.board.id, day=date.today(), count=2))
    fresh = issue_board(db, world.project)  # today, no scans
    db.commit()
    login(client, world.users["bureau_liaison"].username)
    page = client.get("/boards/stale").get_data(as_text=True)
    # nothing is silent, and the page does not claim every board was scanned
    assert 'id="stale-empty"' in page and "都有人扫过" not in page
    new = page.split('id="new-boards"')[1].split("</table>")[0]
    assert fresh.token in new and world.board.token not in page


def test_batch_of_a_contractor(client, db, make_project, world) -> None:  # type: ignore[no-untyped-def]
    from wagechannel.boards.services import issue_board
    second = make_project(contractor=world.contractor, name="第二个工地")
    issue_board(db, second)
    incomplete = make_project(contractor=world.contractor, name="缺信息的工地",
                              arbitration_phone="")
    issue_board(db, incomplete)
    db.commit()
    login(client, world.users["contractor"].username)
    page = client.get("/boards/batch").get_data(as_text=True)
    assert 'id="ready-count">2<' in page and "缺信息的工地" in page and "仲裁委电话" in page
    pdf = client.get("/boards/batch?size=A3&format=pdf&download=1")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert len(pypdfium2.PdfDocument(pdf.data)) == 2
    archive = client.get("/boards/batch?size=A5&format=zip&download=1")
    names = zipfile.ZipFile(io.BytesIO(archive.data)).namelist()
    assert len(names) == 2 and f"{world.board.token}.png" in names
    other = client.get(f"/boards/batch?contractor_id={world.other_contractor.id}")
    assert other.status_code == 422


def test_batch_of_a_region_for_the_bureau(client, db, world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.users["bureau_liaison"].username)
    page = client.get("/boards/batch?region_code=440305").get_data(as_text=True)
    assert 'id="ready-count">1<' in page
    assert client.get("/boards/batch?region_code=440304").status_code == 422


def test_cli_board_render(runner, db, world, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from wagechannel.cli import main
    monkeypatch.setattr("wagechannel.cli._app", lambda: runner.app)
    output = tmp_path / "boards.pdf"
    result = runner.invoke(main, ["board", "render", "--region", "440000", "--size", "A3",
                                  "--format", "pdf", "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert len(pypdfium2.PdfDocument(output.read_bytes())) == 2
    png = tmp_path / "one.png"
    result = runner.invoke(main, ["board", "render", "--project", str(world.project.id),
                                  "--size", "A5", "--format", "png", "--dpi", "100",
                                  "--output", str(png)])
    assert result.exit_code == 0, result.output
    image = Image.open(png)
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [f"http://wc.test/s/{world.board.token}"]
    several = runner.invoke(main, ["board", "render", "--region", "440000", "--format", "png",
                                   "--output", str(png)])
    assert several.exit_code != 0 and "--format zip" in several.output
    neither = runner.invoke(main, ["board", "render", "--output", str(png)])
    assert neither.exit_code != 0


def test_unknown_token_and_lowercase(client, db, world) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/s/ZZZZZZZZZZ")
    assert response.status_code == 404 and "12333" in response.get_data(as_text=True)
    assert COMPLETE_PROJECT  # the fixture projects are complete


def board_text(client, board_id: int) -> str:  # type: ignore[no-untyped-def]
    html = client.get(f"/boards/{board_id}/download?format=html&size=A2").get_data(as_text=True)
    return re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", html))


def test_the_board_shows_the_local_inspection_number_and_the_pay_day_rule(client, db, world) -> None:  # type: ignore[no-untyped-def]
    """Art. 34(3): the local labour-inspection number, with 12333 beside it as what it is;
    art. 14: which month's wages, and holidays and rest days move pay day earlier."""
    login(client, world.users["contractor"].username)
    pdf = client.get(f"/boards/{world.board.id}/download?format=pdf&size=A2")
    printed = re.sub(r"\s+", "", pypdfium2.PdfDocument(pdf.data)[0].get_textpage().get_text_range())
    for text in (board_text(client, world.board.id), printed):
        inspection = text.split("劳动保障监察投诉：")[1]
        assert inspection.startswith("本地0755-26665678")
        assert inspection.index("0755-26665678") < inspection.index("全国人社服务热线12333")
        assert "劳动保障监察12333" not in text and "劳动保障监察：12333" not in text
        assert "本地劳动保障监察0755-26665678" in text  # among the large hotlines too
        assert "工资支付日期：每月15日前支付上月工资（遇法定节假日或休息日提前支付）" in text
        assert "仲裁时效一般为离职后一年，请尽早反映。" in text
        assert "全国根治欠薪线索反映平台" in text and "国务院客户端" in text
        assert "不会告诉老板" not in text and "本平台不会告诉施工单位或老板是谁反映的" in text


def test_the_arrears_platform_line_is_the_contractors_choice(client, db, world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.users["contractor"].username)
    url = f"/projects/{world.project.id}/edit"
    form = client.get(url).get_data(as_text=True)
    assert 'name="show_arrears_platform" value="1" checked' in form  # on unless turned off
    data = {"name": world.project.name, "address": world.project.address,
            "region_code": "440305", **COMPLETE_PROJECT, "show_arrears_platform": "0",
            "csrf_token": csrf_token(client, url)}
    assert client.post(url, data=data).status_code == 303
    text = board_text(client, world.board.id)
    assert "全国根治欠薪线索反映平台" not in text and "仲裁时效一般为离职后一年" in text
    assert "不印" in client.get(f"/projects/{world.project.id}").get_data(as_text=True)


def test_a_liaisons_batch_without_a_region_is_an_error_on_the_field(client, db, world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.users["bureau_liaison"].username)
    first = client.get("/boards/batch")
    assert first.status_code == 200 and 'class="error"' not in first.get_data(as_text=True)
    response = client.get("/boards/batch?region_code=&size=A2&format=pdf&download=1")
    assert response.status_code == 422 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert 'id="e-region_code"' in page and "请选择要打印哪个地区的告示牌" in page
    assert 'value="A2" selected' in page  # what was chosen stays chosen
