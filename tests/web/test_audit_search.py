"""The administrator searches the audit log by user, case, action and dates, in the address;
paged, in a constant number of statements."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from tests.conftest import login, report_form
from wagechannel.accounts.models import AuditEvent
from wagechannel.accounts.services import record
from wagechannel.cases.models import Case
from wagechannel.intake.models import Lead


def report(client, db, board, **overrides) -> Lead:  # type: ignore[no-untyped-def]
    data = report_form(client, f"/s/{board.token}", **overrides)
    client.post(f"/s/{board.token}", data=data)
    return db.scalar(select(Lead).order_by(Lead.id.desc()))


@pytest.fixture()
def cases(client, db, world):  # type: ignore[no-untyped-def]
    """Two cases of the first centre, with events by staff and by the lawyer."""
    first = db.get(Case, report(client, db, world.board, phone="13700137001", employer_name="王老板").case_id)
    second = db.get(Case, report(client, db, world.board, phone="13700137002", employer_name="李老板").case_id)
    staff, lawyer = world.users["legal_aid_staff"], world.users["lawyer"]
    old = datetime(2026, 1, 10, 3, 0, tzinfo=timezone.utc)  # 2026-01-10 11:00 in China
    db.add(AuditEvent(action="case_accept", actor_id=staff.id, object_type="case",
                      object_id=str(first.id), at=old, detail={}))
    record(db, "view_personal_data", actor=lawyer, object_type="case", object_id=first.id)
    record(db, "case_accept", actor=staff, object_type="case", object_id=second.id)
    record(db, "message_to_worker", actor=staff, object_type="lead", object_id=first.leads[0].id)
    db.commit()
    assert first.id != second.id  # two bosses: two cases, not one collective case
    return first, second


def rows(page: str) -> int:
    return page.count('data-label="操作"')


def test_only_the_administrator_searches(client, world, cases) -> None:  # type: ignore[no-untyped-def]
    for role in ("legal_aid_staff", "lawyer", "bureau_liaison", "contractor"):
        login(client, world.users[role].username)
        assert client.get("/admin/audit").status_code == 403, role
    login(client, "admin")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "操作记录查询" in page and 'class="stack"' in page and 'data-label="时间"' in page


def test_filters_by_user_case_action_and_dates(client, world, cases) -> None:  # type: ignore[no-untyped-def]
    first, second = cases
    login(client, "admin")
    by_lawyer = client.get("/admin/audit?user=lawyer").get_data(as_text=True)
    assert rows(by_lawyer) == 1 and "查看了当事人的个人信息" in by_lawyer
    assert rows(client.get("/admin/audit?user=nobody").get_data(as_text=True)) == 0

    by_id = client.get(f"/admin/audit?case={first.id}").get_data(as_text=True)
    by_number = client.get(f"/admin/audit?case={first.number.lower()}").get_data(as_text=True)
    assert rows(by_id) == rows(by_number) == 3  # accepted, viewed, a message on its report
    assert f'href="/cases/{first.id}"' in by_id and f'href="/cases/{second.id}"' not in by_id
    assert rows(client.get("/admin/audit?case=WC2026-NOSUCHNO").get_data(as_text=True)) == 0

    accepted = client.get("/admin/audit?action=case_accept").get_data(as_text=True)
    assert rows(accepted) == 2 and "受理" in accepted
    january = client.get("/admin/audit?action=case_accept&from=2026-01-10&to=2026-01-10")
    assert rows(january.get_data(as_text=True)) == 1
    assert rows(client.get("/admin/audit?from=2026-01-11&to=2026-01-31").get_data(as_text=True)) == 0
    both = client.get(f"/admin/audit?user=staff&case={first.id}&action=case_accept&from=2026-01-01")
    assert rows(both.get_data(as_text=True)) == 1


def test_a_bad_date_is_named_and_not_applied(client, world, cases) -> None:  # type: ignore[no-untyped-def]
    login(client, "admin")
    response = client.get("/admin/audit?from=2026-13-45&user=staff")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "请按“2026-11-30”的样子填写日期。" in page and 'value="staff"' in page
    backwards = client.get("/admin/audit?from=2026-02-01&to=2026-01-01")
    assert backwards.status_code == 422 and "结束日期不能早于开始日期。" in backwards.get_data(as_text=True)


def test_pages_keep_the_filters(client, db, world, cases) -> None:  # type: ignore[no-untyped-def]
    staff = world.users["legal_aid_staff"]
    for _ in range(55):
        record(db, "login", actor=staff)
    db.commit()
    login(client, "admin")  # one more login, by the admin
    page = client.get("/admin/audit?user=staff&action=login").get_data(as_text=True)
    assert "共 55 条" in page and rows(page) == 50
    assert 'href="/admin/audit?page=2&amp;user=staff&amp;action=login"' in page
    second = client.get("/admin/audit?page=2&user=staff&action=login").get_data(as_text=True)
    assert rows(second) == 5


def test_the_search_costs_the_same_statements_at_two_sizes(client, db, world, cases,  # type: ignore[no-untyped-def]
                                                             count_statements) -> None:
    first, _second = cases
    login(client, "admin")
    urls = ["/admin/audit", f"/admin/audit?case={first.number}&user=staff",
            "/admin/audit?action=view_personal_data&from=2026-01-01"]
    small = [count_statements(lambda url=url: client.get(url)) for url in urls]
    staff, lawyer = world.users["legal_aid_staff"], world.users["lawyer"]
    for number in range(70):
        actor = staff if number % 2 else lawyer
        record(db, "view_personal_data", actor=actor, object_type="case", object_id=first.id)
        record(db, "message_to_worker", actor=actor, object_type="lead", object_id=first.leads[0].id)
    db.commit()
    large = [count_statements(lambda url=url: client.get(url)) for url in urls]
    assert large == small
    assert "共 71 条" in client.get("/admin/audit?action=view_personal_data").get_data(as_text=True)
