"""The studio's web application (Starlette) and how ``audiomancer studio`` serves it (uvicorn).

Routes: ``/`` the page, ``/static/*`` its HTML/CSS/JavaScript modules (shipped in the package),
``/api/*`` JSON. Errors become JSON ``{"error": "..."}`` in words (400 bad input, 404 unknown
id, 503 missing engine, 500 anything else, whose detail is in the log). Every response carries
a Content-Security-Policy that allows only this server's own scripts, styles and media.
"""

from __future__ import annotations

import logging
import socket
import threading
import webbrowser
from pathlib import Path
from typing import Any, Final

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from audiomancer.errors import (
    AudiomancerError,
    EngineNotFoundError,
    PatternNotFoundError,
    SynthNotFoundError,
)
from audiomancer.studio import patterns_api, synths_api
from audiomancer.studio.context import Studio
from audiomancer.studio.jobs import describe_error
from audiomancer.studio.security import RequestGuard, is_loopback, own_hosts

log = logging.getLogger("audiomancer.studio")

STATIC: Final = Path(__file__).with_name("static")
DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 8765
CSP: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


async def index(request: Request) -> Response:
    return FileResponse(STATIC / "index.html", media_type="text/html")


async def job_status(request: Request) -> Response:
    job = Studio.of(request).jobs.get(request.path_params["id"])
    if job is None:
        return JSONResponse({"error": f"no job {request.path_params['id']!r}"}, 404)
    return JSONResponse(job.to_json())


async def options(request: Request) -> Response:
    """The choices the forms offer, from the same constants the library checks against."""
    from audiomancer.models.encoding import STYLE_NAMES
    from audiomancer.patterns.model import KEYS, PATTERN_TYPES, SCALES
    from audiomancer.studio.media import DEFAULT_SYNTHS
    from audiomancer.studio.rendering import KITS

    return JSONResponse(
        {
            "types": list(PATTERN_TYPES),
            "styles": list(STYLE_NAMES),
            "keys": list(KEYS),
            "scales": list(SCALES),
            "kits": list(KITS),
            "default_synths": DEFAULT_SYNTHS,
        }
    )


def _status_of(error: Exception) -> int:
    if isinstance(error, PatternNotFoundError | SynthNotFoundError):
        return 404
    if isinstance(error, EngineNotFoundError):
        return 503
    if isinstance(error, AudiomancerError | ValueError | KeyError):
        return 400
    return 500


async def _error(request: Request, error: Exception) -> Response:
    status = _status_of(error)
    if status == 500:
        log.error("%s %s failed", request.method, request.url.path, exc_info=error)
    else:
        log.info("%s %s: %s", request.method, request.url.path, error)
    return JSONResponse({"error": describe_error(error)}, status)


class SecurityHeaders:
    """Adds the Content-Security-Policy and friends to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"cross-origin-resource-policy", b"same-origin"),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, sending)


def create_app(studio: Studio, hosts: frozenset[str]) -> Starlette:
    """The application for a studio, answering only requests addressed to ``hosts``."""
    routes: list[Any] = [
        Route("/", index),
        Route("/api/options", options),
        Route("/api/jobs/{id}", job_status),
        *patterns_api.ROUTES,
        *synths_api.ROUTES,
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(RequestGuard, hosts=hosts), Middleware(SecurityHeaders)],
        exception_handlers={
            Exception: _error,
            AudiomancerError: _error,
            ValueError: _error,
            KeyError: _error,
        },
    )
    app.state.studio = studio
    return app


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: any free port). OSError naming it if taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise OSError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def url_of(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    return f"http://{f'[{shown}]' if ':' in shown else shown}:{port}/"


def serve(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    open_browser: bool = True,
    announce: Any = print,
    warn: Any = print,
) -> None:
    """Serve the studio until interrupted: print its URL, open the browser unless told not to."""
    import uvicorn

    if not is_loopback(host):
        warn(
            f"the studio listens on {host}, not only on this machine: anyone who can reach it "
            "can drive SuperCollider here. Use --host 127.0.0.1 unless you mean it."
        )
    sock = bind(host, port)
    actual = sock.getsockname()[1]
    studio = Studio.create()
    app = create_app(studio, own_hosts(host, actual))
    url = url_of(host, actual)
    announce(f"audiomancer studio at {url}  (Ctrl-C stops it)")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    config = uvicorn.Config(app, log_level="info", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    if open_browser:
        threading.Timer(0.5, webbrowser.open, (url,)).start()
    try:
        server.run(sockets=[sock])
    finally:
        studio.jobs.shutdown()
        sock.close()
