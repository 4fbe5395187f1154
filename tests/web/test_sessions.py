"""Sessions end on logout, after an idle time, and with a new password or deactivation; failed
logins are limited per account; an unknown username costs what a known one costs."""
import time

import pytest

from tests.conftest import PASSWORD, app_config, csrf_token, login
from wagechannel import create_app
from wagechannel.accounts import services
from wagechannel.accounts.services import set_active, set_password


def logged_out(client) -> bool:  # type: ignore[no-untyped-def]
    response = client.get("/cases")
    return response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_copied_cookie_dies_with_the_logout(app, client, db, world) -> None:  # type: ignore[no-untyped-def]
    login(client, "staff")
    stolen = client.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/cases").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/cases")})
    assert logged_out(thief)


def test_an_idle_session_ends(client, db, world) -> None:  # type: ignore[no-untyped-def]
    login(client, "staff")
    assert client.get("/cases").status_code == 200
    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - 8 * 3600 - 60
    response = client.get("/cases")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "长时间没有操作，已自动退出" in page
    assert logged_out(client)


def test_a_recent_session_stays(client, db, world) -> None:  # type: ignore[no-untyped-def]
    login(client, "staff")
    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - 7 * 3600
    assert client.get("/cases").status_code == 200


@pytest.mark.parametrize("change", ["password", "deactivate"])
def test_a_new_password_or_deactivation_ends_every_session(client, db, world, change) -> None:  # type: ignore[no-untyped-def]
    login(client, "staff")
    assert client.get("/cases").status_code == 200
    user = world.users["legal_aid_staff"]
    if change == "password":
        set_password(user, "another-password-1")
    else:
        set_active(user, False)
    db.commit()
    assert logged_out(client)


@pytest.fixture()
def limited_client(database_url, tmp_path, db):  # type: ignore[no-untyped-def]
    limited = create_app(app_config(database_url, str(tmp_path), RATELIMIT_ENABLED=True,
                                    LOGIN_ACCOUNT_LIMIT="3 per 15 minutes"))
    yield limited.test_client()
    from wagechannel.extensions import limiter
    limiter.reset()


def test_failed_logins_lock_the_account_from_any_address(limited_client, world) -> None:  # type: ignore[no-untyped-def]
    client = limited_client
    token = csrf_token(client, "/login")

    def attempt(username: str, password: str, address: str):  # type: ignore[no-untyped-def]
        return client.post("/login", data={"csrf_token": token, "username": username,
                                           "password": password},
                           environ_base={"REMOTE_ADDR": address})

    assert [attempt("staff", "wrong-1", f"10.1.0.{n}").status_code for n in range(3)] == [200] * 3
    locked = attempt("STAFF", PASSWORD, "10.1.0.9")  # even the right password, any spelling
    assert locked.status_code == 429
    assert "输错密码的次数太多" in locked.get_data(as_text=True)
    assert attempt("lawyer", PASSWORD, "10.1.0.9").status_code == 302  # another account is fine


def test_an_unknown_username_costs_one_password_check(db, world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    services._unknown_user_hash()  # made once per process
    checks, hashes = [], []
    real_check = services.check_password_hash
    monkeypatch.setattr(services, "check_password_hash",
                        lambda stored, password: checks.append(stored) or real_check(stored, password))
    monkeypatch.setattr(services, "generate_password_hash", lambda *a: hashes.append(a) or "x")
    assert services.authenticate(db, "nobody-here", "whatever") is None
    assert services.authenticate(db, "staff", "whatever") is None
    assert len(checks) == 2 and hashes == []
    method = world.users["legal_aid_staff"].password_hash.split("$")[0]
    assert checks[0].split("$")[0] == method  # the same kind of work
