"""Reading and validating rules files (package data under ``coding/rules/``).

Loading validates: an unknown key, a missing key, a duplicate id, an unknown CAMEO code or a bad
value is a :class:`RuleError` with a code (``R001`` ...) and the file and line, never ignored.
YAML is read with ``yaml.BaseLoader`` so every scalar stays a string ("010", "NO").
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

import yaml

RULES_PACKAGE = "coding"

ERROR_CODES = {
    "R001": "file cannot be read or parsed",
    "R002": "unknown key",
    "R003": "missing required key",
    "R004": "duplicate id",
    "R005": "unknown CAMEO code",
    "R006": "bad pattern",
    "R007": "bad value",
    "R008": "patterns that shadow each other with different codes",
    "R009": "the same phrase coded differently by two entries",
    "R010": "example does not behave as declared",
}


class RuleError(ValueError):
    def __init__(self, code: str, path: str, line: int | None, message: str):
        self.code, self.path, self.line, self.message = code, path, line, message
        where = f"{path}:{line}" if line else path
        super().__init__(f"[{code}] {where}: {message}")


@dataclass(frozen=True)
class Item:
    """One rule as read from a file, with where it came from."""

    data: dict[str, Any]
    path: str
    line: int | None

    def error(self, code: str, message: str) -> RuleError:
        return RuleError(code, self.path, self.line, message)


def rules_dir() -> Path:
    return Path(str(resources.files(RULES_PACKAGE).joinpath("rules")))


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(rules_dir().parent))
    except ValueError:
        return str(path)


def read_jsonl(path: Path) -> list[Item]:
    items = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as err:
                raise RuleError("R001", _rel(path), n, f"invalid JSON: {err.msg}") from None
            if not isinstance(data, dict):
                raise RuleError("R001", _rel(path), n, "each line must be a JSON object")
            items.append(Item(data, _rel(path), n))
    return items


def read_yaml(path: Path) -> Any:
    """A YAML document with string scalars; for a top-level list, items carry their line numbers."""
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.load(text, Loader=yaml.BaseLoader)
        node = yaml.compose(text, Loader=yaml.BaseLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise RuleError("R001", _rel(path), mark.line + 1 if mark else None, f"invalid YAML: {err}") from None
    return data, node


def read_yaml_items(path: Path, key: str | None = None) -> list[Item]:
    """Items of a YAML list (top-level, or under mapping key ``key``) with their line numbers."""
    data, node = read_yaml(path)
    if key is not None:
        if not isinstance(data, dict) or key not in data:
            raise RuleError("R003", _rel(path), 1, f"missing top-level key '{key}'")
        data = data[key]
        node = next(v for k, v in node.value if k.value == key)
    if data is None:
        return []
    if not isinstance(data, list):
        raise RuleError("R001", _rel(path), 1, "expected a list of rules")
    out = []
    for value, sub in zip(data, node.value):
        line = sub.start_mark.line + 1
        if not isinstance(value, dict):
            raise RuleError("R001", _rel(path), line, "each rule must be a mapping")
        out.append(Item(value, _rel(path), line))
    return out


def check_keys(item: Item, required: Iterable[str], optional: Iterable[str] = ()) -> None:
    allowed = set(required) | set(optional)
    for key in item.data:
        if key not in allowed:
            raise item.error("R002", f"unknown key '{key}' (allowed: {', '.join(sorted(allowed))})")
    for key in required:
        if key not in item.data or item.data[key] in (None, ""):
            raise item.error("R003", f"missing required key '{key}'")


def check_unique_ids(items: Iterable[Item], seen: dict[str, Item] | None = None) -> None:
    seen = {} if seen is None else seen
    for item in items:
        rid = item.data.get("id")
        if rid in seen:
            other = seen[rid]
            raise item.error("R004", f"duplicate id '{rid}' (first at {other.path}:{other.line})")
        seen[rid] = item


def as_bool(item: Item, key: str, default: bool = False) -> bool:
    value = item.data.get(key)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "yes"):
        return True
    if str(value).lower() in ("false", "no"):
        return False
    raise item.error("R007", f"'{key}' must be true or false, not {value!r}")


def as_int(item: Item, key: str, default: int | None = None) -> int | None:
    value = item.data.get(key)
    if value is None:
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise item.error("R007", f"'{key}' must be an integer, not {value!r}") from None


def rule_files() -> list[Path]:
    """Every rules file, sorted (the fingerprint and the lint command walk these)."""
    root = rules_dir()
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".yaml", ".jsonl", ".txt"))


def fingerprint() -> str:
    """sha256 over the relative paths and bytes of every rules file."""
    digest = hashlib.sha256()
    root = rules_dir()
    for path in rule_files():
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()
