"""A self-contained HTML report: images embedded as base64, styles inline, no scripts.

The report only presents results computed elsewhere (DESIGN.md: ``maps/`` never computes
scores). Build sections from figures, tables and text, then :func:`render_report` returns
the HTML as a string; write it with :func:`steppe_geo.io.write_text`.
"""

from __future__ import annotations

import base64
import html
import io as _bytes_io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import shapely

from steppe_geo.errors import InvalidParameterError

__all__ = ["ReportSection", "figure_html", "figure_png", "mapping_html", "png_html", "render_report",
           "table_html", "text_html"]

_CSS = """
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#2f4f3a;color:#fff;padding:18px 32px}
header h1{margin:0;font-size:24px} header p{margin:4px 0 0;opacity:.85}
nav{padding:8px 32px;background:#e8efe9;font-size:14px} nav a{margin-right:14px;color:#2f4f3a}
main{padding:8px 32px 40px;max-width:1150px}
section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px 20px 16px;margin:18px 0}
h2{color:#2f4f3a;border-bottom:2px solid #cfdcd2;padding-bottom:4px}
figure{margin:12px 0} figure img{max-width:100%;border:1px solid #eee}
figcaption{font-size:13px;color:#555}
.table-scroll{max-width:100%;overflow-x:auto;margin:8px 0}
table{border-collapse:collapse;font-size:13px;margin:0}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#eef3ef} td.num{text-align:right;font-variant-numeric:tabular-nums}
pre{background:#f4f4f4;padding:8px;font-size:12px;overflow-x:auto;white-space:pre-wrap}
.note{font-size:13px;color:#555}
"""


@dataclass
class ReportSection:
    """One section of the report.

    Parameters
    ----------
    id : str
        HTML id (letters, digits, ``-``), used for the table of contents and by tests.
    title : str
        Heading.
    blocks : list of str
        HTML fragments made with :func:`figure_html`, :func:`table_html`, :func:`text_html`,
        :func:`mapping_html`.
    """

    id: str
    title: str
    blocks: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.id or not all(ch.isalnum() or ch == "-" for ch in self.id):
            raise InvalidParameterError(
                f"section id must be letters, digits and '-', got {self.id!r}"
            )


def figure_png(fig: Any, *, dpi: int = 110) -> bytes:
    """Render a matplotlib figure to PNG bytes in memory (tight bounding box)."""
    buf = _bytes_io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return buf.getvalue()


def png_html(png: bytes, *, caption: str = "", alt: str | None = None) -> str:
    """Embed PNG bytes as a base64 ``<figure>`` (see :func:`figure_png`)."""
    data = base64.b64encode(png).decode("ascii")
    alt_text = html.escape(alt if alt is not None else caption, quote=True)
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return f'<figure><img alt="{alt_text}" src="data:image/png;base64,{data}">{cap}</figure>'


def figure_html(fig: Any, *, caption: str = "", dpi: int = 110, alt: str | None = None) -> str:
    """Embed a matplotlib figure as a base64 PNG ``<figure>`` (rendered in memory, no file).

    Parameters
    ----------
    fig : matplotlib Figure
    caption : str
    dpi : int, default 110
    alt : str, optional
        Alternative text (default: the caption).

    Returns
    -------
    str
        HTML fragment.
    """
    return png_html(figure_png(fig, dpi=dpi), caption=caption, alt=alt)


def _cell(v: Any) -> str:
    if v is None or (isinstance(v, float) and v != v):  # missing (e.g. a constraint's weight)
        return '<td class="num"></td>'
    if isinstance(v, float):
        return f'<td class="num">{v:.4g}</td>'
    if isinstance(v, int | bool):
        return f'<td class="num">{v}</td>'
    return f"<td>{html.escape(str(v))}</td>"


def _holds_geometries(column: pd.Series) -> bool:
    if str(column.dtype) == "geometry":
        return True
    if column.dtype != object or column.empty:
        return False

    return bool(all(isinstance(v, shapely.Geometry) or v is None for v in column))


def table_html(table: pd.DataFrame | Sequence[Mapping[str, Any]], *, caption: str = "",
               max_rows: int = 50) -> str:
    """An HTML table from a DataFrame or a list of dicts; columns holding geometries are dropped.

    A column is dropped for holding shapely geometries (a GeoDataFrame's geometry), not for its
    name: a text column called ``geometry`` (e.g. geometry types) is kept. The table sits in a
    ``<div class="table-scroll">`` that scrolls sideways when the table is wider than its
    section, so no column is cut off.

    Parameters
    ----------
    table : DataFrame or sequence of mappings
    caption : str
    max_rows : int, default 50
        Rows beyond this are left out (the caption says how many).

    Returns
    -------
    str
    """
    df = pd.DataFrame(list(table)) if not isinstance(table, pd.DataFrame) else table
    df = df.drop(columns=[c for c in df.columns if _holds_geometries(df[c])])
    shown = df.head(max_rows)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
    rows = "".join(
        "<tr>" + "".join(_cell(v.item() if hasattr(v, "item") else v) for v in row) + "</tr>"
        for row in shown.itertuples(index=False, name=None)
    )
    more = f" (first {max_rows} of {len(df)} rows)" if len(df) > max_rows else ""
    cap = f"<caption>{html.escape(caption)}{more}</caption>" if caption or more else ""
    return (f'<div class="table-scroll"><table>{cap}<thead><tr>{head}</tr></thead><tbody>{rows}</tbody>'
            "</table></div>")


def text_html(text: str, *, note: bool = False) -> str:
    """A paragraph of escaped text (``note=True`` for small grey print)."""
    cls = ' class="note"' if note else ""
    return f"<p{cls}>{html.escape(text)}</p>"


def mapping_html(data: Mapping[str, Any]) -> str:
    """Pretty-printed JSON of a mapping (for provenance records) in a ``<pre>`` block."""
    return f"<pre>{html.escape(json.dumps(data, indent=2, ensure_ascii=False, default=str))}</pre>"


def render_report(sections: Sequence[ReportSection], *, title: str, subtitle: str = "") -> str:
    """Assemble the self-contained HTML document.

    Parameters
    ----------
    sections : sequence of ReportSection
        In display order; ids must be unique.
    title : str
    subtitle : str

    Returns
    -------
    str
        A complete HTML5 document with inline CSS, embedded images and no scripts or external links.

    Raises
    ------
    InvalidParameterError
        If section ids repeat.
    """
    ids = [s.id for s in sections]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise InvalidParameterError(f"report section ids must be unique, repeated: {dup}")
    nav = "".join(f'<a href="#{s.id}">{html.escape(s.title)}</a>' for s in sections)
    body = "".join(
        f'<section id="{s.id}"><h2>{html.escape(s.title)}</h2>{"".join(s.blocks)}</section>' for s in sections
    )
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{html.escape(title)}</h1><p>{html.escape(subtitle)}</p></header>"
        f"<nav>{nav}</nav><main>{body}</main></body></html>\n"
    )
