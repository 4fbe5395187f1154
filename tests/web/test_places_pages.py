"""Project pages: readable on a 360 px phone, paged, a constant number of statements, and
places knowing nothing of boards."""
from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event

from tests.conftest import login
from wagechannel.boards.services import issue_board
from wagechannel.extensions import db as database
from wagechannel.places.paging import PER_PAGE

PACKAGE = Path(__file__).resolve().parents[2] / "wagechannel"


@contextmanager
def counted_statements() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    engine = database.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def cells_have_labels(page: str, table_id: str) -> None:
    table = page.split(f'id="{table_id}"')[1].split("</table>")[0]
    assert 'class="stack"' in page.split(f'id="{table_id}"')[0].rsplit("<table", 1)[1]
    cells = re.findall(r"<td([^>]*)>", table)
    assert cells and all("data-label=" in attrs for attrs in cells)


def test_project_tables_stack_as_cards_on_a_phone(client, world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.users["contractor"].username)
    cells_have_labels(client.get("/projects").get_data(as_text=True), "projects")
    cells_have_labels(client.get(f"/projects/{world.project.id}").get_data(as_text=True), "boards")


def test_the_project_list_is_paged_and_its_statements_do_not_grow(client, db, world, make_project) -> None:  # type: ignore[no-untyped-def]
    login(client, world.users["contractor"].username)
    client.get("/projects")  # warm up whatever a first request loads once
    with counted_statements() as few:
        assert client.get("/projects").status_code == 200
    for number in range(PER_PAGE + 5):
        project = make_project(contractor=world.contractor, name=f"工地{number:03d}")
        issue_board(db, project)
    db.commit()
    with counted_statements() as many:
        page = client.get("/projects").get_data(as_text=True)
    assert few and len(many) == len(few), (len(few), len(many))
    assert page.count("<tr>") == PER_PAGE + 1  # the header row and one page of projects
    assert "第1页，共2页" in page and 'href="/projects?page=2"' in page
    second = client.get("/projects?page=2").get_data(as_text=True)
    assert "工地054" in second and "第2页，共2页" in second
    assert client.get("/projects?page=abc").status_code == 200
    assert "第2页" in client.get("/projects?page=999999").get_data(as_text=True)


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
