"""RequestGuard: who may talk to the server, checked before any route runs.

    request -> RequestGuard -> BodySizeLimit -> routers
A pure ASGI middleware that reads only headers (never the body), in this order:

    400  the Host header is not an allowed name           every request and WebSocket
    403  the Origin header is not an allowed origin       POST, PUT, PATCH, DELETE and WebSockets
    415  the body is not of the route's declared type     POST, PUT, PATCH, DELETE with a body

The rules for hosts and origins are in app/api/origin.py. A state-changing
request with no Origin header is let through: browsers send Origin on every
cross-site POST and every WebSocket handshake, so its absence means a client
that is not a browser (curl, httpx, the CLI), which no web page can steer.

The body type each route expects is read from the route itself (body_rules, built
once from the API's routers): a route whose OpenAPI requestBody names its content
types (the checkpoint upload: application/octet-stream) takes those, a route with
a pydantic body takes application/json. So the declaration in the docs is the
rule that is enforced, and a text/plain form post from another site is refused
before it is read.
A WebSocket refused here gets an HTTP answer to its handshake (status and the
same JSON body) where the server offers that, else it is closed with 1008.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.routing import compile_path

from app.api.origin import AccessPolicy
from app.api.schemas.common import ErrorOut

log = logging.getLogger(__name__)

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
JSON = "application/json"
CLOSE_POLICY = 1008
MAX_QUOTED = 100  # characters of a client's header quoted back in a refusal

REFUSALS = {
    400: "The Host header names a host this server does not answer to",
    403: "The request comes from a page on a site that may not change this server's state",
    415: "The body is not of the type this route takes",
}


@dataclass(frozen=True)
class BodyRule:
    """Requests by `methods` to a path matching `path` must send a body of one of `types`."""

    path: re.Pattern
    methods: frozenset[str]
    types: tuple[str, ...]


class RequestGuard:
    def __init__(self, app, policy: AccessPolicy, body_rules: Iterable[BodyRule] = ()):
        self.app = app
        self.policy = policy
        self.body_rules = tuple(body_rules)

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        refusal = self.refusal(scope)
        if refusal is None:
            return await self.app(scope, receive, send)
        status, message = refusal
        log.info("refused %s %s with %d: %s", scope.get("method", "WEBSOCKET"), scope.get("path"), status, message)
        if scope["type"] == "http":
            await _send_json(send, status, message)
        else:
            await _deny_websocket(scope, send, status, message)

    def refusal(self, scope) -> tuple[int, str] | None:
        """(status, message) when the request must be refused, None when it may go on."""
        hosts, origin, content_type, has_body = _read_headers(scope["headers"])
        if len(hosts) != 1 or not self.policy.host_allowed(hosts[0], scope.get("scheme", "http")):
            named = f"the host name {_quote(hosts[0])}" if len(hosts) == 1 else "no single host name"
            return 400, (
                f"this server does not answer to {named}: use the address it was started with "
                "(loopback names always work) or add the name to UNROLLED_ALLOWED_HOSTS"
            )
        method = scope.get("method")
        if scope["type"] == "websocket" or method in STATE_CHANGING:
            if origin is not None and not self.policy.origin_allowed(origin):
                return 403, (
                    f"a page at {_quote(origin)} may not change this server's state or open its streams; "
                    "only the server's own pages (and UNROLLED_ALLOWED_ORIGINS) may"
                )
        # A request with no body at all is left to the route (a required body: 422).
        if method in STATE_CHANGING and (has_body or content_type is not None):
            expected = self._declared_body_types(scope)
            if expected and _media_type(content_type) not in expected:
                sent = f"Content-Type {_quote(content_type)}" if content_type else "no Content-Type"
                return 415, f"this route takes a body of type {' or '.join(expected)}, not {sent}"
        return None

    def _declared_body_types(self, scope) -> tuple[str, ...]:
        path, method = scope["path"], scope["method"]
        root = scope.get("root_path") or ""
        if root and path.startswith(root):
            path = path[len(root) :]
        for rule in self.body_rules:
            if method in rule.methods and rule.path.match(path):
                return rule.types
        return ()


def body_rules(routers: Iterable[APIRouter], prefix: str = "") -> list[BodyRule]:
    """One BodyRule for each route of `routers` (included under `prefix`) that takes a body."""
    rules = []
    for router in routers:
        for route in router.routes:
            if isinstance(route, APIRoute) and (types := body_types(route)):
                path_regex, _, _ = compile_path(prefix + route.path)
                rules.append(BodyRule(path_regex, frozenset(route.methods), types))
    return rules


def body_types(route: APIRoute) -> tuple[str, ...]:
    """The content types a route's body must have: what its OpenAPI requestBody lists, else
    the media type of its declared body (JSON for a pydantic model); () for a body-less route."""
    declared = ((route.openapi_extra or {}).get("requestBody") or {}).get("content")
    if declared:
        return tuple(declared)
    if route.body_field is not None:
        return (getattr(route.body_field.field_info, "media_type", JSON),)
    return ()


def document_refusals(app: FastAPI) -> None:
    """Add the guard's answers to the OpenAPI document: 400 on every operation, 403 on the
    state-changing ones, 415 on those with a body (the routes do not declare them: the guard
    answers before any route runs)."""
    previous = app.openapi
    added = False

    def openapi() -> dict:
        nonlocal added
        document = previous()  # cached by FastAPI: changed once, in place
        if not added:
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            schemas.setdefault(ErrorOut.__name__, ErrorOut.model_json_schema())
            error_body = {JSON: {"schema": {"$ref": f"#/components/schemas/{ErrorOut.__name__}"}}}
            for operations in document.get("paths", {}).values():
                for method, operation in operations.items():
                    statuses = [400]
                    if method.upper() in STATE_CHANGING:
                        statuses.append(403)
                    if "requestBody" in operation:
                        statuses.append(415)
                    responses = operation.setdefault("responses", {})
                    for status in statuses:
                        responses.setdefault(str(status), {"description": REFUSALS[status], "content": error_body})
            added = True
        return document

    app.openapi = openapi


def _read_headers(headers) -> tuple[list[str], str | None, str | None, bool]:
    """Every Host header, the Origin, the Content-Type (latin-1, as HTTP headers are) and
    whether a body follows (a non-zero Content-Length, or any Transfer-Encoding)."""
    hosts: list[str] = []
    origin = content_type = None
    has_body = False
    for key, value in headers:
        if key == b"host":
            hosts.append(value.decode("latin-1"))
        elif key == b"origin":
            origin = value.decode("latin-1")
        elif key == b"content-type":
            content_type = value.decode("latin-1")
        elif key == b"transfer-encoding" or (key == b"content-length" and value.strip() not in (b"0", b"")):
            has_body = True
    return hosts, origin, content_type, has_body


def _media_type(content_type: str | None) -> str | None:
    """'Application/JSON; charset=utf-8' -> 'application/json' (parameters allowed)."""
    if content_type is None:
        return None
    return content_type.split(";", 1)[0].strip().lower()


def _quote(text: str) -> str:
    shown = text if len(text) <= MAX_QUOTED else text[:MAX_QUOTED] + "..."
    return repr(shown)


def _json_body(status: int, message: str) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    body = json.dumps({"detail": message}).encode()
    return body, [(b"content-type", JSON.encode()), (b"content-length", str(len(body)).encode())]


async def _send_json(send, status: int, message: str) -> None:
    body, headers = _json_body(status, message)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _deny_websocket(scope, send, status: int, message: str) -> None:
    if "websocket.http.response" in (scope.get("extensions") or {}):
        body, headers = _json_body(status, message)
        await send({"type": "websocket.http.response.start", "status": status, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": body})
    else:  # the server then answers the handshake with 403
        await send(
            {"type": "websocket.close", "code": CLOSE_POLICY, "reason": message.encode()[:123].decode(errors="ignore")}
        )
