"""Excel import of projects: reading, checking every row like the web form, all or nothing."""
from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from tests.conftest import COMPLETE_PROJECT
from wagechannel.boards.models import Board
from wagechannel.places.models import Project
from wagechannel.places.services import create_contractor
from wagechannel.reports.project_import import (MAX_ROWS, NOT_XLSX, ImportRefused, cell_text,
                                                check_workbook, import_columns, import_projects,
                                                template_workbook)

LABELS = {column.field: column.heading for column in import_columns(for_admin=True)}


def workbook(rows: list[dict[str, Any]], *, headers: list[str] | None = None,
             extra_headers: list[str] = ()) -> bytes:  # type: ignore[assignment]
    """A sheet with a header row of labels and one row per dict (field -> cell value)."""
    fields = headers or [column.field for column in import_columns(for_admin=False)]
    book = Workbook()
    sheet = book.active
    sheet.append([LABELS.get(name, name) for name in fields] + list(extra_headers))
    for row in rows:
        sheet.append([row.get(name) for name in fields])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def project_row(number: int, **overrides: Any) -> dict[str, Any]:
    return {"name": f"导入工程{number}号", "address": f"深圳市南山区导入路{number}号",
            "region_code": "440305", **COMPLETE_PROJECT, **overrides}


def count(db, model) -> int:  # type: ignore[no-untyped-def]
    return db.scalar(select(func.count()).select_from(model))


def test_a_valid_workbook_imports_every_project_with_a_board(db, world) -> None:  # type: ignore[no-untyped-def]
    content = workbook([project_row(1), project_row(2, subcontractors=(
        "甲劳务有限公司，钢筋，0755-26660001；乙劳务有限公司，木工，13800138000\n丙公司")),
        project_row(3, region_code="440304")])
    check = check_workbook(db, content, contractor=world.contractor)
    assert check.valid and check.rows == 3 and [g.row for g in check.good] == [2, 3, 4]
    boards_before = count(db, Board)
    projects = import_projects(db, check)
    assert [p.name for p in projects] == ["导入工程1号", "导入工程2号", "导入工程3号"]
    assert all(p.contractor_id == world.contractor.id for p in projects)
    assert [(s.name, s.scope, s.phone) for s in projects[1].subcontractors] == [
        ("甲劳务有限公司", "钢筋", "0755-26660001"), ("乙劳务有限公司", "木工", "13800138000"),
        ("丙公司", None, None)]
    assert projects[0].minimum_wage_monthly_fen == 252000 and projects[0].pay_day == 15
    assert projects[2].region_code == "440304"
    assert count(db, Board) == boards_before + 3
    assert all(len(p.boards) == 1 and p.boards[0].active for p in projects)


def test_bad_rows_are_each_reported_and_nothing_is_imported(db, world) -> None:  # type: ignore[no-untyped-def]
    content = workbook([project_row(1), project_row(2, name=None, pay_day=40),
                        project_row(3), project_row(4, region_code="999999",
                                                    authority_phone="abc")])
    check = check_workbook(db, content, contractor=world.contractor)
    assert not check.valid
    assert check.bad_rows == [3, 5]
    assert [(p.row, p.field, p.column) for p in check.problems] == [
        (3, "name", "项目名称"), (3, "pay_day", "工资支付日（每月几日）"),
        (5, "region_code", "所在区县代码"), (5, "authority_phone", "主管部门投诉电话")]
    assert check.problems[0].letter == "A" and check.problems[2].letter == "C"
    assert "请填写项目名称" in check.problems[0].message
    assert "1到31" in check.problems[1].message
    assert [g.row for g in check.good] == [2, 4]
    before = count(db, Project)
    with pytest.raises(Exception, match="有问题"):
        import_projects(db, check)
    assert count(db, Project) == before


