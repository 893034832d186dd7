"""How a build's processes are set up: imports a build does not need kept out of the way, and how
memory is allocated (Arrow's allocator, glibc's threshold for mapping large blocks). Each is undone or
left to the user where it would change anything else: the module table is put back at once, and
``ARROW_DEFAULT_MEMORY_POOL`` and ``MALLOC_MMAP_THRESHOLD_`` decide when they are set."""

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


MMAP_THRESHOLD = 256 * 1024  # bytes: glibc maps blocks from this size from the OS, and returns them when freed


def lean_memory() -> None:
    """Set up a build's process (or worker) to give back what it frees: Arrow's allocator
    (``lean_arrow_memory``) and glibc's (``lean_c_memory``)."""
    lean_arrow_memory()
    lean_c_memory()


def lean_c_memory() -> None:
    """glibc's malloc maps blocks of ``MMAP_THRESHOLD`` bytes or more from the OS and unmaps them when
    they are freed. Its default threshold starts at 128 KiB but rises to the size of each mapped block
    freed, up to 32 MiB; past that, the multi-megabyte buffers of a build (a group's rows pickled by a
    worker, CSV text, pandas columns) come from the heap, and what they leave free there stays resident:
    at the end of a 30,000-article build with two workers, the build process's heap held 130 MB free of
    220 MB (``mallinfo2``). A fixed threshold keeps large blocks mapped: the peak PSS of that build fell
    from 1,099 to 929 MB at the same speed (benchmarks/results.md). ``MALLOC_MMAP_THRESHOLD_``, when
    set, is left to decide; elsewhere than glibc (macOS, Windows, musl) nothing is done."""
    if os.environ.get("MALLOC_MMAP_THRESHOLD_") is not None or not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(ctypes.c_int(-3), ctypes.c_int(MMAP_THRESHOLD))  # -3: M_MMAP_THRESHOLD (malloc.h)


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
