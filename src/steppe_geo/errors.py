"""Errors and warnings raised by steppe_geo.

Every error derives from :class:`SteppeGeoError` *and* from the built-in exception it
refines, so ``except ValueError`` keeps working for callers who do not know our types
(the pattern of ``rasterio.errors``).  Messages name the file, layer, parameter or
config key and echo the offending value.
"""

from __future__ import annotations

__all__ = [
    "CRSMismatchError",
    "ConfigError",
    "EmptyLayerError",
    "GeographicCRSError",
    "GeometryTypeError",
    "GridMismatchError",
    "ImplausibleInputError",
    "InfeasibleError",
    "InputNotFoundError",
    "InvalidGeometryWarning",
    "InvalidParameterError",
    "LayerKindWarning",
    "MissingCRSError",
    "MissingDependencyError",
    "MissingLayerError",
    "NoOverlapError",
    "NonFiniteValuesWarning",
    "OutputExistsError",
    "OutputLockedError",
    "OutputNotWritableError",
    "PointFeaturesWarning",
    "SizeLimitError",
    "SolverLimitError",
    "SteppeGeoDeprecationWarning",
    "SteppeGeoError",
    "SteppeGeoWarning",
    "TruncationWarning",
    "UndeclaredUnitsWarning",
    "UnreadableInputError",
]


class SteppeGeoError(Exception):
    """Root of every error raised by steppe_geo."""


class InputNotFoundError(SteppeGeoError, FileNotFoundError):
    """An input file, layer or dataset does not exist."""


class UnreadableInputError(SteppeGeoError, ValueError):
    """An input exists but cannot be read (corrupt, wrong format, unsupported)."""


class MissingCRSError(SteppeGeoError, ValueError):
    """A raster or vector input carries no coordinate reference system."""


class CRSMismatchError(SteppeGeoError, ValueError):
    """Two inputs that must share a CRS do not."""


class GeographicCRSError(SteppeGeoError, ValueError):
    """A distance or area was requested in a geographic (degree-based) CRS."""


class GridMismatchError(SteppeGeoError, ValueError):
    """Layers passed together are not on the same grid (CRS, transform, shape)."""


class NoOverlapError(SteppeGeoError, ValueError):
    """An input does not overlap the analysis grid or area of interest."""


class EmptyLayerError(SteppeGeoError, ValueError):
    """A vector layer (or a selection from it) has no features."""


class GeometryTypeError(SteppeGeoError, ValueError):
    """Geometries are of the wrong type for their role (e.g. points given as parcels)."""


class ImplausibleInputError(SteppeGeoError, ValueError):
    """An input's values cannot be what its role says (a DEM in feet, NDVI × 10000, no data in the AOI)."""


class InvalidParameterError(SteppeGeoError, ValueError):
    """A parameter value is out of range or not one of the valid choices."""


class MissingLayerError(SteppeGeoError, LookupError):
    """A model or step needs a layer that was not supplied."""


class OutputExistsError(SteppeGeoError, FileExistsError):
    """An output exists already and ``overwrite`` was not requested, or it is an input."""


class OutputLockedError(OutputExistsError):
    """Another run is writing the same output folder (it holds the folder's lock file).

    The message names the folder and the other run (process id, host, start time, command).
    An :class:`OutputExistsError` (and so a :class:`FileExistsError`) for callers that handle
    "the output is taken" in one place.
    """


class OutputNotWritableError(SteppeGeoError, PermissionError):
    """An output folder cannot be created or written to."""


class ConfigError(SteppeGeoError, ValueError):
    """A TOML configuration is invalid; the message names the key path."""


class InfeasibleError(SteppeGeoError, ValueError):
    """An optimisation problem has no feasible solution (budget, target)."""


class SizeLimitError(SteppeGeoError, MemoryError):
    """A grid, a raster or a run is too large: refused before anything is allocated.

    Raised when a grid or a raster declares more pixels than the documented hard cap
    (:data:`steppe_geo.grid.MAX_GRID_PIXELS`), when reading would need more memory than is
    available, or when a memory-mode run is estimated not to fit in the available RAM.
    """


class SolverLimitError(SteppeGeoError, RuntimeError):
    """A solver stopped at its time (or iteration) limit before finding any solution.

    Not a proof of infeasibility: a longer limit may find one.
    """


class MissingDependencyError(SteppeGeoError, ImportError):
    """A feature of an optional extra was used without the extra installed (the message says which)."""


class SteppeGeoWarning(UserWarning):
    """Root of every warning issued by steppe_geo."""


class SteppeGeoDeprecationWarning(SteppeGeoWarning, DeprecationWarning):
    """A deprecated name was used (an old parameter, attribute, function or configuration key).

    The message names the new name; the old one is kept for one release (``docs/glossary.md``).
    A :class:`DeprecationWarning` too, so ``-W error::DeprecationWarning`` catches it.
    """


class InvalidGeometryWarning(SteppeGeoWarning):
    """Invalid geometries were found and repaired with ``shapely.make_valid``."""


class TruncationWarning(SteppeGeoWarning):
    """Values were cut to fit a format's limits (e.g. dBASE text fields hold 254 bytes)."""


class LayerKindWarning(SteppeGeoWarning):
    """An integer raster of unknown kind that looks like classes was resampled as continuous."""


class UndeclaredUnitsWarning(SteppeGeoWarning):
    """An input raster says nothing about its units (no known tag, none declared).

    Its role's units are assumed (metres for a DEM, ...).
    """

class PointFeaturesWarning(SteppeGeoWarning):
    """A layer meant to hold outlines (settlements, protected areas) holds points within reach of a setback.

    The setback is then measured from the point, not from the outline: a town 2 km across given as its
    centre point keeps a 500 m setback only from the centre, and the town's edge may be eligible.
    """


class NonFiniteValuesWarning(SteppeGeoWarning):
    """A raster holds +inf or -inf values: they are read as nodata.

    The warning names the file and how many such pixels were found in the part read, counted in the
    source pixels before any resampling (so the decision is the same at every grid resolution).
    """
