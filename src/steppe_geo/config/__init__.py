"""TOML configuration: schema, validation with key paths, and the commented example.

A configuration is checked completely *before* any work starts. Every error is a
:class:`~steppe_geo.errors.ConfigError` (or :class:`~steppe_geo.errors.InputNotFoundError` for a
missing input file) whose message starts with the key path and echoes the bad value, the valid
choices and the closest one::

    models.wind.criteria[2].function: unknown 'gausian'; did you mean 'gaussian'? Valid names are: ...

Relative *input* paths (``[sources]``, ``model_file``) are resolved against the folder of the
configuration file; a relative *output* folder (``outputs.directory``) against the current working
directory, so running a shared or read-only configuration (such as the examples) writes its outputs
where you run it. An input written ``"sample:<layer>"`` refers to a layer of the bundled sample
dataset.

:func:`load_config` checks the schema. What needs the models themselves — preset parameters,
layers named by criteria and constraints, the inputs every model needs, weights and AHP
judgements against criterion names, parcel columns — is checked by
:func:`steppe_geo.pipeline.check_config` (``steppe-geo validate`` runs both, and
:func:`steppe_geo.pipeline.run` runs it before any work).

The package's modules: :mod:`~steppe_geo.config.schema` (the dataclasses and enums),
:mod:`~steppe_geo.config.checks` (typed getters naming key paths), :mod:`~steppe_geo.config.model_tables`
(one ``[models.<name>]`` table), :mod:`~steppe_geo.config.reading` (inputs, the whole mapping, TOML
text and files) and :mod:`~steppe_geo.config.example` (the commented example).
"""

from steppe_geo.config.example import EXAMPLE_CONFIG
from steppe_geo.config.reading import config_from_dict, load_config, parse_config
from steppe_geo.config.schema import (
    INPUT_OPTIONS as INPUT_OPTIONS,  # importable from here, not in __all__
)
from steppe_geo.config.schema import (
    MODEL_PRESETS,
    AHPJudgement,
    Config,
    CriterionConfig,
    GridConfig,
    HybridConfig,
    InputSpec,
    ModelConfig,
    OutputsConfig,
    ParcelsConfig,
    RunConfig,
    TurbinesConfig,
)
from steppe_geo.config.schema import (
    SAMPLE_PREFIX as SAMPLE_PREFIX,  # importable from here, not in __all__
)
from steppe_geo.config.schema import (
    MapFormat as MapFormat,  # importable from here, not in __all__
)
from steppe_geo.config.schema import (
    Projection as Projection,  # importable from here, not in __all__
)
from steppe_geo.config.schema import (
    RunMode as RunMode,  # importable from here, not in __all__
)
from steppe_geo.config.schema import (
    VectorFormat as VectorFormat,  # importable from here, not in __all__
)

__all__ = [
    "EXAMPLE_CONFIG",
    "MODEL_PRESETS",
    "AHPJudgement",
    "Config",
    "CriterionConfig",
    "GridConfig",
    "HybridConfig",
    "InputSpec",
    "ModelConfig",
    "OutputsConfig",
    "ParcelsConfig",
    "RunConfig",
    "TurbinesConfig",
    "config_from_dict",
    "load_config",
    "parse_config",
]
