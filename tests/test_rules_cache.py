"""The compiled-rules cache: keyed by the rules' hash, rebuilt when unreadable, switchable off."""

from coding.rules_cache import cache_key, load_coders_cached


def test_cache_round_trip_and_corruption(tmp_path, monkeypatch):
    monkeypatch.setenv("CAMEO_ACLED_CACHE", str(tmp_path))
    first = load_coders_cached()
    (cached,) = tmp_path.glob("coders-*.pickle")
    assert cache_key() in cached.name
    second = load_coders_cached()
    assert second.rules_sha256 == first.rules_sha256
    assert second.actions.rules == first.actions.rules
    cached.write_bytes(b"not a pickle")
    third = load_coders_cached()
    assert third.rules_sha256 == first.rules_sha256
    assert cached.read_bytes() != b"not a pickle"


def test_cache_off(tmp_path, monkeypatch):
    monkeypatch.setenv("CAMEO_ACLED_CACHE", "off")
    load_coders_cached()
    assert not list(tmp_path.iterdir())
