"""The user cache: results that cost a command's start-up time, kept on disk between runs.

Two kinds live there, each in a file named by a SHA-256 key of everything it depends on:

- the validated catalog (:func:`gigawatt.catalog.loader.cached_catalog`), keyed by the
  catalog files' bytes and the code that reads them;
- search results and validated built-in scenarios (:func:`memo`), keyed by their arguments
  and by the bytes of every module and data file of ``gigawatt.models``,
  ``gigawatt.estimates``, ``gigawatt.scenario`` and the catalog, and of the validation code,
  so a change to the model, its constants, a scenario's schema or the catalog never reads a
  stale answer.

``$GIGAWATT_CACHE_DIR`` chooses the folder (``off`` disables the cache); the default is
``$XDG_CACHE_HOME/gigawatt`` or ``~/.cache/gigawatt``. A cache that cannot be read or written
is skipped: the result is then computed as without one. Files are written atomically.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

CACHE_ENV = "GIGAWATT_CACHE_DIR"
"""Folder of the cache; ``off`` disables it (default: the user cache)."""
READ_ERRORS = (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError,
               TypeError, ValueError, IndexError)


def cache_dir() -> Path | None:
    """Where the cache lives: ``$GIGAWATT_CACHE_DIR``, else ``$XDG_CACHE_HOME/gigawatt``,
    else ``~/.cache/gigawatt``; None when set to ``off``."""
    given = os.environ.get(CACHE_ENV)
    if given:
        return None if given == "off" else Path(given)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gigawatt"


def read(path: Path) -> Any:
    """The object pickled at ``path``, or None if it is missing or unreadable."""
    try:
        with path.open("rb") as handle:
            return pickle.load(handle)
    except READ_ERRORS:
        return None


def write(path: Path, value: Any) -> None:
    """Pickle ``value`` to ``path`` atomically; a folder that cannot be written is skipped."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pickle")
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        pass


def _builtin_catalog() -> object:
    from gigawatt.catalog import load_catalog  # the catalog reads its own cache through here

    return load_catalog()


CHECKING_CODE = ("validation.py", "records.py", "yamlio.py", "limits.py")
"""The modules outside those folders whose code decides what a validated input holds."""


@functools.cache
def code_key() -> str:
    """SHA-256 of the interpreter, the version, every file of ``gigawatt.models``,
    ``gigawatt.estimates``, ``gigawatt.scenario`` and ``gigawatt.catalog`` (code and data),
    and the modules that read and check input (:data:`CHECKING_CODE`)."""
    from gigawatt.version import __version__

    root = Path(__file__).parent
    digest = hashlib.sha256(f"{__version__} {sys.version}".encode())
    files = [p for folder in ("models", "estimates", "scenario", "catalog")
             for p in sorted((root / folder).rglob("*"))]
    for path in [*files, *(root / f for f in CHECKING_CODE)]:
        if path.suffix in (".py", ".yaml") and path.is_file():
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def memo(kind: str, key: Any, compute: Callable[[], T], catalog: object = None) -> T:
    """``compute()``, read from the cache when the same ``key`` was computed before.

    ``key`` must pickle to the same bytes for the same arguments (plain numbers, strings,
    frozen records); it is hashed with :func:`code_key`. ``catalog``: the catalog the result
    was computed with; one other than the built-in catalog (a user's own, whose files the
    key does not cover) is never cached.
    """
    folder = cache_dir()
    if folder is None or (catalog is not None and catalog is not _builtin_catalog()):
        return compute()
    try:
        blob = pickle.dumps(key, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError):
        return compute()
    name = hashlib.sha256(code_key().encode() + blob).hexdigest()[:40]
    path = folder / kind / f"{name}.pickle"
    found = read(path)
    if isinstance(found, tuple) and len(found) == 2 and found[0] == blob:
        value: T = found[1]
        return value
    value = compute()
    write(path, (blob, value))
    return value
