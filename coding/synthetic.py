"""Synthetic news corpora for benchmarks: realistic article-shaped JSONL built from the project's
own dictionaries (countries, leaders, agents, towns) and sentence templates, deterministic for a
seed. The text is not meant to be true, only shaped like wire copy: datelines, attributions,
reported speech, several events per article and filler sentences without events."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

from .rulebook import read_jsonl, rules_dir

_EVENTS = [
    "{a} forces shelled positions held by {b} troops near {town} on {day}, killing {n} soldiers, officials said.",
    "{leader} met {other} in {town} on {day} to discuss a ceasefire, according to a statement from the presidency.",
    "Police in {town} arrested {n} protesters who had blocked a main road to demand higher wages.",
    "{a} said on {day} it would send humanitarian aid to {b} after floods displaced thousands of people.",
    "Thousands of people demonstrated in {town} on {day} against rising fuel prices, local media reported.",
    "Gunmen attacked a village near {town} overnight, killing {n} civilians and burning houses, residents said.",
    "The {adj} foreign ministry condemned the air strike on {town} and summoned the {adj2} ambassador.",
    "{leader} accused {b} of violating the truce and threatened to retaliate if the attacks continued.",
    "{a} and {b} signed an agreement on {day} to expand trade and cooperation on energy.",
    "A roadside bomb exploded near {town} on {day}, wounding {n} police officers, the interior ministry said.",
    "{adj} warplanes struck rebel positions in {town}, a military spokesman said on {day}.",
    "The United Nations called on {a} and {b} to exercise restraint and return to negotiations.",
    "{leader} rejected calls by the opposition to resign and said elections would be held as planned.",
    "{adj} troops withdrew from {town} on {day} under the terms of the peace deal.",
    "Rioters set fire to shops in {town} after a disputed election result was announced on {day}.",
]
_FILLER = [
    "The region has seen repeated violence since the start of the year.",
    "Analysts said the talks were unlikely to produce a breakthrough soon.",
    "Markets were calm and schools reopened after a week-long closure.",
    "The report could not be independently verified.",
    "Officials gave no further details.",
    "The weather service forecast heavy rain for the rest of the week.",
    "Local businesses said trade had slowed sharply over the past month.",
]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _vocabulary() -> dict[str, list]:
    countries = [it.data for it in read_jsonl(rules_dir() / "actors" / "countries.jsonl")
                 if it.data.get("adjectives") and it.data.get("capital")]
    people = [it.data for it in read_jsonl(rules_dir() / "actors" / "people.jsonl")
              if any(r.get("end") in (None, "null") for r in it.data["roles"])]
    return {"countries": countries, "people": people}


def article(rng: random.Random, vocab: dict[str, list], i: int, start: dt.date) -> dict:
    c1, c2 = rng.sample(vocab["countries"], 2)
    p1, p2 = rng.sample(vocab["people"], 2)
    town = c1["capital"]
    day = start + dt.timedelta(days=rng.randrange(365))
    fields = {
        "a": c1["names"][0], "b": c2["names"][0], "adj": c1["adjectives"][0], "adj2": c2["adjectives"][0],
        "leader": p1["names"][0], "other": p2["names"][0], "town": town, "n": rng.randint(2, 40),
        "day": _DAYS[(day.weekday() - rng.randint(1, 3)) % 7],
    }
    body = [f"{town.upper()}, {day:%B} {day.day} - " + rng.choice(_EVENTS).format(**fields)]
    for _ in range(rng.randint(4, 14)):
        body.append(rng.choice(_EVENTS if rng.random() < 0.5 else _FILLER).format(**fields))
    return {"doc_id": f"synth-{i:07d}", "text": " ".join(body), "publication_date": day.isoformat(),
            "source": "synthetic", "url": None, "title": f"{c1['names'][0]} and {c2['names'][0]}"}


def write_corpus(path: Path, n_articles: int, seed: int = 20261127) -> Path:
    """Write ``n_articles`` synthetic articles as JSONL (one document a line)."""
    rng = random.Random(seed)
    vocab = _vocabulary()
    start = dt.date(2024, 1, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for i in range(n_articles):
            f.write(json.dumps(article(rng, vocab, i, start), ensure_ascii=False) + "\n")
    return path
