import io

import pytest
import zxingcpp
from PIL import Image, ImageFilter

from wagechannel.boards.fonts import FontMissing, find_font
from wagechannel.boards.fitting import wrap_text
from wagechannel.boards.layouts import get_layout
from wagechannel.boards.png import render_png
from wagechannel.boards.qr import qr_image
from wagechannel.boards.services import board_content, board_url, find_board, issue_board


def decode(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


def test_board_png_qr_decodes_to_the_form_url(db, world) -> None:  # type: ignore[no-untyped-def]
    content = board_content(db, world.board, base_url="http://wc.test")
    png = render_png(content, get_layout("A3"), find_font(), dpi=150).data
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert decode(image) == [f"http://wc.test/s/{world.board.token}"]
    # as a phone sees it from a distance: a quarter of the size, a little blurred
    small = image.convert("L").resize((image.width // 4, image.height // 4), Image.LANCZOS)
    assert decode(small.filter(ImageFilter.GaussianBlur(1))) == [
        f"http://wc.test/s/{world.board.token}"]


def test_qr_has_whole_pixel_modules_and_a_quiet_zone() -> None:
    image = qr_image("http://wc.test/s/ABCDEFGHJK", module_px=7)
    assert image.width % 7 == 0
    corner = image.crop((0, 0, 4 * 7, 4 * 7))
    assert corner.getextrema() == (255, 255)  # four white modules around the code


def test_tokens_are_unique_and_found_as_typed(db, world) -> None:  # type: ignore[no-untyped-def]
    second = issue_board(db, world.project)
    assert second.token != world.board.token and len(second.token) == 10
    assert find_board(db, second.token.lower()).id == second.id
    assert find_board(db, "not a token!") is None
    assert board_url("http://wc.test/", "ABC") == "http://wc.test/s/ABC"


def test_chinese_text_wraps_inside_the_width() -> None:
    font = find_font().at(40)
    text = "深圳市南山区某某某某建筑工程有限公司第三项目部 Shenzhen Construction Group 联系电话 0755-12345678"
    lines = wrap_text(text, font, 400)
    assert len(lines) > 3
    assert all(font.getlength(line) <= 400 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert "Construction" in " ".join(lines).split()  # Latin words are not split


def test_a_missing_font_names_the_debian_package(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FontMissing) as missing:
        find_font(str(tmp_path / "nope.ttc"))
    assert "fonts-noto-cjk" in missing.value.message


def test_the_board_page_explains_a_missing_font(client, world, app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import login
    monkeypatch.setitem(app.config, "FONT", "/nonexistent/font.ttc")
    login(client, world.users["contractor"].username)
    response = client.get(f"/boards/{world.board.id}/download?format=pdf")
    assert response.status_code == 503
    assert "fonts-noto-cjk" in response.get_data(as_text=True)


def test_the_project_page_warns_of_a_missing_font_and_html_still_prints(client, world, app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import login
    monkeypatch.setitem(app.config, "FONT", "/nonexistent/font.ttc")
    login(client, world.users["contractor"].username)
    page = client.get(f"/projects/{world.project.id}").get_data(as_text=True)
    assert 'id="font-problem"' in page and "fonts-noto-cjk" in page
    html = client.get(f"/boards/{world.board.id}/download?format=html")
    assert html.status_code == 200 and world.board.token in html.get_data(as_text=True)


# ---------------------------------------------------------------------------------------
# The minimum wage: from the county, a fallback only when a person confirms it


def test_the_minimum_wage_says_where_it_comes_from(db, make_project) -> None:  # type: ignore[no-untyped-def]
    from wagechannel.places.models import Region
    from wagechannel.places.services import minimum_wage, region_minimum_wage, set_region_wage

    project = make_project(minimum_wage_monthly="", minimum_wage_hourly="")
    assert region_minimum_wage(db, "440305").level is None
    set_region_wage(db, db.get(Region, "440000"), monthly="1900", hourly="18.1")
    wage = minimum_wage(db, project)
    assert (wage.level, wage.level_label, wage.monthly_fen, wage.hourly_fen) == \
        ("province", "省", 190000, 1810)
    assert wage.is_fallback and wage.region.code == "440000"
    set_region_wage(db, db.get(Region, "440300"), monthly="2520", hourly="")
    wage = minimum_wage(db, project)
    # a month's and an hour's figure are set together: never the city's month with the province's hour
    assert (wage.level, wage.monthly_fen, wage.hourly_fen) == ("city", 252000, None)
    set_region_wage(db, db.get(Region, "440305"), monthly="2520", hourly="23.7")
    wage = minimum_wage(db, project)
    assert (wage.level_label, wage.region.code, wage.is_fallback) == ("区县", "440305", False)
    project.minimum_wage_monthly_fen, project.minimum_wage_hourly_fen = 260000, 2400
    wage = minimum_wage(db, project)
    assert (wage.level_label, wage.monthly_fen, wage.source_label) == ("项目自填", 260000, "项目自填")


def test_a_confirmed_fallback_goes_stale_when_its_figure_changes(db, world, make_project) -> None:  # type: ignore[no-untyped-def]
    from wagechannel.boards.services import missing_items
    from wagechannel.errors import DomainError
    from wagechannel.places.models import Region
    from wagechannel.places.services import (confirm_wage_fallback, minimum_wage,
                                             set_region_wage, wage_confirmation_current)

    project = make_project(contractor=world.contractor, minimum_wage_monthly="",
                           minimum_wage_hourly="")
    city = db.get(Region, "440300")
    set_region_wage(db, city, monthly="2520", hourly="23.7")
    assert any("本区县的最低工资标准" in item for item in missing_items(db, project))
    confirm_wage_fallback(db, project, world.users["contractor"])
    assert project.wage_confirmed_by_id == world.users["contractor"].id
    assert project.wage_confirmed_at is not None
    assert missing_items(db, project) == []
    set_region_wage(db, city, monthly="2600", hourly="23.7")  # the city raises its standard
    assert not wage_confirmation_current(project, minimum_wage(db, project))
    assert any("本区县的最低工资标准" in item for item in missing_items(db, project))
    set_region_wage(db, db.get(Region, "440305"), monthly="2520", hourly="23.7")
    assert missing_items(db, project) == []  # the county's own: nothing to confirm
    try:
        confirm_wage_fallback(db, project, world.users["contractor"])
    except DomainError as error:
        assert "不需要确认" in error.message
    else:
        raise AssertionError("a county figure needs no confirmation")


def test_the_board_promises_only_what_is_true() -> None:
    from wagechannel.boards.content import FOOTER, sample_content

    for footer in (FOOTER, sample_content().footer):
        assert "不会告诉老板" not in footer and "您的信息不会" not in footer
        assert "本平台不会告诉施工单位或老板是谁反映的" in footer
        assert "仲裁、起诉或投诉" in footer and "法律要求" in footer and "先问您" in footer
