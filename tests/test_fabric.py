"""The network fabric: NVIDIA's SuperPOD counts exactly, properties, prices and bad input.

Reference counts come from NVIDIA's DGX SuperPOD reference architectures, as recorded in
../shared/facts/hardware.md §2 (S51, S52, S53, S55) and the NVIDIA pages cited per table.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gigawatt import units
from gigawatt.errors import CatalogError
from gigawatt.estimates.fabric import compare_cpo, size_fabric, size_networks
from gigawatt.models.network import FabricError, count_tree

# DGX SuperPOD B200 RA (S51), "DGX SuperPOD Architecture" table, NDR QM9700, 8 rails:
# https://docs.nvidia.com/dgx-superpod/reference-architecture-scalable-infrastructure-b200/
#   latest/dgx-superpod-architecture.html
# (GPUs, leaf, spine, core, node-leaf cables, leaf-spine cables, spine-core cables)
B200_SUPERPOD = [
    (512, 16, 8, 0, 512, 512, 0),            # 2 SU
    (1024, 32, 16, 0, 1024, 1024, 0),        # 4 SU
    (2048, 64, 32, 0, 2048, 2048, 0),        # 8 SU
    (4096, 128, 128, 64, 4096, 4096, 4096),  # 16 SU
    (8192, 256, 256, 128, 8192, 8192, 8192),            # 32 SU
    (16384, 512, 512, 256, 16384, 16384, 16384),        # 64 SU
]

# DGX SuperPOD H100 RA (S55), network-fabrics Table 4 "Compute fabric component count": SUs of
# 32 node slots (31 DGX + UFM) built as full SUs, so 256 GPU ports per SU:
# https://docs.nvidia.com/dgx-superpod/reference-architecture-scalable-infrastructure-h100/
#   latest/network-fabrics.html   (GPU ports, leaf, spine, spine-leaf cables)
H100_SUPERPOD = [(256, 8, 4, 256), (512, 16, 8, 512), (768, 24, 16, 768), (1024, 32, 16, 1024)]

# DGX SuperPOD B300 XDR RA (S52), Table 3, Quantum-X800 Q3400, SUs of 72 nodes (576 GPUs):
# https://docs.nvidia.com/dgx-superpod/reference-architecture/scalable-infrastructure-b300-xdr/
#   latest/dgx-superpod-architecture.html
# The 18-SU row gives 1,296 nodes and 10,368 cables per layer (its "9216 GPUs" cell
# contradicts its own node count); 1,296 x 8 = 10,368 GPUs.  (GPUs, leaf, spine)
B300_XDR_SUPERPOD = [(576, 8, 4), (1152, 16, 8), (2304, 32, 18), (4608, 64, 36),
                     (10368, 144, 72)]

# DGX SuperPOD B300 RA (S53), Table 3: Spectrum-X SN5600 compute fabric, "twin-planar design,
# each GPU has 2x 400GbE connectivity through two different planes", SUs of 64 nodes:
# https://docs.nvidia.com/dgx-superpod/reference-architecture/scalable-infrastructure-b300/
#   latest/dgx-superpod-architecture.html   (GPUs, leaf, spine, node-leaf = leaf-spine cables)
B300_TWIN_PLANE_SUPERPOD = [(512, 16, 8), (1024, 32, 16), (2048, 64, 32), (4096, 128, 64),
                            (8192, 256, 128)]


@pytest.mark.parametrize(("gpus", "leaf", "spine", "core", "node", "ls", "sc"), B200_SUPERPOD)
def test_dgx_b200_superpod_counts(catalog, gpus, leaf, spine, core, node, ls, sc):
    d = size_fabric(catalog, "b200", gpus, "quantum-2-qm9700")
    assert (d.leaf_switches, d.spine_switches, d.core_switches) == (leaf, spine, core)
    assert d.tiers == (3 if core else 2)
    assert d.nic_ports == node and d.cables == node + ls + sc


@pytest.mark.parametrize(("gpus", "leaf", "spine", "cables"), H100_SUPERPOD)
def test_dgx_h100_superpod_counts(catalog, gpus, leaf, spine, cables):
    d = size_fabric(catalog, "h100-sxm", gpus)
    assert (d.leaf_switches, d.spine_switches, d.core_switches) == (leaf, spine, 0)
    assert d.cables - d.nic_ports == cables


def test_b300_at_ndr_speed_on_quantum_2(cli):
    # ConnectX-8 run at 400G on a QM9700 fabric: the B200 SuperPOD shape again (S51).
    r = cli("fabric", "--gpus", "4096", "--gpu", "b300", "--switch", "quantum-2-qm9700",
            "--gbps-per-gpu", "400", "--json")
    assert r.code == 0, r.err
    d = json.loads(r.out)
    assert (d["leaf_switches"], d["spine_switches"], d["core_switches"]) == (128, 128, 64)


def test_dgx_h100_scalable_unit_has_8_rail_leaves(catalog):
    # S55: "SU = 32 nodes = 256 GPUs; 8 rail leaf switches".
    assert size_fabric(catalog, "h100-sxm", 256).leaf_switches == 8


@pytest.mark.parametrize(("gpus", "leaf", "spine"), B300_XDR_SUPERPOD)
def test_dgx_b300_xdr_superpod_counts(catalog, gpus, leaf, spine):
    d = size_fabric(catalog, "b300", gpus, "quantum-x800-q3400")
    assert (d.tiers, d.leaf_switches, d.spine_switches) == (2, leaf, spine)
    assert d.nic_ports == gpus and d.cables == 2 * gpus


@pytest.mark.parametrize(("gpus", "leaf", "spine"), B300_TWIN_PLANE_SUPERPOD)
def test_dgx_b300_twin_plane_superpod_counts(catalog, gpus, leaf, spine):
    d = size_fabric(catalog, "b300", gpus, "spectrum-x800-sn5600", planes=2)
    assert (d.tiers, d.leaf_switches, d.spine_switches, d.planes) == (2, leaf, spine, 2)
    assert d.nic_ports == gpus and d.cables == 2 * gpus


def test_quantum_x_photonics_three_tier_reach(catalog):
    # S47, S48, S45: the 144-port box "spans 746,496 GPUs in a 3-tier fat-tree (=144^3/4)".
    d = size_fabric(catalog, "b300", 1, "quantum-x-photonics-q3450")
    assert d.max_gpus[2] == 144**3 // 4 == 746_496


def test_acceptance_cli_matches_the_64_su_b200_superpod(cli):
    r = cli("fabric", "--gpus", "16384", "--gpu", "b200", "--switch", "quantum-2-qm9700",
            "--json")
    assert r.code == 0, r.err
    d = json.loads(r.out)
    assert d.keys() >= {"tiers", "leaf_switches", "spine_switches", "core_switches", "switches",
                        "transceivers", "cables", "power_kw", "bisection_tbps", "capex_usd"}
    assert (d["tiers"], d["leaf_switches"], d["spine_switches"], d["core_switches"],
            d["switches"]) == (3, 512, 512, 256, 1280)
    assert d["bisection_tbps"] == pytest.approx(16384 * 400 / 2 / 1000)


def test_cli_table_names_the_fabric(cli):
    r = cli("fabric", "--gpus", "720", "--gpu", "vr-nvl72", "--frontend-fraction", "0.1")
    assert r.code == 0, r.err
    for text in ("Fabric for 720 x vr-nvl72 on quantum-x800-q3400", "Scale-up (NVLink)",
                 "max_gpus_3_tiers", "746,496", "frontend_capex_usd"):
        assert text in r.out


# --- the model's own arithmetic -------------------------------------------------------------


def test_two_su_b200_parts_power_and_capex_by_hand(catalog):
    # 24 QM9700: 1,536 ports in use (512 to GPUs, 512 x 2 leaf-spine) in twin-port cages ->
    # 768 switch-side modules; 512 NIC-side 400G modules; 1,024 fiber cables.
    d = size_fabric(catalog, "b200", 512)
    sw, twin, nic = (catalog.switches["quantum-2-qm9700"],
                     catalog.optics["osfp-800g-twin-2x400g"], catalog.optics["osfp-400g"])
    fiber = catalog.optics["fiber-mpo"]
    assert (d.switches, d.transceivers_switch_side, d.transceivers_nic_side) == (24, 768, 512)
    assert d.transceivers == 1280 and d.cables == 1024
    assert d.power_w == pytest.approx(24 * sw.power_w + 768 * twin.power_w + 512 * nic.power_w)
    assert d.capex_usd == pytest.approx(24 * sw.price_usd + 768 * twin.price_usd
                                        + 512 * nic.price_usd + 1024 * fiber.price_usd)


def test_cpo_lowers_optics_power_at_the_same_capex(catalog):
    plug = size_fabric(catalog, "b300", 4608, "quantum-x800-q3400")
    cpo = size_fabric(catalog, "b300", 4608, "quantum-x800-q3400", cpo=True)
    assert cpo.transceivers_switch_side == 0 and cpo.co_packaged_ports > 0
    assert cpo.optics_power_w < 0.6 * plug.optics_power_w
    assert cpo.capex_usd == pytest.approx(plug.capex_usd)  # CPO priced as what it replaces


def test_co_packaged_switch_needs_no_switch_side_transceivers(catalog):
    d = size_fabric(catalog, "vr-nvl72", 72_000, "quantum-x-photonics-q3450")
    assert d.transceivers_switch_side == 0 and d.transceivers_nic_side == d.nic_ports > 0


def test_nvidia_cpo_claim_for_a_400k_gpu_site(catalog):
    # NVIDIA GTC 2025 (S44, S45, S46): optics for a 400k-GPU site 72 MW -> 21.6 MW, counting
    # every transceiver at ~30 W -> ~9 W. The model: Vera Rubin (1.6 Tb/s per GPU, two 800G
    # planes) on Quantum-X800, three tiers. Tolerance 2%: the claim is a round figure.
    c = compare_cpo(catalog, 400_000, "vr-nvl72", "quantum-x800-q3400")
    assert units.w_to_mw(c.pluggable_w) == pytest.approx(72.0, rel=0.02)
    assert units.w_to_mw(c.cpo_all_w) == pytest.approx(21.6, rel=0.02)
    # Only the switch side goes co-packaged; NIC-side pluggables stay.
    assert c.cpo_all_w < c.cpo_w < c.pluggable_w


def test_copper_node_links_drop_nic_transceivers(catalog):
    optical = size_fabric(catalog, "b200", 1024)
    copper = size_fabric(catalog, "b200", 1024, copper_node_links=True)
    assert copper.transceivers_nic_side == 0 and copper.copper_cables == 1024
    assert copper.cables == optical.cables and copper.optics_power_w < optical.optics_power_w


def test_frontend_is_a_stated_fraction_kept_apart(catalog):
    plain = size_fabric(catalog, "b200", 2048)
    fe = size_fabric(catalog, "b200", 2048, frontend_fraction=0.25)
    assert fe.capex_usd == plain.capex_usd and fe.power_w == plain.power_w
    assert fe.frontend_capex_usd == pytest.approx(0.25 * plain.capex_usd)
    assert fe.frontend_power_w == pytest.approx(0.25 * plain.power_w)


def test_scale_up_domains_and_trays(catalog):
    d = size_fabric(catalog, "vr-nvl72", 720)
    assert (d.nvlink_domains, d.nvlink_switch_trays) == (10, 90)
    # S22: 260 TB/s per Vera Rubin NVL72 rack (72 x 3.6 TB/s).
    assert d.to_dict()["scale_up"]["nvlink_domain_tb_per_s"] == pytest.approx(260, rel=0.01)
    assert d.to_dict()["scale_up"]["nvlink_switch_trays"] == 90
    assert size_fabric(catalog, "vr-ultra-nvl144", 1440).to_dict()["scale_up"][
        "nvlink_switch_trays"] is None  # Kyber's trays are not published


def test_one_switch_below_its_radix(catalog):
    d = size_fabric(catalog, "b200", 64)
    assert (d.tiers, d.switches, d.cables) == (1, 1, 64)


def test_arrays_size_like_scalars(catalog):
    counts = np.array([0, 64, 700, 3000, 40_000])
    many = size_fabric(catalog, "b200", counts)
    for i, n in enumerate(counts):
        one = size_fabric(catalog, "b200", int(n))
        assert many.switches[i] == one.switches and many.capex_usd[i] == one.capex_usd


def test_size_networks_splits_beyond_reach(catalog):
    net = size_networks(catalog, ["vr-nvl72", "hgx-b200", "hgx-b200"],
                        np.array([2_000_000, 100_000, 0]))
    assert list(net.fabrics) == [3, 2, 0]
    assert net.largest_cluster_gpus[0] <= net.max_gpus[2][0]
    assert list(net.largest_cluster_gpus) == [666_667, 50_000, 0]
    assert net.capex_usd[2] == 0 and net.capex_usd[0] > net.capex_usd[1] > 0


def test_table_lookup_equals_direct_formulas(monkeypatch):
    from gigawatt.models.network import tree

    counts = np.arange(0, 80_000, 7)
    looked_up = count_tree(counts, 400, 64, 400, 8)
    monkeypatch.setattr(tree, "_TABLE_FROM", 10**12)
    direct = count_tree(counts, 400, 64, 400, 8)
    for name in ("tiers", "leaf", "spine", "core", "node_links", "inter_switch_cables",
                 "bisection_gbps"):
        assert np.array_equal(getattr(looked_up, name), getattr(direct, name)), name


# --- Hypothesis properties -------------------------------------------------------------------

switch_shapes = st.tuples(
    st.sampled_from([32, 48, 64, 128, 144, 256, 512]),      # radix
    st.sampled_from([400.0, 800.0, 1600.0]),               # port Gb/s
    st.sampled_from([200.0, 400.0, 800.0, 1600.0, 3200.0]),  # Gb/s per GPU
    st.sampled_from([1, 2, 4, 8]),                          # rails
)


@settings(max_examples=60, deadline=None)
@given(shape=switch_shapes, counts=st.lists(st.integers(0, 3_000_000), min_size=2,
                                             max_size=40))
def test_switch_counts_never_fall_as_gpus_grow(shape, counts):
    radix, port, gpu, rails = shape
    n = np.sort(np.array(counts))
    t = count_tree(n, gpu, radix, port, rails)
    n, t = n[t.reachable], count_tree(n[t.reachable], gpu, radix, port, rails)
    for counts_by_tier in (t.leaf, t.spine, t.core, t.switches):
        assert (np.diff(counts_by_tier) >= 0).all()


@settings(max_examples=60, deadline=None)
@given(shape=switch_shapes, n=st.integers(1, 500_000), low=st.floats(1, 4), extra=st.floats(0, 4))
def test_oversubscription_never_raises_switch_count(shape, n, low, extra):
    radix, port, gpu, rails = shape
    blocking = count_tree(n, gpu, radix, port, rails, oversubscription=low)
    more = count_tree(n, gpu, radix, port, rails, oversubscription=low + extra)
    if blocking.reachable:
        assert more.reachable and more.switches <= blocking.switches
        for tier in ("leaf", "spine", "core"):
            assert getattr(more, tier) <= getattr(blocking, tier)


@settings(max_examples=60, deadline=None)
@given(shape=switch_shapes, n=st.integers(1, 3_000_000))
def test_non_blocking_bisection_is_half_the_gpu_bandwidth(shape, n):
    radix, port, gpu, rails = shape
    t = count_tree(n, gpu, radix, port, rails)
    if t.reachable:
        assert t.bisection_gbps == pytest.approx(n * gpu / 2)


# --- bad input ---------------------------------------------------------------------------------


def test_unreachable_count_names_the_largest_reachable(catalog):
    with pytest.raises(FabricError, match=r"gpus: 100,000 is beyond the 65,536 GPUs "
                                          r"quantum-2-qm9700 reaches in three tiers"):
        size_fabric(catalog, "b200", 100_000, "quantum-2-qm9700")


@pytest.mark.parametrize(("gpus", "message"), [
    (2.5, r"gpus: 2.5 is not a whole number; accepted: whole numbers of GPUs >= 0"),
    (-4, r"gpus: -4 is negative; accepted"),
    (float("nan"), r"gpus: nan is not a whole number"),
])
def test_bad_gpu_counts(catalog, gpus, message):
    with pytest.raises(FabricError, match=message):
        size_fabric(catalog, "b200", gpus)


@pytest.mark.parametrize(("options", "error", "message"), [
    ({"switch_id": "qm1"}, CatalogError, r"unknown switch 'qm1'; accepted: .*quantum-2-qm9700"),
    ({"oversubscription": 0.5}, FabricError,
     r"oversubscription: 0.5 is below 1; accepted: a ratio >= 1"),
    ({"rails": 0}, FabricError, r"rails: 0 is not accepted"),
    ({"frontend_fraction": 1.5}, FabricError, r"frontend_fraction: 1.5 is not accepted"),
    ({"gbps_per_gpu": 0}, FabricError, r"gbps_per_gpu: 0 is not accepted"),
    ({"gbps_per_gpu": 300}, CatalogError, r"no single-port pluggable of 300 Gb/s"),
])
def test_bad_options(catalog, options, error, message):
    with pytest.raises(error, match=message):
        size_fabric(catalog, "b200", 512, **options)


def test_too_few_planes_for_the_gpu_bandwidth(catalog):
    with pytest.raises(FabricError, match=r"planes: 1 cannot carry 1600 Gb/s per GPU on 800 "
                                          r"Gb/s switch ports; accepted: 2 or more"):
        size_fabric(catalog, "vr-nvl72", 720, "quantum-x800-q3400", planes=1)


@pytest.mark.parametrize(("args", "message"), [
    (("--gpus", "9000000", "--gpu", "b200"), "is beyond the 65,536 GPUs"),
    (("--gpus", "-1", "--gpu", "b200"), "gpus: -1 is negative"),
    (("--gpus", "2.5", "--gpu", "b200"), "Invalid value for '--gpus'"),
    (("--gpus", "64", "--gpu", "b200", "--switch", "nope"), "unknown switch 'nope'"),
    (("--gpus", "64", "--gpu", "b200", "--oversubscription", "0.9"),
     "oversubscription: 0.9 is below 1"),
    (("--gpus", "64", "--gpu", "z9"), "unknown GPU 'z9'"),
])
def test_cli_bad_input_is_one_line_exit_2(cli, args, message):
    r = cli("fabric", *args)
    assert (r.code, r.out) == (2, "")
    assert r.err.startswith("gigawatt: error: ") and len(r.err.strip().splitlines()) == 1
    assert message in r.err


# --- catalog and units -------------------------------------------------------------------------


def test_optics_have_sources_and_switches_their_modules(catalog):
    for optic in catalog.optics.values():
        assert optic.source.strip() and optic.status and optic.as_of.year >= 2020
    for switch in catalog.switches.values():
        assert switch.power_w and switch.price_usd, switch.id


def test_missing_switch_module_is_a_catalog_error(tmp_path):
    import shutil

    import yaml

    from gigawatt.catalog import load_catalog
    from gigawatt.catalog.loader import data_dir

    folder = tmp_path / "catalog"
    shutil.copytree(data_dir(), folder)
    rows = yaml.safe_load((folder / "optics.yaml").read_text())
    rows = [r for r in rows if r["id"] != "osfp-1.6t-twin-2x800g"]
    (folder / "optics.yaml").write_text(yaml.safe_dump(rows, sort_keys=False))
    with pytest.raises(CatalogError, match=r"quantum-x800-q3400: no pluggable module of 1600"):
        load_catalog(folder)


def test_fabric_unit_conversions():
    assert units.w_to_kw(1_385_472.0) == pytest.approx(1385.472)
    assert units.gbps_to_tbps(3_276_800.0) == pytest.approx(3276.8)
