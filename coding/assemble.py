"""Assemble coder outputs into Mention records, each with the id of its event (``frame.build_events``
turns the asserted mentions of an event into its row).

An event is the set of asserted mentions with the same date, source actor, event code, target
and place (GDELT's events + mentions design); its id is a hash of that key, so the same event
coded from two articles, in any order or on any machine, gets the same id.
"""

from __future__ import annotations

import hashlib
from typing import Callable
from dataclasses import replace


from .records import ActionMatch, Actor, DateFinding, Document, Mention, PlaceFinding, Sentence
from .coders.acled import AcledRules, Words, acled_type
from .coders.roles import TARGET_FROM_PLACE_RULE
from schemas.codebook import cameo_codes


def _digest(*parts: object) -> str:
    h = hashlib.sha256("\x1f".join("" if p is None else str(p) for p in parts).encode("utf-8"))
    return h.hexdigest()[:20]


def event_key(date, actor_code, cameo_code, target_code, place: PlaceFinding | None) -> tuple:
    where = (place.country, place.text.lower()) if place is not None else (None, None)
    return (date.isoformat() if date else None, actor_code, cameo_code, target_code) + where


COUNTRY_FROM_PLACE = "infer.country_from_place"
COUNTRY_FROM_DOCUMENT = "infer.country_from_document"


def _localise(actor: Actor | None, place: PlaceFinding | None, doc_country: str | None, material: bool) -> Actor | None:
    """A role-only actor ("police", "military sites") takes the country of the place of a material
    event (statements are made anywhere), else the country the document is about (see
    ``pipeline.dominant_country``)."""
    if actor is None or actor.country is not None or actor.role is None or actor.code != actor.role:
        return actor
    if place is not None and material:
        country, rule = place.country, COUNTRY_FROM_PLACE
    elif doc_country is not None:
        country, rule = doc_country, COUNTRY_FROM_DOCUMENT
    else:
        return actor
    return replace(actor, code=country + actor.role, country=country, rule_ids=actor.rule_ids + (rule,))


def make_mention(
    doc: Document, sentence: Sentence, action: ActionMatch, source: Actor, target: Actor | None,
    modality: tuple[str, str | None], date: DateFinding | None, place: PlaceFinding | None,
    fatalities: tuple[int, str] | None, acled: AcledRules, doc_country: str | None, version: str,
    fallback_place: Callable[[Actor, Actor | None], PlaceFinding | None] | None = None,
    doc_words: Words | None = None,
) -> Mention:
    entry = cameo_codes()[action.code]
    material = entry.quad_class in (2, 4)
    material_conflict = entry.quad_class == 4
    source, target = _localise(source, place, doc_country, material), _localise(target, place, doc_country, material)
    if place is None and fallback_place is not None:
        place = fallback_place(source, target)
    toks = sentence.tokens
    char_start, char_end = toks[action.start].start, toks[action.end - 1].end
    actor_type = acled.actor_type(source.role, source.acled_type, source.country, material_conflict)
    # a target standing for the place's country ("shot a man in Mexico" -> MEX) is no state force
    target_type = (acled.target_type(target.role, target.acled_type, target.country,
                                    material_conflict and TARGET_FROM_PLACE_RULE not in target.rule_ids,
                                    named=target.name is not None)
                   if target is not None else None)
    norms = sentence.norms
    status_rule = None
    if target is not None and target_type not in (None, "Civilians") and (status := acled.status_type(norms, target.start, target.end)):
        target_type, status_rule = status
    ac = acled_type(action.code, norms, actor_type, target_type, acled, doc_words)
    if ac is not None:
        actor_type = ac.set_actor_type or actor_type
        if target is not None:
            target_type = ac.set_target_type or target_type
    where = place.country if place is not None else None
    actor_type, abroad = acled.located(actor_type, source.country, where)
    if target is not None:
        target_type, target_abroad = acled.located(target_type, target.country, where)
        abroad = abroad or target_abroad
    mode, mode_rule = modality
    deaths = fatalities if (fatalities is not None and entry.quad_class == 4 and not (ac and ac.no_fatalities)) else None
    rule_ids = [action.rule_id, *source.rule_ids]
    if target is not None:
        rule_ids += target.rule_ids
    for rid in (status_rule, mode_rule, date.rule_id if date else None, place.rule_id if place else None,
                deaths[1] if deaths else None, ac.id if ac else None, abroad):
        if rid:
            rule_ids.append(rid)
    rule_ids = list(dict.fromkeys(rule_ids))
    target_code = target.code if target is not None else None
    event_id = None
    if mode == "asserted":
        event_id = "e" + _digest(*event_key(date.date if date else None, source.code, action.code, target_code, place))
    mention_id = "m" + _digest(doc.doc_id, sentence.index, char_start, char_end, source.start, source.code,
                               target.start if target else None, target_code, action.code)
    return Mention(
        mention_id=mention_id, event_id=event_id, doc_id=doc.doc_id, sentence_index=sentence.index,
        sentence_text=sentence.text, char_start=char_start, char_end=char_end,
        publication_date=doc.publication_date, source=doc.source, url=doc.url,
        event_date=date.date if date else None, date_precision=date.precision if date else None,
        date_text=date.text if date else None,
        actor_text=source.text, actor_code=source.code, actor_country=source.country, actor_role=source.role,
        actor_type=actor_type, actor_acled=acled.actor_name(source, actor_type, material_conflict),
        action_text=doc.text[char_start:char_end], cameo_code=action.code, cameo_root=entry.root,
        cameo_label=entry.name, quad_class=entry.quad_class, goldstein=entry.goldstein,
        target_text=target.text if target else None, target_code=target_code,
        target_country=target.country if target else None, target_role=target.role if target else None,
        target_type=target_type,
        target_acled=_target_name(target, target_type, material_conflict, acled),
        acled_event_type=ac.event_type if ac else None, acled_sub_event_type=ac.sub_event_type if ac else None,
        disorder_type=ac.disorder_type if ac else None,
        location_text=place.text if place else None, location_country=place.country if place else None,
        admin1=place.admin1 if place else None, latitude=place.latitude if place else None,
        longitude=place.longitude if place else None, geo_precision=place.precision if place else None,
        fatalities=deaths[0] if deaths else None, modality=mode, rule_ids=";".join(rule_ids), coder_version=version,
    )


def _target_name(target: Actor | None, target_type: str | None, material_conflict: bool,
                 acled: AcledRules) -> str | None:
    """The target's ACLED-style name. A target that only stands for the country of the event's place
    ("shelled Kharkiv", "rallied in Nakuru") names no actor: it has a name only when a rule gave it a
    type ("Civilians (Ukraine)"), never "Military Forces of ..." by default."""
    if target is None:
        return None
    if TARGET_FROM_PLACE_RULE in target.rule_ids and target_type is None:
        return None
    return acled.actor_name(target, target_type, material_conflict)


EVENT_FIRST = [
    "event_date", "date_precision", "actor_code", "actor_country", "actor_role", "actor_type", "cameo_code",
    "actor_acled", "cameo_root", "cameo_label", "quad_class", "goldstein", "target_code", "target_country",
    "target_role", "target_type", "target_acled", "acled_event_type", "acled_sub_event_type", "disorder_type", "location_text", "location_country",
    "admin1", "latitude", "longitude", "geo_precision", "coder_version",
]


# the mention columns build_events reads
EVENT_INPUTS = ["event_id", *EVENT_FIRST, "fatalities", "publication_date", "doc_id", "sentence_index", "char_start",
                "source", "url", "rule_ids"]
