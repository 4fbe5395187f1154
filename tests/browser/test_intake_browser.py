"""The worker's form on a phone, in a real Chromium against a real `wagechannel serve --demo`.

Every check of what was stored goes to the server's database directly, with plain SQL: the
lead by its receipt code, its evidence files by lead id, counts before and after.
`live_server` takes forms however fast they come back; `strict_server` (same database, the
default minimum fill time) is used only for the bot checks at the end.
"""
from __future__ import annotations

import hashlib
import io
import json
import math
import re
import struct
import time
import wave
from collections.abc import Iterator
from itertools import count
from typing import Any

import pytest
from PIL import ExifTags, Image
from playwright.sync_api import (Browser, BrowserContext, FilePayload, Page, Response,
                                 expect)
from sqlalchemy import text
from sqlalchemy.engine import Engine

from wagechannel.crypto import keys_from_config
from wagechannel.db import make_engine

from .conftest import Server

pytestmark = pytest.mark.browser

CODE = r"[0-9A-HJKMNP-TV-Z]{8}"  # Crockford base32: no I, L, O, U
RECEIPT_CODE = re.compile(CODE)
RECEIPT_URL = re.compile(rf"/q/({CODE})\?new=1$")
# A cheap Android phone opening the QR code in WeChat's browser.
MOBILE_UA = ("Mozilla/5.0 (Linux; Android 10; M2006C3LC Build/QP1A.190711.020; wv) "
             "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.193 "
             "Mobile Safari/537.36 MicroMessenger/8.0.47.2560(0x28002F35) WeChat/arm64 "
             "NetType/4G Language/zh_CN")
PHONE: dict[str, Any] = {"viewport": {"width": 360, "height": 740}, "user_agent": MOBILE_UA,
                         "is_mobile": True, "has_touch": True, "device_scale_factor": 2,
                         "locale": "zh-CN"}
WAIT_MS = 10_000
MAX_FIRST_PAGE_BYTES = 100 * 1024
PHONE_ERROR = "手机号码应为11位数字，以1开头。"
NOT_A_RECORDING = "这不是录音文件，请重新录音或选择录音文件。"
CONSENT = 'input[name="consent"]'
_phones = count(1)


def fresh_phone() -> str:
    """A new mobile number per report: the per-phone rate limit (5 an hour) stays out of the way."""
    return f"1380013{next(_phones):04d}"


# ---------------------------------------------------------------- fixtures and database helpers

@pytest.fixture(scope="module")
def engine(live_server: Server) -> Iterator[Engine]:
    made = make_engine(live_server.database_url)
    try:
        yield made
    finally:
        made.dispose()


@pytest.fixture
def phone(chromium: Browser) -> Iterator[BrowserContext]:
    context = chromium.new_context(**PHONE)
    context.set_default_timeout(WAIT_MS)
    context.set_default_navigation_timeout(WAIT_MS)
    try:
        yield context
    finally:
        context.close()


def scalar(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def lead_count(engine: Engine) -> int:
    return int(scalar(engine, "SELECT count(*) FROM lead"))


def evidence_count(engine: Engine) -> int:
    return int(scalar(engine, "SELECT count(*) FROM evidence_file"))


def lead_row(engine: Engine, code: str) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM lead WHERE code = :code"),
                           {"code": code}).mappings().first()
    assert row is not None, f"no lead with receipt code {code}"
    return dict(row)


def leads_for_form(engine: Engine, nonce: str) -> int:
    """Leads stored from one shown form (its idempotency key starts with the form's nonce)."""
    return int(scalar(engine, "SELECT count(*) FROM lead WHERE idempotency_key LIKE :key",
                      key=f"form:{nonce}:%"))


def evidence_rows(engine: Engine, code: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT e.kind, e.content_type, e.size, e.sha256, e.data, e.upload_key "
            "FROM evidence_file e JOIN lead l ON l.id = e.lead_id "
            "WHERE l.code = :code ORDER BY e.id"), {"code": code}).mappings().all()
    return [{**row, "data": bytes(row["data"])} for row in rows]


def waiting_uploads(engine: Engine, nonce: str) -> int:
    """Files kept for a form that has not been stored yet."""
    return int(scalar(engine, "SELECT count(*) FROM evidence_file "
                              "WHERE upload_key = :key AND lead_id IS NULL", key=nonce))


