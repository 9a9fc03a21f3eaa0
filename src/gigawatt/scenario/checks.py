"""Cross-checks of a scenario against itself and the catalog, each raising ScenarioError.

Each check names the file and the field path of the first problem it finds.
"""

from __future__ import annotations

from gigawatt.catalog import Catalog
from gigawatt.catalog.schema import HALF_YEAR
from gigawatt.errors import GigawattError, ScenarioError
from gigawatt.scenario.schema import Scenario


def half_year_index(label: str) -> int:
    """``'2026H2'`` -> 2 * 2026 + 1, so consecutive half-years differ by one."""
    match = HALF_YEAR.match(label)
    if match is None:
        raise ValueError(f"not a half-year label: {label!r}")
    return 2 * int(match.group(1)) + int(match.group(2)) - 1


def check_ramp_order(s: Scenario, where: str) -> None:
    """Ramp periods strictly increase and cumulative power never goes backwards."""
    steps = s.ramp.steps
    for i in range(1, len(steps)):
        prev, step = steps[i - 1], steps[i]
        if half_year_index(step.period) <= half_year_index(prev.period):
            raise ScenarioError(
                f"{where}: ramp.steps[{i}].period: {step.period!r} does not come after "
                f"{prev.period!r}; accepted: periods in increasing order"
            )
        if step.facility_gw < prev.facility_gw:
            raise ScenarioError(
                f"{where}: ramp.steps[{i}].facility_gw: {step.facility_gw:g} is below the "
                f"previous step's {prev.facility_gw:g}; the ramp is cumulative and cannot go "
                "backwards"
            )


def check_ramp_systems(s: Scenario, catalog: Catalog, where: str) -> None:
    """Each ramp step names a catalog system that is available by that period."""
    for i, step in enumerate(s.ramp.steps):
        if step.system not in catalog.systems:
            raise ScenarioError(
                f"{where}: ramp.steps[{i}].system: unknown system {step.system!r}; accepted: "
                f"{', '.join(sorted(catalog.systems))}"
            )
        available = catalog.systems[step.system].available
        if half_year_index(step.period) < half_year_index(available):
            raise ScenarioError(
                f"{where}: ramp.steps[{i}].period: {step.system} is available from {available}, "
                f"not {step.period}"
            )


def check_platforms_known(s: Scenario, catalog: Catalog, where: str) -> None:
    """Platform overrides refer to catalog systems."""
    for system_id in s.platforms:
        if system_id not in catalog.systems:
            raise ScenarioError(
                f"{where}: platforms.{system_id}: unknown system; accepted: "
                f"{', '.join(sorted(catalog.systems))}"
            )


def check_platforms_priced(s: Scenario, catalog: Catalog, where: str) -> None:
    """Every system the ramp installs has a rack price and a network cost somewhere."""
    for system_id in dict.fromkeys(step.system for step in s.ramp.steps):
        override = s.platforms.get(system_id)
        system = catalog.systems[system_id]
        for name in ("rack_price_usd",):
            in_scenario = override is not None and getattr(override, name) is not None
            if getattr(system, name) is None and not in_scenario:
                raise ScenarioError(
                    f"{where}: platforms.{system_id}.{name}: required, since the catalog has no "
                    f"{name} for {system_id}; accepted: a number or {{value, source|note}}"
                )


def check_network_switches(s: Scenario, catalog: Catalog, where: str) -> None:
    """Network switch choices name catalog systems and switches."""
    for system_id, switch_id in s.network.switches.items():
        if system_id not in catalog.systems:
            raise ScenarioError(f"{where}: network.switches.{system_id}: unknown system; "
                                f"accepted: {', '.join(sorted(catalog.systems))}")
        if switch_id not in catalog.switches:
            raise ScenarioError(f"{where}: network.switches.{system_id}: unknown switch "
                                f"{switch_id!r}; accepted: {', '.join(sorted(catalog.switches))}")


def check_workload_models(s: Scenario, catalog: Catalog, where: str) -> None:
    """Serving and training models are catalog models or readable model files."""
    from gigawatt.modelfile import load_model

    for section in ("serving", "training"):
        block = getattr(s, section)
        if block is None:
            continue
        try:
            load_model(block.model, catalog)
        except GigawattError as exc:
            raise ScenarioError(f"{where}: {section}.model: {exc}") from None


def check_scenario(s: Scenario, catalog: Catalog, where: str) -> None:
    """Run every cross-check; the first failure raises."""
    check_ramp_order(s, where)
    check_ramp_systems(s, catalog, where)
    check_platforms_known(s, catalog, where)
    check_platforms_priced(s, catalog, where)
    check_network_switches(s, catalog, where)
    check_workload_models(s, catalog, where)
