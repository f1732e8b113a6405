"""The FastAPI app: pages, the collection API, the gaze WebSocket, and the safety checks.

Routes (``{p}`` is a person)::

    GET  /  /collect  /calibrate           the pages (static HTML/JS in server/static, no CDN)
    GET  /api/config                       settings the pages need
    POST /api/measurements                 {"person", "screen": [w, h], "consent": true}
    POST /api/frames?person&measurement&x&y&screen_w&screen_h[&dot_radius&dot_color&client_time]
                                           body: the JPEG/PNG frame -> file + SQLite row
    GET  /api/persons                      persons with their measurement and frame counts
    POST /api/persons/{p}/export[?measurement&crops]   write the manifest CSV
    DELETE /api/persons/{p}                delete the person's files and rows
    GET  /api/persons/{p}/sessions/{file}  a recorded session (CSV) or its heat map (PNG)
    WS   /ws/gaze                          frames in, gaze out (protocol in docs/server.md)

With a token every ``/api`` and ``/ws`` request must carry it (``X-Gazelearn-Token`` header or
``token`` query parameter); the pages themselves hold no data and are served without it.

Examples
--------
>>> import tempfile
>>> from fastapi.testclient import TestClient
>>> client = TestClient(create_app(tempfile.mkdtemp(), token="s3cret"))
>>> client.get("/api/persons").status_code, client.get("/api/persons?token=s3cret").json()
(401, [])
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import math
import os
import secrets
import struct
import time
from pathlib import Path

import anyio
from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from gazelearn.errors import InputError
from gazelearn.server.live import LiveSession, decode_jpeg, make_screen, screen_pixels
from gazelearn.server.storage import Storage, check_person

STATIC = Path(__file__).parent / "static"
PAGES = {"/": "index.html", "/collect": "collect.html", "/calibrate": "calibrate.html"}


class RateLimiter:
    """Token bucket: ``rate`` events per second on average, bursts of up to ``burst``.

    Examples
    --------
    >>> bucket = RateLimiter(rate=10, burst=2)
    >>> [bucket.allow(now=0.0) for _ in range(3)], bucket.allow(now=0.1)
    ([True, True, False], True)
    """

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate = float(rate)
        self.burst = float(burst if burst is not None else max(1.0, rate))
        self.tokens = self.burst
        self.last: float | None = None

    def allow(self, now: float | None = None) -> bool:
        """Take one token if there is one."""
        now = time.monotonic() if now is None else now
        if self.last is not None:
            self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


def _token_of(request_or_socket) -> str | None:
    return (request_or_socket.headers.get("x-gazelearn-token")
            or request_or_socket.query_params.get("token"))


def _number(params, name: str, required: bool = True) -> float | None:
    value = params.get(name)
    if value in (None, ""):
        if required:
            raise InputError(f"missing query parameter {name!r}", field=name)
        return None
    try:
        number = float(value)
    except ValueError:
        raise InputError(f"{name} must be a number, got {value[:30]!r}", field=name) from None
    if not math.isfinite(number):
        raise InputError(f"{name} must be finite", field=name)
    return number


def frame_message(header: dict, image: bytes) -> bytes:
    """The binary WebSocket message of one frame: 4-byte big-endian length of the JSON header,
    the header, the JPEG (what the pages send; :func:`split_frame_message` reads it).

    Examples
    --------
    >>> message = frame_message({"seq": 1}, b"JPEG")
    >>> message[:4], message[4:]
    (b'\\x00\\x00\\x00\\n', b'{"seq": 1}JPEG')
    """
    head = json.dumps(header).encode("utf-8")
    return struct.pack(">I", len(head)) + head + image


def split_frame_message(data: bytes) -> tuple[dict, bytes]:
    """Header and image of a binary frame message (see :func:`frame_message`).

    Examples
    --------
    >>> split_frame_message(frame_message({"seq": 1}, b"JPEG"))
    ({'seq': 1}, b'JPEG')
    """
    if len(data) < 4:
        raise InputError("frame message shorter than its 4-byte header length", field="frame")
    (size,) = struct.unpack(">I", data[:4])
    if size > 4096 or 4 + size > len(data):
        raise InputError(f"bad frame header length {size}", field="frame")
    try:
        header = json.loads(data[4:4 + size].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InputError("frame header is not JSON", field="frame") from None
    if not isinstance(header, dict):
        raise InputError("frame header must be a JSON object", field="frame")
    return header, data[4 + size:]


def create_app(data_dir: str | Path, token: str | None = None, *,
               max_upload_bytes: int = 2_000_000, upload_rate: float = 20.0,
               frame_rate: float = 60.0, dots_per_measurement: int = 100,
               pipeline_workers: int | None = None) -> FastAPI:
    """Build the app.

    Parameters
    ----------
    data_dir : str or Path
        Where images, the SQLite index, profiles and sessions go (see :class:`Storage`).
    token : str, optional
        Required on every API and WebSocket request when given (always when the server is
        reachable from other machines: :func:`gazelearn.server.serve` insists).
    max_upload_bytes : int
        Largest accepted frame (HTTP upload or WebSocket message).
    upload_rate : float
        Collection uploads per second per client address (bursts of the same size).
    frame_rate : float
        WebSocket frames per second per connection; extra frames are answered with a
        ``rate_limited`` error and not processed.
    dots_per_measurement : int
        Dots the collection page shows per measurement (the page's ``?dots=N`` may lower it).
    pipeline_workers : int, optional
        Frames processed at the same time over all connections (default: the CPU cores).
    """
    storage = Storage(data_dir)
    app = FastAPI(title="gazelearn", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.storage = storage
    app.state.token = token
    # Frames of all connections share ``workers`` slots, one per core: more would fight over
    # the cores with the event loop that reads the sockets, and every connection would fall
    # behind together. Measured on 2 cores, 4 clients x 30 frames/s: one slot answered 84 % of
    # the frames, two slots 99.9 % (docs/results.md).
    workers = max(1, os.cpu_count() or 1) if pipeline_workers is None else \
        int(pipeline_workers)
    app.state.limiter = None
    upload_buckets: dict[str, RateLimiter] = {}

    def authorised(source) -> bool:
        if token is None:
            return True
        given = _token_of(source) or ""
        return secrets.compare_digest(given.encode(), token.encode())

    @app.middleware("http")
    async def _guard(request: Request, call_next):
        if request.url.path.startswith("/api/") and not authorised(request):
            return JSONResponse({"error": "missing or wrong token"}, status_code=401)
        return await call_next(request)

    @app.exception_handler(InputError)
    async def _input_error(request: Request, error: InputError):
        return JSONResponse({"error": str(error)}, status_code=400)

    for route, page in PAGES.items():
        def serve_page(page: str = page) -> FileResponse:
            return FileResponse(STATIC / page, media_type="text/html")
        app.add_api_route(route, serve_page, methods=["GET"], include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/api/config")
    def config() -> dict:
        return {"dots_per_measurement": dots_per_measurement, "max_upload_bytes":
                max_upload_bytes, "frame_rate": frame_rate, "token_required": token is not None}

    @app.post("/api/measurements", status_code=201)
    async def new_measurement(request: Request) -> dict:
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise InputError("expected a JSON body") from None
        if not isinstance(body, dict) or body.get("consent") is not True:
            raise InputError("the person must consent first (\"consent\": true)",
                             field="consent")
        screen = screen_pixels(body.get("screen"))
        n_dots = int(body.get("n_dots") or dots_per_measurement)
        ident = storage.new_measurement(check_person(body.get("person")), screen,
                                        request.headers.get("user-agent", ""),
                                        min(n_dots, dots_per_measurement))
        return {"measurement": ident, "dots": min(n_dots, dots_per_measurement)}

    @app.post("/api/frames", status_code=201)
    async def add_frame(request: Request):
        client = request.client.host if request.client else "?"
        bucket = upload_buckets.setdefault(client, RateLimiter(upload_rate))
        if not bucket.allow():
            return JSONResponse({"error": "too many uploads; slow down"}, status_code=429)
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_upload_bytes:
            return JSONResponse({"error": f"upload larger than {max_upload_bytes} bytes"},
                                status_code=413)
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_upload_bytes:
                return JSONResponse({"error": f"upload larger than {max_upload_bytes} bytes"},
                                    status_code=413)
            chunks.append(chunk)
        params = request.query_params
        measurement = _number(params, "measurement")
        row = await anyio.to_thread.run_sync(lambda: storage.add_frame(
            check_person(params.get("person", "")), int(measurement), b"".join(chunks),
            (_number(params, "x"), _number(params, "y")),
            (_number(params, "screen_w"), _number(params, "screen_h")),
            client_time=_number(params, "client_time", False),
            dot_radius=_number(params, "dot_radius", False),
            dot_color=params.get("dot_color"),
            browser=request.headers.get("user-agent", "")))
        return JSONResponse({"id": row["id"], "index": row["idx"], "path": row["path"]},
                            status_code=201)

    @app.get("/api/persons")
    def persons() -> list:
        rows = storage.measurements()
        return [{"person": p, "measurements": sum(r["person"] == p for r in rows),
                 "frames": sum(r["frames"] for r in rows if r["person"] == p),
                 "profile": storage.profile_path(p).is_file()} for p in storage.persons()]

    @app.get("/api/persons/{person}/measurements")
    def measurements(person: str) -> list:
        return storage.measurements(check_person(person))

    @app.post("/api/persons/{person}/export")
    def export(person: str, measurement: int | None = None, crops: bool = False) -> dict:
        folder = storage.person_dir(person) / "export"
        name = f"manifest-m{measurement:04d}.csv" if measurement else "manifest.csv"
        result = storage.export_manifest(folder / name, person, measurement, crops=crops)
        return {**result, "manifest": result["manifest"].relative_to(storage.root).as_posix()}

    @app.delete("/api/persons/{person}")
    def delete_person(person: str) -> dict:
        return storage.delete_person(person)

    @app.get("/api/persons/{person}/sessions/{name}")
    def session_file(person: str, name: str) -> FileResponse:
        folder = storage.person_dir(person) / "sessions"
        path = folder / name
        if path.parent != folder or path.suffix not in (".csv", ".png") or not path.is_file():
            return JSONResponse({"error": "no such session file"}, status_code=404)
        return FileResponse(path)

    @app.websocket("/ws/gaze")
    async def gaze_socket(websocket: WebSocket) -> None:
        if not authorised(websocket):
            await websocket.close(code=1008, reason="missing or wrong token")
            return
        await websocket.accept()
        if app.state.limiter is None:  # made here: it belongs to the running event loop
            app.state.limiter = anyio.CapacityLimiter(workers)
        handler = _GazeConnection(websocket, storage, max_upload_bytes, frame_rate,
                                  app.state.limiter)
        try:
            await handler.run()
        except WebSocketDisconnect:
            pass
        finally:
            handler.close()

    return app


class _GazeConnection:
    """The WebSocket protocol of ``/ws/gaze`` around one :class:`LiveSession`.

    A reader task takes messages off the socket and a worker processes them in order. Live
    frames never queue: when a newer live frame arrives while an older one still waits, the
    older one is answered at once with ``"skipped": true`` and dropped, so a client that sends
    faster than the machine keeps up gets fresh gaze (and a count of skipped frames) instead of
    an ever-growing delay. Calibration frames and control messages are never skipped.
    """

    def __init__(self, websocket: WebSocket, storage: Storage, max_bytes: int,
                 frame_rate: float, limiter=None) -> None:
        self.websocket = websocket
        self.limiter = limiter
        self.storage = storage
        self.max_bytes = max_bytes
        self.bucket = RateLimiter(frame_rate, burst=max(2.0, frame_rate / 2))
        self.session: LiveSession | None = None
        self.person: str | None = None
        self.inbox: collections.deque = collections.deque()
        self.wake = asyncio.Event()
        self.sending = asyncio.Lock()

    def close(self) -> None:
        if self.session is not None:
            self.session.close()

    async def send(self, message: dict) -> None:
        async with self.sending:  # the reader and the worker both answer
            await self.websocket.send_text(json.dumps(message))

    async def run(self) -> None:
        worker = asyncio.create_task(self.work())
        try:
            while True:
                message = await self.websocket.receive()
                if message["type"] == "websocket.disconnect":
                    raise WebSocketDisconnect(message.get("code", 1000))
                try:
                    if message.get("bytes") is not None:
                        await self.on_frame(message["bytes"])
                    elif message.get("text") is not None:
                        self.inbox.append(("text", message["text"]))
                        self.wake.set()
                except InputError as error:
                    await self.send({"type": "error", "message": str(error)})
        finally:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await worker

    async def on_frame(self, data: bytes) -> None:
        """Checks that cost nothing (size, header, rate), then into the inbox."""
        received = time.perf_counter()
        if len(data) > self.max_bytes:
            raise InputError(f"frame larger than {self.max_bytes} bytes")
        header, image = split_frame_message(data)
        reply = {"seq": header.get("seq"), "t": header.get("t")}
        if not self.bucket.allow():
            await self.send({"type": "error", "code": "rate_limited", **reply,
                             "message": "too many frames per second; frame dropped"})
            return
        if header.get("phase", "live") == "live":
            for item in [i for i in self.inbox if i[0] == "live"]:
                self.inbox.remove(item)
                await self.send({"type": "gaze", "skipped": True, "valid": False, "x": None,
                                 "y": None, **item[3]})
        self.inbox.append(("live" if header.get("phase", "live") == "live" else "frame",
                           header, image, reply, received))
        self.wake.set()

    async def work(self) -> None:
        while True:
            await self.wake.wait()
            self.wake.clear()
            while self.inbox:
                item = self.inbox.popleft()
                try:
                    if item[0] == "text":
                        await self.on_control(item[1])
                    else:
                        await self.process(*item[1:])
                except InputError as error:
                    reply = item[3] if item[0] != "text" else {}
                    await self.send({"type": "error", "message": str(error), **reply})

    async def process(self, header: dict, image: bytes, reply: dict, received: float) -> None:
        if self.session is None:
            raise InputError("say hello first (person and screen)")
        session = self.session

        def work() -> dict:
            return session.frame(header, decode_jpeg(image))

        result = await anyio.to_thread.run_sync(work, limiter=self.limiter)
        result.update(reply, server_ms=round(1000 * (time.perf_counter() - received), 2))
        await self.send(result)

    async def on_control(self, text: str) -> None:
        try:
            message = json.loads(text)
        except json.JSONDecodeError:
            raise InputError("control messages are JSON objects") from None
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "hello":
            await self.hello(message)
            return
        if kind == "ping":
            await self.send({"type": "pong", "t": message.get("t")})
            return
        if self.session is None:
            raise InputError("say hello first (person and screen)")
        session = self.session
        if kind == "calibrate":
            targets = session.start_calibration(int(message.get("points", 9)),
                                                int(message.get("validation", 5)))
            await self.send({"type": "targets", **targets})
        elif kind == "fit":
            report = await anyio.to_thread.run_sync(lambda: session.fit({"user": self.person}))
            session.profile.save(_ensure_parent(self.storage.profile_path(self.person)))
            await self.send({"type": "report", "report": report, "profile_saved": True})
        elif kind == "record":
            session.set_recording(bool(message.get("on", True)))
            await self.send({"type": "recording", "on": session.recording})
        elif kind == "stop":
            await self.send(await anyio.to_thread.run_sync(self.stop))
        else:
            raise InputError(f"unknown message type {kind!r}")

    async def hello(self, message: dict) -> None:
        from gazelearn.webcam.calibration import CalibrationProfile

        person = check_person(message.get("person"))
        screen = make_screen(message.get("screen"), message.get("screen_mm"),
                             message.get("distance_mm"))
        profile = None
        path = self.storage.profile_path(person)
        if message.get("load_profile") and path.is_file():
            profile = CalibrationProfile.load(path)
        filter_name = str(message.get("filter", "one_euro"))
        if self.session is not None:
            self.session.close()
        self.session = LiveSession(screen, filter=filter_name, profile=profile)
        self.person = person
        await anyio.to_thread.run_sync(self.session.warm_up)
        await self.send({"type": "ready", "person": person, "profile": profile is not None,
                         "report": self.session.report(),
                         "profile_screen": None if profile is None else list(profile.screen_px)})

    def stop(self) -> dict:
        csv_path, png_path = self.storage.new_session_paths(self.person)
        result = self.session.finish(csv_path, png_path)
        self.storage.add_session(self.person, result["samples"], result["recording"],
                                 result["heatmap"])
        base = f"/api/persons/{self.person}/sessions/"
        return {"type": "session", "samples": result["samples"], "valid": result["valid"],
                "recording": base + csv_path.name,
                "heatmap": None if result["heatmap"] is None else base + png_path.name}


def _ensure_parent(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach.

    Examples
    --------
    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    import ipaddress

    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_binding(host: str, token: str | None) -> None:
    """Refuse to serve beyond this machine without a token (personal data: face images)."""
    if not is_loopback(host) and not token:
        # options, not columns: named in the message rather than as an InputError field
        raise InputError(f"--host {host}: binding to {host} makes the app reachable from other "
                         "machines; give a --token (or bind to 127.0.0.1)")
    if token is not None and len(token) < 8:
        raise InputError("--token: the token must have at least 8 characters")


def serve(data_dir: str | Path, host: str = "127.0.0.1", port: int = 8000,
          token: str | None = None, log_level: str = "warning", **options) -> None:
    """Run the app with uvicorn until Ctrl-C (``gazelearn server``)."""
    import uvicorn

    check_binding(host, token)
    app = create_app(data_dir, token, **options)
    max_bytes = int(options.get("max_upload_bytes", 2_000_000))
    # uvicorn drops messages over twice the limit itself; the app answers the ones in between
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level,
                            ws_max_size=2 * max_bytes + 8192, ws="websockets-sansio")
    uvicorn.Server(config).run()
