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
from .actor_spans import merge_appositions, titled_name, written_start

_COUNTRYISH = (COUNTRY, ADJECTIVE, DEMONYM, METONYM)
_NAMES = (COUNTRY, METONYM, PERSON, ORG)  # "Rapid Support Forces" is a name, not a "support" action
_POSSESSIVE = ("'s", "'")


@dataclass(frozen=True)
class Memory:
    """What a document has named so far, for coreference."""

    persons: tuple[Actor, ...] = ()  # most salient last
    last_pair: tuple[Actor, Actor] | None = None
    last_speaker: Actor | None = None
    countries: tuple[str, ...] = ()  # countries of the actors named so far, most recent last


@dataclass(frozen=True)
class SentenceActors:
    actors: tuple[Actor, ...]
    groups: tuple[ActorGroup, ...]
    speaker: ActorGroup | None
    speech_verb: int | None  # token index of the speaker's verb of saying
    name_tokens: frozenset[int] = frozenset()  # tokens inside proper names (no action trigger there)
    not_place_tokens: frozenset[int] = frozenset()  # inside names of people and organisations ("NATO" is no town)


def _of_countries_in_view(pieces: list[Piece], memory: Memory) -> list[Piece]:
    """Of organisations written the same ("SNA": the Syrian or the Somali National Army), the one of
    a country the sentence or the document has named so far; else the dictionary's first."""
    if not any(p.namesakes and p.entry.kind == ORG for p in pieces):
        return pieces
    in_view = set(memory.countries) | {p.entry.country for p in pieces if p.entry.country and not p.namesakes}
    out = []
    for p in pieces:
        if p.namesakes and p.entry.kind == ORG:
            chosen = next((e for e in (p.entry, *p.namesakes) if e.country in in_view), p.entry)
            p = replace(p, entry=chosen, namesakes=())
        out.append(p)
    return out


def _in_office(piece: Piece, on: dt.date | None) -> Entry:
    """Of namesakes ("President Bush" is George H. W. Bush in 1990, George W. Bush in 2003), the one
    holding a role on the date; else the dictionary's first."""
    if not piece.namesakes or on is None:
        return piece.entry
    for e in (piece.entry, *piece.namesakes):
        if any((s.start is None or s.start <= on) and (s.end is None or on < s.end) for s in e.roles):
            return e
    return piece.entry


def person_code(entry: Entry, on: dt.date | None) -> tuple[str | None, str | None, str | None]:
    """(code, country, role) of a person on a date: their role in office then, else their country;
    with no date, their current or else last role."""
    spans = entry.roles
    active = None
    if on is None:  # undated text: the role held now, else the last one held ("Bill Clinton" -> USAGOV)
        active = next((s for s in spans if s.end is None), None) or max(
            (s for s in spans if s.end is not None), key=lambda s: s.end, default=None)
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


_MAX_MODIFIERS = 2


def _joinable(cur: list[Piece], p: Piece, norms: list[str], g: Grammar) -> bool:
    last = cur[-1]
    kinds = {q.entry.kind for q in cur}
    k = p.entry.kind
    if COREF in kinds or k == COREF:
        return False
    between = norms[last.end:p.start]
    if between and between[0] in _POSSESSIVE and last.entry.kind in (COUNTRY, METONYM, ORG) and k in (AGENT, PERSON):
        between = between[1:]  # "Iran's Supreme Leader"
    if len(between) > _MAX_MODIFIERS or any(w not in g.title_modifiers for w in between):
        if k in _COUNTRYISH and kinds == {AGENT} and len(between) == 1 and between[0] in g.agent_country_links:
            return True  # "the government of Kenya", "police in Kenya"
        return False
    if between and not (last.entry.kind in _COUNTRYISH + (ORG,) and k in (AGENT, PERSON)):
        return False  # modifiers only between a country and its agent
    if k == DEMONYM and not between and len(cur) == 1 and last.entry.kind == ADJECTIVE:
        return True  # "Bosnian Serbs": people of the first country (of the second's ethnicity)
    if k in _COUNTRYISH:
        return False  # a country after anything starts a new actor ("Israel Iran", "police Kenya")
    if k == PERSON and PERSON in kinds:
        return False
    if PERSON in kinds:
        return False  # nothing attaches after the person's name
    if k == ORG and (ORG in kinds or AGENT in kinds):
        return False
    return True


def _compose(pieces: list[Piece], norms: list[str], g: Grammar) -> list[list[Piece]]:
    out: list[list[Piece]] = []
    cur: list[Piece] = []
    for p in pieces:
        if cur and _joinable(cur, p, norms, g):
            cur.append(p)
        else:
            if cur:
                out.append(cur)
            cur = [p]
    if cur:
        out.append(cur)
    return out


