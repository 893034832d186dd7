"""What one unchanged input table contributed to a build, cached whole, for incremental builds.

``build --incremental`` spools the documents of each JSONL or CSV input file as runs of their own
(coding/spool.py: framed, validated, sorted by doc_id). After the file is coded, those runs are stored
here with what the rest of the build needs of the file: the doc_ids and text hashes it added to the
duplicate ledger, its counts for the summary and manifest, and its rejected documents. When a later
build finds the same file (same path, same bytes) with the same rules, coder, schemas and limits, it
takes the runs as they are and reads, screens, codes, frames and validates none of its documents.

A file's segment is used only when it cannot differ from coding the file again:

- it is stored only if settling the file against the ledger never looked at a document of an earlier
  file (a text or doc_id seen before would make its rows depend on the other inputs), and no document
  of it met a coder error;
- it is taken only if none of the doc_ids and texts it added are already in the ledger, and the
  latest accepted publication date (the build date plus two days) ignores the same dates as when it
  was stored.

Otherwise the file is read as usual (its documents may still come from the document cache,
coding/doc_cache.py). Entries live in ``<cache>/segments/<rules cache key>/<key>/`` (runs as
uncompressed Parquet files, ``segment.pickle``); folders of older rule keys can be deleted at any time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import pickle
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

_FORMAT = 2
TABLE_SUFFIXES = (".jsonl", ".csv")


@dataclass
class Segment:
    """One input file's share of a build."""

    ids: dict[str, str]  # doc_id -> file:line added to the ledger
    texts: dict[str, tuple[str, str]]  # text sha256 -> (doc_id, file:line) added to the ledger
    statuses: dict[str, int]
    n_sentences: int
    n_noted: int
    rejections: list[tuple[str, int | None, str, str]]
    rows: dict[str, int]  # documents and mentions rows in the runs
    latest_date: dt.date | None  # the limit the file was screened with
    max_date: dt.date | None  # the latest publication date kept
    dates_ignored: bool  # some publication date was after latest_date
    runs: list[tuple[Path, Path]] = field(default_factory=list)

    @property
    def documents(self) -> int:
        return self.rows["documents"]

    def fits(self, latest_date: dt.date | None) -> bool:
        """True when screening the file again with ``latest_date`` keeps and ignores the same dates."""
        if latest_date == self.latest_date:
            return True
        return not self.dates_ignored and (latest_date is None or self.max_date is None or self.max_date <= latest_date)


def _schemas_fingerprint() -> str:
    """sha256 of the schemas' source: stored runs were validated by them."""
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parent.parent / "schemas"
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:  # another file system, or no hard links
        shutil.copyfile(src, dst)


class SegmentCache:
    def __init__(self, folder: Path, rules_key: str, max_chars: int) -> None:
        self.folder = folder / "segments" / rules_key
        self._base = [_FORMAT, rules_key, _schemas_fingerprint(), max_chars]
        self.reused = 0  # documents taken from segments

    def key(self, path: Path, sha256: str) -> str:
        return hashlib.sha256(json.dumps(self._base + [str(path), sha256]).encode("utf-8")).hexdigest()

    def get(self, path: Path, sha256: str) -> Segment | None:
        entry = self.folder / self.key(path, sha256)
        try:
            with (entry / "segment.pickle").open("rb") as fh:
                seg = pickle.load(fh)
        except FileNotFoundError:
            return None
        except Exception as err:  # truncated or stale: read the file again
            log.warning("ignoring unreadable cached segment %s: %s", entry, err)
            return None
        if not isinstance(seg, Segment):
            return None
        seg.runs = [(entry / d, entry / m) for d, m in seg.runs]
        if not all(d.exists() and m.exists() for d, m in seg.runs):
            return None
        return seg

    def put(self, path: Path, sha256: str, seg: Segment) -> None:
        entry = self.folder / self.key(path, sha256)
        if entry.exists():
            return
        tmp = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(dir=self.folder, prefix=".segment-"))
            names = []
            for i, (d, m) in enumerate(seg.runs):
                names.append((f"run-{i:04d}-documents.parquet", f"run-{i:04d}-mentions.parquet"))
                link_or_copy(d, tmp / names[-1][0])
                link_or_copy(m, tmp / names[-1][1])
            stored = Segment(**{**seg.__dict__, "runs": names})
            with (tmp / "segment.pickle").open("wb") as fh:
                pickle.dump(stored, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, entry)
            tmp = None
        except OSError as err:
            log.warning("could not write segment cache in %s: %s", self.folder, err)
        finally:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)


def open_segments(max_chars: int) -> SegmentCache | None:
    """The segment cache beside the compiled rules, or None when caching is off."""
    from .rules_cache import cache_dir, cache_key

    folder = cache_dir()
    return None if folder is None else SegmentCache(folder, cache_key(), max_chars)
