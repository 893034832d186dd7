"""Gold sets: JSONL lines of document fields plus a ``gold`` object; the set's kind is recognised
from the gold fields."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..ingest import document_from_fields
from ..records import Document, Rejection

ACLED, CAMEO, PLOVER, FIVE_CLASS = "acled_notes", "cameo_manual", "plover", "five_class"
KINDS = (ACLED, CAMEO, PLOVER, FIVE_CLASS)


class GoldError(ValueError):
    """A gold file that cannot be read or recognised (message names the file and line)."""


@dataclass(frozen=True)
class GoldItem:
    doc: Document
    gold: dict


@dataclass(frozen=True)
class GoldSet:
    name: str
    path: str
    kind: str
    items: tuple[GoldItem, ...]


def recognise(gold: dict) -> str | None:
    if "event_type" in gold and "sub_event_type" in gold:
        return ACLED
    if "cameo_code" in gold:
        return CAMEO
    if "event" in gold and "source" in gold:
        return PLOVER
    if "class" in gold and "source_spans" in gold:
        return FIVE_CLASS
    return None


def read_gold(path: Path) -> GoldSet:
    items: list[GoldItem] = []
    kind: str | None = None
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise GoldError(f"{path}: cannot read ({err})") from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise GoldError(f"{path}:{n}: invalid JSON ({err.msg})") from None
        gold = row.get("gold") if isinstance(row, dict) else None
        if not isinstance(gold, dict):
            raise GoldError(f"{path}:{n}: no 'gold' object")
        this = recognise(gold)
        if this is None:
            raise GoldError(f"{path}:{n}: unknown gold format (fields: {', '.join(sorted(gold))})")
        if kind is None:
            kind = this
        elif this != kind:
            raise GoldError(f"{path}:{n}: {this} record in a {kind} file")
        doc = document_from_fields(row, f"{path.stem}:{n}", str(path), n)
        if isinstance(doc, Rejection):
            raise GoldError(f"{path}:{n}: {doc.reason}")
        items.append(GoldItem(doc, gold))
    if kind is None:
        raise GoldError(f"{path}: no records")
    return GoldSet(path.stem, str(path), kind, tuple(items))
