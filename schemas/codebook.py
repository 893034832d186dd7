"""The coding standards' reference tables (CAMEO event codes, ACLED types), loaded on first use."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import pycountry

# A CAMEO actor code: three-letter segments (country, role, group: "RUSGOV", "SOMINSSHB").
ACTOR_CODE_RE = r"^(?:[A-Z]{3})+$"

# ISO 3166 user-assigned code in common use for Kosovo (not in ISO 3166-1 proper).
EXTRA_ISO3 = frozenset({"XKX"})


@dataclass(frozen=True)
class CameoCode:
    code: str
    level: int
    root: str
    base: str
    name: str
    goldstein: float
    quad_class: int


@dataclass(frozen=True)
class AcledType:
    disorder_type: str
    event_type: str
    sub_event_type: str
    event_type_rank: int
    sub_event_rank: int


def _rows(name: str) -> list[dict[str, str]]:
    path = resources.files("schemas").joinpath("reference", name)
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@lru_cache(maxsize=1)
def cameo_codes() -> dict[str, CameoCode]:
    """Every CAMEO event code (strings such as ``"039"``) with name, Goldstein value and QuadClass."""
    return {
        r["code"]: CameoCode(
            code=r["code"],
            level=int(r["level"]),
            root=r["root"],
            base=r["base"],
            name=r["name"],
            goldstein=float(r["goldstein"]),
            quad_class=int(r["quad_class"]),
        )
        for r in _rows("cameo_event_codes.csv")
    }


@lru_cache(maxsize=1)
def acled_types() -> dict[tuple[str, str], AcledType]:
    """ACLED (event_type, sub_event_type) pairs with disorder type and precedence ranks."""
    return {
        (r["event_type"], r["sub_event_type"]): AcledType(
            disorder_type=r["disorder_type"],
            event_type=r["event_type"],
            sub_event_type=r["sub_event_type"],
            event_type_rank=int(r["event_type_rank"]),
            sub_event_rank=int(r["sub_event_rank"]),
        )
        for r in _rows("acled_event_types.csv")
    }


@lru_cache(maxsize=1)
def acled_actor_types() -> dict[str, int]:
    """ACLED actor type label -> inter code (1-8)."""
    return {r["actor_type"]: int(r["inter_code"]) for r in _rows("acled_actor_types.csv")}


@lru_cache(maxsize=1)
def iso3_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-3 codes (pycountry) plus the user-assigned codes in common use."""
    return frozenset(c.alpha_3 for c in pycountry.countries) | EXTRA_ISO3
