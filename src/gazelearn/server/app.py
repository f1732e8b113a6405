"""The FastAPI app: pages, the collection API, the gaze WebSocket, and the safety checks.

Routes (``{p}`` is a person)::

    GET  /  /collect  /calibrate           the pages (static HTML/JS in server/static, no CDN)
    GET  /api/config                       settings the pages need
    POST /api/measurements                 {"person", "screen": [w, h], "consent": true}
    POST /api/frames?person&measurement&x&y&screen_w&screen_h[&dot_radius&dot_color&client_time]
                                           body: the JPEG/PNG frame -> file + SQLite row
                                           (flagged when MediaPipe finds no face in it)
    GET  /api/persons                      persons with their measurement and frame counts
    POST /api/persons/{p}/export[?measurement&crops]   write the manifest CSV
    DELETE /api/persons/{p}                delete the person's files and rows
    GET  /api/persons/{p}/sessions/{file}  a recorded session (CSV, its .csv.json sidecar) or
                                           its heat map (PNG)
    WS   /ws/gaze                          frames in, gaze out (protocol in docs/server.md)

With a token every ``/api`` and ``/ws`` request must carry it (``X-Gazelearn-Token`` header or
``token`` query parameter); the pages themselves hold no data and are served without it.
Around it all, :class:`~gazelearn.server.guard.Guard` answers only to the served address
(``Host``, ``Origin``: no other site, no DNS rebinding), takes only JSON (images on
``/api/frames``) of bounded size on POST/PUT/DELETE, sends the security headers and logs
every request. Bad input of any kind is a 4xx with ``{"error": message}``.

Examples
--------
>>> import tempfile
>>> from fastapi.testclient import TestClient
>>> client = TestClient(create_app(tempfile.mkdtemp(), token="s3cret"),
...                     base_url="http://127.0.0.1:8000")
>>> client.get("/api/persons").status_code, client.get("/api/persons?token=s3cret").json()
(401, [])
>>> client.get("/api/persons?token=s3cret", headers={"Host": "evil.example"}).status_code
400
"""

from __future__ import annotations

import math
import os
import re
import secrets
import socket
import threading
from pathlib import Path
from typing import Annotated

import anyio
from fastapi import FastAPI, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from gazelearn.errors import InputError
from gazelearn.server.guard import Guard, logger, served_names
from gazelearn.server.live import (
    APPEARANCE_FRAMES,
    decode_jpeg,
    screen_pixels,
    session_mapper,
)
from gazelearn.server.protocol import (  # noqa: F401 - frame_message is public here too
    GazeConnection,
    frame_message,
    split_frame_message,
)
from gazelearn.server.ratelimit import RateLimiter
from gazelearn.server.storage import Storage, check_person, image_size

STATIC = Path(__file__).parent / "static"
PAGES = {"/": "index.html", "/collect": "collect.html", "/calibrate": "calibrate.html"}

#: Largest JSON body (a measurement is about 100 bytes).
MAX_JSON_BYTES = 1_000_000
#: What an upload of a frame may declare (checked against the bytes themselves).
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "application/octet-stream"})
_MAGIC_OF = {"image/jpeg": ".jpg", "image/png": ".png"}

#: A measurement id in a query: digits only (``1.9`` and ``1e30`` are refused, not cut).
_ID = re.compile(r"[0-9]{1,9}")

_Size = Annotated[float, Field(gt=0, le=20_000, allow_inf_nan=False)]


class MeasurementRequest(BaseModel):
    """The body of ``POST /api/measurements`` (every field checked: finite, bounded, typed)."""

    model_config = ConfigDict(extra="forbid")
    person: Annotated[str, Field(max_length=64)]
    consent: Annotated[bool, Field(strict=True)] = False
    screen: tuple[_Size, _Size]
    n_dots: Annotated[int | None, Field(strict=True, ge=1, le=100_000)] = None


def validation_message(error: ValidationError) -> str:
    """One line from pydantic's errors: the first field and what it must be.

    Examples
    --------
    >>> try:
    ...     MeasurementRequest.model_validate_json('{"person": "a", "screen": [1e400, 9]}')
    ... except ValidationError as error:
    ...     print(validation_message(error))
    screen.0: Input should be a finite number
    """
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "body"
    return f"{where}: {first['msg']}"


def _token_of(request_or_socket) -> str | None:
    return (request_or_socket.headers.get("x-gazelearn-token")
            or request_or_socket.query_params.get("token"))


