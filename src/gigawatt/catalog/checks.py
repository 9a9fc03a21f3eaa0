"""Cross-record checks of the catalog, each a named function that raises CatalogError."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from gigawatt.catalog.schema import (
    Accelerator,
    Entry,
    FailureClass,
    FailurePlatform,
    Optic,
    Switch,
    System,
)
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


def check_failure_shares(classes: Mapping[str, FailureClass]) -> None:
    """The hardware shares of the failure classes add up to one."""
    total = sum(c.hardware_share for c in classes.values() if c.hardware_share is not None)
    if abs(total - 1.0) > 1e-6:
        raise CatalogError(f"failures.yaml: hardware_share adds up to {total:.4f}; accepted: 1")


def check_failure_platforms(platforms: Mapping[str, FailurePlatform],
                            systems: Mapping[str, System],
                            classes: Mapping[str, FailureClass]) -> None:
    """Each system has exactly one failure row, whose multipliers name known classes."""
    for row in platforms.values():
        if row.system not in systems:
            raise CatalogError(f"failure_platforms.yaml: {row.id}.system: unknown system "
                               f"{row.system!r}; accepted: {', '.join(sorted(systems))}")
        for name in row.multipliers:
            if name not in classes:
                raise CatalogError(f"failure_platforms.yaml: {row.id}.multipliers: unknown "
                                   f"failure class {name!r}; accepted: {', '.join(classes)}")
    for system in systems:
        rows = [r.id for r in platforms.values() if r.system == system]
        if len(rows) != 1:
            raise CatalogError(f"failure_platforms.yaml: system {system}: expected exactly one "
                               f"row, found {rows or 'none'}")


def check_system_switches(systems: Mapping[str, System], switches: Mapping[str, Switch]) -> None:
    """Each system's reference scale-out switch is a switch the catalog knows."""
    for system in systems.values():
        if system.scaleout_switch is not None and system.scaleout_switch not in switches:
            raise CatalogError(
                f"systems.yaml: {system.id}.scaleout_switch: unknown switch "
                f"{system.scaleout_switch!r}; accepted: {', '.join(sorted(switches))}"
            )


def switch_module(switch: Switch, optics: Mapping[str, Optic]) -> Optic | None:
    """The pluggable module that fills one cage of ``switch`` (None if the catalog has none)."""
    for optic in optics.values():
        if (optic.form == "pluggable" and optic.ports == switch.ports_per_cage
                and optic.gbps == switch.port_gbps * switch.ports_per_cage):
            return optic
    return None


def check_switch_optics(switches: Mapping[str, Switch], optics: Mapping[str, Optic]) -> None:
    """Every pluggable-optics switch has a module for its cages; CPO and cables are present."""
    for switch in switches.values():
        if not switch.co_packaged_optics and switch_module(switch, optics) is None:
            gbps = switch.port_gbps * switch.ports_per_cage
            raise CatalogError(
                f"switches.yaml: {switch.id}: no pluggable module of {gbps:g} Gb/s with "
                f"{switch.ports_per_cage} port(s) in optics.yaml"
            )
    for form in ("co-packaged", "fiber-cable", "copper-cable"):
        if sum(o.form == form for o in optics.values()) != 1:
            raise CatalogError(f"optics.yaml: expected exactly one entry of form {form!r}")
