"""Classroom mode: who is asking. The teacher holds a secret token; each student browser a workspace.

    ClassroomGate (pure ASGI, headers only) -> scope["state"]["visitor"] = Visitor(...)
Off (a server on loopback only): every caller is LOCAL_VISITOR, who may do anything,
as before. On (UNROLLED_CLASSROOM=on, or auto and listening beyond loopback):

- The teacher's token is printed at start as a URL, http://HOST:PORT/?token=..., the
  way Jupyter does it. Opening it sets the token as an HttpOnly, SameSite=Strict
  cookie and redirects to the page without it (so the token leaves the address bar
  and the history). Scripts send `Authorization: Bearer <token>` instead.
- A student needs no token: the page's first visit issues a workspace cookie
  (HttpOnly, SameSite=Strict), a random 128-bit id that is the workspace's name and
  its only key; being unguessable it needs no signature. Clearing cookies means a
  new, empty workspace (the teacher still sees the old one).
- An /api request with neither is refused with 401 (except /api/health), as is a
  WebSocket; the page and its static files are open to all.

SameSite=Strict keeps both cookies off every request another site starts, which
with RequestGuard's Origin check (app/api/security.py) closes cross-site writes twice.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, parse_qsl, urlencode

from app.api.origin import LOOPBACK_NAMES, listen_address_name, parse_host

log = logging.getLogger(__name__)

TEACHER_COOKIE = "unrolled_teacher"
WORKSPACE_COOKIE = "unrolled_workspace"
WORKSPACE_ID = re.compile(r"[A-Za-z0-9_-]{22}")  # secrets.token_urlsafe(16)
WORKSPACE_COOKIE_MAX_AGE_S = 180 * 24 * 3600  # a term: a student keeps a workspace across visits
OPEN_API_PATHS = frozenset({"/api/health"})


@dataclass(frozen=True)
class Visitor:
    teacher: bool  # may see and manage every workspace
    workspace: str | None  # the caller's own workspace; None for the teacher and a local server

    @property
    def label(self) -> str:
        return "teacher" if self.teacher else f"workspace {self.workspace}"


LOCAL_VISITOR = Visitor(teacher=True, workspace=None)  # classroom mode off: as before, anyone on loopback


def classroom_on(mode: str, host: str) -> bool:
    """mode on / off, or auto: on whenever the server listens beyond loopback (a wildcard
    address or a name that is not a loopback one)."""
    if mode in ("on", "off"):
        return mode == "on"
    listened = listen_address_name(host)
    return listened is None or listened not in LOOPBACK_NAMES


def new_token() -> str:
    return secrets.token_urlsafe(24)


def new_workspace_id() -> str:
    return secrets.token_urlsafe(16)


def teacher_url(host: str, port: int, token: str, allowed_hosts: tuple[str, ...] = ()) -> str:
    """What serve prints: the page with the token, on a name a browser can open (on a
    wildcard address, the first allowed host name: the one the class was told to type)."""
    named = [parsed[0] for parsed in map(parse_host, allowed_hosts) if parsed is not None]
    shown = listen_address_name(host) or (named[0] if named else "<this machine's address>")
    return f"http://{shown}:{port}/?{urlencode({'token': token})}"


class ClassroomGate:
    def __init__(self, app, token: str | None):
        """token None: classroom mode off (every caller is LOCAL_VISITOR)."""
        self.app = app
        self.token = token

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        state = scope.setdefault("state", {})
        if self.token is None:
            state["visitor"] = LOCAL_VISITOR
            return await self.app(scope, receive, send)
        cookies, bearer = _credentials(scope["headers"])
        path = scope.get("path", "")
        if scope["type"] == "http" and path == "/" and "token" in parse_qs(scope.get("query_string", b"").decode()):
            return await self._exchange_token(scope, send)
        visitor = self.visitor_of(cookies, bearer)
        if visitor is None and scope["type"] == "http" and path == "/":
            # A first visit to the page: this browser gets its own workspace.
            visitor = Visitor(teacher=False, workspace=new_workspace_id())
            send = _with_cookie(send, _cookie(WORKSPACE_COOKIE, visitor.workspace, scope, WORKSPACE_COOKIE_MAX_AGE_S))
            log.info("new workspace %s", visitor.workspace)
        if visitor is None and (path.startswith("/api/") and path not in OPEN_API_PATHS):
            return await _refuse(scope, send)
        state["visitor"] = visitor
        return await self.app(scope, receive, send)

    def visitor_of(self, cookies: dict[str, str], bearer: str | None) -> Visitor | None:
        presented = bearer if bearer is not None else cookies.get(TEACHER_COOKIE)
        if presented is not None and secrets.compare_digest(presented.encode(), self.token.encode()):
            return Visitor(teacher=True, workspace=None)
        workspace = cookies.get(WORKSPACE_COOKIE)
        if workspace is not None and WORKSPACE_ID.fullmatch(workspace):
            return Visitor(teacher=False, workspace=workspace)
        return None

    async def _exchange_token(self, scope, send) -> None:
        """GET /?token=...: the right token becomes the teacher's cookie, then back to the page."""
        token = parse_qs(scope["query_string"].decode()).get("token", [""])[0]
        if not secrets.compare_digest(token.encode(), self.token.encode()):
            log.warning("a wrong classroom token was presented")
            body = b'{"detail": "this is not the token this server printed at start"}'
            await _respond(send, 403, [(b"content-type", b"application/json")], body)
            return
        cookie = _cookie(TEACHER_COOKIE, self.token, scope, max_age=None)
        # The page's own parameters (?model=...) stay; the token leaves the address bar and the history.
        kept = [(key, value) for key, value in parse_qsl(scope["query_string"].decode()) if key != "token"]
        location = "/" + (f"?{urlencode(kept)}" if kept else "")
        await _respond(send, 303, [(b"location", location.encode()), (b"set-cookie", cookie)], b"")


def _credentials(headers) -> tuple[dict[str, str], str | None]:
    cookies: dict[str, str] = {}
    bearer = None
    for key, value in headers:
        if key == b"cookie":
            parsed = SimpleCookie()
            try:
                parsed.load(value.decode("latin-1"))
            except Exception:  # a malformed Cookie header counts as none  # noqa: BLE001
                continue
            cookies.update({name: morsel.value for name, morsel in parsed.items()})
        elif key == b"authorization":
            scheme, _, credential = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer":
                bearer = credential.strip()
    return cookies, bearer


def _cookie(name: str, value: str, scope, max_age: int | None) -> bytes:
    parts = [f"{name}={value}", "Path=/", "HttpOnly", "SameSite=Strict"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if scope.get("scheme") in ("https", "wss"):
        parts.append("Secure")
    return "; ".join(parts).encode()


def _with_cookie(send, cookie: bytes):
    async def send_with_cookie(message):
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie)]}
        await send(message)

    return send_with_cookie


async def _respond(send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _refuse(scope, send) -> None:
    message = (
        b'{"detail": "this server is in classroom mode: open its page first (it gives this browser a '
        b"workspace), or send the teacher's token as Authorization: Bearer\"}"
    )
    if scope["type"] == "http":
        await _respond(send, 401, [(b"content-type", b"application/json")], message)
    elif "websocket.http.response" in (scope.get("extensions") or {}):
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(message)).encode())]
        await send({"type": "websocket.http.response.start", "status": 401, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": message})
    else:
        await send({"type": "websocket.close", "code": 1008, "reason": "classroom mode: open the page first"})
