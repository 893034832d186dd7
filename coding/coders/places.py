"""Place coder: where a sentence's events happened. A gazetteer place (``gazetteer.py``: towns,
admin1 divisions, regions, countries) right after a locative preposition (``rules/places.yaml``),
disambiguated by the admin1 divisions and countries the document names (Canton, Michigan before
Canton, China; Moscow, Russia before Moscow, Idaho)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..records import Actor, PlaceFinding, Sentence
from ..rulebook import as_bool, as_int, check_keys, check_unique_ids, read_yaml, read_yaml_items, rules_dir
from ..text import normalise_phrase
from .gazetteer import Candidate, Gazetteer, _fold_word, english_word, fold


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
    for k in [k for k, w in enumerate(norms) if w in rules.locatives]:  # the tokens that may open a locative
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
        while (j < len(norms) and norms[j] in rules.skip and not _starts_long_name(gazetteer, norms, j)
               and not (norms[j] in rules.name_heads and toks[j].text[:1].isupper() and not lowercase_doc)):
            j += 1
        got = _place_at(sentence, norms, j, gazetteer, doc_countries, lowercase_doc, not_places, rules,
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
        if not toks[i].text[:1].isupper() or i in not_places or _name_continues(toks[i - 1].text):
            i += 1
            continue
        got = _place_at(sentence, norms, i, gazetteer, doc_countries, False, not_places, rules,
                        rules.named_place[1], rules.named_place[0], strict=True, divisions=divisions)
        if got is not None:
            j, n, place = got
            out.append((j, place))
            i = j + n
            continue
        i += 1
    return out


def _place_at(sentence: Sentence, norms, j: int, gazetteer: Gazetteer, doc_countries: frozenset[str],
              lowercase_doc: bool, not_places: frozenset[int], rules: PlaceRules, precision: int, rule_id: str,
              strict: bool = False, divisions: frozenset[tuple[str, str]] = frozenset(),
              ) -> tuple[int, int, PlaceFinding] | None:
    """The gazetteer place starting at token ``j`` (or, for an unknown name, the larger place after
    it: "Svitlodarsk, Donetsk"): (first token, token count, place). A town outside every country of
    the admin1 divisions the document names is taken for an unknown namesake ("Yala (Gem, Siaya
    County)" is not Yala, Thailand)."""
    if j >= len(norms) or j in not_places:
        return None
    toks = sentence.tokens
    found = gazetteer.lookup(norms, j)
    via_region = False
    if found is not None:
        n, cands = found
        written = " ".join(t.text for t in toks[j:j + n])
        cands = [c for c in cands if not c.exact_case or c.name == written]
        if _acronym(written):  # "IS", "TO": an acronym is no town (countries' codes are exact-case)
            cands = [c for c in cands if c.exact_case]
        if not lowercase_doc and _longer_name(toks, j + n, rules.name_particles) \
                and not _generic_head(toks, norms, j + n, rules):
            cands = []  # "Playa Rica" is not "Playa", "Ras al-Ain" not "Ras": a name the gazetteer lacks
        if n == 1 and j > 0 and norms[j - 1] == "the" and norms[j] in gazetteer.english_names:
            cands = []  # "outside the Congress"
        if j + n < len(norms) and norms[j + n] in rules.subplace_heads:
            return None  # "in the Sarandi neighborhood": part of a town, not the namesake town
        if cands and divisions and not any(c.country in {d for d, _ in divisions} or c.country in doc_countries
                                           or c.is_country for c in cands):
            cands = []
        if not cands:
            found = None
        else:
            found = (n, cands)
    if found is None:
        found = _region_after_unknown(sentence, norms, j, gazetteer, rules, frozenset(d for d, _ in divisions))
        if found is not None:
            j, found = found
            via_region = True
        if found is None:
            return None
    n, cands = found
    first_tok = toks[j]
    written = " ".join(t.text for t in toks[j:j + n])
    cands = [c for c in cands if not c.exact_case or c.name == written]
    if not cands or not _plausible(written, n, lowercase_doc or strict, gazetteer):
        return None
    if strict and not written[:1].isupper():
        return None
    local, spec = (_divisions_after(toks, norms, j + n, gazetteer, rules, tuple(norms[j:j + n])) if len(cands) > 1
                   else (frozenset(), ()))
    if local and not any((c.country, c.admin1) in local for c in cands):
        # "Yenisehir town, Diyarbakir": no namesake lies in the division named after it. A small town
        # the gazetteer lacks is in that division ("Yenisehir (Diyarbakir)" is a district of Diyarbakir,
        # not the town in Bursa); else one in its country is nearer the truth than a larger one abroad
        # (Larisa, Greece, once "Yenisehir")
        countries = {d for d, _ in local}
        same = [c for c in cands if c.country in countries]
        named = [d for d in spec if d.country in {c.country for c in same}]
        named = [d for d in named if d.is_region] or named  # "(Merida)": the state, not the town in Mexico
        if named and all(min(_km(c, d) for d in named) > rules.namesake_km for c in same):
            cands, via_region = named, True
        else:
            cands = same or cands
    best = _disambiguate(cands, doc_countries, divisions, local)
    text = sentence.text[first_tok.start - sentence.start: toks[j + n - 1].end - sentence.start]
    precision = 3 if best.is_country or best.is_region else 2 if via_region else precision
    return j, n, PlaceFinding(text, best.country, best.admin1, best.latitude, best.longitude, precision, rule_id)


