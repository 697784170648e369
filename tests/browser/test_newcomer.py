"""The page as a newcomer finds it (issue 10, section 3): what a first visit, a phone or a
disconnected laptop ran into, each checked in Chromium with a screenshot."""

from __future__ import annotations

from urllib.parse import urlparse

from tests.browser.helpers import open_page

NETWORK = ".network-body .net"  # the main unrolled view
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# ReDoc's bundle shows Redocly's logo from its CDN under the sidebar; offline the image fails and
# ReDoc removes it (its onError), so the page is whole without it.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def block_the_internet(page) -> list[str]:
    """Abort every request that leaves this machine, as on a laptop with no network; returns the
    blocked URLs so a test can say which ones the page tried."""
    blocked: list[str] = []

    def route(request_route):
        url = request_route.request.url
        if urlparse(url).hostname in LOCAL_HOSTS or url.startswith(("data:", "blob:")):
            request_route.continue_()
        else:
            blocked.append(url)
            request_route.abort()

    page.route("**/*", route)
    return blocked


def test_swagger_ui_renders_offline(page, server_url, screenshot):
    blocked = block_the_internet(page)
    page.goto(f"{server_url}/docs")
    page.wait_for_selector(".swagger-ui .opblock-tag")  # the operations grouped by tag: the UI ran
    assert page.locator(".swagger-ui .opblock").count() > 10
    assert "Unrolled" in page.text_content(".swagger-ui .info .title")
    assert blocked == []
    screenshot("newcomer-docs-offline")


def test_redoc_renders_offline(page, server_url, console_errors, screenshot):
    console_errors.allow(REDOC_LOGO)
    blocked = block_the_internet(page)
    page.goto(f"{server_url}/redoc")
    page.wait_for_selector("h1:has-text('Unrolled')")  # ReDoc rendered the document's title
    assert page.locator("[data-section-id^='operation/']").count() > 10
    assert [url for url in blocked if url != REDOC_LOGO] == []
    screenshot("newcomer-redoc-offline")


def test_the_cell_view_can_be_reopened_after_closing_it(page, server_url, screenshot):
    open_page(page, server_url, "?model=lstm-embedded-reber")
    page.wait_for_selector(".cell-view:not([hidden])")
    page.click(".cell-view .cell-head .icon-button")  # its ×
    page.wait_for_selector(".cell-view", state="hidden")
    reopen = page.locator("[data-action=open-cell]")
    assert reopen.is_visible()
    screenshot("newcomer-cell-closed")
    reopen.click()
    page.wait_for_selector(".cell-view:not([hidden])")
    assert not reopen.is_visible()
    # chapter 7's way: close it, then click a step
    page.click(".cell-view .cell-head .icon-button")
    page.wait_for_selector(".cell-view", state="hidden")
    box = page.locator(NETWORK).bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5)
    page.wait_for_selector(".cell-view:not([hidden])")
    assert "Inside the LSTM cell" in page.text_content(".cell-title")
