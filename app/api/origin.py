"""Which browser origins may open a WebSocket.

Browsers do not apply the same-origin policy to WebSockets, so a page on any
site could otherwise connect to a server on a student's localhost. A socket is
accepted when it sends no Origin (a script, not a browser), when the Origin's
host and port are the ones the client connected to, or when the Origin is
listed in UNROLLED_ALLOWED_ORIGINS.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def origin_allowed(origin: str | None, host_header: str | None, extra_allowed: tuple[str, ...] = ()) -> bool:
    if origin is None:
        return True
    if origin in extra_allowed:
        return True
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    return host_header is not None and parts.netloc.lower() == host_header.lower()
