"""Keep MediaPipe's and TensorFlow Lite's C++ log lines out of gazelearn's output.

MediaPipe writes absl log lines (``W0000 00:00:... inference_feedback_manager.cc:114] ...``,
``WARNING: All log messages before absl::InitializeLog() ...``) and TensorFlow Lite its
``INFO: Created TensorFlow Lite XNNPACK delegate for CPU.`` from C++ straight to file
descriptor 2, while graphs are built and while frames are processed, from MediaPipe's own
threads; ``GLOG_minloglevel`` and ``TF_CPP_MIN_LOG_LEVEL`` (set too) no longer reach absl's
logging. So :func:`quiet_native_logs` (called once, by :class:`~gazelearn.webcam.FaceLandmarker`,
the one place MediaPipe is built) points descriptor 2 at a pipe whose reader thread drops
those informational lines (severity I and W; errors and fatal lines pass) and forwards
everything else unchanged, and gives Python's ``sys.stderr`` its own descriptor on the
original stream, so progress bars and colours still see the terminal. Set
``GAZELEARN_VERBOSE=1`` (the apps' ``--verbose``) to keep every line.
"""

from __future__ import annotations

import atexit
import os
import re
import sys
import threading

#: absl/glog's prefix: severity, MMDD, time, thread id, file:line]
_LOG_LINE = re.compile(rb"^[IW]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ [^\]]+\] ")
_DROPPED = (b"INFO: Created TensorFlow Lite", b"WARNING: All log messages before absl::")
_state: dict = {}
_lock = threading.Lock()


def is_native_log(line: bytes) -> bool:
    """True for a MediaPipe/TFLite informational or warning line (dropped unless verbose).

    Examples
    --------
    >>> is_native_log(b"W0000 00:00:1796175598.123509    1991 landmark_projection_calculator"
    ...               b".cc:186] Using NORM_RECT without IMAGE_DIMENSIONS\\n")
    True
    >>> is_native_log(b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\\n")
    True
    >>> is_native_log(b"E0000 00:00:1796175598.1 1991 calculator_graph.cc:887] failed\\n")
    False
    >>> is_native_log(b"error: the video has no frames\\n")
    False
    """
    return bool(_LOG_LINE.match(line)) or line.startswith(_DROPPED)


def _could_become_log(partial: bytes) -> bool:
    """A line start that may still turn into a dropped line (wait for its end)."""
    if partial[:1] in (b"I", b"W"):
        return all(c in b"0123456789 :." for c in partial[1:16]) or any(
            d.startswith(partial[:len(d)]) for d in _DROPPED)
    return False


def _write(out_fd: int, data: bytes) -> None:
    # a closed stream (``2>&1 | head``) must not stop the reader: writers to the pipe would block
    try:
        os.write(out_fd, data)
    except OSError:
        pass


def _forward(read_fd: int, out_fd: int) -> None:
    pending = b""
    while True:
        try:
            chunk = os.read(read_fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        pending += chunk
        lines = pending.split(b"\n")
        pending = lines.pop()
        kept = b"".join(line + b"\n" for line in lines if not is_native_log(line + b"\n"))
        if pending and not _could_become_log(pending):  # progress output without a newline
            kept, pending = kept + pending, b""
        if kept:
            _write(out_fd, kept)
    if pending and not is_native_log(pending):
        _write(out_fd, pending)
    os.close(read_fd)


def quiet_native_logs() -> bool:
    """Filter MediaPipe/TFLite log lines out of descriptor 2 from now on (once per process).

    Returns True when the filter is (already) in place, False when ``GAZELEARN_VERBOSE`` is
    set or descriptor 2 cannot be redirected.
    """
    if os.environ.get("GAZELEARN_VERBOSE", "").strip() not in ("", "0"):
        return False
    with _lock:
        if _state:
            return True
        os.environ.setdefault("GLOG_minloglevel", "2")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        try:
            original = os.dup(2)
            read_fd, write_fd = os.pipe()
        except OSError:  # pragma: no cover - no descriptor 2 (a daemon)
            return False
        python_on_fd2 = _uses_fd2(sys.stderr)
        if python_on_fd2:
            sys.stderr.flush()
        pipe = os.fstat(write_fd)
        os.dup2(write_fd, 2)
        os.close(write_fd)
        thread = threading.Thread(target=_forward, args=(read_fd, original),
                                  name="gazelearn-native-logs", daemon=True)
        thread.start()
        _state.update(original=original, thread=thread, stderr=sys.stderr,
                      pipe=(pipe.st_dev, pipe.st_ino))
        if python_on_fd2:  # Python's own output goes straight to the original stream
            stream = sys.stderr
            sys.stderr = open(os.dup(original), "w", buffering=1,  # noqa: SIM115
                              encoding=stream.encoding, errors=stream.errors)
        atexit.register(_restore)
    return True


def _uses_fd2(stream) -> bool:
    try:
        return stream is not None and stream.fileno() == 2
    except (AttributeError, OSError, ValueError):  # a test runner's capture object
        return False


def _restore() -> None:
    """Descriptor 2 back to the original stream; the reader forwards what is left, then ends."""
    with _lock:
        if not _state:
            return
        try:
            sys.stderr.flush()
        except (AttributeError, OSError, ValueError):  # pragma: no cover
            pass
        # only if descriptor 2 is still the pipe: a test runner may have put its own back
        current = os.fstat(2)
        if (current.st_dev, current.st_ino) == _state["pipe"]:
            os.dup2(_state["original"], 2)  # closes the pipe's last write end of this process
            _state["thread"].join(timeout=2.0)
        if sys.stderr is not _state["stderr"] and _uses_fd2(_state["stderr"]):
            sys.stderr = _state["stderr"]
        _state.clear()
