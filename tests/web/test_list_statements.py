"""What each list page costs in statements, counted at two data sizes (the same at both), and
what its plain rows still show: the queue's lawyer, claimants, amounts and deadlines, the header's
unread counts from one statement, the board list read in one statement."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import event, select

from tests.conftest import login
from tests.web.test_case_lists import add_reports
from wagechannel.boards.services import board_list_rows, issue_board, revoke_board
from wagechannel.cases.models import Alert, Case
from wagechannel.deadlines.models import Reminder
from wagechannel.places.services import ensure_region

# user, header counts (both in one), the rows with their total (project, contractor, lawyer
# and nearest deadline joined, the count a column), the claimants; the lawyer choices are kept
# a minute per process.
QUEUE = 4


def calendar_check(user: str) -> int:
    """The administrators' header looks for next year's calendar entries from November, while
    the State Council's schedule is not yet published (one statement)."""
    from wagechannel.clock import local_today
    from wagechannel.deadlines.calendar import published_until
    today = local_today()
    return int(user == "admin" and today.month >= 11 and published_until() <= today.year)


def assign_all(db, world) -> None:  # type: ignore[no-untyped-def]
    for case in db.scalars(select(Case).where(Case.lawyer_id.is_(None))):
        case.lawyer_id, case.status = world.users["lawyer"].id, "assigned"
    db.commit()


@pytest.mark.parametrize("user", ["admin", "lawyer", "liaison", "staff"])
def test_the_queue_costs_a_fixed_number_of_statements(client, db, world, count_statements,  # type: ignore[no-untyped-def]
                                                      user) -> None:
    add_reports(db, world, 3)
    assign_all(db, world)
    login(client, user)
    small = count_statements(lambda: client.get("/cases"))
    add_reports(db, world, 60, start=100)
    assign_all(db, world)
    large = count_statements(lambda: client.get("/cases"))
    assert small == large == QUEUE + calendar_check(user), (small, large)
    page = client.get("/cases").get_data(as_text=True)
    assert "共 63 条" in page and page.count('data-label="案号"') == 50


def test_a_queue_row_shows_its_lawyer_claimants_amount_and_limit(client, db, world) -> None:  # type: ignore[no-untyped-def]
    add_reports(db, world, 1)
    assign_all(db, world)
    login(client, "staff")
    page = client.get("/cases").get_data(as_text=True)
    row = page.split('<tr class="tier-')[1].split("</tr>")[0]
    case = db.scalar(select(Case))
    assert f'href="/cases/{case.id}">{case.number}</a>' in row
    assert f"律师：{world.users['lawyer'].display_name}" in row
    assert "工*" in row and "1,000 元" in row  # 工人0, owed 1000 yuan: masked, summed
    assert f"<strong>{case.limitation_end.isoformat()}</strong>" in row
    assert f'href="/cases?project={world.project.id}"' in row
    assert f'href="/cases?contractor={world.contractor.id}"' in row
    assert "已指派律师" in row


def test_the_header_reads_both_unread_counts_in_one_statement(app, client, db, world) -> None:  # type: ignore[no-untyped-def]
    from flask_login import login_user

    from wagechannel.cases.queue_views import header_counts
    staff = world.users["legal_aid_staff"]
    db.add(Alert(organisation_id=staff.organisation_id, kind="conflict", message="测试"))
    db.add(Reminder(key="test-inbox-1", stage="due", channel="inapp", user_id=staff.id,
                    subject="期限提醒", body="测试", status="sent"))
    db.commit()
    engine = app.extensions["wagechannel_engine"]
    for user, expected, statements in ((staff, (1, 1), 1),
                                       (world.users["lawyer"], (0, 0), 1),
                                       (world.users["contractor"], (0, 0), 0)):
        seen: list[str] = []

        def note(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
            if "FROM alert" in statement or "FROM reminder" in statement:
                seen.append(statement)
        with app.test_request_context("/cases"):
            login_user(user)
            assert user.role and user.id  # loaded before counting
            event.listen(engine, "before_cursor_execute", note)
            try:
                counts = header_counts()
                header_counts()  # once a request
            finally:
                event.remove(engine, "before_cursor_execute", note)
        assert (counts.alerts, counts.inbox) == expected and len(seen) == statements, \
            (user.role, counts, seen)
    login(client, "staff")
    page = client.get("/cases").get_data(as_text=True)
    assert '紧急通知<span class="tag">1</span>' in page
    assert '<span class="tag" id="inbox-unread-count">1</span>' in page


@pytest.mark.parametrize("user,path,expected", [
    ("admin", "/projects", 3),  # user, header counts, rows with their total
    ("contractor", "/projects", 2),  # user, rows with their total (no header counts)
    ("admin", "/leads/unrouted", 3),
    ("admin", "/admin/regions", 3),
])
def test_other_lists_cost_a_fixed_number_of_statements(client, db, world, make_project,  # type: ignore[no-untyped-def]
                                                       count_statements, user, path,
                                                       expected) -> None:
    def grow(count: int, start: int) -> None:
        for number in range(start, start + count):
            project = make_project(contractor=world.contractor, name=f"列表工地{number:03d}")
            issue_board(db, project)
            ensure_region(db, f"46{number:04d}", f"列表县{number:03d}")
        add_reports(db, world, count // 3, start=start, routed=False)
        db.commit()
    grow(3, 0)
    login(client, world.users[user].username if user == "contractor" else user)
    small = count_statements(lambda: client.get(path))
    grow(60, 100)
    large = count_statements(lambda: client.get(path))
    assert small == large == expected + calendar_check(user), (path, small, large)
    assert client.get(path).status_code == 200


def test_the_board_list_reads_its_rows_in_one_statement(db, world, make_project,  # type: ignore[no-untyped-def]
                                                        count_statements) -> None:
    small = count_statements(lambda: board_list_rows(db))
    for number in range(30):
        issue_board(db, make_project(contractor=world.contractor, name=f"牌子工地{number:02d}"))
    revoke_board(db, world.board, "stolen")
    db.commit()
    large = count_statements(lambda: board_list_rows(db))
    assert small == large == 1
    rows = board_list_rows(db)
    assert [row.id for row in rows] == sorted(row.id for row in rows)
    assert any(row.revoked_at is not None for row in rows if row.token == world.board.token)


def test_board_list_json_is_compact_unless_indented(runner, world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from wagechannel.cli import main
    monkeypatch.setattr("wagechannel.cli._data_app", lambda: runner.app)
    compact = runner.invoke(main, ["board", "list", "--json"])
    assert compact.exit_code == 0, compact.output
    assert compact.output.count("\n") == 1 and '", "' not in compact.output
    indented = runner.invoke(main, ["board", "list", "--json", "--indent", "2"])
    assert indented.exit_code == 0 and '\n  {\n    "board_id": ' in indented.output
    assert json.loads(compact.output) == json.loads(indented.output)
