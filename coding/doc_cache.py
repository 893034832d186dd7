"""Coded documents cached by content, for incremental builds (``build --incremental``).

The key of a document is the sha256 of every field of its ingested record (doc_id, text, file, line,
publication date, source, url, title, language, ingest note) and of the compiled-rules cache key
(``rules_cache.cache_key()``: the rules' sha256, the coder's source and the data packages' versions),
so a cached row is reused only when coding it again would give the same row. Rebuilding a corpus
after adding articles codes only the new ones; changing a rule (or the coder) codes everything again.

Entries live in ``<cache>/documents/<rules cache key>/<2 hex>/<key>.pickle`` beside the compiled
rules (``$CAMEO_ACLED_CACHE`` or ``~/.cache/cameo-acled-coder``); the folders of older rules can be
deleted at any time. Rejected and duplicate inputs are not cached (they cost nothing to redo), nor
documents a coder failed on. An unreadable entry is coded again. Only files this program wrote
are loaded (pickle is not for untrusted input).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import pickle
import tempfile
from pathlib import Path

from .records import CodedDocument, Document

log = logging.getLogger(__name__)


class DocumentCache:
    def __init__(self, folder: Path, rules_key: str) -> None:
        self.folder = folder / "documents" / rules_key
        self.rules_key = rules_key
        self.reused = 0
        self.stored = 0

    def key(self, doc: Document) -> str:
        fields = [self.rules_key] + [None if v is None else str(v) for v in dataclasses.astuple(doc)]
        return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode("utf-8")).hexdigest()

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.pickle"

    def get(self, doc: Document) -> CodedDocument | None:
        path = self._path(self.key(doc))
        try:
            with path.open("rb") as fh:
                coded = pickle.load(fh)
        except FileNotFoundError:
            return None
        except Exception as err:  # truncated or stale: code it again
            log.warning("ignoring unreadable cached document %s: %s", path, err)
            return None
        if not isinstance(coded, CodedDocument) or coded.doc_id != doc.doc_id:
            return None
        self.reused += 1
        return coded

    def put(self, doc: Document, coded: CodedDocument) -> None:
        path = self._path(self.key(doc))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".doc-", suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(coded, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
            self.stored += 1
        except OSError as err:
            log.warning("could not write document cache in %s: %s", self.folder, err)


def open_cache() -> DocumentCache | None:
    """The document cache beside the compiled rules, or None when caching is off."""
    from .rules_cache import cache_dir, cache_key

    folder = cache_dir()
    return None if folder is None else DocumentCache(folder, cache_key())
