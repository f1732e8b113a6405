"""The browser app (``gazelearn server``): collect webcam frames, calibrate, track live, record.

* :mod:`~gazelearn.server.app` -- the FastAPI app (:func:`create_app`), its safety checks and
  :func:`serve` (uvicorn);
* :mod:`~gazelearn.server.storage` -- image files plus the SQLite index, manifest export, deleting
  a person (:class:`Storage`);
* :mod:`~gazelearn.server.live` -- one connection's calibration and live gaze
  (:class:`LiveSession`), built on :mod:`gazelearn.webcam`;
* ``static/`` -- the pages (plain HTML and JavaScript, nothing from a CDN).

See ``docs/server.md``.

Examples
--------
>>> from gazelearn.server import check_binding, is_loopback
>>> is_loopback("::1"), check_binding("127.0.0.1", None)
(True, None)
"""

from gazelearn.server.app import check_binding, create_app, is_loopback, serve
from gazelearn.server.live import LiveSession
from gazelearn.server.storage import Storage

__all__ = ["LiveSession", "Storage", "check_binding", "create_app", "is_loopback", "serve"]
