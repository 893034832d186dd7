"""Issue 7: never lose a document, never crash on input, never publish a broken dataset.

Each bad input is a small realistic file in tests/fixtures/bad_inputs/ (the big ones are made here at
run time); one build of that folder is checked row by row.
"""

import codecs
import datetime as dt
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
from click.testing import CliRunner

from coding.cli import main
from coding.decode import NotText, decode
from conftest import ROOT

BAD = ROOT / "tests" / "fixtures" / "bad_inputs"
SEED = (ROOT / "seeds" / "000_207b969bab2c243d.txt").read_text(encoding="utf-8")
BUILD_DATE = {"SOURCE_DATE_EPOCH": str(int(dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc).timestamp()))}


def run_build(*args, env=None):
    """The build command as a user runs it (loads the rules from the cache: about 2 s)."""
    return CliRunner().invoke(main, ["build", *map(str, args)], env=env)


def build_with(coders, *inputs, out, **settings):
    """The library build with the session's rules: for tests about the dataset, not the command."""
    from coding.build import Settings, build

    result = build(Settings(tuple(inputs), out, **settings), coders)
    assert result.written, (result.report.failures[:5], result.rejections)
    return pd.read_parquet(out / "documents.parquet").set_index("doc_id")


@pytest.fixture(scope="module")
def bad(tmp_path_factory):
    """(documents frame indexed by doc_id, manifest, CLI output) of one build of the bad inputs."""
    out = tmp_path_factory.mktemp("bad") / "out"
    result = run_build("--input", BAD, "--out", out, env=BUILD_DATE)
    assert result.exit_code == 0, result.output
    docs = pd.read_parquet(out / "documents.parquet").set_index("doc_id")
    return docs, json.loads((out / "manifest.json").read_text()), result.output, out


def row(bad, doc_id):
    return bad[0].loc[doc_id]


def test_every_input_is_accounted_for(bad):
    docs, manifest, _, _ = bad
    txt_files = [p for p in BAD.iterdir() if p.suffix in (".txt", ".html")]
    jsonl_lines = sum(1 for p in BAD.glob("*.jsonl") for line in p.read_text().splitlines() if line.strip())
    assert len(docs) == len(txt_files) + jsonl_lines
    assert manifest["inputs"] == manifest["rows"]["documents"] == len(docs)
    assert manifest["inputs"] == sum(manifest["documents_by_status"].values())
    assert set(manifest["documents_by_status"]) == {"coded", "no_events", "duplicate", "rejected"}
    assert docs.loc[docs["status"].isin(["rejected", "duplicate"]), "reason"].notna().all()


def test_build_prints_a_summary_and_the_rejections(bad):
    docs, manifest, output, _ = bad
    by = manifest["documents_by_status"]
    assert (f"documents: {manifest['inputs']} inputs = {by['coded']} coded + {by['no_events']} no_events + "
            f"{by['duplicate']} duplicate + {by['rejected']} rejected") in output
    assert f"rejected {BAD / 'broken_line.jsonl'}:2 (broken_line:2): unparseable JSON line" in output
    assert "Traceback" not in output


def test_built_dataset_validates(bad):
    result = CliRunner().invoke(main, ["validate", str(bad[3])])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("doc_id, reason", [
    ("empty", "empty text"),
    ("whitespace_only", "text is only whitespace"),
    ("photo_saved_as", "not text: PNG image"),
    ("archive_saved_as", "not text: ZIP archive"),
    ("invalid_utf8", "undecodable: invalid UTF-8 (byte 0xe2 at offset"),
    ("french", "not English: "),
    ("russian", "not English: 100% of the letters are not Latin"),
])
def test_bad_file_is_rejected_with_a_reason(bad, doc_id, reason):
    r = row(bad, doc_id)
    assert r["status"] == "rejected" and r["reason"].startswith(reason), r["reason"]
    assert r["n_mentions"] == 0 and pd.isna(r["input_line"])


@pytest.mark.parametrize("doc_id, note, root", [
    ("utf16_bom", "decoded as UTF-16 (byte-order mark)", "19"),  # shelled
    ("windows1252", "decoded as Windows-1252 (not valid UTF-8)", "17"),  # arrested
    ("news_page", "HTML: tags stripped", "19"),
    ("scraped_fragment", "HTML: tags stripped", "17"),
])
def test_readable_file_is_coded_with_a_note(bad, doc_id, note, root):
    r = row(bad, doc_id)
    assert r["status"] == "coded" and r["reason"] == note, r["reason"]
    mentions = pd.read_parquet(bad[3] / "mentions.parquet")
    assert root in set(mentions.loc[mentions["doc_id"] == doc_id, "cameo_root"])


