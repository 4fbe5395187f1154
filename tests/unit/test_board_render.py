"""Boards as printed: the QR decodes from PNG, PDF and a phone's view; long names never clip or overlap.

Only one board is drawn at 300 dpi (A2, shared by the tests that need print
resolution); layout tests draw at 100 dpi.
"""
from __future__ import annotations

import html
import io
import re
import zipfile
from dataclasses import replace

import pypdfium2
import pytest
import zxingcpp
from PIL import Image, ImageDraw, ImageFilter

from wagechannel.boards.batch import write_pdf, write_png_zip
from wagechannel.boards.content import BoardContent, Item, sample_content
from wagechannel.boards.fonts import CJKFont, find_font
from wagechannel.boards.layouts import Block, Box, Layout, get_layout, load_layouts
from wagechannel.boards.pdf import render_pdf, render_pdf_result
from wagechannel.boards.colours import Ink
from wagechannel.boards.fitting import NO_LINE_START, Run, wrap_runs
from wagechannel.boards.htmlpage import EstimateMetrics, render_html
from wagechannel.boards.plan import BoardDoesNotFit, RenderResult, plan_board
from wagechannel.boards.png import PixelMetrics, render_png
from wagechannel.boards.qr import qr_matrix

LAYOUTS = sorted(load_layouts())
URL = sample_content().url
LONG_URL = "https://wagechannel.renshe.shenzhen.example.gov.cn/s/G8QAMDC40X?from=board"


