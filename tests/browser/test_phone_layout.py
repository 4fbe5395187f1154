"""Staff pages on a 360 px phone: nothing squeezed into one character a line, nothing pushed off
screen, the staff header in at most two lines (a real Chromium against `serve --demo`)."""
from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from .conftest import Server
from .test_first_path import PHONE, log_in, new_page

pytestmark = pytest.mark.browser


def no_horizontal_scroll(page: Page) -> None:
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"page is {widths[0]}px wide on a {widths[1]}px screen"


def narrowest_cell(page: Page) -> float:
    """The narrowest table cell with text, in CSS pixels (a squeezed column is ~1 character)."""
    return float(page.evaluate("""() => Math.min(...Array.from(document.querySelectorAll('td'))
        .filter(td => td.innerText.trim()).map(td => td.getBoundingClientRect().width), 9999)"""))


def header_lines(page: Page) -> float:
    return float(page.evaluate("""() => {
        const bar = document.querySelector('header.bar');
        const line = parseFloat(getComputedStyle(bar).lineHeight) || 24;
        const pad = parseFloat(getComputedStyle(bar).paddingTop) + parseFloat(getComputedStyle(bar).paddingBottom);
        return (bar.getBoundingClientRect().height - pad) / line; }"""))


@pytest.fixture()
def phone(chromium: Any) -> Any:
    context = chromium.new_context(**PHONE, locale="zh-CN")
    yield context
    context.close()


def test_the_staff_queue_reads_on_a_phone(live_server: Server, phone: Any) -> None:
    page = new_page(phone)
    log_in(page, live_server, "staff")
    page.goto(f"{live_server.url}/cases")
    assert page.locator("table tbody tr").count() >= 4  # the demo's reports
    no_horizontal_scroll(page)
    assert narrowest_cell(page) > 200
    assert header_lines(page) <= 2.6, "the staff header takes more than two lines"
    assert page.get_by_role("button", name="退出").is_visible()
    case = page.locator("table tbody tr").first.get_by_role("link").first
    case.click()
    no_horizontal_scroll(page)


def test_the_contractors_projects_read_on_a_phone(live_server: Server, phone: Any) -> None:
    page = new_page(phone)
    log_in(page, live_server, "contractor")
    page.goto(f"{live_server.url}/projects")
    no_horizontal_scroll(page)
    assert narrowest_cell(page) > 200
    page.locator("table tbody tr").first.get_by_role("link").first.click()
    page.wait_for_load_state()
    no_horizontal_scroll(page)
    assert narrowest_cell(page) > 200
