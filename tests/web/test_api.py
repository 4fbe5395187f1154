from sqlalchemy import func, select

from wagechannel.intake.models import Lead


def payload(world, **overrides):  # type: ignore[no-untyped-def]
    return {"board_token": world.board.token, "name": "李四", "phone": "13900139000",
            "employer_name": "赵工头", "amount_owed": 12000.5, "workers_affected": 2,
            "work_start": "2026-02-01", "work_end": None, "description": "一直没发",
            "wants": "legal_aid", "consent": True, **overrides}


def test_create_lead(client, db, world) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/leads", json=payload(world))
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"code", "status", "status_url"}
    assert body["status"] == "pending"
    assert body["status_url"] == f"http://wc.test/api/v1/leads/{body['code']}"
    lead = db.scalar(select(Lead).where(Lead.code == body["code"]))
    assert lead.amount_owed_fen == 1200050 and lead.work_end is None and lead.channel == "api"
    assert lead.case.legal_aid_org_id == world.centre.id


def test_invalid_input_is_422_keyed_by_field(client, db, world) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/leads", json=payload(world, board_token="WRONGTOKEN",
                                                          phone="1", consent=False,
                                                          workers_affected="many"))
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert set(errors) == {"board_token", "phone", "consent", "workers_affected"}
    assert "告示牌" in errors["board_token"]
    assert db.scalar(select(func.count(Lead.id))) == 0


def test_body_must_be_a_json_object(client, db) -> None:  # type: ignore[no-untyped-def]
    for body, kind in [("not json", "text/plain"), ("[1,2]", "application/json"),
                       ('{"a": ', "application/json"), (b"\xff\xfe", "application/json")]:
        response = client.post("/api/v1/leads", data=body, content_type=kind)
        assert response.status_code == 422
        assert "body" in response.get_json()["errors"]


def test_idempotency_key_returns_the_first_answer(client, db, world) -> None:  # type: ignore[no-untyped-def]
    headers = {"Idempotency-Key": "phone-7f3a-0001"}
    first = client.post("/api/v1/leads", json=payload(world), headers=headers)
    again = client.post("/api/v1/leads", json=payload(world), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert db.scalar(select(func.count(Lead.id))) == 1
    other = client.post("/api/v1/leads", json=payload(world), headers={"Idempotency-Key": "2"})
    assert other.get_json()["code"] != first.get_json()["code"]
    too_long = client.post("/api/v1/leads", json=payload(world),
                           headers={"Idempotency-Key": "k" * 200})
    assert too_long.status_code == 422 and "Idempotency-Key" in too_long.get_json()["errors"]


def test_status_has_no_personal_data(client, db, world) -> None:  # type: ignore[no-untyped-def]
    code = client.post("/api/v1/leads", json=payload(world)).get_json()["code"]
    response = client.get(f"/api/v1/leads/{code}")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"code", "status", "status_label", "updated_at"}
    assert body["status_label"] == "已转交法律援助中心，等待受理"
    assert "13900139000" not in response.get_data(as_text=True)
    missing = client.get("/api/v1/leads/ZZZZZZZZ")
    assert missing.status_code == 404 and missing.get_json()["error"]


def test_openapi_documents_every_route_and_field(client, db) -> None:  # type: ignore[no-untyped-def]
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    assert {"/api/v1/leads", "/api/v1/leads/{code}", "/healthz"} <= set(document["paths"])
    schema = document["paths"]["/api/v1/leads"]["post"]["requestBody"]["content"][
        "application/json"]["schema"]
    assert {"board_token", "name", "phone", "employer_name", "amount_owed", "workers_affected",
            "work_start", "work_end", "description", "wants", "consent", "evidence", "urgent",
            "id_number", "id_consent", "trade", "months_unpaid"} <= set(schema["properties"])
    multipart = document["paths"]["/api/v1/leads"]["post"]["requestBody"]["content"][
        "multipart/form-data"]["schema"]
    assert "photos" in multipart["allOf"][1]["properties"]


def test_healthz_checks_the_database(client, db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok"}

    def down(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError("connection refused")

    monkeypatch.setattr(db, "execute", down)
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json()["database"] == "unreachable"


def test_api_needs_no_csrf_but_forms_do(client, db, world) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/api/v1/leads", json=payload(world)).status_code == 201
    assert client.post("/login", data={"username": "staff", "password": "x"}).status_code == 400