def _resolve(compound: list[Piece], sentence: Sentence, on: dt.date | None, g: Grammar) -> Actor | None:
    by_kind: dict[str, Piece] = {}
    agents = []
    for p in compound:
        by_kind.setdefault(p.entry.kind, p)
        if p.entry.kind == AGENT:
            agents.append(p)
    country_piece = next((p for p in compound if p.entry.kind in _COUNTRYISH), None)
    country = country_piece.entry.country if country_piece else None
    ethnic = _ethnic(compound, sentence.norms, g)
    if ethnic:  # "ethnic Albanians": a people, not the state; the country is where they are (assemble)
        country_piece = country = None
    code = role = acled = name = None
    if PERSON in by_kind:
        person = _in_office(by_kind[PERSON], on)
        if person is not by_kind[PERSON].entry:
            chosen = replace(by_kind[PERSON], entry=person)
            compound = [chosen if p is by_kind[PERSON] else p for p in compound]
            by_kind[PERSON] = chosen
        code, pc, role = person_code(person, on)
        if role is None and agents:
            # the text gives the title ("President Emile Lahoud"): a role the person held stands
            titled = next((r for r in by_kind[PERSON].entry.roles if r.role == agents[-1].entry.role), None)
            if titled is not None:
                role = titled.role
                code = titled.code or ((pc or country or "") + titled.role)
        country = pc or country
        if code is None and country:
            code = country
    elif ORG in by_kind:
        e = by_kind[ORG].entry
        code, role, acled, name = e.code, e.role, e.acled_type, e.name
        country = e.country or country
        if agents and e.kind == ORG and agents[-1].entry.role in ("MIL", "REB", "INS", "COP") and e.role is None:
            role = agents[-1].entry.role
    elif agents:
        e = agents[-1].entry
        if len(agents) > 1 and sentence.norms[agents[-1].end - 1] in g.member_words:
            e = agents[-2].entry  # "an Iraqi army member": a member of the army, not a party member
        role, acled = e.role, e.acled_type
        code = (country or "") + e.role
    elif country_piece is not None:
        kind = country_piece.entry.kind
        role = "GOV" if kind == METONYM else None
        code = country + (role or "")
    elif ethnic:
        code = role = g.ethnic_group_role
    if not code:
        return None
    toks = sentence.tokens
    first, last = compound[0].start, compound[-1].end
    people = compound[-1].entry.kind in (AGENT, DEMONYM, ADJECTIVE) and not (PERSON in by_kind or ORG in by_kind)
    lo = written_start(first, sentence.norms, g) if people else first
    text = sentence.text[toks[lo].start - sentence.start: toks[last - 1].end - sentence.start]
    return Actor(
        text=text, code=code, country=country, role=role, acled_type=acled, start=first, end=last,
        rule_ids=tuple(p.entry.rule_id for p in compound) + ((ETHNIC_RULE,) if ethnic else ()), is_person=PERSON in by_kind,
        modifier=len(compound) == 1 and compound[0].entry.kind == ADJECTIVE, name=name,
    )


ETHNIC_RULE = "infer.ethnic_group"


def _ethnic(compound: list[Piece], norms: list[str], g: Grammar) -> bool:
    """ "(Up to 100) ethnic Albanians", "ethnic Albanian guerrillas": a country word right after one
    of grammar.yaml's ``ethnic_markers`` names a people; no person or organisation in the compound."""
    first = compound[0]
    return (first.entry.kind in (ADJECTIVE, DEMONYM) and first.start > 0 and norms[first.start - 1] in g.ethnic_markers
            and not any(p.entry.kind in (PERSON, ORG) for p in compound))


def _retext(actor: Actor, sentence: Sentence, piece: Piece) -> Actor:
    """The antecedent, standing where the pronoun stands; its text stays the antecedent's (who "he" is)."""
    return replace(actor, start=piece.start, end=piece.end, rule_ids=actor.rule_ids + (piece.entry.rule_id,))


