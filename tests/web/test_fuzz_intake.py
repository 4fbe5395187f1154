"""Hostile input to the form and the API: never a 500, never a half-stored report."""
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.conftest import hidden_fields
from wagechannel.intake.models import Lead

FIELDS = ["board_token", "name", "phone", "employer_name", "employer_kind", "employer_phone",
          "subcontractor_name", "trade", "amount_owed", "amount_unknown", "months_unpaid",
          "workers_affected", "work_start", "work_end", "still_working", "evidence", "urgent",
          "hometown", "best_time", "id_number", "id_consent", "description", "wants", "consent",
          "region_code", "site_name", "site_address"]

hostile_text = st.one_of(
    st.text(max_size=300),
    st.sampled_from(["\x00", "\ud800", "' OR 1=1 --", "<script>alert(1)</script>", "１３８００１３８０００",
                     "13800138000\x00", "9" * 400, "-0", "1e309", "NaN", "2026-02-30", "0000-00-00",
                     "legal_aid\x00", "true", "on", "\u202e13800138000", "А" * 70]),
)
# A browser cannot send lone surrogates in a form; broken bytes are tested raw below.
form_text = hostile_text.filter(lambda value: not any(0xD800 <= ord(ch) <= 0xDFFF for ch in value))
scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
                    st.floats(allow_nan=True, allow_infinity=True), hostile_text)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)
payloads = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), values, max_size=12)

FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def leads(db) -> int:  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.scalar(select(func.count(Lead.id)))


def check_stored_lead_is_whole(db, code: str) -> None:  # type: ignore[no-untyped-def]
    lead = db.scalar(select(Lead).where(Lead.code == code))
    assert lead is not None and lead.consent_at is not None
    assert lead.name or lead.phone
    assert lead.status in {"received", "routed"}


@FUZZ
@given(payload=payloads, with_board=st.booleans())
def test_api_never_fails_with_hostile_json(client, db, world, payload, with_board) -> None:  # type: ignore[no-untyped-def]
    if with_board:
        payload = {**payload, "board_token": world.board.token}
    before = leads(db)
    response = client.post("/api/v1/leads", data=json.dumps(payload),
                           content_type="application/json")
    assert response.status_code in {201, 422}, response.get_data(as_text=True)
    body = response.get_json()
    if response.status_code == 201:
        assert leads(db) == before + 1
        check_stored_lead_is_whole(db, body["code"])
    else:
        assert leads(db) == before and isinstance(body["errors"], dict) and body["errors"]


@FUZZ
@given(body=st.binary(max_size=500), kind=st.sampled_from(
    ["application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]))
def test_api_never_fails_with_broken_bytes(client, db, world, body, kind) -> None:  # type: ignore[no-untyped-def]
    before = leads(db)
    response = client.post("/api/v1/leads", data=body, content_type=kind)
    assert response.status_code in {400, 422}
    assert response.get_json()["error"]
    assert leads(db) == before


@FUZZ
@given(form=st.dictionaries(st.sampled_from(FIELDS), form_text | st.lists(form_text, max_size=3),
                            max_size=14))
def test_form_never_fails_with_hostile_fields(client, db, world, form) -> None:  # type: ignore[no-untyped-def]
    url = f"/s/{world.board.token}"
    data = {**{k: v for k, v in form.items() if k != "board_token"}, **hidden_fields(client, url)}
    before = leads(db)
    response = client.post(url, data=data)
    assert response.status_code in {303, 422}, response.status_code
    if response.status_code == 303:
        assert leads(db) == before + 1
        check_stored_lead_is_whole(db, response.headers["Location"].split("/q/")[1][:8])
    else:
        assert leads(db) == before
        assert "请看红字" in response.get_data(as_text=True)


@FUZZ
@given(raw=st.binary(max_size=200))
def test_form_never_fails_with_broken_utf8(client, db, world, raw) -> None:  # type: ignore[no-untyped-def]
    from urllib.parse import quote_from_bytes, urlencode
    url = f"/s/{world.board.token}"
    hidden = urlencode(hidden_fields(client, url))
    body = f"{hidden}&name={quote_from_bytes(raw)}&phone=%FF%FE13800138000&consent=1"
    before = leads(db)
    response = client.post(url, data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code in {303, 422}
    assert leads(db) in {before, before + 1}


def test_oversize_bodies_are_refused_in_chinese(client, db, world, app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 256 * 1024)
    huge = json.dumps({"board_token": world.board.token, "name": "x" * 400_000, "consent": True})
    response = client.post("/api/v1/leads", data=huge, content_type="application/json")
    assert response.status_code == 413 and "太大" in response.get_json()["error"]
    url = f"/s/{world.board.token}"
    form = {**hidden_fields(client, url), "name": "张三", "description": "字" * 300_000}
    page = client.post(url, data=form)
    assert page.status_code == 413 and "太大" in page.get_data(as_text=True)
    assert leads(db) == 0
