"""Board lists at scale: the silent boards, the batch selection and `board list` cost the same
number of statements with a few boards as with many; the silent boards are paged with a total."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from tests.conftest import login
from wagechannel.boards.models import BoardScan
from wagechannel.boards.services import (BatchScope, all_boards, batch_selection, issue_board,
                                         missing_items)
from wagechannel.paging import PER_PAGE

LONG_AGO = datetime.now(timezone.utc) - timedelta(days=60)


def add_projects(db, make_project, count: int, *, start: int = 0, silent: bool = True,  # type: ignore[no-untyped-def]
                 region_code: str = "440305") -> list:
    """`count` projects, each with its own contractor and two boards issued 60 days ago; every
    third one lacks an Art. 34 item; if not silent, every other board was scanned lately."""
    projects = []
    for number in range(start, start + count):
        project = make_project(name=f"批量工地{number:03d}", region_code=region_code,
                               **({"arbitration_phone": ""} if number % 3 == 0 else {}))
        for _ in range(2):
            board = issue_board(db, project)
            board.created_at = LONG_AGO
            if not silent and number % 2:
                db.add(BoardScan(board_id=board.id, day=date.today() - timedelta(days=3),
                                 count=1))
        projects.append(project)
    db.commit()
    return projects


def test_the_silent_boards_cost_the_same_statements_at_two_sizes(client, db, world,  # type: ignore[no-untyped-def]
                                                                   make_project,
                                                                   count_statements) -> None:
    add_projects(db, make_project, 2)
    login(client, world.users["bureau_liaison"].username)
    small = count_statements(lambda: client.get("/boards/stale"))
    add_projects(db, make_project, 40, start=100)
    fresh = issue_board(db, make_project(name="新工地", region_code="440305"))  # new, unscanned
    db.commit()
    large = count_statements(lambda: client.get("/boards/stale"))
    assert large == small, f"{small} statements with 4 silent boards, {large} with 84"
    page = client.get("/boards/stale").get_data(as_text=True)
    stale = page.split('id="stale"')[1].split("</table>")[0]
    # world's board is new (issued today): it is listed apart, with the one issued above
    assert "共 84 条" in page and stale.count('data-label="告示牌编号"') == PER_PAGE
    assert "深圳市南山区" in stale and "测试建设有限公司" in stale
    assert fresh.token in page.split('id="new-boards"')[1]
    second = client.get("/boards/stale?page=2").get_data(as_text=True)
    rest = second.split('id="stale"')[1].split("</table>")[0]
    assert rest.count('data-label="告示牌编号"') == 84 - PER_PAGE


def test_a_board_scanned_lately_is_not_silent_and_another_countys_are_not_shown(  # type: ignore[no-untyped-def]
        client, db, world, make_project) -> None:
    projects = add_projects(db, make_project, 4, silent=False)
    login(client, world.users["bureau_liaison"].username)
    page = client.get("/boards/stale").get_data(as_text=True)
    for number, project in enumerate(projects):
        for board in project.boards:
            assert (board.token in page) == (number % 2 == 0), (number, board.token)
    login(client, world.other_users["bureau_liaison"].username)
    other = client.get("/boards/stale").get_data(as_text=True)
    assert not any(board.token in other for project in projects for board in project.boards)


def test_batch_selection_costs_the_same_statements_at_two_sizes(db, world, make_project,  # type: ignore[no-untyped-def]
                                                                 count_statements) -> None:
    scope = BatchScope(region_code="440300")  # the city: both counties

    def select_and_draw() -> None:
        selection = batch_selection(db, scope)
        list(selection.contents(db, "http://wc.test"))

    add_projects(db, make_project, 3)
    small = count_statements(select_and_draw)
    add_projects(db, make_project, 30, start=100, region_code="440304")
    large = count_statements(select_and_draw)
    assert large == small, f"{small} statements for 5 projects, {large} for 35"
    db.expire_all()
    selection = batch_selection(db, scope)
    # every third added project lacks the arbitration phone; each complete one prints 2 boards
    assert len(selection.incomplete) == 1 + 10
    assert all("仲裁委电话" in missing for _project, missing in selection.incomplete)
    assert len(selection.ready) == 2 + 2 * 2 + 20 * 2  # world's two projects have one board each
    for project, missing in selection.incomplete:
        assert missing == missing_items(db, project)  # the same verdict as one project's page


def test_the_batch_page_costs_the_same_statements_at_two_sizes(client, db, world, make_project,  # type: ignore[no-untyped-def]
                                                                count_statements) -> None:
    login(client, world.users["bureau_liaison"].username)
    url = "/boards/batch?region_code=440305&size=A2&format=pdf"
    add_projects(db, make_project, 3)
    small = count_statements(lambda: client.get(url))
    add_projects(db, make_project, 30, start=100)
    large = count_statements(lambda: client.get(url))
    assert large == small, (small, large)
    page = client.get(url).get_data(as_text=True)
    assert 'id="ready-count">' in page and "批量工地102" in page  # listed as incomplete


def test_board_list_loads_each_boards_project_in_the_same_statement(db, world, make_project,  # type: ignore[no-untyped-def]
                                                                    count_statements) -> None:
    def rows() -> list[tuple[int, str, str, bool]]:
        return [(board.id, board.project.name, board.token, board.active)
                for board in all_boards(db)]  # what `wagechannel board list --json` prints

    small = count_statements(rows)
    add_projects(db, make_project, 25)
    large = count_statements(rows)
    assert large == small == 1
    db.expire_all()
    listed = rows()
    assert len(listed) == 2 + 50 and [row[0] for row in listed] == sorted(row[0] for row in listed)
    assert {row[1] for row in listed} >= {world.project.name, "批量工地024"}