def _group(actors: list[Actor], sentence: Sentence, g: Grammar) -> list[ActorGroup]:
    """Coordinated actors form one group: "Iran and Israel", "Tehran, Tel Aviv, and Washington",
    "Israel-Iran". A list joined by commas alone is not coordination (apposition, clauses)."""
    norms = sentence.norms
    groups: list[list[Actor]] = []
    conjoined: list[bool] = []
    for a in actors:
        if groups:
            prev = groups[-1][-1]
            between = norms[prev.end:a.start]
            linking = bool(between) and all(w in g.coordinators or w in g.determiners or w == "-" for w in between)
            if prev.start == a.start or (linking and any(w in g.coordinators or w == "-" for w in between)):
                groups[-1].append(a)  # "both sides" stands for two actors at one place
                conjoined[-1] = conjoined[-1] or prev.start == a.start or any(w != "," and w in g.coordinators or w == "-" for w in between)
                continue
        groups.append([a])
        conjoined.append(False)
    split: list[list[Actor]] = []
    for members, real in zip(groups, conjoined):
        split.extend([members] if real or len(members) == 1 else [[m] for m in members])
    out = []
    for members in split:
        start, end = members[0].start, members[-1].end
        i = start - 1
        while i >= 0 and norms[i] in g.determiners:
            i -= 1
        prep = norms[i] if i >= 0 and norms[i] in g.prepositions else None
        if prep == "of" and i >= 1 and (norms[i - 1] in g.quantifiers or norms[i - 1].isdigit()):
            prep = None  # "thousands of protesters" is the subject
        possessive = end < len(norms) and norms[end] in _POSSESSIVE
        out.append(ActorGroup(_share_head(tuple(members), sentence), start, end, prep, possessive))
    return out


def _share_head(members: tuple[Actor, ...], sentence: Sentence) -> tuple[Actor, ...]:
    """"Indian and Pakistani troops": the coordinated adjectives share the head noun's role, and
    each is written as the whole phrase up to the head ("Indian and Pakistani troops")."""
    head = members[-1]
    if len(members) < 2 or head.role is None or head.country is None or head.code != head.country + head.role:
        return members
    toks = sentence.tokens
    shared = tuple(
        replace(m, code=m.country + head.role, role=head.role, acled_type=head.acled_type,
                rule_ids=m.rule_ids + head.rule_ids[1:],
                text=sentence.text[toks[m.start].start - sentence.start: toks[head.end - 1].end - sentence.start])
        if m.modifier and m.country else m
        for m in members[:-1]
    )
    return shared + (head,)


def _speaker(groups: list[ActorGroup], sentence: Sentence, g: Grammar) -> tuple[ActorGroup | None, int | None]:
    """The group next to a speech verb ("X said", "said X", "according to X") and the verb's index."""
    norms = sentence.norms
    for grp in groups:
        for k in range(grp.end, min(len(norms), grp.end + 3)):
            if norms[k] in g.speech_verbs:
                return grp, k
        if grp.start >= 1 and norms[grp.start - 1] in g.speech_verbs:
            return grp, grp.start - 1
        if grp.start >= 2 and norms[grp.start - 2:grp.start] == ("according", "to"):
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


def _inside_quotes(sentence: Sentence, token_index: int) -> bool:
    opened = 0
    for t in sentence.tokens[:token_index]:
        if t.text in ("“", "”", '"'):
            opened += 1
    return opened % 2 == 1


def _as_known_person(actor: Actor, memory: Memory) -> Actor:
    """A nominal ("the Russian leader") that matches a person named earlier stands for that person."""
    if actor.is_person or actor.role is None:
        return actor
    for person in reversed(memory.persons):
        if person.code == actor.code:
            return replace(actor, is_person=True)
    return actor


def _not_surnames(pieces: list[Piece], originals: list[str], surnames: frozenset[str]) -> list[Piece]:
    """ "Defence Secretary Tom King", "John Major": a title that is also a surname (grammar.yaml
    ``surname_titles``) right after a capitalised word no dictionary knows (a first name) is the surname."""
    covered = {i for p in pieces for i in range(p.start, p.end)}
    return [p for p in pieces if not (p.entry.kind == AGENT and p.end - p.start == 1 and p.start >= 1
                                       and originals[p.start].lower() in surnames and originals[p.start][:1].isupper()
                                       and (p.start - 1) not in covered and originals[p.start - 1][:1].isupper()
                                       and originals[p.start - 1].isalpha())]


