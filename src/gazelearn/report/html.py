"""One self-contained HTML report: headings, text, tables, facts and inline PNG figures.

A :class:`Report` collects content in order and writes a single HTML file with its CSS inline and
every figure embedded as a base64 PNG (``<img src="data:image/png;base64,...">``): no CDN, no
JavaScript, no side files, so the file can be mailed or archived on its own. Every string given
by the caller is HTML-escaped. The footer records the gazelearn version, the date, and the
command, seed and data description the caller passes, as the project's rules ask of every
result.

Files are written atomically: the content goes to a temporary file in the target directory,
which then replaces the target with :func:`os.replace`; on any failure the temporary file is
removed and an existing target is left untouched.

Examples
--------
>>> import os, tempfile
>>> from matplotlib.figure import Figure
>>> r = Report("Event detection", command="gazelearn events evaluate", seed=0, data="lund2013")
>>> _ = r.section("Results").text("I-VT on the test split.")
>>> _ = r.table([{"method": "ivt", "f1": 0.81234}], caption="Sample-level F1")
>>> fig = Figure(); _ = fig.add_subplot().plot([0, 1], [1, 0])
>>> _ = r.figure(fig, caption="A line")
>>> html = r.to_html()
>>> "0.8123" in html and "data:image/png;base64," in html
True
>>> with tempfile.TemporaryDirectory() as tmp:
...     path = r.save(os.path.join(tmp, "report.html"))
...     path.name, sorted(os.listdir(tmp))
('report.html', ['report.html'])
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import math
import os
import re
from collections.abc import Iterable, Mapping
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import numpy as np

from gazelearn.errors import InputError
from gazelearn.io.atomic import atomic_write_bytes

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_SIGNATURE = b"\xff\xd8\xff"

__all__ = [
    "PNG_SIGNATURE",
    "Report",
    "figure_to_png_bytes",
    "format_value",
    "save_figure",
]

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       color: #222; background: #fff; max-width: 64rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.5; }
h1 { font-size: 1.8rem; border-bottom: 2px solid #0072B2; padding-bottom: .3rem; }
h2 { font-size: 1.35rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd; }
h3 { font-size: 1.1rem; margin-top: 1.6rem; }
p.subtitle { color: #555; margin-top: -.5rem; }
nav.toc { background: #f6f8fa; padding: .5rem 1rem; border-radius: 4px; }
nav.toc ol { margin: .2rem 0; }
table { border-collapse: collapse; margin: .8rem 0; font-size: .92rem; }
caption { caption-side: top; text-align: left; font-weight: 600; padding-bottom: .3rem; }
th, td { border: 1px solid #d0d7de; padding: .25rem .6rem; vertical-align: top; }
th { background: #f6f8fa; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.facts th { font-weight: 600; }
figure { margin: 1rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figure svg { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: .9rem; }
pre { background: #f6f8fa; padding: .6rem; overflow-x: auto; font-size: .85rem; }
p.note { color: #555; font-size: .85rem; }
footer { margin-top: 3rem; border-top: 1px solid #ddd; padding-top: .5rem; color: #555;
         font-size: .85rem; }
footer dl { display: grid; grid-template-columns: max-content auto; gap: .1rem 1rem; margin: 0; }
footer dt { font-weight: 600; }
footer dd { margin: 0; font-family: ui-monospace, SFMono-Regular, Menlo, monospace;
            word-break: break-all; }
""".strip()


# --------------------------------------------------------------------------------------------
# value formatting


