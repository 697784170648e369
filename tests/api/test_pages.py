"""The page's files: static/dev (the developer pages) is served only by a dev server (UNROLLED_DEV=1),
and /vendor holds D3 alone, not the rest of node_modules (the linter and its dependencies)."""

from __future__ import annotations

import pytest

DEV_PAGE = "/static/dev/panels.html"


def test_the_page_and_its_modules_are_served(client):
    assert client.get("/").status_code == 200
    assert client.get("/static/js/main.js").status_code == 200
    assert client.get("/static/css/app.css").status_code == 200


@pytest.mark.parametrize("path", [DEV_PAGE, "/static/dev/", "/static/dev", "/static/js/../dev/panels.html"])
def test_the_developer_pages_are_not_served_by_default(client, path):
    assert client.get(path).status_code == 404


def test_a_dev_server_serves_the_developer_pages(make_client):
    dev = make_client(dev=True)
    response = dev.get(DEV_PAGE)
    assert response.status_code == 200
    assert "devPanels" in response.text


def test_vendor_serves_d3_and_nothing_else_of_node_modules(client):
    from app.api.routers.pages import D3_SCRIPT, VENDOR_DIR

    if (VENDOR_DIR / D3_SCRIPT).is_file():
        assert client.get(f"/vendor/{D3_SCRIPT}").status_code == 200
    assert client.get("/vendor/eslint/package.json").status_code == 404
    assert client.get("/vendor/d3/package.json").status_code == 404


def test_the_container_image_keeps_exactly_the_folders_vendor_serves():
    """The Dockerfile's vendor stage copies a list of node_modules folders; it must be the served one."""
    import re

    from app.api.routers.pages import PROJECT_ROOT, VENDOR_FOLDERS

    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    copied = re.search(r"for folder in ([^;]+); do", dockerfile)
    assert copied, "the Dockerfile no longer lists the vendor folders it keeps"
    assert tuple(copied.group(1).split()) == VENDOR_FOLDERS