def test_only_good_imports_the_good_rows(db, world) -> None:  # type: ignore[no-untyped-def]
    content = workbook([project_row(1), project_row(2, address=None), project_row(3)])
    check = check_workbook(db, content, contractor=world.contractor)
    assert check.bad_rows == [3]
    projects = import_projects(db, check, only_good=True)
    assert [p.name for p in projects] == ["导入工程1号", "导入工程3号"]
    assert db.scalar(select(Project).where(Project.name == "导入工程2号")) is None


@pytest.mark.parametrize("content", [b"", b"name,address\nx,y\n", b"PK\x03\x04 broken zip",
                                     b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600])
def test_a_file_that_is_not_xlsx_is_refused(db, world, content: bytes) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ImportRefused) as refused:
        check_workbook(db, content, contractor=world.contractor)
    assert refused.value.message in (NOT_XLSX, "文件是空的。")


def test_a_zip_that_is_not_a_workbook_is_refused(db, world) -> None:  # type: ignore[no-untyped-def]
    import zipfile
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "不是表格")
    with pytest.raises(ImportRefused, match="文件不是Excel（.xlsx）格式"):
        check_workbook(db, buffer.getvalue(), contractor=world.contractor)


def test_a_file_over_five_megabytes_is_refused(db, world) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ImportRefused, match="太大"):
        check_workbook(db, b"PK" + b"\0" * (5 * 1024 * 1024), contractor=world.contractor)


def test_missing_required_columns_are_named(db, world) -> None:  # type: ignore[no-untyped-def]
    content = workbook([project_row(1)], headers=["name", "construction_unit_name"])
    with pytest.raises(ImportRefused) as refused:
        check_workbook(db, content, contractor=world.contractor)
    assert "项目地址" in refused.value.message and "所在区县代码" in refused.value.message
    assert "项目名称" not in refused.value.message


def test_empty_sheets_and_headers_without_rows_are_refused(db, world) -> None:  # type: ignore[no-untyped-def]
    empty = io.BytesIO()
    Workbook().save(empty)
    with pytest.raises(ImportRefused, match="表格是空的"):
        check_workbook(db, empty.getvalue(), contractor=world.contractor)
    with pytest.raises(ImportRefused, match="没有项目"):
        check_workbook(db, workbook([]), contractor=world.contractor)


def test_too_many_rows_are_refused(db, world) -> None:  # type: ignore[no-untyped-def]
    rows = [{"name": f"工程{i}", "address": f"路{i}号", "region_code": 440305}
            for i in range(MAX_ROWS + 1)]
    content = workbook(rows, headers=["name", "address", "region_code"])
    with pytest.raises(ImportRefused, match=str(MAX_ROWS)):
        check_workbook(db, content, contractor=world.contractor)


def test_numbers_in_cells_read_as_typed(db, world) -> None:  # type: ignore[no-untyped-def]
    assert cell_text(2520.0) == "2520" and cell_text(13800138000) == "13800138000"
    assert cell_text(23.7) == "23.7" and cell_text(0.1 + 0.2) == "0.3"
    assert cell_text("  ") is None and cell_text(None) is None and cell_text(" 甲 ") == "甲"
    content = workbook([project_row(1, region_code=440305, minimum_wage_monthly=2520.0,
                                    minimum_wage_hourly=23.7, pay_day=15.0,
                                    labour_manager_phone=13800138000),
                        project_row(2, arbitration_phone=75526668888)])
    check = check_workbook(db, content, contractor=world.contractor)
    assert check.bad_rows == [3]
    assert check.problems[0].field == "arbitration_phone" and "开头的0" in check.problems[0].message
    values = check.good[0].data.values
    assert values["region_code"] == "440305" and values["minimum_wage_monthly_fen"] == 252000
    assert values["minimum_wage_hourly_fen"] == 2370 and values["pay_day"] == 15
    assert values["labour_manager_phone"] == "13800138000"


