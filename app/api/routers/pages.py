"""The explorer page at "/", its static files at /static and the browser libraries at /vendor.

    GET /              templates/index.html (Jinja2)
    GET /static/...    static/ (the page's own ES modules and CSS)
    GET /vendor/...    node_modules/ (D3, pinned in package-lock.json, installed by `npm ci`)

Nothing is fetched from the internet at run time: D3 comes from the npm
registry once, at set-up, and is served from here.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from app import __version__
from app.settings import PROJECT_ROOT

log = logging.getLogger(__name__)

TEMPLATES_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = PROJECT_ROOT / "static"
VENDOR_DIR = PROJECT_ROOT / "node_modules"
D3_SCRIPT = "d3/dist/d3.min.js"  # the one vendor file the page loads, relative to /vendor

router = APIRouter(tags=["page"], include_in_schema=False)
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "index.html",
        {"version": __version__, "d3_src": f"/vendor/{D3_SCRIPT}", "d3_missing": not (VENDOR_DIR / D3_SCRIPT).is_file()},
    )


def mount_static(app: FastAPI) -> None:
    """Mount /static and /vendor. check_dir=False: the API still starts when
    node_modules/ has not been installed yet; the page then says what to run."""
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR), check_dir=False), name="static")
    app.mount("/vendor", StaticFiles(directory=str(VENDOR_DIR), check_dir=False), name="vendor")
    if not (VENDOR_DIR / D3_SCRIPT).is_file():
        log.warning("node_modules/%s is missing: run `make setup` (npm ci) for the page's D3", D3_SCRIPT)