def _number(params, name: str, required: bool = True, low: float = -1e6,
            high: float = 1e6) -> float | None:
    value = params.get(name)
    if value in (None, ""):
        if required:
            raise InputError(f"missing query parameter {name!r}", field=name)
        return None
    try:
        number = float(value)
    except ValueError:
        raise InputError(f"{name} must be a number, got {value[:30]!r}", field=name) from None
    if not (math.isfinite(number) and low <= number <= high):
        raise InputError(f"{name} must be a finite number in [{low:g}, {high:g}], got "
                         f"{value[:30]!r}", field=name)
    return number


def _whole(params, name: str, low: int, high: int) -> int:
    value = params.get(name, "")
    if not _ID.fullmatch(value) or not low <= int(value) <= high:
        raise InputError(f"{name} must be a whole number in {low}..{high}, got {value[:30]!r}",
                         field=name)
    return int(value)


class FaceCheck:
    """Whether an uploaded frame shows a face: one still-image MediaPipe landmarker for the
    app (about 5 ms a frame; it is not thread-safe, so one upload at a time uses it).

    Loading MediaPipe takes seconds: :func:`serve` loads it before the app answers; an app
    made by :func:`create_app` alone starts loading it in a background thread on the first
    new measurement, and frames uploaded before it is ready are stored unchecked (``None``)
    and flagged by that thread as soon as it is (:meth:`Storage.set_face`), so no upload
    waits.
    """

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._lock = threading.Lock()
        self._marker = None
        self._loading: threading.Thread | None = None
        self._pending: list[tuple[int, bytes]] = []

    def warm_up(self) -> None:
        """Load MediaPipe now (in this thread)."""
        self.start()
        self._loading.join()

    def start(self) -> None:
        with self._lock:
            if self._loading is None:
                self._loading = threading.Thread(target=self._load, daemon=True,
                                                 name="gazelearn-face-check")
                self._loading.start()

    def _load(self) -> None:
        from gazelearn.webcam.landmarks import FaceLandmarker

        marker = FaceLandmarker(static_image_mode=True)
        with self._lock:
            self._marker = marker
            pending, self._pending = self._pending, []
        for frame_id, image in pending:
            face = self(image)
            if face is not None:
                self.storage.set_face(frame_id, face)

    def __call__(self, image: bytes) -> bool | None:
        """True or False once MediaPipe is ready, None before."""
        if self._marker is None:
            self.start()
            return None
        frame = decode_jpeg(image)
        with self._lock:
            return self._marker.detect(frame) is not None

    def later(self, frame_id: int, image: bytes) -> None:
        """Check a frame stored unchecked as soon as MediaPipe is ready."""
        with self._lock:
            if self._marker is None:
                self._pending.append((frame_id, image))
                return
        face = self(image)
        if face is not None:
            self.storage.set_face(frame_id, face)


