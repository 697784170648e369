"""Interventions on the page (issue 11 §4): the classic demonstration on the shipped
lstm-embedded-reber. Every forget gate shut (f = 0) at the middle of the inner string of
BPBTSSXXTVVEPE cuts the memory of the opening P: after the inner E the network predicts T, not
P. The page clamps from its Interventions panel, retraces, and shows the clamped run with the
clamped step marked and each step whose loss moved badged; every number is checked against the
API's own answer for the same interventions. Screenshot: interventions-forget-shut.png."""

from __future__ import annotations

import httpx
import pytest

from tests.browser.helpers import ROOT, open_page

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
PANEL = "section.panel[data-panel=interventions]"
MODEL = "lstm-embedded-reber"
TEXT = "BPBTSSXXTVVEPE"  # the opening P must come back after the inner E (step 12, 0-based 11)
MIDDLE = 6  # 0-based: the middle of the inner string, (2 + 11) // 2 as in tests/core/test_interventions.py
CLOSING = len(TEXT) - 3


@pytest.fixture(scope="module")
def engine(server_url):
    """The API's trace with every forget-gate unit shut at the middle step."""
    detail = httpx.get(f"{server_url}/api/models/{MODEL}", timeout=30).json()
    hidden = detail["config"]["hidden_size"]
    body = {
        "input": TEXT,
        "interventions": [{"step": MIDDLE, "target": "gate:f", "unit": j, "value": 0} for j in range(hidden)],
    }
    response = httpx.post(
        f"{server_url}/api/models/{MODEL}/trace", json=body, headers={"Origin": server_url}, timeout=60
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_shutting_the_forget_gate_breaks_the_long_range_prediction_on_the_page(page, server_url, engine):
    vocabulary = engine["symbols"]
    p_index, t_index = vocabulary.index("P"), vocabulary.index("T")
    # the API's own numbers: clean, P is predicted after the inner E; clamped, T is
    assert engine["clean"]["outputs"][CLOSING][p_index] > 0.5 > engine["y"][CLOSING][p_index]
    assert engine["y"][CLOSING][t_index] > 0.5

    open_page(page, server_url, f"?model={MODEL}&input={TEXT}&panels=interventions&t={MIDDLE + 1}")
    page.wait_for_selector(f"{PANEL} [data-field=clamp-target] option[value='gate:f']", state="attached")
    page.select_option(f"{PANEL} [data-field=clamp-target]", "gate:f")
    page.select_option(f"{PANEL} [data-field=clamp-unit]", "all")
    assert page.input_value(f"{PANEL} [data-field=clamp-step]") == str(MIDDLE)  # the current step is offered
    page.click(f"{PANEL} [data-action=clamp-value-0]")
    page.click(f"{PANEL} [data-action=clamp]")
    page.wait_for_function(f"document.querySelector('{PANEL} [data-role=clamp-summary]').dataset.delta !== ''")

    # the list of active clamps, the summary's losses and the delta, as the API computed them
    assert page.locator(f"{PANEL} [data-role=clamp-list] li[data-clamp]").count() == 1
    assert "f gate, every unit, at step 7 (X) := 0" in page.text_content(f"{PANEL} [data-role=clamp-list]")
    delta = float(page.get_attribute(f"{PANEL} [data-role=clamp-summary]", "data-delta"))
    assert delta == pytest.approx(engine["difference"]["loss"], rel=1e-5)
    assert delta > 5  # the long-range prediction failed: its loss alone rose by several nats

    # the unrolled view shows the clamped run: the gate's clamp marked at its step, a badge on the
    # closing step's loss with the API's difference, its changed output ringed
    marks = ".network-body [data-role=clamp-marks]"
    assert page.get_attribute(f"{marks} .clamp-gate", "data-step") == str(MIDDLE)
    badge = page.locator(f"{marks} .clamp-badge[data-step='{CLOSING}']")
    shown = float(badge.text_content().replace("+", "").replace("\u2212", "-").replace(",", ""))
    assert shown == float(f"{engine['difference']['losses'][CLOSING]:.2g}")  # two significant digits
    assert page.locator(f"{marks} .clamp-output[data-step='{CLOSING}']").count() == 1

    # step to the closing prediction: the outputs table shows P fall and T rise, clean against clamped
    page.keyboard.press("End")
    page.wait_for_selector(f"{PANEL} .clamp-table[data-step='{len(TEXT) - 1}']")
    for _ in range(len(TEXT) - 1 - CLOSING):
        page.keyboard.press("ArrowLeft")
    page.wait_for_selector(f"{PANEL} .clamp-table[data-step='{CLOSING}']")
    rows = page.locator(f"{PANEL} .clamp-table tbody tr")
    p_row = rows.nth(p_index).locator("td")
    assert float(p_row.nth(0).text_content()) == pytest.approx(engine["clean"]["outputs"][CLOSING][p_index], abs=6e-3)
    assert float(p_row.nth(1).text_content()) == pytest.approx(engine["y"][CLOSING][p_index], abs=6e-3)
    assert "changed" in rows.nth(p_index).get_attribute("class")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.add_style_tag(content=".topbar { position: static; }")  # the sticky header would cover the shot
    page.locator(".network-area").screenshot(path=str(SCREENSHOTS / "interventions-unrolled.png"))
    page.locator(PANEL).screenshot(path=str(SCREENSHOTS / "interventions-forget-shut.png"))

    # removing the clamp gives back the network as trained
    page.click(f"{PANEL} [data-action=clamp-remove]")
    page.wait_for_function(f"document.querySelector('{PANEL} [data-role=clamp-summary]').dataset.delta === ''")
    assert page.locator(f"{marks} > *").count() == 0


def test_a_unit_clicked_in_the_hidden_state_is_offered_for_clamping(page, server_url):
    open_page(page, server_url, f"?model={MODEL}&input={TEXT}&panels=hidden,interventions")
    page.wait_for_selector(f"{PANEL} [data-field=clamp-target] option", state="attached")
    page.locator("section.panel[data-panel=hidden] .matrix").scroll_into_view_if_needed()
    # the centre of the cell of unit 3 at step 5, in the page's coordinates, from the matrix's own layout
    x, y = page.evaluate(
        """() => {
          const matrix = window.unrolled.views.panels.open.get('hidden').views[0].canvas;
          const box = matrix.overlay.getBoundingClientRect();
          const { left, top, cellW, cellH } = matrix.layout;
          return [box.left + left + cellW * 4.5, box.top + top + cellH * 2.5];
        }"""
    )
    page.mouse.click(x, y)
    page.wait_for_function(f"document.querySelector('{PANEL} [data-role=clamp-note]').textContent.startsWith('Picked')")
    assert page.input_value(f"{PANEL} [data-field=clamp-target]") == "h"
    assert page.input_value(f"{PANEL} [data-field=clamp-unit]") == "2"
    assert page.input_value(f"{PANEL} [data-field=clamp-step]") == "4"


def test_clamps_a_new_input_cannot_take_are_refused_in_words(page, server_url, console_errors):
    console_errors.allow("422")  # the refused clamped trace, said in the panel
    open_page(page, server_url, f"?model={MODEL}&input={TEXT}&panels=interventions&t={len(TEXT)}")
    page.wait_for_selector(f"{PANEL} [data-field=clamp-target] option", state="attached")
    page.click(f"{PANEL} [data-action=clamp]")  # h_t, unit 1, the last step, 0
    page.wait_for_function(f"document.querySelector('{PANEL} [data-role=clamp-summary]').dataset.delta !== ''")
    shorter = "BTBTXSETE"
    page.evaluate(
        f"window.unrolled.state.set({{ input: {shorter!r} }})"
    )  # as if typed: the clamp's step is past its end
    page.wait_for_selector(f".network-body .net[data-steps='{len(shorter)}']")  # traced without the clamp
    summary = page.locator(f"{PANEL} [data-role=clamp-summary].error")
    summary.wait_for()
    assert "refused" in summary.text_content() and "step" in summary.text_content()
    assert page.locator(f"{PANEL} [data-role=clamp-list] li[data-clamp]").count() == 1  # kept, to remove or retype
