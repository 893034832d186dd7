"""Build a dataset: read inputs, code every document, frame, validate, write."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from . import __version__
from .frame import documents_frame, events_frame, mentions_frame
from .ingest import discover, read_inputs
from .pipeline import Coders, code_document
from .records import Rejection
from .write import write_dataset
from schemas import SCHEMA_VERSION
from schemas.dataset import Report, validate_frames

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings:
    inputs: tuple[Path, ...]
    out: Path


@dataclass(frozen=True)
class BuildResult:
    out: Path
    counts: dict[str, int]
    statuses: dict[str, int]
    n_sentences: int
    report: Report


def _inputs_sha256(files: list[Path]) -> dict[str, str]:
    return {str(f): hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


def build(settings: Settings, coders: Coders, progress: Callable[[int], None] | None = None) -> BuildResult:
    files = discover(list(settings.inputs))
    docs = []
    mentions = []
    for rec in read_inputs(list(settings.inputs)):
        if isinstance(rec, Rejection):
            log.warning("rejected %s (%s:%s): %s", rec.doc_id, rec.input_file, rec.input_line, rec.reason)
            docs.append(rec)
        else:
            coded = code_document(rec, coders)
            docs.append(coded)
            mentions.extend(coded.mentions)
        if progress is not None:
            progress(1)
    m = mentions_frame(mentions)
    frames = {"mentions": m, "events": events_frame(m), "documents": documents_frame(docs)}
    valid, report = validate_frames(frames)
    statuses = frames["documents"]["status"].value_counts().to_dict()
    counts = {k: len(v) for k, v in frames.items()}
    n_sentences = int(frames["documents"]["n_sentences"].sum())
    if report.ok:
        manifest = {
            "package": "cameo-acled-coder", "coder_version": __version__, "schema_version": SCHEMA_VERSION,
            "rules_sha256": coders.rules_sha256, "inputs_sha256": _inputs_sha256(files), "rows": counts,
            "documents_by_status": {k: int(v) for k, v in sorted(statuses.items())},
            "inputs": len(docs), "sentences": n_sentences,
        }
        write_dataset(settings.out, {k: valid[k] for k in frames}, manifest)
    return BuildResult(settings.out, counts, {k: int(v) for k, v in statuses.items()}, n_sentences, report)
