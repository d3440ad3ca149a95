"""Which inputs of a model are vectors, class rasters or continuous rasters, from what reads them.

The one source of the kind of each input (``docs/glossary.md``, case 7): nothing keeps a list of
input names by kind. An input is read as

- the kind its derivations declare (:attr:`~steppe_geo.models.Derivation.input_kinds`, from
  :data:`~steppe_geo.models.DERIVATION_INPUT_KINDS`): ``distance`` and ``within`` read vectors,
  ``sqi`` reads soil-texture classes, ``slope`` a continuous raster, ...;
- a class raster (:attr:`~steppe_geo.io.LayerKind.CATEGORICAL`) by a criterion whose value
  function is :class:`~steppe_geo.mcda.Categorical` and by a
  :class:`~steppe_geo.mcda.Categories` constraint;
- a continuous raster by every other criterion and constraint (value functions and value ranges
  read measurements, a :class:`~steppe_geo.mcda.Setback` reads a distance raster).

:func:`run_model`, :meth:`Model.add_setback`-style edits, the configuration checker and the
pipeline's input loading read the kinds from :func:`input_kinds`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from steppe_geo.errors import InvalidParameterError
from steppe_geo.io.alignment import LayerKind
from steppe_geo.mcda import Categorical, Categories, Overlay

if TYPE_CHECKING:
    from steppe_geo.models.model import Model

__all__ = ["input_kinds", "input_readers"]

_KIND_TEXT = {LayerKind.VECTOR: "a vector layer", LayerKind.CATEGORICAL: "a class raster (categorical)",
              LayerKind.CONTINUOUS: "a continuous raster"}


def input_readers(model: Model | Overlay) -> dict[str, list[tuple[str, LayerKind]]]:
    """Each input of ``model`` → what reads it directly, and as which kind.

    Parameters
    ----------
    model : Model or steppe_geo.mcda.Overlay
        For an :class:`~steppe_geo.mcda.Overlay` (a custom model of a configuration: no
        derivations) every layer its criteria and constraints read is an input.

    Returns
    -------
    dict input → list of (reader, kind)
        The reader as messages name it (``"derivation 'setback_roads'"``, ``"criterion
        'land_cover'"``, ``"constraint 'land_cover_excluded'"``), in model order: derivations,
        criteria, constraints. Inputs nothing reads are left out; derived layers are not inputs.

    Examples
    --------
    >>> from steppe_geo.models import wind_onshore
    >>> input_readers(wind_onshore())["land_cover"]
    [("criterion 'land_cover'", <LayerKind.CATEGORICAL: 'categorical'>)]
    """
    readers: dict[str, list[tuple[str, LayerKind]]] = {}
    derivations = () if isinstance(model, Overlay) else model.derivations
    inputs = None if isinstance(model, Overlay) else set(model.inputs)
    for d in derivations:
        for k, kind in d.input_kinds.items():
            if inputs is None or k in inputs:
                readers.setdefault(k, []).append((f"derivation {d.name!r}", kind))
    for c in model.criteria:
        if inputs is None or c.layer in inputs:
            kind = LayerKind.CATEGORICAL if isinstance(c.function, Categorical) else LayerKind.CONTINUOUS
            readers.setdefault(c.layer, []).append((f"criterion {c.name!r}", kind))
    for con in model.constraints:
        layer = getattr(con, "layer", None)  # a minimum-area rule reads no layer
        if isinstance(layer, str) and (inputs is None or layer in inputs):
            kind = LayerKind.CATEGORICAL if isinstance(con, Categories) else LayerKind.CONTINUOUS
            readers.setdefault(layer, []).append((f"constraint {con.name!r}", kind))
    return readers


def input_kinds(model: Model | Overlay) -> dict[str, LayerKind]:
    """Each input of ``model`` → the kind of layer it is read as (vector, class or continuous raster).

    Derived from what reads the input (:func:`input_readers`); inputs nothing reads are left out.

    Parameters
    ----------
    model : Model or steppe_geo.mcda.Overlay

    Returns
    -------
    dict input → LayerKind
        In the order of ``model.inputs`` (of first reading, for an Overlay).

    Raises
    ------
    InvalidParameterError
        An input read as two kinds (a vector by one reader and a raster by another, or a class
        raster by one and a continuous raster by another), naming the input and both readers.

    Examples
    --------
    >>> from steppe_geo.models import desertification_esai, input_kinds
    >>> kinds = input_kinds(desertification_esai())
    >>> kinds["townships"].value, kinds["soil_texture"].value, kinds["dem"].value
    ('vector', 'categorical', 'continuous')
    """
    readers = input_readers(model)
    order = list(readers) if isinstance(model, Overlay) else [k for k in model.inputs if k in readers]
    kinds: dict[str, LayerKind] = {}
    for k in order:
        (first, kind), *rest = readers[k]
        other = next(((who, kd) for who, kd in rest if kd is not kind), None)
        if other is not None:
            name = getattr(model, "name", "")
            raise InvalidParameterError(
                (f"model {name!r}: " if name else "")
                + f"input {k!r} is read as {_KIND_TEXT[kind]} by {first} and as {_KIND_TEXT[other[1]]} by "
                f"{other[0]}; an input is read as one kind. Give the two readers different inputs (one "
                "layer of each kind), or change one of them"
            )
        kinds[k] = kind
    return kinds
