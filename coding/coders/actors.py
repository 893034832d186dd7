"""Actor coder: dictionary pieces -> compound actors ("Russian President Vladimir Putin") ->
coreference ("he", "both sides", "we" in quotes) -> coordinated groups ("Tehran, Tel Aviv, and
Washington") with the preposition that governs them.

The document's memory (last person named, last pair of countries, last speaker) is threaded from
sentence to sentence as a frozen record.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from ..grammar import Grammar
from ..records import Actor, ActorGroup, Sentence
from .actor_lexicon import ADJECTIVE, AGENT, COREF, COUNTRY, DEMONYM, METONYM, ORG, PERSON, ActorLexicon, Entry, Piece

_COUNTRYISH = (COUNTRY, ADJECTIVE, DEMONYM, METONYM)
_POSSESSIVE = ("'s", "'")


@dataclass(frozen=True)
class Memory:
    """What a document has named so far, for coreference."""

    last_person: Actor | None = None
    last_pair: tuple[Actor, Actor] | None = None
    recent_countries: tuple[str, ...] = ()
    last_speaker: Actor | None = None


@dataclass(frozen=True)
class SentenceActors:
    actors: tuple[Actor, ...]
    groups: tuple[ActorGroup, ...]
    speaker: ActorGroup | None
    speech_verb: int | None  # token index of the speaker's verb of saying


def person_code(entry: Entry, on: dt.date | None) -> tuple[str | None, str | None, str | None]:
    """(code, country, role) of a person on a date: their role in office then, else their country."""
    spans = entry.roles
    active = None
    if on is None:
        active = next((s for s in spans if s.end is None), None)
    else:
        active = next((s for s in spans if (s.start is None or s.start <= on) and (s.end is None or on < s.end)), None)
    if active is not None:
        if active.code:
            return active.code, entry.country, active.role
        if entry.country and active.role:
            return entry.country + active.role, entry.country, active.role
    if entry.country:
        return entry.country, entry.country, None
    return None, None, None


def _joinable(cur: list[Piece], p: Piece, norms: list[str]) -> bool:
    last = cur[-1]
    kinds = {q.entry.kind for q in cur}
    k = p.entry.kind
    if COREF in kinds or k == COREF:
        return False
    gap = p.start - last.end
    if gap == 1 and norms[last.end] in _POSSESSIVE and last.entry.kind in (COUNTRY, METONYM, ORG) and k in (AGENT, PERSON):
        pass
    elif gap != 0:
        return False
    if k in _COUNTRYISH:
        return False  # a country after anything starts a new actor ("Israel Iran", "police Kenya")
    if k == PERSON and PERSON in kinds:
        return False
    if PERSON in kinds:
        return False  # nothing attaches after the person's name
    if k == ORG and (ORG in kinds or AGENT in kinds):
        return False
    return True


def _compose(pieces: list[Piece], norms: list[str]) -> list[list[Piece]]:
    out: list[list[Piece]] = []
    cur: list[Piece] = []
    for p in pieces:
        if cur and _joinable(cur, p, norms):
            cur.append(p)
        else:
            if cur:
                out.append(cur)
            cur = [p]
    if cur:
        out.append(cur)
    return out


def _resolve(compound: list[Piece], sentence: Sentence, on: dt.date | None) -> Actor | None:
    by_kind: dict[str, Piece] = {}
    agents = []
    for p in compound:
        by_kind.setdefault(p.entry.kind, p)
        if p.entry.kind == AGENT:
            agents.append(p)
    country_piece = next((p for p in compound if p.entry.kind in _COUNTRYISH), None)
    country = country_piece.entry.country if country_piece else None
    code = role = acled = None
    if PERSON in by_kind:
        code, pc, role = person_code(by_kind[PERSON].entry, on)
        country = pc or country
        if code is None and country:
            code = country
    elif ORG in by_kind:
        e = by_kind[ORG].entry
        code, role, acled = e.code, e.role, e.acled_type
        country = e.country or country
        if agents and e.kind == ORG and agents[-1].entry.role in ("MIL", "REB", "INS", "COP") and e.role is None:
            role = agents[-1].entry.role
    elif agents:
        e = agents[-1].entry
        role, acled = e.role, e.acled_type
        code = (country or "") + e.role
    elif country_piece is not None:
        kind = country_piece.entry.kind
        role = "GOV" if kind == METONYM else None
        code = country + (role or "")
    if not code:
        return None
    toks = sentence.tokens
    first, last = compound[0].start, compound[-1].end
    text = sentence.text[toks[first].start - sentence.start: toks[last - 1].end - sentence.start]
    return Actor(
        text=text, code=code, country=country, role=role, acled_type=acled, start=first, end=last,
        rule_ids=tuple(p.entry.rule_id for p in compound), is_person=PERSON in by_kind,
    )


def _retext(actor: Actor, sentence: Sentence, piece: Piece) -> Actor:
    toks = sentence.tokens
    text = sentence.text[toks[piece.start].start - sentence.start: toks[piece.end - 1].end - sentence.start]
    return replace(actor, text=text, start=piece.start, end=piece.end, rule_ids=actor.rule_ids + (piece.entry.rule_id,))


def _group(actors: list[Actor], sentence: Sentence, g: Grammar) -> list[ActorGroup]:
    norms = [t.norm for t in sentence.tokens]
    groups: list[list[Actor]] = []
    for a in actors:
        if groups:
            prev = groups[-1][-1]
            between = norms[prev.end:a.start]
            joined = between and all(w in g.coordinators or w in g.determiners or w == "-" for w in between) and (
                any(w in g.coordinators for w in between) or between == ["-"]
            )
            if joined or prev.start == a.start:  # coordinated, or one phrase standing for two ("both sides")
                groups[-1].append(a)
                continue
        groups.append([a])
    out = []
    for members in groups:
        start, end = members[0].start, members[-1].end
        i = start - 1
        while i >= 0 and norms[i] in g.determiners:
            i -= 1
        prep = norms[i] if i >= 0 and norms[i] in g.prepositions else None
        possessive = end < len(norms) and norms[end] in _POSSESSIVE
        out.append(ActorGroup(tuple(members), start, end, prep, possessive))
    return out


def _speaker(groups: list[ActorGroup], sentence: Sentence, g: Grammar) -> tuple[ActorGroup | None, int | None]:
    """The group next to a speech verb ("X said", "said X", "according to X") and the verb's index."""
    norms = [t.norm for t in sentence.tokens]
    for grp in groups:
        for k in range(grp.end, min(len(norms), grp.end + 3)):
            if norms[k] in g.speech_verbs:
                return grp, k
        if grp.start >= 1 and norms[grp.start - 1] in g.speech_verbs:
            return grp, grp.start - 1
        if grp.start >= 2 and norms[grp.start - 2:grp.start] == ["according", "to"]:
            return grp, grp.start - 2
    return None, None


