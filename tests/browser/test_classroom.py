"""Classroom mode from the page: a teacher's browser and a student's, two contexts on one
live server in classroom mode (its own uvicorn, the demo store read-only, workspaces in tmp)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import SCREENSHOTS, VIEWPORT
from tests.browser.helpers import live_server

TOKEN = "a-token-for-the-browser-test"
READY = "body[data-ready='1']"


@pytest.fixture(scope="module")
def classroom_url(model_dir, tmp_path_factory):
    """A live server in classroom mode, on the session's demo store (read-only to everyone here)."""
    folder = tmp_path_factory.mktemp("classroom")
    env = {
        "UNROLLED_MODELS_DIR": str(model_dir),
        "UNROLLED_WORKSPACES_DIR": str(folder / "workspaces"),
        "UNROLLED_CLASSROOM": "on",
        "UNROLLED_CLASSROOM_TOKEN": TOKEN,
    }
    with live_server(env, folder / "uvicorn.log") as url:
        yield url


@pytest.fixture
def contexts(browser):
    """new_context() -> (context, page) with console errors collected; fails the test on any."""
    opened, errors = [], []

    def new_context():
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.on("console", lambda m: m.type == "error" and errors.append(f"console error: {m.text}"))
        page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
        opened.append(context)
        return context, page

    yield new_context
    for context in opened:
        context.close()
    assert not errors, "the pages logged errors:\n" + "\n".join(errors)


def shot(page, name: str):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def model_options(page) -> list[str]:
    return page.eval_on_selector_all("[data-role=model-select] option", "options => options.map(o => o.value)")


def api_post(page, path: str, body: dict) -> int:
    """POST from inside the page (its cookies, its origin); the status."""
    script = "([path, body]) => fetch(path, {method: 'POST', headers: {'Content-Type': 'application/json'}, "
    script += "body: JSON.stringify(body)}).then(r => r.status)"
    return page.evaluate(script, [path, body])


@pytest.mark.slow
def test_a_teacher_and_a_student_share_a_classroom_server(contexts, classroom_url):
    # The teacher opens the printed URL: the token becomes an HttpOnly cookie and leaves the address.
    teacher_context, teacher = contexts()
    teacher.goto(f"{classroom_url}/?token={TOKEN}")
    teacher.wait_for_selector(READY)
    assert "token" not in teacher.url
    [cookie] = [c for c in teacher_context.cookies() if c["name"] == "unrolled_teacher"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    teacher.wait_for_selector("[data-role=classroom] [data-role=workspace-select]")
    assert "teacher" in teacher.text_content("[data-role=classroom]")
    spec = {"architecture": "elman", "task": "reber", "hidden_size": 4}
    assert api_post(teacher, "/api/models", {"name": "teacher-only", **spec}) == 201

    # A student opens the plain address: a workspace of their own, the demos read-only.
    _, student = contexts()
    student.goto(f"{classroom_url}/?model=elman-reber")
    student.wait_for_selector(READY)
    assert student.text_content("[data-role=classroom]").strip() == "your workspace"
    assert "teacher-only" not in model_options(student) and "elman-reber" in model_options(student)
    student.wait_for_selector("[data-role=read-only-badge]:not([hidden])")
    student.click("[data-action=train]")
    drawer = student.locator("[data-role=training]")
    drawer.wait_for(state="visible")
    start = drawer.locator("[data-action=start]")
    assert start.is_disabled() and "read-only" in start.get_attribute("title")
    assert drawer.locator("[data-role=read-only-note]").is_visible()
    shot(student, "classroom-student-demo")

    # A copy of the demo is the student's own: it trains.
    drawer.locator("[data-action=copy]").click()
    student.wait_for_function("document.querySelector('[data-role=model-select]').value === 'elman-reber-copy'")
    student.wait_for_selector("[data-role=read-only-badge][hidden]", state="attached")
    drawer.locator("[data-field=steps]").fill("60")
    assert start.is_enabled()
    start.click()
    student.wait_for_function("document.querySelector('[data-role=training]').dataset.phase === 'running'")
    student.wait_for_function(
        "document.querySelector('[data-role=training]').dataset.phase === 'idle'", timeout=120_000
    )
    assert not drawer.locator(".train > .form-error").is_visible()
    student.wait_for_function("document.querySelector('[data-role=model-meta]').textContent.includes('trained 60')")
    shot(student, "classroom-student-trained")
    assert "elman-reber-copy" not in model_options(teacher)  # the teacher's own view holds only theirs

    # The teacher sees the student's workspace, opens it, and finds the trained copy.
    teacher.reload()
    teacher.wait_for_selector(READY)
    picker = teacher.locator("[data-role=workspace-select]")
    picker.wait_for()
    labels = picker.locator("option").all_text_contents()
    [student_label] = [label for label in labels if label.startswith("student")]
    assert "1 model" in student_label
    value = picker.locator("option", has_text="student").get_attribute("value")
    with teacher.expect_navigation():
        picker.select_option(value)
    teacher.wait_for_selector(READY)
    teacher.wait_for_function(
        "[...document.querySelectorAll('[data-role=model-select] option')].some(o => o.value === 'elman-reber-copy')"
    )
    assert "teacher-only" not in model_options(teacher)
    shot(teacher, "classroom-teacher-workspace")