def test_duplicates_in_the_file_and_of_existing_projects(db, world) -> None:  # type: ignore[no-untyped-def]
    content = workbook([
        project_row(1),
        project_row(2),
        project_row(1, address=" 深圳市南山区导入路1号 "),  # the same site again
        {**project_row(9), "name": world.project.name, "address": world.project.address},
        {**project_row(8), "name": world.other_project.name,  # another contractor's: fine
         "address": world.other_project.address},
    ])
    check = check_workbook(db, content, contractor=world.contractor)
    assert check.bad_rows == [4, 5]
    assert "第2行" in check.problems[0].message and check.problems[0].field == "name"
    assert "已经有这个项目" in check.problems[1].message
    assert [g.row for g in check.good] == [2, 3, 6]


def test_an_admin_file_names_each_contractor(db, world) -> None:  # type: ignore[no-untyped-def]
    create_contractor(db, name="同名建设有限公司")
    create_contractor(db, name="同名建设有限公司")
    fields = ["name", "address", "region_code", "contractor"]
    content = workbook([
        {**project_row(1), "contractor": world.contractor.name},
        {**project_row(2), "contractor": world.other_contractor.name},
        {**project_row(3), "contractor": "不存在的公司"},
        {**project_row(4), "contractor": None},
        {**project_row(5), "contractor": "同名建设有限公司"},
    ], headers=fields)
    check = check_workbook(db, content, contractor=None)
    assert [(p.row, p.field) for p in check.problems] == [
        (4, "contractor"), (5, "contractor"), (6, "contractor")]
    assert "没有叫这个名字" in check.problems[0].message
    assert "同名" in check.problems[2].message
    assert [(g.row, g.contractor.id) for g in check.good] == [
        (2, world.contractor.id), (3, world.other_contractor.id)]
    with pytest.raises(ImportRefused, match="施工总承包单位"):
        check_workbook(db, workbook([project_row(1)], headers=fields[:3]), contractor=None)


def test_columns_match_by_label_in_any_order(db, world) -> None:  # type: ignore[no-untyped-def]
    book = Workbook()
    sheet = book.active
    sheet.append(["备注", " 所在区县 ", "项目地址 *", "项目名称*", "施工总承包单位", "工资支付日"])
    sheet.append(["随便写", "440304", "福田区某路1号", "乱序工程", "别的公司", "每月10日"])
    buffer = io.BytesIO()
    book.save(buffer)
    check = check_workbook(db, buffer.getvalue(), contractor=world.contractor)
    assert check.valid
    data = check.good[0].data.values
    assert (data["name"], data["address"], data["region_code"], data["pay_day"]) == (
        "乱序工程", "福田区某路1号", "440304", 10)
    assert check.good[0].contractor.id == world.contractor.id  # the column is ignored
    assert any("备注" in w for w in check.warnings)
    assert any("施工总承包单位" in w and world.contractor.name in w for w in check.warnings)


def test_the_template_round_trips_and_imports_no_example(db, world) -> None:  # type: ignore[no-untyped-def]
    content = template_workbook(db, for_admin=False)
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["项目", "说明"]
    sheet = book["项目"]
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["项目名称*", "项目地址*", "所在区县代码*"]
    assert "施工总承包单位*" not in header and "分包单位" in header and "仲裁委电话" in header
    assert sheet.max_row == 1 and sheet.freeze_panes == "A2"
    help_text = [cell.value for row in book["说明"].iter_rows() for cell in row if cell.value]
    assert "440305" in help_text and "深圳市福田区" in help_text
    with pytest.raises(ImportRefused, match="没有项目"):
        check_workbook(db, content, contractor=world.contractor)

    values = project_row(1, subcontractors="甲公司，钢筋；乙公司")
    fields = {column.heading: column.field for column in import_columns(for_admin=False)}
    sheet.append([values.get(fields[label]) for label in header])
    filled = io.BytesIO()
    book.save(filled)
    check = check_workbook(db, filled.getvalue(), contractor=world.contractor)
    assert check.valid and [s.name for s in check.good[0].data.subcontractors] == ["甲公司", "乙公司"]

    admin_header = [c.value for c in load_workbook(io.BytesIO(
        template_workbook(db, for_admin=True)))["项目"][1]]
    assert "施工总承包单位*" in admin_header
