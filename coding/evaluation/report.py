"""Run the evaluation and write what it found: scorecard.json, confusion matrices (CSV), and
errors.csv with the most frequent kinds of miss per field, so the next rule to write is obvious."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..pipeline import Coders, code_document
from .gold import ACLED, CAMEO, FIVE_CLASS, PLOVER, GoldSet
from .metrics import NONE, SCORERS, Outcome, accuracy, coverage, macro_f1

FIELDS = {
    ACLED: ["event_type", "sub_event_type", "event_date", "fatalities", "country", "location", "actor1_type",
            "actor1_name"],
    CAMEO: ["root", "root_any", "base_any", "code_any"],
    PLOVER: ["source_country", "target_country", "dyad_any"],
    FIVE_CLASS: ["class", "source_span", "target_span"],
}
F1_FIELDS = {ACLED: "event_type", FIVE_CLASS: "class"}
CONFUSION_FIELDS = {ACLED: "event_type", CAMEO: "root", FIVE_CLASS: "class"}


@dataclass(frozen=True)
class SetResult:
    gold: GoldSet
    outcomes: tuple[Outcome, ...]
    scores: dict


def evaluate_set(gold: GoldSet, coders: Coders) -> SetResult:
    results = []
    outcomes: list[Outcome] = []
    scorer = SCORERS[gold.kind]
    for item in gold.items:
        mentions = code_document(item.doc, coders).mentions
        results.append((item, mentions))
        outcomes.extend(scorer(item, mentions))
    scores: dict = {"kind": gold.kind, "file": gold.path, "documents": len(gold.items),
                    "coverage": round(coverage(results), 4)}
    for field in FIELDS[gold.kind]:
        value, n = accuracy(outcomes, field)
        scores[field] = None if value is None else round(value, 4)
        scores[f"{field}_n"] = n
    if gold.kind in F1_FIELDS:
        f1 = macro_f1(outcomes, F1_FIELDS[gold.kind])
        scores[f"{F1_FIELDS[gold.kind]}_macro_f1"] = None if f1 is None else round(f1, 4)
    return SetResult(gold, tuple(outcomes), scores)


def confusion(result: SetResult) -> pd.DataFrame | None:
    field = CONFUSION_FIELDS.get(result.gold.kind)
    if field is None:
        return None
    rows = [o for o in result.outcomes if o.field == field]
    frame = pd.DataFrame({"gold": [str(o.gold) for o in rows],
                          "predicted": [NONE if o.predicted is None else str(o.predicted) for o in rows]})
    table = pd.crosstab(frame["gold"], frame["predicted"])
    return table.sort_index().reindex(sorted(table.columns), axis=1)


def errors(result: SetResult, per_field: int) -> pd.DataFrame:
    """Up to ``per_field`` misses per field, most frequent (gold, predicted) confusions first."""
    texts = {i.doc.doc_id: i.doc.text for i in result.gold.items}
    rows = []
    for field in FIELDS[result.gold.kind]:
        misses = [o for o in result.outcomes if o.field == field and o.correct is False]
        freq = Counter((str(o.gold), str(o.predicted)) for o in misses)
        misses.sort(key=lambda o: (-freq[(str(o.gold), str(o.predicted))], o.doc_id))
        for o in misses[:per_field]:
            rows.append({"set": result.gold.name, "field": field, "doc_id": o.doc_id, "text": texts[o.doc_id],
                         "gold": o.gold, "predicted": o.predicted, "distance_km": o.distance,
                         "same_miss_count": freq[(str(o.gold), str(o.predicted))], "rule_ids": o.rule_ids})
    return pd.DataFrame(rows, columns=["set", "field", "doc_id", "text", "gold", "predicted", "distance_km",
                                       "same_miss_count", "rule_ids"])


def write_reports(results: list[SetResult], out: Path, per_field: int, provenance: dict) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    card = {**provenance, "sets": {r.gold.name: r.scores for r in results}}
    (out / "scorecard.json").write_text(json.dumps(card, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    for r in results:
        table = confusion(r)
        if table is not None:
            table.to_csv(out / f"confusion_{r.gold.name}.csv")
    frames = [errors(r, per_field) for r in results]
    pd.concat(frames, ignore_index=True).to_csv(out / "errors.csv", index=False, lineterminator="\n")
    return card