def decode(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


def content_texts(content: BoardContent) -> list[str]:
    """Every piece of wording the board must carry."""
    texts = [content.title, content.project_name, content.project_address, content.token,
             content.lookup_url, content.call_to_action, content.footer, *content.qr_notes]
    for item in content.parties + content.wages + content.channels + content.hotlines:
        texts += [item.label, item.text]
    return [text for text in texts if text]


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def font() -> CJKFont:
    return find_font()


@pytest.fixture(scope="module")
def a2_print(font: CJKFont) -> RenderResult:
    return render_png(sample_content(), get_layout("A2"), font, dpi=300)


@pytest.fixture(scope="module")
def a2_print_image(a2_print: RenderResult) -> Image.Image:
    return Image.open(io.BytesIO(a2_print.data))


# ---------------------------------------------------------------------------------------
# PNG


def test_print_png_is_a_300_dpi_palette_image_of_the_paper(a2_print: RenderResult,
                                                            a2_print_image: Image.Image) -> None:
    assert a2_print_image.format == "PNG" and a2_print_image.mode == "P"
    assert a2_print_image.size == (4961, 7016)  # 420 x 594 mm at 300 dpi
    assert a2_print_image.info["dpi"] == pytest.approx((300, 300), abs=0.01)
    assert (a2_print.width, a2_print.height, a2_print.unit) == (4961, 7016, "px")


def test_qr_decodes_from_the_print_png(a2_print_image: Image.Image) -> None:
    assert decode(a2_print_image) == [URL]


def test_qr_modules_are_whole_pixels_and_at_least_a_millimetre(a2_print: RenderResult,
                                                               a2_print_image: Image.Image) -> None:
    qr = next(drawn for drawn in a2_print.block("qr").drawn if drawn.kind == "qr")
    modules = len(qr_matrix(URL))
    module_px = qr.box.width / modules
    assert module_px == int(module_px) and module_px * 25.4 / 300 >= 1.0
    # the quiet zone: four white modules inside the drawn code's box, on every side
    grey = a2_print_image.convert("L")
    x0, y0, x1, y1 = (int(v) for v in (qr.box.x0, qr.box.y0, qr.box.x1, qr.box.y1))
    quiet = 4 * int(module_px)
    for strip in ((x0, y0, x1, y0 + quiet), (x0, y1 - quiet, x1, y1),
                  (x0, y0, x0 + quiet, y1), (x1 - quiet, y0, x1, y1)):
        assert grey.crop(strip).getextrema() == (255, 255)
    assert grey.crop((x0 + quiet, y0 + quiet, x0 + quiet + int(module_px), y0 + quiet + 1)
                     ).getextrema() == (0, 0)  # the finder pattern's first module is black


def test_qr_decodes_as_a_phone_sees_it_from_two_metres(a2_print: RenderResult,
                                                       a2_print_image: Image.Image) -> None:
    """The whole A2 board shrunk until its code is 150-200 px wide, blurred, JPEG-compressed."""
    qr = next(drawn for drawn in a2_print.block("qr").drawn if drawn.kind == "qr")
    grey = a2_print_image.convert("L")
    for code_px in (150, 200):
        scale = code_px / qr.box.width
        small = grey.resize((round(grey.width * scale), round(grey.height * scale)),
                            Image.Resampling.LANCZOS).filter(ImageFilter.GaussianBlur(1))
        jpeg = io.BytesIO()
        small.save(jpeg, format="JPEG", quality=60)
        assert decode(Image.open(jpeg)) == [URL], code_px


def test_preview_png_carries_100_dpi_and_decodes(font: CJKFont) -> None:
    result = render_png(sample_content(), get_layout("A3"), font, dpi=100)
    image = Image.open(io.BytesIO(result.data))
    assert image.size == (1169, 1654)
    assert image.info["dpi"] == pytest.approx((100, 100), abs=0.01)
    assert decode(image) == [URL]


def test_the_title_bar_is_red_and_the_text_on_it_white(a2_print: RenderResult,
                                                       a2_print_image: Image.Image) -> None:
    rgb = a2_print_image.convert("RGB")
    bar = a2_print.block("title").box
    assert rgb.getpixel((int(bar.x0) + 5, int(bar.y0) + 5)) == (176, 0, 0)
    title_line = next(drawn for drawn in a2_print.block("title").drawn if drawn.kind == "text")
    colours = {colour for _count, colour in rgb.crop(
        (int(title_line.box.x0), int(title_line.box.y0), int(title_line.box.x1),
         int(title_line.box.y1))).getcolors(1 << 16)}
    assert (255, 255, 255) in colours and (0, 0, 0) not in colours


# ---------------------------------------------------------------------------------------
# Long names: nothing leaves its block, nothing overlaps, nothing is lost


def assert_inside_and_apart(result: RenderResult, tolerance: float) -> None:
    page = Box(0, 0, result.width, result.height)
    for index, block in enumerate(result.boxes):
        assert page.contains(block.box, tolerance)
        for drawn in block.drawn:
            assert block.box.contains(drawn.box, tolerance), (block.name, drawn)
        for other in result.boxes[index + 1:]:
            assert not block.box.overlaps(other.box), (block.name, other.name)
            for mine in block.drawn:
                for theirs in other.drawn:
                    assert not mine.box.overlaps(theirs.box), (mine, theirs)


def assert_every_text_drawn(result: RenderResult, content: BoardContent, layout: Layout) -> None:
    """Every wording the layout has a block for appears, whole, among the drawn lines."""
    drawn = squeeze("".join(d.text for block in result.boxes for d in block.drawn
                            if d.kind == "text"))
    left_out = [] if layout.kind == "board" else [  # a card carries no Art. 34 details
        text for item in content.parties + content.wages + content.channels
        for text in (item.label, item.text)]
    for text in content_texts(content):
        assert squeeze(text) in drawn or text in left_out, text


@pytest.mark.parametrize("name", LAYOUTS)
def test_long_names_stay_inside_their_blocks_in_png(font: CJKFont, name: str) -> None:
    content = sample_content(long_names=True)
    layout = get_layout(name)
    result = render_png(content, layout, font, dpi=100)
    assert_inside_and_apart(result, tolerance=1.0)  # fills are rounded to whole pixels
    assert_every_text_drawn(result, content, layout)
    # the long names really were shrunk, not clipped: the text got smaller, nothing got lost
    shrunk = [block.name for block in result.boxes if block.font_pt < layout.block(block.name).font_pt]
    assert "title" in shrunk
    assert decode(Image.open(io.BytesIO(result.data))) == [content.url]


@pytest.mark.parametrize("name", LAYOUTS)
def test_long_names_stay_inside_their_blocks_in_pdf(font: CJKFont, name: str) -> None:
    content = sample_content(long_names=True)
    layout = get_layout(name)
    result = render_pdf_result(content, layout, font)
    assert result.unit == "pt"
    assert_inside_and_apart(result, tolerance=0.01)
    assert_every_text_drawn(result, content, layout)


def test_normal_content_keeps_the_design_sizes(font: CJKFont) -> None:
    for name in LAYOUTS:
        layout = get_layout(name)
        plan = plan_board(sample_content(), layout, PixelMetrics(font, 100))
        for block in plan.blocks:
            assert block.font_pt == block.block.font_pt and not block.below_minimum, (name, block)


def test_a_block_shrinks_below_the_minimum_rather_than_clip(font: CJKFont) -> None:
    many = [Item("分包单位", f"深圳市某某劳务分包有限公司第{i}分公司（钢筋、模板、混凝土工程）"
                             f"电话 0755-2666{i:04d}") for i in range(40)]
    content = replace(sample_content(), parties=many)
    layout = get_layout("A3")
    result = render_png(content, layout, font, dpi=100)
    parties = result.block("parties")
    assert parties.below_minimum and parties.font_pt < layout.min_font_pt
    assert_inside_and_apart(result, tolerance=1.0)
    assert_every_text_drawn(result, content, layout)


def test_content_that_cannot_fit_at_all_is_refused_in_chinese(font: CJKFont) -> None:
    endless = [Item("分包单位", "深圳市某某劳务分包有限公司" * 20) for _ in range(200)]
    with pytest.raises(BoardDoesNotFit, match="参建单位.*放不下"):
        render_png(replace(sample_content(), parties=endless), get_layout("A3"), font, dpi=100)


def test_a_url_too_long_for_one_millimetre_modules_fails_loudly(font: CJKFont) -> None:
    """The loader checks a 40-character URL; a longer BASE_URL must not print a small code."""
    layout = get_layout("A3")
    small_qr = tuple(replace(block, box=Box(block.box.x0, block.box.y0, block.box.x0 + 52,
                                            block.box.y1)) if block.name == "qr" else block
                     for block in layout.blocks)
    layout = replace(layout, blocks=small_qr)
    render_png(sample_content(), layout, font, dpi=100)  # 41 modules fit 48 mm inside
    assert len(qr_matrix(LONG_URL)) == 49  # version 6: 48 mm / 49 modules < 1 mm
    with pytest.raises(BoardDoesNotFit, match="二维码"):
        render_png(replace(sample_content(), url=LONG_URL), layout, font, dpi=100)


@pytest.mark.parametrize("name", ["A1", "A2", "A3"])
def test_print_modules_are_at_least_a_millimetre_with_the_longest_url(font: CJKFont,
                                                                      name: str) -> None:
    content = replace(sample_content(long_names=True),
                      url="https://" + "w" * 19 + "/s/" + "X" * 10)
    plan = plan_board(content, get_layout(name), PixelMetrics(font, 300))
    qr = next(block.qr for block in plan.blocks if block.qr is not None)
    assert qr.module == int(qr.module) and qr.module * 25.4 / 300 >= 1.0


# ---------------------------------------------------------------------------------------
# Wrapping


def test_wrapping_keeps_latin_words_and_numbers_whole(font: CJKFont) -> None:
    face = font.face(40)
    text = "扫不了码？用手机浏览器打开 https://wc.example.cn/s 输入编号，电话 0755-26661234，23.7元/小时"
    lines = wrap_runs([Run(text)], face.getlength, 560)
    joined = ["".join(run.text for run in line) for line in lines]
    assert len(joined) > 2
    assert all(face.getlength(line) <= 560 for line in joined)
    words = " ".join(joined).split()
    assert "https://wc.example.cn/s" in words and any("0755-26661234" in w for w in words)
    assert not any(line[0] in NO_LINE_START for line in joined if line)


def test_wrapping_keeps_colours_and_forced_breaks(font: CJKFont) -> None:
    face = font.face(40)
    lines = wrap_runs([Run("标签：", Ink.RED), Run("第一行\n第二行")], face.getlength, 2000)
    assert [["".join(r.text) for r in line] for line in lines] == [["标签：", "第一行"], ["第二行"]]
    assert lines[0][0].ink != lines[0][1].ink


# ---------------------------------------------------------------------------------------
# PDF


@pytest.fixture(scope="module")
def a2_pdf(font: CJKFont) -> bytes:
    return render_pdf(sample_content(), get_layout("A2"), font)


def test_pdf_page_is_exactly_the_paper_size(font: CJKFont, a2_pdf: bytes) -> None:
    document = pypdfium2.PdfDocument(a2_pdf)
    assert len(document) == 1
    width, height = document[0].get_size()
    # fpdf2 writes the MediaBox to 0.01 pt: 0.002 mm
    assert width == pytest.approx(420 * 72 / 25.4, abs=0.006)
    assert height == pytest.approx(594 * 72 / 25.4, abs=0.006)
    card = pypdfium2.PdfDocument(render_pdf(sample_content(), get_layout("A5"), font))
    assert card[0].get_size() == pytest.approx((148 * 72 / 25.4, 210 * 72 / 25.4), abs=0.006)


def test_pdf_has_no_jpeg_and_embeds_the_font(a2_pdf: bytes) -> None:
    assert b"/DCTDecode" not in a2_pdf
    assert b"/Subtype /Image" not in a2_pdf and b"/Subtype/Image" not in a2_pdf
    assert re.search(rb"/FontFile[23]?\b", a2_pdf)
    assert re.search(rb"/BaseFont /[A-Z]{6}\+", a2_pdf)  # a subset (tag prefix), not the whole face


def test_pdf_text_is_real_text(a2_pdf: bytes) -> None:
    text = squeeze(pypdfium2.PdfDocument(a2_pdf)[0].get_textpage().get_text_range())
    content = sample_content()
    for wanted in content_texts(content):
        assert squeeze(wanted) in text, wanted


def test_qr_decodes_from_the_rasterised_pdf(a2_pdf: bytes) -> None:
    page = pypdfium2.PdfDocument(a2_pdf)[0]
    image = page.render(scale=150 / 72).to_pil()
    assert decode(image) == [URL]


def many_boards(count: int) -> list[BoardContent]:
    base = sample_content()
    return [replace(base, token=f"TOKEN{index:05d}", url=f"https://wc.example.cn/s/TOKEN{index:05d}")
            for index in range(count)]


def test_pdf_batch_has_a_page_per_board_each_with_its_own_code(font: CJKFont) -> None:
    boards = many_boards(3)
    output = io.BytesIO()
    assert write_pdf(iter(boards), get_layout("A5"), font, output) == 3
    document = pypdfium2.PdfDocument(output.getvalue())
    assert len(document) == 3
    for page, board in zip(document, boards, strict=True):
        assert decode(page.render(scale=100 / 72).to_pil()) == [board.url]


def test_png_zip_has_one_png_per_board(font: CJKFont) -> None:
    boards = many_boards(3) + [many_boards(1)[0]]  # the same board twice keeps both
    output = io.BytesIO()
    assert write_png_zip(iter(boards), get_layout("A5"), font, output, dpi=100) == 4
    with zipfile.ZipFile(output) as archive:
        names = archive.namelist()
        assert names == ["TOKEN00000.png", "TOKEN00001.png", "TOKEN00002.png", "TOKEN00000-2.png"]
        for name, board in zip(names, boards, strict=True):
            image = Image.open(io.BytesIO(archive.read(name)))
            assert image.info["dpi"] == pytest.approx((100, 100), abs=0.01)
            assert decode(image) == [board.url]


# ---------------------------------------------------------------------------------------
# HTML


@pytest.mark.parametrize("name", ["A2", "A5"])
def test_html_print_view_has_every_text_the_page_size_and_an_svg_code(name: str) -> None:
    content = sample_content(long_names=True)
    layout = get_layout(name)
    page = render_html(content, layout)
    assert f"@page {{ size: {layout.width_mm}mm {layout.height_mm}mm; margin: 0 }}" in page
    assert "<svg" in page and "<path" in page and "{% extends" not in page
    assert "<link" not in page  # standalone: nothing to fetch, no font file needed
    visible = squeeze(html.unescape(re.sub(r"<[^>]+>", "", page)))
    left_out = [] if layout.kind == "board" else [  # a card carries no Art. 34 details
        text for item in content.parties + content.wages + content.channels
        for text in (item.label, item.text)]
    for text in content_texts(content):
        assert squeeze(text) in visible or text in left_out, text
    # where the planner put each block (flowing blocks move up under the one above)
    for planned in plan_board(content, layout, EstimateMetrics()).blocks:
        box = planned.block.box
        assert f"block-{planned.block.name}" in page
        assert f"left: {box.x0}mm; top: {box.y0}mm; width: {box.width}mm; height: {box.height}mm" \
            in page


def test_html_escapes_the_content() -> None:
    content = replace(sample_content(), project_name="<script>alert(1)</script>")
    page = render_html(content, get_layout("A2"))
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


def test_html_svg_encodes_the_url() -> None:
    """The inline SVG, drawn by a rasteriser, decodes to the URL (Chromium draws it the same way)."""
    page = render_html(sample_content(), get_layout("A2"))
    svg = re.search(r"<svg.*?</svg>", page, re.S).group(0)  # type: ignore[union-attr]
    side = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))  # type: ignore[union-attr]
    scale = 8
    image = Image.new("L", (side * scale, side * scale), 255)
    draw = ImageDraw.Draw(image)
    for x, y, x2, y2 in re.findall(r"M(\d+),(\d+)H(\d+)V(\d+)", svg):
        draw.rectangle((int(x) * scale, int(y) * scale, int(x2) * scale - 1, int(y2) * scale - 1),
                       fill=0)
    assert decode(image) == [URL]


