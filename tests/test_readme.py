"""The README's column reference is generated from the schemas (python -m coding schema-docs)."""

from click.testing import CliRunner

from coding.cli import main
from conftest import ROOT


def test_readme_column_reference_matches_schema():
    generated = CliRunner().invoke(main, ["schema-docs"]).output.strip()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert generated in readme, "README column reference is stale: paste the output of `python -m coding schema-docs`"


def test_readme_gives_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make build-dataset" in readme and "make test" in readme
