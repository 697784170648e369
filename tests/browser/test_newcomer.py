"""The page as a newcomer finds it (issue 10, section 3): what a first visit, a phone or a
disconnected laptop ran into, each checked in Chromium with a screenshot."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from tests.browser.conftest import SCREENSHOTS
from tests.browser.helpers import build_in_drawer, open_page

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


def cursor_step(page) -> int:
    return int(page.get_attribute(f"{NETWORK} .cursor", "data-step"))


def test_backward_every_control_moves_along_the_pass(page, server_url, screenshot):
    # BPTT of L_6 (from=6), the cursor on step 10: after the source, where the gradient of L_6 is 0
    open_page(page, server_url, "?model=lstm-embedded-reber&mode=backward&from=6&t=10")
    assert cursor_step(page) == 9
    assert "does not depend on it" in page.text_content("[data-role=readout]")  # the 0 there is explained
    page.keyboard.press("ArrowRight")  # the pass starts at its source, step 6
    assert cursor_step(page) == 5
    page.keyboard.press("ArrowRight")  # then runs toward step 1
    assert cursor_step(page) == 4
    page.click("[data-action=next]")
    assert cursor_step(page) == 3
    assert "t − 1" in page.get_attribute("[data-action=next]", "title")
    page.keyboard.press("ArrowLeft")  # previous: back toward the source
    assert cursor_step(page) == 4
    page.keyboard.press("Home")
    assert cursor_step(page) == 5
    page.keyboard.press("ArrowLeft")  # never past the source, onto steps that read 0
    assert cursor_step(page) == 5
    page.keyboard.press("End")
    assert cursor_step(page) == 0
    page.keyboard.press("ArrowRight")
    assert cursor_step(page) == 0
    screenshot("newcomer-backward-next")
    page.keyboard.press("f")  # forward again: next is t + 1
    page.keyboard.press("ArrowRight")
    assert cursor_step(page) == 1
    assert "t + 1" in page.get_attribute("[data-action=next]", "title")


def test_a_long_invalid_input_keeps_trace_and_reset_on_screen(page, server_url, console_errors, screenshot):
    console_errors.allow("422")  # the refused trace is an expected failed request
    open_page(page, server_url, "?model=elman-reber")
    page.fill("[data-role=input]", "BTSSXXTVVE" + "Q" * 400)
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-role=input-error]:not([hidden])")
    width = page.viewport_size["width"]
    for name in ("Trace", "Reset to probe"):
        box = page.get_by_role("button", name=name, exact=True).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"{name} is off screen: {box}"
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot("newcomer-long-invalid-input")


def test_an_empty_input_is_refused_with_a_message(page, server_url):
    open_page(page, server_url, "?model=elman-reber&input=BTSSXXTVVE")
    steps = page.get_attribute(NETWORK, "data-steps")
    page.fill("[data-role=input]", "   ")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-role=input-error]:not([hidden])")
    assert "empty" in page.text_content("[data-role=input-error]")
    assert page.get_attribute(NETWORK, "data-steps") == steps  # the last trace stays, not the default's
    page.evaluate("window.unrolled.state.writeUrl()")
    assert "input=BTSSXXTVVE" in page.url


def test_an_unknown_model_in_the_url_is_named(page, server_url, screenshot):
    open_page(page, server_url, "?model=no-such-model")
    banner = page.locator("[data-role=banner]")
    assert banner.is_visible()
    assert "no-such-model" in banner.text_content()
    screenshot("newcomer-unknown-model")


def test_a_tour_chapter_in_the_url_opens_its_own_model(page, server_url, screenshot):
    chapters = page_chapters(page, server_url)
    index = next(k for k, chapter in enumerate(chapters) if chapter["model"] != "elman-reber")
    open_page(page, server_url, f"?tour={index + 1}")
    assert page.input_value("[data-role=model-select]") == chapters[index]["model"]
    assert page.is_visible(".tour")
    screenshot("newcomer-tour-chapter-url")


def page_chapters(page, server_url) -> list[dict]:
    """The tour's chapters as the page's own module lists them (their model and input)."""
    page.goto(f"{server_url}/")
    return page.evaluate(
        "import('/static/js/tour.js').then(m => m.CHAPTERS.map(c => ({ model: c.model, input: c.input ?? null })))"
    )


PHONE = {"width": 390, "height": 844}


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_a_phone_never_scrolls_sideways(page, server_url, screenshot):
    page.set_viewport_size(PHONE)
    open_page(page, server_url, "?model=lstm-embedded-reber")  # the cell view open
    page.wait_for_selector(".cell-view:not([hidden])")
    assert page_width(page) <= PHONE["width"]
    screenshot("newcomer-phone-cell", full_page=True)
    open_page(page, server_url, "?model=lstm-embedded-reber&compare=elman-embedded-reber")
    page.wait_for_selector(".cost-table")
    assert page_width(page) <= PHONE["width"]
    screenshot("newcomer-phone-compare", full_page=True)


def test_on_a_phone_the_tour_leaves_the_page_visible_and_esc_closes_it(page, server_url, screenshot):
    page.set_viewport_size(PHONE)
    open_page(page, server_url, "?tour=2")
    tour = page.locator(".tour")
    assert tour.is_visible()
    height = tour.bounding_box()["height"]
    assert height <= 0.3 * PHONE["height"], f"the tour covers {height / PHONE['height']:.0%} of the screen"
    assert page_width(page) <= PHONE["width"]
    screenshot("newcomer-phone-tour")
    page.keyboard.press("Escape")
    page.wait_for_selector(".tour", state="hidden")


def test_a_paused_training_run_says_paused_not_a_rate_and_time_left(page, server_url, screenshot):
    drawer = build_in_drawer(page, server_url, "newcomer-paused", 4)
    drawer.locator("[data-field=steps]").fill("100000")  # far more than the test waits for
    drawer.locator("[data-action=start]").click()
    progress = drawer.locator("[data-role=progress]")
    page.wait_for_function("document.querySelector('[data-role=progress]').textContent.includes('steps/s')")
    drawer.locator("[data-action=pause]").click()
    page.wait_for_function("document.querySelector('[data-role=training]').dataset.phase === 'paused'")
    text = progress.text_content()
    assert text.startswith("Paused at step") and "steps/s" not in text and "left" not in text
    # the steps taken were saved: the model line counts them once its detail is fetched again
    page.wait_for_function("!document.querySelector('.train-target').textContent.includes(' 0 steps so far')")
    screenshot("newcomer-training-paused")
    drawer.locator("[data-action=stop]").click()  # a paused run has no job: Stop ends it there
    page.wait_for_function("document.querySelector('[data-role=training]').dataset.phase === 'idle'")
    assert progress.text_content().startswith("Stopped at step")


def overflowing(page, selector: str) -> list[str]:
    """The elements matching selector whose content is wider than their box (clipped or scrolled)."""
    return page.eval_on_selector_all(
        selector, "els => els.filter(e => e.offsetParent && e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)"
    )


def overlapping_ticks(page) -> list[str]:
    """Pairs of colour-bar tick labels, in one legend, whose boxes overlap."""
    return page.evaluate(
        """[...document.querySelectorAll('.legend-ticks')].flatMap(row => {
             const ticks = [...row.querySelectorAll('.legend-tick')];
             const boxes = ticks.map(t => [t.textContent, t.getBoundingClientRect()]);
             return boxes.slice(1).filter(([, b], k) => b.left < boxes[k][1].right)
               .map(([text], k) => boxes[k][0] + ' | ' + text);
           })"""
    )


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, PHONE], ids=["desktop", "phone"])
def test_equations_summary_and_colour_bars_are_whole(page, server_url, screenshot, viewport):
    page.set_viewport_size(viewport)
    panels = "hidden,gates,gradnorm,gradflow,outputs"
    open_page(page, server_url, f"?model=lstm-embedded-reber&mode=backward&panels={panels}")
    page.wait_for_selector(".panel[data-panel=gates] .legend-tick")
    assert overlapping_ticks(page) == []
    assert overflowing(page, ".view-equation, .equation") == []
    summary = page.locator("[data-role=model-meta]")
    assert summary.is_visible() and "LSTM" in summary.text_content()
    assert overflowing(page, "[data-role=model-meta]") == []
    screenshot(f"newcomer-whole-{viewport['width']}", full_page=True)


def test_a_third_compare_model_is_refused_in_words(page, server_url, console_errors, screenshot):
    console_errors.allow("422")  # elman-reber cannot read an embedded-Reber string: its row says so
    open_page(page, server_url, "?model=lstm-embedded-reber&compare=elman-embedded-reber,elman-reber")
    page.click("[data-role=compare-menu] summary")
    note = page.text_content("[data-role=compare-note]")
    assert "uncheck one" in note
    others = page.locator("[data-role=compare-menu] input:not(:checked)")
    assert others.count() >= 1 and all(box.is_disabled() for box in others.all())
    screenshot("newcomer-compare-full")
    page.uncheck("[data-role=compare-menu] input[value='elman-reber']")
    assert not others.first.is_disabled()
    page.evaluate("window.unrolled.state.writeUrl()")
    assert "compare=elman-embedded-reber" in page.url and "elman-reber," not in page.url


def test_a_colour_bar_over_a_small_range_keeps_its_tick_labels_apart(page, server_url):
    # the range where the labels ran together ("5×10⁻⁴0.0010.002"): small values, five round ticks
    open_page(page, server_url, "?model=elman-reber")
    shown = page.evaluate(
        """Promise.all([import('/static/js/views/widgets.js'), import('/static/js/lib/color.js')]).then(([w, c]) => {
             const box = document.createElement('div');
             box.className = 'view panel-view';
             box.dataset.role = 'legend-probe';
             document.querySelector('[data-role=panels]').prepend(box);
             const scale = new c.ColorScale({ kind: 'sequential', domain: [0, 0.0025] });
             new w.ColorLegend(box).update(scale, { label: 'test' });
             return [...box.querySelectorAll('.legend-tick')].map(t => t.textContent);
           })"""
    )
    assert len(shown) >= 2 and shown[-1] != shown[0]
    assert overlapping_ticks(page) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("[data-role=legend-probe]").screenshot(path=str(SCREENSHOTS / "newcomer-legend-small-range.png"))
