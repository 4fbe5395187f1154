"""Who may open which staff page. A contractor never sees a lead or a worker."""
import pytest

from tests.conftest import csrf_token, login, report_form
from wagechannel.accounts.models import AuditEvent
from wagechannel.intake.models import Lead


def report(client, world, board=None, **overrides):  # type: ignore[no-untyped-def]
    board = board or world.board
    data = report_form(client, f"/s/{board.token}", **overrides)
    location = client.post(f"/s/{board.token}", data=data).headers["Location"]
    return location.split("/q/")[1][:8]


@pytest.fixture()
def case_ids(client, db, world):  # type: ignore[no-untyped-def]
    """One case in each county's centre, made by a worker through the form."""
    from sqlalchemy import select
    mine = report(client, world, name="王五", phone="13700137000")
    theirs = report(client, world, board=world.other_board, name="赵六", phone="13600136000")
    lead_of = {lead.code: lead for lead in db.scalars(select(Lead))}
    return lead_of[mine].case_id, lead_of[theirs].case_id


def test_anonymous_users_are_sent_to_login(client, world) -> None:  # type: ignore[no-untyped-def]
    for url in ("/cases", "/cases/1", "/projects", f"/projects/{world.project.id}",
                f"/boards/{world.board.id}/download"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


QUEUE = {"admin": 200, "legal_aid_staff": 200, "lawyer": 200, "bureau_liaison": 200,
         "contractor": 403}


@pytest.mark.parametrize("role,status", QUEUE.items())
def test_queue_access_by_role(client, world, case_ids, role, status) -> None:  # type: ignore[no-untyped-def]
    login(client, world.users[role].username)
    response = client.get("/cases")
    assert response.status_code == status
    page = response.get_data(as_text=True)
    if role == "contractor":
        assert "王五" not in page and "王*" not in page and "13700137000" not in page
        assert "您没有权限" in page


def test_staff_see_their_centres_cases_only(client, world, case_ids) -> None:  # type: ignore[no-untyped-def]
    mine, theirs = case_ids
    login(client, world.users["legal_aid_staff"].username)
    queue = client.get("/cases").get_data(as_text=True)
    assert world.project.name in queue and world.other_project.name not in queue
    assert "王*" in queue and "13700137000" not in queue  # lists are masked
    assert client.get(f"/cases/{theirs}").status_code == 404
    detail = client.get(f"/cases/{mine}").get_data(as_text=True)
    assert "王五" in detail and "13700137000" in detail


def test_viewing_personal_data_is_logged(client, db, world, case_ids) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select
    mine, _ = case_ids
    login(client, world.users["legal_aid_staff"].username)
    client.get(f"/cases/{mine}")
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "view_personal_data"))
    assert event.actor_id == world.users["legal_aid_staff"].id
    assert event.object_type == "case" and event.object_id == str(mine)


def test_liaison_sees_bureau_cases_masked(client, world, case_ids) -> None:  # type: ignore[no-untyped-def]
    mine, theirs = case_ids
    login(client, world.users["bureau_liaison"].username)
    assert client.get(f"/cases/{theirs}").status_code == 404
    detail = client.get(f"/cases/{mine}").get_data(as_text=True)
    assert "王*" in detail and "137****7000" in detail and "13700137000" not in detail


def test_lawyer_sees_only_assigned_cases(client, db, world, case_ids) -> None:  # type: ignore[no-untyped-def]
    from wagechannel.cases.models import Case
    mine, _ = case_ids
    login(client, world.users["lawyer"].username)
    assert "还没有指派给您的案件" in client.get("/cases").get_data(as_text=True)
    assert client.get(f"/cases/{mine}").status_code == 404
    db.get(Case, mine).lawyer_id = world.users["lawyer"].id
    db.commit()
    assert client.get(f"/cases/{mine}").status_code == 200


def test_admin_sees_everything_masked(client, world, case_ids) -> None:  # type: ignore[no-untyped-def]
    mine, theirs = case_ids
    login(client, "admin")
    queue = client.get("/cases").get_data(as_text=True)
    assert world.project.name in queue and world.other_project.name in queue
    detail = client.get(f"/cases/{theirs}").get_data(as_text=True)
    assert "赵*" in detail and "13600136000" not in detail


def test_contractor_sees_own_projects_and_boards_only(client, world, case_ids) -> None:  # type: ignore[no-untyped-def]
    login(client, world.users["contractor"].username)
    listing = client.get("/projects").get_data(as_text=True)
    assert world.project.name in listing and world.other_project.name not in listing
    page = client.get(f"/projects/{world.project.id}").get_data(as_text=True)
    assert world.board.token in page and "王" not in page.split("<main")[1].replace("王红梅", "")
    assert client.get(f"/projects/{world.other_project.id}").status_code == 404
    assert client.get(f"/boards/{world.other_board.id}/download?format=png").status_code == 404
    png = client.get(f"/boards/{world.board.id}/download?format=preview")
    assert png.status_code == 200 and png.mimetype == "image/png"
    for url in (f"/cases/{case_ids[0]}", "/cases"):
        assert client.get(url).status_code == 403


@pytest.mark.parametrize("role,visible", [("legal_aid_staff", True), ("bureau_liaison", True),
                                          ("lawyer", False)])
def test_office_roles_and_projects(client, world, role, visible) -> None:  # type: ignore[no-untyped-def]
    login(client, world.users[role].username)
    response = client.get(f"/projects/{world.project.id}")
    assert response.status_code == (200 if visible else 403)
    if visible:
        assert client.get(f"/projects/{world.other_project.id}").status_code == 404


def test_each_role_lands_on_its_home(client, world) -> None:  # type: ignore[no-untyped-def]
    for role, target in [("contractor", "/projects"), ("legal_aid_staff", "/cases"),
                         ("bureau_liaison", "/cases"), ("lawyer", "/cases")]:
        login(client, world.users[role].username)
        assert client.get("/").headers["Location"].endswith(target)
        client.post("/logout", data={"csrf_token": csrf_token(client, target)})
