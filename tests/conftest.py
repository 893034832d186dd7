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
