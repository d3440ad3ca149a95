"""Maps (matplotlib) and the self-contained HTML report.

Each ``plot_*`` function draws into ``ax`` (creating a figure only when ``ax`` is None),
adds a scale bar, north arrow, coordinates, title and data note, and never calls
``plt.show()``. Save figures with :func:`steppe_geo.io.save_figure` (PNG or PDF). The
value-function curve over a layer's histogram is :func:`steppe_geo.mcda.plot_value_function`.
"""

from steppe_geo.maps.charts import Scheme, plot_rank_stability, plot_ranked_parcels
from steppe_geo.maps.drift_rose import plot_drift_rose
from steppe_geo.maps.furniture import (
    add_aoi_outline,
    add_coordinates,
    add_data_note,
    add_map_furniture,
    add_north_arrow,
    add_scale_bar,
    nice_length_m,
)
from steppe_geo.maps.hybrid import plot_complementarity, plot_turbine_layout
from steppe_geo.maps.rasters import (
    ESA_CLASS_COLORS,
    ESA_CLASS_LABELS,
    plot_esa_classes,
    plot_exclusions,
    plot_suitability,
)
from steppe_geo.maps.report import (
    ReportSection,
    figure_html,
    figure_png,
    mapping_html,
    png_html,
    render_report,
    table_html,
    text_html,
)

__all__ = [
    "ESA_CLASS_COLORS",
    "ESA_CLASS_LABELS",
    "ReportSection",
    "Scheme",
    "add_aoi_outline",
    "add_coordinates",
    "add_data_note",
    "add_map_furniture",
    "add_north_arrow",
    "add_scale_bar",
    "figure_html",
    "figure_png",
    "mapping_html",
    "nice_length_m",
    "plot_complementarity",
    "plot_drift_rose",
    "plot_esa_classes",
    "plot_exclusions",
    "plot_rank_stability",
    "plot_ranked_parcels",
    "plot_suitability",
    "plot_turbine_layout",
    "png_html",
    "render_report",
    "table_html",
    "text_html",
]
