"""Pandera models of the three output tables.

Column-local checks live in the ``*Core`` models; cross-column checks (code/label/Goldstein
agreement, ACLED type pairs, coordinates present together) in their subclasses, which are the
models the dataset is validated against. Field descriptions are the data dictionary: the README's
column reference is generated from them (``python -m coding schema-docs``).
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from functools import lru_cache
from typing import Optional

import pandas as pd
import pandera.pandas as pa
from pandera.typing.pandas import Series

from . import SCHEMA_VERSION
from .codebook import ACTOR_CODE_RE, acled_actor_types, acled_types, cameo_codes, iso3_codes

MODALITIES = ["asserted", "negated", "hypothetical", "future", "question", "historical"]
DOCUMENT_STATUSES = ["coded", "no_events", "duplicate", "rejected"]
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)


def _in_codebook(s: pd.Series) -> pd.Series:
    return s.isna() | s.isin(list(cameo_codes()))


def _iso3(s: pd.Series) -> pd.Series:
    return s.isna() | s.isin(sorted(iso3_codes()))


def _actor_type(s: pd.Series) -> pd.Series:
    return s.isna() | s.isin(list(acled_actor_types()))


def _plausible_date(s: pd.Series) -> pd.Series:
    return s.isna() | s.map(lambda d: d is None or pd.isna(d) or EARLIEST_DATE <= d <= LATEST_DATE)


def _code_agrees(df: pd.DataFrame) -> pd.Series:
    """cameo_root, cameo_label, quad_class and goldstein agree with cameo_code in the codebook."""
    book = cameo_codes()

    def row_ok(code, root, label, quad, gold) -> bool:
        entry = book.get(code)
        if entry is None:
            return False
        return (
            root == entry.root
            and label == entry.name
            and int(quad) == entry.quad_class
            and abs(float(gold) - entry.goldstein) < 1e-9
        )

    return pd.Series(
        [
            row_ok(*vals)
            for vals in zip(df["cameo_code"], df["cameo_root"], df["cameo_label"], df["quad_class"], df["goldstein"])
        ],
        index=df.index,
        dtype=bool,
    )


def _acled_pair_valid(df: pd.DataFrame) -> pd.Series:
    """ACLED event type, sub-event type and disorder type are a valid triple, or all null."""
    pairs = acled_types()

    def row_ok(et, st, dis) -> bool:
        if pd.isna(et) and pd.isna(st) and pd.isna(dis):
            return True
        entry = pairs.get((et, st))
        return entry is not None and entry.disorder_type == dis

    return pd.Series(
        [row_ok(*v) for v in zip(df["acled_event_type"], df["acled_sub_event_type"], df["disorder_type"])],
        index=df.index,
        dtype=bool,
    )


def _coordinates_together(df: pd.DataFrame) -> pd.Series:
    return df["latitude"].isna() == df["longitude"].isna()


def _date_precision_with_date(df: pd.DataFrame) -> pd.Series:
    return df["event_date"].isna() == df["date_precision"].isna()


class _CodedEventColumns(pa.DataFrameModel):
    """Columns shared by mentions and events: who did what to whom, when and where."""

    event_date: Optional[Series[pa.Date]] = pa.Field(
        nullable=True,
        description="Date the event happened, resolved from the sentence against the publication date; "
        "the publication date when the sentence gives none.",
    )
    date_precision: Optional[Series[pd.Int64Dtype]] = pa.Field(
        nullable=True, isin=[1, 2, 3], description="ACLED time_precision: 1 exact day, 2 within a week, 3 within a month."
    )
    actor_code: Series[pd.StringDtype] = pa.Field(
        str_matches=ACTOR_CODE_RE, description="CAMEO code of the source actor, e.g. RUSGOV, KENCOP, IGOUNO."
    )
    actor_country: Optional[Series[pd.StringDtype]] = pa.Field(
        nullable=True, description="ISO 3166 alpha-3 country of the source actor."
    )
    actor_role: Optional[Series[pd.StringDtype]] = pa.Field(
        nullable=True, str_matches=r"^[A-Z]{3}$", description="CAMEO role code of the source actor (GOV, MIL, REB, COP, ...)."
    )
    actor_type: Optional[Series[pd.StringDtype]] = pa.Field(
        nullable=True, description="ACLED actor type of the source actor (State forces, Rebel group, ...)."
    )
    actor_acled: Optional[Series[pd.StringDtype]] = pa.Field(
        nullable=True, description="ACLED-style name of the source actor: 'Military Forces of Israel', 'Police Forces of "
        "India', 'Protesters (Kenya)', 'Unidentified Armed Group (Mali)', or a named group's own name ('Hamas'); "
        "ACLED's regime-period suffixes ('(2022-)') are not given.",
    )
    cameo_code: Series[pd.StringDtype] = pa.Field(description="CAMEO event code as a string, e.g. '039', '190', '1041'.")
    cameo_root: Series[pd.StringDtype] = pa.Field(str_matches=r"^[0-2][0-9]$", description="Two-digit CAMEO root code.")
    cameo_label: Series[pd.StringDtype] = pa.Field(description="Name of the CAMEO event code.")
    quad_class: Series[pd.Int64Dtype] = pa.Field(
        isin=[1, 2, 3, 4],
        description="GDELT QuadClass: 1 verbal cooperation (01-05), 2 material cooperation (06-08), "
        "3 verbal conflict (09-13), 4 material conflict (14-20).",
    )
    goldstein: Series[float] = pa.Field(ge=-10.0, le=10.0, description="Goldstein scale value of the event code.")
    target_code: Optional[Series[pd.StringDtype]] = pa.Field(
        nullable=True, str_matches=ACTOR_CODE_RE, description="CAMEO code of the target actor; null when none."
    )
    target_country: Optional[Series[pd.StringDtype]] = pa.Field(
        nullable=True, description="ISO 3166 alpha-3 country of the target actor."
    )
    target_role: Optional[Series[pd.StringDtype]] = pa.Field(
        nullable=True, str_matches=r"^[A-Z]{3}$", description="CAMEO role code of the target actor."
    )
    target_type: Optional[Series[pd.StringDtype]] = pa.Field(
        nullable=True, description="ACLED actor type of the target actor."
    )
    target_acled: Optional[Series[pd.StringDtype]] = pa.Field(
        nullable=True, description="ACLED-style name of the target actor (as actor_acled)."
    )
    acled_event_type: Optional[Series[pd.StringDtype]] = pa.Field(
        nullable=True, description="ACLED event type (Battles, Explosions/Remote violence, Protests, Riots, "
        "Violence against civilians, Strategic developments); null for events ACLED does not record.",
    )
    acled_sub_event_type: Optional[Series[pd.StringDtype]] = pa.Field(
        nullable=True, description="ACLED sub-event type (25 values), valid for the event type."
    )
    disorder_type: Optional[Series[pd.StringDtype]] = pa.Field(
        nullable=True, description="ACLED disorder type of the sub-event type."
    )
    location_text: Optional[Series[pd.StringDtype]] = pa.Field(nullable=True, description="Place name as written in the text.")
    location_country: Optional[Series[pd.StringDtype]] = pa.Field(
        nullable=True, description="ISO 3166 alpha-3 country of the place."
    )
    admin1: Optional[Series[pd.StringDtype]] = pa.Field(
        nullable=True, description="First-level administrative division of the place, when known."
    )
    latitude: Optional[Series[float]] = pa.Field(nullable=True, ge=-90, le=90, description="Latitude (WGS84) of the place.")
    longitude: Optional[Series[float]] = pa.Field(nullable=True, ge=-180, le=180, description="Longitude (WGS84) of the place.")
    geo_precision: Optional[Series[pd.Int64Dtype]] = pa.Field(
        nullable=True, isin=[1, 2, 3],
        description="ACLED geo_precision: 1 the named town, 2 near it or part of a region, 3 only a region or the country.",
    )
    fatalities: Optional[Series[pd.Int64Dtype]] = pa.Field(
        nullable=True, ge=0, description="Reported deaths (lowest estimate, ACLED's conventions); null when none reported."
    )
    rule_ids: Series[pd.StringDtype] = pa.Field(
        description="Ids of the rules that produced the row, ';'-separated, so every row can be explained."
    )
    coder_version: Series[pd.StringDtype] = pa.Field(description="Version of the coder that produced the row.")

    @pa.check("cameo_code", name="cameo_code_in_codebook")
    def _cameo_code_known(cls, s: Series[str]) -> Series[bool]:
        return _in_codebook(s)

    @pa.check("actor_country", "target_country", "location_country", name="iso3_country")
    def _iso3_known(cls, s: Series[str]) -> Series[bool]:
        return _iso3(s)

    @pa.check("actor_type", "target_type", name="acled_actor_type")
    def _actor_type_known(cls, s: Series[str]) -> Series[bool]:
        return _actor_type(s)

    @pa.check("event_date", name="plausible_date")
    def _event_date_plausible(cls, s: Series) -> Series[bool]:
        return _plausible_date(s)

    @pa.dataframe_check(name="code_root_label_quad_goldstein_agree")
    def _code_agrees(cls, df: pd.DataFrame) -> Series[bool]:
        return _code_agrees(df)

    @pa.dataframe_check(name="acled_type_pair_valid")
    def _acled_pair(cls, df: pd.DataFrame) -> Series[bool]:
        return _acled_pair_valid(df)

    @pa.dataframe_check(name="latitude_longitude_together")
    def _coords(cls, df: pd.DataFrame) -> Series[bool]:
        return _coordinates_together(df)

    @pa.dataframe_check(name="date_precision_with_date")
    def _precision(cls, df: pd.DataFrame) -> Series[bool]:
        return _date_precision_with_date(df)


class MentionSchema(_CodedEventColumns):
    """One row per coded event mention in a sentence (GDELT's Mentions table, with the coding)."""

    mention_id: Series[pd.StringDtype] = pa.Field(unique=True, description="Stable id of the mention (hash of document, sentence, span and coding).")
    event_id: Optional[Series[pd.StringDtype]] = pa.Field(
        nullable=True, description="Id of the event this mention belongs to; null unless modality is 'asserted'."
    )
    doc_id: Series[pd.StringDtype] = pa.Field(description="Id of the document the mention is in (documents.doc_id).")
    sentence_index: Series[pd.Int64Dtype] = pa.Field(ge=0, description="0-based index of the sentence in the document.")
    sentence_text: Series[pd.StringDtype] = pa.Field(description="The sentence as it appears in the document.")
    char_start: Series[pd.Int64Dtype] = pa.Field(ge=0, description="Start offset of the action text in the document text.")
    char_end: Series[pd.Int64Dtype] = pa.Field(ge=0, description="End offset (exclusive) of the action text in the document text.")
    publication_date: Optional[Series[pa.Date]] = pa.Field(nullable=True, description="Publication date of the document.")
    source: Optional[Series[pd.StringDtype]] = pa.Field(nullable=True, description="Publisher of the document.")
    url: Optional[Series[pd.StringDtype]] = pa.Field(nullable=True, description="URL of the document.")
    date_text: Optional[Series[pd.StringDtype]] = pa.Field(
        nullable=True, description="The date phrase the event date was resolved from; null when the publication date was used."
    )
    actor_text: Series[pd.StringDtype] = pa.Field(description="Source actor as written; for a pronoun (\"he\", \"it\", \"both sides\") the words of the actor it resolves to.")
    action_text: Series[pd.StringDtype] = pa.Field(description="The words that triggered the action rule.")
    target_text: Optional[Series[pd.StringDtype]] = pa.Field(nullable=True, description="Target actor as written.")
    modality: Series[pd.StringDtype] = pa.Field(
        isin=MODALITIES,
        description="asserted, negated ('did not attack'), hypothetical ('might attack', 'if ... would'), "
        "future ('will meet'), question, or historical (a reference to a year long past: 'the 2006 war'). "
        "Only asserted mentions form events.",
    )

    class Config:
        name = "mentions"
        strict = True
        coerce = True
        metadata = {"schema_version": SCHEMA_VERSION}

    @pa.dataframe_check(name="event_id_iff_asserted")
    def _event_iff_asserted(cls, df: pd.DataFrame) -> Series[bool]:
        return df["event_id"].notna() == (df["modality"] == "asserted")

    @pa.dataframe_check(name="char_span_ordered")
    def _span(cls, df: pd.DataFrame) -> Series[bool]:
        return df["char_start"] < df["char_end"]


class EventSchema(_CodedEventColumns):
    """One row per distinct event: asserted mentions with the same date, actor, code, target and place."""

    event_id: Series[pd.StringDtype] = pa.Field(unique=True, description="Stable id of the event (hash of its key).")
    num_mentions: Series[pd.Int64Dtype] = pa.Field(ge=1, description="Number of mentions of the event.")
    num_articles: Series[pd.Int64Dtype] = pa.Field(ge=1, description="Number of distinct documents mentioning it.")
    num_sources: Series[pd.Int64Dtype] = pa.Field(ge=0, description="Number of distinct publishers mentioning it.")
    first_doc_id: Series[pd.StringDtype] = pa.Field(description="doc_id of the first mention (by publication date, then doc_id).")
    source_url: Optional[Series[pd.StringDtype]] = pa.Field(nullable=True, description="URL of the first document that has one.")
    acled_event_id: Optional[Series[pd.StringDtype]] = pa.Field(
        nullable=True, description="Id of the ACLED event (acled_events.acled_event_id) this event is merged into: events "
        "with the same actors, place and day are one ACLED event; null for events without an ACLED type.",
    )

    class Config:
        name = "events"
        strict = True
        coerce = True
        metadata = {"schema_version": SCHEMA_VERSION}

    @pa.dataframe_check(name="articles_le_mentions")
    def _counts(cls, df: pd.DataFrame) -> Series[bool]:
        return (df["num_articles"] <= df["num_mentions"]) & (df["num_sources"] <= df["num_articles"])


class AcledEventCore(pa.DataFrameModel):
    """One row per ACLED event: the events with the same actors, place and day merged (ACLED's rule,
    ``rules/merge.yaml``), with the type of the highest-precedence one and the fatalities counted once."""

    acled_event_id: Series[pd.StringDtype] = pa.Field(
        unique=True, str_matches=r"^a[0-9a-f]{20}$",
        description="Stable id of the ACLED event: a hash of its merge key (event date, the pair of ACLED actor names, "
        "place: country and coordinates, or the place name without them). An undated event is never merged.",
    )
    event_date: Optional[Series[pa.Date]] = pa.Field(nullable=True, description="Date of the event (ACLED event_date).")
    date_precision: Optional[Series[pd.Int64Dtype]] = pa.Field(
        nullable=True, isin=[1, 2, 3], description="ACLED time_precision: the most precise of the merged events."
    )
    actor_code: Series[pd.StringDtype] = pa.Field(
        str_matches=ACTOR_CODE_RE, description="CAMEO code of actor 1 (the source of the highest-precedence merged event)."
    )
    actor_type: Optional[Series[pd.StringDtype]] = pa.Field(nullable=True, description="ACLED actor type of actor 1 (inter1).")
    actor_acled: Optional[Series[pd.StringDtype]] = pa.Field(nullable=True, description="ACLED-style name of actor 1.")
    target_code: Optional[Series[pd.StringDtype]] = pa.Field(
        nullable=True, str_matches=ACTOR_CODE_RE, description="CAMEO code of actor 2 (the target of the highest-precedence merged event)."
    )
    target_type: Optional[Series[pd.StringDtype]] = pa.Field(nullable=True, description="ACLED actor type of actor 2 (inter2).")
    target_acled: Optional[Series[pd.StringDtype]] = pa.Field(nullable=True, description="ACLED-style name of actor 2.")
    acled_event_type: Series[pd.StringDtype] = pa.Field(
        description="ACLED event type of the highest-precedence merged event (ranks of schemas/reference/acled_event_types.csv: "
        "Battles, Protests, Riots, Explosions/Remote violence, Violence against civilians, Strategic developments)."
    )
    acled_sub_event_type: Series[pd.StringDtype] = pa.Field(
        description="ACLED sub-event type of that event (the higher-ranked sub-event type within the type)."
    )
    disorder_type: Series[pd.StringDtype] = pa.Field(description="ACLED disorder type of the sub-event type.")
    location_text: Optional[Series[pd.StringDtype]] = pa.Field(nullable=True, description="Place name as written in the text.")
    location_country: Optional[Series[pd.StringDtype]] = pa.Field(nullable=True, description="ISO 3166 alpha-3 country of the place.")
    admin1: Optional[Series[pd.StringDtype]] = pa.Field(nullable=True, description="First-level administrative division of the place, when known.")
    latitude: Optional[Series[float]] = pa.Field(nullable=True, ge=-90, le=90, description="Latitude (WGS84) of the place.")
    longitude: Optional[Series[float]] = pa.Field(nullable=True, ge=-180, le=180, description="Longitude (WGS84) of the place.")
    geo_precision: Optional[Series[pd.Int64Dtype]] = pa.Field(
        nullable=True, isin=[1, 2, 3], description="ACLED geo_precision: the most precise of the merged events."
    )
    fatalities: Optional[Series[pd.Int64Dtype]] = pa.Field(
        nullable=True, ge=0, description="Reported deaths, counted once: the largest toll of the merged events, never their sum; null when none reported."
    )
    num_events: Series[pd.Int64Dtype] = pa.Field(ge=1, description="Number of events (events.event_id) merged into this row.")
    num_mentions: Series[pd.Int64Dtype] = pa.Field(ge=1, description="Number of mentions of the merged events.")
    event_ids: Series[pd.StringDtype] = pa.Field(description="Ids of the merged events (events.event_id), ';'-separated, sorted.")
    first_doc_id: Series[pd.StringDtype] = pa.Field(description="doc_id of the first mention of the highest-precedence merged event.")
    source_url: Optional[Series[pd.StringDtype]] = pa.Field(nullable=True, description="URL of that event's first document that has one.")
    rule_ids: Series[pd.StringDtype] = pa.Field(
        description="Ids of the rules that produced the merged events, ';'-separated, and the merge rule's id "
        "(merge.acled.same_actors_place_day) when two or more events were merged."
    )
    coder_version: Series[pd.StringDtype] = pa.Field(description="Version of the coder that produced the row.")

    class Config:
        name = "acled_events"
        strict = True
        coerce = True
        metadata = {"schema_version": SCHEMA_VERSION}

    @pa.check("location_country", name="iso3_country")
    def _iso3_known(cls, s: Series[str]) -> Series[bool]:
        return _iso3(s)

    @pa.check("actor_type", "target_type", name="acled_actor_type")
    def _actor_type_known(cls, s: Series[str]) -> Series[bool]:
        return _actor_type(s)

    @pa.check("event_date", name="plausible_date")
    def _event_date_plausible(cls, s: Series) -> Series[bool]:
        return _plausible_date(s)


class AcledEventSchema(AcledEventCore):
    """ACLED events with the cross-column checks."""

    class Config:
        name = "acled_events"
        strict = True
        coerce = True
        metadata = {"schema_version": SCHEMA_VERSION}

    @pa.dataframe_check(name="acled_type_pair_valid")
    def _acled_pair(cls, df: pd.DataFrame) -> Series[bool]:
        return _acled_pair_valid(df)

    @pa.dataframe_check(name="latitude_longitude_together")
    def _coords(cls, df: pd.DataFrame) -> Series[bool]:
        return _coordinates_together(df)

    @pa.dataframe_check(name="date_precision_with_date")
    def _precision(cls, df: pd.DataFrame) -> Series[bool]:
        return _date_precision_with_date(df)

    @pa.dataframe_check(name="mentions_ge_events")
    def _counts(cls, df: pd.DataFrame) -> Series[bool]:
        return df["num_mentions"] >= df["num_events"]


class DocumentSchema(pa.DataFrameModel):
    """One row per input document, whatever happened to it: every input is accounted for."""

    doc_id: Series[pd.StringDtype] = pa.Field(unique=True, description="Document id (given, or derived from the file name and line).")
    input_file: Series[pd.StringDtype] = pa.Field(description="Input file the document came from.")
    input_line: Optional[Series[pd.Int64Dtype]] = pa.Field(
        nullable=True, ge=1, description="1-based line (JSONL) or row (CSV, header = line 1) in the input file; null for whole-file articles."
    )
    status: Series[pd.StringDtype] = pa.Field(
        isin=DOCUMENT_STATUSES,
        description="coded (has mentions), no_events (coded, nothing found), duplicate (same text as an earlier "
        "document, named in reason) or rejected (see reason).",
    )
    reason: Optional[Series[pd.StringDtype]] = pa.Field(
        nullable=True,
        description="Why the document was rejected or is a duplicate; for a coded document, what was done to code it "
        "(encoding fallback, HTML stripped, publication date ignored), else null.",
    )
    n_sentences: Series[pd.Int64Dtype] = pa.Field(ge=0, description="Number of sentences coded.")
    n_mentions: Series[pd.Int64Dtype] = pa.Field(ge=0, description="Number of mentions (all modalities).")
    n_asserted: Series[pd.Int64Dtype] = pa.Field(ge=0, description="Number of asserted mentions.")
    n_chars: Series[pd.Int64Dtype] = pa.Field(ge=0, description="Length of the text in characters.")
    text_sha256: Optional[Series[pd.StringDtype]] = pa.Field(nullable=True, str_matches=r"^[0-9a-f]{64}$", description="sha256 of the UTF-8 text.")
    publication_date: Optional[Series[pa.Date]] = pa.Field(nullable=True, description="Publication date (ISO date or datetime in the input).")
    source: Optional[Series[pd.StringDtype]] = pa.Field(nullable=True, description="Publisher.")
    url: Optional[Series[pd.StringDtype]] = pa.Field(nullable=True, description="URL.")
    title: Optional[Series[pd.StringDtype]] = pa.Field(nullable=True, description="Title.")
    language: Optional[Series[pd.StringDtype]] = pa.Field(nullable=True, description="Language code given in the input.")

    class Config:
        name = "documents"
        strict = True
        coerce = True
        metadata = {"schema_version": SCHEMA_VERSION}

    @pa.check("publication_date", name="plausible_date")
    def _pub_plausible(cls, s: Series) -> Series[bool]:
        return _plausible_date(s)

    @pa.dataframe_check(name="rejected_has_reason")
    def _reason(cls, df: pd.DataFrame) -> Series[bool]:
        return df["status"].isin(["coded", "no_events"]) | df["reason"].notna()

    @pa.dataframe_check(name="status_matches_counts")
    def _status(cls, df: pd.DataFrame) -> Series[bool]:
        return (df["status"] == "coded") == (df["n_mentions"] > 0)


TABLES: dict[str, type[pa.DataFrameModel]] = {
    "mentions": MentionSchema,
    "events": EventSchema,
    "acled_events": AcledEventSchema,
    "documents": DocumentSchema,
}


@lru_cache(maxsize=1)
def _without_dask_types() -> None:
    """Let pandera list its annotation types without Dask's. Building a model's schema, pandera collects
    the Series and Index types of every dataframe library installed (``pandera.typing.get_series_types``,
    cached), and for Dask that imports ``dask.dataframe``: half a second of every build, for types
    these pandas models never use (dask is installed for ``build --engine dask``, which validates with
    pandas too). While pandera looks, importing dask fails as where it is not installed."""
    blocked = [name for name in ("dask", "dask.dataframe") if name not in sys.modules]
    if "dask.dataframe" not in blocked:  # imported already: nothing to save
        return
    import pandera.typing

    for name in blocked:
        sys.modules[name] = None  # `import dask.dataframe` raises ImportError
    try:
        pandera.typing.get_series_types()
        pandera.typing.get_index_types()
    finally:
        for name in blocked:
            del sys.modules[name]


def model(table: str) -> type[pa.DataFrameModel]:
    """The model of a table (its schema built without pandera's Dask types, see _without_dask_types)."""
    _without_dask_types()
    return TABLES[table]


def columns(table: str) -> list[str]:
    """Column names of a table in schema order."""
    return list(model(table).to_schema().columns)


def describe(table: str) -> list[tuple[str, str, bool, str]]:
    """(column, dtype, nullable, description) rows: the data dictionary of a table."""
    schema = model(table).to_schema()
    return [
        (name, re.sub(r"^.*\.", "", str(col.dtype)), bool(col.nullable), col.description or "")
        for name, col in schema.columns.items()
    ]
