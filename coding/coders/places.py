"""Place coder: where a sentence's events happened. A gazetteer place (``gazetteer.py``: towns,
admin1 divisions, regions, countries) right after a locative preposition (``rules/places.yaml``),
read and told from its namesakes by ``place_names.py``; the place of each act in its sentence, the
document's place, the dateline."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import compress

from ..records import Actor, PlaceFinding, Sentence
from ..rulebook import as_bool, as_int, check_keys, check_unique_ids, read_yaml, read_yaml_items, rules_dir
from ..text import normalise_phrase
from .gazetteer import Candidate, Gazetteer, english_word, fold
from .place_names import disambiguate, name_continues, place_at, starts_long_name


@dataclass(frozen=True)
class Locative:
    id: str
    words: tuple[str, ...]
    precision: int


@dataclass(frozen=True)
class PlaceRules:
    skip: frozenset[str]
    clause_joiners: frozenset[str]
    dateline_marks: frozenset[str]
    alternates_from: int
    locatives: dict[str, tuple[tuple[tuple[str, ...], Locative], ...]]  # first word -> longest first
    min_population: int
    named_place: tuple[str, int]  # (rule id, geo precision) of a place named without a locative
    name_particles: frozenset[str] = frozenset()  # "Ras al-Ain", "Shakhta imeni Gagarina": one name
    name_heads: frozenset[str] = frozenset()  # "City Hall", "Town Hall": a capitalised head starts a name
    division_town_population: int = 50000  # a town this big after a place stands for its division
    subplace_heads: frozenset[str] = frozenset()  # "the Sarandi neighborhood", "Wellington Street"
    designating: frozenset[str] = frozenset()  # ids of locatives that name where the event is coded ("coded to X")
    namesake_km: int = 150  # a town this far from the division named after it is a namesake ("Yenisehir, Diyarbakir")
    topic_words: frozenset[str] = frozenset()  # "against", "over": what follows is what an act is about
    english_particles: frozenset[str] = frozenset()  # name particles that are English words too ("as", "do")


def load_place_rules() -> PlaceRules:
    path = rules_dir() / "places.yaml"
    data, _ = read_yaml(path)
    items = read_yaml_items(path, "locatives")
    check_unique_ids(items)
    locs = []
    designating: set[str] = set()
    for it in items:
        check_keys(it, ["id", "words", "precision"], ["designates"])
        loc = Locative(it.data["id"], tuple(it.data["words"]), as_int(it, "precision"))
        if as_bool(it, "designates"):
            designating.add(loc.id)
        for w in loc.words:
            locs.append((normalise_phrase(w), loc))
    locs.sort(key=lambda x: -len(x[0]))
    by_first: dict[str, list] = {}
    for words, loc in locs:
        by_first.setdefault(words[0], []).append((words, loc))
    return PlaceRules(frozenset(data["skip"]), frozenset(data["clause_joiners"]), frozenset(data["dateline_marks"]),
                      int(data.get("alternate_names_from_population", 10**12)),
                      {k: tuple(v) for k, v in by_first.items()},
                      int(data.get("min_population", 15000)),
                      (data["named_place"]["id"], int(data["named_place"]["precision"])),
                      frozenset(data["name_particles"]), frozenset(data["name_heads"]),
                      int(data["division_town_population"]), frozenset(data["subplace_heads"]), frozenset(designating),
                      int(data["namesake_km"]),
                      frozenset(data["topic_words"]), frozenset(p for p in data["name_particles"] if english_word(p)))


def find_places(
    sentence: Sentence, rules: PlaceRules, gazetteer: Gazetteer, doc_countries: frozenset[str], lowercase_doc: bool,
    not_places: frozenset[int] = frozenset(), divisions: frozenset[tuple[str, str]] = frozenset(),
) -> list[tuple[int, PlaceFinding]]:
    """(token index, place) for every gazetteer place right after a locative preposition; words
    inside the names of people and organisations are not places ("called on NATO")."""
    norms = fold(sentence.norms)
    out = []
    i = 0  # the first token not yet read
    # the tokens that may open a locative, picked by C-level iterators
    for k in compress(range(len(norms)), map(rules.locatives.__contains__, norms)):
        if k < i:
            continue
        i = k
        hit = None
        for words, loc in rules.locatives[norms[i]]:
            if len(words) == 1 or tuple(norms[i:i + len(words)]) == words:
                hit = (words, loc)
                break
        if hit is None:
            i += 1
            continue
        j = i + len(hit[0])
        toks = sentence.tokens
        while (j < len(norms) and norms[j] in rules.skip and not starts_long_name(gazetteer, norms, j)
               and not (norms[j] in rules.name_heads and toks[j].text[:1].isupper() and not lowercase_doc)):
            j += 1
        got = place_at(sentence, norms, j, gazetteer, doc_countries, lowercase_doc, not_places, rules,
                        hit[1].precision, hit[1].id, divisions=divisions)
        if got is not None:
            j, n, place = got
            out.append((j, place))
            i = j + n
            continue
        i += 1
    return out


def find_named_places(
    sentence: Sentence, rules: PlaceRules, gazetteer: Gazetteer, doc_countries: frozenset[str],
    not_places: frozenset[int] = frozenset(), divisions: frozenset[tuple[str, str]] = frozenset(),
) -> list[tuple[int, PlaceFinding]]:
    """Capitalised gazetteer places anywhere in a sentence, without a locative ("Russian forces
    shelled Kharkiv"): a document's place of last resort (`named_place`). Not the sentence's first
    word, not a one-word name that is also an English word ("Police", "Bay"), not inside the name
    of a person or organisation."""
    norms = fold(sentence.norms)
    toks = sentence.tokens
    out = []
    i = 1
    while i < len(norms):
        if not toks[i].text[:1].isupper() or i in not_places or name_continues(toks[i - 1].text):
            i += 1
            continue
        got = place_at(sentence, norms, i, gazetteer, doc_countries, False, not_places, rules,
                        rules.named_place[1], rules.named_place[0], strict=True, divisions=divisions)
        if got is not None:
            j, n, place = got
            out.append((j, place))
            i = j + n
            continue
        i += 1
    return out


def document_place(
    places_by_sentence: list[list[tuple[int, PlaceFinding]]], named: list[tuple[int, PlaceFinding]] | None,
) -> PlaceFinding | None:
    """Where a document's events happen when a sentence names no place: the first place named after
    a locative in the document, else the first place named anywhere (`named`). ACLED notes and news
    reports name the scene first."""
    for found in places_by_sentence:
        if found:
            return found[0][1]
    if named:
        return named[0][1]
    return None


def place_for(
    places: list[tuple[int, PlaceFinding]], token: int, norms: list[str], rules: PlaceRules
) -> PlaceFinding | None:
    """The place of an action at ``token``: the first named after it, else the last before it in
    the same clause ("While Europe meets in Geneva, and Iran and Israel trade blows": not Geneva).
    A place after the action behind a word of its topic ("gathered in Bratislava, protesting against
    the war in Ukraine") gives way to a place before it."""
    after = [(i, p) for i, p in places if i >= token]
    before = [(i, p) for i, p in places if i < token]
    near = None
    if before:
        i, near = before[-1]
        between = norms[i:token]
        if any(between[k] in (",", ";") and between[k + 1] in rules.clause_joiners for k in range(len(between) - 1)):
            near = None
    if after and (near is None or not any(w in rules.topic_words for w in norms[token:after[0][0]])):
        return after[0][1]
    return near


def find_dateline(
    sentences: list[Sentence], rules: PlaceRules, gazetteer: Gazetteer, doc_countries: frozenset[str],
    divisions: frozenset[tuple[str, str]] = frozenset(),
) -> Candidate | None:
    """The place of a dateline ("LUCKNOW: ...", "KYIV, June 19 (Reuters) -") at the start of one of
    the first three sentences: where the article was filed, a vote for the country it is about."""
    for s in sentences[:3]:
        norms = fold(s.norms)
        found = gazetteer.lookup(norms, 0) if norms else None
        if found is None:
            continue
        n, cands = found
        rest = norms[n:n + 6]
        marks = rules.dateline_marks
        if rest and s.tokens[n].start == s.tokens[n - 1].end and rest[0] not in (",", ":"):
            continue  # a hyphenated word ("Vice-President"), not a dateline's dash
        if rest and (rest[0] in marks or (rest[0] == "," and any(w in marks for w in rest))):
            return disambiguate(cands, doc_countries, divisions)
    return None


def place_from_actors(source: Actor, target: Actor | None, gazetteer: Gazetteer) -> PlaceFinding | None:
    """No place in the text, but a domestic event (both actors of one country, or a source alone
    that is not a state or its forces, which may act abroad): the event is in that country, at
    country precision (ACLED geo_precision 3)."""
    source_country = source.country
    if source_country is None:
        return None
    if target is None and source.role in (None, "MIL", "SPY"):
        return None
    if target is not None and target.country != source_country:
        return None
    c = gazetteer.country(source_country)
    if c is None:
        return None
    return PlaceFinding(c.name, c.country, None, c.latitude, c.longitude, 3, PLACE_FROM_ACTORS)


PLACE_FROM_ACTORS = "infer.place_from_actors"
PLACE_FROM_DOCUMENT = "infer.place_from_document"


def country_of_document(country: str | None, gazetteer: Gazetteer) -> PlaceFinding | None:
    """The country a document is about (``pipeline.dominant_country``), when nothing else says where
    its events happened: country precision (ACLED geo_precision 3)."""
    c = gazetteer.country(country) if country else None
    if c is None:
        return None
    return PlaceFinding(c.name, c.country, None, c.latitude, c.longitude, 3, PLACE_FROM_DOCUMENT)
