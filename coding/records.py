"""Frozen records passed between the pipeline's stages (ingest -> text -> coders -> assemble)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple


@dataclass(frozen=True)
class Document:
    doc_id: str
    text: str
    input_file: str
    input_line: int | None = None
    publication_date: dt.date | None = None
    source: str | None = None
    url: str | None = None
    title: str | None = None
    language: str | None = None
    note: str | None = None  # what ingest did to code it (fallback encoding, HTML stripped, date ignored)

    def fields(self) -> dict:
        """The optional fields a Rejection made of this document keeps for its documents row."""
        return {"source": self.source, "url": self.url, "title": self.title, "language": self.language}


@dataclass(frozen=True)
class Rejection:
    """An input that is not coded, with the reason (it still gets a documents row): ``rejected``, or
    ``duplicate`` when its text was already read under another row."""

    doc_id: str
    input_file: str
    input_line: int | None
    reason: str
    fields: dict = field(default_factory=dict, hash=False, compare=False)
    status: str = "rejected"
    n_chars: int = 0
    text_sha256: str | None = None


class Token(NamedTuple):
    """A token (a named tuple: immutable and cheap to create, half a million per corpus)."""

    text: str  # as written
    norm: str  # lower-cased, quotes normalised
    start: int  # offset in the document text
    end: int


@dataclass(frozen=True)
class Sentence:
    index: int
    start: int
    end: int
    text: str
    tokens: tuple[Token, ...]
    norms: tuple[str, ...]  # the tokens' norms, computed once: every coder reads them


@dataclass(frozen=True)
class Actor:
    """A resolved actor: one participant (a coordinated group yields several)."""

    text: str
    code: str
    country: str | None
    role: str | None
    acled_type: str | None
    start: int  # token index in the sentence
    end: int  # token index, exclusive
    rule_ids: tuple[str, ...]
    is_person: bool = False
    modifier: bool = False  # a bare country adjective ("Indian" in "Indian and Pakistani troops")
    name: str | None = None  # a named organisation's own name ("Hamas", "Islamic State"), for ACLED actor names


@dataclass(frozen=True)
class ActorGroup:
    """Adjacent/coordinated actors acting as one syntactic unit ("Iran and Israel")."""

    members: tuple[Actor, ...]
    start: int
    end: int
    preposition: str | None  # the preposition governing the group, if any ("between", "by", ...)
    possessive: bool  # followed by 's


@dataclass(frozen=True)
class ActionMatch:
    rule_id: str
    code: str
    start: int  # first matched token index
    end: int  # last matched token index + 1
    tokens: tuple[int, ...]  # indices of the tokens matched by slots (not gaps)
    source: str
    target: str
    reciprocal: bool
    requires_target: bool
    passive: bool = False
    fallback: bool = False
    nominal: bool = False  # the last matched word cannot be a verb ("intervention"): modals after it scope over it


@dataclass(frozen=True)
class DateFinding:
    date: dt.date
    precision: int
    text: str | None
    rule_id: str | None


@dataclass(frozen=True)
class PlaceFinding:
    text: str
    country: str
    admin1: str | None
    latitude: float | None
    longitude: float | None
    precision: int
    rule_id: str


@dataclass(frozen=True)
class Mention:
    """One coded event mention: the row of the mentions table, before framing."""

    mention_id: str
    event_id: str | None
    doc_id: str
    sentence_index: int
    sentence_text: str
    char_start: int
    char_end: int
    publication_date: dt.date | None
    source: str | None
    url: str | None
    event_date: dt.date | None
    date_precision: int | None
    date_text: str | None
    actor_text: str
    actor_code: str
    actor_country: str | None
    actor_role: str | None
    actor_type: str | None
    actor_acled: str | None
    action_text: str
    cameo_code: str
    cameo_root: str
    cameo_label: str
    quad_class: int
    goldstein: float
    target_text: str | None
    target_code: str | None
    target_country: str | None
    target_role: str | None
    target_type: str | None
    target_acled: str | None
    acled_event_type: str | None
    acled_sub_event_type: str | None
    disorder_type: str | None
    location_text: str | None
    location_country: str | None
    admin1: str | None
    latitude: float | None
    longitude: float | None
    geo_precision: int | None
    fatalities: int | None
    modality: str
    rule_ids: str
    coder_version: str


@dataclass(frozen=True)
class CodedDocument:
    """The outcome for one input: a coded document or a rejection, with its mentions."""

    doc_id: str
    input_file: str
    input_line: int | None
    status: str
    reason: str | None
    n_sentences: int
    n_chars: int
    text_sha256: str | None
    publication_date: dt.date | None
    source: str | None
    url: str | None
    title: str | None
    language: str | None
    mentions: tuple[Mention, ...]