def test_windows_1252_text_is_decoded_exactly(bad):
    mentions = pd.read_parquet(bad[3] / "mentions.parquet")
    text = " ".join(mentions.loc[mentions["doc_id"] == "windows1252", "sentence_text"])
    assert "café" in text


def test_html_page_loses_markup_scripts_and_menus(bad):
    r = row(bad, "news_page")
    assert r["title"] == "Russian forces shell Kharkiv | World News" and r["source"] == "World News"
    mentions = pd.read_parquet(bad[3] / "mentions.parquet")
    sentences = set(mentions.loc[mentions["doc_id"] == "news_page", "sentence_text"])
    assert "Ukraine’s foreign ministry condemned the attack & called for more air defence." in sentences
    assert not any(s in t for t in sentences for s in ("<", "gtag", "trackArticle", "Home", "Most read"))


def test_broken_jsonl_line_is_rejected_with_its_line_and_the_rest_coded(bad):
    r = row(bad, "broken_line:2")
    assert r["status"] == "rejected" and r["input_line"] == 2
    assert r["reason"].startswith("unparseable JSON line") and r["input_file"].endswith("broken_line.jsonl")
    assert row(bad, "wire-1")["status"] == "coded" and row(bad, "wire-3")["status"] == "coded"


def test_duplicates_policy(bad):
    first = BAD / "duplicates.jsonl"
    assert row(bad, "afp-100")["status"] == "coded"
    reused = row(bad, f"afp-100~{first}:2")  # same doc_id, different text: rejected, first kept
    assert reused["status"] == "rejected" and reused["reason"] == (
        f"doc_id 'afp-100' already used at {first}:1 for a different text (the first is kept)")
    copy = row(bad, "reuters-7")  # same text under another doc_id: a duplicate of the first
    assert copy["status"] == "duplicate" and copy["reason"] == f"duplicate of 'afp-100' ({first}:1): same text"
    assert copy["text_sha256"] == row(bad, "afp-100")["text_sha256"] and copy["source"] == "Reuters"
    again = row(bad, f"afp-100~{first}:4")  # same doc_id and same text: a duplicate too
    assert again["status"] == "duplicate"


@pytest.mark.parametrize("doc_id, note", [
    ("date-malformed", "publication_date '19/06/2025' is not an ISO date"),
    ("date-future", "publication_date 2090-06-19 is in the future (after 2026-01-03): coded undated"),
    ("date-ancient", "publication_date 1066-10-14 is outside 1900-2100: coded undated"),
    ("date-trailing", "publication_date '2025-06-19garbage' is not an ISO date"),
])
def test_unusable_publication_date_is_dropped_and_flagged(bad, doc_id, note):
    r = row(bad, doc_id)
    assert r["status"] == "coded" and r["reason"].startswith(note) and pd.isna(r["publication_date"])
    mentions = pd.read_parquet(bad[3] / "mentions.parquet")
    assert mentions.loc[mentions["doc_id"] == doc_id, "event_date"].isna().all()  # "on Monday" needs a date


def test_iso_datetime_with_offset_is_a_date(bad):
    r = row(bad, "date-ok")
    assert r["publication_date"] == dt.date(2025, 6, 19) and pd.isna(r["reason"])


def test_language_field_overrides_detection(coders, tmp_path):
    french = (BAD / "french.txt").read_text(encoding="utf-8")
    (tmp_path / "a.jsonl").write_text(
        json.dumps({"doc_id": "fr-as-en", "text": french, "language": "en"}) + "\n"
        + json.dumps({"doc_id": "en-as-fr", "text": "Iran condemned Israel on Monday.", "language": "fr"}) + "\n",
        encoding="utf-8")
    docs = build_with(coders, tmp_path / "a.jsonl", out=tmp_path / "out")
    assert docs.loc["fr-as-en", "status"] in ("coded", "no_events")
    assert docs.loc["en-as-fr", "reason"] == "not English: language field is 'fr' (the rules read English only)"


def test_csv_without_text_column_stops_the_build(tmp_path):
    out = tmp_path / "out"
    result = run_build("--input", ROOT / "tests" / "fixtures" / "bad_tables" / "no_text_column.csv", "--out", out)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "no_text_column.csv:1: CSV has no 'text' column (columns: doc_id, headline, body)" in result.output
    assert not out.exists()


