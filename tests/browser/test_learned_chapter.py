"""The tour's last chapter, "What did it learn?" (issue 11 §6): it opens elman-reber with the
Grammar, Extracted automaton, State space and Generate panels, states the 'learned' figure's
numbers as the page's formatter writes them, and those are the numbers the panels show when
the reader presses their buttons: the machine's k, states and agreement, the grammar's
acceptance of the samples. Screenshots: tour-what-did-it-learn.png, tour-what-did-it-learn-automaton.png."""

from __future__ import annotations

import httpx

from tests.browser.helpers import ROOT, open_page

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
FIGURE_TIMEOUT_MS = 120_000  # the first request measures the figure (seconds on a busy machine)
TOUR = "[data-role=tour]"
AUTOMATON = "section.panel[data-panel=automaton]"
GENERATE = "section.panel[data-panel=generate]"


def formatted(page, value, form: str) -> str:
    return page.evaluate("([v, f]) => import('/static/js/tourfigures.js').then((m) => m.FORMATS[f](v))", [value, form])


def test_the_chapter_states_what_the_panels_then_show(page, server_url):
    open_page(page, server_url)
    last = page.evaluate(
        "import('/static/js/tour.js').then((m) => m.CHAPTERS.findIndex((c) => c.title === 'What did it learn?'))"
    )
    assert last >= 0
    open_page(page, server_url, f"?tour={last + 1}")
    page.wait_for_function(f"document.querySelector('{TOUR}').dataset.figures === 'ready'", timeout=FIGURE_TIMEOUT_MS)
    figure = httpx.get(f"{server_url}/api/lessons/figures/learned", timeout=120).json()["value"]
    text = page.text_content(f"{TOUR} .tour-text")
    assert "{" not in text and "…" not in text, text
    assert f"a machine of {formatted(page, figure['states'], 'int')} states" in text
    assert f"legal ones {formatted(page, figure['agreement'], 'pct')} of the time" in text
    assert f"the grammar accepts {formatted(page, figure['accepted'], 'int')}" in text

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("section.panel[data-panel=grammar]").evaluate("(p) => p.scrollIntoView({ block: 'start' })")
    page.screenshot(path=str(SCREENSHOTS / "tour-what-did-it-learn.png"))

    # "Explore freely" keeps the view; the panels, run by their buttons, show the same machine and acceptance
    page.click(f"{TOUR} [data-action=leave-tour]")
    extract = page.locator(f"{AUTOMATON} [data-action=extract-automaton]")
    extract.evaluate("(b) => b.scrollIntoView({ block: 'center' })")
    extract.click()
    page.wait_for_selector(f"{AUTOMATON} [data-figure=states]", timeout=FIGURE_TIMEOUT_MS)
    assert page.text_content(f"{AUTOMATON} [data-figure=k] b") == str(figure["k"])
    assert page.text_content(f"{AUTOMATON} [data-figure=states] b") == str(figure["states"])
    assert page.text_content(f"{AUTOMATON} [data-figure=agreement] b") == f"{figure['agreement']:.3f}"
    button = page.locator(f"{GENERATE} [data-action=generate]")
    button.evaluate("(b) => b.scrollIntoView({ block: 'center' })")  # above the tour docked at the bottom
    button.click()
    acceptance = page.locator(f"{GENERATE} [data-role=generate-acceptance]")
    acceptance.wait_for()
    assert int(acceptance.get_attribute("data-accepted")) == figure["accepted"]
    assert int(acceptance.get_attribute("data-total")) == figure["samples"]
    page.add_style_tag(content=".topbar { position: static; }")  # the sticky header would cover the shot
    page.locator(AUTOMATON).screenshot(path=str(SCREENSHOTS / "tour-what-did-it-learn-automaton.png"))
