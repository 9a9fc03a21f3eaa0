"""Load the catalog from YAML files into frozen, cross-checked records."""

from __future__ import annotations

import functools
import hashlib
import pickle
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from gigawatt import cache
from gigawatt.catalog import checks
from gigawatt.catalog.schema import (
    KINDS,
    Accelerator,
    Entry,
    FailureClass,
    FailurePlatform,
    Model,
    Optic,
    Site,
    Switch,
    System,
)
from gigawatt.errors import CatalogError, unknown_id
from gigawatt.yamlio import read_yaml

E = TypeVar("E", bound=Entry)


@dataclass(frozen=True, eq=False)
class Catalog:
    """Every catalog entry by kind, keyed by ID (hashed by identity: caches key on it)."""

    accelerators: Mapping[str, Accelerator]
    systems: Mapping[str, System]
    switches: Mapping[str, Switch]
    optics: Mapping[str, Optic]
    models: Mapping[str, Model]
    failures: Mapping[str, FailureClass]
    failure_platforms: Mapping[str, FailurePlatform]
    sites: Mapping[str, Site]
    _by_id: dict[str, tuple[str, Entry]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_id = {e.id: (kind, e) for kind in KINDS for e in self.of_kind(kind).values()}
        object.__setattr__(self, "_by_id", by_id)

    def __repr__(self) -> str:
        """Counts by kind: the whole catalog's repr runs to tens of kB (a failing Hypothesis
        example prints every argument, fixtures too)."""
        return "Catalog(" + ", ".join(f"{len(self.of_kind(k))} {k}" for k in KINDS) + ")"

    def of_kind(self, kind: str) -> Mapping[str, Entry]:
        """Entries of one kind: one of :data:`~gigawatt.catalog.schema.KINDS`."""
        if kind not in KINDS:
            raise CatalogError(f"unknown catalog kind {kind!r}; accepted: {', '.join(KINDS)}")
        entries: Mapping[str, Entry] = getattr(self, kind)
        return entries

    def entry(self, entry_id: str) -> tuple[str, Entry]:
        """``(kind, entry)`` for any ID."""
        if entry_id not in self._by_id:
            raise unknown_id("catalog id", entry_id, list(self._by_id))
        return self._by_id[entry_id]

    def system(self, system_id: str) -> System:
        """A system by ID."""
        if system_id not in self.systems:
            raise unknown_id("system", system_id, list(self.systems))
        return self.systems[system_id]

    def failure_platform(self, system_id: str) -> FailurePlatform:
        """The failure-rate row of a system (every system has one)."""
        for row in self.failure_platforms.values():
            if row.system == system_id:
                return row
        raise unknown_id("system with failure rates", system_id,
                         [row.system for row in self.failure_platforms.values()])

    def site(self, site_id: str) -> Site:
        """A site by ID."""
        if site_id not in self.sites:
            raise unknown_id("site", site_id, list(self.sites))
        return self.sites[site_id]

    def accelerator_of(self, system: System) -> Accelerator:
        """The accelerator a system is built from."""
        return self.accelerators[system.accelerator]

    def resolve_gpu(self, gpu_id: str) -> System:
        """The system for a ``--gpu`` ID: a system ID, or an accelerator ID (its system)."""
        if gpu_id in self.systems:
            return self.systems[gpu_id]
        for system in self.systems.values():
            if system.accelerator == gpu_id:
                return system
        raise unknown_id("GPU", gpu_id, [*self.systems, *self.accelerators])


def data_dir() -> Path:
    """The folder of built-in catalog YAML files inside the package."""
    return Path(str(resources.files("gigawatt.catalog") / "data"))


def _load_kind(path: Path, kind: type[E]) -> dict[str, E]:
    from gigawatt.validation import validate  # pydantic: only with a cold cache

    raw: Any = read_yaml(path, CatalogError)
    if not isinstance(raw, list):
        raise CatalogError(f"{path}: expected a list of entries, got {type(raw).__name__}")
    out: dict[str, E] = {}
    for i, row in enumerate(raw):
        entry = validate(kind, row, str(path), CatalogError, prefix=(i,))
        if entry.id in out:
            raise CatalogError(f"{path}: [{i}].id: {entry.id!r} is already used in this file")
        out[entry.id] = entry
    return out


def load_catalog(directory: Path | None = None) -> Catalog:
    """Read and check every catalog file; the built-in catalog is read once per process."""
    if directory is None:
        return _builtin()
    return _read(directory)


@functools.cache
def _builtin() -> Catalog:
    return cached_catalog(data_dir())


CACHE_ENV = cache.CACHE_ENV
cache_dir = cache.cache_dir


def catalog_key(directory: Path) -> str:
    """SHA-256 of every catalog file's name and bytes, the code that reads them and the
    interpreter: any change to one makes a new key, so a stale cache is never read."""
    from gigawatt.version import __version__

    digest = hashlib.sha256(f"{__version__} {sys.version} {pickle.HIGHEST_PROTOCOL}".encode())
    here = Path(__file__).parent
    for path in [*sorted(directory.glob("*.yaml")), here / "schema.py", here / "checks.py",
                 Path(__file__), *(here.parent / f for f in cache.CHECKING_CODE)]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


def cached_catalog(directory: Path) -> Catalog:
    """The checked catalog of ``directory``, read from the pickle cache when its key matches.

    Validating every YAML row with pydantic dominated a command's start-up; the cache holds the
    result, keyed by :func:`catalog_key`. A cache that cannot be read or written is skipped:
    the catalog is then read and checked from the YAML as without a cache.
    """
    folder = cache_dir()
    if folder is None:
        return _read(directory)
    path = folder / f"catalog-{catalog_key(directory)}.pickle"
    found = cache.read(path)
    if isinstance(found, Catalog):
        return found
    catalog = _read(directory)
    cache.write(path, catalog)
    return catalog


def _read(directory: Path) -> Catalog:
    kinds = {stem: _load_kind(directory / f"{stem}.yaml", cls) for stem, cls in KINDS.items()}
    checks.check_unique_ids(
        [(f"{stem}.yaml", e) for stem, entries in kinds.items() for e in entries.values()]
    )
    catalog = Catalog(**kinds)  # type: ignore[arg-type]
    checks.check_system_accelerators(catalog.systems, catalog.accelerators)
    checks.check_accelerators_deployable(catalog.systems, catalog.accelerators)
    checks.check_failure_shares(catalog.failures)
    checks.check_failure_platforms(catalog.failure_platforms, catalog.systems, catalog.failures)
    checks.check_system_switches(catalog.systems, catalog.switches)
    checks.check_switch_optics(catalog.switches, catalog.optics)
    return catalog
