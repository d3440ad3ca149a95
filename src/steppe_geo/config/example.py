"""The commented example configuration written by ``steppe-geo init``."""

__all__ = ["EXAMPLE_CONFIG"]

EXAMPLE_CONFIG = '''\
# steppe-geo configuration (TOML). Validate with:  steppe-geo validate THIS_FILE
# Run with:  steppe-geo run THIS_FILE   (add --overwrite to replace an existing output folder)
# Input paths (and model_file) are resolved against this file's folder; a relative
# outputs.directory against the folder you run steppe-geo from. "sample:<layer>" uses the bundled
# synthetic sample dataset (Kubuqi/Hobq, Ordos) so this file runs as written.

[project]
name = "Kubuqi wind, solar and restoration screening"

# Input layers: name = path. Rasters may come in any CRS and resolution; they are aligned
# to the analysis grid (bilinear/average for continuous layers, nearest/mode for classes).
# An input may also be a table declaring what its file does not say, e.g.
#   dem = { path = "dem_ft.tif", units = "ft" }     (rasters: kind, units, scale, offset, nodata,
#   townships = { path = "xiang.shp", encoding = "gbk" }   resampling, band; vectors: layer, encoding)
[sources]
aoi = "sample:aoi"
dem = "sample:dem"
wind_speed_100m = "sample:wind_speed_100m"
weibull_k = "sample:weibull_k"
ghi = "sample:ghi"
ndvi = "sample:ndvi"
precipitation = "sample:precipitation"
pet = "sample:pet"
soil_texture = "sample:soil_texture"
soil_depth = "sample:soil_depth"
land_cover = "sample:land_cover"
parcels = "sample:parcels"
roads = "sample:roads"
railways = "sample:railways"
power_lines = "sample:power_lines"
substations = "sample:substations"
settlements = "sample:settlements"
homesteads = "sample:homesteads"
protected_areas = "sample:protected_areas"
water = "sample:water"
rivers = "sample:rivers"
airport = "sample:airport"
townships = "sample:townships"

# The analysis grid: a local equal-area projection centred on the AOI, in metres.
[grid]
aoi = "aoi"
resolution_m = 100          # pixel size (m)
projection = "equal-area"   # or "utm"
margin_m = 0                # extra margin (m) around the AOI

# Models: a preset (wind_onshore, solar_pv, desertification_esai, desertification_china,
# restoration_priority, pv_sand_control), or a complete model written by Model.to_toml()
# (model_file = "wind.toml", relative to this file), optionally edited; or a custom overlay
# (criteria and constraints only, no preset).
[models.wind]
preset = "wind_onshore"
# [models.wind.parameters]  # preset parameters (steppe-geo validate lists the valid names)
# hub_height_m = 120
# rule = "wlc"              # wlc, weighted-product, owa, fuzzy-and, fuzzy-or, fuzzy-product, ...
# [models.wind.weights]     # override weights by criterion name
# wind_speed = 0.5
# [models.wind.ahp]         # or: weights from AHP, one judgement per pair of criteria (Saaty 1-9);
# "wind_speed/grid_distance" = 3   # the report shows the consistency ratio CR (warning if > 0.10)
# "wind_speed/road_access" = 5     # ... all 10 pairs of the 5 criteria
# random_index = "saaty1980"       # RI table of CR: saaty1980, alonso_lamata2006, donegan_dodd1991
# [[models.wind.criteria]]  # replace (same name) or add a criterion
# name = "slope"
# layer = "slope_deg"
# function = "linear"       # any value function: linear, gaussian, small, large, fuzzy_linear, ...
# low = 15.0
# high = 0.0
# weight = 0.1
# [[models.wind.constraints]]  # replace (same name) or add a constraint
# type = "value_range"      # value_range, categories, setback, fraction, minimum_area
# name = "steep slopes"
# layer = "slope_deg"
# max = 15.0

[models.solar]
preset = "solar_pv"

[models.desertification]
preset = "desertification_esai"

[models.restoration]
preset = "restoration_priority"

# Parcels ranked by a model's score (exact, coverage-weighted zonal statistics).
[parcels]
source = "parcels"
top_k = 10                  # labelled on maps, listed in the report
rank_by = ["wind", "solar", "restoration"]   # models whose scores rank the parcels
select_by = "restoration"   # model whose ranking drives the budgeted selection
budget_ha = 10000           # select parcels under an eligible-area budget (exact MILP)
n_draws = 500               # weight draws for rank stability (0 = off)
# min_eligible_ha = 10      # parcels with less eligible land are not ranked (default: 4 pixels)
min_eligible_share = 0.1    # nor those less than 10 % eligible (their status column says why)
# region_min_area_ha = 25   # smallest candidate region (default: 4 pixels)

# Turbine layouts (elliptical spacing to the wind) with Jensen/Park wake losses on the best
# parcels of a wind model; written to parcels/turbines.gpkg and shown in the report.
# [parcels.turbines]
# model = "wind"            # one of rank_by
# top = 20                  # parcels laid out, best-ranked first
# curve = "nrel_6mw_170"    # shipped power curve (rotor diameter from it)
# along_d = 8               # spacing in rotor diameters along ...
# across_d = 4              # ... and across the prevailing wind
# wake_decay = 0.075        # Jensen k, onshore
# wind_direction = "wind_direction"   # input: direction the wind blows from (degrees)
# mean_speed = "wind_speed_100m"      # input: hub-height mean speed (m/s)
# weibull_k = "weibull_k"             # input: Weibull shape (default k = 2)
# sector_frequency = [0.04, 0.03, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.10, 0.15, 0.20, 0.15]

# The laid-out parcels ranked as wind + PV hybrids sharing one grid connection, from a station
# record (NSRDB / TMY CSV); hybrid columns join the layouts layer of parcels/turbines.gpkg and a
# complementarity chart goes in the report. Needs [parcels.turbines] (its MW per parcel).
# [parcels.hybrid]
# record = "nsrdb_2023.csv"  # station record, relative to this file; must hold wind speed and GHI
# columns = { wind_speed = "WS10", ghi = "GHI" }  # column mapping (default: NSRDB names)
# time_column = "time"      # ISO time stamps (default: Year, Month, Day, Hour, Minute columns)
# wind_height_m = 10        # height of the record's wind (default: the file's; 2 m for NSRDB)
# location = [40.53, -108.54, 2168]   # latitude, longitude, elevation_m (files without NSRDB metadata)
# hub_height_m = 120        # the record's wind taken to this height by the log law ...
# roughness_m = 0.03        # ... with this roughness length z0 (m)
# solar_share = 0.2         # share of each parcel's area under PV
# solar_mw_per_km2 = 50     # PV capacity density (MW DC per km² of PV)
# export_ratio = 1.0        # export limit = ratio × the larger of the wind and PV capacities
# optimise_mix = false      # also report the wind share of the same MW that delivers the most
# speed = "wind_speed_100m" # input: hub-height mean speed (default: parcels.turbines.mean_speed)
# ghi = "ghi"               # input: annual GHI (kWh/m²/yr)

[outputs]
directory = "steppe-geo-output"  # relative: created in the folder you run steppe-geo from
rasters = true              # COG score, eligibility and exclusion rasters
aligned_inputs = false      # also write every aligned input raster
criteria = false            # also write each model's standardised criteria (0-1)
vectors = ["gpkg", "shapefile"]  # gpkg, shapefile (zipped), parquet, flatgeobuf, csv
maps = ["png", "pdf"]
report = true               # one self-contained HTML file

[run]
mode = "memory"             # memory, streamed (window by window), dask
window = 1024               # window size (pixels) for streamed/dask runs
# scheduler = "tcp://127.0.0.1:8786"   # an existing dask.distributed scheduler
# workers = 2               # or a local Dask cluster with this many worker processes
seed = 20261128
'''
"""The commented example written by ``steppe-geo init``."""
