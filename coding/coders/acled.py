"""ACLED mapping: CAMEO code + sentence context -> ACLED event type / sub-event type, CAMEO
roles -> ACLED actor types and ACLED-style actor names (``rules/acled.yaml``). Rules are tried in ACLED precedence order."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import compress
from operator import itemgetter

from ..records import Actor
from ..rulebook import RuleError, as_bool, check_keys, check_unique_ids, read_jsonl, read_yaml, read_yaml_items, rules_dir
from ..text import normalise_phrase
from schemas.codebook import acled_actor_types, acled_types, iso3_codes

NO_TYPE = "none"  # in actor_types / target_types: no actor, or an actor of no known type

_first = itemgetter(0)


@dataclass(frozen=True)
class WordList:
    """A rule's words: one-word entries as a set (one set intersection per look-up), phrases apart,
    with the set of their first words (most texts hold none: no phrase to look for)."""

    singles: frozenset[str] = frozenset()
    phrases: tuple[tuple[str, ...], ...] = ()
    phrase_starts: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "phrase_starts", frozenset(p[0] for p in self.phrases))

    @classmethod
    def of(cls, entries) -> "WordList":
        normed = [normalise_phrase(w) for w in entries or []]
        return cls(frozenset(p[0] for p in normed if len(p) == 1), tuple(p for p in normed if len(p) > 1))

    def __bool__(self) -> bool:
        return bool(self.singles or self.phrases)

    def found_in(self, words: "Words") -> bool:
        if not words.present.isdisjoint(self.singles):
            return True
        if words.present.isdisjoint(self.phrase_starts):
            return False
        # the phrases whose first word is present, in order, each looked up until one is found (what
        # `any(p[0] in present and words.contains(p) for p in phrases)` does), by C-level iterators:
        # a generator step a phrase cost a tenth of ACLED typing
        present = words.present
        return any(map(words.contains, compress(self.phrases, map(present.__contains__, map(_first, self.phrases)))))


@dataclass(frozen=True)
class AcledRule:
    id: str
    cameo: tuple[str, ...]
    words: WordList
    document_scope: bool
    target_types: frozenset[str]
    actor_types: frozenset[str]
    event_type: str
    sub_event_type: str
    disorder_type: str
    set_actor_type: str | None = None
    set_target_type: str | None = None
    not_words: WordList = WordList()
    and_words: WordList = WordList()
    no_fatalities: bool = False  # ACLED records no deaths for this type (a peaceful protest)


@dataclass(frozen=True)
class ActorNames:
    """ACLED-style actor names (acled.yaml `actor_names`)."""

    by_type: dict[str, str]  # ACLED actor type -> template ("Protesters ({country})")
    by_role: dict[str, str]  # CAMEO role -> template ("Military Forces of {the_country}")
    country_alone: dict[str, str]  # "material_conflict" / "other" -> template for a bare country
    no_country: dict[str, str]  # template -> name when the country is unknown
    countries: dict[str, str]  # ISO3 -> ACLED's country name
    with_article: frozenset[str]  # ISO3 of countries written "the Philippines" after "of"

    def name(self, actor: Actor, actor_type: str | None, material_conflict: bool) -> str | None:
        if actor.name:
            return actor.name
        template = self.by_type.get(actor_type or "") or self.by_role.get(actor.role or "")
        if template is None and actor.role is None and actor.country:
            template = self.country_alone["material_conflict" if material_conflict else "other"]
        if template is None:
            return None
        if not actor.country or actor.country not in self.countries:
            return self.no_country.get(template)
        country = self.countries[actor.country]
        the = ("the " if actor.country in self.with_article else "") + country
        return template.format(country=country, the_country=the)


@dataclass(frozen=True)
class AcledRules:
    rules: tuple[AcledRule, ...]
    role_types: dict[str, str]
    abroad: tuple[str, str, str]  # (rule id, type of forces at home, type abroad)
    names: ActorNames
    bare_country_type: str | None = None
    target_role_types: dict[str, str] | None = None  # roles typed otherwise as victims (officials are civilians)
    civilian_status: tuple[str, WordList, int, str] | None = None  # (rule id, words, tokens before the target, type)
    by_code: dict[str, tuple[AcledRule, ...]] = field(default_factory=dict)  # memo of `for_code`

    def for_code(self, code: str) -> tuple[AcledRule, ...]:
        """The rules whose CAMEO prefixes cover ``code``, in order (computed once per code)."""
        got = self.by_code.get(code)
        if got is None:
            got = self.by_code[code] = tuple(r for r in self.rules if any(code.startswith(p) for p in r.cameo))
        return got

    def located(self, actor_type: str | None, actor_country: str | None, place_country: str | None) -> tuple[str | None, str | None]:
        """(actor type, rule id) once the event's country is known: state forces abroad are external."""
        rule_id, home, away = self.abroad
        if actor_type == home and actor_country and place_country and actor_country != place_country:
            return away, rule_id
        return actor_type, None

    def actor_name(self, actor: Actor, actor_type: str | None, material_conflict: bool) -> str | None:
        """ACLED-style name: "Military Forces of Israel", "Protesters (Kenya)", "Hamas"."""
        return self.names.name(actor, actor_type, material_conflict)

    def target_type(self, role: str | None, given: str | None, country: str | None = None,
                    material_conflict: bool = False, named: bool = False) -> str | None:
        """As `actor_type`, but an official attacked ("shot a former mayor") is a civilian to ACLED,
        and a bare country ("assaulted a Palestinian") is of no known type. A named organisation
        keeps its type (the Taliban's forces are state forces)."""
        if role and not named and self.target_role_types and role in self.target_role_types:
            return self.target_role_types[role]
        return self.actor_type(role, given, country, False)

    def status_type(self, norms: list[str] | tuple[str, ...], start: int, end: int) -> tuple[str, str] | None:
        """(type, rule id) of a target whose words or the few words before it give a civilian status
        ("a former soldier", "an off-duty police officer"): ACLED codes them as civilians."""
        if self.civilian_status is None or start < 0:
            return None
        rule_id, words, before, status = self.civilian_status
        window = Words(list(norms[max(0, start - before):end]))
        return (status, rule_id) if words.found_in(window) else None

    def actor_type(self, role: str | None, given: str | None, country: str | None = None,
                   material_conflict: bool = False) -> str | None:
        """The dictionary's type, else the role's; a bare country using force ("Israel struck
        Iran") is its state forces (`bare_country_type`)."""
        if given:
            return given
        if role:
            return self.role_types.get(role)
        return self.bare_country_type if country and material_conflict else None


