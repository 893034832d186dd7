"""Discards: sport, entertainment and metaphor contexts in which action rules do not fire
(``rules/discards.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import compress

from ..rulebook import check_keys, check_unique_ids, read_yaml_items, rules_dir
from ..text import normalise_phrase


@dataclass(frozen=True)
class Discard:
    id: str
    keep_roots: frozenset[str]  # CAMEO roots that stay events in this context ("jailed ... for playing football")

    def keeps(self, code: str) -> bool:
        return code[:2] in self.keep_roots


@dataclass(frozen=True)
class Discards:
    by_first: dict[str, tuple[tuple[tuple[str, ...], Discard], ...]]

    def match(self, norms: list[str]) -> Discard | None:
        """The first discard rule whose phrase occurs in the sentence, else None."""
        by_first = self.by_first
        # the tokens that start a phrase, picked by C-level iterators (few sentences have one)
        for i in compress(range(len(norms)), map(by_first.__contains__, norms)):
            for phrase, rule in by_first[norms[i]]:
                if tuple(norms[i:i + len(phrase)]) == phrase:
                    return rule
        return None


def load_discards() -> Discards:
    items = read_yaml_items(rules_dir() / "discards.yaml")
    check_unique_ids(items)
    by_first: dict[str, list] = {}
    for it in items:
        check_keys(it, ["id", "phrases"], ["note", "keep_roots"])
        rule = Discard(it.data["id"], frozenset(it.data.get("keep_roots") or ()))
        for p in it.data["phrases"]:
            norms = normalise_phrase(p)
            by_first.setdefault(norms[0], []).append((norms, rule))
    return Discards({k: tuple(v) for k, v in by_first.items()})
