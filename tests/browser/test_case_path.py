"""The green channel after the queue, end to end in a real Chromium against a real
`wagechannel serve --demo`: a worker reports from a phone, the centre accepts, grants and
assigns, the lawyer finds the case in "my cases" and closes it with the amount recovered, and
the worker reads the outcome on /q/<code>.
"""
from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from .conftest import Server
from .test_first_path import PHONE, RECEIPT_CODE, log_in, new_page

WORKER_PHONE = "13800138099"


def do(page: Page, action: str, label: str) -> None:
    """Press an action's button on the case page and land back on it, the step flashed."""
    page.locator(f"#form-{action}").get_by_role("button", name=label).click()
    expect(page).to_have_url(re.compile(r"/cases/\d+#workflow$"))


def open_action(page: Page, action: str) -> None:
    details = page.locator(f"#action-{action}")
    details.locator("summary").click()
    expect(details).to_have_attribute("open", "")


@pytest.mark.browser
@pytest.mark.slow
def test_report_accept_grant_assign_close_and_the_worker_reads_the_outcome(
        live_server: Server, chromium: Browser) -> None:
    contexts: list[BrowserContext] = []

    def context(**options: Any) -> BrowserContext:
        made = chromium.new_context(**options)
        contexts.append(made)
        return made

    try:
        # 1. A worker reports from a phone.
        board = live_server.boards[0]
        phone = new_page(context(**PHONE))
        phone.goto(live_server.board_url(board))
        phone.get_by_label("姓名").fill("司马大强")  # no demo report has this name
        phone.get_by_label("手机号码").fill(WORKER_PHONE)
        phone.get_by_label("欠了多少钱").fill("8500")
        phone.get_by_label("我同意法律援助中心").check()
        phone.get_by_role("button", name="提交").click()
        expect(phone).to_have_url(re.compile(r"/q/[0-9A-Z]{8}\?new=1$"))
        code = phone.locator("#receipt-code").inner_text().strip()
        assert RECEIPT_CODE.fullmatch(code), code

        # 2. The centre's staff accept, grant (art. 42(3) by default) and assign.
        desk = new_page(context())
        log_in(desk, live_server, "staff")
        desk.goto(f"{live_server.url}/cases")
        row = desk.locator("table tbody tr", has_text=board["project_name"]).filter(has_text="司***")
        expect(row).to_have_count(1)
        row.get_by_role("link").first.click()
        expect(desk.locator("code", has_text=code)).to_be_visible()
        number = desk.get_by_role("heading", level=1).inner_text().removeprefix("案件").strip()

        do(desk, "accept", "受理")
        expect(desk.locator(".flash-info")).to_contain_text("已受理")

        open_action(desk, "grant")
        expect(desk.locator('#form-grant input[name="basis"][value="exempt_42_3"]')).to_be_checked()
        desk.get_by_label("证明材料说明").fill("项目部出具的务工证明")
        do(desk, "grant", "决定给予法律援助")
        expect(desk.locator("#workflow")).to_contain_text("免予核查经济困难状况")

        open_action(desk, "assign")
        option = desk.locator("#a-lawyer option", has_text="陈律师")
        expect(option).to_contain_text("在办")
        desk.get_by_label("律师").select_option(option.get_attribute("value"))
        do(desk, "assign", "指派律师")
        expect(desk.locator("#workflow")).to_contain_text("陈律师")
        expect(desk.locator("#timeline")).to_contain_text("指派律师")

        # 3. The lawyer logs in and finds the case among their own; closes it with an amount.
        office = new_page(context())
        log_in(office, live_server, "lawyer")
        office.goto(f"{live_server.url}/cases")
        expect(office.get_by_role("heading", level=1)).to_have_text("我的案件")
        office.get_by_role("link", name=number).click()
        expect(office.locator("#form-assign")).to_have_count(0)  # only staff reassign
        open_action(office, "close")
        office.get_by_label("结案结果").select_option(label="全部追回")
        office.get_by_label("追回金额（元）").fill("8500")
        office.get_by_label("由谁支付").select_option(label="施工总承包单位先行清偿（条例第30条）")
        do(office, "close", "结案")
        expect(office.locator("#workflow")).to_contain_text("8,500 元")

        # 4. The worker reads the outcome on the phone: the amount after the last four digits.
        phone.goto(f"{live_server.url}/q/{code}")
        expect(phone.locator("#status-label")).to_have_text("已结案：欠薪已经追回")
        expect(phone.locator("#amount")).to_have_count(0)
        phone.get_by_label("请输入您留的手机号码最后四位").fill(WORKER_PHONE[-4:])
        phone.get_by_role("button", name="确定").click()
        expect(phone.locator("#amount")).to_have_text("8,500 元")
        expect(phone.locator("#outcome")).to_contain_text("施工总承包单位先行垫付")
        expect(phone.locator("#time-limit")).to_be_visible()
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360, \
            "the progress page is wider than the phone's screen"
    finally:
        for made in contexts:
            made.close()
