"""The model summary states a model's held-out metric and saturation (GET /api/models/{name}):
the collapsed elman-copy shows most of its hidden values saturated beside its chance-level recall,
the LSTM beside it few; a model never measured says nothing of either (screenshot)."""

from __future__ import annotations

import httpx

from tests.browser.helpers import open_page


def percent(value: float) -> str:
    """As the page writes a share: three significant digits, then %."""
    return f"{float(f'{100 * value:.3g}'):g}%"


def summary_of(page, server_url: str, name: str) -> str:
    open_page(page, server_url, f"?model={name}")
    page.wait_for_function("document.querySelector('[data-role=model-meta]').textContent.includes('H = ')")
    return page.text_content("[data-role=model-meta]")


def test_the_summary_states_held_out_metric_and_saturation(page, server_url, screenshot):
    for name in ("elman-copy", "lstm-copy"):
        detail = httpx.get(f"{server_url}/api/models/{name}", timeout=30).json()
        text = summary_of(page, server_url, name)
        assert f"recall accuracy {percent(detail['held_out_metric'])} on held-out contents" in text, text
        assert f"{percent(detail['saturation'])} of hidden values saturated (|h| > 0.99)" in text, text
        if name == "elman-copy":
            screenshot("model-summary-held-out")
    fluent = httpx.get(f"{server_url}/api/models/lstm-fluent", timeout=30).json()  # no split: fresh sequences
    assert f"language accuracy {percent(fluent['held_out_metric'])} on fresh sequences" in summary_of(
        page, server_url, "lstm-fluent"
    )
    untouched = httpx.get(f"{server_url}/api/models/lstm-frametime", timeout=30).json()
    assert untouched["held_out_metric"] is None
    assert "saturated" not in summary_of(page, server_url, "lstm-frametime")
