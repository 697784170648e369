"""The Experiments view: stored results drawn as plots (a screenshot of each), exports, a point that
opens its model in the explorer, an experiment run from the page with its progress bar, and a cancel.

The server here is one of this module's own, on a store holding only tiny experiments made in the
fixture (a few runs of a few dozen steps), so the representative models they add never show in the
other browser tests' model lists.
"""

from __future__ import annotations

import httpx
import pytest

from app.core.experiments import ExperimentRunner, LocalPool, Overrides
from app.core.experiments.recipes import get_recipe
from app.core.store import ModelStore
from tests.browser.conftest import VIEWPORT
from tests.browser.helpers import copy_to_docs, live_server, update_docs

VIEW = "/?view=experiments"
# The shipped results (models/experiments/) and the plots of each that docs/experiments.md shows.
DOCS_FIGURES = {
    "vanishing-gradient": ("gradients", "success"),
    "short-term-memory": ("success", "steps", "gradients"),
    "fluent-distance": ("success", "gradients"),
    "cost": ("cost",),
    "shortcuts": ("steps",),
}
DOCS_SCALE = 1.5  # docs/ PNGs at 1.5 device pixels per CSS pixel: sharp text, files of tens of kB
MEMORY = Overrides(seeds=(0, 1), task_options={"lag": (5, 10)}, steps=40, architectures=("shortcut", "lstm"))
COST = Overrides(seeds=(0,), steps=20, architectures=("elman", "lstm"), hidden_sizes=(8, 16))


def make_results(folder) -> None:
    """Stored results of two tiny experiments: short-term-memory (lags 5 and 10) and cost (H 8 and 16)."""
    store = ModelStore(folder)
    with LocalPool(2) as pool:
        for name, overrides in (("short-term-memory", MEMORY), ("cost", COST)):
            outcome = ExperimentRunner(get_recipe(name).with_overrides(overrides), store, pool).run()
            assert outcome.status == "done"


@pytest.fixture(scope="module")
def experiments_url(tmp_path_factory):
    folder = tmp_path_factory.mktemp("experiment-models")
    make_results(folder)
    env = {"UNROLLED_MODELS_DIR": str(folder), "UNROLLED_SEED_DIR": "", "UNROLLED_EXPERIMENT_WORKERS": "1"}
    with live_server(env, tmp_path_factory.mktemp("experiments-server") / "uvicorn.log") as url:
        yield url


def open_results(page, url: str, name: str) -> None:
    page.goto(f"{url}{VIEW}&exp={name}")
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_selector("[data-role=experiments][data-drawn]")


def test_stored_results_are_drawn_with_a_screenshot_of_each_plot(page, experiments_url, console_errors):
    console_errors.allow("404")  # the empty store's explorer asks for no model; nothing else may fail
    open_results(page, experiments_url, "short-term-memory")
    assert page.locator("[data-role=tab-experiments]").get_attribute("class").endswith("on")
    assert page.locator(".explorer").is_hidden()
    success = page.locator("figure[data-plot=success]")
    # 4 variants (shortcut; lstm default, forget bias 1, chrono) at 2 lags: a point each, a band and line per variant
    assert success.locator("g.series").count() == 4 and success.locator("circle.exp-point").count() == 8
    assert "lag (time steps" in success.inner_text() and "Plain RNNs fail" in success.inner_text()
    assert "Budget: 40 training steps per run" in page.locator("[data-role=exp-budget]").inner_text()
    gradients = page.locator("figure[data-plot=gradients]")
    assert gradients.locator("g.series").count() == 4  # at the longest lag, one curve per variant
    assert "/step" in gradients.locator(".legend").text_content()
    page.screenshot(path=str(screenshots_dir() / "experiments-view.png"), full_page=True)
    assert "one hidden size (H = 32)" in page.locator("[data-plot=cost-none]").inner_text()
    for plot in ("success", "gradients"):
        page.locator(f"figure[data-plot={plot}]").screenshot(path=str(screenshots_dir() / f"experiments-{plot}.png"))

    page.select_option("[data-role=exp-stored-select]", "cost")
    page.wait_for_function("document.querySelector('[data-role=exp-budget]').textContent.includes('20 training steps')")
    page.wait_for_selector("figure[data-plot=cost]")
    assert page.locator("figure.exp-figure").first.get_attribute("data-plot") == "cost"  # its claim's plot first
    cost = page.locator("figure[data-plot=cost]")
    assert cost.locator("circle.exp-point").count() == 2 * 2 * 2  # 2 families x 2 sizes, in 2 panels
    cost.screenshot(path=str(screenshots_dir() / "experiments-cost.png"))


