"""The create form's initialisation choice: only the schemes the family takes, a line on why
it matters, and the chosen scheme in the model's detail once it is created."""

from __future__ import annotations

import httpx

from tests.browser.helpers import open_page


def options_of(drawer, field: str) -> list[str]:
    return drawer.locator(f"[data-field={field}] option").evaluate_all("options => options.map(o => o.value)")


def test_create_an_lstm_with_chrono_from_the_page(page, server_url, screenshot):
    open_page(page, server_url, "?model=elman-reber")
    page.click("[data-action=train]")
    drawer = page.locator("[data-role=training]")
    drawer.wait_for(state="visible")
    drawer.locator("details.build summary").click()
    note = drawer.locator("[data-field=init_note]")

    # a plain net: identity only with relu
    drawer.locator("[data-field=architecture]").select_option("elman")
    assert options_of(drawer, "init") == ["default"]
    drawer.locator("[data-field=activation]").select_option("relu")
    assert options_of(drawer, "init") == ["default", "identity"]
    drawer.locator("[data-field=init]").select_option("identity")
    assert "W_hh = I" in note.text_content()
    drawer.locator("[data-field=architecture]").select_option("second_order")
    assert options_of(drawer, "init") == ["default"]

    drawer.locator("[data-field=architecture]").select_option("lstm")
    assert options_of(drawer, "init") == ["default", "forget_bias", "chrono"]
    assert "halves at every step" in note.text_content()
    drawer.locator("[data-field=init]").select_option("forget_bias")
    drawer.locator("[data-field=init_param]").fill("5")
    assert "σ(5) = 0.993" in note.text_content()
    drawer.locator("[data-field=init]").select_option("chrono")
    assert drawer.locator("[data-field=init_param]").input_value() == "80"
    drawer.locator("[data-field=init_param]").fill("40")
    assert "1 to 39 steps" in note.text_content()
    drawer.locator("[data-field=task]").select_option("copy")
    drawer.locator("[data-field=hidden_size]").fill("16")
    drawer.locator("[data-field=name]").fill("chrono-lstm")
    screenshot("init-form")
    drawer.locator("button[type=submit]").click()

    page.wait_for_function("document.querySelector('[data-role=model-select]').value === 'chrono-lstm'")
    page.wait_for_selector(".network-body .net[data-status='ready']")
    page.wait_for_function("document.querySelector('[data-role=model-meta]').textContent.includes('chrono')")
    assert "chrono init (T_max 40)" in page.text_content("[data-role=model-meta]")
    detail = httpx.get(f"{server_url}/api/models/chrono-lstm").json()
    assert detail["init"] == {"scheme": "chrono", "forget_bias": None, "t_max": 40}
    screenshot("init-detail")