def format_value(value: Any, digits: int = 4, decimals: int | None = None) -> str:
    """Format one value for a table cell: numbers readably, everything else with ``str``.

    Integers are shown in full; floats with ``digits`` significant digits, large floats rounded
    to whole numbers (or with exactly ``decimals`` decimals), NaN as ``n/a``; ``None`` as an
    empty string.

    Parameters
    ----------
    value : Any
        The value.
    digits : int, default 4
        Significant digits of floats.
    decimals : int, optional
        Decimals of floats instead (fixed point: ``0.5`` with 2 is ``0.50``), so a column's
        numbers line up and none claims more precision than the others.

    Returns
    -------
    str
        The text (not yet HTML-escaped).

    Examples
    --------
    >>> [format_value(v) for v in (3, 0.912345, 1234567.8, 2.5e-6, float("nan"), None, True)]
    ['3', '0.9123', '1234568', '2.5e-06', 'n/a', '', 'True']
    >>> [format_value(v, decimals=2) for v in (0.5, 0.123, 3, float("nan"))]
    ['0.50', '0.12', '3', 'n/a']
    """
    if value is None:
        return ""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool | str):
        return str(value)
    if isinstance(value, Integral):
        return str(int(value))
    if isinstance(value, Real):
        v = float(value)
        if math.isnan(v):
            return "n/a"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        if decimals is not None:
            return f"{v:.{decimals}f}"
        if abs(v) >= 10**digits and abs(v) < 1e15:
            return f"{v:.0f}"
        return f"{v:.{digits}g}"
    if isinstance(value, _dt.datetime | _dt.date):
        return value.isoformat()
    return str(value)


def _is_number(value: Any) -> bool:
    if isinstance(value, np.generic):
        value = value.item()
    return isinstance(value, Real) and not isinstance(value, bool)


def _table_rows(data: Any) -> tuple[list[str], list[dict[str, Any]]]:
    """Normalise table input to (columns, rows)."""
    if hasattr(data, "to_dicts") and hasattr(data, "columns"):  # polars DataFrame
        return [str(c) for c in data.columns], data.to_dicts()
    if isinstance(data, Mapping):
        values = list(data.values())
        if values and all(isinstance(v, Mapping) for v in values):  # {row name: {col: value}}
            rows = [{"": key, **dict(v)} for key, v in data.items()]
            return _union_columns(rows), rows
        if values and all(_is_sequence(v) for v in values):  # {column: [values]}
            lengths = {len(v) for v in values}
            if len(lengths) != 1:
                raise InputError(f"table columns have different lengths: {sorted(lengths)}")
            columns = [str(k) for k in data]
            rows = [dict(zip(columns, cells, strict=True)) for cells in zip(*values, strict=True)]
            return columns, rows
        return ["metric", "value"], [{"metric": k, "value": v} for k, v in data.items()]
    if isinstance(data, Iterable) and not isinstance(data, str | bytes):
        rows = []
        for i, row in enumerate(data):
            if not isinstance(row, Mapping):
                raise InputError(f"table row {i} is a {type(row).__name__}, expected a dict")
            rows.append(dict(row))
        return _union_columns(rows), rows
    raise InputError(
        f"cannot make a table from a {type(data).__name__}: "
        "expected a list of dicts, a dict or a polars DataFrame"
    )


def _is_sequence(value: Any) -> bool:
    return isinstance(value, list | tuple | np.ndarray) or (
        hasattr(value, "to_list") and hasattr(value, "dtype")  # polars Series
    )


def _union_columns(rows: list[dict[str, Any]]) -> list[str]:
    columns: dict[str, None] = {}
    for row in rows:
        for key in row:
            columns.setdefault(key, None)
    return list(columns)


