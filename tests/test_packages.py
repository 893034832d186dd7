import subprocess
import sys
from pathlib import Path

from conftest import ROOT


def test_both_packages_import_from_this_repository():
    import coding
    import schemas

    assert Path(coding.__file__).resolve().parent == ROOT / "coding"
    assert Path(schemas.__file__).resolve().parent == ROOT / "schemas"


def test_import_loads_no_rules():
    code = "import sys, coding, schemas; print(sorted(m for m in sys.modules if m.startswith(('coding.', 'yaml', 'ahocorasick'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
