"""The golden file: realistic sentences with the events they must (and must not) yield.

Each line of ``golden/sentences.jsonl``: ``id``, ``text``, optional ``date`` (publication date,
default 2025-06-19), ``expect`` (each must be matched by some mention), ``forbid`` (none may be
matched), and a ``comment`` saying what the case exercises. In a pattern, ``a|b`` are
alternatives, ``*`` is a wildcard; ``actor``/``target`` match the actor code, ``root`` the CAMEO
root, ``code`` the full CAMEO code, and ``modality`` defaults to ``asserted`` in ``expect``.
"""

import datetime as dt
import fnmatch
import json

import pytest

from conftest import ROOT

CASES = [json.loads(line) for line in (ROOT / "tests" / "golden" / "sentences.jsonl").read_text().splitlines() if line.strip()]


def _alt(pattern, value) -> bool:
    if pattern is None:
        return value is None
    return value is not None and any(fnmatch.fnmatchcase(str(value), p) for p in str(pattern).split("|"))


def matches(m, spec: dict, default_modality: str | None) -> bool:
    checks = {
        "actor": m.actor_code, "target": m.target_code, "root": m.cameo_root, "code": m.cameo_code, "modality": m.modality,
        "location_country": m.location_country,
    }
    for key, value in checks.items():
        if key in spec and not _alt(spec[key], value):
            return False
    if "modality" not in spec and default_modality and m.modality != default_modality:
        return False
    if "date" in spec and (m.event_date is None or m.event_date.isoformat() != spec["date"]):
        return False
    if "fatalities" in spec and m.fatalities != spec["fatalities"]:
        return False
    return True


def test_golden_file_is_big_enough():
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_golden(case, code_text):
    date = dt.date.fromisoformat(case.get("date", "2025-06-19"))
    mentions = code_text(case["text"], date)
    got = [(m.actor_code, m.cameo_code, m.target_code, m.modality, str(m.event_date)) for m in mentions]
    for spec in case.get("expect", []):
        assert any(matches(m, spec, "asserted") for m in mentions), f"{case['comment']}: missing {spec}; got {got}"
    for spec in case.get("forbid", []):
        assert not any(matches(m, spec, None) for m in mentions), f"{case['comment']}: forbidden {spec}; got {got}"
