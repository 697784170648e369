"""The Generate panel (issue 11 §5) on the live server, against the API's own answers: on
elman-reber the grammar's acceptance of 200 samples as the engine counts it, and the first sample
traced; on lstm-fluent the likeliest words after "... i speak fluent" with their probabilities.
Screenshots: generate-reber.png, generate-fluent.png."""

from __future__ import annotations

import httpx

from tests.browser.helpers import ROOT, open_page

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
PANEL = "section.panel[data-panel=generate]"


def generate(server_url: str, model: str, body: dict) -> dict:
    response = httpx.post(
        f"{server_url}/api/models/{model}/generate", json=body, headers={"Origin": server_url}, timeout=60
    )
    assert response.status_code == 200, response.text
    return response.json()


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.add_style_tag(content=".topbar { position: static; }")  # the sticky header would cover the shot
    page.locator(PANEL).screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def test_reber_samples_are_judged_by_the_grammar_and_the_first_is_traced(page, server_url):
    open_page(page, server_url, "?model=elman-reber&panels=generate")
    assert page.input_value(f"{PANEL} [data-field=generate-prefix]") == ""  # a grammar task starts as its strings do
    page.fill(f"{PANEL} [data-field=generate-seed]", "3")
    page.click(f"{PANEL} [data-action=generate]")
    acceptance = page.locator(f"{PANEL} [data-role=generate-acceptance]")
    acceptance.wait_for()
    expected = generate(
        server_url, "elman-reber", {"prefix": "", "steps": 30, "temperature": 1.0, "seed": 3, "samples": 200}
    )
    assert int(acceptance.get_attribute("data-accepted")) == expected["acceptance"]["accepted"]
    assert int(acceptance.get_attribute("data-total")) == 200
    assert f"{expected['acceptance']['accepted']} of 200" in acceptance.text_content()
    first = expected["samples"][0]["text"]
    assert page.get_attribute(f"{PANEL} [data-role=generate-sample]", "data-text") == first
    # the first sample is traced: the unrolled view reads it, one column per symbol
    page.wait_for_function(f"window.unrolled.state.get('input') === {first!r}")
    page.wait_for_selector(f".network-body .net[data-steps='{len(first)}']")
    verdict = page.text_content(f"{PANEL} .generate-verdict")
    assert ("accepts" in verdict) == expected["samples"][0]["accepted"]
    shot(page, "generate-reber")


def test_fluent_lists_the_likeliest_words_after_i_speak_fluent(page, server_url):
    open_page(page, server_url, "?model=lstm-fluent&panels=generate")
    prefix = page.input_value(f"{PANEL} [data-field=generate-prefix]")
    assert prefix.endswith("i speak fluent")  # the probe without its last word
    page.fill(f"{PANEL} [data-field=generate-steps]", "3")
    page.click(f"{PANEL} [data-action=generate]")
    rows = page.locator(f"{PANEL} [data-role=generate-completions] tr")
    rows.first.wait_for()
    expected = generate(
        server_url, "lstm-fluent", {"prefix": prefix, "steps": 3, "temperature": 1.0, "seed": 0, "samples": 1}
    )
    top = expected["completions"][: rows.count()]
    assert [rows.nth(i).get_attribute("data-symbol") for i in range(rows.count())] == [c["symbol"] for c in top]
    assert float(rows.first.get_attribute("data-p")) == top[0]["p"]
    assert top[0]["symbol"] == "french"  # the probe grew up in France
    shot(page, "generate-fluent")
