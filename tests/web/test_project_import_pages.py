"""The Excel import pages: template download, upload, the row-by-row report, good rows only."""
from __future__ import annotations

import io
import re
from typing import Any

from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from tests.conftest import COMPLETE_PROJECT, csrf_token, login
from wagechannel.accounts.models import AuditEvent
from wagechannel.places.models import Project
from wagechannel.reports.project_import import import_columns

URL = "/projects/import"


def xlsx(rows: list[dict[str, Any]], *, for_admin: bool = False) -> bytes:
    columns = import_columns(for_admin=for_admin)
    book = Workbook()
    sheet = book.active
    sheet.append([column.heading for column in columns])
    for row in rows:
        sheet.append([row.get(column.field) for column in columns])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def row(number: int, **overrides: Any) -> dict[str, Any]:
    return {"name": f"批量工程{number}号", "address": f"深圳市南山区批量路{number}号",
            "region_code": "440305", **COMPLETE_PROJECT, **overrides}


def upload(client, content: bytes, filename: str = "项目.xlsx", **fields: str):  # type: ignore[no-untyped-def]
    data: dict[str, Any] = {"csrf_token": csrf_token(client, URL), **fields}
    if content is not None:
        data["file"] = (io.BytesIO(content), filename)
    return client.post(URL, data=data, content_type="multipart/form-data")


def names(db) -> set[str]:  # type: ignore[no-untyped-def]
    return set(db.scalars(select(Project.name).where(Project.name.like("批量工程%"))))


def test_the_template_is_a_real_workbook_with_the_required_labels(client, world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.users["contractor"].username)
    response = client.get("/projects/import/template.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    header = [cell.value for cell in book["项目"][1]]
    for label in ("项目名称*", "项目地址*", "所在区县代码*", "分包单位", "工资支付日（每月几日）"):
        assert label in header
    assert "施工总承包单位*" not in header  # a contractor imports into its own company only
    assert book["项目"].max_row == 1  # no example row to import by mistake
    assert "深圳市南山区" in [c.value for r in book["说明"].iter_rows() for c in r]


def test_the_projects_page_links_to_the_import(client, world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.users["contractor"].username)
    page = client.get("/projects").get_data(as_text=True)
    assert 'href="/projects/import"' in page and "用Excel批量导入" in page
    form = client.get(URL).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in form and 'type="file"' in form
    assert 'href="/projects/import/template.xlsx"' in form


def test_a_contractor_imports_a_valid_file(client, db, world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.users["contractor"].username)
    response = upload(client, xlsx([row(1), row(2, subcontractors="甲公司，钢筋；乙公司，木工")]))
    assert response.status_code == 303 and response.headers["Location"].endswith("/projects")
    listing = client.get("/projects").get_data(as_text=True)
    assert "已导入2个项目" in listing and "批量工程1号" in listing
    projects = list(db.scalars(select(Project).where(Project.name.like("批量工程%"))
                               .order_by(Project.id)))
    assert [p.contractor_id for p in projects] == [world.contractor.id] * 2
    assert [s.name for s in projects[1].subcontractors] == ["甲公司", "乙公司"]
    assert all(len(p.boards) == 1 for p in projects)
    page = client.get(f"/projects/{projects[0].id}").get_data(as_text=True)
    assert "还不能打印" not in page and "下载" in page  # each can print at once
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "projects_imported"))
    assert event.detail["count"] == 2 and event.actor_id == world.users["contractor"].id


def test_an_admin_names_the_contractor_of_each_row(client, db, world) -> None:  # type: ignore[no-untyped-def]
    login(client, "admin")
    header = [c.value for c in load_workbook(io.BytesIO(
        client.get("/projects/import/template.xlsx").data))["项目"][1]]
    assert "施工总承包单位*" in header
    assert "施工总承包单位" in client.get(URL).get_data(as_text=True)
    missing_column = upload(client, xlsx([row(1)]))
    assert missing_column.status_code == 422
    assert "缺少必填的列：施工总承包单位" in missing_column.get_data(as_text=True)
    response = upload(client, xlsx([{**row(1), "contractor": world.contractor.name},
                                    {**row(2), "contractor": world.other_contractor.name}],
                                   for_admin=True))
    assert response.status_code == 303
    owners = dict(db.execute(select(Project.name, Project.contractor_id)
                             .where(Project.name.like("批量工程%"))).all())
    assert owners == {"批量工程1号": world.contractor.id, "批量工程2号": world.other_contractor.id}


def test_a_contractor_cannot_import_into_another_contractor(client, db, world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.users["contractor"].username)
    content = xlsx([{**row(1), "contractor": world.other_contractor.name}], for_admin=True)
    response = upload(client, content)
    assert response.status_code == 303
    project = db.scalar(select(Project).where(Project.name == "批量工程1号"))
    assert project.contractor_id == world.contractor.id


def test_office_roles_get_403(client, world) -> None:  # type: ignore[no-untyped-def]
    for role in ("lawyer", "bureau_liaison", "legal_aid_staff"):
        login(client, world.users[role].username)
        assert client.get(URL).status_code == 403
        assert client.get("/projects/import/template.xlsx").status_code == 403
        assert client.post(URL, data={}).status_code in (400, 403)
        client.post("/logout", data={"csrf_token": csrf_token(client, "/cases")})
    assert client.get(URL).status_code in (302, 401)


def test_bad_rows_are_reported_by_row_and_column_and_nothing_is_imported(client, db, world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.users["contractor"].username)
    content = xlsx([row(1), row(2, region_code="123456"), row(3), row(4, pay_day="99")])
    response = upload(client, content)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    report = page.split('id="problems"')[1].split("</table>")[0]
    assert re.findall(r"<td>第(\d+)行</td>", report) == ["3", "5"]
    assert "所在区县代码（C列）" in report and "没有“123456”这个区县代码" in report
    assert "工资支付日（每月几日）" in report and "1到31" in report
    assert 'id="good-count">2<' in page and "只导入没有问题的2行" in page
    assert names(db) == set()


def test_only_good_imports_the_good_rows_of_the_same_file(client, db, world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.users["contractor"].username)
    content = xlsx([row(1), row(2, name=None), row(3)])
    page = upload(client, content).get_data(as_text=True)
    digest = re.search(r'name="digest" value="([0-9a-f]{64})"', page).group(1)
    assert 'name="only_good" value="1"' in page

    other = xlsx([row(7), row(8, address=None)])
    refused = upload(client, other, only_good="1", digest=digest)
    assert refused.status_code == 422 and "不是同一个" in refused.get_data(as_text=True)
    assert names(db) == set()

    response = upload(client, content, only_good="1", digest=digest)
    assert response.status_code == 303
    assert "已导入2个项目" in client.get("/projects").get_data(as_text=True)
    assert names(db) == {"批量工程1号", "批量工程3号"}


def test_files_that_cannot_be_used_get_a_message_not_an_error(client, db, world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.users["contractor"].username)
    cases = [
        (None, "请先选择"),
        (b"name,address\n1,2\n", "文件不是Excel（.xlsx）格式"),
        (xlsx([]), "没有项目"),
        (b"PK" + b"\0" * (5 * 1024 * 1024 + 10), "太大"),
    ]
    for content, message in cases:
        response = upload(client, content)
        assert response.status_code == 422
        assert message in response.get_data(as_text=True), message
    book = Workbook()
    book.active.append(["项目名称*", "备注"])
    book.active.append(["某工程", "x"])
    buffer = io.BytesIO()
    book.save(buffer)
    page = upload(client, buffer.getvalue()).get_data(as_text=True)
    assert "缺少必填的列：项目地址、所在区县代码" in page
