"""The final tables of an earlier incremental build, kept so a later build rewrites only what changed.

``build --incremental`` takes unchanged JSONL and CSV files whole from the segment cache
(coding/segments.py). Merging their rows with the rest and writing the dataset would still cost as
much as a full build, so a build that writes its tables keeps them here too: each table as an Arrow
IPC file (read by memory-mapping, without decoding), its CSV text (the dataset's own file, hard-linked
when the file system allows) and the byte offset of every CSV row, with the segment key of every input
file whose rows the tables hold. A later build whose files include some of them with the same segment
keys takes those files' rows from the kept tables as they are, CSV text included
(coding/splice.py), and builds only the rows of the other files and the events and ACLED events they
touch.

Entries live in ``<cache>/tables/<rules cache key>/<id>/`` beside the segments; at most ``KEEP``
are kept (the newest). An entry is used only if its CSV files are the ones it stored (same size and
modification time: a dataset edited in place is not spliced from), and a build keeps a new entry
only when the rows it did not take from one are many (``worth_keeping``), so a rebuild after adding a
few articles costs no more than writing its dataset.
"""

from __future__ import annotations

import logging
import os
import pickle
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .segments import link_or_copy

log = logging.getLogger(__name__)

_FORMAT = 1
KEEP = 2  # entries kept per rules key
TABLES = ("documents", "mentions", "events", "acled_events")
REKEEP_SHARE = 0.2  # keep a new entry when the rows built afresh exceed this share of the rows taken


@dataclass
class KeptTables:
    """What an entry knows of its build: the segment key of each input file whose rows it holds, the
    documents of each, and the size and modification time of each kept CSV file."""

    files: dict[str, str]  # input path -> segment key
    documents: dict[str, int]  # input path -> documents rows
    rows: int  # documents rows of the tables (files without a segment key included)
    csv_stat: dict[str, tuple[int, int]]
    folder: Path | None = None

    def table(self, name: str):
        """The table as an arrow Table over the memory-mapped IPC file."""
        import pyarrow as pa

        return pa.ipc.open_file(pa.memory_map(str(self.folder / f"{name}.arrow"))).read_all()

    def csv(self, name: str) -> memoryview:
        """The CSV bytes (memory-mapped)."""
        import mmap

        with (self.folder / f"{name}.csv").open("rb") as fh:
            if os.fstat(fh.fileno()).st_size == 0:
                return memoryview(b"")
            return memoryview(mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ))

    def row_ends(self, name: str) -> np.ndarray:
        return np.load(self.folder / f"{name}.rows.npy")

    def matches(self, expected: dict[str, str]) -> int:
        """Documents of the files whose segment keys are the ones this build expects."""
        return sum(self.documents.get(path, 0) for path, key in self.files.items() if expected.get(path) == key)


class TableCache:
    def __init__(self, folder: Path, rules_key: str) -> None:
        self.folder = folder / "tables" / rules_key

    def find(self, expected: dict[str, str]) -> KeptTables | None:
        """The entry holding the most documents of files with the expected segment keys (input path ->
        key), or None."""
        best, best_docs = None, 0
        for entry in self._entries():
            kept = self._load(entry)
            if kept is None:
                continue
            docs = kept.matches(expected)
            if docs > best_docs:
                best, best_docs = kept, docs
        return best

    def _entries(self) -> list[Path]:
        try:
            found = [p for p in self.folder.iterdir() if p.is_dir() and not p.name.startswith(".")]
        except FileNotFoundError:
            return []
        return sorted(found, key=lambda p: p.stat().st_mtime_ns, reverse=True)

    def _load(self, entry: Path) -> KeptTables | None:
        """The entry, if whole: its CSV files unchanged, and as many row offsets as Arrow rows."""
        import pyarrow as pa

        try:
            with (entry / "tables.pickle").open("rb") as fh:
                fmt, kept = pickle.load(fh)
            if fmt != _FORMAT or not isinstance(kept, KeptTables):
                return None
            for name in TABLES:
                st = (entry / f"{name}.csv").stat()
                if (st.st_size, st.st_mtime_ns) != kept.csv_stat[name]:
                    return None
                ends = np.load(entry / f"{name}.rows.npy", mmap_mode="r")
                rows = pa.ipc.open_file(pa.memory_map(str(entry / f"{name}.arrow"))).read_all().num_rows
                if len(ends) != rows + 1 or int(ends[-1]) != st.st_size:
                    log.warning("ignoring kept tables %s: %s rows, CSV rows and CSV size disagree", entry, name)
                    return None
        except FileNotFoundError:
            return None
        except Exception as err:  # truncated or stale: not used
            log.warning("ignoring unreadable kept tables %s: %s", entry, err)
            return None
        kept.folder = entry
        return kept

    def start(self) -> Path | None:
        """A new entry's folder, for the writers' Arrow copies and row offsets (``store`` or ``abandon``)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            return Path(tempfile.mkdtemp(dir=self.folder, prefix=".tables-"))
        except OSError as err:
            log.warning("could not keep tables in %s: %s", self.folder, err)
            return None

    def store(self, folder: Path, dataset: Path, files: dict[str, str], documents: dict[str, int], rows: int) -> None:
        """Finish the entry ``folder``: the CSV files of ``dataset`` (the new dataset's folder, before it
        is published) beside the Arrow copies, and what the tables hold."""
        try:
            stat = {}
            for name in TABLES:
                link_or_copy(dataset / f"{name}.csv", folder / f"{name}.csv")
                st = (folder / f"{name}.csv").stat()
                stat[name] = (st.st_size, st.st_mtime_ns)
            with (folder / "tables.pickle").open("wb") as fh:
                pickle.dump((_FORMAT, KeptTables(files, documents, rows, stat)), fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(folder, self.folder / f"{time.time_ns():x}-{os.getpid()}")
        except OSError as err:
            log.warning("could not keep tables in %s: %s", self.folder, err)
            self.abandon(folder)
            return
        for old in self._entries()[KEEP:]:
            shutil.rmtree(old, ignore_errors=True)

    @staticmethod
    def abandon(folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)


def worth_keeping(taken_documents: int, fresh_documents: int) -> bool:
    """Whether a build keeps its tables: when it took none from a kept entry, or built many rows afresh
    (documents of files not taken from the entry, and documents the entry held but this build dropped)."""
    return taken_documents == 0 or fresh_documents > REKEEP_SHARE * taken_documents


def open_tables() -> TableCache | None:
    """The table cache beside the compiled rules, or None when caching is off."""
    from .rules_cache import cache_dir, cache_key

    folder = cache_dir()
    return None if folder is None else TableCache(folder, cache_key())