def as_list(value: Any) -> list[Any]:
    return json.loads(value) if isinstance(value, str) else list(value)


# ---------------------------------------------------------------- page helpers

def open_form(context: BrowserContext, server: Server) -> Page:
    page = context.new_page()
    board = server.boards[0]
    response = page.goto(server.board_url(board))
    assert response is not None and response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text(board["project_name"])
    return page


def nonce_of(page: Page) -> str:
    nonce = page.locator('#report-form input[name="nonce"]').input_value()
    assert nonce, "the form carries no nonce"
    return nonce


def fill_minimum(page: Page, name: str, phone: str) -> None:
    page.get_by_label("姓名").fill(name)
    page.get_by_label("手机号码").fill(phone)
    page.locator(CONSENT).check()


def submit(page: Page, *, tap: bool = True) -> Response:
    """Press 提交 once (a finger tap on a touch screen); the response the page navigated to."""
    button = page.locator("#submit-button")
    with page.expect_navigation() as navigation:
        button.tap() if tap else button.click()
    response = navigation.value
    assert response is not None
    return response


def receipt_code(page: Page) -> str:
    """The code on a receipt page reached by the redirect after a stored report."""
    expect(page).to_have_url(RECEIPT_URL)
    code_box = page.locator("#receipt-code")
    expect(code_box).to_be_visible()
    expect(code_box).to_have_count(1)
    code = code_box.inner_text().strip()
    assert RECEIPT_CODE.fullmatch(code), code
    match = RECEIPT_URL.search(page.url)
    assert match is not None and match.group(1) == code
    expect(page.get_by_role("heading", level=1)).to_have_text("已收到您的反映")
    return code


# ---------------------------------------------------------------- test assets

