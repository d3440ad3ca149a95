import base64
import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from steppe_geo.errors import InvalidParameterError
from steppe_geo.maps import ReportSection, figure_html, mapping_html, render_report, table_html, text_html


def test_report_is_self_contained_and_escapes_text():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    table = table_html(pd.DataFrame({"name": ["乌兰"], "score": [0.5]}))
    prov = [mapping_html({"sha256": "ab"}), text_html("x & y", note=True)]
    sections = [
        ReportSection("maps", "Maps", [figure_html(fig, caption="a <line>")]),
        ReportSection("parcels", "Top parcels", [table]),
        ReportSection("provenance", "Provenance", prov),
    ]
    doc = render_report(sections, title="Demo", subtitle="sample")
    assert doc.startswith("<!DOCTYPE html>")
    assert "<script" not in doc and "<link" not in doc and "http" not in doc
    png = re.search(r'src="data:image/png;base64,([^"]+)"', doc).group(1)
    assert base64.b64decode(png)[:8] == b"\x89PNG\r\n\x1a\n"
    assert "a &lt;line&gt;" in doc and "x &amp; y" in doc and "乌兰" in doc
    assert '<td class="num">0.5</td>' in doc
    assert all(f'id="{s.id}"' in doc and f'href="#{s.id}"' in doc for s in sections)


def test_table_is_truncated_with_a_note():
    html = table_html(pd.DataFrame({"a": range(10)}), caption="t", max_rows=3)
    assert html.count("<tr>") == 4 and "first 3 of 10 rows" in html


def test_report_errors():
    with pytest.raises(InvalidParameterError, match="section id must be letters"):
        ReportSection("a b", "A")
    with pytest.raises(InvalidParameterError, match=r"repeated: \['a'\]"):
        render_report([ReportSection("a", "A"), ReportSection("a", "B")], title="t")


def test_report_renders_in_headless_chromium(tmp_path, chromium, small_grid, rng):
    from steppe_geo.io import write_text
    from steppe_geo.maps import plot_suitability

    score = small_grid.to_dataarray(rng.random(small_grid.shape).astype("float32"), name="score")
    ax = plot_suitability(score, note="test")
    sections = [ReportSection("maps", "Maps", [figure_html(ax.figure, caption="score map")]),
                ReportSection("parcels", "Top parcels",
                              [table_html(pd.DataFrame({"parcel": ["A"], "score": [0.9]}))])]
    path = write_text(render_report(sections, title="Browser check"), tmp_path / "report.html")
    pixels, dom = chromium(path, tmp_path)
    assert pixels.shape == (2000, 1200, 3)
    # not blank: many pixels differ from the page background and the image shows colour
    background = np.array([250, 250, 250])
    assert np.any(np.abs(pixels.astype(int) - background) > 10, axis=2).mean() > 0.1
    # the embedded map was decoded and drawn: strongly coloured (viridis) pixels are present
    chroma = pixels.max(axis=2).astype(int) - pixels.min(axis=2)
    assert (chroma > 60).mean() > 0.02
    assert '<section id="maps">' in dom and '<section id="parcels">' in dom
    assert "Browser check" in dom and 'src="data:image/png;base64,' in dom


def test_table_leaves_missing_values_blank():
    # constraints have no weight: the report must not print "nan"
    html = table_html(pd.DataFrame({"name": ["slope", "reserve"], "weight": [0.4, float("nan")]}))
    assert "nan" not in html.lower()
    assert '<td class="num">0.4</td>' in html


def test_table_drops_geometries_but_keeps_a_text_column_named_geometry():
    import geopandas as gpd
    import shapely

    gdf = gpd.GeoDataFrame({"pid": ["P1"]}, geometry=[shapely.box(0, 0, 1, 1)], crs="EPSG:32649")
    html = table_html(gdf)
    assert "<th>pid</th>" in html and "geometry" not in html and "POLYGON" not in html
    html = table_html([{"layer": "roads", "features": 3, "geometry": "LineString, MultiLineString"}])
    assert "<th>geometry</th>" in html and "<td>LineString, MultiLineString</td>" in html


def test_wide_table_scrolls_inside_its_section_in_headless_chromium(tmp_path, chromium):
    from steppe_geo.io import write_text

    wide = pd.DataFrame({f"column number {i}": [f"value {i}", 0.5 * i] for i in range(40)})
    sections = [ReportSection("parcels", "Top parcels", [table_html(wide, caption="forty columns")])]
    path = write_text(render_report(sections, title="Wide table"), tmp_path / "report.html")
    pixels, dom = chromium(path, tmp_path)
    assert '<div class="table-scroll"><table>' in dom
    # rows of the page where the left margin (left of the sections) is plain page background: the right
    # margin (right of the sections, x >= 1172 of 1200) must be plain background there too, i.e. the
    # table (4,000+ px wide) is cut to its section and scrolls, rather than spilling over the page
    background = np.array([250, 250, 250])
    plain = np.all(np.abs(pixels.astype(int) - background) <= 2, axis=2)
    rows = plain[:, 10]
    assert rows.sum() > 500
    assert plain[rows][:, 1172:].all()
    # and the table is there: its header cells (#eef3ef) are drawn inside the section
    header = np.all(np.abs(pixels.astype(int) - np.array([0xEE, 0xF3, 0xEF])) <= 2, axis=2)
    assert header[:, 40:1160].any()
