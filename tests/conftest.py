from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def coders():
    from coding.pipeline import load_coders

    return load_coders()


@pytest.fixture(scope="session")
def code_text(coders):
    """Code one text (publication date 2025-06-19 unless given) and return its mentions."""
    from coding.pipeline import code_document
    from coding.records import Document

    def run(text: str, date: dt.date | None = dt.date(2025, 6, 19)):
        return code_document(Document("t", text, "<test>", publication_date=date), coders).mentions

    return run


def shared_or_skip(relative: str) -> Path:
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"../shared/{relative} is not available (reference material lives outside the repository)")
    return path


def synthetic_corpus(folder, n_articles: int):
    """A synthetic JSONL corpus with one duplicate line and one broken line appended, so that
    duplicates and rejections travel through workers and clusters too."""
    from coding.synthetic import write_corpus

    path = write_corpus(folder / "synthetic.jsonl", n_articles)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(path.read_text(encoding="utf-8").splitlines()[3] + "\n{broken\n")
    return path
