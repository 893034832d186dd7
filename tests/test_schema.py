"""Each schema constraint has a failing frame, asserted through failure cases (not message text)."""

import datetime as dt

import pandas as pd
import pytest

from schemas.dataset import validate_frames


@pytest.fixture(scope="module")
def dataset(coders):
    from coding.frame import acled_events_frame, documents_frame, events_frame, mentions_frame
    from coding.pipeline import code_document
    from coding.records import Document

    text = "Israeli forces shelled Gaza on Monday, killing 12 people. Iran condemned Israel."
    coded = code_document(Document("d1", text, "x.txt", publication_date=dt.date(2025, 6, 19)), coders)
    assert coded.mentions
    m = mentions_frame(list(coded.mentions))
    e = events_frame(m)
    return {"mentions": m, "events": e, "acled_events": acled_events_frame(e), "documents": documents_frame([coded])}


def failing(frames):
    _, report = validate_frames(frames)
    return {(f.table, f.check) for f in report.failures}, report


def test_built_frames_are_valid(dataset):
    checks, report = failing(dataset)
    assert report.ok, checks


def test_unknown_cameo_code_rejected(dataset):
    m = dataset["mentions"].copy()
    m.loc[0, "cameo_code"] = "999"
    checks, report = failing({**dataset, "mentions": m})
    assert ("mentions", "cameo_code_in_codebook") in checks
    assert any(f.index == 0 and f.value == "999" for f in report.failures if f.check == "cameo_code_in_codebook")


def test_goldstein_must_agree_with_code(dataset):
    m = dataset["mentions"].copy()
    m.loc[0, "goldstein"] = 5.0
    checks, report = failing({**dataset, "mentions": m})
    assert ("mentions", "code_root_label_quad_goldstein_agree") in checks
    assert {f.index for f in report.failures if f.check == "code_root_label_quad_goldstein_agree"} == {0}


def test_duplicate_event_id_rejected(dataset):
    e = pd.concat([dataset["events"], dataset["events"].iloc[[0]]], ignore_index=True)
    checks, report = failing({**dataset, "events": e})
    assert ("events", "field_uniqueness") in checks or any("unique" in c for _, c in checks)
    rows = {f.index for f in report.failures if f.table == "events"}
    assert len(e) - 1 in rows


def test_bad_iso3_rejected(dataset):
    m = dataset["mentions"].copy()
    m.loc[0, "actor_country"] = "XXX"
    checks, _ = failing({**dataset, "mentions": m})
    assert ("mentions", "iso3_country") in checks


def test_invalid_acled_pair_rejected(dataset):
    m = dataset["mentions"].copy()
    m.loc[0, ["acled_event_type", "acled_sub_event_type", "disorder_type"]] = ["Protests", "Armed clash", "Demonstrations"]
    checks, _ = failing({**dataset, "mentions": m})
    assert ("mentions", "acled_type_pair_valid") in checks


def test_latitude_without_longitude_rejected(dataset):
    m = dataset["mentions"].copy()
    m.loc[0, "latitude"] = 10.0
    m.loc[0, "longitude"] = float("nan")
    checks, _ = failing({**dataset, "mentions": m})
    assert ("mentions", "latitude_longitude_together") in checks


def test_latitude_range(dataset):
    m = dataset["mentions"].copy()
    m.loc[0, ["latitude", "longitude"]] = [123.0, 10.0]
    checks, _ = failing({**dataset, "mentions": m})
    assert any(t == "mentions" and "less_than_or_equal_to" in c for t, c in checks)


def test_event_id_only_for_asserted(dataset):
    m = dataset["mentions"].copy()
    m.loc[0, "modality"] = "negated"
    checks, _ = failing({**dataset, "mentions": m})
    assert ("mentions", "event_id_iff_asserted") in checks


def test_foreign_keys(dataset):
    m = dataset["mentions"].copy()
    m.loc[0, "doc_id"] = "nowhere"
    checks, _ = failing({**dataset, "mentions": m})
    assert ("mentions", "doc_id_in_documents") in checks


def test_implausible_date(dataset):
    m = dataset["mentions"].copy()
    m.loc[0, "event_date"] = dt.date(1066, 10, 14)
    checks, _ = failing({**dataset, "mentions": m})
    assert ("mentions", "plausible_date") in checks


def test_acled_events_need_a_valid_type_and_a_unique_id(dataset):
    a = dataset["acled_events"]
    assert len(a) >= 1
    bad = a.copy()
    bad.loc[0, "acled_sub_event_type"] = "Peaceful protest"
    checks, _ = failing({**dataset, "acled_events": bad})
    assert ("acled_events", "acled_type_pair_valid") in checks
    twice = pd.concat([a, a.iloc[[0]]], ignore_index=True)
    checks, report = failing({**dataset, "acled_events": twice})
    assert ("acled_events", "field_uniqueness") in checks
    assert len(twice) - 1 in {f.index for f in report.failures if f.table == "acled_events"}


def test_every_acled_event_accounts_for_its_events(dataset):
    e = dataset["events"].copy()
    e.loc[e["acled_event_id"].notna().idxmax(), "acled_event_id"] = "a" + "0" * 20
    checks, _ = failing({**dataset, "events": e})
    assert ("events", "acled_event_id_in_acled_events") in checks
    assert ("acled_events", "num_events_matches_events") in checks
