"""The app's outer shell: who may talk to it, what a request may carry, what every answer says.

:class:`Guard` is a plain ASGI middleware around the whole app. On every HTTP request and on
the WebSocket handshake it checks

* ``Host`` against the served address (loopback names ``127.0.0.1``, ``localhost``, ``[::1]``
  and the configured host, with the served port): a page of ``evil.example`` whose name an
  attacker re-points at 127.0.0.1 (DNS rebinding) sends ``Host: evil.example`` and is refused;
* ``Origin`` (or, on unsafe methods without one, ``Referer``) against the same address: another
  site's page may make the browser send requests here, and is refused (403);
* on POST/PUT/DELETE the content type (a cross-site ``text/plain`` form needs no CORS
  preflight; JSON or an image type does) and the body size (413 beyond the limit);

and it adds the security headers to every answer (:data:`SECURITY_HEADERS`), logs every
request (method, path without the query -- it may hold the token --, status, ms) on the
``gazelearn.server`` logger, and turns an unexpected exception into a logged traceback and a
JSON 500 that shows none of it.

Examples
--------
>>> allowed = served_names("127.0.0.1")
>>> host_allowed("127.0.0.1:8000", allowed, 8000), host_allowed("evil.example:8000", allowed, 8000)
(True, False)
>>> origin_allowed("http://localhost:8000", "localhost:8000", allowed, 8000)
True
>>> origin_allowed("http://evil.example", "localhost:8000", allowed, 8000)
False
"""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

logger = logging.getLogger("gazelearn.server")

#: The names of this machine's loopback interface.
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})

#: Sent with every HTTP answer. The pages load their scripts and styles from /static only (no
#: inline code), talk only to this server (``connect-src 'self'`` covers the same-origin
#: WebSocket), show images from here or from a canvas, and may not be framed (clickjacking).
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; "
                           "img-src 'self' data: blob:; media-src 'self' blob: mediastream:; "
                           "connect-src 'self'; object-src 'none'; base-uri 'none'; "
                           "form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-resource-policy": "same-origin",
}

UNSAFE_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})


