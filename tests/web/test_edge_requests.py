"""Requests at the edges that once crashed: each gets a clear answer, never a 500."""
from tests.conftest import csrf_token, login, report_form


def test_absurd_amounts_are_refused_politely(client, db, world) -> None:  # type: ignore[no-untyped-def]
    url = f"/s/{world.board.token}"
    response = client.post(url, data=report_form(client, url, amount_owed="1e999999"))
    assert response.status_code == 422 and "金额太大了" in response.get_data(as_text=True)
    api = client.post("/api/v1/leads", json={"board_token": world.board.token, "name": "x",
                                             "consent": True, "amount_owed": "9e999999"})
    assert api.status_code == 422 and "amount_owed" in api.get_json()["errors"]
    login(client, "admin")
    token = csrf_token(client, "/admin/regions")
    wage = client.post("/admin/regions", data={"csrf_token": token, "code": "440300",
                                               "minimum_wage_monthly": "1e999999"})
    assert wage.status_code == 422


def test_full_width_digits_unlock_messages(client, db, world) -> None:  # type: ignore[no-untyped-def]
    url = f"/s/{world.board.token}"
    code = client.post(url, data=report_form(client, url)).headers["Location"].split("/q/")[1][:8]
    token = csrf_token(client, f"/q/{code}")
    response = client.post(f"/q/{code}/verify", data={"csrf_token": token, "digits": "８００１"})
    assert response.status_code == 303
    odd = client.post(f"/q/{code}/verify", data={"csrf_token": token, "digits": "²²²²"})
    assert odd.status_code == 422


def test_staff_form_without_a_session_is_refused(client, db, world) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/intake/new", data={"name": "x"})
    assert response.status_code == 403 and "没有权限" in response.get_data(as_text=True)


def test_huge_ids_are_not_found(client, db, world) -> None:  # type: ignore[no-untyped-def]
    login(client, "admin")
    for url in ("/projects/99999999999999999999", "/projects/2147483648",
                "/cases/99999999999999999999", "/boards/2147483648/download",
                "/evidence/99999999999999999999"):
        assert client.get(url).status_code == 404, url


def test_odd_contractor_ids_and_sizes(client, db, world) -> None:  # type: ignore[no-untyped-def]
    login(client, "admin")
    token = csrf_token(client, "/projects/new")
    for raw in ("²", "99999999999999999999"):
        response = client.post("/projects/new", data={"csrf_token": token, "contractor_id": raw,
                                                      "name": "x", "address": "y",
                                                      "region_code": "440305"})
        assert response.status_code == 422 and "请选择施工总承包单位" in response.get_data(as_text=True)
    long_size = "A" * 300
    assert client.get(f"/boards/{world.board.id}/download?size={long_size}").status_code == 404
    batch = client.get(f"/boards/batch?contractor_id={world.contractor.id}&size={long_size}")
    assert batch.status_code == 422


def test_idempotency_keys_fit_the_column(client, db, world) -> None:  # type: ignore[no-untyped-def]
    body = {"board_token": world.board.token, "name": "x", "consent": True}
    assert client.post("/api/v1/leads", json=body, headers={"Idempotency-Key": "k" * 120}).status_code == 201
    too_long = client.post("/api/v1/leads", json=body, headers={"Idempotency-Key": "k" * 121})
    assert too_long.status_code == 422


def test_login_messages_are_chinese(client, db) -> None:  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/login")
    page = client.post("/login", data={"csrf_token": token, "username": "u" * 65,
                                       "password": "x"}).get_data(as_text=True)
    assert "用户名最多64个字符" in page and "Field cannot" not in page
