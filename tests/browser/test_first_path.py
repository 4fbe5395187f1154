"""The first path, end to end in a real Chromium against a real `wagechannel serve --demo`:

a contractor downloads the board, the printed QR code leads a worker's phone to the form,
the report comes back as a receipt code, and the legal-aid centre finds the case in its queue.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect

from wagechannel.demo import DEFAULT_PASSWORD

from .conftest import Server

RECEIPT_CODE = re.compile(r"[0-9A-HJKMNP-TV-Z]{8}")  # Crockford base32: no I, L, O, U
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
WAIT_MS = 15_000


def new_page(context: BrowserContext) -> Page:
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.set_default_navigation_timeout(WAIT_MS)
    return page


def log_in(page: Page, server: Server, username: str) -> None:
    page.goto(f"{server.url}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()


def decode_qr(png: Path) -> list[str]:
    with Image.open(png) as image:
        image.load()
        return [barcode.text for barcode in zxingcpp.read_barcodes(image)
                if "QR" in str(barcode.format)]


def download_board(page: Page, server: Server, tmp_path: Path) -> tuple[str, str, str]:
    """As the contractor: the first project's name, its board token, and the URL in the QR."""
    log_in(page, server, "contractor")
    expect(page).to_have_url(f"{server.url}/projects")  # a contractor lands on the projects
    page.goto(f"{server.url}/projects")
    first = page.locator("table tbody tr").first.get_by_role("link")
    project_name = first.inner_text().strip()
    assert project_name in {b["project_name"] for b in server.boards}
    first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(project_name)

    row = page.locator("table tbody tr", has=page.get_by_role("button", name="下载")).first
    token = row.locator("code").first.inner_text().strip()
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{10}", token), token
    expect(row).to_contain_text(f"{server.url}/s/{token}")
    row.get_by_label("尺寸").select_option("A3")
    row.get_by_label("格式").select_option("png")
    with page.expect_download() as info:
        row.get_by_role("button", name="下载").click()
    download = info.value
    assert download.failure() is None
    assert download.suggested_filename == f"board-{token}-A3.png"
    png = tmp_path / download.suggested_filename
    download.save_as(png)
    with Image.open(png) as image:
        assert image.format == "PNG"
    decoded = decode_qr(png)
    assert len(decoded) == 1, f"expected one QR code on the board, read {decoded}"
    return project_name, token, decoded[0]


@pytest.mark.browser
@pytest.mark.slow
def test_contractor_board_to_worker_phone_to_legal_aid_queue(
        live_server: Server, chromium: Browser, tmp_path: Path) -> None:
    contexts: list[BrowserContext] = []

    def context(**options: Any) -> BrowserContext:
        made = chromium.new_context(**options)
        contexts.append(made)
        return made

    try:
        # 1. The contractor downloads the board; the QR code on it is the board's own address.
        office = new_page(context(accept_downloads=True))
        project_name, token, scanned = download_board(office, live_server, tmp_path)
        assert scanned == f"http://127.0.0.1:{live_server.port}/s/{token}"

        # 2. A worker scans it with a phone and reports.
        phone = new_page(context(**PHONE))
        phone.goto(scanned)
        expect(phone.get_by_role("heading", level=1)).to_have_text(project_name)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360, \
            "the form is wider than the phone's screen"
        phone.get_by_label("姓名").fill("欧阳小明")  # no demo report has this name
        phone.get_by_label("手机号码").fill("13800138001")
        phone.get_by_label("欠了多少钱").fill("8500")
        phone.get_by_label("我同意法律援助中心").check()
        phone.get_by_role("button", name="提交").click()

        expect(phone).to_have_url(re.compile(r"/q/[0-9A-Z]{8}\?new=1$"))
        receipt = phone.locator("#receipt-code")
        expect(receipt).to_be_visible()
        code = receipt.inner_text().strip()
        assert RECEIPT_CODE.fullmatch(code), code
        assert phone.url.startswith(f"{live_server.url}/q/{code}")
        expect(phone.get_by_role("heading", level=1)).to_have_text("已收到您的反映")

        # 3. The legal-aid centre sees it in the queue, with the worker's name masked.
        desk = new_page(context())
        log_in(desk, live_server, "staff")
        desk.goto(f"{live_server.url}/cases")
        row = desk.locator("table tbody tr", has_text=project_name).filter(has_text="欧***")
        expect(row).to_have_count(1)
        expect(row).not_to_contain_text("欧阳小明")
        row.get_by_role("link").first.click()
        expect(desk).to_have_url(re.compile(r"/cases/\d+$"))
        expect(desk.locator("code", has_text=code)).to_be_visible()
        expect(desk.locator("main")).to_contain_text(project_name)
    finally:
        for made in contexts:
            made.close()


@pytest.mark.browser
@pytest.mark.slow
def test_phone_form_explains_a_bad_phone_number_and_keeps_the_name(
        live_server: Server, chromium: Browser) -> None:
    board = live_server.boards[0]
    context = chromium.new_context(**PHONE)
    try:
        page = new_page(context)
        page.goto(board["url"])
        expect(page.get_by_role("heading", level=1)).to_have_text(board["project_name"])
        page.get_by_label("姓名").fill("李四")
        page.get_by_label("手机号码").fill("12345")
        page.get_by_label("我同意法律援助中心").check()
        with page.expect_navigation() as navigation:
            page.get_by_role("button", name="提交").click()
        response = navigation.value
        assert response is not None and response.status == 422

        field = page.locator(".field", has=page.get_by_label("手机号码"))
        error = field.locator(".error")
        expect(error).to_have_text("手机号码应为11位数字，以1开头。")
        expect(error).to_be_visible()
        expect(page.get_by_label("手机号码")).to_have_attribute("aria-invalid", "true")
        expect(page.get_by_label("手机号码")).to_have_attribute("aria-describedby", "e-phone")
        expect(page.get_by_label("手机号码")).to_have_value("12345")
        expect(page.get_by_label("姓名")).to_have_value("李四")
        expect(page.locator(".field", has=page.get_by_label("姓名")).locator(".error")) \
            .to_have_count(0)
        expect(page.get_by_label("我同意法律援助中心")).to_be_checked()
        expect(page.locator("#receipt-code")).to_have_count(0)
        assert page.url == board["url"]
    finally:
        context.close()