def load_acled_rules() -> AcledRules:
    path = rules_dir() / "acled.yaml"
    data, _ = read_yaml(path)
    known_types = acled_actor_types()
    pairs = acled_types()
    role_types = dict(data["role_types"])
    target_role_types = dict(data.get("target_role_types") or {})
    for role, t in list(role_types.items()) + list(target_role_types.items()):
        if t not in known_types:
            raise RuleError("R007", "rules/acled.yaml", None, f"role_types.{role}: unknown ACLED actor type {t!r}")
    items = read_yaml_items(path, "rules")
    check_unique_ids(items)
    rules = []
    for it in items:
        check_keys(it, ["id", "cameo", "event_type", "sub_event_type"],
                   ["words", "words_scope", "and_words", "not_words", "no_fatalities", "target_types", "actor_types", "set_actor_type",
                    "set_target_type", "note"])
        if it.data.get("words_scope", "sentence") not in ("sentence", "document"):
            raise it.error("R007", "words_scope must be sentence or document")
        pair = pairs.get((it.data["event_type"], it.data["sub_event_type"]))
        if pair is None:
            raise it.error("R007", f"not an ACLED event/sub-event type pair: {it.data['event_type']} / {it.data['sub_event_type']}")
        sets = [it.data[k] for k in ("set_actor_type", "set_target_type") if it.data.get(k)]
        for t in list(it.data.get("target_types") or []) + list(it.data.get("actor_types") or []) + sets:
            if t not in known_types and not (t == NO_TYPE and t not in sets):
                raise it.error("R007", f"unknown ACLED actor type {t!r}")
        rules.append(AcledRule(
            it.data["id"], tuple(it.data["cameo"]), WordList.of(it.data.get("words")),
            it.data.get("words_scope") == "document",
            frozenset(it.data.get("target_types") or []), frozenset(it.data.get("actor_types") or []),
            pair.event_type, pair.sub_event_type, pair.disorder_type,
            it.data.get("set_actor_type"), it.data.get("set_target_type"),
            WordList.of(it.data.get("not_words")),
            WordList.of(it.data.get("and_words")),
            as_bool(it, "no_fatalities"),
        ))
    abroad = data["abroad"]
    for key in ("from", "to"):
        if abroad.get(key) not in known_types:
            raise RuleError("R007", "rules/acled.yaml", None, f"abroad.{key}: unknown ACLED actor type {abroad.get(key)!r}")
    bare = data.get("bare_country_type")
    if bare is not None and bare not in known_types:
        raise RuleError("R007", "rules/acled.yaml", None, f"bare_country_type: unknown ACLED actor type {bare!r}")
    status = data.get("civilian_status")
    civilian_status = None
    if status is not None:
        for key in status:
            if key not in ("id", "words", "before", "type"):
                raise RuleError("R002", "rules/acled.yaml", None, f"civilian_status: unknown key '{key}'")
        if status.get("type") not in known_types:
            raise RuleError("R007", "rules/acled.yaml", None, f"civilian_status.type: unknown ACLED actor type {status.get('type')!r}")
        civilian_status = (status["id"], WordList.of(status["words"]), int(status["before"]), status["type"])
    return AcledRules(tuple(rules), role_types, (abroad["id"], abroad["from"], abroad["to"]), _load_names(data, known_types),
                      bare, target_role_types, civilian_status)


