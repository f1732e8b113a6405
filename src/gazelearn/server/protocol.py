"""The ``/ws/gaze`` protocol: binary frame messages and one connection's handler.

A control message is a JSON object with a ``type`` (``hello``, ``ping``, ``calibrate``,
``fit``, ``record``, ``stop``, ``drift``, ``screen``; see docs/server.md); a frame is a
binary message made by :func:`frame_message`. Every message gets an answer: a bad one (not
JSON, an unknown type, a field of the wrong kind, too large, too many per second) an
``{"type": "error", "message": ...}`` and the connection goes on; an unexpected failure is
logged (logger ``gazelearn.server``, with its traceback) and answered with an ``internal``
error.

Examples
--------
>>> hello = parse_control('{"type": "hello", "person": "ada", "screen": [800, 600]}')
>>> hello["type"], hello["screen"]
('hello', [800, 600])
>>> parse_control('{"type": "calibrate", "points": "abc"}')
Traceback (most recent call last):
...
gazelearn.errors.InputError: column 'points': calibrate: points must be an integer, got 'abc'
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import struct
import time
from pathlib import Path

import anyio
from fastapi import WebSocket, WebSocketDisconnect

from gazelearn.errors import InputError
from gazelearn.io.delimited import sidecar_path
from gazelearn.server.live import (
    APPEARANCE_FRAMES,
    MAX_ERROR_PCT,
    LiveSession,
    decode_jpeg,
    make_screen,
    session_mapper,
)
from gazelearn.server.ratelimit import RateLimiter
from gazelearn.server.storage import Storage, check_person

logger = logging.getLogger("gazelearn.server")

#: Largest control (text) message, in bytes: the biggest real one (hello) is about 200.
MAX_TEXT_BYTES = 64 * 1024

_KINDS = ("hello", "ping", "calibrate", "fit", "record", "stop", "drift", "screen")


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


def _integer(message: dict, name: str, default: int, low: int, high: int) -> int:
    value = message.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{message['type']}: {name} must be an integer, got "
                         f"{str(value)[:30]!r}", field=name)
    if not low <= value <= high:
        raise InputError(f"{message['type']}: {name} must be {low}..{high}, got {value}",
                         field=name)
    return value


def _real(message: dict, name: str, default, low: float, high: float,
          optional: bool = False) -> float | None:
    value = message.get(name, default)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise InputError(f"{message['type']}: {name} must be a number, got {str(value)[:30]!r}",
                         field=name)
    if not low <= value <= high:
        raise InputError(f"{message['type']}: {name} must be {low:g}..{high:g}, got {value}",
                         field=name)
    return float(value)


def _pair(message: dict, name: str, low: float, high: float) -> list[float]:
    value = message.get(name)
    if (not isinstance(value, list) or len(value) != 2
            or any(isinstance(v, bool) or not isinstance(v, (int, float)) or v != v
                   or not low <= v <= high for v in value)):
        raise InputError(f"{message['type']}: {name} must be [x, y], numbers in "
                         f"{low:g}..{high:g}, got {str(value)[:40]!r}", field=name)
    return [float(v) for v in value]


def parse_control(text: str) -> dict:
    """A control message checked field by field (:class:`InputError` naming the field)."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_TEXT_BYTES:
        raise InputError(f"control message larger than {MAX_TEXT_BYTES} bytes")
    try:
        message = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise InputError("control messages are JSON objects") from None
    if not isinstance(message, dict):
        raise InputError("control messages are JSON objects")
    kind = message.get("type")
    if kind not in _KINDS:
        raise InputError(f"unknown message type {str(kind)[:30]!r}; expected one of "
                         f"{', '.join(_KINDS)}", field="type")
    if kind == "calibrate":
        message["points"] = _integer(message, "points", 9, 0, 100)
        message["validation"] = _integer(message, "validation", 5, 0, 25)
        message["frames"] = (None if message.get("frames") is None
                             else _integer(message, "frames", 0, 1, 100))
        message["fixation_ms"] = _integer(message, "fixation_ms", 0, 0, 2000)
        message["max_wait_ms"] = _integer(message, "max_wait_ms", 2000, 0, 10_000)
        message["pursuit_s"] = _real(message, "pursuit_s", 0, 0, 120)
        message["settle_s"] = _real(message, "settle_s", 1.0, 0, 10)
        if message.get("screen") is not None:
            message["screen"] = _pair(message, "screen", 1, 20_000)
    elif kind == "fit":
        # absent: the server's limit (gazelearn server --max-validation-error-pct); null: none
        if "max_error_pct" in message:
            message["max_error_pct"] = _real(message, "max_error_pct", None, 0, 100,
                                             optional=True)
    elif kind == "drift":
        if message.get("apply", False) is True:
            message["apply"] = True
        elif message.get("apply", False) is not False:
            raise InputError("drift: apply must be true or false", field="apply")
        else:
            message["apply"] = False
            message["target"] = _pair(message, "target", -1e5, 1e5)
    elif kind == "screen":
        message["screen"] = _pair(message, "screen", 1, 20_000)
    elif kind == "record":
        if not isinstance(message.get("on", True), bool):
            raise InputError("record: on must be true or false", field="on")
    elif kind == "hello":
        for name in ("load_profile",):
            if not isinstance(message.get(name, False), bool):
                raise InputError(f"hello: {name} must be true or false", field=name)
        if not isinstance(message.get("filter", "one_euro"), str):
            raise InputError("hello: filter must be a name", field="filter")
    elif kind == "ping" and not isinstance(message.get("t"), (int, float, str, type(None))):
        raise InputError("ping: t must be a number or a string", field="t")
    return message


