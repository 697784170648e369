"""The Outputs panel splits y_t's pre-activation into its readout terms, W_xy x_t included for a shortcut model.

The panel's table must show, at the step on screen, the numbers the server's trace
computes (readout_terms), and the panel's equation must carry W_xy x_t for a
shortcut model and not for an Elman net.
"""

from __future__ import annotations

import pytest

from tests.browser.helpers import open_page, probe_trace

PANEL = "[data-panel=outputs]"


def shown_terms(page) -> dict[str, list[str]]:
    """{term: the cells' text} of the terms table on screen, the header row under 'symbols'."""
    return page.eval_on_selector(
        f"{PANEL} [data-role=readout-terms] table",
        """table => {
          const rows = {symbols: [...table.querySelectorAll('thead th')].slice(1).map((c) => c.textContent)};
          for (const tr of table.querySelectorAll('tbody tr')) {
            rows[tr.dataset.term] = [...tr.querySelectorAll('td')].map((c) => c.textContent);
          }
          return rows;
        }""",
    )


def numbers(cells: list[str]) -> list[float]:
    """The cells' signed numbers (written with two decimals and a true minus sign)."""
    return [float(cell.replace("\u2212", "-")) for cell in cells]


@pytest.mark.parametrize("step", [1, 4])
def test_shortcut_model_shows_w_xy_beside_w_hy(page, server_url, screenshot, step):
    open_page(page, server_url, f"?model=shortcut-reber&panels=outputs&t={step}")
    terms = page.locator(f"{PANEL} [data-role=readout-terms]")
    terms.wait_for(state="visible")
    assert terms.evaluate("d => d.open"), "a shortcut model opens with its terms shown"
    equation = page.locator(f"{PANEL} .equation").evaluate("e => e.dataset.math")
    assert "W_hy h_t + W_xy x_t + b_y" in equation
    trace = probe_trace(server_url, "shortcut-reber")
    shown = shown_terms(page)
    assert shown["symbols"] == trace["symbols"]
    t = step - 1
    for term in ("W_hy h_t", "W_xy x_t", "b_y"):  # two decimals on screen: within half a hundredth
        assert numbers(shown[term]) == pytest.approx(trace["readout_terms"][term][t], abs=0.0051), term
    assert numbers(shown["logit"]) == pytest.approx(trace["logits"][t], abs=0.0051)
    assert any(abs(v) > 0.05 for v in trace["readout_terms"]["W_xy x_t"][t]), "the shortcut adds something here"
    terms.scroll_into_view_if_needed()
    screenshot(f"readout-terms-shortcut-t{step}")


def test_elman_model_has_no_w_xy_and_starts_closed(page, server_url):
    open_page(page, server_url, "?model=elman-reber&panels=outputs")
    terms = page.locator(f"{PANEL} [data-role=readout-terms]")
    terms.wait_for(state="visible")
    assert not terms.evaluate("d => d.open")
    assert "W_xy" not in page.locator(f"{PANEL} .equation").evaluate("e => e.dataset.math ?? e.textContent")
    terms.locator("summary").click()
    assert set(shown_terms(page)) == {"symbols", "W_hy h_t", "b_y", "logit"}


def test_on_a_phone_the_terms_table_scrolls_inside_its_panel(page, server_url, screenshot):
    page.set_viewport_size({"width": 390, "height": 844})
    open_page(page, server_url, "?model=shortcut-reber&panels=outputs&t=2")
    terms = page.locator(f"{PANEL} [data-role=readout-terms]")
    terms.wait_for(state="visible")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    terms.scroll_into_view_if_needed()
    screenshot("readout-terms-phone")
