"""Reading a place name at a token: the gazetteer entry a written name stands for. A name the
gazetteer lacks gives way to the larger place named after it ("Pakulu village (Walese Vonkutu, Irumu,
Ituri)"); namesakes are told apart by the divisions named right after the name ("Yala (Gem, Siaya)",
"Yenisehir town, Diyarbakir"), then by the divisions and countries the document names, then by size
(Moscow, Russia before Moscow, Idaho)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..records import PlaceFinding, Sentence
from .gazetteer import Candidate, Gazetteer, _fold_word, haversine_km, is_acronym

if TYPE_CHECKING:
    from .places import PlaceRules


def place_at(sentence: Sentence, norms, j: int, gazetteer: Gazetteer, doc_countries: frozenset[str],
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
        if is_acronym(written):  # "IS", "TO": an acronym is no town (countries' codes are exact-case)
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
        if named and all(min(haversine_km(c.latitude, c.longitude, d.latitude, d.longitude) for d in named)
                         > rules.namesake_km for c in same):
            cands, via_region = named, True
        else:
            cands = same or cands
    best = disambiguate(cands, doc_countries, divisions, local)
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


def _longer_name(toks, k: int, particles: frozenset[str]) -> bool:
    """The name goes on after token ``k - 1``: a capitalised word ("Playa Rica"), an attached hyphen
    ("Bagnols-sur-Ceze"), or a lower-case particle and a capitalised word ("Ras al-Ain")."""
    if k >= len(toks):
        return False
    nxt = toks[k].text
    if name_continues(nxt):
        return True
    if nxt in ("-", "'") and toks[k].start == toks[k - 1].end and k + 1 < len(toks) and toks[k + 1].text[:1].isalpha():
        return True
    if nxt in particles and k + 1 < len(toks):
        after = toks[k + 1].text
        if after == "-" and k + 2 < len(toks):
            after = toks[k + 2].text
        return name_continues(after)
    return False


_REGION_HOPS = 3


def starts_long_name(gazetteer: Gazetteer, norms: list[str], j: int) -> bool:
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
        start, k = k, _past_name(toks, k, rules)
        if k == start:
            return None
        while k < len(norms) and norms[k] in rules.skip:
            k += 1
        if k + 1 >= len(norms) or norms[k] not in (",", "("):
            return None
        k += 1
        found = gazetteer.division_lookup(norms, k) if toks[k].text[:1].isupper() else gazetteer.lookup(norms, k)
        if found is not None and _begins_unknown_name(toks, norms, k, found[0], gazetteer, rules):
            continue  # "(Al Dhaher, Sadah)", "(Bab al-Amud)", "(South 24 Parganas, WB)": a longer name the gazetteer lacks
        if found is not None and countries:
            found = (found[0], [c for c in found[1] if c.country in countries or c.is_country]) if any(
                c.country in countries or c.is_country for c in found[1]) else None
        if found is not None:
            return k, found
    return None


def _begins_unknown_name(toks, norms, k: int, n: int, gazetteer: Gazetteer, rules: PlaceRules) -> bool:
    """The name of ``n`` tokens found at ``k`` goes on: a longer name the gazetteer lacks ("Al Dhaher",
    "Bab al-Amud", "South 24 Parganas", a division named by an English word: "South Eastern"); not a
    generic word after it ("Mandi District")."""
    end = k + n
    if end >= len(toks):
        return False
    if n == 1 and (norms[k],) in gazetteer.english_divisions and name_continues(toks[end].text) \
            and norms[end] not in rules.name_heads:
        return True
    if norms[end] in rules.skip:
        return False
    if norms[end] in rules.english_particles and not (end + 1 < len(toks) and toks[end + 1].text == "-"):
        return False  # "near Marinka, Donetsk as Russian forces ...": "as" here is English
    return toks[end].text.isdigit() or _longer_name(toks, end, rules.name_particles)


def _past_name(toks, k: int, rules: PlaceRules) -> int:
    """The token after the capitalised name (at most six words, particles inside) starting at ``k``."""
    start = k
    while k < len(toks) and k < start + 6 and (toks[k].text[:1].isupper() or (
            k > start and _longer_name(toks, k, rules.name_particles))):
        k += 1
    return k


def name_continues(text: str) -> bool:
    return text[:1].isupper() and text.isalpha()


def _plausible(written: str, n_tokens: int, lowercase_doc: bool, gazetteer: Gazetteer) -> bool:
    """A capitalised name; in lower-cased text, not a one-word English dictionary word ("police",
    "temple", "march" are towns somewhere, but not in "in police custody")."""
    if not lowercase_doc:
        return written[:1].isupper()
    return n_tokens > 1 or _fold_word(written.lower()) not in gazetteer.english_names


def disambiguate(cands: list[Candidate], doc_countries: frozenset[str],
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
            k = _past_name(toks, k, rules)
            continue
        n, cands = found
        written = " ".join(t.text for t in toks[k:k + n])
        cands = [c for c in cands if not c.exact_case or c.name == written]
        if _begins_unknown_name(toks, norms, k, n, gazetteer, rules):
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


def _list_goes_on(toks, norms, k: int) -> bool:
    """After a name: "and"/"or", or a comma and another capitalised name (a list of places)."""
    if k >= len(norms):
        return False
    if norms[k] in ("and", "or"):
        return True
    return norms[k] == "," and k + 1 < len(toks) and toks[k + 1].text[:1].isupper()
