"""Onshore wind siting preset (:func:`wind_onshore`)."""

from __future__ import annotations

from steppe_geo.mcda import Categorical, Criterion, Linear, PiecewiseLinear, ValueRange
from steppe_geo.models._siting import (
    GLAES,
    GLAES_GRID,
    REFERENCE_TURBINE,
    SITING_INPUTS,
    distance_derivations,
    grid_access_criterion,
    legend_for,
    legend_source,
    siting_setbacks,
    siting_sources,
    slope_limit,
)
from steppe_geo.models.derivations import Derivation
from steppe_geo.models.land_cover import DEFAULT_LEGEND
from steppe_geo.models.model import Model
from steppe_geo.models.presets import preset_factory

__all__ = ["WIND_CAPACITY", "WIND_LAND_COVER", "WIND_LAND_COVER_BY_MEANING", "wind_onshore"]

WIND_CAPACITY = {
    "capacity_density_mw_per_km2": 3.0,
    "capacity_basis": "AC",
    "capacity_source": "NREL reV default wind capacity density, 3 MW/km² (AC, nameplate turbine rating)",
}
"""Capacity density for turning eligible wind area into MW (AC)."""

WIND_LAND_COVER_BY_MEANING = {
    "tree_cover": 0.2,
    "shrubland": 0.8,
    "grassland": 1.0,
    "cropland": 0.5,
    "built_up": 0.0,
    "bare_sparse": 1.0,
    "snow_ice": 0.0,
    "water": 0.0,
    "wetland": 0.0,
    "moss_lichen": 1.0,
    "typical_steppe": 1.0,
    "artemisia_shrub": 0.8,
    "sand_fixing_plantation": 0.3,
    "mobile_sand": 0.8,
}
"""Land-cover preference for wind turbines by meaning (:data:`steppe_geo.models.land_cover.MEANINGS`).

steppe_geo default (open grassland, bare land, moss and lichen have low roughness and few conflicts;
plantations and shelterbelts raise roughness; water, wetland, snow/ice and built-up are unsuitable)."""

WIND_LAND_COVER = legend_for(DEFAULT_LEGEND).scores(WIND_LAND_COVER_BY_MEANING)
""":data:`WIND_LAND_COVER_BY_MEANING` in ESA WorldCover codes (+ steppe classes 101–104)."""


