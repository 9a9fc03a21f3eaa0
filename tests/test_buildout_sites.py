"""The built-in site list and the adapters from catalog records to a build-out problem."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from gigawatt.buildout import (
    BuildoutError,
    BuildoutProblem,
    InfeasibleBuildout,
    optimise_buildout,
)
from gigawatt.buildout.inputs import (
    per_quarter,
    platforms_from_catalog,
    problem_from_catalog,
    quarters_between,
    sites_from_catalog,
)
from gigawatt.catalog import load_catalog
from gigawatt.catalog.loader import data_dir
from gigawatt.errors import CatalogError
from gigawatt.units import tflops_to_flops
from test_buildout import assert_limits_hold

ANNOUNCED_2025 = ["stargate-abilene", "stargate-shackelford", "stargate-dona-ana",
                  "stargate-port-washington", "stargate-lordstown", "stargate-milam",
                  "stargate-michigan"]


def test_stargate_sites_of_2025_are_built_in(catalog):
    assert set(ANNOUNCED_2025) <= set(catalog.sites)
    assert catalog.site("stargate-abilene-expansion").stage == "withdrawn"
    with pytest.raises(CatalogError, match=r"unknown site 'atlantis'; accepted: .*abilene"):
        catalog.site("atlantis")


def test_every_site_is_sourced_and_its_ramp_goes_forward(catalog):
    for site in catalog.sites.values():
        assert site.source.strip() and site.status in {"official", "reported", "estimate",
                                                       "derived", "disputed"}
        mw = [step.facility_mw for step in site.power_ramp]
        assert mw == sorted(mw), site.id
        assert all(step.status for step in site.power_ramp)
        assert 1.0 <= site.pue <= 1.5
        assert site.committed_mw <= site.max_facility_mw


def test_abilene_keeps_its_building_timeline(catalog):
    abilene = catalog.site("stargate-abilene")
    assert [(s.date.isoformat(), s.facility_mw) for s in abilene.power_ramp] == [
        ("2025-06-30", 200), ("2026-04-30", 600), ("2026-09-30", 900), ("2026-12-31", 1200)]
    assert abilene.max_facility_mw == 1200
    assert abilene.ranges["max_facility_mw"].status == "disputed"


def test_stargate_2025_sites_add_up_to_the_announced_gigawatts(catalog):
    # ~7 GW after 23 Sep 2025 with the 600 MW expansion (S81), >8 GW with Michigan (S86).
    total_gw = sum(catalog.site(s).max_facility_mw for s in ANNOUNCED_2025) / 1e3
    assert 8.0 < total_gw < 10.0


def _copy_catalog(tmp_path: Path) -> Path:
    target = tmp_path / "catalog"
    shutil.copytree(data_dir(), target)
    return target


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda row: row["power_ramp"].append(
            {"date": "2027-06-30", "facility_mw": 100, "status": "estimate"}),
         r"sites\.yaml: \[0\]: power_ramp\[4\]\.facility_mw 100 MW on 2027-06-30 is below the "
         r"1200 MW of 2026-12-31; a site's power ramp must not go backwards"),
        (lambda row: row["power_ramp"].append(
            {"date": "2026-01-01", "facility_mw": 1300, "status": "estimate"}),
         r"power_ramp\[4\]\.date 2026-01-01 does not come after 2026-12-31"),
        (lambda row: row.update(committed_mw=5000), r"committed_mw 5000 exceeds max_facility_mw"),
        (lambda row: row.update(estimated={"colour": "red"}),
         r"estimated names unknown fields \['colour'\]"),
        (lambda row: row.update(pue=0.8), r"\[0\]\.pue: 0\.8 is not accepted"),
    ],
)
def test_bad_site_rows_are_one_line_errors(tmp_path, change, message):
    folder = _copy_catalog(tmp_path)
    path = folder / "sites.yaml"
    rows = yaml.safe_load(path.read_text())
    change(rows[0])
    path.write_text(yaml.safe_dump(rows, sort_keys=False))
    with pytest.raises(CatalogError, match=message) as caught:
        load_catalog(folder)
    assert "\n" not in str(caught.value)


def test_sites_become_quarterly_power(catalog):
    quarters = quarters_between("2026Q1", "2027Q1")
    arrays = sites_from_catalog([catalog.site("stargate-abilene")], quarters,
                                build_usd_per_mw_it=2e7)
    assert arrays.power_mw[0].tolist() == [200, 600, 900, 1200, 1200]
    assert arrays.lead_quarters.tolist() == [4]
    assert arrays.electricity_usd_per_mwh.tolist() == [66.0]
    charged = sites_from_catalog([catalog.site("stargate-abilene")], quarters,
                                 build_usd_per_mw_it=2e7,
                                 committed_mw={"stargate-abilene": 0.0})
    assert charged.committed_mw.tolist() == [0.0]
    with pytest.raises(BuildoutError, match=r"committed_mw: unknown sites \['nowhere'\]"):
        sites_from_catalog([], quarters, build_usd_per_mw_it=0.0, committed_mw={"nowhere": 0})


def test_platforms_from_the_catalog(catalog):
    p = platforms_from_catalog(catalog, ["vr-nvl72", "gb300-nvl72"], precision="fp8",
                               it_overhead_fraction=0.1, release={"vr-nvl72": "2027Q1"})
    vr = catalog.systems["vr-nvl72"]
    rubin = catalog.accelerator_of(vr)
    assert p.release == ("2027Q1", "2025Q3")
    assert p.rack_kw[0] == pytest.approx(vr.rack_power_kw * 1.1)
    assert p.rack_flops[0] == pytest.approx(72 * tflops_to_flops(rubin.fp8_dense_tflops))
    from gigawatt.pipeline.scaleout import network_usd_per_rack

    assert p.rack_usd[0] == pytest.approx(
        vr.rack_price_usd + network_usd_per_rack(catalog, "vr-nvl72"))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"release": {"vr-nvl72": "2026Q1"}},
         r"release\[vr-nvl72\]: 2026Q1 is before the platform's release \(2026H2, so "
         r"2026Q3\); accepted: 2026Q3 or later"),
        ({"release": {"vr-nvl72": "2026-07"}}, r"release\[vr-nvl72\]: not a quarter label"),
    ],
)
def test_platform_release_before_the_catalog_date_is_rejected(catalog, kwargs, match):
    with pytest.raises(BuildoutError, match=match):
        platforms_from_catalog(catalog, ["vr-nvl72"], **kwargs)


def test_platform_without_a_price_needs_one(catalog):
    with pytest.raises(BuildoutError, match=r"rack_usd\[vr-ultra-nvl144\]: the catalog has no "
                                            r"price"):
        platforms_from_catalog(catalog, ["vr-ultra-nvl144"])


def stargate_problem(catalog, **kw) -> BuildoutProblem:
    years = [str(y) for y in range(2026, 2030)]
    return problem_from_catalog(
        catalog, sites=ANNOUNCED_2025, platforms=["gb300-nvl72", "vr-nvl72"],
        first_quarter="2026Q1", last_quarter="2029Q4",
        supply_racks={"gb300-nvl72": {y: 4000.0 for y in years},
                      "vr-nvl72": {"2026H2": 4000.0, **{y: 8000.0 for y in years[1:]}}},
        capital_usd={y: 120e9 for y in years}, build_usd_per_mw_it=2e7,
        tranche_usd_per_gw=10e9, tranche_cap_usd=100e9, utilisation=0.8,
        it_overhead_fraction=0.136, **kw)


def test_amounts_per_period_spread_over_quarters():
    quarters = quarters_between("2026Q3", "2027Q2")
    spread = per_quarter({"2026": 400.0, "2027H1": 100.0, "2027Q2": 7.0, "2031": 9.0},
                         quarters, "capital_usd")
    assert spread.tolist() == [100, 100, 50, 57]
    with pytest.raises(BuildoutError, match=r"capital_usd: period '27Q1': accepted: a year"):
        per_quarter({"27Q1": 1.0}, quarters, "capital_usd")


def test_supply_for_an_unknown_platform_is_rejected(catalog):
    with pytest.raises(BuildoutError, match=r"supply_racks: unknown platforms \['h100'\]"):
        problem_from_catalog(catalog, sites=ANNOUNCED_2025, platforms=["vr-nvl72"],
                             first_quarter="2026Q3", last_quarter="2027Q2",
                             supply_racks={"h100": {"2027": 1.0}}, capital_usd={},
                             build_usd_per_mw_it=0.0)


def test_supply_spread_into_quarters_before_release_is_rejected(catalog):
    with pytest.raises(BuildoutError, match=r"supply_racks\[vr-nvl72, 2026Q1\]: 1000 racks "
                                            r"before the platform's release in 2026Q3"):
        problem_from_catalog(catalog, sites=ANNOUNCED_2025, platforms=["vr-nvl72"],
                             first_quarter="2026Q1", last_quarter="2026Q4",
                             supply_racks={"vr-nvl72": {"2026": 4000.0}}, capital_usd={},
                             build_usd_per_mw_it=0.0)


def test_stargate_sites_schedule_and_their_limits(catalog):
    p = stargate_problem(catalog)
    r = optimise_buildout(p)
    assert_limits_hold(p, r)
    assert r.facility_gw == pytest.approx(sum(catalog.site(s).max_facility_mw
                                              for s in ANNOUNCED_2025) / 1e3, rel=1e-6)
    doc = json.loads(json.dumps(r.to_dict()))
    assert len(doc["timeline"]) == 16 and len(doc["sites"]) == len(ANNOUNCED_2025)
    assert any(b["constraint"] == "power" and b["where"].startswith("stargate-")
               for b in doc["binding"])


def test_stargate_target_too_early_is_explained(catalog):
    p = stargate_problem(catalog, objective="cost", target_gw=8.0, target_quarter="2027Q4")
    with pytest.raises(InfeasibleBuildout, match=r"^8 GW by the end of 2027Q4 is out of reach: "
                                                 r"at most [\d.]+ GW can be online by then; "
                                                 r"it needs [\d.]+ GW more power than the "
                                                 r"listed sites provide by 2027Q4"):
        optimise_buildout(p)


def test_catalog_cli_lists_and_shows_sites(cli):
    listed = json.loads(cli("catalog", "list", "sites", "--json").out)
    assert {row["id"] for row in listed} >= set(ANNOUNCED_2025)
    shown = json.loads(cli("catalog", "show", "stargate-michigan", "--json").out)
    assert shown["kind"] == "sites" and shown["power_ramp"][-1]["facility_mw"] == 1400
