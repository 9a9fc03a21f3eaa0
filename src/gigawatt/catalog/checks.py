"""Cross-record checks of the catalog, each a named function that raises CatalogError."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from gigawatt.catalog.schema import Accelerator, Entry, System
from gigawatt.errors import CatalogError


def check_unique_ids(entries: Sequence[tuple[str, Entry]]) -> None:
    """Every ID names one entry across all kinds (``catalog show ID`` is unambiguous)."""
    seen: dict[str, str] = {}
    for where, entry in entries:
        if entry.id in seen:
            raise CatalogError(f"{where}: id {entry.id!r} is already used in {seen[entry.id]}")
        seen[entry.id] = where


def check_system_accelerators(
    systems: Mapping[str, System], accelerators: Mapping[str, Accelerator]
) -> None:
    """Each system is built from an accelerator the catalog knows."""
    for system in systems.values():
        if system.accelerator not in accelerators:
            raise CatalogError(
                f"systems.yaml: {system.id}.accelerator: unknown accelerator "
                f"{system.accelerator!r}; accepted: {', '.join(sorted(accelerators))}"
            )


def check_accelerators_deployable(
    systems: Mapping[str, System], accelerators: Mapping[str, Accelerator]
) -> None:
    """Each accelerator sits in exactly one system, so ``--gpu ACCELERATOR`` resolves."""
    for acc in accelerators:
        homes = [s.id for s in systems.values() if s.accelerator == acc]
        if len(homes) != 1:
            raise CatalogError(
                f"accelerators.yaml: {acc}: expected in exactly one system, found {homes or 'none'}"
            )