def _load_names(data: dict, known_types) -> ActorNames:
    spec = data["actor_names"]
    for key in spec:
        if key not in ("by_type", "by_role", "country_alone", "no_country", "country_names", "with_article"):
            raise RuleError("R002", "rules/acled.yaml", None, f"actor_names: unknown key '{key}'")
    for t in spec["by_type"]:
        if t not in known_types:
            raise RuleError("R007", "rules/acled.yaml", None, f"actor_names.by_type: unknown ACLED actor type {t!r}")
    iso3 = iso3_codes()
    countries = {}
    for it in read_jsonl(rules_dir() / "actors" / "countries.jsonl"):
        countries[it.data["iso3"]] = it.data["names"][0]
    for code, name in spec["country_names"].items():
        if code not in iso3:
            raise RuleError("R007", "rules/acled.yaml", None, f"actor_names.country_names: unknown ISO3 {code!r}")
        countries[code] = name
    templates = list(spec["by_type"].values()) + list(spec["by_role"].values()) + list(spec["country_alone"].values())
    no_country = {t: spec["no_country"].get(t, t.replace(" ({country})", "").replace(" of {the_country}", "")) for t in templates}
    return ActorNames(dict(spec["by_type"]), dict(spec["by_role"]), dict(spec["country_alone"]), no_country, countries,
                      frozenset(spec["with_article"]))


def _contains(norms: list[str], present: set[str], phrase: tuple[str, ...]) -> bool:
    if phrase[0] not in present:
        return False
    n = len(phrase)
    if n == 1:
        return True
    first = phrase[0]
    i = -1
    try:
        while True:
            i = norms.index(first, i + 1)  # the next occurrence of the first word (a C loop: documents are long)
            if tuple(norms[i:i + n]) == phrase:
                return True
    except ValueError:
        return False


class Words:
    """A text's tokens, with a set for membership and a memo of phrase look-ups: a document's words
    are built once and asked for every mention (building them per mention made long documents
    quadratic)."""

    def __init__(self, norms: list[str] | tuple[str, ...]):
        self.norms = norms
        self.present = frozenset(norms)
        self._memo: dict[tuple[str, ...], bool] = {}

    def contains(self, phrase: tuple[str, ...]) -> bool:
        hit = self._memo.get(phrase)
        if hit is None:
            hit = self._memo[phrase] = _contains(self.norms, self.present, phrase)
        return hit


def acled_type(
    code: str, norms: list[str], actor_type: str | None, target_type: str | None, rules: AcledRules,
    doc_words: Words | None = None,
) -> AcledRule | None:
    sentence_words = None
    for rule in rules.for_code(code):
        if rule.target_types and (target_type or NO_TYPE) not in rule.target_types:
            continue
        if rule.actor_types and (actor_type or NO_TYPE) not in rule.actor_types:
            continue
        if rule.document_scope and doc_words is not None:
            words = doc_words
        else:
            words = sentence_words = sentence_words or Words(norms)
        if rule.words and not rule.words.found_in(words):
            continue
        if rule.and_words and not rule.and_words.found_in(words):
            continue
        if rule.not_words and rule.not_words.found_in(words):
            continue
        return rule
    return None
