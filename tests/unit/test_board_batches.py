"""Memory (section 4): a web batch is drawn in a child process, so the worker never parses the
CJK font for it and keeps nothing of it; the result is the file drawing in-process gives."""
from __future__ import annotations

import zipfile
from dataclasses import replace

import pypdfium2
import pytest
import zxingcpp

from tests.conftest import login
from wagechannel.boards.content import Item, sample_content
from wagechannel.boards.fonts import find_font
from wagechannel.boards.isolated import draw_batch, release_memory
from wagechannel.boards.layouts import get_layout
from wagechannel.boards.plan import BoardDoesNotFit


def contents(count: int):  # type: ignore[no-untyped-def]
    template = sample_content()
    return [replace(template, token=f"B{index:09d}", url=f"http://wc.test/s/B{index:09d}",
                    project_name=f"{template.project_name}（{index}号楼）") for index in range(count)]


def test_a_batch_drawn_in_a_child_is_a_pdf_of_every_board() -> None:
    drawn, count = draw_batch(contents(3), get_layout("A3"), find_font(), "pdf")
    with drawn:
        document = pypdfium2.PdfDocument(drawn.read())
    assert count == 3 and len(document) == 3
    codes = [zxingcpp.read_barcodes(document[index].render(scale=1).to_pil())[0].text
             for index in range(3)]
    assert codes == [f"http://wc.test/s/B{index:09d}" for index in range(3)]


def test_a_zip_batch_holds_one_png_per_board() -> None:
    drawn, count = draw_batch(contents(2), get_layout("A5"), find_font(), "zip", dpi=100)
    with drawn, zipfile.ZipFile(drawn) as archive:
        assert count == 2 and sorted(archive.namelist()) == ["B000000000.png", "B000000001.png"]


def test_a_board_that_cannot_fit_is_refused_in_chinese_as_in_process() -> None:
    endless = [Item("分包单位", "深圳市某某劳务分包有限公司" * 20) for _ in range(200)]
    work = [*contents(1), replace(contents(1)[0], parties=endless)]
    with pytest.raises(BoardDoesNotFit, match="参建单位.*放不下"):
        draw_batch(work, get_layout("A3"), find_font(), "pdf")


def test_the_web_worker_never_parses_the_font_for_a_batch(client, db, world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The font parse is what a long-lived worker could not give back; it happens elsewhere."""
    import fpdf.fonts

    def parse_here(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the CJK font was parsed inside the web worker")

    monkeypatch.setattr(fpdf.fonts.TTFFont, "__init__", parse_here)
    login(client, world.users["contractor"].username)
    response = client.get("/boards/batch?size=A3&format=pdf&download=1")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert len(pypdfium2.PdfDocument(response.data)) == 1


def test_a_batch_that_does_not_fit_is_a_chinese_page_not_a_500(client, db, world) -> None:  # type: ignore[no-untyped-def]
    from wagechannel.places.models import Subcontractor
    for position in range(200):
        world.project.subcontractors.append(Subcontractor(position=position,
                                                          name="深圳市某某劳务分包有限公司" * 14))
    db.commit()
    login(client, world.users["contractor"].username)
    response = client.get("/boards/batch?size=A3&format=pdf&download=1")
    assert response.status_code == 422 and "放不下" in response.get_data(as_text=True)


def test_release_memory_can_run_anywhere() -> None:
    release_memory()  # gc and, on glibc, malloc_trim; a no-op elsewhere
