"""Which Host names the server answers to, and which browser Origins may act on it.

Two attacks, two rules (app/api/security.py applies them to every request):

- DNS rebinding. A page at http://evil.example:8000 whose name the attacker then
  points at 127.0.0.1 talks to this server as if it were its own site; the only
  trace is the Host header, which still says evil.example:8000. So the server
  answers only to the names it is known by: the loopback ones (any port), the
  name it was told to listen on (UNROLLED_HOST, unless a wildcard such as
  0.0.0.0), and UNROLLED_ALLOWED_HOSTS.
- Cross-site requests. Any page may POST to localhost (a text/plain "simple"
  request needs no preflight) and open a WebSocket (no same-origin policy for
  those); the browser then sends an Origin header naming the page's site. The
  Origin must be one of the allowed origins: http(s):// plus an allowed host, or
  an entry of UNROLLED_ALLOWED_ORIGINS. It is never compared with the Host
  header, which in a rebinding the attacker chooses along with the Origin.

Loopback names match any port, so a page served by another program on this
machine counts as the server's own; such a program can reach the server
directly anyway. A name listed with a port matches that port only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
# Addresses that mean "every interface": they name no host a visitor could use.
WILDCARD_ADDRESSES = frozenset({"", "0.0.0.0", "::", "[::]"})
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}

_HOST = re.compile(r"(?P<name>\[[0-9a-f:.]+\]|[a-z0-9.\-]+?)\.?(?::(?P<port>[0-9]{1,5}))?")
_ORIGIN = re.compile(r"(?P<scheme>https?)://(?P<host>[^/?#]+)")


@dataclass(frozen=True)
class HostName:
    name: str  # lower case; an IPv6 address in brackets
    port: int | None  # None: any port

    def matches(self, name: str, port: int) -> bool:
        return self.name == name and (self.port is None or self.port == port)


def parse_host(text: str) -> tuple[str, int | None] | None:
    """'Example.org:8000' -> ('example.org', 8000); '[::1]' -> ('[::1]', None); None when malformed."""
    found = _HOST.fullmatch(text.strip().lower())
    if found is None:
        return None
    port = found["port"]
    return found["name"], int(port) if port is not None else None


def listen_address_name(host: str) -> str | None:
    """The host name a server told to listen on `host` is known by; None for a wildcard."""
    host = host.strip().lower()
    if host in WILDCARD_ADDRESSES:
        return None
    if ":" in host and not host.startswith("["):  # a bare IPv6 address, as --host takes it
        return f"[{host}]"
    return host


class AccessPolicy:
    """The allowed hosts and origins; built once from the settings, asked on every request."""

    def __init__(self, hosts: Iterable[str], extra_origins: Iterable[str] = ()):
        self.hosts: list[HostName] = []
        for entry in hosts:
            parsed = parse_host(entry)
            if parsed is None:
                raise ValueError(f"not a host name: {entry!r}")
            self.hosts.append(HostName(*parsed))
        self.extra_origins: set[tuple[str, str, int]] = set()
        for entry in extra_origins:
            parsed_origin = _parse_origin(entry)
            if parsed_origin is None:
                raise ValueError(f"not an origin: {entry!r}")
            self.extra_origins.add(parsed_origin)

    @classmethod
    def from_settings(cls, settings) -> AccessPolicy:
        listened_on = listen_address_name(settings.host)
        hosts = [*LOOPBACK_NAMES, *settings.allowed_hosts, *([listened_on] if listened_on else [])]
        return cls(hosts, settings.allowed_origins)

    def host_allowed(self, host_header: str | None, scheme: str) -> bool:
        """Is the Host header one of the allowed names? A request without one is refused:
        every HTTP/1.1 client sends it, and a name-less request cannot be told apart."""
        if host_header is None:
            return False
        parsed = parse_host(host_header)
        if parsed is None:
            return False
        name, port = parsed
        return self._known(name, port if port is not None else DEFAULT_PORTS.get(scheme, 80))

    def origin_allowed(self, origin: str) -> bool:
        """Is the page at `origin` one of the server's own, or one the settings allow?
        'null' (a sandboxed frame, a file) and anything malformed are foreign."""
        parsed = _parse_origin(origin)
        if parsed is None:
            return False
        scheme, name, port = parsed
        return (scheme, name, port) in self.extra_origins or self._known(name, port)

    def _known(self, name: str, port: int) -> bool:
        return any(host.matches(name, port) for host in self.hosts)


def _parse_origin(origin: str) -> tuple[str, str, int] | None:
    """'HTTP://Example.org' -> ('http', 'example.org', 80); None for 'null' or anything with a path."""
    found = _ORIGIN.fullmatch(origin.strip().lower())
    if found is None:
        return None
    host = parse_host(found["host"])
    if host is None:
        return None
    name, port = host
    return found["scheme"], name, port if port is not None else DEFAULT_PORTS[found["scheme"]]
