"""The Unit inspector panel (issue 11 §3) on the live server, against the API's own answers:
a unit's means by symbol, grammar state and step drawn as the engine computed them, its peak
contexts with the peak symbol marked, a similar unit clicked to inspect it, a unit picked in the
unrolled view's h_t strip, and LSTMVis's selection: steps dragged over in the input, the units
on there and off elsewhere listed and one clicked. Screenshot: unit-inspector.png."""

from __future__ import annotations

import pytest

from tests.browser.helpers import ROOT, open_page, post_analysis

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
PANEL = "section.panel[data-panel=units]"
VIEW = f"{PANEL} .unit-inspector"
PROBE = "BTSSXXTVVE"
BODY = {"sequences": 200, "seed": 0, "target": "h", "top": 8}  # what the panel asks (unitinspector.js)
RANGE = (1, 3)  # TSS: 0-based, inclusive


@pytest.fixture(scope="module")
def engine(server_url):
    select = post_analysis(
        server_url, "units/select", {"text": PROBE, "start": RANGE[0], "end": RANGE[1], "threshold": 0.5, "target": "h"}
    )
    assert select["units"], "the probe's steps 2-4 have a unit on there and off elsewhere"
    return {"unit0": post_analysis(server_url, "units", {**BODY, "unit": 0}), "select": select}


def wait_for_unit(page, unit: int) -> None:
    page.wait_for_function(f"document.querySelector('{VIEW}')?.dataset.unit === '{unit}'")


def means(page, chart: str) -> dict[str, float]:
    bars = page.locator(f"{VIEW} figure[data-chart='{chart}'] rect.unit-bar")
    return {
        bars.nth(i).get_attribute("data-key"): float(bars.nth(i).get_attribute("data-mean"))
        for i in range(bars.count())
    }


def test_the_unit_inspector_shows_the_engines_profile_and_finds_units(page, server_url, engine):
    open_page(page, server_url, "?model=elman-reber&panels=units")
    wait_for_unit(page, 0)
    profile = engine["unit0"]
    assert means(page, "by symbol read") == {r["symbol"]: pytest.approx(r["mean"]) for r in profile["by_symbol"]}
    by_state = {r["grammar_state"]: pytest.approx(r["mean"]) for r in profile["by_grammar_state"]}
    assert means(page, "by grammar state") == by_state
    assert len(means(page, "by step")) == len(profile["by_step"])
    contexts = page.locator(f"{VIEW} [data-role=unit-contexts] li")
    assert contexts.count() == len(profile["top_contexts"])
    first = profile["top_contexts"][0]
    assert contexts.first.locator("mark").text_content() == first["context"][-1]  # the peak symbol, marked
    assert f"{first['value']:.3f}".rstrip("0") in contexts.first.text_content()

    # the most similar unit, clicked, is inspected
    similar = profile["similar"][0]["unit"]
    page.click(f"{VIEW} [data-role=unit-similar] [data-unit='{similar}']")
    wait_for_unit(page, similar)

    # a row of the unrolled h_t strip picks its unit
    page.locator(".network-body .net").scroll_into_view_if_needed()
    x, y = page.evaluate(
        """() => { const net = window.unrolled.views.network; const g = net.g;
          const box = net.svg.node().getBoundingClientRect();
          return [box.left + g.mid(2), box.top + g.hTop + g.stripH * (5.5 / net.model.H)]; }"""
    )
    page.mouse.click(x, y)
    wait_for_unit(page, 5)

    # LSTMVis: drag over steps 2-4 of the input, find the units on there and off elsewhere
    page.locator(f"{VIEW} [data-role=unit-strip]").scroll_into_view_if_needed()
    first_chip = page.locator(f"{VIEW} .unit-step[data-step='{RANGE[0]}']").bounding_box()
    last_chip = page.locator(f"{VIEW} .unit-step[data-step='{RANGE[1]}']").bounding_box()
    page.mouse.move(first_chip["x"] + 5, first_chip["y"] + 5)
    page.mouse.down()
    page.mouse.move(last_chip["x"] + 5, last_chip["y"] + 5, steps=4)
    page.mouse.up()
    assert page.locator(f"{VIEW} .unit-step.on").count() == RANGE[1] - RANGE[0] + 1
    page.click(f"{VIEW} [data-action=find-units]")
    found = page.locator(f"{VIEW} [data-role=unit-found] [data-unit]")
    found.first.wait_for()
    assert [int(found.nth(i).get_attribute("data-unit")) for i in range(found.count())] == [
        u["unit"] for u in engine["select"]["units"]
    ]
    found.first.click()
    wait_for_unit(page, engine["select"]["units"][0]["unit"])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.add_style_tag(content=".topbar { position: static; }")  # the sticky header would cover the shot
    page.locator(PANEL).screenshot(path=str(SCREENSHOTS / "unit-inspector.png"))
