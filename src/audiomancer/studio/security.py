"""Request guards of the studio: the Host check (DNS rebinding) and the Origin check (CSRF).

The studio drives sclang, which runs code, so a web page the user happens to visit must not be
able to reach it. Two attacks matter on a server bound to the loopback interface:

- **DNS rebinding**: a hostile name that first resolves to the attacker and then to 127.0.0.1
  lets the attacker's page read and call the studio as "same origin". Its requests carry the
  hostile name in ``Host``, so every request whose ``Host`` is not one of the server's own names
  (with its port) is refused with 421.
- **CSRF**: any page may send a POST to ``http://127.0.0.1:PORT``; browsers mark it with the
  page's ``Origin`` (and ``Sec-Fetch-Site``). A state-changing request (anything but GET, HEAD,
  OPTIONS) from another origin, or from the opaque origin ``null``, is refused with 403.
- **Cross-origin reads of the API**: any page may also *embed* ``/api/...`` URLs (``<audio
  src>``, ``<img src>``, a ``fetch`` in ``no-cors`` mode). The response is useless to it (no CORS
  headers, ``Cross-Origin-Resource-Policy: same-origin``), but the request does the work: an
  audio URL renders through scsynth and fills the cache, and how long it takes tells which ids
  exist. So every ``/api/`` request, GET included, from another origin is refused the same way,
  before any work. Such embeds carry no ``Origin`` (no-cors GET), so ``Sec-Fetch-Site`` decides:
  only ``same-origin`` (the studio's own page) and ``none`` (typed into the address bar, a
  bookmark) pass; ``same-site`` is refused too, because another port of ``localhost`` (a
  notebook, a dev server) is same-site. The page itself and its static files stay open to
  navigations and links from anywhere: they do no work and hold nothing private.

Requests without either header do not come from a web page (curl, scripts) and pass.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
from collections.abc import Iterable
from contextlib import suppress
from typing import Final

from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger("audiomancer.studio")

SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
API_PREFIX: Final = "/api/"
"""Requests under it do work (renders, pictures, the stores): same origin only, any method."""
LOOPBACK_NAMES: Final = ("127.0.0.1", "localhost", "[::1]")


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _bracket(host: str) -> str:
    """An IPv6 address as it is written in a URL (``[::1]``)."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def own_hosts(host: str, port: int) -> frozenset[str]:
    """Every ``Host`` header value that names this server: ``name:port`` for each own name.

    The loopback names always; the ``--host`` value itself; for a wildcard bind (0.0.0.0, ::)
    also the machine's host name and its addresses, which is how other machines reach it.
    """
    names = {*LOOPBACK_NAMES, _bracket(host.lower())}
    if host in ("0.0.0.0", "::", ""):
        hostname = socket.gethostname()
        names |= {hostname.lower(), socket.getfqdn().lower()}
        with suppress(OSError):
            names |= {_bracket(str(info[4][0])) for info in socket.getaddrinfo(hostname, None)}
    return frozenset(f"{name}:{port}" for name in names)


class RequestGuard:
    """ASGI middleware refusing foreign ``Host`` headers and cross-origin state changes."""

    def __init__(self, app: ASGIApp, hosts: Iterable[str]) -> None:
        self.app = app
        self.hosts = frozenset(h.lower() for h in hosts)
        self.origins = frozenset(f"http://{h}" for h in self.hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan; the studio has no websockets
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "").lower()
        if host not in self.hosts:
            log.warning("refused a request for host %r (not this server's own)", host)
            await _refuse(send, 421, f"refused: Host {host!r} is not this server")
            return
        method = scope.get("method", "GET")
        path = scope.get("path", "")
        if method not in SAFE_METHODS or path.startswith(API_PREFIX):
            what = f"{method} {path}" if method in SAFE_METHODS else method
            origin = headers.get("origin")
            site = headers.get("sec-fetch-site")
            if origin is not None and origin.lower() not in self.origins:
                log.warning("refused a %s from origin %r", what, origin)
                await _refuse(send, 403, f"refused: a {what} from origin {origin!r}")
                return
            if origin is None and site not in (None, "same-origin", "none"):
                log.warning("refused a %s from a %s page", what, site)
                await _refuse(send, 403, f"refused: a {what} from a {site} page")
                return
        await self.app(scope, receive, send)


async def _refuse(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
