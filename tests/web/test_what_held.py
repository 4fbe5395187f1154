"""What held against the attack and must keep holding: CSRF on every form, stored markup shown
as text, polyglots re-encoded, SVG refused, the Host header ignored, no personal data in logs."""
import io
import logging

import pytest
from PIL import Image
from sqlalchemy import select

from tests.conftest import login, report_form
from wagechannel.intake.evidence import process_photo
from wagechannel.intake.models import Lead
from wagechannel.validation import Invalid

SCRIPT = "<script>alert(1)</script>"


def test_every_form_post_needs_its_token(app, client, db, world) -> None:  # type: ignore[no-untyped-def]
    login(client, "admin")
    posts = [rule for rule in app.url_map.iter_rules()
             if "POST" in (rule.methods or set()) and not rule.rule.startswith("/api/")]
    assert len(posts) >= 10
    for rule in posts:
        values = {name: (world.board.token if name == "token" else "1") for name in rule.arguments}
        path = rule.rule
        for name, value in values.items():
            path = path.replace(f"<{name}>", value).replace(f"<int:{name}>", value)
        response = client.post(path, data={"name": "x"})
        assert response.status_code == 400, f"{rule.rule} answered {response.status_code}"


def test_stored_markup_is_shown_as_text_everywhere(client, db, world) -> None:  # type: ignore[no-untyped-def]
    url = f"/s/{world.board.token}"
    response = client.post(url, data=report_form(client, url, name=SCRIPT, employer_name=SCRIPT,
                                                  description=SCRIPT, hometown=SCRIPT))
    assert response.status_code == 303
    lead = db.scalar(select(Lead).order_by(Lead.id.desc()))
    for user in ("staff", "liaison", "admin"):
        login(client, user)
        for path in ("/cases", f"/cases/{lead.case_id}"):
            page = client.get(path).get_data(as_text=True)
            assert SCRIPT not in page, (user, path)
    login(client, "staff")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get(f"/cases/{lead.case_id}").get_data(as_text=True)


def test_a_polyglot_photo_loses_what_it_hid() -> None:
    photo = io.BytesIO()
    Image.new("RGB", (60, 40), "blue").save(photo, format="JPEG")
    hidden = b"<html><script>alert(1)</script></html>PK\x03\x04zipped"
    processed = process_photo(photo.getvalue() + hidden)
    assert b"<script>" not in processed.data and b"PK\x03\x04" not in processed.data
    assert processed.data.startswith(b"\xff\xd8") and processed.content_type == "image/jpeg"


def test_svg_is_refused() -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="9"/></svg>'
    with pytest.raises(Invalid):
        process_photo(svg)


def test_the_host_header_never_reaches_a_link(client, db, world) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/leads", json={"board_token": world.board.token,
                                                  "name": "张三", "consent": True},
                           headers={"Host": "evil.example"})
    assert response.status_code == 201
    assert "evil.example" not in response.get_json()["status_url"]
    assert response.get_json()["status_url"].startswith("http://wc.test/")


def test_no_personal_data_in_the_logs(client, db, world, caplog, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("routing service down")

    monkeypatch.setattr("wagechannel.intake.services.open_case", broken)
    url = f"/s/{world.board.token}"
    with caplog.at_level(logging.DEBUG):
        client.post(url, data=report_form(client, url, phone="13912345678", name="王秘密",
                                          id_number="11010519491231002X", id_consent="1"))
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "routing" in logged  # the failure is logged...
    for secret in ("13912345678", "王秘密", "11010519491231002X"):
        assert secret not in logged  # ...and nothing about the worker
