"""The duplicate ledger of a build: which doc_ids and which texts (by sha256) it has seen, and where.

- the same text again (under any doc_id) is a ``duplicate`` naming the first doc_id;
- a doc_id used again for a different text is ``rejected``, naming file:line of the first.
A repeated doc_id gets the row id ``<doc_id>~<file>:<line>`` so every row keeps a unique id.

It is the one part of a build that grows with the corpus (two keys an article, about 320 bytes in
Python dicts: 3.2 GB at 10M articles). So the keys are held in dicts only up to ``in_memory`` keys;
past that they move to a temporary SQLite database on disk (the standard library's ``sqlite3``: a
B-tree with a bounded page cache), deleted when the ledger is closed or the process ends. Lookups
there cost some microseconds an article instead of a fraction of one, which is nothing beside coding
the article, and the build's memory stays flat in corpus size. Both stores answer the same, so where
the keys live never changes the dataset (``tests/test_ledger.py``).

For the segment cache (coding/segments.py) the ledger can follow one file at a time
(``begin_file``/``end_file``): which keys the file added, and whether settling it looked at a key of
an earlier file (then what it gave depends on the other inputs, and it is not cached).
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import replace
from typing import Iterable

from .records import Document, Rejection

IN_MEMORY_KEYS = 400_000  # ids + texts kept in dicts (about 64 MB) before the ledger moves to disk
_PAGE_CACHE_KB = 16_384


def where_of(rec: Document | Rejection) -> str:
    return f"{rec.input_file}:{rec.input_line}" if rec.input_line else rec.input_file


class _Keys:
    """The doc_ids (-> where first seen) and text hashes (-> first doc_id, where) seen so far: two dicts,
    or two tables of a temporary SQLite database once they hold more than ``in_memory`` keys."""

    def __init__(self, in_memory: int) -> None:
        self.in_memory = in_memory
        self.ids: dict[str, str] = {}
        self.texts: dict[str, tuple[str, str]] = {}
        self.db: sqlite3.Connection | None = None

    def _spill(self) -> None:
        db = sqlite3.connect("")  # "": a private temporary database on disk, removed when closed
        for pragma in ("journal_mode=OFF", "synchronous=OFF", f"cache_size=-{_PAGE_CACHE_KB}"):
            db.execute(f"PRAGMA {pragma}")
        db.execute("CREATE TABLE ids (doc_id TEXT PRIMARY KEY, place TEXT NOT NULL) WITHOUT ROWID")
        db.execute("CREATE TABLE texts (sha TEXT PRIMARY KEY, doc_id TEXT NOT NULL, place TEXT NOT NULL) WITHOUT ROWID")
        self.db = db
        self._store(self.ids, self.texts)
        self.ids, self.texts = {}, {}

    def _store(self, ids: dict[str, str], texts: dict[str, tuple[str, str]]) -> None:
        self.db.executemany("INSERT INTO ids VALUES (?, ?)", ids.items())
        self.db.executemany("INSERT INTO texts VALUES (?, ?, ?)", ((k, *v) for k, v in texts.items()))

    def id_place(self, doc_id: str) -> str | None:
        if self.db is None:
            return self.ids.get(doc_id)
        row = self.db.execute("SELECT place FROM ids WHERE doc_id = ?", (doc_id,)).fetchone()
        return None if row is None else row[0]

    def text_first(self, sha: str) -> tuple[str, str] | None:
        if self.db is None:
            return self.texts.get(sha)
        row = self.db.execute("SELECT doc_id, place FROM texts WHERE sha = ?", (sha,)).fetchone()
        return None if row is None else (row[0], row[1])

    def add(self, ids: dict[str, str], texts: dict[str, tuple[str, str]]) -> None:
        if self.db is not None:
            self._store(ids, texts)
            return
        self.ids.update(ids)
        self.texts.update(texts)
        if len(self.ids) + len(self.texts) > self.in_memory:
            self._spill()

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None


class Ledger:
    """The first occurrence of each doc_id and text is kept; :meth:`settle` decides for each record."""

    def __init__(self, in_memory: int | None = None) -> None:
        self._keys = _Keys(IN_MEMORY_KEYS if in_memory is None else in_memory)
        self._own: tuple[dict[str, str], dict[str, tuple[str, str]]] | None = None
        self._outside = False

    @property
    def on_disk(self) -> bool:
        return self._keys.db is not None

    def close(self) -> None:
        self._keys.close()

    def begin_file(self) -> None:
        self._own, self._outside = ({}, {}), False

    def end_file(self) -> tuple[bool, dict[str, str], dict[str, tuple[str, str]]]:
        """(whether the file's results depend on earlier files, the ids it added, the texts it added)."""
        own, self._own = self._own, None
        return self._outside, own[0], own[1]

    def conflicts(self, ids: Iterable[str], texts: Iterable[str]) -> bool:
        keys = self._keys
        return any(keys.id_place(k) is not None for k in ids) or any(keys.text_first(k) is not None for k in texts)

    def adopt(self, ids: dict[str, str], texts: dict[str, tuple[str, str]]) -> None:
        """The keys of a file settled earlier (a cached segment that does not conflict)."""
        self._keys.add(ids, texts)

    def _id_place(self, doc_id: str) -> str | None:
        place = self._keys.id_place(doc_id)
        if place is not None and self._own is not None and doc_id not in self._own[0]:
            self._outside = True
        return place

    def _free_id(self, doc_id: str, where: str) -> str:
        candidate, k = doc_id if self._id_place(doc_id) is None else f"{doc_id}~{where}", 1
        while self._id_place(candidate) is not None:
            k += 1
            candidate = f"{doc_id}~{where}~{k}"
        self._add({candidate: where}, {})
        return candidate

    def _add(self, ids: dict[str, str], texts: dict[str, tuple[str, str]]) -> None:
        self._keys.add(ids, texts)
        if self._own is not None:
            self._own[0].update(ids)
            self._own[1].update(texts)

    def settle(self, rec: Document | Rejection) -> Document | Rejection:
        where = where_of(rec)
        if isinstance(rec, Rejection):
            return replace(rec, doc_id=self._free_id(rec.doc_id, where))
        sha = hashlib.sha256(rec.text.encode("utf-8")).hexdigest()
        first = self._keys.text_first(sha)
        if first is not None:
            if self._own is not None and sha not in self._own[1]:
                self._outside = True
            first_id, first_where = first
            return Rejection(self._free_id(rec.doc_id, where), rec.input_file, rec.input_line,
                             f"duplicate of {first_id!r} ({first_where}): same text", rec.fields(),
                             status="duplicate", n_chars=len(rec.text), text_sha256=sha)
        place = self._id_place(rec.doc_id)
        if place is not None:
            return Rejection(self._free_id(rec.doc_id, where), rec.input_file, rec.input_line,
                             f"doc_id {rec.doc_id!r} already used at {place} for a different text "
                             "(the first is kept)", rec.fields(), n_chars=len(rec.text), text_sha256=sha)
        self._add({rec.doc_id: where}, {sha: (rec.doc_id, where)})
        return rec
