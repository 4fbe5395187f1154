from sqlalchemy import select

from tests.conftest import PASSWORD, csrf_token, login
from wagechannel.accounts.models import AuditEvent


def test_login_page(client, db) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/login").get_data(as_text=True)
    assert "工作人员登录" in page and 'name="csrf_token"' in page


def test_wrong_password_gets_a_chinese_message_and_keeps_the_username(client, db, world) -> None:  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"csrf_token": token, "username": "staff",
                                           "password": "wrong-password"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "用户名或密码不对" in page and 'value="staff"' in page
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "login_failed")) is not None


def test_empty_fields_are_named(client, db) -> None:  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/login")
    page = client.post("/login", data={"csrf_token": token}).get_data(as_text=True)
    assert "请填写用户名" in page and "请填写密码" in page


def test_login_without_csrf_token_is_refused(client, db, world) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/login", data={"username": "staff", "password": PASSWORD})
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)


def test_next_only_goes_to_this_site(client, db, world) -> None:  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/login")
    response = client.post("/login?next=https://evil.example/", data={
        "csrf_token": token, "username": "staff", "password": PASSWORD})
    assert response.headers["Location"] == "/"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/cases")})
    token = csrf_token(client, "/login")
    response = client.post("/login?next=/projects", data={
        "csrf_token": token, "username": "staff", "password": PASSWORD})
    assert response.headers["Location"] == "/projects"


def test_logout(client, db, world) -> None:  # type: ignore[no-untyped-def]
    login(client, "staff")
    assert client.get("/cases").status_code == 200
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/cases")})
    assert response.headers["Location"].endswith("/login")
    assert client.get("/cases").status_code == 302


def test_unknown_pages_are_chinese(client, db) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "找不到这个页面" in response.get_data(as_text=True)
    api = client.get("/api/v1/nothing")
    assert api.status_code == 404 and api.get_json()["error"] == "找不到这个页面。"
