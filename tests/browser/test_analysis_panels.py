"""The State space and Extracted automaton panels (issue 11 §1, §2) on the live server: run on
demand, every figure as the API computes it, linked with the step-through both ways, a state
clicked in the machine shown as its cluster in the cloud and its steps in the input, errors in
words. Screenshots: analysis-statespace.png, analysis-automaton.png."""

from __future__ import annotations

import httpx
import pytest

from tests.browser.helpers import ROOT, copy_to_docs, open_page, post_analysis, update_docs

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
STATES = "section.panel[data-panel=statespace]"
AUTOMATON = "section.panel[data-panel=automaton]"
PROBE = "BTSSXXTVVE"
BODY = {"sequences": 200, "seed": 0}  # what both panels ask for (statespace.js ANALYSIS_SEQUENCES, ANALYSIS_SEED)
VIEW = "(id) => window.unrolled.views.panels.open.get(id).views[0]"


def shot(page, selector: str, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(selector).screenshot(path=str(SCREENSHOTS / f"{name}.png"))


@pytest.fixture(scope="module")
def engine(server_url):
    """The API's own answers for the panels' requests, to check the page against."""
    states = post_analysis(server_url, "states", {**BODY, "components": 2, "state": "h", "text": PROBE})
    automaton = post_analysis(server_url, "automaton", {**BODY, "k": None, "held_out": 300, "text": PROBE})
    return {"states": states, "automaton": automaton}


def current_step(page) -> int:
    return int(page.get_attribute(f"{STATES} .statespace-current", "data-step"))


def test_state_space_collects_on_demand_and_follows_the_step(page, server_url, engine):
    open_page(page, server_url, "?model=elman-reber&panels=statespace&t=3")
    assert page.locator(f"{STATES} .statespace-plot").is_hidden()  # nothing runs before the button
    page.click(f"{STATES} [data-action=collect-states]")
    page.wait_for_selector(f"{STATES} .statespace-current")
    states = engine["states"]
    grammar = next(t["grammar"] for t in httpx.get(f"{server_url}/api/tasks").json() if t["id"] == "reber")
    assert set(states["grammar_state"]) <= set(grammar["states"])  # the names the page colours by
    v1, v2 = states["explained_variance"]
    status = page.text_content(f"{STATES} [data-role=states-status]")
    assert f"{states['points']:,} states" in status and f"PC1 {100 * v1:.1f} %" in status
    assert f"PC2 — {100 * v2:.1f} %" in page.text_content(f"{STATES} .statespace-axis")
    assert page.locator(f"{STATES} .statespace-step").count() == len(PROBE)
    assert current_step(page) == 2
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"document.querySelector('{STATES} .statespace-current').dataset.step === '3'")
    # the marker sits where the engine put the text's 4th state
    x, y = states["trajectory"]["coords"][3]
    at = page.evaluate(f"([x, y]) => {{ const v = ({VIEW})('statespace'); return [v.x(x), v.y(y)]; }}", [x, y])
    marker = page.locator(f"{STATES} .statespace-current")
    assert abs(float(marker.get_attribute("cx")) - at[0]) < 0.5 and abs(float(marker.get_attribute("cy")) - at[1]) < 0.5
    shot(page, STATES, "analysis-statespace")
    # hovering a point names its sequence and step; clicking traces it at that step
    i = 40
    px, py = page.evaluate(
        f"(i) => {{ const v = ({VIEW})('statespace'); const c = v.data.coords[i]; return [v.x(c[0]), v.y(c[1])]; }}", i
    )
    box = page.locator(f"{STATES} .statespace-plot").bounding_box()
    page.mouse.move(box["x"] + px, box["y"] + py)
    tooltip = page.locator(f"{STATES} .tooltip")
    tooltip.wait_for(state="visible")
    text = tooltip.text_content()
    assert "sequence" in text and "step" in text
    assert page.locator(f"{STATES} .statespace-hover-path").count() == 1  # the hovered sequence's path
    shot(page, STATES, "analysis-statespace-hover")
    page.mouse.click(box["x"] + px, box["y"] + py)
    page.wait_for_function("window.unrolled.state.get('input') !== null")
    picked = page.evaluate("() => [window.unrolled.state.get('input'), window.unrolled.state.get('step')]")
    sequence_texts = states["texts"]
    assert picked[0] in sequence_texts and 0 <= picked[1] < len(picked[0])


