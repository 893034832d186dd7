"""ACLED merging (coding/merge.py, rules/merge.yaml): events with the same actors, place and day are one
ACLED event, with the highest-precedence type and the fatalities counted once."""

import datetime as dt

import pandas as pd
import pytest

DAY = dt.date(2024, 5, 3)


def _event(event_id, event_type, sub_event_type, disorder, actor="Military Forces of Nigeria",
           target="Unidentified Armed Group (Nigeria)", date=DAY, lat=11.85, lon=13.16, fatalities=None,
           rule="act.190.x"):
    return {"event_id": event_id, "event_date": date, "date_precision": 1 if date else None,
            "actor_code": "NGAMIL", "actor_type": "State forces", "actor_acled": actor,
            "target_code": "NGAUAF", "target_type": "Political militia", "target_acled": target,
            "acled_event_type": event_type, "acled_sub_event_type": sub_event_type, "disorder_type": disorder,
            "location_text": "Maiduguri", "location_country": "NGA", "admin1": "Borno", "latitude": lat,
            "longitude": lon, "geo_precision": 1, "fatalities": fatalities, "num_mentions": 1,
            "first_doc_id": "d1", "source_url": None, "rule_ids": rule, "coder_version": "0"}


PV = "Political violence"
CLASH = ("Battles", "Armed clash", PV)
SHELL = ("Explosions/Remote violence", "Shelling/artillery/missile attack", PV)
VAC = ("Violence against civilians", "Attack", PV)


def _merge(rows):
    from coding.frame import acled_events_frame
    from coding.merge import acled_event_ids

    events = pd.DataFrame(rows)
    events["fatalities"] = events["fatalities"].astype("Int64")
    events["num_mentions"] = events["num_mentions"].astype("Int64")
    events["acled_event_id"] = acled_event_ids(events)
    return events, acled_events_frame(events)


@pytest.mark.parametrize("second, merged", [
    ({}, True),  # same actors, place, day
    ({"actor": "Unidentified Armed Group (Nigeria)", "target": "Military Forces of Nigeria"}, True),  # the pair is a set
    ({"date": dt.date(2024, 5, 4)}, False),  # another day
    ({"lat": 12.0}, False),  # another place
    ({"target": "Civilians (Nigeria)"}, False),  # other actors
    ({"date": None}, False),  # an undated event is never merged
], ids=["same", "reversed_actors", "other_day", "other_place", "other_actors", "undated"])
def test_merge_key(second, merged):
    first = _event("e1", *CLASH, date=None if second.get("date", DAY) is None else DAY)
    _, acled = _merge([first, _event("e2", *SHELL, **second)])
    assert len(acled) == (1 if merged else 2)


def test_merged_row_has_the_highest_precedence_type_and_the_toll_counted_once():
    events, acled = _merge([_event("e1", *VAC, fatalities=3, rule="act.190.a"),
                            _event("e2", *SHELL, fatalities=5, rule="act.194.b"),
                            _event("e3", *VAC, fatalities=2)])
    assert len(acled) == 1
    row = acled.iloc[0]
    assert (row["acled_event_type"], row["acled_sub_event_type"]) == SHELL[:2]  # rank 4 before rank 5
    assert row["fatalities"] == 5  # the largest toll, not 10
    assert row["num_events"] == 3 and row["num_mentions"] == 3 and row["event_ids"] == "e1;e2;e3"
    assert set(row["rule_ids"].split(";")) == {"act.190.a", "act.194.b", "act.190.x", "merge.acled.same_actors_place_day"}
    assert events["acled_event_id"].nunique() == 1 and events["acled_event_id"].iloc[0] == row["acled_event_id"]


def test_battles_outrank_explosions_and_a_single_event_names_no_merge_rule():
    _, acled = _merge([_event("e1", *SHELL), _event("e2", *CLASH), _event("e3", *VAC, lat=1.0)])
    by_events = acled.set_index("event_ids")
    assert by_events.loc["e1;e2", "acled_event_type"] == "Battles"
    assert "merge.acled" not in by_events.loc["e3", "rule_ids"]


def test_events_without_an_acled_type_are_not_merged():
    events, acled = _merge([_event("e1", None, None, None), _event("e2", *CLASH)])
    assert events["acled_event_id"].isna().tolist() == [True, False]
    assert acled["event_ids"].tolist() == ["e2"]


def test_reports_of_one_event_in_two_documents_are_one_acled_event(coders, tmp_path):
    """Two invented reports of one clash: the events of both documents merge, the toll is the larger one."""
    from coding.build import Settings, build

    (tmp_path / "in").mkdir()
    pd.DataFrame([
        {"doc_id": "a", "publication_date": "2024-05-05",
         "text": "On 3 May 2024, Nigerian soldiers clashed with gunmen in Maiduguri. Two soldiers were killed."},
        {"doc_id": "b", "publication_date": "2024-05-05",
         "text": "Gunmen attacked Nigerian soldiers in Maiduguri on 3 May 2024. Five of the attackers were killed."},
    ]).to_json(tmp_path / "in" / "reports.jsonl", orient="records", lines=True)
    result = build(Settings((tmp_path / "in",), tmp_path / "out", workers=1), coders)
    assert result.written, result.report.failures[:3]
    events = pd.read_parquet(tmp_path / "out" / "events.parquet")
    acled = pd.read_parquet(tmp_path / "out" / "acled_events.parquet")
    # a's clash (soldiers -> gunmen, 2 dead) and the gunmen's attack (gunmen -> soldiers: a's killing and b's
    # attack, already one event, 5 dead in b) are one ACLED event with 5 fatalities, not 7
    row = acled.loc[acled["num_events"].idxmax()]
    assert row["num_events"] == 2 and row["fatalities"] == 5 and row["location_country"] == "NGA"
    assert row["acled_event_type"] == "Battles" and "merge.acled.same_actors_place_day" in row["rule_ids"]
    merged = events[events["acled_event_id"] == row["acled_event_id"]]
    assert merged["num_articles"].max() == 2 and sorted(merged["event_id"]) == row["event_ids"].split(";")
    assert result.counts["acled_events"] == len(acled)


def test_merge_rules_are_validated(tmp_path, monkeypatch):
    import coding.merge as merge
    from coding.rulebook import RuleError

    (tmp_path / "merge.yaml").write_text("id: merge.x\nactors: sideways\nplace_decimals: '3'\n", encoding="utf-8")
    monkeypatch.setattr(merge, "rules_dir", lambda: tmp_path)
    with pytest.raises(RuleError, match=r"R007.*actors"):
        merge.load_merge_rules()
    (tmp_path / "merge.yaml").write_text("id: merge.x\nactors: ordered\nplace_decimals: '3'\nextra: 1\n", encoding="utf-8")
    with pytest.raises(RuleError, match="R002"):
        merge.load_merge_rules()