def _generic_head(toks, norms, k: int, rules: PlaceRules) -> bool:
    """ "Rustavi City", "Al Bayda City": a generic word after a name, not the start of a longer name
    ("Louisiana State University", "the Lazio Region's project" name institutions)."""
    if norms[k] not in rules.skip:
        return False
    if k + 1 < len(toks) and (toks[k + 1].norm in ("'s", "’s") or _longer_name(toks, k + 1, rules.name_particles)):
        return False
    return True


def _acronym(written: str) -> bool:
    return len(written) <= 4 and written.isupper() and written.isalpha()


def _longer_name(toks, k: int, particles: frozenset[str]) -> bool:
    """The name goes on after token ``k - 1``: a capitalised word ("Playa Rica"), an attached hyphen
    ("Bagnols-sur-Ceze"), or a lower-case particle and a capitalised word ("Ras al-Ain")."""
    if k >= len(toks):
        return False
    nxt = toks[k].text
    if _name_continues(nxt):
        return True
    if nxt in ("-", "'") and toks[k].start == toks[k - 1].end and k + 1 < len(toks) and toks[k + 1].text[:1].isalpha():
        return True
    if nxt in particles and k + 1 < len(toks):
        after = toks[k + 1].text
        if after == "-" and k + 2 < len(toks):
            after = toks[k + 2].text
        return _name_continues(after)
    return False


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


_REGION_HOPS = 3


def _starts_long_name(gazetteer: Gazetteer, norms: list[str], j: int) -> bool:
    """ "the West Bank", "the Gaza Strip": a word otherwise skipped ("west") that begins a
    name of two words or more is part of the name."""
    found = gazetteer.lookup(norms, j)
    return found is not None and found[0] >= 2


def _region_after_unknown(sentence: Sentence, norms: list[str], j: int, gazetteer: Gazetteer, rules: PlaceRules,
                          countries: frozenset[str] = frozenset()):
    """"near Svitlodarsk, Donetsk", "in Muea town, Buea subdivision", "in Pakulu village (Walese
    Vonkutu, Irumu, Ituri)": capitalised names the gazetteer does not know, each followed by "," or
    "(", up to the first one it knows: the event is in (part of) that larger place."""
    toks = sentence.tokens
    k = j
    for _ in range(_REGION_HOPS):
        start = k
        while k < len(norms) and k < start + 6 and (toks[k].text[:1].isupper() or (
                k > start and _longer_name(toks, k, rules.name_particles))):
            k += 1
        if k == start:
            return None
        while k < len(norms) and norms[k] in rules.skip:
            k += 1
        if k + 1 >= len(norms) or norms[k] not in (",", "("):
            return None
        k += 1
        found = gazetteer.division_lookup(norms, k) if toks[k].text[:1].isupper() else gazetteer.lookup(norms, k)
        if found is not None and _begins_unknown_name(toks, norms, k + found[0], rules):
            continue  # "(Al Dhaher, Sadah)", "(Bab al-Amud)", "(South 24 Parganas, WB)": a longer name the gazetteer lacks
        if found is not None and countries:
            found = (found[0], [c for c in found[1] if c.country in countries or c.is_country]) if any(
                c.country in countries or c.is_country for c in found[1]) else None
        if found is not None:
            return k, found
    return None


def _begins_unknown_name(toks, norms, k: int, rules: PlaceRules) -> bool:
    """The name found before token ``k`` goes on: a longer name the gazetteer lacks ("Al Dhaher",
    "Bab al-Amud", "South 24 Parganas"); not a generic word after it ("Mandi District")."""
    if k >= len(toks) or norms[k] in rules.skip:
        return False
    if norms[k] in rules.english_particles and not (k + 1 < len(toks) and toks[k + 1].text == "-"):
        return False  # "near Marinka, Donetsk as Russian forces ...": "as" here is English
    return toks[k].text.isdigit() or _longer_name(toks, k, rules.name_particles)


def _name_continues(text: str) -> bool:
    return text[:1].isupper() and text.isalpha()


def _plausible(written: str, n_tokens: int, lowercase_doc: bool, gazetteer: Gazetteer) -> bool:
    """A capitalised name; in lower-cased text, not a one-word English dictionary word ("police",
    "temple", "march" are towns somewhere, but not in "in police custody")."""
    if not lowercase_doc:
        return written[:1].isupper()
    return n_tokens > 1 or _fold_word(written.lower()) not in gazetteer.english_names


