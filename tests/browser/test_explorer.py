"""The explorer page in a real browser: it opens, draws, steps, runs BPTT, retraces and compares."""

from __future__ import annotations

import pytest

from app.demo_models import RECIPES
from tests.browser.helpers import copy_to_docs, open_page, probe_trace, record_page_figure, update_docs

FIRST_SCREEN_TARGET_MS = 1000  # "interactive in under 1 s on localhost": reported, not asserted
NETWORK = ".network-body .net"  # the main unrolled view (compare rows hold more)


def cursor_step(page) -> int:
    return int(page.get_attribute(f"{NETWORK} .cursor", "data-step"))


def loss_sum(page) -> float:
    return float(page.text_content("[data-role=loss-sum]"))


def test_page_loads_without_console_errors(page, server_url, screenshot):
    open_page(page, server_url)
    assert page.title().startswith("Unrolled")
    assert page.is_visible("[data-role=model-select]")
    assert page.get_attribute(NETWORK, "data-steps") is not None
    first_screen_ms = page.evaluate("window.unrolled.firstScreenMs")
    # A measurement, not a pass mark: on a shared machine a time bar judges the load.
    print(f"first screen interactive after {first_screen_ms:.0f} ms")
    assert first_screen_ms > 0
    path = screenshot("first-screen")
    if update_docs():
        copy_to_docs(path, "screenshot.png")
        record_page_figure(
            "- First screen",
            f"- First screen interactive (elman-reber traced and drawn, "
            f"measured from navigation start in headless Chromium): **{first_screen_ms:.0f} ms** "
            f"(target: under {FIRST_SCREEN_TARGET_MS} ms; tests/browser/test_explorer.py).",
        )
    screenshot("first-screen-full", full_page=True)


@pytest.mark.parametrize("name", [recipe.name for recipe in RECIPES])
def test_each_demo_model_draws_one_column_per_step(page, server_url, screenshot, name):
    open_page(page, server_url, f"?model={name}")
    steps = probe_trace(server_url, name)["steps"]
    assert int(page.get_attribute(NETWORK, "data-steps")) == steps
    assert page.locator(f"{NETWORK} g.column").count() == steps
    assert page.locator(f"{NETWORK} line.rec-h").count() == steps  # one recurrent arrow into every step
    screenshot(f"model-{name}")


def test_step_controls_move_the_highlight_and_the_accumulated_loss(page, server_url, screenshot):
    open_page(page, server_url, "?model=elman-reber")
    losses = [value or 0.0 for value in probe_trace(server_url, "elman-reber")["losses"]]
    assert cursor_step(page) == 0
    first = loss_sum(page)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.click("[data-action=next]")
    assert cursor_step(page) == 3
    assert page.text_content("[data-role=step]").startswith("step 4 /")
    assert loss_sum(page) == pytest.approx(sum(losses[:4]), rel=2e-3, abs=2e-3)
    assert loss_sum(page) > first
    page.keyboard.press("End")
    assert cursor_step(page) == len(losses) - 1
    assert loss_sum(page) == pytest.approx(sum(losses), rel=2e-3, abs=2e-3)
    page.keyboard.press("ArrowLeft")
    assert cursor_step(page) == len(losses) - 2
    page.keyboard.press("Home")
    assert cursor_step(page) == 0
    page.evaluate("document.activeElement.blur()")  # space on a focused button would press that button
    page.keyboard.press(" ")  # play: the cursor moves on its own
    page.wait_for_function(f"document.querySelector('{NETWORK} .cursor').dataset.step >= 2")
    page.keyboard.press(" ")
    screenshot("stepping")


def test_backward_mode_shows_gradients_as_arrow_widths(page, server_url, screenshot):
    open_page(page, server_url, "?model=lstm-embedded-reber")

    def widths():
        return page.eval_on_selector_all(f"{NETWORK} line.rec-h", "ls => ls.map(l => getComputedStyle(l).strokeWidth)")

    assert len(set(widths())) == 1  # forward: every arrow alike
    page.keyboard.press("b")
    assert page.get_attribute(NETWORK, "data-mode") == "backward"
    # BPTT starts at the step whose error flows back: by default the last one with a loss
    assert cursor_step(page) == int(page.get_attribute(NETWORK, "data-source"))
    backward = widths()
    assert len(set(backward)) > 2  # thickness follows the gradient reaching each step
    assert "BPTT" in page.text_content("[data-role=readout]")
    # the error of another step flows back differently
    page.click(f"{NETWORK} g.column[data-step='3'] .loss-bar", force=True)
    assert page.get_attribute(NETWORK, "data-source") == "3"
    assert widths() != backward
    page.keyboard.press("f")
    assert page.get_attribute(NETWORK, "data-mode") == "forward"
    page.keyboard.press("b")
    screenshot("backward")