def code_sentence(
    sentence: Sentence, lexicon: ActorLexicon, grammar: Grammar, memory: Memory, on: dt.date | None,
    lowercase_doc: bool,
) -> tuple[SentenceActors, Memory]:
    norms = sentence.norms
    originals = [t.text for t in sentence.tokens]
    pieces = lexicon.scan(norms, originals, lowercase_doc)
    if not lowercase_doc:
        pieces = _not_surnames(pieces, originals, grammar.surname_titles)
    pieces = _of_countries_in_view(pieces, memory)
    named: list[Actor] = []
    corefs: list[Piece] = []
    covered = {i for p in pieces for i in range(p.start, p.end)}
    for compound in _compose(pieces, norms, grammar):
        if compound[0].entry.kind == COREF:
            corefs.append(compound[0])
            continue
        actor = _resolve(compound, sentence, on, grammar)
        if actor is not None:
            if compound[-1].entry.kind == AGENT and not lowercase_doc:
                actor = titled_name(actor, sentence, covered)
            named.append(_as_known_person(actor, memory))
    named = merge_appositions(named, sentence, grammar)
    named = _not_dateline(named, sentence, grammar)
    groups = _group(named, sentence, grammar)
    speaker, verb = _speaker(groups, sentence, grammar)
    actors = list(named)
    for piece in corefs:
        how = piece.entry.resolves
        if how == "last_person":
            # most recent person before the pronoun (this sentence first, then the document's most
            # salient); inside a quote, not the quote's own speaker ("I spoke to him," Trump said)
            exclude = speaker.members[0].code if speaker is not None and _inside_quotes(sentence, piece.start) else None
            here = [a for a in named if a.is_person and a.end <= piece.start]
            for cand in list(reversed(here)) + list(reversed(memory.persons)):
                if cand.code != exclude:
                    actors.append(_retext(cand, sentence, piece))
                    break
        elif how == "speaker":
            who = speaker.members[0] if speaker is not None else memory.last_speaker
            if who is not None:
                actors.append(_retext(who, sentence, piece))
        elif how == "reported_speaker":
            # "X said (that) it ...": only right after the speaker's own verb of saying
            k = piece.start - 1
            if k >= 0 and norms[k] == "that":
                k -= 1
            if speaker is not None and verb is not None and k == verb and verb >= speaker.end:
                actors.append(_retext(speaker.members[0], sentence, piece))
        elif how == "last_two_countries":
            pair = _last_pair(groups, piece.start) or memory.last_pair
            if pair is not None:
                actors.extend(_retext(a, sentence, piece) for a in pair)
    if corefs:
        actors.sort(key=lambda a: a.start)
        groups = _group(actors, sentence, grammar)
        speaker, verb = _speaker(groups, sentence, grammar)
    memory = _remember(memory, groups, speaker, len(norms))
    names = frozenset(i for p in pieces if p.entry.kind in _NAMES for i in range(p.start, p.end))
    not_places = frozenset([*(i for p in pieces if p.entry.kind in (PERSON, ORG) for i in range(p.start, p.end)),
                            *(i for a in named if a.is_person for i in range(a.start, a.end))])  # "Judge [Alejandro Rivera]"
    return SentenceActors(tuple(actors), tuple(groups), speaker, verb, names, not_places), memory


_DATELINE_MAX_TOKENS = 12
_COUNTRY_RULE = "country."


def _not_dateline(named: list[Actor], sentence: Sentence, grammar: Grammar) -> list[Actor]:
    """A dateline is where a story was filed, not who acted: "KYIV - Russian forces ...", "GAZA CITY,
    Gaza Strip, June 19 (Reuters) - ...". Countries and capitals before a dash (grammar.yaml
    ``dateline_dashes``) that opens a sentence of capitalised words, numbers and punctuation are no actors."""
    norms = sentence.norms
    dash = next((k for k, w in enumerate(norms[:_DATELINE_MAX_TOKENS]) if w in grammar.dateline_dashes), None)
    if not dash or not named or named[0].start != 0:
        return named
    tokens = sentence.tokens
    if any(t.text[:1].islower() for t in tokens[:dash]) or dash + 1 >= len(tokens) or tokens[dash + 1].text[:1].islower():
        return named  # "Russia's army - the largest in Europe - ...", "Iran - which ...": a sentence, not a dateline
    return [a for a in named if not (a.end <= dash and all(r.startswith(_COUNTRY_RULE) for r in a.rule_ids))]


def _remember(memory: Memory, groups: list[ActorGroup], speaker: ActorGroup | None, n_tokens: int) -> Memory:
    """Persons named in the sentence become the most recent, its subject (first person outside a
    prepositional phrase) the most salient of all; the last coordinated pair; the speaker."""
    persons = [m for grp in groups for m in grp.members if m.is_person]
    subject = next((m for grp in groups if grp.preposition is None and not grp.possessive
                    for m in grp.members if m.is_person), None)
    if subject is not None:
        persons = [p for p in persons if p is not subject] + [subject]
    seen = [p for p in memory.persons if all(p.code != q.code for q in persons)]
    pair = _last_pair(groups, n_tokens)
    named = [m.country for grp in groups for m in grp.members if m.country]
    return Memory(  # one new record a sentence (dataclasses.replace costs several times as much)
        persons=tuple(seen + persons)[-8:],
        last_pair=pair if pair is not None else memory.last_pair,
        last_speaker=speaker.members[0] if speaker is not None else memory.last_speaker,
        countries=(tuple(dict.fromkeys([c for c in memory.countries if c not in named] + named))[-8:] if named
                   else memory.countries),
    )
