"""The contractor's project list and project page on a 360 x 740 phone, in a real Chromium:
no sideways scrolling, no column squeezed to a character a line, nothing off screen."""
from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from .conftest import Server
from .test_first_path import PHONE, log_in, new_page

# A cell narrower than this shows two or three characters a line at the phone's font size.
MIN_CELL_PX = 120


def assert_fits_the_phone(page: Page) -> None:
    width = page.evaluate("window.innerWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, \
        f"{page.url} scrolls sideways at {width} px"
    cells = page.evaluate("""() => [...document.querySelectorAll('main td, main th')]
        .filter(cell => cell.offsetParent !== null)
        .map(cell => [cell.getBoundingClientRect().width, cell.innerText.slice(0, 20)])""")
    narrow = [(round(w), text) for w, text in cells if w < MIN_CELL_PX]
    assert not narrow, f"{page.url}: columns squeezed to a few characters a line: {narrow}"
    off_screen = page.evaluate("""(width) => [...document.querySelectorAll(
            'main button, main select, main a, main input:not([type=hidden])')]
        .filter(el => el.offsetParent !== null)
        .map(el => [el.getBoundingClientRect(), el.innerText || el.name || el.tagName])
        .filter(([box]) => box.left < -1 || box.right > width + 1)
        .map(([box, label]) => label)""", width)
    assert not off_screen, f"{page.url}: controls pushed off screen: {off_screen}"


@pytest.mark.browser
def test_the_project_list_and_page_fit_a_360_px_phone(live_server: Server,
                                                      chromium: Browser) -> None:
    context = chromium.new_context(**PHONE)
    try:
        page = new_page(context)
        log_in(page, live_server, "contractor")
        page.goto(f"{live_server.url}/projects")
        assert page.locator("table.stack tbody tr").count() >= 1
        assert_fits_the_phone(page)
        page.locator("table.stack tbody tr").first.get_by_role("link").click()
        page.wait_for_selector("#boards")
        assert_fits_the_phone(page)
    finally:
        context.close()
