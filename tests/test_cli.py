"""The CLI as researchers use it: build, code, validate."""

import json
import shutil

import pandas as pd
import pytest
from click.testing import CliRunner

from coding.cli import main
from conftest import ROOT


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("ds") / "output"
    result = CliRunner().invoke(main, ["build", "--input", str(ROOT / "seeds"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_build_writes_every_table(built):
    for name in ("mentions", "events", "acled_events", "documents"):
        assert (built / f"{name}.parquet").exists() and (built / f"{name}.csv").exists()
    manifest = json.loads((built / "manifest.json").read_text())
    assert manifest["rows"]["documents"] == 1 and manifest["schema_version"]
    assert len(manifest["rules_sha256"]) == 64
    events = pd.read_parquet(built / "events.parquet")
    assert events["cameo_code"].map(type).eq(str).all()
    assert (events["num_mentions"] >= 1).all()


def test_validate_accepts_built_dataset(built):
    result = CliRunner().invoke(main, ["validate", str(built)])
    assert result.exit_code == 0, result.output


def test_validate_accepts_csv_tables(built, tmp_path):
    for name in ("mentions", "events", "acled_events", "documents"):
        shutil.copy(built / f"{name}.csv", tmp_path / f"{name}.csv")
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 0, result.output


def test_validate_names_failing_rows(built, tmp_path):
    for name in ("mentions", "events", "acled_events", "documents"):
        shutil.copy(built / f"{name}.parquet", tmp_path / f"{name}.parquet")
    m = pd.read_parquet(tmp_path / "mentions.parquet")
    m.loc[1, "cameo_code"] = "999"
    m.to_parquet(tmp_path / "mentions.parquet")
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    assert "cameo_code_in_codebook" in result.output and "row 1" in result.output


def test_build_twice_gives_identical_output(built, tmp_path):
    out = tmp_path / "again"
    assert CliRunner().invoke(main, ["build", "--input", str(ROOT / "seeds"), "--out", str(out)]).exit_code == 0
    for name in ("mentions", "events", "acled_events", "documents"):
        assert (built / f"{name}.csv").read_bytes() == (out / f"{name}.csv").read_bytes()
        pd.testing.assert_frame_equal(pd.read_parquet(built / f"{name}.parquet"), pd.read_parquet(out / f"{name}.parquet"))


def test_code_explain():
    result = CliRunner().invoke(main, ["code", "Kenyan police arrested 12 protesters in Nairobi on Monday.",
                                       "--date", "2025-06-19", "--explain"])
    assert result.exit_code == 0, result.output
    assert "KENCOP" in result.output and "tokens:" in result.output and "rules:" in result.output


def test_code_takes_a_text_longer_than_a_file_name():
    text = "Kenyan police arrested 12 protesters in Nairobi on Monday. " * 6  # over 255 bytes: no file name
    result = CliRunner().invoke(main, ["code", text, "--date", "2025-06-19"])
    assert result.exit_code == 0, result.output
    assert "KENCOP" in result.output


def test_code_bad_date_is_a_clear_error():
    result = CliRunner().invoke(main, ["code", "Iran condemned Israel.", "--date", "19 June"])
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.output


def test_inputs_of_every_kind_are_accounted_for(tmp_path):
    (tmp_path / "a.txt").write_text("Iran condemned Israel on Monday.", encoding="utf-8")
    (tmp_path / "a.json").write_text('{"publication_date": "2025-06-19", "source": "Wire"}', encoding="utf-8")
    (tmp_path / "b.md").write_text("", encoding="utf-8")
    (tmp_path / "c.jsonl").write_text(
        '{"doc_id": "c1", "text": "Russia attacked Ukraine.", "publication_date": "2022-02-24T06:00:00"}\n'
        '{"doc_id": "c2", "text": broken\n'
        '{"doc_id": "c1", "text": "A different text."}\n'
        '{"text": "The weather was fine.", "publication_date": "not a date"}\n',
        encoding="utf-8",
    )
    (tmp_path / "d.csv").write_text("doc_id,text,source\nd1,\"Turkey shelled Syria, officials said.\",AFP\n", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", "--input", str(tmp_path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    docs = pd.read_parquet(out / "documents.parquet").set_index("doc_id")
    assert len(docs) == 7
    assert docs.loc["a", "status"] == "coded" and docs.loc["a", "source"] == "Wire"
    assert docs.loc["b", "status"] == "rejected" and docs.loc["b", "reason"] == "empty text"
    assert docs.loc["c:2", "status"] == "rejected" and "unparseable JSON" in docs.loc["c:2", "reason"]
    assert docs.loc["c:2", "input_line"] == 2
    dup = docs[docs["reason"].fillna("").str.startswith("doc_id 'c1' already used at")]
    assert len(dup) == 1 and dup["status"].iloc[0] == "rejected"
    assert "not an ISO date" in docs.loc["c:4", "reason"] and docs.loc["c:4", "status"] == "no_events"
    assert docs.loc["d1", "status"] == "coded"


def test_csv_without_text_column_is_a_clear_error(tmp_path):
    (tmp_path / "x.csv").write_text("doc_id,body\n1,hello\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["build", "--input", str(tmp_path / "x.csv"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "x.csv:1" in result.output and "no 'text' column" in result.output
    assert not (tmp_path / "o").exists()


def test_missing_input_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(main, ["build", "--input", str(tmp_path / "nope"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1 and "no such file" in result.output


def test_a_build_process_validates_without_importing_hypothesis():
    """pandera's strategies are imported with hypothesis hidden (0.1 s a build); validation works, and
    hypothesis itself still imports afterwards. In a fresh process: a test session has imported it."""
    import subprocess
    import sys

    code = ("import sys; from coding.process_setup import pandera_without_hypothesis; pandera_without_hypothesis(); "
            "import pandas as pd; from schemas.tables import TABLES; from coding.frame import documents_frame; "
            "TABLES['documents'].validate(documents_frame([])); assert 'hypothesis' not in sys.modules; "
            "assert 'pandera.backends.pandas.builtin_checks' in sys.modules; "
            "assert not sys.modules['pandera.strategies.base_strategies'].HAS_HYPOTHESIS; "
            "import hypothesis; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