def _slug(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


# --------------------------------------------------------------------------------------------
# files


def figure_to_png_bytes(fig: Any, dpi: int = 100) -> bytes:
    """Render a matplotlib figure to PNG bytes (Agg, no window).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    dpi : int, default 100
        Resolution.

    Returns
    -------
    bytes
        The PNG file content.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> figure_to_png_bytes(Figure(figsize=(2, 2)))[:8] == PNG_SIGNATURE
    True
    """
    return _figure_bytes(fig, "png", dpi)


def _figure_bytes(fig: Any, fmt: str, dpi: int) -> bytes:
    if not hasattr(fig, "savefig"):
        raise InputError(f"expected a matplotlib Figure, got a {type(fig).__name__}")
    # savefig picks the Agg (or pdf/svg) renderer for the format itself: no window, no pyplot
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()


def save_figure(fig: Any, path: str | os.PathLike[str], dpi: int = 150) -> Path:
    """Save a figure atomically; the format follows the suffix (``.png``, ``.pdf``, ``.svg``).

    The figure is rendered to memory first, so a rendering error leaves no file behind.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    path : str or PathLike
        Target file.
    dpi : int, default 150
        Resolution of raster formats.

    Returns
    -------
    Path
        The target path.

    Examples
    --------
    >>> import os, tempfile
    >>> from matplotlib.figure import Figure
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = save_figure(Figure(figsize=(2, 2)), os.path.join(tmp, "f.png"))
    ...     p.read_bytes()[:8] == PNG_SIGNATURE
    True
    """
    target = Path(path)
    fmt = target.suffix.lower().lstrip(".")
    if fmt not in {"png", "pdf", "svg", "jpg", "jpeg"}:
        raise InputError("unknown figure format; expected .png, .pdf, .svg or .jpg", source=path)
    return atomic_write_bytes(target, _figure_bytes(fig, fmt, dpi))


# --------------------------------------------------------------------------------------------
# the report


class Report:
    """A self-contained HTML report built piece by piece.

    Methods that add content return the report, so calls can be chained. Content added before
    the first :meth:`section` goes under the title.

    Parameters
    ----------
    title : str
        Page title and top heading.
    subtitle : str, optional
        One line under the title.
    command : str, optional
        The command that produced the results (footer).
    seed : int or str, optional
        The random seed (footer).
    data : str, optional
        Which data and split the results come from (footer).
    extra : dict, optional
        More footer entries (name to value).
    date : datetime, optional
        Date shown in the footer; now (local time) by default.

    Examples
    --------
    >>> r = Report("<script>x</script>", seed=1)
    >>> html = r.facts({"subjects": 12}).to_html()
    >>> "&lt;script&gt;x&lt;/script&gt;" in html and "<script>" not in html
    True
    """

    def __init__(
        self,
        title: str,
        *,
        subtitle: str | None = None,
        command: str | None = None,
        seed: int | str | None = None,
        data: str | None = None,
        extra: Mapping[str, Any] | None = None,
        date: _dt.datetime | None = None,
    ) -> None:
        self.title = str(title)
        self.subtitle = subtitle
        self.command = command
        self.seed = seed
        self.data = data
        self.extra = dict(extra or {})
        self.date = date
        # list of (heading or None, anchor, level, [html fragments])
        self._sections: list[tuple[str | None, str, int, list[str]]] = [(None, "", 0, [])]
        self._anchors: set[str] = set()
        self._figures = 0

    # -- content -------------------------------------------------------------------------------

    def section(self, heading: str, level: int = 2) -> Report:
        """Start a new section with a heading (``level`` 2 for sections, 3 for subsections)."""
        if level not in (2, 3, 4):
            raise InputError(f"section level must be 2, 3 or 4, got {level}")
        anchor = _slug(str(heading), self._anchors)
        self._sections.append((str(heading), anchor, level, []))
        return self

    def text(self, text: str) -> Report:
        """Add text; blank lines separate paragraphs."""
        for paragraph in re.split(r"\n\s*\n", str(text).strip()):
            if paragraph.strip():
                self._add(f"<p>{_esc(paragraph.strip())}</p>")
        return self

    def note(self, text: str) -> Report:
        """Add a small grey remark (caveats, how numbers were computed)."""
        self._add(f'<p class="note">{_esc(text)}</p>')
        return self

    def code(self, text: str) -> Report:
        """Add preformatted text (a configuration, a command, a log excerpt)."""
        self._add(f"<pre>{_esc(text)}</pre>")
        return self

    def table(
        self,
        data: Any,
        caption: str | None = None,
        *,
        columns: list[str] | None = None,
        digits: int = 4,
        decimals: Mapping[str, int] | None = None,
        max_rows: int | None = None,
    ) -> Report:
        """Add a table.

        Parameters
        ----------
        data : list of dict, dict or polars.DataFrame
            Rows as dicts; a polars DataFrame; a dict of metrics (``{name: value}``, shown as
            metric/value rows), of columns (``{column: [values]}``) or of rows
            (``{row name: {column: value}}``).
        caption : str, optional
            Caption above the table.
        columns : list of str, optional
            Columns to show, in order; all by default (first-seen order).
        digits : int, default 4
            Significant digits of floats.
        decimals : dict, optional
            Fixed decimals of a column's floats (``{"kappa": 2, "px": 0}``); other columns
            get ``digits`` significant digits. Say the precision once, in the caption.
        max_rows : int, optional
            Show at most this many rows and say how many were left out.
        """
        all_columns, rows = _table_rows(data)
        shown_columns = list(columns) if columns is not None else all_columns
        unknown = [c for c in [*shown_columns, *(decimals or ())] if c not in all_columns]
        if unknown and rows:
            raise InputError(f"table has no column(s) {', '.join(map(repr, unknown))}")
        hidden = 0
        if max_rows is not None and len(rows) > max_rows:
            hidden, rows = len(rows) - max_rows, rows[:max_rows]
        parts = ["<table>"]
        if caption:
            parts.append(f"<caption>{_esc(caption)}</caption>")
        parts.append(
            "<thead><tr>" + "".join(f"<th>{_esc(c)}</th>" for c in shown_columns) + "</tr></thead>"
        )
        parts.append("<tbody>")
        for row in rows:
            cells = []
            for column in shown_columns:
                value = row.get(column)
                cls = ' class="num"' if _is_number(value) else ""
                fixed = decimals.get(column) if decimals else None
                cells.append(f"<td{cls}>{_esc(format_value(value, digits, fixed))}</td>")
            parts.append("<tr>" + "".join(cells) + "</tr>")
        parts.append("</tbody></table>")
        if hidden:
            parts.append(f'<p class="note">{hidden} more row(s) not shown.</p>')
        self._add("".join(parts))
        return self

    def facts(
        self, facts: Mapping[str, Any], caption: str | None = None, digits: int = 4
    ) -> Report:
        """Add key-value facts (a two-column table without header)."""
        if not isinstance(facts, Mapping):
            raise InputError(f"facts must be a dict, got a {type(facts).__name__}")
        parts = ['<table class="facts">']
        if caption:
            parts.append(f"<caption>{_esc(caption)}</caption>")
        for key, value in facts.items():
            cls = ' class="num"' if _is_number(value) else ""
            parts.append(
                f"<tr><th>{_esc(key)}</th><td{cls}>{_esc(format_value(value, digits))}</td></tr>"
            )
        parts.append("</table>")
        self._add("".join(parts))
        return self

    def figure(
        self, fig: Any, caption: str | None = None, *, dpi: int = 100, close: bool = False,
        format: str = "png",
    ) -> Report:
        """Embed a matplotlib figure as an inline base64 PNG, or as inline SVG markup.

        The figure is rendered now, so later changes to it do not show. ``close=True`` also
        closes it in pyplot (for figures made with ``pyplot``; gazelearn's plots need no
        closing). ``format="svg"`` puts the figure's ``<svg>`` element in the page itself
        (vector, searchable text; still one file).

        Examples
        --------
        >>> from matplotlib.figure import Figure
        >>> fig = Figure(figsize=(2, 2)); _ = fig.add_subplot().plot([0, 1], [1, 0])
        >>> html = Report("t").figure(fig, "a line", format="svg").to_html()
        >>> "<figure><svg" in html, "<?xml" in html, "Figure 1. a line" in html
        (True, False, True)
        """
        if format not in ("png", "svg"):
            raise InputError(f"figure format must be 'png' or 'svg', got {format!r}")
        data = _figure_bytes(fig, format, dpi)
        if close:
            import matplotlib.pyplot as plt

            plt.close(fig)
        if format == "png":
            return self.image(data, caption)
        markup = data.decode("utf-8")
        markup = markup[markup.index("<svg"):]  # no XML declaration or DOCTYPE inside HTML
        self._figures += 1
        cap = f"<figcaption>Figure {self._figures}. {_esc(caption)}</figcaption>" if caption else ""
        self._add(f"<figure>{markup.strip()}{cap}</figure>")
        return self

    def image(self, image: bytes | str | os.PathLike[str], caption: str | None = None) -> Report:
        """Embed a PNG or JPEG image given as bytes or as a file path."""
        if isinstance(image, str | os.PathLike):
            try:
                image = Path(image).read_bytes()
            except OSError as exc:
                raise InputError(f"cannot read image: {exc.strerror}", source=image) from None
        if image.startswith(PNG_SIGNATURE):
            mime = "image/png"
        elif image.startswith(_JPEG_SIGNATURE):
            mime = "image/jpeg"
        else:
            raise InputError("image is neither PNG nor JPEG")
        self._figures += 1
        encoded = base64.b64encode(image).decode("ascii")
        alt = _esc(caption or f"Figure {self._figures}")
        cap = f"<figcaption>Figure {self._figures}. {_esc(caption)}</figcaption>" if caption else ""
        self._add(f'<figure><img alt="{alt}" src="data:{mime};base64,{encoded}">{cap}</figure>')
        return self

    def _add(self, fragment: str) -> None:
        self._sections[-1][3].append(fragment)

    # -- output --------------------------------------------------------------------------------

    def footer_facts(self) -> dict[str, str]:
        """The footer entries: gazelearn version, date, and the caller's provenance."""
        from gazelearn import __version__

        date = self.date or _dt.datetime.now().astimezone()
        facts = {"gazelearn": __version__, "date": date.isoformat(timespec="seconds")}
        for key, value in (("command", self.command), ("seed", self.seed), ("data", self.data)):
            if value is not None:
                facts[key] = format_value(value)
        for key, value in self.extra.items():
            facts[str(key)] = format_value(value)
        return facts

    def to_html(self) -> str:
        """Return the whole page as one HTML string."""
        out = [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta name="generator" content="gazelearn">',
            f"<title>{_esc(self.title)}</title>",
            f"<style>\n{_CSS}\n</style>",
            "</head>",
            "<body>",
            "<header>",
            f"<h1>{_esc(self.title)}</h1>",
        ]
        if self.subtitle:
            out.append(f'<p class="subtitle">{_esc(self.subtitle)}</p>')
        out.append("</header>")
        top_sections = [(h, a) for h, a, level, _ in self._sections[1:] if level == 2]
        if len(top_sections) >= 3:
            items = "".join(f'<li><a href="#{a}">{_esc(h)}</a></li>' for h, a in top_sections)
            out.append(f'<nav class="toc"><strong>Contents</strong><ol>{items}</ol></nav>')
        out.append("<main>")
        for heading, anchor, level, fragments in self._sections:
            if heading is None:
                out.extend(fragments)
                continue
            out.append(f'<section id="{anchor}">')
            out.append(f"<h{level}>{_esc(heading)}</h{level}>")
            out.extend(fragments)
            out.append("</section>")
        out.append("</main>")
        entries = "".join(
            f"<dt>{_esc(k)}</dt><dd>{_esc(v)}</dd>" for k, v in self.footer_facts().items()
        )
        out.append(f"<footer><dl>{entries}</dl></footer>")
        out.extend(["</body>", "</html>", ""])
        return "\n".join(out)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the report to ``path`` atomically and return the path."""
        return atomic_write_bytes(path, self.to_html().encode("utf-8"))


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)