class GazeConnection:
    """The WebSocket protocol of ``/ws/gaze`` around one :class:`LiveSession`.

    A reader task takes messages off the socket and a worker processes them in order. Live
    frames never queue: when a newer live frame arrives while an older one still waits, the
    older one is answered at once with ``"skipped": true`` and dropped, so a client that sends
    faster than the machine keeps up gets fresh gaze (and a count of skipped frames) instead of
    an ever-growing delay. Calibration frames and control messages are never skipped.
    """

    def __init__(self, websocket: WebSocket, storage: Storage, max_bytes: int,
                 frame_rate: float, limiter=None, text_rate: float = 20.0,
                 max_error_pct: float | None = MAX_ERROR_PCT,
                 gaze_model: str = "geometry",
                 appearance_frames: int = APPEARANCE_FRAMES) -> None:
        self.websocket = websocket
        self.max_error_pct = max_error_pct
        self.gaze_model = gaze_model
        self.appearance_frames = appearance_frames
        self.limiter = limiter
        self.storage = storage
        self.max_bytes = max_bytes
        self.bucket = RateLimiter(frame_rate, burst=max(2.0, frame_rate / 2))
        self.text_bucket = RateLimiter(text_rate, burst=max(2.0, 2 * text_rate))
        self.session: LiveSession | None = None
        self.person: str | None = None
        self.lease: int | None = None  # Storage.open_lease of the person's hello
        self.inbox: collections.deque = collections.deque()
        self.wake = asyncio.Event()
        self.sending = asyncio.Lock()

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
        if self.lease is not None:
            self.storage.close_lease(self.lease)
            self.lease = None

    async def send(self, message: dict) -> None:
        async with self.sending:  # the reader and the worker both answer
            await self.websocket.send_text(json.dumps(message))

    async def fail(self, error: BaseException, reply: dict) -> None:
        """Answer a message that failed: its own words for bad input, a logged traceback and
        a generic answer for anything else (the connection goes on either way)."""
        if isinstance(error, InputError):
            await self.send({"type": "error", "message": str(error), **reply})
            return
        logger.error("internal error on /ws/gaze", exc_info=error)
        await self.send({"type": "error", "code": "internal", **reply,
                         "message": "internal server error (logged on the server)"})

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
                        await self.on_text(message["text"])
                except Exception as error:  # noqa: BLE001 - every message is answered
                    await self.fail(error, {})
        finally:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await worker

    async def on_text(self, text: str) -> None:
        """Size and rate first (they cost nothing), then into the inbox."""
        if len(text) > MAX_TEXT_BYTES:
            raise InputError(f"control message larger than {MAX_TEXT_BYTES} bytes")
        if not self.text_bucket.allow():
            await self.send({"type": "error", "code": "rate_limited",
                             "message": "too many control messages per second; dropped"})
            return
        self.inbox.append(("text", text))
        self.wake.set()

    async def on_frame(self, data: bytes) -> None:
        """Checks that cost nothing (size, header, rate), then into the inbox."""
        received = time.perf_counter()
        if len(data) > self.max_bytes:
            raise InputError(f"frame larger than {self.max_bytes} bytes")
        header, image = split_frame_message(data)
        reply = {"seq": _echo(header.get("seq")), "t": _echo(header.get("t"))}
        if not self.bucket.allow():
            await self.send({"type": "error", "code": "rate_limited", **reply,
                             "message": "too many frames per second; frame dropped"})
            return
        phase = header.get("phase", "live")
        if phase == "live":
            for item in [i for i in self.inbox if i[0] == "live"]:
                self.inbox.remove(item)
                await self.send({"type": "gaze", "skipped": True, "valid": False, "x": None,
                                 "y": None, **item[3]})
        self.inbox.append(("live" if phase == "live" else "frame", header, image, reply,
                           received))
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
                except Exception as error:  # noqa: BLE001 - the worker must live on
                    await self.fail(error, item[3] if item[0] != "text" else {})

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
        message = parse_control(text)
        kind = message["type"]
        if kind == "hello":
            await self.hello(message)
            return
        if kind == "ping":
            await self.send({"type": "pong", "t": _echo(message.get("t"))})
            return
        if self.session is None:
            raise InputError("say hello first (person and screen)")
        session = self.session
        if kind == "calibrate":
            targets = session.start_calibration(
                message["points"], message["validation"], frames=message["frames"],
                fixation_s=message["fixation_ms"] / 1000, max_wait_s=message["max_wait_ms"] / 1000,
                pursuit_s=message["pursuit_s"], settle_s=message["settle_s"],
                screen=message.get("screen"))
            await self.send({"type": "targets", **targets})
        elif kind == "fit":
            report = await anyio.to_thread.run_sync(
                lambda: session.fit({"user": self.person},
                                    message.get("max_error_pct", self.max_error_pct)))
            # a refused calibration (validation error over the limit) does not replace the
            # person's saved profile; the session keeps it, flagged, until a recalibration
            saved = report["accepted"] is not False
            if saved:
                self.save_profile()
            await self.send({"type": "report", "report": report, "profile_saved": saved})
        elif kind == "drift":
            if message["apply"]:
                result = await anyio.to_thread.run_sync(session.apply_drift)
                await self.send({"type": "drift", "applied": True, **result,
                                 "profile_saved": self.save_profile()})
            else:
                session.start_drift(message["target"])
                await self.send({"type": "drift", "applied": False,
                                 "target": message["target"]})
        elif kind == "screen":
            session.set_screen(message["screen"])
            await self.send({"type": "screen", "screen": list(session.screen.size_px)})
        elif kind == "record":
            session.set_recording(message.get("on", True))
            await self.send({"type": "recording", "on": session.recording})
        else:  # stop
            await self.send(await anyio.to_thread.run_sync(self.stop))

    async def hello(self, message: dict) -> None:
        from gazelearn.webcam.calibration import CalibrationProfile
        from gazelearn.webcam.filters import make_filter

        person = check_person(message.get("person"))
        screen = make_screen(message.get("screen"), message.get("screen_mm"),
                             message.get("distance_mm"))
        filter_name = message.get("filter", "one_euro")
        make_filter(filter_name)  # an unknown name is refused now, not at the first frame
        profile = None
        path = self.storage.profile_path(person)
        if message.get("load_profile") and path.is_file():
            profile = CalibrationProfile.load(path)
        self.close()  # a second hello: the former person's session and lease end
        self.lease = self.storage.open_lease(person)
        self.session = LiveSession(screen, filter=filter_name, profile=profile,
                                   mapper=session_mapper(self.gaze_model,
                                                         self.appearance_frames))
        self.person = person
        await anyio.to_thread.run_sync(self.session.warm_up)
        await self.send({"type": "ready", "person": person, "profile": profile is not None,
                         "report": self.session.report(),
                         "profile_screen": None if profile is None else list(profile.screen_px),
                         # calibration frames from which the fit also trains eye-crop CNNs
                         # (0: never), so the page can say why the fit takes minutes
                         "appearance_frames": self.appearance_frames
                         if self.gaze_model == "geometry" else 0})

    def save_profile(self) -> bool:
        """Save the session's profile as the person's unless its calibration was refused."""
        profile = self.session.profile
        if profile is None or profile.meta.get("accepted") is False:
            return False
        # in one write transaction with a re-check that the person was not deleted meanwhile
        # (`collection delete` in another process): never a profile of a deleted person
        with self.storage.person_writes(self.person, self.lease):
            profile.save(_ensure_parent(self.storage.profile_path(self.person)))
        self.session.changed = False
        return True

    def stop(self) -> dict:
        if self.session.changed:  # clicks refined the profile during the session
            self.save_profile()
        with self.storage.person_writes(self.person, self.lease) as db:  # as save_profile
            csv_path, png_path = self.storage.new_session_paths(self.person)
            result = self.session.finish(csv_path, png_path, person=self.person)
            self.storage.add_session(self.person, result["samples"], result["recording"],
                                     result["heatmap"], db=db)
        base = f"/api/persons/{self.person}/sessions/"
        return {"type": "session", "samples": result["samples"], "valid": result["valid"],
                "recording": base + csv_path.name,
                "sidecar": base + sidecar_path(csv_path).name,
                "heatmap": None if result["heatmap"] is None else base + png_path.name}


def _echo(value):
    """A header's ``seq``/``t`` as echoed back: numbers and short strings only."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value if value == value and abs(value) != float("inf") else None
    return value[:64] if isinstance(value, str) else None


def _ensure_parent(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
