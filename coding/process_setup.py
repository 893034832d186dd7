"""How a build's processes are set up: imports a build does not need kept out of the way, and the
allocator Arrow uses. Each is undone or left to the user where it would change anything else: the
module table is put back at once, and ``ARROW_DEFAULT_MEMORY_POOL`` decides when it is set."""

from __future__ import annotations

import importlib
import os
import sys


def import_hiding(module: str, hidden: str, undo_failed: str | None = None) -> None:
    """Import ``module`` while the module ``hidden`` looks absent (importing it raises ImportError); the
    module table is put back as it was at once, so ``hidden`` imports as usual afterwards. With
    ``undo_failed`` (a package), an ImportError drops that package's modules, so a later import tries
    again with ``hidden`` there; without, it is raised."""
    saved = sys.modules.get(hidden)
    sys.modules[hidden] = None  # an import of it raises ImportError
    try:
        importlib.import_module(module)
    except ImportError:
        if undo_failed is None:
            raise
        for name in [m for m in sys.modules if m == undo_failed or m.startswith(undo_failed + ".")]:
            del sys.modules[name]
    finally:
        if saved is None:
            del sys.modules[hidden]
        else:
            sys.modules[hidden] = saved


def pandera_without_dask() -> None:
    """Let pandera's typing module find dask absent. Building a schema's index types imports
    ``pandera.typing.dask``, which imports ``dask.dataframe`` (about 0.5 s, a tenth of a small
    incremental build) only to recognise dask frames; a build validates pandas frames only, and
    ``--engine dask`` imports dask as usual."""
    if "pandera.typing.dask" not in sys.modules:
        import_hiding("pandera.typing.dask", "dask.dataframe")


def pandera_without_hypothesis() -> None:
    """Let pandera find hypothesis absent. The first validation imports pandera's built-in checks, which
    import hypothesis (about 0.1 s, a twentieth of a small incremental build) only to offer data synthesis
    (``Model.strategy()``), which no command uses. Unless hypothesis is imported already (a test session),
    pandera's strategies are imported with it hidden (they would raise ImportError if called). A pandera
    that cannot do without hypothesis is left to import it as usual."""
    if "hypothesis" not in sys.modules and "pandera.strategies.base_strategies" not in sys.modules:
        import_hiding("pandera.strategies.pandas_strategies", "hypothesis", undo_failed="pandera.strategies")


def lean_arrow_memory() -> None:
    """Arrow allocates through jemalloc, where the wheel has it (Linux, macOS): pyarrow's default, mimalloc,
    keeps the memory a build frees (each batch's frames, the bucket flushes) and the processes of a pool
    grew by 100-200 MB each with it. ``ARROW_DEFAULT_MEMORY_POOL``, when set, is left to decide."""
    import pyarrow as pa

    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    except NotImplementedError:  # a wheel built without jemalloc (Windows): the default pool
        pass
