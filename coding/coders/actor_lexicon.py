"""Actor dictionaries (countries, people, organisations, agents, coreference phrases) compiled into
one pyahocorasick automaton over token norms, and the piece matcher that scans a sentence."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import ahocorasick

from ..rulebook import Item, RuleError, check_keys, check_unique_ids, read_jsonl, read_yaml_items, rules_dir
from ..text import normalise_phrase
from schemas.codebook import ACTOR_CODE_RE, acled_actor_types, iso3_codes

# Piece kinds, in the order used to describe a compound actor.
COUNTRY, ADJECTIVE, DEMONYM, METONYM, PERSON, ORG, AGENT, COREF = (
    "country", "adjective", "demonym", "metonym", "person", "org", "agent", "coref",
)


@dataclass(frozen=True)
class RoleSpan:
    role: str | None
    code: str | None
    start: dt.date | None
    end: dt.date | None


@dataclass(frozen=True)
class Entry:
    """What a dictionary phrase stands for."""

    kind: str
    rule_id: str
    country: str | None = None
    role: str | None = None
    code: str | None = None
    acled_type: str | None = None
    roles: tuple[RoleSpan, ...] = ()
    resolves: str | None = None  # coreference strategy
    proper: bool = True  # needs a capital letter in mixed-case text
    exact_case: str | None = None  # short all-caps forms ("US", "IS") match only as written
    name: str | None = None  # organisations: the name ACLED-style tables use (acled_name or first name)


@dataclass(frozen=True)
class Piece:
    start: int  # token index
    end: int  # exclusive
    entry: Entry
    namesakes: tuple[Entry, ...] = ()  # other people ("President Bush") or organisations ("SNA") written the same


class ActorLexicon:
    """All actor phrases -> entries; ``scan`` finds leftmost-longest pieces in a sentence."""

    def __init__(self, phrases: dict[tuple[str, ...], list[tuple[str, Entry]]]):
        self.automaton = ahocorasick.Automaton()
        for norms, entries in phrases.items():
            key = " " + " ".join(norms) + " "
            self.automaton.add_word(key, (len(key), len(norms), tuple(entries)))
        self.automaton.make_automaton()
        self.size = len(phrases)

    def scan(self, norms: list[str], originals: list[str], lowercase_doc: bool) -> list[Piece]:
        if not norms:
            return []
        hay = " " + " ".join(norms) + " "
        found: list[Piece] = []
        for end_char, (key_len, n_tokens, entries) in self.automaton.iter(hay):
            # a key is whole tokens between spaces, and a norm holds no space: the key starts at the
            # space before token i, which has i spaces before it
            first = hay.count(" ", 0, end_char - key_len + 1)
            for k, (written, entry) in enumerate(entries):
                if self._case_ok(entry, written, originals[first:first + n_tokens], lowercase_doc):
                    # other people ("President Bush") or organisations ("SNA") written the same
                    namesakes = (tuple(e for _, e in entries[k + 1:] if e.kind == entry.kind)
                                 if entry.kind in (PERSON, ORG) else ())
                    found.append(Piece(first, first + n_tokens, entry, namesakes))
                    break
        # leftmost-longest, non-overlapping
        found.sort(key=lambda p: (p.start, -(p.end - p.start)))
        out: list[Piece] = []
        last_end = -1
        for p in found:
            if p.start >= last_end:
                out.append(p)
                last_end = p.end
        return out

    @staticmethod
    def _case_ok(entry: Entry, written: str, tokens: list[str], lowercase_doc: bool) -> bool:
        if entry.exact_case is not None:
            return " ".join(tokens) == entry.exact_case
        if entry.proper and not lowercase_doc:
            first = tokens[0]
            return first[:1].isupper() or first[:1].isdigit() or not first[:1].isalpha()
        return True


def _date(item: Item, value) -> dt.date | None:
    if value in (None, "", "null"):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise item.error("R007", f"bad date {value!r} (expected YYYY-MM-DD)") from None


def _needs_exact_case(phrase: str) -> str | None:
    compact = phrase.replace(" ", "")
    if compact.isalpha() and compact.isupper() and len(compact) <= 3:
        return phrase
    return None


class _Builder:
    def __init__(self) -> None:
        self.phrases: dict[tuple[str, ...], list[tuple[str, Entry]]] = {}
        self.where: dict[tuple[str, ...], Item] = {}

    def add(self, phrase: str, entry: Entry, item: Item) -> None:
        norms = normalise_phrase(phrase)
        if not norms:
            raise item.error("R007", f"empty phrase {phrase!r}")
        exact = _needs_exact_case(" ".join(t for t in phrase.split()))
        if exact is not None:
            entry = Entry(**{**entry.__dict__, "exact_case": " ".join(t.text for t in _tok(phrase))})
        bucket = self.phrases.setdefault(norms, [])
        for written, other in bucket:
            if other.rule_id == entry.rule_id:
                return
            if other.exact_case is None and entry.exact_case is None and _conflicting(other, entry):
                first = self.where[norms]
                raise item.error(
                    "R009", f"phrase {phrase!r} also defined by {other.rule_id} ({first.path}:{first.line})"
                )
        bucket.append((phrase, entry))
        # exact-case entries are tried first
        bucket.sort(key=lambda we: we[1].exact_case is None)
        self.where.setdefault(norms, item)


def _tok(phrase: str):
    from ..text import tokenize

    return tokenize(phrase)


def _conflicting(a: Entry, b: Entry) -> bool:
    return (a.kind, a.country, a.role, a.code) != (b.kind, b.country, b.role, b.code)


def load_lexicon() -> ActorLexicon:
    root = rules_dir()
    b = _Builder()
    seen: dict[str, Item] = {}
    iso3 = iso3_codes()
    acled = set(acled_actor_types())

    def check_country(item: Item, code) -> None:
        if code is not None and code not in iso3:
            raise item.error("R007", f"unknown ISO3 country {code!r}")

    def check_code(item: Item, code) -> None:
        if code is not None and not re.fullmatch(ACTOR_CODE_RE, code):
            raise item.error("R007", f"actor code {code!r} is not three-letter CAMEO segments (the schema rejects it)")

    def check_acled(item: Item) -> None:
        value = item.data.get("acled_type")
        if value is not None and value not in acled:
            raise item.error("R007", f"unknown ACLED actor type {value!r}")

    countries = read_jsonl(root / "actors" / "countries.jsonl")
    check_unique_ids(countries, seen)
    for it in countries:
        check_keys(it, ["id", "iso3", "names"], ["adjectives", "demonyms", "metonyms", "capital", "lat", "lon", "source"])
        iso = it.data["iso3"]
        check_country(it, iso)
        for name in it.data["names"]:
            b.add(name, Entry(COUNTRY, it.data["id"], country=iso), it)
        for name in it.data.get("adjectives") or []:
            b.add(name, Entry(ADJECTIVE, it.data["id"], country=iso), it)
        for name in it.data.get("demonyms") or []:
            b.add(name, Entry(DEMONYM, it.data["id"], country=iso, role="CVL"), it)
        for name in it.data.get("metonyms") or []:
            b.add(name, Entry(METONYM, it.data["id"], country=iso, role="GOV"), it)

    people = read_jsonl(root / "actors" / "people.jsonl")
    check_unique_ids(people, seen)
    for it in people:
        check_keys(it, ["id", "names", "roles"], ["country", "source", "note", "born"])
        check_country(it, it.data.get("country"))
        spans = []
        for r in it.data["roles"]:
            check_code(it, r.get("code"))
            spans.append(RoleSpan(r.get("role"), r.get("code"), _date(it, r.get("start")), _date(it, r.get("end"))))
        entry = Entry(PERSON, it.data["id"], country=it.data.get("country"), roles=tuple(spans))
        for name in it.data["names"]:
            b.add(name, entry, it)

    orgs = read_jsonl(root / "actors" / "organisations.jsonl")
    check_unique_ids(orgs, seen)
    for it in orgs:
        check_keys(it, ["id", "names", "code", "kind"],
                   ["country", "role", "acled_type", "source", "note", "active_since", "acled_name"])
        check_country(it, it.data.get("country"))
        check_code(it, it.data["code"])
        check_acled(it)
        entry = Entry(ORG, it.data["id"], country=it.data.get("country"), role=it.data.get("role"),
                      code=it.data["code"], acled_type=it.data.get("acled_type"),
                      name=it.data.get("acled_name") or it.data["names"][0])
        for name in it.data["names"]:
            b.add(name, entry, it)

    agents = read_jsonl(root / "actors" / "agents.jsonl")
    check_unique_ids(agents, seen)
    for it in agents:
        check_keys(it, ["id", "names", "role"], ["acled_type", "source", "note"])
        check_acled(it)
        entry = Entry(AGENT, it.data["id"], role=it.data["role"], acled_type=it.data.get("acled_type"), proper=False)
        for name in it.data["names"]:
            b.add(name, entry, it)

    corefs = read_yaml_items(root / "coreference.yaml")
    check_unique_ids(corefs, seen)
    for it in corefs:
        check_keys(it, ["id", "phrases", "resolves"], ["note"])
        if it.data["resolves"] not in ("last_person", "last_two_countries", "speaker", "reported_speaker"):
            raise it.error("R007", f"unknown resolves {it.data['resolves']!r}")
        entry = Entry(COREF, it.data["id"], resolves=it.data["resolves"], proper=False)
        for phrase in it.data["phrases"]:
            b.add(phrase, entry, it)
    return ActorLexicon(b.phrases)


__all__ = ["ActorLexicon", "Entry", "Piece", "RoleSpan", "load_lexicon", "RuleError"]
