"""Building and training a model from the page: the curves and the unrolled view grow live."""

from __future__ import annotations

import pytest

from tests.browser.helpers import build_in_drawer

TRAIN_STEPS = 1500  # long enough to see several progress reports and streamed traces


@pytest.mark.slow
def test_a_short_training_run_updates_the_curve_and_the_unrolled_view_live(page, server_url, screenshot):
    drawer = build_in_drawer(page, server_url, "browser-trained", 8)
    page.wait_for_selector(".network-body .net[data-status='ready']")
    builds = int(page.get_attribute(".network-body .net", "data-builds"))

    drawer.locator("[data-field=steps]").fill(str(TRAIN_STEPS))
    drawer.locator("[data-field=learning_rate]").fill("0.02")
    drawer.locator("[data-action=start]").click()
    # the loss curve grows from progress messages, the network redraws from streamed traces
    page.wait_for_function("Number(document.querySelector('[data-role=training]').dataset.points) >= 3", timeout=60_000)
    page.wait_for_function("Number(document.body.dataset.streamed || 0) >= 2", timeout=60_000)
    assert int(page.get_attribute(".network-body .net", "data-builds")) > builds
    assert "steps/s" in drawer.locator("[data-role=progress]").text_content()
    assert drawer.locator("[data-chart=loss] svg, [data-chart=loss] canvas").count() >= 1
    screenshot("training")
    page.wait_for_function("document.querySelector('[data-role=training]').dataset.phase === 'idle'", timeout=120_000)
    points = int(drawer.get_attribute("data-points"))
    assert points >= 3
    assert "trained" in page.text_content("[data-role=model-meta]")
