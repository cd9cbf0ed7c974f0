"""Synthetic, deterministic data for development, demos and benchmarks (`mzhub seed`): the real
Ningxia division tree plus synthetic villages, residents, households, cases, payments and
supervision records. See hub.seed.runner for the restart and determinism rules.
"""

from hub.seed.context import DEFAULT_AS_OF
from hub.seed.runner import (
    DatabaseNotEmpty,
    SeedError,
    SeedReport,
    database_is_seeded,
    run_seed,
)

__all__ = [
    "DEFAULT_AS_OF",
    "DatabaseNotEmpty",
    "SeedError",
    "SeedReport",
    "database_is_seeded",
    "run_seed",
]
