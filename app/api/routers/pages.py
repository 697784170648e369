"""The explorer page at "/", its static files at /static and the browser libraries at /vendor.

    GET /                     templates/index.html (Jinja2)
    GET /static/...           static/ (the page's own ES modules and CSS)
    GET /static/dev/...       the developer pages (static/dev/panels.html: every panel view on
                              traces of the store's models), only when settings.dev (UNROLLED_DEV=1)
    GET /vendor/d3/dist/...   node_modules/d3/dist (D3, pinned in package-lock.json, installed by `npm ci`)
    GET /vendor/@msgpack/msgpack/dist.esm/...   its ES modules (api.js decodes binary traces with it)
    GET /docs, /redoc         the API's interactive documentation (Swagger UI, ReDoc), whose scripts
                              and styles come from /vendor/swagger-ui-dist and /vendor/redoc/bundles

Nothing is fetched from the internet at run time: D3, @msgpack/msgpack, swagger-ui-dist
and redoc come from the npm registry once, at set-up, and are served from here (FastAPI's
own /docs and /redoc load them from a CDN, so they would be blank offline: main.py turns
those off and this router serves its own).
"""

from __future__ import annotations

import logging
import os

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from app import __version__
from app.settings import PROJECT_ROOT

log = logging.getLogger(__name__)

TEMPLATES_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = PROJECT_ROOT / "static"
VENDOR_DIR = PROJECT_ROOT / "node_modules"
D3_DIST = "d3/dist"  # the one vendor folder the page loads from (node_modules also holds the dev tools)
D3_SCRIPT = f"{D3_DIST}/d3.min.js"  # relative to /vendor
MSGPACK_DIST = "@msgpack/msgpack/dist.esm"  # ES modules, imported by static/js/api.js
MSGPACK_SCRIPT = f"{MSGPACK_DIST}/index.mjs"
SWAGGER_DIST = "swagger-ui-dist"  # Swagger UI's prebuilt bundle and stylesheet, for /docs
REDOC_DIST = "redoc/bundles"  # ReDoc's standalone bundle, for /redoc
DAGRE_DIST = "@dagrejs/dagre/dist"  # layered layout of directed graphs (grammar, automaton); graphlib bundled in
VENDOR_FOLDERS = (D3_DIST, MSGPACK_DIST, SWAGGER_DIST, REDOC_DIST, DAGRE_DIST)  # what /vendor serves of node_modules
OPENAPI_URL = "/openapi.json"
SWAGGER_OAUTH2_REDIRECT = "/docs/oauth2-redirect"
DEV_FOLDER = "dev"  # static/dev: developer pages, served only by a dev server

router = APIRouter(tags=["page"], include_in_schema=False)
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    # The page's notice asks for `make setup` when either browser library is missing.
    d3_missing = not (VENDOR_DIR / D3_SCRIPT).is_file() or not (VENDOR_DIR / MSGPACK_SCRIPT).is_file()
    context = {"version": __version__, "d3_src": f"/vendor/{D3_SCRIPT}", "d3_missing": d3_missing}
    return templates.TemplateResponse(request, "index.html", context)


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=OPENAPI_URL,
        title="Unrolled - Swagger UI",
        swagger_js_url=f"/vendor/{SWAGGER_DIST}/swagger-ui-bundle.js",
        swagger_css_url=f"/vendor/{SWAGGER_DIST}/swagger-ui.css",
        swagger_favicon_url=f"/vendor/{SWAGGER_DIST}/favicon-32x32.png",
        oauth2_redirect_url=SWAGGER_OAUTH2_REDIRECT,
    )


@router.get(SWAGGER_OAUTH2_REDIRECT, response_class=HTMLResponse)
def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc", response_class=HTMLResponse)
def redoc() -> HTMLResponse:
    return get_redoc_html(
        openapi_url=OPENAPI_URL,
        title="Unrolled - ReDoc",
        redoc_js_url=f"/vendor/{REDOC_DIST}/redoc.standalone.js",
        redoc_favicon_url=f"/vendor/{SWAGGER_DIST}/favicon-32x32.png",
        with_google_fonts=False,  # a font from Google is a request to the internet; the system's fonts do
    )


class PageFiles(StaticFiles):
    """static/, with its dev/ folder answered 404 unless `dev` is on."""

    def __init__(self, *, dev: bool, **kwargs) -> None:
        super().__init__(**kwargs)
        self.dev = dev

    async def get_response(self, path: str, scope) -> Response:
        if not self.dev and (path == DEV_FOLDER or path.startswith(DEV_FOLDER + os.sep)):
            raise HTTPException(status_code=404)
        return await super().get_response(path, scope)


def mount_static(app: FastAPI, dev: bool = False) -> None:
    """Mount /static (static/dev only when `dev`) and the VENDOR_FOLDERS under /vendor. check_dir=False:
    the API still starts when node_modules/ has not been installed yet; the page then says what to run."""
    app.mount("/static", PageFiles(directory=str(STATIC_DIR), check_dir=False, dev=dev), name="static")
    for folder in VENDOR_FOLDERS:
        files = StaticFiles(directory=str(VENDOR_DIR / folder), check_dir=False)
        app.mount(f"/vendor/{folder}", files, name=f"vendor:{folder}")
    if not (VENDOR_DIR / D3_SCRIPT).is_file():
        log.warning("node_modules/%s is missing: run `make setup` (npm ci) for the page's D3", D3_SCRIPT)
