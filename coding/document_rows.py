"""The documents row of one ingested record: coded, or passed through as rejected or duplicate.

Kept apart from coding/build.py so that worker processes (coding/parallel.py, coding/dask_engine.py),
which only code, do not import the framing, validation and writing stages (pandera, the spool).
"""

from __future__ import annotations

import logging
from dataclasses import replace

from .pipeline import Coders, code_document
from .records import CodedDocument, Document, Rejection

log = logging.getLogger(__name__)

CODER_ERROR = "coder error"


def not_coded(rec: Rejection) -> CodedDocument:
    f = rec.fields  # cleaned by ingest: source, url, title, language
    return CodedDocument(doc_id=rec.doc_id, input_file=rec.input_file, input_line=rec.input_line, status=rec.status,
                         reason=rec.reason, n_sentences=0, n_chars=rec.n_chars, text_sha256=rec.text_sha256,
                         publication_date=None, source=f.get("source"), url=f.get("url"), title=f.get("title"),
                         language=f.get("language"), mentions=())


def code_record(rec: Document | Rejection, coders: Coders) -> CodedDocument:
    """The documents row (with its mentions) of one ingested record."""
    if isinstance(rec, Rejection):
        log.warning("%s %s (%s:%s): %s", rec.status, rec.doc_id, rec.input_file, rec.input_line, rec.reason)
        return not_coded(rec)
    try:
        coded = code_document(rec, coders)
    except MemoryError:
        raise
    except Exception as err:  # a bug in a coder: keep the others, say which document and why
        log.exception("coder error on %s (%s:%s)", rec.doc_id, rec.input_file, rec.input_line)
        return not_coded(Rejection(rec.doc_id, rec.input_file, rec.input_line,
                                   f"{CODER_ERROR} (a bug, please report): {type(err).__name__}: {err}"[:500],
                                   {"source": rec.source, "url": rec.url, "title": rec.title, "language": rec.language},
                                   n_chars=len(rec.text)))
    return replace(coded, reason=rec.note) if rec.note else coded
