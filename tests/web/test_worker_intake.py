"""The worker's report: every field, files, bots, double taps, limits, encryption, messages."""
import io
import re

import pytest
from PIL import Image
from sqlalchemy import func, select, text

from tests.conftest import BASE_URL, app_config, csrf_token, login, report_form
from wagechannel import create_app
from wagechannel.crypto import keyring
from wagechannel.intake.models import EvidenceFile, Lead, LeadMessage

GPS_EXIF_JPEG_TAG = 0x8825


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), "orange")
    exif = Image.Exif()
    exif[0x0110] = "Worker Phone X"  # model
    exif[0x0112] = 6  # orientation: rotated
    exif.get_ifd(GPS_EXIF_JPEG_TAG)[2] = (22.0, 32.0, 10.0)  # latitude
    output = io.BytesIO()
    image.save(output, format="JPEG", exif=exif)
    return output.getvalue()


def wav() -> bytes:
    import wave
    output = io.BytesIO()
    with wave.open(output, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(b"\x00\x00" * 8000)
    return output.getvalue()


def last_lead(db):  # type: ignore[no-untyped-def]
    return db.scalar(select(Lead).order_by(Lead.id.desc()))


def count(db, model) -> int:  # type: ignore[no-untyped-def]
    return db.scalar(select(func.count(model.id)))


def test_every_field_is_stored(client, db, world) -> None:  # type: ignore[no-untyped-def]
    url = f"/s/{world.board.token}"
    data = report_form(client, url, employer_kind="team_leader", employer_phone="13912345678",
                       subcontractor_name="测试劳务有限公司", trade="rebar", months_unpaid="4",
                       evidence=["iou", "chats"], urgent=["no_money"], hometown="四川巴中",
                       best_time="evening", id_number="11010519491231002X", id_consent="1")
    response = client.post(url, data=data)
    assert response.status_code == 303
    lead = last_lead(db)
    assert (lead.employer_kind, lead.employer_phone, lead.trade, lead.months_unpaid) == \
        ("team_leader", "13912345678", "rebar", 4)
    assert lead.evidence == ["iou", "chats"] and lead.urgent == ["no_money"]
    assert lead.hometown == "四川巴中" and lead.best_time == "evening"
    assert lead.id_number == "11010519491231002X" and lead.id_consent_at is not None
    assert lead.subcontractor_name == "测试劳务有限公司"
    assert "没钱吃饭或回家" in lead.case.priority_reasons


def test_the_form_offers_the_projects_subcontractors(client, world) -> None:  # type: ignore[no-untyped-def]
    page = client.get(f"/s/{world.board.token}").get_data(as_text=True)
    assert '<option value="测试劳务有限公司">' in page
    assert len(page.encode()) < 100 * 1024


def test_id_number_needs_its_own_consent_and_a_valid_check_digit(client, db, world) -> None:  # type: ignore[no-untyped-def]
    url = f"/s/{world.board.token}"
    response = client.post(url, data=report_form(client, url, id_number="11010519491231002X"))
    assert response.status_code == 422 and "单独勾选同意" in response.get_data(as_text=True)
    response = client.post(url, data=report_form(client, url, id_number="110105194912310021",
                                                  id_consent="1"))
    assert response.status_code == 422 and "身份证号不对" in response.get_data(as_text=True)


def test_phone_and_id_are_encrypted_at_rest(client, db, world) -> None:  # type: ignore[no-untyped-def]
    url = f"/s/{world.board.token}"
    client.post(url, data=report_form(client, url, id_number="11010519491231002X", id_consent="1"))
    lead = last_lead(db)
    raw_phone, raw_id, phone_hash = db.execute(
        text("SELECT phone, id_number, phone_hash FROM lead WHERE id = :id"), {"id": lead.id}).one()
    assert "13800138001" not in raw_phone and "11010519491231002X" not in raw_id
    assert keyring().decrypt(raw_phone) == "13800138001"
    assert phone_hash == keyring().digest("13800138001") and "13800138001" not in phone_hash


def test_photos_are_reencoded_without_exif(client, db, world) -> None:  # type: ignore[no-untyped-def]
    url = f"/s/{world.board.token}"
    data = report_form(client, url)
    data["photos"] = [(io.BytesIO(jpeg_with_gps()), "欠条.jpg"), (io.BytesIO(jpeg_with_gps()), "b.jpg")]
    assert client.post(url, data=data, content_type="multipart/form-data").status_code == 303
    files = last_lead(db).files
    assert [f.kind for f in files] == ["photo", "photo"]
    stored = Image.open(io.BytesIO(files[0].data))
    assert stored.format == "JPEG" and len(stored.getexif()) == 0
    assert stored.size == (48, 64)  # turned upright before the orientation tag was dropped
    assert b"Worker Phone X" not in files[0].data


def test_uploads_are_checked_by_content(client, db, world) -> None:  # type: ignore[no-untyped-def]
    url = f"/s/{world.board.token}"
    data = report_form(client, url)
    data["photos"] = [(io.BytesIO(b"MZ\x90\x00 not a picture"), "photo.jpg")]
    data["voice"] = (io.BytesIO(b"just text, named like audio"), "voice.mp3")
    response = client.post(url, data=data, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "这不是照片" in page and "这不是录音文件" in page
    assert count(db, EvidenceFile) == 0 and count(db, Lead) == 0
    assert 'value="张三"' in page


def test_a_voice_note_is_kept(client, db, world) -> None:  # type: ignore[no-untyped-def]
    url = f"/s/{world.board.token}"
    data = report_form(client, url)
    data["voice"] = (io.BytesIO(wav()), "录音.wav")
    assert client.post(url, data=data, content_type="multipart/form-data").status_code == 303
    (voice,) = last_lead(db).files
    assert voice.kind == "voice" and voice.content_type == "audio/wav" and voice.data == wav()


def test_too_many_photos(client, db, world) -> None:  # type: ignore[no-untyped-def]
    url = f"/s/{world.board.token}"
    data = report_form(client, url)
    data["photos"] = [(io.BytesIO(jpeg_with_gps()), f"{i}.jpg") for i in range(7)]
    response = client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 422 and "照片最多6张" in response.get_data(as_text=True)


def test_files_wait_across_a_validation_error(client, db, world) -> None:  # type: ignore[no-untyped-def]
    url = f"/s/{world.board.token}"
    data = report_form(client, url, phone="123")
    data["photos"] = [(io.BytesIO(jpeg_with_gps()), "a.jpg")]
    response = client.post(url, data=data, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "已经收到 1 张照片" in page
    again = {**{k: v for k, v in data.items() if k != "photos"}, "phone": "13800138001"}
    assert client.post(url, data=again).status_code == 303
    assert len(last_lead(db).files) == 1


def test_a_double_tap_makes_one_report(client, db, world) -> None:  # type: ignore[no-untyped-def]
    url = f"/s/{world.board.token}"
    data = report_form(client, url)
    first = client.post(url, data=data)
    second = client.post(url, data=data)
    assert first.headers["Location"] == second.headers["Location"]
    assert count(db, Lead) == 1


def test_bots_see_a_receipt_but_nothing_is_stored(client, db, world, app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    url = f"/s/{world.board.token}"
    honeypot = client.post(url, data=report_form(client, url, website="http://spam.example"))
    assert honeypot.status_code == 200 and 'id="receipt-code"' in honeypot.get_data(as_text=True)
    monkeypatch.setitem(app.config, "INTAKE_MIN_FILL_SECONDS", 30)
    hurried = client.post(url, data=report_form(client, url))
    assert hurried.status_code == 200 and "已收到您的反映" in hurried.get_data(as_text=True)
    no_start = client.post(url, data=report_form(client, url, started="forged"))
    assert no_start.status_code == 200
    assert count(db, Lead) == 0


def test_general_form_needs_a_county(client, db, world) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/report", data=report_form(client, "/report", site_name="某工地"))
    assert response.status_code == 422 and "请从列表中选择工地所在的区县" in response.get_data(as_text=True)
    page = client.get("/report").get_data(as_text=True)
    assert 'value="440304"' in page and 'value="440300"' not in page  # no centre serves the city
    unserved = client.post("/report", data=report_form(client, "/report", region_code="440300"))
    assert unserved.status_code == 422 and count(db, Lead) == 0
    response = client.post("/report", data=report_form(client, "/report", region_code="440304",
                                                       site_name="福田某工地"))
    assert response.status_code == 303
    lead = last_lead(db)
    assert lead.board_id is None and lead.site_name == "福田某工地"
    assert lead.case.legal_aid_org_id == world.other_centre.id


def test_unknown_board_links_the_general_form(client, db) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/s/ZZZZZZZZZZ").get_data(as_text=True)
    assert "/report" in page


def test_messages_need_the_phone_suffix(client, db, world) -> None:  # type: ignore[no-untyped-def]
    url = f"/s/{world.board.token}"
    code = client.post(url, data=report_form(client, url)).headers["Location"].split("/q/")[1][:8]
    lead = last_lead(db)
    db.add(LeadMessage(lead_id=lead.id, direction="to_worker", body="请带上欠条来中心一趟。"))
    db.commit()
    page = client.get(f"/q/{code}").get_data(as_text=True)
    assert "请带上欠条" not in page and "最后四位" in page
    token = csrf_token(client, f"/q/{code}")
    wrong = client.post(f"/q/{code}/verify", data={"csrf_token": token, "digits": "0000"})
    assert wrong.status_code == 422 and "后四位不对" in wrong.get_data(as_text=True)
    assert client.post(f"/q/{code}/verify", data={"csrf_token": token, "digits": "8001"}).status_code == 303
    page = client.get(f"/q/{code}").get_data(as_text=True)
    assert "请带上欠条来中心一趟" in page
    empty = client.post(f"/q/{code}/reply", data={"csrf_token": token, "body": "  "})
    assert empty.status_code == 422 and "请写下要说的话" in empty.get_data(as_text=True)
    client.post(f"/q/{code}/reply", data={"csrf_token": token, "body": "好的，明天上午去。"})
    assert [m.direction for m in db.scalars(select(LeadMessage))] == ["to_worker", "from_worker"]


def test_staff_write_to_the_worker_and_see_files(client, db, world) -> None:  # type: ignore[no-untyped-def]
    url = f"/s/{world.board.token}"
    data = report_form(client, url)
    data["photos"] = [(io.BytesIO(jpeg_with_gps()), "a.jpg")]
    client.post(url, data=data, content_type="multipart/form-data")
    lead = last_lead(db)
    login(client, world.users["legal_aid_staff"].username)
    case_url = f"/cases/{lead.case_id}"
    page = client.get(case_url).get_data(as_text=True)
    photo_url = f"/evidence/{lead.files[0].id}"
    assert photo_url in page
    assert client.get(photo_url).mimetype == "image/jpeg"
    sent = client.post(f"{case_url}/leads/{lead.id}/messages",
                       data={"csrf_token": csrf_token(client, case_url), "body": "已受理，请保持电话畅通。"})
    assert sent.status_code == 303
    assert db.scalar(select(LeadMessage)).author_id == world.users["legal_aid_staff"].id
    login(client, world.users["bureau_liaison"].username)
    assert client.get(photo_url).status_code == 403
    login(client, world.other_users["legal_aid_staff"].username)
    assert client.get(photo_url).status_code == 404


def test_staff_record_a_hotline_report(client, db, world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.users["legal_aid_staff"].username)
    page = client.get("/intake/new").get_data(as_text=True)
    assert "12348热线" in page and world.project.name in page
    assert world.other_project.name not in page
    missing = client.post("/intake/new", data=report_form(client, "/intake/new", channel="hotline_12333"))
    assert missing.status_code == 422 and "请选择项目，或选择工地所在的区县" in missing.get_data(as_text=True)
    response = client.post("/intake/new", data=report_form(
        client, "/intake/new", channel="hotline_12333", project_id=str(world.project.id),
        phone="1"))
    assert response.status_code == 422 and 'value="hotline_12333" checked' in response.get_data(as_text=True)
    response = client.post("/intake/new", data=report_form(
        client, "/intake/new", channel="walk_in", project_id=str(world.project.id)))
    assert response.status_code == 303
    lead = last_lead(db)
    assert lead.channel == "walk_in" and lead.taken_by_id == world.users["legal_aid_staff"].id
    assert response.headers["Location"].endswith(f"/cases/{lead.case_id}")
    login(client, world.users["contractor"].username)
    assert client.get("/intake/new").status_code == 403


def test_api_accepts_files_as_multipart(client, db, world) -> None:  # type: ignore[no-untyped-def]
    data = {"board_token": world.board.token, "name": "李四", "consent": "true",
            "evidence": ["iou"], "photos": [(io.BytesIO(jpeg_with_gps()), "a.jpg")]}
    response = client.post("/api/v1/leads", data=data, content_type="multipart/form-data")
    assert response.status_code == 201
    lead = last_lead(db)
    assert lead.evidence == ["iou"] and len(lead.files) == 1 and lead.channel == "api"


@pytest.fixture()
def limited_client(database_url, tmp_path, db):  # type: ignore[no-untyped-def]
    limited = create_app(app_config(database_url, str(tmp_path), RATELIMIT_ENABLED=True,
                                    INTAKE_LIMIT_PHONE="2 per hour", INTAKE_LIMIT_IP="6 per hour",
                                    LOOKUP_LIMIT="3 per hour"))
    yield limited.test_client()
    # The limiter is one object per process (one app in production): switch it off again.
    from wagechannel.extensions import limiter
    limiter.reset()
    limiter.enabled = False


def test_rate_limits_answer_in_chinese(limited_client, world) -> None:  # type: ignore[no-untyped-def]
    client = limited_client
    url = f"/s/{world.board.token}"
    statuses = [client.post(url, data=report_form(client, url)).status_code for _ in range(3)]
    assert statuses == [303, 303, 429]
    limited = client.post(url, data=report_form(client, url, hometown="贵州毕节"))
    page = limited.get_data(as_text=True)
    assert limited.status_code == 429 and "提交太频繁" in page and "12348" in page
    assert 'value="贵州毕节"' in page and 'value="张三"' in page  # nothing typed is lost
    other_phone = client.post(url, data=report_form(client, url, phone="13700001111"))
    assert other_phone.status_code == 303  # the limit is per phone number
    api = [client.post("/api/v1/leads", json={"board_token": world.board.token, "consent": True,
                                              "phone": "13600002222"}) for _ in range(3)]
    assert [r.status_code for r in api] == [201, 201, 429]
    # the same phone is already at its limit through the API: the form refuses it too
    again = client.post(url, data=report_form(client, url, phone="13600002222"))
    assert again.status_code == 429
    assert api[-1].status_code == 429 and api[-1].get_json()["error"].startswith("提交太频繁")


def test_keys_rotate_reencrypts(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner
    from cryptography.fernet import Fernet

    from wagechannel.cli import main
    from wagechannel.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'keys.sqlite3'}"
    monkeypatch.setenv("WAGECHANNEL_DATABASE_URL", url)
    monkeypatch.setenv("WAGECHANNEL_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("WAGECHANNEL_DATA_KEYS", raising=False)
    monkeypatch.setenv("WAGECHANNEL_INTAKE_MIN_FILL_SECONDS", "0")
    upgrade(url)
    runner = CliRunner()
    assert runner.invoke(main, ["demo"]).exit_code == 0
    app = create_app()
    with app.app_context():
        from wagechannel.extensions import db as database
        token = database.session.scalar(text("SELECT token FROM board LIMIT 1"))
    client = app.test_client()
    form = report_form(client, f"/s/{token}")
    assert client.post(f"/s/{token}", data=form).status_code == 303
    engine_url_raw = lambda: app.extensions["wagechannel_engine"].connect().execute(  # noqa: E731
        text("SELECT phone FROM lead ORDER BY id DESC LIMIT 1")).scalar()
    before = engine_url_raw()
    result = runner.invoke(main, ["keys", "rotate"])
    assert result.exit_code == 0 and "重新加密 6 个值" in result.output, result.output  # five demo reports and this one
    keys = (tmp_path / "instance" / "data_keys").read_text().split(",")
    after = engine_url_raw()
    assert len(keys) == 2 and after != before
    assert Fernet(keys[0].encode()).decrypt(after.encode()) == b"13800138001"
    assert BASE_URL


def test_a_routing_failure_still_gives_a_receipt_and_is_retried(client, db, world, app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from wagechannel.scheduler import route_pending

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("routing service down")

    monkeypatch.setattr("wagechannel.intake.services.open_case", broken)
    url = f"/s/{world.board.token}"
    response = client.post(url, data=report_form(client, url))
    assert response.status_code == 303
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已收到" in receipt
    lead = last_lead(db)
    assert lead.status == "received" and lead.routing_error == "routing service down"
    monkeypatch.undo()
    assert route_pending(app) == (0, 0)  # the job leaves young leads to their own request
    from datetime import timedelta
    assert route_pending(app, min_age=timedelta(0)) == (1, 1)
    db.expire_all()
    assert last_lead(db).status == "routed" and last_lead(db).case is not None


def test_rate_limits_can_live_in_redis(database_url, tmp_path, db, world) -> None:  # type: ignore[no-untyped-def]
    import uuid

    import redis

    from wagechannel.extensions import limiter
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except redis.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    app = create_app(app_config(database_url, str(tmp_path), RATELIMIT_ENABLED=True,
                                RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0",
                                RATELIMIT_KEY_PREFIX=f"wc-test-{uuid.uuid4().hex}",
                                INTAKE_LIMIT_PHONE="1 per hour"))
    try:
        client = app.test_client()
        url = f"/s/{world.board.token}"
        assert client.post(url, data=report_form(client, url)).status_code == 303
        assert client.post(url, data=report_form(client, url)).status_code == 429
    finally:
        limiter.reset()
        limiter.enabled = False


def test_a_quick_correction_keeps_the_original_start_time(client, db, world, app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A person who fixes one field and taps again at once is not taken for a bot."""
    import time

    from wagechannel.intake.submission import _serializer
    url = f"/s/{world.board.token}"
    monkeypatch.setitem(app.config, "INTAKE_MIN_FILL_SECONDS", 3)
    long_ago = _serializer().dumps(time.time() - 60)
    first = client.post(url, data=report_form(client, url, started=long_ago, consent=None))
    assert first.status_code == 422
    again = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"',
                            first.get_data(as_text=True)))
    assert again["started"] == long_ago
    response = client.post(url, data=report_form(client, url, **again))
    assert response.status_code == 303 and count(db, Lead) == 1


def test_a_new_voice_note_replaces_the_kept_one(client, db, world) -> None:  # type: ignore[no-untyped-def]
    url = f"/s/{world.board.token}"
    data = report_form(client, url, phone="1")
    data["voice"] = (io.BytesIO(wav()), "a.wav")
    assert client.post(url, data=data, content_type="multipart/form-data").status_code == 422
    data = {**{k: v for k, v in data.items() if k != "voice"}, "phone": "13800138001",
            "voice": (io.BytesIO(wav() + b"\x00\x00"), "b.wav")}
    assert client.post(url, data=data, content_type="multipart/form-data").status_code == 303
    assert [f.size for f in last_lead(db).files] == [len(wav()) + 2]


def test_an_expired_form_keeps_input_but_never_touches_its_files(client, db, world) -> None:  # type: ignore[no-untyped-def]
    """Files of a request without a valid token are neither decoded nor stored (anyone could
    send them); the worker is told to pick them again."""
    url = f"/s/{world.board.token}"
    data = report_form(client, url, csrf_token="expired", hometown="河南周口")
    data["photos"] = [(io.BytesIO(jpeg_with_gps()), "a.jpg")]
    before = count(db, EvidenceFile)
    response = client.post(url, data=data, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "您填的内容都还在" in page
    assert 'value="河南周口"' in page and "照片和录音这次没有收到，请重新选择" in page
    assert count(db, EvidenceFile) == before
    login(client, world.users["legal_aid_staff"].username)
    staff = client.post("/intake/new", data=report_form(client, "/intake/new", csrf_token="x",
                                                        channel="walk_in", name="来访人"))
    assert staff.status_code == 400 and 'value="来访人"' in staff.get_data(as_text=True)
    assert 'value="walk_in" checked' in staff.get_data(as_text=True)


def test_kept_photos_count_towards_the_six(client, db, world) -> None:  # type: ignore[no-untyped-def]
    url = f"/s/{world.board.token}"
    data = report_form(client, url, phone="1")
    data["photos"] = [(io.BytesIO(jpeg_with_gps()), f"{i}.jpg") for i in range(4)]
    assert client.post(url, data=data, content_type="multipart/form-data").status_code == 422
    data = {**{k: v for k, v in data.items() if k != "photos"}, "phone": "13800138001",
            "photos": [(io.BytesIO(jpeg_with_gps()), f"{i}.jpg") for i in range(3)]}
    response = client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 422 and "照片最多6张" in response.get_data(as_text=True)
    assert "已经收到 6 张照片" in response.get_data(as_text=True)  # as many as fit were kept
    data = {k: v for k, v in data.items() if k != "photos"}
    data = {**data, **{k: v for k, v in re.findall(
        r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', response.get_data(as_text=True))}}
    assert client.post(url, data=data, content_type="multipart/form-data").status_code == 303
    assert len(last_lead(db).files) == 6


def test_reports_from_the_same_phone_are_linked(client, db, world) -> None:  # type: ignore[no-untyped-def]
    url = f"/s/{world.board.token}"
    client.post(url, data=report_form(client, url))
    first = last_lead(db)
    # Other bosses: each report is its own case (the same boss would join one collective case).
    client.post(url, data=report_form(client, url, name="张三（第二次）", employer_name="李老板"))
    second = last_lead(db)
    client.post(url, data=report_form(client, url, phone="13700000000", employer_name="赵老板"))
    login(client, world.users["legal_aid_staff"].username)
    page = client.get(f"/cases/{second.case_id}").get_data(as_text=True)
    related = page.split('class="related"')[1].split("</dd>")[0]
    assert first.case.number in related and last_lead(db).case.number not in related
    assert first.code not in page  # receipt codes stay with the worker's own report


def test_masked_viewers_never_see_receipt_codes(client, db, world) -> None:  # type: ignore[no-untyped-def]
    """A receipt code plus the masked phone's last four digits would open the worker's messages."""
    url = f"/s/{world.board.token}"
    client.post(url, data=report_form(client, url))
    lead = last_lead(db)
    for role in ("bureau_liaison",):
        login(client, world.users[role].username)
        page = client.get(f"/cases/{lead.case_id}").get_data(as_text=True)
        assert "138****8001" in page and lead.code not in page
    login(client, "admin")
    assert lead.code not in client.get(f"/cases/{lead.case_id}").get_data(as_text=True)
    assert lead.code not in client.get("/cases").get_data(as_text=True)
    login(client, world.users["legal_aid_staff"].username)
    assert lead.code in client.get(f"/cases/{lead.case_id}").get_data(as_text=True)


def test_admin_sees_and_retries_unrouted_reports(client, db, world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("routing service down")

    monkeypatch.setattr("wagechannel.intake.services.open_case", broken)
    url = f"/s/{world.board.token}"
    client.post(url, data=report_form(client, url))
    monkeypatch.undo()
    login(client, "admin")
    page = client.get("/leads/unrouted").get_data(as_text=True)
    assert "routing service down" in page and "张*" in page and "8001" not in page  # nothing decrypted
    retried = client.post("/leads/unrouted", data={"csrf_token": csrf_token(client, "/leads/unrouted")})
    assert retried.status_code == 303
    assert "所有线索都已转交" in client.get("/leads/unrouted").get_data(as_text=True)
    login(client, world.users["legal_aid_staff"].username)
    assert client.get("/leads/unrouted").status_code == 403


def test_the_same_form_filled_again_for_a_workmate_is_a_new_report(client, db, world) -> None:  # type: ignore[no-untyped-def]
    url = f"/s/{world.board.token}"
    data = report_form(client, url, name="甲")
    first = client.post(url, data=data).headers["Location"]
    again = client.post(url, data={**data, "name": "乙", "phone": "13900001111"}).headers["Location"]
    assert first != again and count(db, Lead) == 2
    assert client.post(url, data=data).headers["Location"] == first  # a resend of the first


def test_staff_form_shows_every_problem_at_once_and_keeps_photos(client, db, world) -> None:  # type: ignore[no-untyped-def]
    login(client, world.users["legal_aid_staff"].username)
    data = report_form(client, "/intake/new", phone="1", project_id=str(world.project.id))
    data["photos"] = [(io.BytesIO(jpeg_with_gps()), "a.jpg")]
    response = client.post("/intake/new", data=data, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "请选择来源渠道" in page and "手机号码应为11位数字" in page and "已经收到 1 张照片" in page


def test_the_worker_adds_photos_later(client, db, world) -> None:  # type: ignore[no-untyped-def]
    url = f"/s/{world.board.token}"
    code = client.post(url, data=report_form(client, url)).headers["Location"].split("/q/")[1][:8]
    token = csrf_token(client, f"/q/{code}")
    client.post(f"/q/{code}/verify", data={"csrf_token": token, "digits": "8001"})
    bad = client.post(f"/q/{code}/reply", content_type="multipart/form-data",
                      data={"csrf_token": token, "body": "这是欠条",
                            "photos": [(io.BytesIO(b"not an image"), "a.jpg")]})
    assert bad.status_code == 422 and "这不是照片" in bad.get_data(as_text=True)
    assert "这是欠条" in bad.get_data(as_text=True)
    ok = client.post(f"/q/{code}/reply", content_type="multipart/form-data",
                     data={"csrf_token": token, "photos": [(io.BytesIO(jpeg_with_gps()), "a.jpg")]})
    assert ok.status_code == 303
    lead = last_lead(db)
    assert [f.kind for f in lead.files] == ["photo"]
    assert len(Image.open(io.BytesIO(lead.files[0].data)).getexif()) == 0
    assert lead.messages[-1].body == "补充了1张照片。"
