"""Browser tests: a real uvicorn server and a real headless Chromium, driven by Playwright.

    server_url         the base URL of a live dev server (UNROLLED_DEV=1: it serves the
                       developer page static/dev/panels.html) on a free port, serving a
                       temporary copy of models/ (plus quick stand-ins for any
                       missing demo model and an LSTM with H = 128; demo_store.py)
    page               a fresh 1280x800 page; the test fails on any console error
    console_errors     the errors seen so far; .allow("text") accepts an expected one
    screenshot(name)   saves test-artifacts/screenshots/NAME.png and returns its path

The folder is skipped, with the reason, when /usr/bin/chromium is absent
(`make test` installs it when run as root on Debian) or Playwright or the
page's D3 (node_modules, `npm ci`) is missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.helpers import live_server

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
D3 = ROOT / "node_modules" / "d3" / "dist" / "d3.min.js"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1280, "height": 800}
READY_TIMEOUT_MS = 15_000  # the page has traced its model and drawn it

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - reported as the skip reason
    sync_playwright = None


def _skip_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is absent: install Debian's chromium (make test does it when run as root)"
    if sync_playwright is None:
        return "the playwright package is not installed (pip install -e '.[test]')"
    if not D3.exists():
        return "node_modules/d3 is missing: run `npm ci` (make setup does)"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _skip_reason()
    if reason is None:
        return
    marker = pytest.mark.skip(reason=reason)
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(marker)


def pytest_terminal_summary(terminalreporter):
    if SCREENSHOTS.exists() and any(SCREENSHOTS.glob("*.png")):
        terminalreporter.write_sep("-", "browser screenshots")
        terminalreporter.write_line(f"saved in {SCREENSHOTS}")


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> Path:
    if _skip_reason():
        pytest.skip(_skip_reason())
    from tests.browser.demo_store import fill_store

    folder = tmp_path_factory.mktemp("models")
    fill_store(folder)
    return folder


@pytest.fixture(scope="session")
def server_url(model_dir, tmp_path_factory):
    env = {"UNROLLED_MODELS_DIR": str(model_dir), "UNROLLED_DEV": "1"}
    with live_server(env, tmp_path_factory.mktemp("server") / "uvicorn.log") as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class ConsoleErrors(list):
    """Console errors and uncaught exceptions of a page, and the ones a test expects."""

    def __init__(self):
        super().__init__()
        self.allowed: list[str] = []

    def allow(self, text: str) -> None:
        self.allowed.append(text)

    def unexpected(self) -> list[str]:
        return [error for error in self if not any(text in error for text in self.allowed)]


@pytest.fixture
def console_errors() -> ConsoleErrors:
    return ConsoleErrors()


@pytest.fixture
def page(browser, console_errors):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(READY_TIMEOUT_MS)
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and console_errors.append(f"console error: {message.text} ({message.location.get('url', '')})")
        ),
    )
    page.on("pageerror", lambda error: console_errors.append(f"uncaught: {error}"))
    yield page
    context.close()
    unexpected = console_errors.unexpected()
    if unexpected:
        pytest.fail("the page logged errors:\n" + "\n".join(unexpected))


@pytest.fixture
def screenshot(page):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(name: str, full_page: bool = False) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return save
