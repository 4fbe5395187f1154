"""Each finding of the attack on intake, reproduced: every test here failed before its fix."""
import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from tests.conftest import app_config, csrf_token, login, report_form
from wagechannel import create_app
from wagechannel.intake.evidence import process_photo
from wagechannel.intake.models import Lead
from wagechannel.validation import Invalid


@pytest.fixture()
def limited_client(database_url, tmp_path, db):  # type: ignore[no-untyped-def]
    limited = create_app(app_config(database_url, str(tmp_path), RATELIMIT_ENABLED=True,
                                    LOOKUP_LIMIT="5 per hour"))
    yield limited.test_client()
    from wagechannel.extensions import limiter
    limiter.reset()


def stored_code(client, world) -> str:  # type: ignore[no-untyped-def]
    url = f"/s/{world.board.token}"
    location = client.post(url, data=report_form(client, url)).headers["Location"]
    return location.split("/q/")[1].split("?")[0]


def test_respelling_a_code_buys_no_more_guesses(limited_client, world) -> None:  # type: ignore[no-untyped-def]
    client = limited_client
    code = stored_code(client, world)
    spellings = [code, code.lower(), f"{code[:2]}-{code[2:]}", code.lower().replace("0", "o"),
                 f" {code} ", code.replace("1", "I")]
    statuses = []
    token = csrf_token(client, f"/q/{code}")
    for number, spelling in enumerate(spellings):
        # From a different address each time: the limit is per report, not only per address.
        response = client.post(f"/q/{spelling}/verify", data={"digits": "0000", "csrf_token": token},
                               environ_base={"REMOTE_ADDR": f"10.0.0.{number + 1}"})
        statuses.append(response.status_code)
    assert statuses[:5] == [422] * 5 and statuses[5] == 429, statuses


def test_a_tiny_file_claiming_a_huge_image_is_refused_unread() -> None:
    """8,940 x 8,940 one-bit PNG: 57 KB of file, 80 megapixels if decoded."""
    bomb = io.BytesIO()
    Image.new("1", (8940, 8940)).save(bomb, format="PNG", optimize=True)
    assert len(bomb.getvalue()) < 200_000
    with pytest.raises(Invalid, match="尺寸太大"):
        process_photo(bomb.getvalue())


def test_only_the_formats_a_phone_sends_are_opened() -> None:
    for kind in ("BMP", "TIFF", "GIF", "PPM"):
        image = io.BytesIO()
        Image.new("RGB", (40, 30), "red").save(image, format=kind)
        with pytest.raises(Invalid):
            process_photo(image.getvalue())
    phone = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(phone, format="PNG")
    assert process_photo(phone.getvalue()).content_type == "image/jpeg"


def test_an_idempotency_key_never_replays_another_clients_receipt(client, db, world) -> None:  # type: ignore[no-untyped-def]
    body = {"board_token": world.board.token, "name": "张三", "phone": "13800138001",
            "consent": True}
    first = client.post("/api/v1/leads", json=body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201
    again = client.post("/api/v1/leads", json=body, headers={"Idempotency-Key": "k-1"})
    assert again.status_code == 201 and again.get_json()["code"] == first.get_json()["code"]
    assert again.headers["Idempotent-Replayed"] == "true"
    other = client.post("/api/v1/leads", json={"board_token": world.board.token, "consent": True,
                                               "name": "李四"}, headers={"Idempotency-Key": "k-1"})
    assert other.status_code == 422
    payload = other.get_json()
    assert "Idempotency-Key" in payload["errors"] and first.get_json()["code"] not in str(payload)
    assert client.post("/api/v1/leads", json={}, headers={"Idempotency-Key": "k-1"}).status_code == 422


def test_no_unkeyed_digest_of_the_form_is_stored(client, db, world) -> None:  # type: ignore[no-untyped-def]
    import hashlib
    import json
    url = f"/s/{world.board.token}"
    data = report_form(client, url)
    client.post(url, data=data)
    lead = db.scalar(select(Lead).order_by(Lead.id.desc()))
    ignored = {"started", "website", "nonce", "csrf_token"}
    content = json.dumps({k: v for k, v in sorted(data.items()) if k not in ignored},
                         ensure_ascii=False, sort_keys=True)
    bare = hashlib.sha256(content.encode()).hexdigest()[:32]
    assert bare not in lead.idempotency_key


@pytest.mark.parametrize("digits", ["١٣٨٠٠١٣٨٠٠١", "১৩৮০০১৩৮০০১", "１３８００１３８００１"])
def test_only_ascii_digits_make_a_phone_number(client, db, world, digits) -> None:  # type: ignore[no-untyped-def]
    url = f"/s/{world.board.token}"
    response = client.post(url, data=report_form(client, url, phone=digits))
    if digits.startswith("１"):  # full-width, from a Chinese keyboard: the same number
        assert response.status_code == 303
        lead = db.scalar(select(Lead).order_by(Lead.id.desc()))
        assert lead.phone == "13800138001"
        code = response.headers["Location"].split("/q/")[1].split("?")[0]
        token = csrf_token(client, f"/q/{code}")
        assert client.post(f"/q/{code}/verify",
                           data={"digits": "٨٠٠١", "csrf_token": token}).status_code == 422
    else:
        assert response.status_code == 422 and "手机号码" in response.get_data(as_text=True)


def test_a_huge_json_field_is_refused_at_once(client, db) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/leads", data='{"name": "' + "张" * 3_000_000 + '"}',
                           content_type="application/json")
    assert response.status_code == 413 and "error" in response.get_json()


def test_staff_learn_nothing_of_reports_to_other_centres(client, db, world) -> None:  # type: ignore[no-untyped-def]
    other = f"/s/{world.other_board.token}"
    client.post(other, data=report_form(client, other, phone="13600006666"))
    login(client, world.users["legal_aid_staff"].username)
    response = client.post("/intake/new", data=report_form(
        client, "/intake/new", channel="hotline_12348", phone="13600006666",
        project_id=str(world.project.id)), follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "其他机构" not in page and "同一工人的其他线索" not in page
    assert db.scalar(select(func.count(Lead.id)).where(Lead.phone_hash.is_not(None))) == 2
