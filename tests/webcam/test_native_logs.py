"""The filter of MediaPipe's C++ log lines: what it drops, what it passes, unchanged."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

from gazelearn.webcam.native_logs import _forward

NOISE = (b"WARNING: All log messages before absl::InitializeLog() is called are written to "
         b"STDERR\n"
         b"W0000 00:00:1796175598.123509    1991 inference_feedback_manager.cc:114] Feedback "
         b"manager requires a model with a single signature inference.\n"
         b"I0000 00:00:1796175598.1 1991 gl_context.cc:357] GL version: 3.2\n"
         b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n")


def _filtered(chunks: list[bytes]) -> bytes:
    """What ``_forward`` passes on when ``chunks`` are written to its pipe one by one."""
    read_in, write_in = os.pipe()
    read_out, write_out = os.pipe()
    thread = threading.Thread(target=_forward, args=(read_in, write_out))
    thread.start()
    for chunk in chunks:
        os.write(write_in, chunk)
    os.close(write_in)
    thread.join(timeout=10)
    os.close(write_out)
    with os.fdopen(read_out, "rb") as handle:
        return handle.read()


def test_log_lines_are_dropped_and_the_rest_passes_unchanged():
    error = b"E0000 00:00:1796175598.2 1991 calculator_graph.cc:887] INTERNAL: failed\n"
    kept = b"a line of the program\nWith a W and digits: W1234 is not a log line\n"
    assert _filtered([NOISE[:40], NOISE[40:] + error, kept]) == error + kept


def test_progress_without_a_newline_is_not_held_back():
    read_in, write_in = os.pipe()
    read_out, write_out = os.pipe()
    thread = threading.Thread(target=_forward, args=(read_in, write_out), daemon=True)
    thread.start()
    os.write(write_in, b"\r 40% |####      |")
    assert os.read(read_out, 100) == b"\r 40% |####      |"  # arrives before any newline
    os.close(write_in)
    thread.join(timeout=10)
    os.close(write_out)
    os.close(read_out)


def test_a_process_keeps_its_own_stderr_and_loses_only_the_noise():
    code = ("import os, sys\nfrom gazelearn.webcam.native_logs import quiet_native_logs\n"
            "assert quiet_native_logs()\n"
            f"os.write(2, {NOISE!r} + b'native kept\\n')\n"
            "print('python kept', file=sys.stderr)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert sorted(result.stderr.decode().splitlines()) == ["native kept", "python kept"]
    verbose = subprocess.run([sys.executable, "-c", code.replace("assert quiet", "quiet")],
                             capture_output=True, timeout=60,
                             env=dict(os.environ, GAZELEARN_VERBOSE="1"))
    assert NOISE in verbose.stderr