def test_csv_rows_of_every_shape(coders, tmp_path):
    (tmp_path / "t.csv").write_bytes(
        'doc_id,text,source\r\n'
        'c1,"Turkey shelled Syria, officials said.\nThe army denied it.",AFP\r\n'
        'c2\r\n'
        f'c3,"{SEED * 60}",AFP\r\n'
        'c4,=HYPERLINK("http://x"),@evil\r\n'.encode("utf-8"))
    out = tmp_path / "out"
    docs = build_with(coders, tmp_path, out=out)
    assert docs.loc["c1", "status"] == "coded"
    assert docs.loc["c2", "reason"] == "CSV row has fewer fields than the header (no text)"
    assert docs.loc["c3", "status"] == "coded"  # a 140,000-character cell: over the csv module's default limit
    assert docs.loc["c4", "source"] == "@evil"
    assert "'@evil" in (out / "documents.csv").read_text(encoding="utf-8")


def test_fifty_megabyte_article_is_rejected_quickly(coders, tmp_path):
    article = tmp_path / "in" / "huge.txt"
    article.parent.mkdir()
    with article.open("w", encoding="utf-8") as fh:
        for _ in range(50 * 1024 * 1024 // len(SEED) + 1):
            fh.write(SEED + "\n")
    line = json.dumps({"doc_id": "huge-line", "text": SEED * 3000}) + "\n"
    (tmp_path / "in" / "huge.jsonl").write_text(line)
    started = time.perf_counter()
    docs = build_with(coders, tmp_path / "in", out=tmp_path / "out")
    assert time.perf_counter() - started < 60  # the file is not read; the line is read, not parsed
    assert docs.loc["huge", "reason"] == f"too large: {article.stat().st_size:,} bytes (--max-chars is 200,000 characters)"
    assert docs.loc["huge:1", "reason"] == f"too large: line of {len(line):,} bytes (--max-chars is 200,000 characters)"


def test_max_chars_is_an_option(tmp_path):
    (tmp_path / "a.jsonl").write_text(json.dumps({"doc_id": "long", "text": SEED * 3}) + "\n", encoding="utf-8")
    result = run_build("--input", tmp_path, "--out", tmp_path / "out", "--max-chars", 5000)
    assert result.exit_code == 0, result.output
    r = pd.read_parquet(tmp_path / "out" / "documents.parquet").iloc[0]
    assert r["reason"] == f"too large: {len(SEED) * 3:,} characters (--max-chars is 5,000)"


def test_ten_thousand_word_sentence_is_coded_in_bounded_time(coders):
    from coding.build import code_record
    from coding.records import Document

    rng = random.Random(7)
    words = "Iran Israel attacked Russian troops police arrested protesters in Nairobi on Monday the and said".split()
    times = {}
    for n in (2_500, 10_000):
        text = " ".join(rng.choice(words) for _ in range(n)) + "."
        started = time.perf_counter()
        coded = code_record(Document("long", text, "<test>", publication_date=dt.date(2025, 6, 19)), coders)
        times[n] = time.perf_counter() - started
        assert coded.status in ("coded", "no_events")
    assert times[10_000] < 30, times  # about 2 s here
    assert times[10_000] < 12 * times[2_500] + 1, times  # 4x the words: no quadratic blow-up


def test_decode_policy():
    assert decode("naïve".encode("utf-8")) == ("naïve", None)
    assert decode("naïve".encode("utf-8-sig")) == ("naïve", None)
    assert decode(codecs.BOM_UTF16_BE + "naïve".encode("utf-16-be")) == ("naïve", "decoded as UTF-16 (byte-order mark)")
    assert decode("naïve “quoted” €5".encode("cp1252"))[0] == "naïve “quoted” €5"
    for raw, reason in [(b"\x1f\x8b\x08\x00", "not text: gzip archive"), (b"%PDF-1.7\n", "not text: PDF document"),
                        (b"abc\x00def", "not text: binary data"), (b"caf\xc3\xa9 \x81", "undecodable: invalid UTF-8"),
                        (b"abc \x81 def", "undecodable: invalid UTF-8 (byte 0x81 at offset 4), and not Windows-1252")]:
        with pytest.raises(NotText, match=reason.replace("(", r"\(").replace(")", r"\)")):
            decode(raw)


def test_strict_fails_on_a_rejected_document_and_writes_nothing(coders, tmp_path):
    out = tmp_path / "out"
    build_with(coders, ROOT / "seeds", out=out, strict=True)  # nothing rejected: written
    before = (out / "documents.csv").read_bytes()
    (tmp_path / "in").mkdir()
    shutil.copy(BAD / "broken_line.jsonl", tmp_path / "in")
    result = run_build("--input", tmp_path / "in", "--out", out, "--strict")
    assert result.exit_code == 1
    assert "--strict: 1 document rejected; nothing was written" in result.output
    assert (out / "documents.csv").read_bytes() == before


def test_out_that_is_not_a_dataset_is_never_replaced(tmp_path):
    home = tmp_path / "thesis"
    home.mkdir()
    (home / "chapter1.docx").write_text("years of work")
    result = run_build("--input", ROOT / "seeds", "--out", home)
    assert result.exit_code == 1 and "is not a dataset (no manifest.json)" in result.output
    assert (home / "chapter1.docx").read_text() == "years of work"


def _corpus(folder, n_files, lines_per_file, rng=None, whole=False):
    """JSONL files of distinct documents (paragraphs of the seed article, or all of it, under a
    numbered lead), a txt and a csv."""
    folder.mkdir()
    paras = SEED.split("\n")
    for f in range(n_files):
        lines = [json.dumps({"doc_id": f"doc-{f}-{i}", "text": f"Report {f}-{i}.\n"
                             + (SEED if whole else f"{paras[(f + i) % 12]}\n{paras[(5 * f + 7 * i) % 12]}"),
                             "publication_date": "2025-06-19", "source": f"Source {i % 3}"}) for i in range(lines_per_file)]
        if rng is not None:
            rng.shuffle(lines)
        (folder / f"part-{f:02d}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "article.txt").write_text(SEED, encoding="utf-8")
    (folder / "article.json").write_text('{"publication_date": "2025-06-19"}', encoding="utf-8")
    (folder / "table.csv").write_text('doc_id,text\nt1,"=Iran condemned Israel on Monday."\n', encoding="utf-8")


def test_input_order_does_not_change_the_files(coders, tmp_path):
    _corpus(tmp_path / "a", 3, 12)
    _corpus(tmp_path / "b", 3, 12, rng=random.Random(3))  # the same documents, lines shuffled
    runs = {}
    files = sorted(p for p in (tmp_path / "a").iterdir() if p.suffix != ".json")
    for name, inputs in [("a", files), ("a_reversed", files[::-1]), ("b", [tmp_path / "b"])]:
        runs[name] = tmp_path / f"out_{name}"
        build_with(coders, *inputs, out=runs[name])
    for table in ("mentions", "events", "documents"):
        for kind in ("csv", "parquet"):
            assert (runs["a"] / f"{table}.{kind}").read_bytes() == (runs["a_reversed"] / f"{table}.{kind}").read_bytes()
    for table in ("mentions", "events"):  # shuffled lines: same bytes (rows are sorted by doc_id, not by line)
        for kind in ("csv", "parquet"):
            assert (runs["a"] / f"{table}.{kind}").read_bytes() == (runs["b"] / f"{table}.{kind}").read_bytes()
    a, b = (pd.read_csv(runs[k] / "documents.csv", dtype=str, keep_default_na=False) for k in ("a", "b"))
    assert len(a) == 38 and a["input_line"].ne(b["input_line"]).any()  # the line numbers differ, nothing else
    cols = [c for c in a.columns if c not in ("input_line", "input_file")]
    pd.testing.assert_frame_equal(a[cols], b[cols])


def _python():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return [sys.executable, "-m", "coding"], env


@pytest.mark.parametrize("when", ["coding", "writing"])
def test_killed_build_leaves_the_previous_dataset_intact(coders, tmp_path, when):
    out = tmp_path / "out"
    build_with(coders, ROOT / "seeds", out=out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    # about 9,000 sentences (several seconds of coding) to kill while coding; 1,500 to reach the writing
    _corpus(tmp_path / "big", 4 if when == "coding" else 2, 120 if when == "coding" else 40, whole=True)
    (tmp_path / "big" / "000_first.jsonl").write_text("{broken\n")  # read first: logged when coding starts
    cmd, env = _python()
    proc = subprocess.Popen([*cmd, "-v", "build", "--input", str(tmp_path / "big"), "--out", str(out)], env=env,
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        if when == "coding":  # a second after the first document was read
            while "rejected" not in (line := proc.stderr.readline()) and line:
                pass
            time.sleep(1)
        else:  # the moment the new dataset's temporary folder appears beside the old one
            deadline = time.monotonic() + 300
            while not list(tmp_path.glob(".out.new-*")) and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.002)
        assert proc.poll() is None, "the build finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    # the old dataset, byte for byte; or, if the kill landed after the swap, the complete new one
    assert after == before or (when == "writing" and json.loads(after["manifest.json"])["inputs"] == 2 * 40 + 3)
    validated = subprocess.run([*cmd, "validate", str(out)], env=env, cwd=ROOT, capture_output=True, text=True)
    assert validated.returncode == 0, validated.stderr
    # the next build removes what the killed one left behind
    build_with(coders, ROOT / "seeds", out=out)
    assert not list(tmp_path.glob(".out.*"))
