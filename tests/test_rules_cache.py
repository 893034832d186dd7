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


def test_writing_a_cache_file_keeps_only_the_most_recently_used(tmp_path, monkeypatch):
    """Every edit of the rules or the coder compiles a new file; old ones do not pile up."""
    import os

    from coding import rules_cache

    monkeypatch.setenv("CAMEO_ACLED_CACHE", str(tmp_path))
    for i in range(6):  # files of earlier versions, the oldest first; version 4 was used lately
        old = tmp_path / f"coders-old{i}.pickle"
        old.write_bytes(b"x")
        os.utime(old, (1_000 + i, 1_000 + i if i != 4 else 5_000))
    load_coders_cached()  # compiles (no file of this key) and writes its file
    kept = {p.name for p in tmp_path.glob("coders-*.pickle")}
    assert kept == {f"coders-{cache_key()}.pickle", "coders-old4.pickle", "coders-old5.pickle", "coders-old3.pickle"}
    assert rules_cache.KEEP == 4


def test_regular_expressions_are_stored_compiled():
    """Patterns are pickled with their compiled code (no compiling on load) and come back equal: same
    text, flags, groups and code; a pattern whose code cannot be rebuilt is pickled by its text."""
    import io
    import pickle
    import re

    from coding import rules_cache

    patterns = [re.compile(r"(?i)\b(?P<n>\d+)\s+(?:killed|dead)\b"), re.compile(rb"a(b)?c", re.M),
                re.compile(r"(?x) x  # comment"), re.compile("|".join(f"w{i}" for i in range(500)))]
    buf = io.BytesIO()
    rules_cache._dump(patterns, buf)
    loaded = pickle.loads(buf.getvalue())
    for before, after in zip(patterns, loaded):
        assert rules_cache._pattern_reduce(before)[0] is rules_cache._compiled_pattern
        assert after == before and after.groupindex == before.groupindex and after.groups == before.groups
    assert loaded[0].search("x 12 Killed y").group("n") == "12"


def test_a_pattern_whose_code_differs_is_pickled_by_its_text(monkeypatch):
    import re

    from coding import rules_cache

    monkeypatch.setattr(rules_cache, "_compiled_pattern", lambda *args: None)  # never equal
    assert rules_cache._pattern_reduce(re.compile("a+", re.I)) == (re._compile, ("a+", re.I | re.U))