def _disambiguate(cands: list[Candidate], doc_countries: frozenset[str],
                  divisions: frozenset[tuple[str, str]] = frozenset(),
                  local: frozenset[tuple[str, str]] = frozenset()) -> Candidate:
    """A town in the admin1 division of the place named right after it ("Pokrovka, Sumy",
    "Yenisehir town, Diyarbakir"), else in a division the document names ("Canton (Michigan)",
    "Koro (Koro, Mopti)"); else the largest candidate, unless one in a country the document names
    is at least a quarter its size (Moscow, Russia over Moscow, Idaho; Geneva, Switzerland over
    Geneva, Illinois). A division gives way to a town of the same name in its country (ACLED codes
    the town)."""
    best = None
    for named in (local, divisions):
        if named and best is None:
            best = next((c for c in cands if not c.is_region and (c.country, c.admin1) in named), None)
    if best is None:
        best = cands[0]
        for c in cands:
            if c.country in doc_countries and (c.is_country or c.population * 4 >= best.population):
                best = c
                break
    if best.is_region and best.admin1 is not None:
        best = next((c for c in cands if not c.is_region and not c.is_country and c.country == best.country), best)
    return best


def _divisions_after(toks, norms, k: int, gazetteer: Gazetteer, rules: PlaceRules,
                     name: tuple[str, ...]) -> tuple[frozenset[tuple[str, str]], tuple[Candidate, ...]]:
    """(country, admin1) of the places named right after a place, behind "," or "(" (up to three:
    "Koro (Koro, Mopti)", over names the gazetteer lacks: "Yala (Gem, Siaya)"): a division, or the
    division of the largest town of that name ("Oleksandrivka, Kharkiv"). Also the candidates of the
    first division named, when it specifies where the place is ("X (Diyarbakir)", "X town, Diyarbakir,
    demanding") rather than continuing a list ("in Izium, Donetsk and Luhansk")."""
    out: set[tuple[str, str]] = set()
    spec: tuple[Candidate, ...] = ()
    first = True
    for _ in range(_REGION_HOPS):
        while k < len(norms) and norms[k] in rules.skip:
            k += 1
        if k + 1 >= len(norms) or norms[k] not in (",", "("):
            break
        k += 1
        if not toks[k].text[:1].isupper():
            break
        found = gazetteer.division_lookup(norms, k)
        if found is None:  # "Yala (Gem, Siaya County)": a subdivision the gazetteer lacks; go on to the next
            start = k
            while k < len(norms) and k < start + 6 and (toks[k].text[:1].isupper() or (
                    k > start and _longer_name(toks, k, rules.name_particles))):
                k += 1
            continue
        n, cands = found
        written = " ".join(t.text for t in toks[k:k + n])
        cands = [c for c in cands if not c.exact_case or c.name == written]
        if n == 1 and (_begins_unknown_name(toks, norms, k + 1, rules) or (
                (norms[k],) in gazetteer.english_divisions and k + 1 < len(toks)
                and _name_continues(toks[k + 1].text) and norms[k + 1] not in rules.name_heads)):
            first = False  # "(West Sumatra province)", "(South Eastern)": a longer name the gazetteer lacks
            k += 1
            continue
        if any(c.is_country for c in cands):  # "Yerevan, Armenia": a country, not a division
            first = False
        elif tuple(norms[k:k + n]) != name:  # "San Jose, San Jose": the same name again says nothing
            regions = [c for c in cands if c.admin1 and c.is_region]
            out.update((c.country, c.admin1) for c in regions)
            town = next((c for c in cands if not c.is_region and not c.is_country), None)
            big = town is not None and town.admin1 is not None and town.population >= rules.division_town_population
            if big:
                out.add((town.country, town.admin1))
            if first and (regions or big) and (norms[k - 1] == "(" or not _list_goes_on(toks, norms, k + n)):
                spec = tuple(regions) + ((town,) if big else ())
            first = False
        k += n
    return frozenset(out), spec


def _km(a: Candidate, b: Candidate) -> float:
    """Rough distance in km (equirectangular; enough to tell a namesake hundreds of km away)."""
    x = math.radians(b.longitude - a.longitude) * math.cos(math.radians((a.latitude + b.latitude) / 2))
    y = math.radians(b.latitude - a.latitude)
    return 6371.0 * math.hypot(x, y)


def _list_goes_on(toks, norms, k: int) -> bool:
    """After a name: "and"/"or", or a comma and another capitalised name (a list of places)."""
    if k >= len(norms):
        return False
    if norms[k] in ("and", "or"):
        return True
    return norms[k] == "," and k + 1 < len(toks) and toks[k + 1].text[:1].isupper()


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
            return _disambiguate(cands, doc_countries, divisions)
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