def create_app(data_dir: str | Path, token: str | None = None, *,
               max_upload_bytes: int = 2_000_000, upload_rate: float = 20.0,
               frame_rate: float = 60.0, dots_per_measurement: int = 100,
               pipeline_workers: int | None = None, host: str = "127.0.0.1",
               port: int | None = None, allowed_hosts: tuple[str, ...] = (),
               measurement_rate: float = 2.0, text_rate: float = 20.0,
               check_faces: bool = True, max_error_pct: float | None = 10.0,
               gaze_model: str = "geometry",
               appearance_frames: int = APPEARANCE_FRAMES) -> FastAPI:
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
    host, port : str, int, optional
        The address the app is served on: requests must name it (``Host``) and come from its
        own pages (``Origin``); loopback names are always accepted, any port when ``port``
        is None.
    allowed_hosts : tuple of str
        More host names the app answers to (a reverse proxy's, say).
    measurement_rate : float
        New measurements per second per client address (bursts of 5 times that).
    text_rate : float
        WebSocket control messages per second per connection (bursts of twice that).
    check_faces : bool
        Flag uploaded frames without a face (:class:`FaceCheck`); False stores them
        unchecked.
    max_error_pct : float or None
        A calibration whose mean validation error is above this % of the screen is refused
        (not saved as the person's profile, flagged on the page) unless the page's ``fit``
        message names its own limit (``?max_error=`` of the calibration page); None or 100: no
        limit.
    gaze_model : {"geometry", "landmarks"}
        What a session's calibration fits: the eyeball geometry (the default, as ``gazelearn
        track --calibrate``) or the landmark regressor (:func:`~gazelearn.server.live.
        session_mapper`).
    appearance_frames : int
        With ``geometry``: usable calibration frames (a pursuit gives them) from which the
        geometry is blended with eye-crop CNNs trained on the session's frames, as
        ``gazelearn track --calibrate --appearance-frames`` (0: never). Training them makes
        the ``fit`` answer take a few minutes on a laptop's CPU.
    """
    # an unknown name is refused now, not at the first session
    session_mapper(gaze_model, appearance_frames)
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
    face_check = app.state.face_check = FaceCheck(storage)
    measurement_buckets: dict[str, RateLimiter] = {}

    def authorised(source) -> bool:
        if token is None:
            return True
        given = _token_of(source) or ""
        return secrets.compare_digest(given.encode(), token.encode())

    def limited(buckets: dict, request: Request, rate: float, burst: float) -> bool:
        client = request.client.host if request.client else "?"
        if client not in buckets and len(buckets) > 10_000:  # bounded memory
            buckets.clear()
        return not buckets.setdefault(client, RateLimiter(rate, burst)).allow()

    def body_rules(path: str) -> tuple[frozenset[str], int]:
        if path == "/api/frames":
            return IMAGE_TYPES, max_upload_bytes
        return frozenset({"application/json"}), MAX_JSON_BYTES

    @app.middleware("http")
    async def _token_guard(request: Request, call_next):
        if request.url.path.startswith("/api/") and not authorised(request):
            return JSONResponse({"error": "missing or wrong token"}, status_code=401)
        return await call_next(request)

    @app.exception_handler(InputError)
    async def _input_error(request: Request, error: InputError):
        return JSONResponse({"error": str(error)}, status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException):
        # the one shape of every error answer: {"error": message}
        return JSONResponse({"error": str(error.detail)}, status_code=error.status_code,
                            headers=error.headers)

    @app.exception_handler(ValidationError)
    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, error):
        return JSONResponse({"error": validation_message(error)}, status_code=422)

    # outermost (the last added): host/origin, content types, sizes, headers, log, 500s
    app.add_middleware(Guard, names=served_names(host, allowed_hosts), port=port,
                       body_rules=body_rules)

    for route, page in PAGES.items():
        def serve_page(page: str = page) -> FileResponse:
            return FileResponse(STATIC / page, media_type="text/html")
        app.add_api_route(route, serve_page, methods=["GET"], include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/api/config")
    def config() -> dict:
        return {"dots_per_measurement": dots_per_measurement, "max_upload_bytes":
                max_upload_bytes, "frame_rate": frame_rate, "token_required": token is not None,
                "max_validation_error_pct": max_error_pct}

    @app.post("/api/measurements", status_code=201)
    async def new_measurement(request: Request):
        if limited(measurement_buckets, request, measurement_rate, 5 * measurement_rate):
            return JSONResponse({"error": "too many new measurements; slow down"},
                                status_code=429)
        body = MeasurementRequest.model_validate_json(await request.body() or b"null")
        if body.consent is not True:
            raise InputError("the person must consent first (\"consent\": true)",
                             field="consent")
        screen = screen_pixels(body.screen)
        n_dots = min(body.n_dots or dots_per_measurement, dots_per_measurement)
        ident = storage.new_measurement(check_person(body.person), screen,
                                        request.headers.get("user-agent", ""), n_dots)
        if check_faces:
            face_check.start()  # MediaPipe loads while the person reads the first dot
        return {"measurement": ident, "dots": n_dots}

    @app.post("/api/frames", status_code=201)
    async def add_frame(request: Request):
        if limited(upload_buckets, request, upload_rate, upload_rate):
            return JSONResponse({"error": "too many uploads; slow down"}, status_code=429)
        image = await request.body()  # bounded by the guard (413 beyond max_upload_bytes)
        declared = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
        suffix, _ = image_size(image)  # the bytes themselves: JPEG or PNG, header-checked size
        if declared in _MAGIC_OF and _MAGIC_OF[declared] != suffix:
            raise InputError(f"the body is a {suffix[1:].upper()} image, not the {declared} "
                             "it declares", field="body")
        params = request.query_params
        person = check_person(params.get("person", ""))
        measurement = _whole(params, "measurement", 1, 2**31 - 1)
        target = (_number(params, "x"), _number(params, "y"))
        screen = (_whole(params, "screen_w", 1, 20_000), _whole(params, "screen_h", 1, 20_000))
        dot_color = params.get("dot_color")
        if dot_color is not None and len(dot_color) > 40:
            raise InputError("dot_color must be at most 40 characters", field="dot_color")
        client_time = _number(params, "client_time", False, -1e13, 1e13)
        dot_radius = _number(params, "dot_radius", False, 0, 1e4)

        def save() -> dict:
            # flagged at capture: a frame without a face is kept (the person looked at the
            # dot) but counted, so the page can say so and the summary shows it
            return storage.add_frame(
                person, measurement, image, target, screen, client_time=client_time,
                dot_radius=dot_radius, dot_color=dot_color,
                face=face_check(image) if check_faces else None,
                browser=request.headers.get("user-agent", ""))

        row = await anyio.to_thread.run_sync(save)
        if row["face"] is None and check_faces:
            face_check.later(row["id"], image)
        return JSONResponse({"id": row["id"], "index": row["idx"], "path": row["path"],
                             "face": None if row["face"] is None else bool(row["face"])},
                            status_code=201)

    @app.get("/api/persons")
    def persons() -> list:
        rows = storage.measurements()
        return [{"person": p, "measurements": sum(r["person"] == p for r in rows),
                 "frames": sum(r["frames"] for r in rows if r["person"] == p),
                 "no_face": sum(r["no_face"] for r in rows if r["person"] == p),
                 "profile": storage.profile_path(p).is_file()} for p in storage.persons()]

    @app.get("/api/persons/{person}/measurements")
    def measurements(person: str) -> list:
        return storage.measurements(check_person(person))

    @app.post("/api/persons/{person}/export")
    def export(person: str, measurement: Annotated[int | None, Query(ge=1, le=2**31 - 1)]
               = None, crops: bool = False) -> dict:
        folder = storage.person_dir(person) / "export"
        name = f"manifest-m{measurement:04d}.csv" if measurement else "manifest.csv"
        result = storage.export_manifest(folder / name, person, measurement, crops=crops)
        return {**result, "manifest": result["manifest"].relative_to(storage.root).as_posix()}

    @app.delete("/api/persons/{person}")
    def delete_person(person: str):
        removed = storage.delete_person(person)
        if not any(removed.values()):
            return JSONResponse({"error": f"nothing matched person {person!r}"},
                                status_code=404)
        return removed

    @app.get("/api/persons/{person}/sessions/{name}")
    def session_file(person: str, name: str) -> FileResponse:
        folder = storage.person_dir(person) / "sessions"
        path = folder / name
        # the recording, its sidecar (person, screen geometry: what `events detect` needs)
        # and its heat map
        if path.parent != folder or not name.endswith((".csv", ".csv.json", ".png")) \
                or not path.is_file():
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
        handler = GazeConnection(websocket, storage, max_upload_bytes, frame_rate,
                                 app.state.limiter, text_rate=text_rate,
                                 max_error_pct=max_error_pct, gaze_model=gaze_model,
                                 appearance_frames=appearance_frames)
        try:
            await handler.run()
        except WebSocketDisconnect:
            pass
        finally:
            handler.close()

    return app


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
    if not is_loopback(host) and not (token or "").strip():
        # options, not columns: named in the message rather than as an InputError field
        raise InputError(f"--host {host}: binding to {host} makes the app reachable from other "
                         "machines; give a --token (or bind to 127.0.0.1)")
    # a token of spaces is no secret: its length counts without the blanks around it
    if token is not None and len(token.strip()) < 8:
        raise InputError("--token: the token must have at least 8 characters (blanks around "
                         "it not counted)")


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``, or :class:`InputError` at once (port in use, no
    such address) -- before anything is announced or written.

    Examples
    --------
    >>> taken = bind_socket("127.0.0.1", 0)
    >>> bind_socket("127.0.0.1", taken.getsockname()[1])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gazelearn.errors.InputError: cannot listen on 127.0.0.1:...: ...
    >>> taken.close()
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host.strip("[]"), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(family, kind, proto)
    except OSError as error:
        raise InputError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    try:
        # as uvicorn does: a restart may reuse a port still in TIME_WAIT (not one in use)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as error:
        sock.close()
        raise InputError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    sock.set_inheritable(True)
    return sock


def serve(data_dir: str | Path, host: str = "127.0.0.1", port: int = 8000,
          token: str | None = None, log_level: str = "warning", announce=None,
          **options) -> None:
    """Run the app with uvicorn until Ctrl-C (``gazelearn server``).

    The port is bound first: a busy port fails at once, before ``announce()`` (the CLI's "app
    on http://..." line) and before the data directory or its index is created. Requests are
    logged (method, path, status, ms) on the ``gazelearn.server`` logger, to stderr unless the
    caller configured that logger.
    """
    import logging

    import uvicorn

    check_binding(host, token)
    sock = bind_socket(host, port)
    try:
        app = create_app(data_dir, token, host=host, port=sock.getsockname()[1], **options)
    except BaseException:
        sock.close()
        raise
    try:
        if options.get("check_faces", True):
            app.state.face_check.warm_up()  # before any upload: each is checked at once
    except BaseException:
        sock.close()
        raise
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    if announce is not None:
        announce()
    max_bytes = int(options.get("max_upload_bytes", 2_000_000))
    # uvicorn drops messages over twice the limit itself; the app answers the ones in between
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level,
                            ws_max_size=2 * max_bytes + 8192, ws="websockets-sansio")
    uvicorn.Server(config).run(sockets=[sock])
