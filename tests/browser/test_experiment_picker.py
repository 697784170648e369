"""The shipped experiment results in the page: the model picker keeps the demos first and puts each
experiment's representative models in a group of their own after them, and the Experiments view
draws the shipped results (the session store is a copy of models/, experiments included)."""

from __future__ import annotations

import httpx

from tests.browser.conftest import SCREENSHOTS
from tests.browser.helpers import open_page

PICKER = "[data-role=model-select]"
SHIPPED = "vanishing-gradient"

# (top-level option values, [(group label, [option values])]), in the picker's order.
PICKER_CONTENTS = """select => [
  [...select.children].filter(c => c.tagName === 'OPTION').map(o => o.value),
  [...select.querySelectorAll('optgroup')].map(g => [g.label, [...g.querySelectorAll('option')].map(o => o.value)]),
  [...select.children].map(c => c.tagName),
]"""

SHOW_AS_LIST = """select => {
  select.size = select.querySelectorAll('option, optgroup').length;
  Object.assign(select.style, { position: 'fixed', top: '8px', left: '8px', zIndex: 1000 });
  Object.assign(select.style, { height: 'auto', maxHeight: 'none', width: 'max-content', maxWidth: 'none' });
}"""


def test_the_picker_groups_an_experiments_models_after_the_demos(page, server_url):
    rows = httpx.get(f"{server_url}/api/models").json()
    kept = sorted(row["name"] for row in rows if row["experiment"] == SHIPPED)
    assert kept and all(name.startswith(f"x-{SHIPPED}-") for name in kept)
    open_page(page, server_url)
    top, groups, order = page.eval_on_selector(PICKER, PICKER_CONTENTS)
    assert "elman-reber" in top and not [name for name in top if name.startswith("x-")]
    assert dict((label, sorted(values)) for label, values in groups)[f"experiment: {SHIPPED}"] == kept
    assert order == ["OPTION"] * len(top) + ["OPTGROUP"] * len(groups)  # the groups after the demos
    group = page.locator(f"{PICKER} optgroup[data-experiment={SHIPPED}]")
    assert not group.locator("option").first.inner_text().startswith("x-")  # the shared prefix is the group's

    chosen = kept[-1]
    page.select_option(PICKER, chosen)
    page.wait_for_function(f"window.unrolled.state.get('model') === '{chosen}'")
    page.wait_for_selector(".network-body .net[data-status='ready']")
    assert page.input_value(PICKER) == chosen
    # A native drop-down is not drawn in a screenshot: shown as a list box for the picture only.
    page.eval_on_selector(PICKER, SHOW_AS_LIST)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(PICKER).screenshot(path=str(SCREENSHOTS / "picker-groups.png"))


def test_the_experiments_view_draws_the_shipped_results(page, server_url, screenshot):
    page.goto(f"{server_url}/?view=experiments&exp={SHIPPED}")
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_selector("[data-role=experiments][data-drawn]")
    gradients = page.locator("figure[data-plot=gradients]")
    assert gradients.locator("g.series").count() == 8  # one curve per variant
    assert "/step" in gradients.locator(".legend").text_content()
    assert "Budget: 1,000 training steps per run" in page.locator("[data-role=exp-budget]").inner_text()
    screenshot("experiments-shipped-vanishing-gradient", full_page=True)
    gradients.screenshot(path=str(SCREENSHOTS / "experiments-shipped-gradients.png"))  # docs/experiments.md's figure