def jpeg(size: tuple[int, int], colour: tuple[int, int, int], *, gps: bool = False,
         orientation: int | None = None) -> bytes:
    """A small photo as a phone takes it: camera make and model, maybe GPS and orientation."""
    image = Image.new("RGB", size, colour)
    image.paste((255, 255, 255), (0, 0, size[0] // 4, size[1] // 4))  # a mark in one corner
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestPhoneMaker"
    exif[ExifTags.Base.Model] = "TP-2000"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    if gps:
        info = exif.get_ifd(ExifTags.IFD.GPSInfo)
        info[ExifTags.GPS.GPSLatitudeRef] = "N"
        info[ExifTags.GPS.GPSLatitude] = (22.0, 32.0, 10.5)
        info[ExifTags.GPS.GPSLongitudeRef] = "E"
        info[ExifTags.GPS.GPSLongitude] = (113.0, 56.0, 3.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90, exif=exif)
    data = out.getvalue()
    with Image.open(io.BytesIO(data)) as check:  # the asset really carries what it should
        assert check.getexif().get(ExifTags.Base.Model) == "TP-2000"
        assert bool(check.getexif().get_ifd(ExifTags.IFD.GPSInfo)) == gps
    return data


def wav(seconds: float = 0.4, rate: int = 8000) -> bytes:
    """A short mono 16-bit WAV: a 440 Hz tone."""
    frames = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
                      for i in range(int(seconds * rate)))
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(frames)
    return out.getvalue()


def upload(name: str, mime: str, data: bytes) -> FilePayload:
    return {"name": name, "mimeType": mime, "buffer": data}


# ---------------------------------------------------------------- 1. happy path

def test_worker_reports_from_a_phone_and_the_phone_number_is_encrypted_at_rest(
        live_server: Server, phone: BrowserContext, engine: Engine) -> None:
    page = open_form(phone, live_server)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, \
        "the form is wider than the phone's screen"
    number = fresh_phone()
    nonce = nonce_of(page)
    page.get_by_label("姓名").fill("王五")
    page.get_by_label("手机号码").fill(number)
    page.locator("#f-trade").select_option("rebar")
    page.get_by_label("欠了多少钱").fill("8500.50")
    page.locator('input[name="evidence"][value="attendance"]').check()
    page.locator('input[name="evidence"][value="iou"]').check()
    page.locator('input[name="wants"][value="consult"]').check()
    page.locator(CONSENT).check()
    response = submit(page)
    assert response.status == 200
    code = receipt_code(page)

    lead = lead_row(engine, code)
    board = live_server.boards[0]
    assert lead["name"] == "王五"
    assert lead["trade"] == "rebar"
    assert lead["amount_owed_fen"] == 850050
    assert sorted(as_list(lead["evidence"])) == ["attendance", "iou"]
    assert as_list(lead["urgent"]) == []
    assert lead["wants"] == "consult"
    assert lead["channel"] == "qr"
    assert lead["board_id"] == board["board_id"]
    assert lead["project_id"] == board["project_id"]
    assert lead["consent_at"] is not None
    assert lead["idempotency_key"].startswith(f"form:{nonce}:")
    # The phone number is not in the database in clear text, only as ciphertext and keyed hash.
    stored_phone = lead["phone"]
    assert stored_phone and number not in stored_phone and number[-8:] not in stored_phone
    assert lead["phone_hash"] and number not in lead["phone_hash"]
    keys = keys_from_config({}, str(live_server.instance))
    assert keys.decrypt(stored_phone) == number
    assert lead["phone_hash"] == keys.digest(number)
    with engine.connect() as conn:  # nowhere else in the row either
        raw = " ".join(str(v) for v in conn.execute(
            text("SELECT * FROM lead WHERE code = :code"), {"code": code}).one())
    assert number not in raw


# ---------------------------------------------------------------- 2. validation keeps input

def test_a_bad_phone_number_is_explained_and_everything_typed_stays(
        live_server: Server, phone: BrowserContext, engine: Engine) -> None:
    page = open_form(phone, live_server)
    before = lead_count(engine)
    typed = {
        "#f-name": "李四",
        "#f-phone": "12345",
        "#f-hometown": "四川省广安市",
        "#f-employer_name": "刘包工头",
        "#f-employer_phone": "13912345678",
        "#f-subcontractor_name": "深圳某某劳务有限公司",
        "#f-amount_owed": "23000",
        "#f-months_unpaid": "4",
        "#f-workers_affected": "12",
        "#f-work_start": "2025-03-01",
        "#f-work_end": "2025-09-30",
        "#f-description": "从三月干到九月，\n老板说年底给，现在电话不接。",
    }
    for selector, value in typed.items():
        page.locator(selector).fill(value)
    page.locator("#f-trade").select_option("formwork")
    checked = ['input[name="best_time"][value="evening"]',
               'input[name="employer_kind"][value="team_leader"]',
               'input[name="evidence"][value="payslips"]',
               'input[name="evidence"][value="chats"]',
               'input[name="evidence"][value="transfers"]',
               'input[name="wants"][value="complaint"]',
               'input[name="urgent"][value="no_money"]',
               'input[name="employment_status"][value="ended"]',
               CONSENT]
    for selector in checked:
        page.locator(selector).check()
    unchecked = ['input[name="amount_unknown"]',
                 'input[name="employment_status"][value="working"]',
                 'input[name="urgent"][value="conflict"]',
                 'input[name="evidence"][value="attendance"]',
                 'input[name="evidence"][value="none"]',
                 'input[name="wants"][value="legal_aid"]',
                 'input[name="best_time"][value="any"]', 'input[name="id_consent"]']

    response = submit(page)
    assert response.status == 422

    phone_field = page.locator(".field", has=page.locator("#f-phone"))
    expect(phone_field.locator(".error")).to_have_text(PHONE_ERROR)
    expect(phone_field.locator(".error")).to_be_visible()
    expect(page.locator("#f-phone")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#error-summary")).to_contain_text("有1处需要改一下")
    expect(page.locator(".error")).to_have_count(1)  # nothing else was wrong
    expect(page.locator("#receipt-code")).to_have_count(0)
    for selector, value in typed.items():
        expect(page.locator(selector)).to_have_value(value)
    expect(page.locator("#f-trade")).to_have_value("formwork")
    for selector in checked:
        expect(page.locator(selector)).to_be_checked()
    for selector in unchecked:
        expect(page.locator(selector)).not_to_be_checked()
    assert lead_count(engine) == before

    # Corrected, the same form goes through with everything that was kept.
    number = fresh_phone()
    page.locator("#f-phone").fill(number)
    submit(page)
    lead = lead_row(engine, receipt_code(page))
    assert (lead["name"], lead["employer_name"], lead["trade"]) == ("李四", "刘包工头", "formwork")
    assert (lead["months_unpaid"], lead["workers_affected"]) == (4, 12)
    assert (str(lead["work_start"])[:10], str(lead["work_end"])[:10]) == \
        ("2025-03-01", "2025-09-30")
    assert lead["employment_status"] == "ended"
    assert sorted(as_list(lead["evidence"])) == ["chats", "payslips", "transfers"]
    assert as_list(lead["urgent"]) == ["no_money"]
    assert (lead["wants"], lead["best_time"], lead["employer_kind"]) == \
        ("complaint", "evening", "team_leader")
    assert lead["description"] == typed["#f-description"]
    assert lead_count(engine) == before + 1


# ---------------------------------------------------------------- 3. photos lose their EXIF

def test_photos_are_stored_as_jpeg_without_exif_or_gps(
        live_server: Server, phone: BrowserContext, engine: Engine) -> None:
    with_gps = jpeg((80, 40), (200, 40, 40), gps=True, orientation=6)  # shown rotated: 40 x 80
    plain = jpeg((64, 48), (40, 40, 200))
    page = open_form(phone, live_server)
    fill_minimum(page, "赵六", fresh_phone())
    page.locator('input[name="photos"]').set_input_files([
        upload("IMG_20250901_101500.jpg", "image/jpeg", with_gps),
        upload("IMG_20250901_101630.jpg", "image/jpeg", plain)])
    submit(page)
    code = receipt_code(page)

    files = evidence_rows(engine, code)
    assert [f["kind"] for f in files] == ["photo", "photo"]
    sizes = []
    for stored in files:
        data = stored["data"]
        assert stored["content_type"] == "image/jpeg"
        assert data[:3] == b"\xff\xd8\xff"
        assert stored["size"] == len(data)
        assert stored["sha256"] == hashlib.sha256(data).hexdigest()
        assert data not in (with_gps, plain), "the photo was stored as uploaded, not re-encoded"
        assert b"Exif" not in data and b"TP-2000" not in data and b"TestPhoneMaker" not in data
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "JPEG"
            exif = image.getexif()
            assert len(exif) == 0, dict(exif)
            assert not exif.get_ifd(ExifTags.IFD.GPSInfo)
            sizes.append(image.size)
    assert sorted(sizes) == [(40, 80), (64, 48)], "EXIF orientation was not applied"


# ---------------------------------------------------------------- 4. voice notes

def test_a_voice_file_is_kept_and_a_text_file_named_mp3_is_refused(
        live_server: Server, phone: BrowserContext, engine: Engine) -> None:
    recording = wav()
    page = open_form(phone, live_server)
    fill_minimum(page, "孙七", fresh_phone())
    page.locator('input[name="voice"]').set_input_files(upload("录音.wav", "audio/wav", recording))
    submit(page)
    code = receipt_code(page)
    files = evidence_rows(engine, code)
    assert [(f["kind"], f["content_type"]) for f in files] == [("voice", "audio/wav")]
    assert files[0]["data"] == recording  # kept as recorded
    assert files[0]["size"] == len(recording)

    # Not audio, only named like it: refused, next to the voice field, in Chinese.
    leads_before, files_before = lead_count(engine), evidence_count(engine)
    page = open_form(phone, live_server)
    nonce = nonce_of(page)
    fill_minimum(page, "周八", fresh_phone())
    fake = "这不是录音，是一段文字。\n".encode() * 20
    page.locator('input[name="voice"]').set_input_files(upload("语音.mp3", "audio/mpeg", fake))
    response = submit(page)
    assert response.status == 422
    error = page.locator("#voice-field .error")
    expect(error).to_have_text(NOT_A_RECORDING)
    expect(error).to_be_visible()
    assert re.search(r"[\u4e00-\u9fff]", error.inner_text())
    expect(page.locator("#stashed-voice")).to_have_count(0)
    expect(page.locator(".error")).to_have_count(1)
    assert (lead_count(engine), evidence_count(engine)) == (leads_before, files_before)
    assert waiting_uploads(engine, nonce) == 0

    # Sent again without the file: a lead, and still no file for it.
    submit(page)
    code = receipt_code(page)
    assert evidence_rows(engine, code) == []
    assert evidence_count(engine) == files_before


# ---------------------------------------------------------------- 5. files survive an error

def test_a_photo_sent_with_a_bad_phone_number_need_not_be_picked_again(
        live_server: Server, phone: BrowserContext, engine: Engine) -> None:
    page = open_form(phone, live_server)
    nonce = nonce_of(page)
    fill_minimum(page, "吴九", "12345")
    page.locator('input[name="photos"]').set_input_files(
        upload("欠条.jpg", "image/jpeg", jpeg((50, 70), (20, 160, 20), gps=True)))
    response = submit(page)
    assert response.status == 422
    expect(page.locator(".field", has=page.locator("#f-phone")).locator(".error")) \
        .to_have_text(PHONE_ERROR)
    expect(page.locator("#stashed-photos")).to_be_visible()
    expect(page.locator("#stashed-photos")).to_contain_text("已经收到 1 张照片")
    assert nonce_of(page) == nonce
    assert waiting_uploads(engine, nonce) == 1

    page.locator("#f-phone").fill(fresh_phone())
    submit(page)
    code = receipt_code(page)
    files = evidence_rows(engine, code)
    assert [(f["kind"], f["content_type"]) for f in files] == [("photo", "image/jpeg")]
    with Image.open(io.BytesIO(files[0]["data"])) as image:
        assert image.size == (50, 70) and not image.getexif()
    assert waiting_uploads(engine, nonce) == 0


# ---------------------------------------------------------------- 6. double tap

def _settled(engine: Engine, nonce: str, expected_total: int) -> tuple[int, int]:
    """Counts once the server has had a moment to finish a request still in flight."""
    deadline = time.monotonic() + 0.5
    while True:
        counts = leads_for_form(engine, nonce), lead_count(engine)
        if time.monotonic() > deadline or counts != (1, expected_total):
            return counts
        time.sleep(0.1)


def test_a_double_tap_on_submit_stores_one_report(
        live_server: Server, phone: BrowserContext, engine: Engine) -> None:
    before = lead_count(engine)
    page = open_form(phone, live_server)
    nonce = nonce_of(page)
    fill_minimum(page, "郑十", fresh_phone())
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.locator("#submit-button").dblclick()
    code = receipt_code(page)
    expect(page.locator("#receipt-code")).to_have_count(1)
    assert 1 <= len(posts) <= 2, posts  # Chromium sends one; the server copes with two below
    assert _settled(engine, nonce, before + 1) == (1, before + 1)
    assert lead_row(engine, code)["idempotency_key"].startswith(f"form:{nonce}:")

    # The same form sent twice at the same moment (no button to disable): still one report,
    # and both answers lead to its receipt.
    page = open_form(phone, live_server)
    nonce = nonce_of(page)
    fill_minimum(page, "郑十一", fresh_phone())
    answers = page.evaluate("""async () => {
        const form = document.getElementById("report-form");
        const send = () => fetch(form.action, {method: "POST", body: new FormData(form),
                                               credentials: "same-origin"})
            .then(r => ({status: r.status, url: r.url}));
        return Promise.all([send(), send()]);
    }""")
    assert [a["status"] for a in answers] == [200, 200], answers
    matches = [RECEIPT_URL.search(answer["url"]) for answer in answers]
    codes = {match.group(1) for match in matches if match is not None}
    assert len(codes) == 1 and None not in matches, answers
    assert _settled(engine, nonce, before + 2) == (1, before + 2)
    assert lead_row(engine, codes.pop())["idempotency_key"].startswith(f"form:{nonce}:")


# ---------------------------------------------------------------- 7. without JavaScript

def test_the_form_works_with_javascript_disabled(
        live_server: Server, chromium: Browser, engine: Engine) -> None:
    context = chromium.new_context(**PHONE, java_script_enabled=False)
    context.set_default_timeout(WAIT_MS)
    try:
        page = open_form(context, live_server)
        expect(page.locator("#recorder")).to_be_hidden()  # the recorder needs scripts
        expect(page.locator("#f-voice")).to_be_visible()  # picking a file does not
        number = fresh_phone()
        page.get_by_label("姓名").fill("钱十二")
        page.get_by_label("手机号码").fill(number)
        page.get_by_label("欠了多少钱").fill("6000")
        page.locator('input[name="evidence"][value="contract"]').check()
        page.locator(CONSENT).check()
        submit(page, tap=False)
        code = receipt_code(page)
        lead = lead_row(engine, code)
        assert (lead["name"], lead["amount_owed_fen"]) == ("钱十二", 600000)
        assert as_list(lead["evidence"]) == ["contract"]
    finally:
        context.close()


# ---------------------------------------------------------------- 8. page weight

def test_the_first_page_weighs_under_100_kb(live_server: Server, phone: BrowserContext) -> None:
    page = phone.new_page()
    finished = []
    page.on("requestfinished", lambda request: finished.append(request))
    response = page.goto(live_server.board_url(live_server.boards[0]), wait_until="load")
    assert response is not None and response.status == 200
    page.wait_for_load_state("networkidle", timeout=WAIT_MS)
    document = len(response.body())
    transferred = {}
    for request in finished:
        sizes = request.sizes()
        transferred[request.url] = sizes["responseBodySize"] + sizes["responseHeadersSize"]
    total = sum(transferred.values())
    print(f"\nfirst page: {len(transferred)} responses, {total} bytes transferred, "
          f"document {document} bytes: {transferred}")
    assert document < MAX_FIRST_PAGE_BYTES
    assert total < MAX_FIRST_PAGE_BYTES, transferred
    assert len(transferred) <= 3, transferred  # the document, perhaps a favicon


# ---------------------------------------------------------------- 9. bots

def test_a_form_sent_back_too_fast_gets_a_receipt_but_is_not_stored(
        strict_server: Server, phone: BrowserContext, engine: Engine) -> None:
    before = lead_count(engine)
    page = open_form(phone, strict_server)
    nonce = nonce_of(page)
    fill_minimum(page, "机器人", fresh_phone())
    response = submit(page)  # well within the default three seconds
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("已收到您的反映")
    code_box = page.locator("#receipt-code")
    expect(code_box).to_be_visible()
    code = code_box.inner_text().strip()
    assert RECEIPT_CODE.fullmatch(code), code
    assert lead_count(engine) == before
    assert leads_for_form(engine, nonce) == 0
    assert scalar(engine, "SELECT count(*) FROM lead WHERE code = :code", code=code) == 0


def test_a_filled_honeypot_gets_a_receipt_but_is_not_stored(
        strict_server: Server, phone: BrowserContext, engine: Engine) -> None:
    before = lead_count(engine)
    bot, person = open_form(phone, strict_server), open_form(phone, strict_server)
    loaded = time.monotonic()
    bot_nonce, person_nonce = nonce_of(bot), nonce_of(person)
    fill_minimum(bot, "机器人二号", fresh_phone())
    honeypot = bot.locator('input[name="website"]')
    box = honeypot.bounding_box()  # a person never sees it, nor reaches it with the tab key
    assert box is not None and box["x"] + box["width"] <= 0, box
    expect(honeypot).to_have_attribute("tabindex", "-1")
    bot.evaluate("""() => { document.querySelector('input[name="website"]').value =
                            "http://spam.example"; }""")
    fill_minimum(person, "陈十三", fresh_phone())
    # Both wait past the minimum fill time; only the honeypot tells them apart.
    bot.wait_for_timeout(max(0.0, 3.5 - (time.monotonic() - loaded)) * 1000)

    assert submit(bot).status == 200
    expect(bot.get_by_role("heading", level=1)).to_have_text("已收到您的反映")
    expect(bot.locator("#receipt-code")).to_have_text(RECEIPT_CODE)
    assert leads_for_form(engine, bot_nonce) == 0

    submit(person)
    code = receipt_code(person)  # the person at the same speed is stored
    assert lead_row(engine, code)["idempotency_key"].startswith(f"form:{person_nonce}:")
    assert lead_count(engine) == before + 1


def test_a_quick_correction_after_a_validation_error_is_stored(
        strict_server: Server, phone: BrowserContext, engine: Engine) -> None:
    before = lead_count(engine)
    page = open_form(phone, strict_server)
    loaded = time.monotonic()
    nonce = nonce_of(page)
    page.get_by_label("姓名").fill("冯十四")
    page.get_by_label("手机号码").fill(fresh_phone())
    page.wait_for_timeout(max(0.0, 3.5 - (time.monotonic() - loaded)) * 1000)
    assert submit(page).status == 422  # a person, slowly, forgot to tick the consent box
    expect(page.locator(".field", has=page.locator(CONSENT)).locator(".error")).to_be_visible()
    page.locator(CONSENT).check()  # ticks it and taps again at once
    submit(page)
    assert leads_for_form(engine, nonce) == 1, "shown a receipt, but the report was dropped"
    assert lead_row(engine, receipt_code(page))["name"] == "冯十四"
    assert lead_count(engine) == before + 1