def test_typing_an_input_retraces_and_a_bad_symbol_is_shown_in_place(page, server_url, console_errors, screenshot):
    console_errors.allow("status of 422")  # the browser logs the refused request itself
    open_page(page, server_url, "?model=elman-reber")
    field = page.locator("[data-role=input]")
    field.fill("BPVVE")
    field.press("Enter")
    page.wait_for_function(f"document.querySelector('{NETWORK}').dataset.steps === '5'")
    assert page.locator(f"{NETWORK} g.column").count() == 5
    field.fill("BTQSX")
    field.press("Enter")
    error = page.locator("[data-role=input-error]")
    error.wait_for(state="visible")
    assert "unknown symbol 'Q' at position 3" in error.text_content()
    assert page.text_content("[data-role=error-mark]") == "Q"
    screenshot("bad-input")
    field.fill("BTSSXXTVVE")
    field.press("Enter")
    error.wait_for(state="hidden")
    page.wait_for_function(f"document.querySelector('{NETWORK}').dataset.steps === '10'")


def test_compare_mode_shows_two_models_on_aligned_axes(page, server_url, screenshot):
    open_page(page, server_url, "?model=lstm-embedded-reber")
    page.click("[data-role=compare-menu] summary")
    page.check("[data-role=compare-menu] input[value='elman-embedded-reber']")
    row = page.locator(".compare-row[data-model='elman-embedded-reber'] .net[data-status='ready']")
    row.wait_for()
    steps = page.get_attribute(NETWORK, "data-steps")
    assert row.get_attribute("data-steps") == steps
    main_width = page.get_attribute(f"{NETWORK} .net-svg", "width")
    assert row.locator(".net-svg").get_attribute("width") == main_width  # same column width: aligned time axes
    assert page.locator(".cost-table tbody tr").count() == 2
    page.keyboard.press("Escape")
    page.click("body", position={"x": 5, "y": 400})
    page.keyboard.press("ArrowRight")
    assert row.get_attribute("data-step") == "1"
    screenshot("compare", full_page=True)


def test_reloading_the_url_restores_the_view(page, server_url, screenshot):
    open_page(page, server_url)
    page.select_option("[data-role=model-select]", "lstm-embedded-reber")
    page.wait_for_function(f"document.querySelector('{NETWORK}').dataset.steps === '14'")
    page.keyboard.press("b")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    page.click(".chip[data-panel=gradflow]")
    step = cursor_step(page)
    page.evaluate("window.unrolled.state.writeUrl()")
    url = page.url
    assert "model=lstm-embedded-reber" in url and "mode=backward" in url
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    assert page.input_value("[data-role=model-select]") == "lstm-embedded-reber"
    assert page.get_attribute(NETWORK, "data-mode") == "backward"
    assert cursor_step(page) == step
    assert page.is_visible(".panel[data-panel=gradflow]")
    screenshot("restored")


def test_the_tour_opens_chapters_and_can_be_left(page, server_url, screenshot):
    open_page(page, server_url)
    page.click("[data-action=tour]")
    tour = page.locator("[data-role=tour]")
    tour.wait_for(state="visible")
    assert "1 of" in tour.text_content()
    for _ in range(6):  # to chapter 7, the short-term memory problem
        page.click("[data-role=tour] .button.primary")  # Next
    page.wait_for_function(f"document.querySelector('{NETWORK}').dataset.mode === 'backward'")
    assert page.input_value("[data-role=model-select]") == "elman-embedded-reber"
    screenshot("tour-vanishing")
    page.click("[data-action=leave-tour]")
    tour.wait_for(state="hidden")
    assert page.input_value("[data-role=model-select]") == "elman-embedded-reber"  # the view stays


# In the page: api.js's trace of a model (compressed, byte-shuffled msgpack) against the
# JSON trace of the same input, value by value: every float32 array value must be the
# JSON number rounded to float32 (Math.fround), every other value the same.
COMPARE_DECODED_WITH_JSON = """async (name) => {
  const { api } = await import('/static/js/api.js');
  const input = (await api.model(name)).task.probe_text;
  const decoded = await api.trace(name, input);
  const json = await (await fetch(`/api/models/${name}/trace`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ input }),
  })).json();
  let numbers = 0;
  const different = [];
  const walk = (a, b, path) => {
    if (typeof b === 'number') {
      numbers += 1;
      if (a !== b && a !== Math.fround(b)) different.push(`${path}: ${a} vs ${b}`);
    } else if (b === null || typeof b !== 'object') {
      if (a !== b) different.push(`${path}: ${a} vs ${b}`);
    } else {
      for (const key of new Set([...Object.keys(a ?? {}), ...Object.keys(b)])) walk(a?.[key], b[key], `${path}.${key}`);
    }
  };
  walk(decoded, json, 'trace');
  return { numbers, different: different.slice(0, 5) };
}"""


def test_the_page_fetches_compressed_binary_traces_and_decodes_them_exactly(page, server_url):
    """The page asks for byte-shuffled msgpack (docs/api.md, Binary traces), which Chromium gets
    zstd-compressed from 127.0.0.1; what api.js decodes is the JSON trace, value for value."""
    traces = []
    page.on("response", lambda r: traces.append(r.headers) if r.url.split("?")[0].endswith("/trace") else 0)
    open_page(page, server_url, "?model=elman-reber")
    assert traces and {headers.get("content-type") for headers in traces} == {"application/msgpack"}
    assert {headers.get("content-encoding") for headers in traces} == {"zstd"}
    for name in ("elman-reber", "lstm-frametime"):  # 200 steps of H = 128: 0.4 MB of arrays
        compared = page.evaluate(COMPARE_DECODED_WITH_JSON, name)
        assert compared["different"] == [] and compared["numbers"] > 500, (name, compared)
