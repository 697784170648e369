"""The Grammar panel (issue 10 §3): the task's grammar drawn as a graph, the input walked through
it as it is stepped, a forbidden symbol drawn leaving the graph; and every task says whether it is
many-to-one or many-to-many where it is shown. The graph is the engine's (reber.grammar_graph)."""

from __future__ import annotations

from app.core.tasks.embedded_reber import EMBEDDED_REBER
from app.core.tasks.reber import REBER, grammar_graph
from tests.browser.helpers import ROOT, open_page

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
PANEL = "section.panel[data-panel=grammar]"


def shot(page, name: str, selector: str = "section.panel[data-panel=grammar]") -> None:
    """One panel's screenshot, test-artifacts/screenshots/NAME.png, to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(selector).screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def lit(page) -> dict:
    """What the grammar graph lights now: the current state, the edge taken, the edges walked, the exit."""
    return page.evaluate(
        """() => {
        const panel = document.querySelector('section.panel[data-panel=grammar]');
        const one = (s) => panel.querySelector(s);
        return {
          node: one('.graph-node.current')?.dataset.node ?? null,
          edge: one('.graph-edge.taken')?.dataset.edge ?? null,
          walked: [...panel.querySelectorAll('.graph-edge.walked')].map((e) => e.dataset.edge).sort(),
          exit: one('.graph-exit-line') ? one('.graph-exit').dataset.symbol : null,
          status: one('[data-role=grammar-status]').textContent,
        };
    }"""
    )


def wait_for_state(page, node: str) -> None:
    page.wait_for_function(
        "([panel, node]) => document.querySelector(`${panel} .graph-node.current`)?.dataset.node === node",
        arg=[PANEL, node],
    )


def open_grammar(page, server_url, query):
    open_page(page, server_url, query)
    page.wait_for_selector("section.panel[data-panel=grammar] .graph-svg[data-drawn]")


def test_the_reber_graph_is_drawn_from_the_task_and_lit_step_by_step(page, server_url):
    open_grammar(page, server_url, "?model=elman-reber&panels=grammar&t=4")
    reber = grammar_graph(REBER)
    drawn = page.eval_on_selector_all(f"{PANEL} .graph-node", "nodes => nodes.map((n) => n.dataset.node)")
    assert sorted(drawn) == sorted(reber["states"])
    edges = page.eval_on_selector_all(f"{PANEL} .graph-edge", "edges => edges.map((e) => e.dataset.edge)")
    assert sorted(edges) == sorted({f"{t['from']}\u2192{t['to']}" for t in reber["transitions"]})
    assert page.locator("section.panel[data-panel=grammar] .graph-start").count() == 1
    assert page.locator("section.panel[data-panel=grammar] .graph-node[data-node=end] .graph-node-end").count() == 1
    # BTSSXXTVVE at step 4 (1-based): B T S S -> states 1 2 2 2; the S loop just taken
    now = lit(page)
    assert now["node"] == "2" and now["edge"] == "2\u21922"
    assert now["walked"] == ["0\u21921", "1\u21922"]
    assert now["exit"] is None and "state 2" in now["status"]
    shot(page, "grammar-reber")
    page.keyboard.press("ArrowRight")  # step 5: X from 2 to 4
    wait_for_state(page, "4")
    assert lit(page)["edge"] == "2\u21924"
    page.keyboard.press("End")
    wait_for_state(page, "end")
    assert "complete string ends here" in lit(page)["status"]


def test_a_forbidden_symbol_is_drawn_leaving_the_graph(page, server_url, console_errors):
    console_errors.allow("422")  # the refused trace request
    open_grammar(page, server_url, "?model=elman-reber&panels=grammar")
    page.fill("[data-role=input]", "BTSXP")  # P cannot follow BTSX (state 4 has X and S)
    page.press("[data-role=input]", "Enter")
    page.wait_for_selector(f"{PANEL} .graph-exit-line", state="attached")
    now = lit(page)
    assert now["exit"] == "P" and now["node"] == "4"
    assert "P at position 5 leaves the grammar" in now["status"]
    shot(page, "grammar-exit")


def test_the_embedded_grammar_and_a_task_without_one(page, server_url):
    open_grammar(page, server_url, "?model=lstm-embedded-reber&panels=grammar&t=3")
    embedded = grammar_graph(EMBEDDED_REBER)
    assert page.locator("section.panel[data-panel=grammar] .graph-node").count() == len(embedded["states"])
    assert lit(page)["node"] == "T/1"  # B T B: the inner string's state 1 on the T branch
    shot(page, "grammar-embedded")
    page.select_option("[data-role=model-select]", "gru-adding")
    page.wait_for_function("document.querySelector('[data-role=model-meta]').textContent.includes('many-to-one')")
    assert "no grammar" in page.text_content("section.panel[data-panel=grammar]")


def test_each_task_says_whether_it_is_many_to_one_or_many_to_many(page, server_url):
    open_page(page, server_url, "?model=elman-reber")
    assert "(many-to-many)" in page.text_content("[data-role=model-meta]")
    assert page.get_attribute("[data-role=model-meta]", "data-task-mode") == "many_to_many"
    page.click("[data-action=train]")
    page.locator("[data-role=training] details.build summary").click()
    titles = page.eval_on_selector_all("[data-field=task] option", "options => options.map((o) => o.textContent)")
    assert "Adding problem (many-to-one)" in titles or any(t.endswith("(many-to-one)") for t in titles)
    assert all(t.endswith(("(many-to-many)", "(many-to-one)")) for t in titles)
