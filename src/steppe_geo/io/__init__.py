"""The only part of steppe_geo that touches the file system: read, align, write (atomically).

See ``docs/io.md``.
"""

from steppe_geo.io.align_memory import align
from steppe_geo.io.atomic import atomic_path, check_output_path
from steppe_geo.io.overview import MAP_MAX_PIXELS, decimated_shape, read_decimated
from steppe_geo.io.provenance import (
    PROVENANCE_TAG,
    SOURCE_DATE_EPOCH,
    created_utc,
    file_checksum,
    fixed_creation_dates,
    provenance_record,
    read_provenance,
    read_raster_tags,
)
from steppe_geo.io.raster import LayerKind, ResamplingMethod, default_resampling, read_raster
from steppe_geo.io.records import (
    IrregularRecordWarning,
    read_raster_stack,
    read_station_record,
    record_durations,
)
from steppe_geo.io.vector import GeometryRole, rasterize, read_vector, vector_columns, vector_layers
from steppe_geo.io.vector_writing import shapefile_field_names, write_shapefile_zip, write_vector
from steppe_geo.io.warp import align_to_file, open_lazy, read_window, tiled_writer
from steppe_geo.io.write import (
    Compression,
    RasterWindowWriter,
    raster_writer,
    save_figure,
    write_json,
    write_raster,
    write_text,
)

__all__ = [
    "MAP_MAX_PIXELS",
    "PROVENANCE_TAG",
    "SOURCE_DATE_EPOCH",
    "Compression",
    "GeometryRole",
    "IrregularRecordWarning",
    "LayerKind",
    "RasterWindowWriter",
    "ResamplingMethod",
    "align",
    "align_to_file",
    "atomic_path",
    "check_output_path",
    "created_utc",
    "decimated_shape",
    "default_resampling",
    "file_checksum",
    "fixed_creation_dates",
    "open_lazy",
    "provenance_record",
    "raster_writer",
    "rasterize",
    "read_decimated",
    "read_provenance",
    "read_raster",
    "read_raster_stack",
    "read_raster_tags",
    "read_station_record",
    "read_vector",
    "read_window",
    "record_durations",
    "save_figure",
    "shapefile_field_names",
    "tiled_writer",
    "vector_columns",
    "vector_layers",
    "write_json",
    "write_raster",
    "write_shapefile_zip",
    "write_text",
    "write_vector",
]
