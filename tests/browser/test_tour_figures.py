"""The tour states figures the server measured (GET /api/lessons/figures): in Chromium each
figure-bearing chapter shows them, written by the page's own formatter, with nothing left
unfilled; screenshots of the shortcut, memory, gates, recall, cost and fluent chapters."""

from __future__ import annotations

import httpx

from tests.browser.helpers import open_page

FIGURE_TIMEOUT_MS = 120_000  # the first request measures the figures (seconds each on a busy machine)
# chapter index (0-based) -> (screenshot, figure, path, format) one of its sentences states
CHECKED = {
    2: ("tour-figures-shortcuts", "shortcuts", ("smallest", "shortcut", "steps", "median"), "int"),
    6: ("tour-figures-short-term-memory", "learning", ("elman_accuracy",), "pct"),
    7: ("tour-figures-memory-across-seeds", "memory", ("variants", "lstm", "fails_from"), "int"),
    8: ("tour-figures-gates", "gradient_to_branch", ("ratio", "median"), "x"),
    9: ("tour-figures-delayed-recall", "delayed_recall", ("elman_saturated",), "pct"),
    10: ("tour-figures-cost", "cost", ("timing", "fused_onednn_off", "lstm", "ratio"), "x"),
    12: ("tour-figures-fluent", "fluent_by_distance", ("typed_new_right",), "int"),
}


def go_to_chapter(page, index: int) -> None:
    while int(page.get_attribute("[data-role=tour]", "data-chapter")) < index:
        page.click("[data-role=tour] .button.primary")  # Next


def test_chapters_state_the_measured_figures(page, server_url, screenshot):
    open_page(page, server_url)
    page.click("[data-action=tour]")
    page.locator("[data-role=tour]").wait_for(state="visible")
    for index, (name, figure, path, form) in CHECKED.items():
        go_to_chapter(page, index)
        page.wait_for_function(
            f"document.querySelector('[data-role=tour]').dataset.chapter === '{index}' && "
            "document.querySelector('[data-role=tour]').dataset.figures === 'ready'",
            timeout=FIGURE_TIMEOUT_MS,
        )
        text = page.text_content("[data-role=tour] .tour-text")
        assert "{" not in text and "…" not in text.replace("Boston. …", ""), text
        value = httpx.get(f"{server_url}/api/lessons/figures/{figure}", timeout=60).json()["value"]
        for key in path:
            value = value[key]
        written = page.evaluate(
            "([v, f]) => import('/static/js/tourfigures.js').then((m) => m.FORMATS[f](v))", [value, form]
        )
        assert written in text, (written, text)
        assert page.is_hidden("[data-role=tour] .tour-note")
        screenshot(name)
