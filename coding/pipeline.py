"""Code one document: text -> actors -> actions -> modality, roles, date, place, fatalities, ACLED
-> mentions. The compiled rules travel in one frozen :class:`Coders` object."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, replace

from . import __version__
from .assemble import make_mention
from .coders.acled import AcledRules, Words, load_acled_rules
from .coders.actions import ActionIndex, by_victim, load_action_rules, not_attributive
from .coders.actor_lexicon import ActorLexicon, load_lexicon
from .coders.actors import Memory, code_sentence
from .coders.dates import CALENDAR_WORDS, DateRules, DocumentDates, load_date_rules
from .coders.discards import Discards, load_discards
from .coders.intent import IntentRules, load_intent_rules
from .coders.fatalities import DocumentFatalities, FatalityRules, load_fatality_rules
from .coders.modality import ModalityRules, load_modality_rules, modality
from .coders.places import (Gazetteer, PlaceRules, country_of_document, document_place, find_dateline, find_named_places, find_places,
                            load_place_rules, place_for, place_from_actors)
from .coders.topics import TopicRules, load_topic_rules
from .coders.roles import UNIDENTIFIED, assign_roles, target_from_place
from .grammar import Grammar, load_grammar
from .merge import MergeRules, load_merge_rules
from .records import CodedDocument, Document, Mention
from .rulebook import fingerprint
from .text import is_lowercase_document, sentences


@dataclass(frozen=True)
class Coders:
    grammar: Grammar
    lexicon: ActorLexicon
    actions: ActionIndex
    modality: ModalityRules
    dates: DateRules
    places: PlaceRules
    gazetteer: Gazetteer
    fatalities: FatalityRules
    acled: AcledRules
    intent: IntentRules
    topics: TopicRules
    discards: Discards
    merge: MergeRules
    version: str
    rules_sha256: str


def load_coders() -> Coders:
    """Read, validate and compile every rules file (raises RuleError on a bad rule)."""
    grammar = load_grammar()
    places = load_place_rules()
    return Coders(
        grammar=grammar,
        lexicon=load_lexicon(),
        actions=ActionIndex(load_action_rules(), grammar),
        modality=load_modality_rules(),
        dates=load_date_rules(),
        places=places,
        gazetteer=Gazetteer(places.min_population, places.alternates_from),
        fatalities=load_fatality_rules(),
        acled=load_acled_rules(),
        intent=load_intent_rules(),
        topics=load_topic_rules(),
        discards=load_discards(),
        merge=load_merge_rules(),
        version=__version__,
        rules_sha256=fingerprint(),
    )


@dataclass(frozen=True)
class SentenceTrace:
    """What the coders saw in one sentence (for ``code --explain``)."""

    index: int
    text: str
    tokens: tuple[str, ...]
    actors: tuple
    groups: tuple
    actions: tuple
    discard: str | None


def dominant_country(counts: Counter[str]) -> str | None:
    """The country a document is about: the only country it names, or one named at least twice and
    in at least half of all country mentions. Role-only actors ("police", "the government")
    default to it."""
    total = sum(counts.values())
    if not total:
        return None
    country, n = max(sorted(counts.items()), key=lambda kv: kv[1])
    return country if len(counts) == 1 or (n >= 2 and 2 * n >= total) else None


def _demanded_of(pairs, sa):
    """ "Britain said Libya must hand over the suspects": the speaker demands of the act's subject.
    No demand without a speaker, or when the speaker is the subject ("we must defend ourselves")."""
    if sa.speaker is None:
        return []
    subjects = list(dict.fromkeys(src for src, _ in pairs if src.code not in {m.code for m in sa.speaker.members}))
    return [(spk, subj) for spk in sa.speaker.members for subj in subjects]


FALLBACK_SOURCE = "infer.fallback_source"
GENERIC_STATEMENT_ROOT = "01"  # "said", "commented": whoever spoke, not someone named nearby


def _fallback_act(action, sentence, grammar, sa) -> bool:
    """An act someone unnamed can have done: not a bare statement, not one that needs a target it
    lacks, not a word opening the sentence ("Demand for oil rose"), after a determiner only a violent
    event noun ("a clash occurred", not "the wounded policemen"); violence only after an actor named
    before it (the roles coder has already given violence with an attack noun for subject its
    unidentified perpetrator, and an accident none: "the explosion of a gas pipe killed five
    workers")."""
    if action.requires_target or action.start == 0 or action.code[:2] == GENERIC_STATEMENT_ROOT:
        return False
    norms = sentence.norms
    violence = action.code[:2] in grammar.unidentified_perpetrator_roots
    if norms[action.start - 1] in grammar.nominal_determiners:
        # "a clash occurred", "the shelling": a violent event named by a noun, not a participle
        return violence and not norms[action.start].endswith("ed")
    if not violence or any(g.end <= action.start for g in sa.groups):
        return True
    # a name the dictionaries lack before the act ("QSD opened fire"), not a date's month
    return any(t.text[:1].isupper() and t.norm not in CALENDAR_WORDS for t in sentence.tokens[1:action.start])


def _fallback_source(sa, action):
    """The nearest actor named before the act, else after it, else an unidentified one."""
    before = [g for g in sa.groups if g.end <= action.start]
    after = [g for g in sa.groups if g.start >= action.end]
    group = before[-1] if before else after[0] if after else None
    actor = group.members[0] if group is not None else UNIDENTIFIED
    return replace(actor, rule_ids=actor.rule_ids + (FALLBACK_SOURCE,))


def code_document(doc: Document, coders: Coders, trace: list | None = None) -> CodedDocument:
    text = doc.text
    lower = is_lowercase_document(text)
    sents = sentences(text, lower)
    memory = Memory()
    on = doc.publication_date
    per_sentence = []
    countries: Counter[str] = Counter()
    named_divisions: set[tuple[str, str]] = set()
    for s in sents:
        sa, memory = code_sentence(s, coders.lexicon, coders.grammar, memory, on, lower)
        per_sentence.append(sa)
        countries.update(a.country for a in sa.actors if a.country)
        if not lower:
            region_countries, divisions = coders.gazetteer.regions_named(s, sa.not_place_tokens)
            countries.update(region_countries)
            named_divisions.update(divisions)
    doc_countries = frozenset(countries)
    divisions = frozenset(named_divisions)
    places_by_sentence = [find_places(s, coders.places, coders.gazetteer, doc_countries, lower, sa.not_place_tokens,
                                      divisions) for s, sa in zip(sents, per_sentence)]
    countries.update(p.country for found in places_by_sentence for _, p in found)
    dateline = find_dateline(sents, coders.places, coders.gazetteer, doc_countries, divisions)
    if dateline is not None:
        countries[dateline.country] += 2
    doc_country = dominant_country(countries)
    doc_words = Words([n for s in sents for n in s.norms])

    named = None
    if not any(places_by_sentence) and not lower:
        named = [p for s, sa in zip(sents, per_sentence)
                 for p in find_named_places(s, coders.places, coders.gazetteer, doc_countries, sa.not_place_tokens,
                                            divisions)]
    doc_place = document_place(places_by_sentence, named)
    designated = next((p for found in places_by_sentence for _, p in found if p.rule_id in coders.places.designating),
                      None)  # "(coded to Prague)": where the document's events are coded
    if designated is not None:
        doc_place = designated

    country_place = country_of_document(doc_country, coders.gazetteer)

    def place_fallback(source, target):
        return doc_place or place_from_actors(source, target, coders.gazetteer) or country_place

    texts = [s.text for s in sents]
    dates = DocumentDates(texts, doc.publication_date, coders.dates)
    tolls = DocumentFatalities(texts, coders.fatalities)
    mentions: dict[str, Mention] = {}
    unassigned: list[tuple] = []  # actions no actor could be given to: a last resort (see below)
    for k, (s, sa, places) in enumerate(zip(sents, per_sentence, places_by_sentence)):
        norms = s.norms
        discard = coders.discards.match(norms)
        actions = not_attributive(coders.actions.find(s, names=sa.name_tokens), norms, coders.grammar)
        if discard is not None:
            actions = [a for a in actions if discard.keeps(a.code)]
        actions = coders.topics.refine(actions, norms, coders.intent, coders.grammar)
        if trace is not None:
            trace.append(SentenceTrace(s.index, s.text, tuple(t.text for t in s.tokens), sa.actors, sa.groups,
                                       tuple(actions), discard.id if discard is not None else None))
        if not actions:
            continue
        date = dates.date(k)
        # deaths count for material conflict only (roots 14-20, see assemble): look no further otherwise
        deaths = tolls.deaths(k) if any(a.code[:2] >= "14" for a in actions) else None
        taken: set[int] = set()
        triggers = tuple((a.start, a.code) for a in actions)
        found_here: list[tuple[Mention, bool]] = []
        for action in actions:
            pairs = assign_roles(action, sa, norms, coders.grammar, taken, triggers)
            if not pairs:
                if discard is None:
                    unassigned.append((s, sa, places, action, date, deaths))
                continue
            mode_name, mode_rule, recode = modality(action, s, coders.modality, coders.grammar, sa.speech_verb,
                                                        on.year if on else None)
            mode = (mode_name, mode_rule)
            if recode == "demand":
                pairs = _demanded_of(pairs, sa)
            recoded = coders.intent.recode(action.code, recode) if recode and pairs else None
            if recoded is not None:
                # "Finland will give Tanzania a grant": intent; "X said it would not accept Y":
                # rejection; "X said Y must release Z": X demands of Y. Each is asserted now.
                action = replace(action, code=recoded[0])
                mode = ("asserted", f"{mode_rule};{recoded[1]}")
            place = designated or place_for(places, action.start, norms, coders.places)
            for source, target in pairs:
                act = by_victim(action, target, coders.grammar, norms)
                where = place or doc_place  # "Russian forces shelled Kharkiv": the document's named place
                if target is None and where is not None and act.code[:2] in coders.grammar.target_from_place_roots:
                    target = target_from_place(where)
                m = make_mention(doc, s, act, source, target, mode, date, place, deaths, coders.acled,
                                 doc_country, coders.version, place_fallback, doc_words)
                found_here.append((m, action.fallback))
        # "X said it had expelled Y", "X said Y attacked Z": the reported act is the event; a bare
        # statement without a target is kept only when the sentence asserts nothing more specific
        specific = any(not fb and m.modality == "asserted" for m, fb in found_here)
        for m, fb in found_here:
            if not (fb and specific and m.target_code is None):
                mentions.setdefault(m.mention_id, m)
    if unassigned and not any(m.modality == "asserted" for m in mentions.values()):
        # a report of events with no actor the dictionaries know ("QSD detained three people",
        # "a shoot-out between armed individuals took place"): each act is done by the nearest actor
        # named before it, else after it, else someone unidentified
        for s, sa, places, action, date, deaths in unassigned:
            if not _fallback_act(action, s, coders.grammar, sa):
                continue
            mode_name, mode_rule, recode = modality(action, s, coders.modality, coders.grammar, sa.speech_verb,
                                                        on.year if on else None)
            if mode_name != "asserted" or recode:
                continue
            source = _fallback_source(sa, action)
            place = designated or place_for(places, action.start, s.norms, coders.places)
            target = (target_from_place(place) if place is not None
                      and action.code[:2] in coders.grammar.target_from_place_roots else None)
            m = make_mention(doc, s, action, source, target, (mode_name, mode_rule), date, place, deaths, coders.acled,
                             doc_country, coders.version, place_fallback, doc_words)
            mentions.setdefault(m.mention_id, m)
    found = tuple(mentions.values())
    return CodedDocument(
        doc_id=doc.doc_id, input_file=doc.input_file, input_line=doc.input_line,
        status="coded" if found else "no_events", reason=None, n_sentences=len(sents), n_chars=len(text),
        text_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(), publication_date=doc.publication_date,
        source=doc.source, url=doc.url, title=doc.title, language=doc.language, mentions=found,
    )
