import io

import pytest
import zxingcpp
from PIL import Image, ImageFilter

from wagechannel.boards.fonts import FontMissing, find_font
from wagechannel.boards.render import qr_image, wrap_text
from wagechannel.boards.layouts import get_layout
from wagechannel.boards.render import render_png
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