def test_the_automaton_beside_the_grammar_with_the_engine_figures(page, server_url, engine):
    open_page(page, server_url, "?model=elman-reber&panels=automaton,statespace&t=4")
    page.click(f"{STATES} [data-action=collect-states]")
    page.wait_for_selector(f"{STATES} .statespace-current")
    page.click(f"{AUTOMATON} [data-action=extract-automaton]")
    page.wait_for_selector(f"{AUTOMATON} .automaton-machine .graph-svg[data-drawn]")
    auto = engine["automaton"]
    figures = page.text_content(f"{AUTOMATON} [data-role=automaton-figures]")
    assert f"k = {auto['k']}" in figures
    assert f"states after minimisation: {len(auto['states'])}" in figures
    assert f"agreement with the grammar: {auto['agreement']:.3f}" in figures
    assert f"purity: {auto['purity']:.3f}" in figures
    machine = f"{AUTOMATON} .automaton-machine"
    assert page.locator(f"{machine} .graph-node").count() == len(auto["states"])
    # a machine state has the colour of its grammar state in the grammar graph
    mapped = next(s for s in auto["states"] if s["grammar_state"] == "3")
    fill = page.get_attribute(f"{machine} .graph-node[data-node='{mapped['id']}'] .graph-node-disc", "fill")
    grammar_node = f"{AUTOMATON} .automaton-grammar .graph-node[data-node='3'] .graph-node-disc"
    assert fill == page.get_attribute(grammar_node, "fill")
    # the step lights the machine's state of that step (text_states), in the strip too
    lit = page.get_attribute(f"{machine} .graph-node.current", "data-node")
    assert lit == str(auto["text_states"][3])
    assert page.get_attribute(f"{AUTOMATON} .automaton-trace-step.current", "data-step") == "3"
    # clicking a state: its cluster over the faded cloud, its steps in the input marked
    chosen = auto["text_states"][2]
    page.click(f"{machine} .graph-node[data-node='{chosen}']")
    page.wait_for_function(f"document.querySelector('{STATES} canvas').dataset.selected === '{chosen}'")
    marked = page.eval_on_selector_all(
        f"{AUTOMATON} .automaton-trace-step.marked", "chips => chips.map((c) => Number(c.dataset.step))"
    )
    assert marked == [t for t, s in enumerate(auto["text_states"]) if s == chosen]
    assert page.locator(f"{STATES} .statespace-step.marked").count() == len(marked)
    assert page.locator(f"{STATES} [data-field=colour-by] option[value=automaton]").count() == 1
    shot(page, AUTOMATON, "analysis-automaton")
    page.click(f"{AUTOMATON} .automaton-trace-step[data-step='6']")  # a chip steps the trace
    page.wait_for_function("window.unrolled.state.get('step') === 6")
    page.select_option(f"{AUTOMATON} [data-field=k]", "3")  # a chosen k re-extracts at once
    page.wait_for_function(
        "document.querySelector('[data-role=automaton-figures] [data-figure=k]')?.textContent === 'k = 3'"
    )


def test_a_task_without_symbol_outputs_says_why_there_is_no_automaton(page, server_url, console_errors):
    console_errors.allow("422")  # the refused request, shown in words
    open_page(page, server_url, "?model=gru-adding&panels=automaton")
    page.click(f"{AUTOMATON} [data-action=extract-automaton]")
    status = page.locator(f"{AUTOMATON} [data-role=automaton-status].error")
    status.wait_for()
    assert status.text_content().startswith("No automaton: ")
    assert len(status.text_content()) > len("No automaton: ") + 10


@pytest.mark.skipif(not update_docs(), reason="refreshes docs figures: UNROLLED_UPDATE_DOCS=1 (make screenshot)")
@pytest.mark.parametrize("model", ["elman-reber", "lstm-embedded-reber"])
def test_docs_figure_of_the_automaton_beside_the_grammar(page, server_url, model):
    """docs/automaton-MODEL.png for docs/analysis.md: the machine extracted from the model, its
    grammar, the probe's steps, at the probe's 4th step."""
    page.set_viewport_size({"width": 1280, "height": 1600})  # the whole panel in view, no header over it
    open_page(page, server_url, f"?model={model}&panels=automaton&t=4")
    page.click(f"{AUTOMATON} [data-action=extract-automaton]")
    page.wait_for_selector(f"{AUTOMATON} .automaton-machine .graph-svg[data-drawn]", timeout=120_000)
    shot(page, AUTOMATON, f"automaton-{model}")
    copy_to_docs(SCREENSHOTS / f"automaton-{model}.png", f"automaton-{model}.png")