def test_block_boxes_are_reported_in_the_units_of_the_output(font: CJKFont) -> None:
    layout = get_layout("A5")
    png = render_png(sample_content(), layout, font, dpi=100)
    title: Block = layout.block("title")  # type: ignore[assignment]
    assert png.block("title").box == title.box.scaled(100 / 25.4)


# ---------------------------------------------------------------------------------------
# Sections one under another; the footer as large as section three; lines under the code


def text_lines(result: RenderResult, name: str) -> list[Box]:
    return [drawn.box for drawn in result.block(name).drawn if drawn.kind == "text"]


@pytest.mark.parametrize("subcontractors", [0, 2, 6])
def test_no_gap_opens_between_the_sections_on_a2(font: CJKFont, subcontractors: int) -> None:
    """Section two starts a line or two under section one, however few the parties are
    (a fixed box for section one left 36 mm empty under two subcontractors)."""
    base = sample_content()
    others = [item for item in base.parties if item.label != "分包单位"]
    subs = [Item("分包单位", f"深圳市某某劳务分包有限公司第{i}分公司  电话 0755-2666{i:04d}")
            for i in range(1, subcontractors + 1)] or [Item("分包单位", "无")]
    content = replace(base, parties=others[:3] + subs + others[3:])
    result = render_png(content, get_layout("A2"), font, dpi=100)
    line_px = 23 * 1.5 * 100 / 72  # one line of section one at its design size
    for above, below in (("parties", "wages"), ("wages", "channels")):
        gap = min(box.y0 for box in text_lines(result, below)) - \
            max(box.y1 for box in text_lines(result, above))
        assert 0 < gap <= 2 * line_px, (above, below, gap)
    assert not result.block("parties").below_minimum


