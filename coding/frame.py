"""Records -> pandas DataFrames with the schema's columns and dtypes."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pyarrow as pa

from .assemble import EVENT_FIRST
from .merge import MergeRules, acled_event_ids, build_acled_events
from .records import CodedDocument, Mention, Rejection
from schemas.tables import columns

_INT = {"sentence_index", "char_start", "char_end", "date_precision", "quad_class", "geo_precision", "fatalities",
        "input_line", "n_sentences", "n_mentions", "n_asserted", "n_chars", "num_mentions", "num_articles", "num_sources",
        "num_events"}
_FLOAT = {"goldstein", "latitude", "longitude"}
_DATE = {"event_date", "publication_date"}


def _typed(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    cols = columns(table)
    frame = frame.reindex(columns=cols)
    for c in cols:
        if c in _INT:
            frame[c] = pd.array(frame[c].astype(object).where(frame[c].notna(), None).tolist(), dtype="Int64")
        elif c in _FLOAT:
            frame[c] = frame[c].astype("float64")
        elif c in _DATE:
            frame[c] = frame[c].astype(object).where(frame[c].notna(), None)
        else:
            frame[c] = frame[c].astype(object).where(frame[c].notna(), None).astype("string")
    return frame


def mentions_frame(mentions: list[Mention]) -> pd.DataFrame:
    rows = [m.__dict__ for m in mentions]
    frame = pd.DataFrame(rows, columns=[f.name for f in dataclasses.fields(Mention)])
    frame = frame.sort_values(["doc_id", "sentence_index", "char_start", "mention_id"], kind="mergesort")
    return _typed(frame.reset_index(drop=True), "mentions")


def events_frame(mentions: pd.DataFrame, merge: MergeRules | None = None) -> pd.DataFrame:
    """The events of asserted mentions, each with the id of the ACLED event it is merged into
    (``merge``: the rules of rules/merge.yaml, read when not given)."""
    events = build_events(mentions)
    events["acled_event_id"] = acled_event_ids(events, merge) if len(events) else pd.Series(dtype=object)
    return _typed(events, "events")


def acled_events_frame(events: pd.DataFrame, merge: MergeRules | None = None) -> pd.DataFrame:
    """The ACLED events of typed events (every event of each acled_event_id they hold)."""
    return _typed(build_acled_events(events, merge), "acled_events")


def documents_frame(docs: list[CodedDocument | Rejection]) -> pd.DataFrame:
    rows = []
    for d in docs:
        if isinstance(d, Rejection):
            f = d.fields or {}
            rows.append({"doc_id": d.doc_id, "input_file": d.input_file, "input_line": d.input_line,
                         "status": "rejected", "reason": d.reason, "n_sentences": 0, "n_mentions": 0,
                         "n_asserted": 0, "n_chars": 0, "text_sha256": None, "publication_date": None,
                         "source": _s(f.get("source")), "url": _s(f.get("url")), "title": _s(f.get("title")),
                         "language": _s(f.get("language"))})
        else:
            rows.append({"doc_id": d.doc_id, "input_file": d.input_file, "input_line": d.input_line,
                         "status": d.status, "reason": d.reason, "n_sentences": d.n_sentences,
                         "n_mentions": len(d.mentions), "n_asserted": sum(m.modality == "asserted" for m in d.mentions),
                         "n_chars": d.n_chars, "text_sha256": d.text_sha256, "publication_date": d.publication_date,
                         "source": d.source, "url": d.url, "title": d.title, "language": d.language})
    frame = pd.DataFrame(rows, columns=columns("documents")).sort_values("doc_id", kind="mergesort")
    return _typed(frame.reset_index(drop=True), "documents")


def _s(v) -> str | None:
    return None if v in (None, "") else str(v)


def arrow_schema(table: str) -> pa.Schema:
    """The arrow types a table is written with, whatever a piece of it holds (a column that is all null
    in one piece keeps its type)."""
    def kind(c: str) -> pa.DataType:
        if c in _INT:
            return pa.int64()
        if c in _FLOAT:
            return pa.float64()
        if c in _DATE:
            return pa.date32()
        return pa.large_string()

    return pa.schema([(c, kind(c)) for c in columns(table)])


def build_events(mentions: pd.DataFrame) -> pd.DataFrame:
    """One row per event_id: the first mention's coding (by publication date, doc, sentence), the
    most precise date, the highest fatality count reported (counted once, never summed), counts."""
    asserted = mentions[mentions["event_id"].notna()]
    if asserted.empty:
        return pd.DataFrame(columns=["event_id", *EVENT_FIRST, "fatalities", "num_mentions", "num_articles",
                                     "num_sources", "first_doc_id", "source_url", "rule_ids"])
    ordered = asserted.sort_values(["event_id", "publication_date", "doc_id", "sentence_index", "char_start"],
                                   na_position="last", kind="mergesort")
    grouped = ordered.groupby("event_id", sort=True)
    events = ordered.drop_duplicates("event_id", keep="first").set_index("event_id")[EVENT_FIRST].sort_index()
    events["date_precision"] = grouped["date_precision"].min()
    events["geo_precision"] = grouped["geo_precision"].min()
    events["fatalities"] = grouped["fatalities"].max()
    events["num_mentions"] = grouped.size()
    events["num_articles"] = grouped["doc_id"].nunique()
    events["num_sources"] = grouped["source"].nunique()
    events["first_doc_id"] = grouped["doc_id"].first()
    events["source_url"] = grouped["url"].first()
    rules: dict[str, set[str]] = {}  # the union of the mentions' rule ids (a loop: one pandas call per event is slow)
    for event_id, ids in zip(ordered["event_id"].tolist(), ordered["rule_ids"].tolist()):
        rules.setdefault(event_id, set()).update(ids.split(";"))
    events["rule_ids"] = pd.Series({k: ";".join(sorted(r for r in v if r)) for k, v in rules.items()}).reindex(events.index)
    return events.reset_index()