def _last_pair(groups: list[ActorGroup], before: int) -> tuple[Actor, Actor] | None:
    """The last two different countries named together (coordinated or hyphenated) before a token."""
    pair = None
    for grp in groups:
        if grp.end > before:
            break
        countries = [m for m in grp.members if m.country and m.code == m.country]
        if len(countries) >= 2 and countries[0].country != countries[1].country:
            pair = (countries[0], countries[1])
    return pair


def code_sentence(
    sentence: Sentence, lexicon: ActorLexicon, grammar: Grammar, memory: Memory, on: dt.date | None,
    lowercase_doc: bool,
) -> tuple[SentenceActors, Memory]:
    norms = [t.norm for t in sentence.tokens]
    originals = [t.text for t in sentence.tokens]
    pieces = lexicon.scan(norms, originals, lowercase_doc)
    actors: list[Actor] = []
    deferred: list[Piece] = []  # coreference that needs the sentence's groups (pairs, speaker)
    for compound in _compose(pieces, norms):
        head = compound[0]
        if head.entry.kind == COREF:
            if head.entry.resolves == "last_person":
                if memory.last_person is not None:
                    actors.append(_retext(memory.last_person, sentence, head))
            else:
                deferred.append(head)
            continue
        actor = _resolve(compound, sentence, on)
        if actor is None:
            continue
        actors.append(actor)
        if actor.is_person:
            memory = replace(memory, last_person=actor)
        if actor.country and actor.code == actor.country:
            memory = replace(memory, recent_countries=(memory.recent_countries + (actor.country,))[-6:])
    groups = _group(actors, sentence, grammar)
    speaker, verb = _speaker(groups, sentence, grammar)
    if deferred:
        who = speaker.members[0] if speaker else memory.last_speaker
        for piece in deferred:
            if piece.entry.resolves == "speaker" and who is not None:
                actors.append(_retext(who, sentence, piece))
            elif piece.entry.resolves == "last_two_countries":
                pair = _last_pair(groups, piece.start) or memory.last_pair
                if pair is not None:
                    actors.extend(_retext(a, sentence, piece) for a in pair)
        actors.sort(key=lambda a: a.start)
        groups = _group(actors, sentence, grammar)
        speaker, verb = _speaker(groups, sentence, grammar)
    pair = _last_pair(groups, len(norms))
    if pair is not None:
        memory = replace(memory, last_pair=pair)
    if speaker is not None:
        memory = replace(memory, last_speaker=speaker.members[0])
    return SentenceActors(tuple(actors), tuple(groups), speaker, verb), memory