@pytest.mark.parametrize("name", LAYOUTS)
def test_the_footer_prints_at_least_as_large_as_section_three(font: CJKFont, name: str) -> None:
    layout = get_layout(name)
    for content in (sample_content(), sample_content(long_names=True)):
        result = render_png(content, layout, font, dpi=100)
        body = "channels" if layout.block("channels") else "qr"
        assert result.block("footer").font_pt >= result.block(body).font_pt, (name, body)
        footer_height = max(box.height for box in text_lines(result, "footer"))
        body_height = max(box.height for box in text_lines(result, body)[1:])  # not the heading
        assert footer_height >= 0.9 * body_height  # glyphs, not only the number, are as large


@pytest.mark.parametrize("name", LAYOUTS)
def test_the_time_limit_and_the_platform_are_under_the_code(font: CJKFont, name: str) -> None:
    result = render_png(sample_content(), get_layout(name), font, dpi=100)
    qr = next(drawn for drawn in result.block("qr").drawn if drawn.kind == "qr")
    below = squeeze("".join(drawn.text for drawn in result.block("qr").drawn
                            if drawn.kind == "text" and drawn.box.y0 >= qr.box.y1))
    assert "仲裁时效一般为离职后一年，请尽早反映。" in below
    assert "全国根治欠薪线索反映平台" in below
    without = replace(sample_content(), qr_notes=sample_content().qr_notes[:1])
    drawn = "".join(d.text for d in render_png(without, get_layout(name), font, dpi=100)
                    .block("qr").drawn)
    assert "全国根治欠薪" not in squeeze(drawn)


# ---------------------------------------------------------------------------------------
# The drawing code imports one way


LAYERS = ["content", "fonts", "qr", "layouts", "colours", "fitting", "wording", "plan", "png",
          "pdf", "htmlpage", "batch", "isolated", "render"]


def test_board_drawing_modules_import_only_the_layers_before_them() -> None:
    import ast
    from pathlib import Path

    import wagechannel.boards

    folder = Path(wagechannel.boards.__file__).parent
    for index, name in enumerate(LAYERS):
        tree = ast.parse((folder / f"{name}.py").read_text(encoding="utf-8"))
        imported = {node.module.rsplit(".", 1)[1] for node in ast.walk(tree)
                    if isinstance(node, ast.ImportFrom) and node.module
                    and node.module.startswith("wagechannel.boards.")}
        assert imported <= set(LAYERS[:index]), (name, imported - set(LAYERS[:index]))
