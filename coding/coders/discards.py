"""Discards: sport, entertainment and metaphor contexts in which action rules do not fire
(``rules/discards.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass

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
        for i, w in enumerate(norms):
            for phrase, rule in self.by_first.get(w, ()):
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