@preset_factory
def wind_onshore(
    *,
    hub_height_m: float = 115.0,
    rotor_diameter_m: float = 170.0,
    shear_exponent: float = 1 / 7,
    reference_height_m: float = 100.0,
    max_grid_distance_m: float = 10_000.0,
    river_width_column: str = "width_m",
    land_cover_legend: str = DEFAULT_LEGEND,
) -> Model:
    """Onshore wind suitability: resource at hub height, slope, grid and road access, land cover.

    Every vector setback is exact (``within`` derivations: a pixel is excluded when its centre is
    within the setback of the feature geometry); roads, railways and power lines keep 1.1 × tip height.
    Land farther than ``max_grid_distance_m`` from a power line is excluded (GLAES).

    Parameters
    ----------
    hub_height_m, rotor_diameter_m : float
        Reference turbine (6 MW, 170 m rotor, 115 m hub; NREL reV). Tip height =
        hub + rotor / 2 sets the tip-height-multiple setbacks (1.1 × 200 m = 220 m by default).
    shear_exponent : float
        Power-law α for the hub-height extrapolation (1/7, open terrain).
    reference_height_m : float
        Height of the wind-speed input (100 m for Global Wind Atlas).
    max_grid_distance_m : float
        Exclusion beyond this distance from a power line (GLAES: 10 km).
    river_width_column : str
        Column of ``rivers`` with the channel width in metres: the 200 m river setback is measured from
        the bank (centre line + width / 2). "" measures from the centre lines.
    land_cover_legend : str
        How the ``land_cover`` layer is coded: ``"worldcover"`` (ESA WorldCover, default),
        ``"esa-cci"``, ``"modis-igbp"``, ``"nlcd"`` or ``"clcd"``
        (:func:`steppe_geo.models.land_cover.land_cover_legend`); the land-cover criterion is written
        in its codes.

    Returns
    -------
    Model
        Inputs ``wind_speed_100m, dem, land_cover`` and the vector layers :data:`SITING_INPUTS`
        (including ``rivers``). Capacity density for parcels: 3 MW/km² AC (``metadata``).

    Raises
    ------
    InvalidParameterError
        An unknown parameter name (closest suggested) or a value out of range.

    Examples
    --------
    >>> from steppe_geo.models import wind_onshore
    >>> m = wind_onshore(hub_height_m=120)
    >>> m.tip_height_m()  # 120 + 170 / 2
    205.0
    >>> round(m.setbacks()["roads"]["distance_m"], 1)  # 1.1 × tip height
    225.5
    >>> m.constraint_names[-2:]
    ['rivers', 'far_from_grid']
    >>> wind_onshore(hub_heigth_m=120)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    steppe_geo.errors.InvalidParameterError: preset 'wind_onshore': unknown parameter 'hub_heigth_m'...
    """
    params = {
        "hub_height_m": hub_height_m,
        "rotor_diameter_m": rotor_diameter_m,
        "shear_exponent": shear_exponent,
        "reference_height_m": reference_height_m,
        "max_grid_distance_m": max_grid_distance_m,
        "river_width_column": river_width_column,
        "land_cover_legend": land_cover_legend,
    }
    legend = legend_for(land_cover_legend)
    sb = siting_setbacks(solar=False)
    far_from_grid = ValueRange("far_from_grid", "grid_reach", min=1.0)
    derivations = (
        Derivation(
            "wind_speed_hub",
            "hub_height_speed",
            ("wind_speed_100m",),
            {
                "hub_height_m": "$hub_height_m",
                "reference_height_m": "$reference_height_m",
                "shear_exponent": "$shear_exponent",
            },
        ),
        Derivation("slope_deg", "slope", ("dem",), {"units": "degrees"}),
        *distance_derivations({"power_lines": 25_000, "roads": 12_000}),
        *(d for d, _ in sb.values()),
        Derivation("grid_reach", "within", ("power_lines",), {"distance_m": "$max_grid_distance_m"}),
    )
    criteria = (
        Criterion("wind_speed", PiecewiseLinear((4.5, 5.0, 8.0), (0.0, 0.5, 1.0)), 0.40, "wind_speed_hub"),
        grid_access_criterion(0.20),
        Criterion("road_access", Linear(low=10_000.0, high=0.0), 0.10, "distance_roads_m"),
        Criterion("slope", Linear(low=15.0, high=0.0), 0.10, "slope_deg"),
        Criterion("land_cover", Categorical(legend.scores(WIND_LAND_COVER_BY_MEANING)), 0.20, "land_cover"),
    )
    c = {k: con for k, (_, con) in sb.items()}
    constraints = (
        ValueRange("min_wind_speed", "wind_speed_100m", min=4.5),
        c["settlements"],
        c["homesteads"],
        c["roads"],
        c["railways"],
        c["power_lines"],
        c["airport"],
        c["protected_areas"],
        c["water"],
        slope_limit("steep_slope", "slope_deg", 15.0),
        c["rivers"],  # added after the first release: appended to keep the older bits
        far_from_grid,
    )
    sources = {
        "wind_speed": f"{GLAES}: 5 m/s → 0.5, 8 m/s → 1 (scored at hub height); excluded below 4.5 m/s "
        "at 100 m",
        "grid_distance": GLAES_GRID,
        "road_access": "steppe_geo default: linear 0 km → 1, 10 km → 0 (access for turbine transport)",
        "slope": "steppe_geo default: linear 0° → 1, 15° → 0 (verify for the site's cranes and roads)",
        "land_cover": "steppe_geo default, see WIND_LAND_COVER_BY_MEANING",
        "min_wind_speed": f"{GLAES}: < 4.5 m/s at 100 m excluded",
        **siting_sources(solar=False),
        "steep_slope": "steppe_geo default: slopes > 15° excluded (verify)",
        "far_from_grid": f"{GLAES}: more than 10 km from a grid connection excluded (distance to power "
        "lines; exact, pixel centres)",
        "hub_height_m": REFERENCE_TURBINE,
        "rotor_diameter_m": REFERENCE_TURBINE,
        "shear_exponent": "α = 1/7, neutral stability over open terrain (Peterson & Hennessey 1978, On the "
        "use of power laws for estimates of wind power potential, J. Appl. Meteorol. 17, 390–394)",
        "reference_height_m": "100 m: height of the Global Wind Atlas mean speed (Davis et al. 2023, "
        "Bull. Am. Meteorol. Soc.); set it to the height of your wind-speed layer",
        "max_grid_distance_m": f"{GLAES}: 10 km from a grid connection",
        "river_width_column": "the sample rivers carry their channel width in width_m (metres)",
        "land_cover_legend": legend_source(legend),
    }
    return Model(
        name="wind_onshore",
        description="Onshore wind suitability (weighted linear combination after exclusions); "
        "capacity density 3 MW/km² AC",
        inputs=(
            "wind_speed_100m",
            "dem",
            "land_cover",
            *SITING_INPUTS,
        ),
        derivations=derivations,
        criteria=criteria,
        constraints=constraints,
        rule="wlc",
        parameters=params,
        sources=sources,
        preset="wind_onshore",
        metadata=WIND_CAPACITY,
    )
