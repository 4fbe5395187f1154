"""Project and region pages: readable on a 360 px phone, paged with the total, a constant
number of statements, and places knowing nothing of boards."""
from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.conftest import csrf_token, login
from wagechannel.boards.services import issue_board
from wagechannel.paging import PER_PAGE
from wagechannel.places.models import Region
from wagechannel.places.services import ensure_region

PACKAGE = Path(__file__).resolve().parents[2] / "wagechannel"


def cells_have_labels(page: str, table_id: str) -> None:
    table = page.split(f'id="{table_id}"')[1].split("</table>")[0]
    assert 'class="stack"' in page.split(f'id="{table_id}"')[0].rsplit("<table", 1)[1]
    cells = re.findall(r"<td([^>]*)>", table)
    assert cells and all("data-label=" in attrs for attrs in cells)


def test_project_tables_stack_as_cards_on_a_phone(client, world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.users["contractor"].username)
    cells_have_labels(client.get("/projects").get_data(as_text=True), "projects")
    cells_have_labels(client.get(f"/projects/{world.project.id}").get_data(as_text=True), "boards")


def test_the_project_list_is_paged_and_its_statements_do_not_grow(client, db, world, make_project,  # type: ignore[no-untyped-def]
                                                                   count_statements) -> None:
    login(client, world.users["contractor"].username)
    few = count_statements(lambda: client.get("/projects"))
    for number in range(PER_PAGE + 5):
        project = make_project(contractor=world.contractor, name=f"工地{number:03d}")
        issue_board(db, project)
        issue_board(db, project)
    db.commit()
    many = count_statements(lambda: client.get("/projects"))
    assert many == few, f"{few} statements with one project, {many} with {PER_PAGE + 6}"
    page = client.get("/projects").get_data(as_text=True)
    assert page.count("<tr>") == PER_PAGE + 1  # the header row and one page of projects
    assert f"共 {PER_PAGE + 6} 条" in page and 'href="/projects?page=2"' in page
    assert "2 块" in page  # each project's active boards
    second = client.get("/projects?page=2").get_data(as_text=True)
    assert "工地054" in second and "第2/2页" in second
    assert client.get("/projects?page=abc").status_code == 200
    assert "第2/2页" in client.get("/projects?page=999999").get_data(as_text=True)


def test_an_office_sees_its_projects_county_by_county_in_constant_statements(  # type: ignore[no-untyped-def]
        client, db, world, make_project, count_statements) -> None:
    """A bureau serving a whole city: every county's projects, paged, none of another city's."""
    from wagechannel.places.models import BUREAU
    from wagechannel.places.services import create_organisation
    from wagechannel.accounts.services import create_user
    from tests.conftest import PASSWORD
    city = create_organisation(db, kind=BUREAU, name="深圳市人力资源局", region_codes=["440300"])
    create_user(db, username="cityliaison", password=PASSWORD, role="bureau_liaison",
                organisation_id=city.id)
    ensure_region(db, "441900", "东莞市")
    make_project(region_code="441900", name="东莞的工地")
    db.commit()
    login(client, "cityliaison")
    few = count_statements(lambda: client.get("/projects"))
    for number in range(30):
        make_project(region_code="440305" if number % 2 else "440304", name=f"城区工地{number:03d}")
    many = count_statements(lambda: client.get("/projects"))
    assert many == few, (few, many)
    page = client.get("/projects").get_data(as_text=True)
    assert "共 32 条" in page and "东莞的工地" not in page
    rows = re.findall(r'data-label="项目"><a href="/projects/(\d+)"', page)
    assert len(rows) == 32


def test_the_region_list_is_paged_with_a_total_in_constant_statements(client, db, world,  # type: ignore[no-untyped-def]
                                                                      count_statements) -> None:
    login(client, "admin")
    few = count_statements(lambda: client.get("/admin/regions"))
    for number in range(PER_PAGE + 10):
        ensure_region(db, f"45{number:04d}", f"测试县{number:03d}")
    db.commit()
    many = count_statements(lambda: client.get("/admin/regions"))
    assert many == few, (few, many)
    total = db.query(Region).count()
    first = client.get("/admin/regions").get_data(as_text=True)
    assert f"共 {total} 条" in first and first.count('data-label="行政区划"') == PER_PAGE
    second = client.get("/admin/regions?page=2").get_data(as_text=True)
    assert second.count('data-label="行政区划"') == total - PER_PAGE


def test_a_bad_wage_on_page_two_stays_on_page_two_with_the_input(client, db, world) -> None:  # type: ignore[no-untyped-def]
    for number in range(PER_PAGE + 10):
        ensure_region(db, f"45{number:04d}", f"测试县{number:03d}")
    db.commit()
    login(client, "admin")
    token = csrf_token(client, "/admin/regions?page=2")
    response = client.post("/admin/regions", data={
        "csrf_token": token, "code": "450059", "page": "2", "minimum_wage_monthly": "两千",
        "minimum_wage_hourly": "20"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "测试县059" in page and 'value="两千"' in page
    assert 'class="error"' in page and "第2/2页" in page
    saved = client.post("/admin/regions", data={
        "csrf_token": token, "code": "450059", "page": "2", "minimum_wage_monthly": "2000",
        "minimum_wage_hourly": "20"})
    assert saved.status_code == 303 and saved.headers["Location"].endswith("/admin/regions?page=2")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_places_knows_nothing_of_boards_nor_of_intake_models() -> None:
    for path in (PACKAGE / "places").glob("*.py"):
        modules = imported_modules(path)
        assert not any(name.startswith("wagechannel.boards") for name in modules), path.name
        assert "wagechannel.intake.models" not in modules, path.name