def test_a_figure_exports_as_svg_png_and_csv(page, experiments_url, console_errors):
    console_errors.allow("404")
    open_results(page, experiments_url, "short-term-memory")
    figure = page.locator("figure[data-plot=success]")
    with page.expect_download() as svg:
        figure.locator("[data-export=svg]").click()
    text = open(svg.value.path()).read()
    assert svg.value.suggested_filename == "success.svg" and "<svg" in text and "success rate" in text
    with page.expect_download() as png:
        figure.locator("[data-export=png]").click()
    assert open(png.value.path(), "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    with page.expect_download() as data:
        figure.locator("[data-export=csv]").click()
    rows = open(data.value.path()).read().splitlines()
    assert rows[0].startswith("variant,lag,hidden_size,runs,successes,success_rate") and len(rows) == 1 + 8


def test_a_point_opens_its_model_in_the_explorer(page, experiments_url, console_errors):
    console_errors.allow("404")
    open_results(page, experiments_url, "short-term-memory")
    point = page.locator(
        "figure[data-plot=success] circle.exp-point[data-model]"
    ).last  # the topmost of overlapping points
    model = point.get_attribute("data-model")
    point.click()
    page.wait_for_selector(".network-body .net[data-status='ready']")
    assert page.evaluate("window.unrolled.state.get('model')") == model
    assert page.locator("[data-role=experiments]").is_hidden()


def test_an_experiment_runs_from_the_page_with_a_progress_bar(page, experiments_url, console_errors):
    console_errors.allow("404")
    page.goto(f"{experiments_url}{VIEW}")
    page.wait_for_selector("[data-role=experiments][data-drawn]")
    page.select_option("[data-role=exp-recipe-select]", "shortcuts")
    page.fill("[data-role=exp-seeds]", "1")
    page.fill("[data-role=exp-steps]", "20")
    assert "6 training runs of at most 20 steps" in page.locator("[data-role=exp-runs-note]").inner_text()
    page.click("[data-role=exp-run]")
    page.wait_for_function(
        "document.querySelector('[data-role=exp-progress-text]').textContent.includes('done')", timeout=120_000
    )
    assert page.locator("[data-role=exp-progress-text]").inner_text().startswith("6 of 6 runs")
    assert page.locator("[data-role=exp-progress]").evaluate("bar => bar.value === bar.max")
    page.wait_for_function("document.querySelector('[data-role=exp-budget]').textContent.includes('6 runs stored')")
    success = page.locator("figure[data-plot=success]")
    assert "hidden size H" in success.inner_text() and success.locator("circle.exp-point").count() == 6
    page.locator(".exp-start").screenshot(path=str(screenshots_dir() / "experiments-run-from-page.png"))
    listing = httpx.get(f"{experiments_url}/api/experiments").json()
    assert {row["name"]: row["status"] for row in listing["stored"]}["shortcuts"] == "done"


def screenshots_dir():
    from tests.browser.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def test_cancel_from_the_page_stops_the_experiment(page, experiments_url, console_errors):
    console_errors.allow("404")
    page.goto(f"{experiments_url}{VIEW}")
    page.wait_for_selector("[data-role=experiments][data-drawn]")
    page.select_option("[data-role=exp-recipe-select]", "vanishing-gradient")  # 40 runs of 1,000 steps
    page.click("[data-role=exp-run]")
    page.wait_for_function("document.querySelector('[data-role=exp-progress-text]').textContent.includes('of 40 runs')")
    page.click("[data-role=exp-cancel]")
    page.wait_for_function(
        "document.querySelector('[data-role=exp-progress-text]').textContent.includes('cancelled')", timeout=60_000
    )
    assert page.locator("[data-role=exp-cancel]").is_hidden() and page.locator("[data-role=exp-run]").is_enabled()
    stored = {row["name"]: row for row in httpx.get(f"{experiments_url}/api/experiments").json()["stored"]}
    assert stored["vanishing-gradient"]["status"] == "cancelled" and stored["vanishing-gradient"]["runs_done"] < 40


def test_many_variants_are_drawn_as_a_panel_per_family_with_every_interval(page, server_url):
    """The shipped short-term-memory results (9 variants of 5 families at 6 lags): a panel per family, where the
    variants differ by line style, and a Wilson bar at every point; hovering a legend entry fades the others."""
    open_results(page, server_url, "short-term-memory")
    success = page.locator("figure[data-plot=success]")
    panels = success.locator("g.exp-panel")
    assert panels.count() == 5
    assert panels.locator("g.series").count() == 9 and success.locator("circle.exp-point").count() == 9 * 6
    assert success.locator("g.exp-interval").count() == 9 * 6
    lstm = success.locator("g.exp-panel[data-family=lstm]")
    assert lstm.locator("g.series").count() == 3 and lstm.locator(".exp-band").count() == 0  # 3 bands: bars alone
    assert success.locator("g.exp-panel[data-family=elman] .exp-band").count() == 2
    success.locator(".legend-entry[data-series=gru]").hover()
    opacities = success.evaluate("f => [...f.querySelectorAll('g.series')].map(g => g.getAttribute('opacity'))")
    assert opacities.count(None) == 1 and opacities.count("0.12") == 9 - 1
    steps = page.locator("figure[data-plot=steps]")
    assert steps.locator("g.exp-panel").count() == 4  # the second-order net never succeeded: no panel
    assert "checked every 50 steps" in steps.inner_text()


def test_one_x_value_is_drawn_as_a_row_per_variant(page, server_url):
    """vanishing-gradient varies nothing but the variant: a row each, the count and its Wilson bar beside it."""
    open_results(page, server_url, "vanishing-gradient")
    success = page.locator("figure[data-plot=success]")
    assert "Success rate per variant (hidden size 32)" in success.inner_text()
    assert success.locator("g.series").count() == 8 and success.locator("g.exp-interval").count() == 8
    assert success.inner_text().count("of 5 runs") == 8


def test_the_shortcuts_claim_is_drawn_as_steps_to_the_criterion(page, server_url):
    open_results(page, server_url, "shortcuts")
    first = page.locator("figure.exp-figure").first
    assert first.get_attribute("data-plot") == "steps" and "fewer steps" in first.locator(".exp-claim").inner_text()
    assert first.locator("g.series").count() == 2 and first.locator("circle.exp-point").count() == 2 * 3


@pytest.mark.skipif(not update_docs(), reason="refreshes docs figures: UNROLLED_UPDATE_DOCS=1 (make screenshot)")
@pytest.mark.parametrize("name", DOCS_FIGURES)
def test_docs_figures_of_the_shipped_results(browser, server_url, name):
    """docs/experiments-NAME-PLOT.png for docs/experiments.md: the plots of a shipped experiment as the Experiments
    view draws them (server_url's store is a copy of models/, experiments included), without the export buttons;
    every plot the view draws goes to test-artifacts/screenshots/."""
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=DOCS_SCALE)
    try:
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        open_results(page, server_url, name)
        page.add_style_tag(content=".exp-exports { display: none; }")
        drawn = page.locator("figure.exp-figure")
        plots = [figure.get_attribute("data-plot") for figure in drawn.all()]
        assert set(DOCS_FIGURES[name]) <= set(plots), f"{name}: the view drew {plots}"
        for figure, plot in zip(drawn.all(), plots, strict=True):
            path = screenshots_dir() / f"experiments-{name}-{plot}.png"
            figure.screenshot(path=str(path))
            if plot in DOCS_FIGURES[name]:
                copy_to_docs(path, path.name)
        assert not errors, errors
    finally:
        context.close()
