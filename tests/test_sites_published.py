"""`gigawatt site`: each catalog site sized by the model, beside what is published."""

from __future__ import annotations

import json

import pytest

from gigawatt.estimates.site import catalog_site, size_site

BEYOND_STARGATE = ("xai-colossus", "xai-colossus-2", "meta-prometheus", "meta-hyperion",
                   "microsoft-fairwater", "anthropic-rainier")


def test_site_json_has_the_contract_keys(cli):
    r = cli("site", "stargate-abilene", "--json")
    assert r.code == 0, r.err
    d = json.loads(r.out)
    assert d.keys() >= {"gpus", "racks", "it_mw", "facility_mw", "capex_usd", "published",
                        "model_vs_published"}
    assert d["facility_mw"] <= d["max_facility_mw"]
    assert d["gpus"] == d["racks"] * 72


def test_hypothetical_site_follows_the_formula(catalog):
    d = size_site(1000, "vr-nvl72", catalog=catalog)
    rack_it_mw = 190 * (1 + 0.136) / 1000
    assert d["racks"] == int(1000 / 1.15 // rack_it_mw)
    assert d["facility_mw"] == pytest.approx(d["racks"] * rack_it_mw * 1.15)
    assert d["capex_usd"] == pytest.approx(d["capex_systems_usd"] + d["capex_network_usd"]
                                           + d["capex_facility_usd"])
    # twice the power never holds fewer GPUs or costs less
    big = size_site(2000, "vr-nvl72", catalog=catalog)
    assert big["gpus"] >= 2 * d["gpus"] - 72 and big["capex_usd"] > d["capex_usd"]


def test_published_sites_carry_sources_and_confidence(catalog):
    for sid in (*BEYOND_STARGATE, "stargate-abilene"):
        p = catalog.site(sid).published
        assert p is not None and p.source and p.confidence in ("high", "medium", "low"), sid
        if p.system is not None:
            assert p.system in catalog.systems


def test_model_against_published_per_site(catalog, capsys):
    """Prints the model-versus-published table (``pytest -s`` shows it; README copies it)."""
    lines = ["| site | system | model GPUs | published GPUs | model facility MW | "
             "published MW | model capex | published capex (scope) | confidence |",
             "|---|---|---|---|---|---|---|---|---|"]
    checked = 0
    for sid, site in catalog.sites.items():
        if site.published is None:
            continue
        system = site.published.system or "gb200-nvl72"
        d = catalog_site(sid, system_id=system, catalog=catalog)
        mvp = d["model_vs_published"]
        p = site.published

        def rng(lo: float | None, hi: float | None, scale: float = 1.0, unit: str = "",
                digits: int = 0) -> str:
            if lo is None:
                return "-"
            hi = hi if hi is not None else lo
            a, b = lo / scale, hi / scale
            return (f"{a:,.{digits}f}{unit}" if a == b
                    else f"{a:,.{digits}f}-{b:,.{digits}f}{unit}")

        capex_key = mvp["capex_usd"]["compares"] if mvp["capex_usd"] else "capex_usd"
        model_capex = d[capex_key] if d.get(capex_key) is not None else None
        capex_pub = ("-" if p.capex_usd_low is None else
                     f"${rng(p.capex_usd_low, p.capex_usd_high, 1e9, 'B', 1)} ({p.capex_scope})")
        lines.append(
            f"| {sid} | {system}{' (stand-in)' if p.stand_in or not p.system else ''} "
            f"| {d['gpus']:,} | {rng(p.gpus_low, p.gpus_high)} | {d['facility_mw']:,.0f} "
            f"| {rng(p.facility_mw_low, p.facility_mw_high)} "
            f"| {'-' if model_capex is None else f'${model_capex / 1e9:,.1f}B'} "
            f"| {capex_pub} "
            f"| {p.confidence} |")
        for key in ("gpus", "facility_mw", "capex_usd"):
            if mvp[key] is not None and p.confidence != "low":
                checked += 1
                # where the published figure is firm, the model agrees within a factor of 3;
                # a larger gap means a wrong system or power in the catalog row (low-confidence
                # figures, plans and phases, are printed but not held to it)
                assert 1 / 3 < mvp[key]["ratio"] < 3, (sid, key, mvp[key])
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert checked >= 6


def test_bad_site_input_is_one_line(cli):
    for args, needle in ((("nowhere",), "unknown site 'nowhere'"),
                         (("anthropic-rainier",), "give --system"),
                         (("--power-mw", "100"), "--power-mw P and --system ID"),
                         (("--power-mw", "100", "--system", "nope"), "unknown system 'nope'"),
                         (("--power-mw", "-5", "--system", "vr-nvl72"), "--power-mw -5")):
        r = cli("site", *args)
        assert r.code == 2 and r.out == "", args
        assert needle in r.err and r.err.count("\n") == 1, r.err
