"""Cross-checks of a scenario against itself and the catalog, each raising ScenarioError.

Each check names the file and the field path of the first problem it finds.
"""

from __future__ import annotations

from gigawatt import units
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
    steps = s.ramp.steps if s.ramp else []
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
    for i, step in enumerate(s.ramp.steps if s.ramp else []):
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


def installed_systems(s: Scenario) -> list[str]:
    """Catalog IDs of the systems the scenario installs, in order of first mention."""
    if s.buildout is not None:
        return list(s.buildout.platforms)
    return list(dict.fromkeys(step.system for step in s.ramp.steps)) if s.ramp else []


def check_platforms_priced(s: Scenario, catalog: Catalog, where: str) -> None:
    """Every system the scenario installs has a rack price and a network cost somewhere."""
    for system_id in installed_systems(s):
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
    from gigawatt.catalog.modelfile import load_model

    for section in ("serving", "training"):
        block = getattr(s, section)
        if block is None:
            continue
        try:
            load_model(block.model, catalog)
        except GigawattError as exc:
            raise ScenarioError(f"{where}: {section}.model: {exc}") from None


def check_buildout_sites(s: Scenario, catalog: Catalog, where: str) -> None:
    """Build-out sites are catalog sites, listed once; committed capacity names a listed site
    and fits in it."""
    if s.buildout is None:
        return
    sites = s.buildout.sites
    for i, site_id in enumerate(sites):
        if site_id not in catalog.sites:
            raise ScenarioError(f"{where}: buildout.sites[{i}]: unknown site {site_id!r}; "
                                f"accepted: {', '.join(sorted(catalog.sites))}")
        if site_id in sites[:i]:
            raise ScenarioError(f"{where}: buildout.sites[{i}]: {site_id} is listed twice; "
                                "accepted: each site once")
    for site_id, mw in s.buildout.committed_mw.items():
        if site_id not in sites:
            raise ScenarioError(f"{where}: buildout.committed_mw.{site_id}: not a listed site; "
                                f"accepted: {', '.join(sites)}")
        most = catalog.sites[site_id].max_facility_mw
        if mw.value > most:
            raise ScenarioError(f"{where}: buildout.committed_mw.{site_id}: {mw.value:g} MW "
                                f"exceeds the site's max_facility_mw {most:g}; accepted: 0 to "
                                f"{most:g}")


def check_buildout_horizon(s: Scenario, catalog: Catalog, where: str) -> None:
    """The horizon runs forward; a target lies in it and within what the sites can hold."""
    b = s.buildout
    if b is None:
        return
    # imported here: the buildout package brings HiGHS, which a ramp never needs
    from gigawatt.buildout.quarters import quarter_index

    first, last = quarter_index(b.first_quarter), quarter_index(b.last_quarter)
    if last < first:
        raise ScenarioError(f"{where}: buildout.last_quarter: {b.last_quarter} comes before "
                            f"first_quarter {b.first_quarter}; accepted: {b.first_quarter} or "
                            "later")
    if b.target is None:
        return
    if not first <= quarter_index(b.target.quarter) <= last:
        raise ScenarioError(f"{where}: buildout.target.quarter: {b.target.quarter} is outside "
                            f"the horizon; accepted: {b.first_quarter} to {b.last_quarter}")
    room_gw = units.mw_to_gw(sum(catalog.sites[site].max_facility_mw for site in b.sites))
    if b.target.facility_gw > room_gw + 1e-9:
        raise ScenarioError(
            f"{where}: buildout.target.facility_gw: {b.target.facility_gw:g} GW is beyond the "
            f"{room_gw:.3g} GW every listed site together can hold (their max_facility_mw); "
            f"accepted: up to {room_gw:.3g}, or list more sites")


def check_buildout_platforms(s: Scenario, catalog: Catalog, where: str) -> None:
    """Platforms are catalog systems released no earlier than the catalog says, and none is
    supplied before its release."""
    b = s.buildout
    if b is None:
        return
    from gigawatt.buildout.inputs import half_year_first_quarter
    from gigawatt.buildout.quarters import quarter_index

    quarters = _horizon(b.first_quarter, b.last_quarter)
    for system_id, platform in b.platforms.items():
        path = f"buildout.platforms.{system_id}"
        if system_id not in catalog.systems:
            raise ScenarioError(f"{where}: {path}: unknown system; accepted: "
                                f"{', '.join(sorted(catalog.systems))}")
        available = catalog.systems[system_id].available
        earliest = half_year_first_quarter(available)
        release = platform.release or earliest
        if quarter_index(release) < quarter_index(earliest):
            raise ScenarioError(f"{where}: {path}.release: {release} is before the platform's "
                                f"release ({available} in the catalog); accepted: {earliest} "
                                "or later")
        spread = _per_quarter(platform.supply_racks.per_period, quarters,
                              f"{path}.supply_racks", where)
        start = quarter_index(quarters[0])
        early = [k for k, racks in enumerate(spread)
                 if racks > 0 and start + k < quarter_index(release)]
        if early:
            raise ScenarioError(
                f"{where}: {path}.supply_racks: {spread[early[0]]:g} racks in "
                f"{quarters[early[0]]}, before the platform's release in {release}; accepted: "
                f"periods from {release} on")


def check_buildout_money(s: Scenario, where: str) -> None:
    """Supply and capital are never negative, and every period label is understood."""
    b = s.buildout
    if b is None:
        return
    amounts = {"buildout.capital_usd": b.capital_usd,
               **{f"buildout.platforms.{k}.supply_racks": p.supply_racks
                  for k, p in b.platforms.items()}}
    quarters = _horizon(b.first_quarter, b.last_quarter)
    for path, given in amounts.items():
        for label, amount in given.per_period.items():
            if amount < 0:
                what = "a budget" if path.endswith("capital_usd") else "a number of racks"
                raise ScenarioError(f"{where}: {path}.per_period.{label}: {amount:g} is "
                                    f"negative; accepted: {what} >= 0")
        _per_quarter(given.per_period, quarters, path, where)


def _horizon(first: str, last: str) -> tuple[str, ...]:
    from gigawatt.buildout.quarters import horizon, quarter_index

    return horizon(first, max(quarter_index(last) - quarter_index(first) + 1, 1))


def _per_quarter(amounts: dict[str, float], quarters: tuple[str, ...], path: str,
                 where: str) -> list[float]:
    from gigawatt.buildout import BuildoutError
    from gigawatt.buildout.inputs import per_quarter

    try:
        return [float(v) for v in per_quarter(amounts, quarters, f"{path}.per_period")]
    except BuildoutError as exc:
        raise ScenarioError(f"{where}: {exc}") from None


def check_scenario(s: Scenario, catalog: Catalog, where: str) -> None:
    """Run every cross-check; the first failure raises."""
    check_ramp_order(s, where)
    check_ramp_systems(s, catalog, where)
    check_buildout_sites(s, catalog, where)
    check_buildout_horizon(s, catalog, where)
    check_buildout_money(s, where)
    check_buildout_platforms(s, catalog, where)
    check_platforms_known(s, catalog, where)
    check_platforms_priced(s, catalog, where)
    check_network_switches(s, catalog, where)
    check_workload_models(s, catalog, where)