def served_names(host: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """The host names a request to a server bound to ``host`` may carry.

    Loopback names always; the bound name itself when it is one; for a wildcard bind
    (``0.0.0.0``, ``::``) this machine's host name and addresses (best effort), since the
    server is then reached under those.

    Examples
    --------
    >>> sorted(served_names("192.168.1.5"))
    ['127.0.0.1', '192.168.1.5', '::1', 'localhost']
    """
    names = set(LOOPBACK_NAMES) | {h.strip("[]").lower() for h in extra}
    bound = host.strip().strip("[]").lower()
    if bound in ("0.0.0.0", "::", ""):
        names.add(bound or "0.0.0.0")  # what a browser sends when opened at that address
        try:
            machine = socket.gethostname()
            names |= {machine.lower(), socket.getfqdn().lower()}
            names |= {info[4][0].lower() for info in socket.getaddrinfo(machine, None)}
        except OSError:  # pragma: no cover - no resolver; loopback names still work
            pass
    else:
        names.add(bound)
    return frozenset(names)


def _split(netloc: str, default_port: int | None) -> tuple[str, int | None] | None:
    """``(hostname, port)`` of ``name[:port]`` / ``[v6]:port``; None when malformed."""
    try:
        parts = urlsplit("//" + netloc)
        name, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not name or parts.username is not None or parts.path or parts.query:
        return None
    return name.lower(), default_port if port is None else port


def host_allowed(host: str | None, names: frozenset[str], port: int | None) -> bool:
    """Whether a ``Host`` header names the served address (any port when ``port`` is None)."""
    if not host:
        return False
    parsed = _split(host, None)
    if parsed is None or parsed[0] not in names:
        return False
    return port is None or parsed[1] == port or (parsed[1] is None and port == 80)


def origin_allowed(origin: str, host: str, names: frozenset[str], port: int | None) -> bool:
    """Whether an ``Origin`` (or ``Referer``) is the served address itself, the one the
    request's ``Host`` names (``null`` and other sites are not)."""
    try:
        parts = urlsplit(origin.strip())
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    theirs = _split(parts.netloc, 443 if parts.scheme == "https" else 80)
    ours = _split(host, theirs[1] if theirs else None)
    if theirs is None or ours is None or theirs[0] not in names:
        return False
    # same site: the page that sent it was served by this address (name and port)
    return theirs[1] == ours[1] and (port is None or theirs[1] == port)


def _media_type(value: str | None) -> str | None:
    return None if not value else value.split(";", 1)[0].strip().lower() or None


class Guard:
    """ASGI middleware: the checks of the module docstring around ``app``.

    Parameters
    ----------
    app
        The ASGI app.
    names : frozenset of str
        Host names the server answers to (:func:`served_names`).
    port : int, optional
        The served port (any when None: the app does not know where it is served).
    body_rules : callable
        ``body_rules(path) -> (allowed content types, max body bytes)`` of an unsafe request.
    """

    def __init__(self, app, names: frozenset[str], port: int | None,
                 body_rules: Callable[[str], tuple[frozenset[str], int]]) -> None:
        self.app = app
        self.names = names
        self.port = port
        self.body_rules = body_rules

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    def _refusal(self, scope) -> tuple[int, str] | None:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "")
        if not host_allowed(host, self.names, self.port):
            return 400 if scope["type"] == "http" else 403, \
                f"this server does not answer to host {host[:80]!r}"
        origin = headers.get("origin")
        if origin is None and scope["type"] == "http" and scope["method"] in UNSAFE_METHODS:
            origin = headers.get("referer")
        if origin is not None and not origin_allowed(origin, host, self.names, self.port):
            return 403, f"requests from {origin[:80]!r} are not allowed (cross-site)"
        return None

    async def _websocket(self, scope, receive, send) -> None:
        refusal = self._refusal(scope)
        if refusal is not None:
            logger.warning("WS %s refused: %s", scope["path"], refusal[1])
            await send({"type": "websocket.close", "code": 1008, "reason": refusal[1][:120]})
            return
        try:
            await self.app(scope, receive, send)
        except Exception:
            logger.exception("internal error on WS %s", scope["path"])

    async def _http(self, scope, receive, send) -> None:
        started = time.perf_counter()
        status = {"code": 0}

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.decode("latin-1").lower() not in SECURITY_HEADERS]
                headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                message = {**message, "headers": headers}
            await send(message)

        async def answer(code: int, error: str) -> None:
            body = json.dumps({"error": error}).encode()
            await send_with_headers({"type": "http.response.start", "status": code,
                                     "headers": [(b"content-type", b"application/json"),
                                                 (b"content-length", str(len(body)).encode())]})
            await send_with_headers({"type": "http.response.body", "body": body})

        try:
            refusal = self._refusal(scope)
            if refusal is None and scope["method"] in UNSAFE_METHODS:
                refusal, receive = await self._body(scope, receive)
            if refusal is not None:
                await answer(*refusal)
            else:
                try:
                    await self.app(scope, receive, send_with_headers)
                except Exception:
                    logger.exception("internal error on %s %s", scope["method"], scope["path"])
                    if status["code"]:  # the answer had begun: nothing more can be said
                        return
                    await answer(500, "internal server error (logged on the server)")
        finally:
            logger.info("%s %s %d %.1f ms", scope["method"], scope["path"], status["code"],
                        1000 * (time.perf_counter() - started))

    async def _body(self, scope, receive):
        """Content type and size of an unsafe request: a refusal, or the body read whole
        (bounded) and replayed to the app."""
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        allowed, limit = self.body_rules(scope["path"])
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return (413, f"request body larger than {limit} bytes"), receive
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client left
                return (400, "request body incomplete"), receive
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return (413, f"request body larger than {limit} bytes"), receive
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        kind = _media_type(headers.get("content-type"))
        if (size or kind is not None) and kind not in allowed:
            return (415, f"content type {kind or 'missing'}: this request takes "
                    f"{' or '.join(sorted(allowed))}"), receive
        body, replayed = b"".join(chunks), False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return None, replay
