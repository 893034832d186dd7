"""ACLED merging: events with the same actors, place and day are one ACLED event.

``events`` (one row per distinct CAMEO-level event: date, source, code, target, place) can hold
several rows for what ACLED codes as one event: "troops shelled the village and killed three
civilians" is a 194 and a 190 of the same actors at the same place on the same day. Each event with
an ACLED type gets an ``acled_event_id``, a hash of its merge key (date, actor pair, place; the
choices are data in ``rules/merge.yaml``), and ``acled_events`` has one row per merge key: the type,
actors and place of the highest-precedence event (ACLED's ranks, ``schemas/reference/
acled_event_types.csv``), the largest toll of the merged events (counted once, never summed) and the
ids of the merged events and of every rule that fired, so each row can be explained.

The key depends only on the event's own columns, not on which document it came from: the same
event reported by two articles merges too. ``build`` streams the events into buckets by
``acled_event_id`` (coding/spool.py) and builds the rows bucket by bucket, so memory stays flat.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from .rulebook import Item, check_keys, read_yaml, rules_dir
from schemas.codebook import acled_types

if TYPE_CHECKING:
    import pandas as pd
# pandas is imported where a frame is merged, not with this module: the coding pipeline imports it for
# MergeRules alone, and a pandas import (~0.25 s) would slow every `coding code` and worker start-up


@dataclass(frozen=True)
class MergeRules:
    id: str
    unordered_actors: bool
    place_decimals: int


def load_merge_rules() -> MergeRules:
    path = rules_dir() / "merge.yaml"
    data, _ = read_yaml(path)
    item = Item(data if isinstance(data, dict) else {}, "rules/merge.yaml", 1)
    check_keys(item, ["id", "actors", "place_decimals"])
    if data["actors"] not in ("ordered", "unordered"):
        raise item.error("R007", f"'actors' must be ordered or unordered, not {data['actors']!r}")
    try:
        decimals = int(data["place_decimals"])
    except ValueError:
        decimals = -1
    if not 0 <= decimals <= 6:
        raise item.error("R007", f"'place_decimals' must be an integer from 0 to 6, not {data['place_decimals']!r}")
    return MergeRules(data["id"], data["actors"] == "unordered", decimals)


@lru_cache(maxsize=1)
def merge_rules() -> MergeRules:
    """The merge rules, read on first use (``load_coders`` reads them too, so a bad file stops loading)."""
    return load_merge_rules()


# the events columns an ACLED event is built from
ACLED_INPUTS = [
    "acled_event_id", "event_id", "event_date", "date_precision", "actor_code", "actor_type", "actor_acled",
    "target_code", "target_type", "target_acled", "acled_event_type", "acled_sub_event_type", "disorder_type",
    "location_text", "location_country", "admin1", "latitude", "longitude", "geo_precision", "fatalities",
    "num_mentions", "first_doc_id", "source_url", "rule_ids", "coder_version",
]

# taken from the highest-precedence event of a group
_TOP = ["actor_code", "actor_type", "actor_acled", "target_code", "target_type", "target_acled", "acled_event_type",
        "acled_sub_event_type", "disorder_type", "location_text", "location_country", "admin1", "latitude",
        "longitude", "first_doc_id", "source_url", "coder_version"]


def _digest(parts: tuple) -> str:
    h = hashlib.sha256("\x1f".join("" if p is None else str(p) for p in parts).encode("utf-8"))
    return "a" + h.hexdigest()[:20]


def _blank(v) -> bool:
    import pandas as pd  # (a value neither None nor a string comes from a frame: pandas is loaded)

    return v is None or (not isinstance(v, str) and bool(pd.isna(v)))


def merge_key(row: dict, rules: MergeRules) -> tuple | None:
    """The merge key of one event (a mapping of its columns): None without an ACLED type."""
    if _blank(row["acled_event_type"]):
        return None
    if _blank(row["event_date"]):
        return ("undated", row["event_id"])  # never merged
    actor = row["actor_code"] if _blank(row["actor_acled"]) else row["actor_acled"]
    target = row["target_acled"] if not _blank(row["target_acled"]) else row["target_code"]
    target = "" if _blank(target) else target
    actors = tuple(sorted((actor, target))) if rules.unordered_actors else (actor, target)
    country = "" if _blank(row["location_country"]) else row["location_country"]
    if not _blank(row["latitude"]):
        place = (country, f"{row['latitude']:.{rules.place_decimals}f}", f"{row['longitude']:.{rules.place_decimals}f}")
    else:
        place = (country, "" if _blank(row["location_text"]) else str(row["location_text"]).lower(), "")
    return (row["event_date"].isoformat(), *actors, *place)


def acled_event_ids(events: pd.DataFrame, rules: MergeRules | None = None) -> pd.Series:
    """The ``acled_event_id`` of each event (null for events without an ACLED type)."""
    import pandas as pd

    rules = rules or merge_rules()
    cols = ["event_id", "event_date", "actor_code", "actor_acled", "target_code", "target_acled", "acled_event_type",
            "location_country", "location_text", "latitude", "longitude"]
    ids = []
    for values in zip(*(events[c].tolist() for c in cols)):
        key = merge_key(dict(zip(cols, values)), rules)
        ids.append(None if key is None else _digest(key))
    return pd.Series(ids, index=events.index, dtype=object)


def _precedence(event_type, sub_event_type) -> tuple[int, int]:
    t = acled_types()[(event_type, sub_event_type)]
    return (t.event_type_rank, t.sub_event_rank)


def build_acled_events(events: pd.DataFrame, rules: MergeRules | None = None) -> pd.DataFrame:
    """One row per acled_event_id of ``events`` (which must hold every event of each id it holds)."""
    import pandas as pd

    rules = rules or merge_rules()
    out_cols = ["acled_event_id", "event_date", "date_precision", *_TOP, "geo_precision", "fatalities", "num_events",
                "num_mentions", "event_ids", "rule_ids"]
    merged = events[events["acled_event_id"].notna()]
    if merged.empty:
        return pd.DataFrame(columns=out_cols)
    rank = [_precedence(t, s) for t, s in zip(merged["acled_event_type"].tolist(), merged["acled_sub_event_type"].tolist())]
    ordered = merged.assign(_type_rank=[r[0] for r in rank], _sub_rank=[r[1] for r in rank],
                            _mentions=-merged["num_mentions"].astype("int64"))
    ordered = ordered.sort_values(["acled_event_id", "_type_rank", "_sub_rank", "_mentions", "event_id"], kind="mergesort")
    grouped = ordered.groupby("acled_event_id", sort=True)
    rows = ordered.drop_duplicates("acled_event_id", keep="first").set_index("acled_event_id")
    rows = rows[["event_date", *_TOP]].sort_index()
    rows["date_precision"] = grouped["date_precision"].min()
    rows["geo_precision"] = grouped["geo_precision"].min()
    rows["fatalities"] = grouped["fatalities"].max()  # counted once: the largest toll, never the sum
    rows["num_events"] = grouped.size()
    rows["num_mentions"] = grouped["num_mentions"].sum()
    event_ids: dict[str, list[str]] = {}
    rule_ids: dict[str, set[str]] = {}
    for aid, eid, rids in zip(ordered["acled_event_id"].tolist(), ordered["event_id"].tolist(), ordered["rule_ids"].tolist()):
        event_ids.setdefault(aid, []).append(eid)
        rule_ids.setdefault(aid, set()).update(rids.split(";"))
    for aid, eids in event_ids.items():
        if len(eids) > 1:
            rule_ids[aid].add(rules.id)
    rows["event_ids"] = pd.Series({k: ";".join(sorted(v)) for k, v in event_ids.items()}).reindex(rows.index)
    rows["rule_ids"] = pd.Series({k: ";".join(sorted(r for r in v if r)) for k, v in rule_ids.items()}).reindex(rows.index)
    return rows.reset_index()[out_cols]
