"""The catalog: required IDs, sources on every entry, ranges, and clear errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from gigawatt.catalog import load_catalog
from gigawatt.catalog.loader import data_dir
from gigawatt.errors import CatalogError

REQUIRED = {
    "gpus": ["a100-sxm-80gb", "h100-sxm", "h800-sxm", "h200-sxm", "b200", "b300", "gb200-nvl72",
             "gb300-nvl72", "vr-nvl72", "vr-ultra-nvl144"],
    "switches": ["quantum-2-qm9700", "quantum-x800-q3400", "spectrum-x800-sn5600"],
    "models": ["gpt3-175b", "llama2-70b", "llama3-8b", "llama3-70b", "llama3-405b",
               "deepseek-v3", "nemotron4-340b"],
}


@pytest.mark.parametrize("gpu_id", REQUIRED["gpus"])
def test_design_gpu_ids_resolve_to_a_system(catalog, gpu_id):
    system = catalog.resolve_gpu(gpu_id)
    assert catalog.accelerator_of(system).id in catalog.accelerators


def test_repr_counts_entries_by_kind(catalog):
    # Short enough for a failing Hypothesis example to print (the fields' repr is ~85 kB).
    text = repr(catalog)
    assert len(text) < 300
    assert f"{len(catalog.models)} models" in text and f"{len(catalog.sites)} sites" in text


def test_design_switch_and_model_ids_exist(catalog):
    assert set(REQUIRED["switches"]) <= set(catalog.switches)
    assert set(REQUIRED["models"]) <= set(catalog.models)


def test_switch_radix_matches_design(catalog):
    assert (catalog.switches["quantum-2-qm9700"].ports,
            catalog.switches["quantum-2-qm9700"].port_gbps) == (64, 400)
    assert (catalog.switches["quantum-x800-q3400"].ports,
            catalog.switches["quantum-x800-q3400"].port_gbps) == (144, 800)
    assert (catalog.switches["spectrum-x800-sn5600"].ports,
            catalog.switches["spectrum-x800-sn5600"].port_gbps) == (64, 800)


def test_every_entry_has_source_date_and_status(catalog):
    for kind in ("accelerators", "systems", "switches", "models"):
        for entry in catalog.of_kind(kind).values():
            assert entry.source.strip(), entry.id
            assert entry.as_of.year >= 2020, entry.id
            assert entry.status in {"official", "reported", "estimate", "derived", "disputed"}


def test_disputed_rubin_figures_keep_their_range(catalog):
    vr = catalog.systems["vr-nvl72"]
    assert (vr.ranges["rack_power_kw"].low, vr.ranges["rack_power_kw"].high) == (120, 230)
    assert vr.ranges["rack_power_kw"].status == "disputed"
    rubin = catalog.accelerators["rubin"]
    assert rubin.dies == 2
    assert rubin.ranges["fp4_dense_tflops"].status == "disputed"


def test_vendor_naming_counts_packages(catalog):
    # "NVL144" counted dies: 72 packages of 2 dies. Kyber "NVL576": 144 packages of 4.
    vr = catalog.systems["vr-nvl72"]
    assert vr.packages_per_rack * catalog.accelerator_of(vr).dies == 144
    kyber = catalog.systems["vr-ultra-nvl144"]
    assert kyber.packages_per_rack * catalog.accelerator_of(kyber).dies == 576


def test_model_spec_keeps_design_fields(catalog):
    spec = catalog.models["deepseek-v3"].spec()
    assert spec.moe is not None and spec.moe.routed_experts == 256
    assert catalog.models["llama3-405b"].spec().kv_heads == 8


def test_unknown_gpu_lists_accepted_ids(catalog):
    with pytest.raises(CatalogError, match=r"unknown GPU 'h999'; accepted: .*vr-nvl72"):
        catalog.resolve_gpu("h999")


def _copy_catalog(tmp_path: Path) -> Path:
    target = tmp_path / "catalog"
    shutil.copytree(data_dir(), target)
    return target


def _edit(path: Path, index: int, **changes: object) -> None:
    rows = yaml.safe_load(path.read_text())
    rows[index].update(changes)
    path.write_text(yaml.safe_dump(rows, sort_keys=False))


@pytest.mark.parametrize(
    ("file", "changes", "message"),
    [
        ("accelerators.yaml", {"tdp_w": -5},
         r"accelerators.yaml: \[0\]\.tdp_w: -5 is not accepted"),
        ("accelerators.yaml", {"source": ""}, r"\[0\]\.source"),
        ("accelerators.yaml", {"colour": "green"}, r"\[0\]\.colour: unknown field"),
        ("systems.yaml", {"accelerator": "nope"}, r"unknown accelerator 'nope'"),
        ("systems.yaml", {"id": "hgx-h100"}, r"'hgx-h100' is already used"),
        ("systems.yaml", {"rack_power_kw": 999, "ranges": {"rack_power_kw": {
            "low": 10, "high": 30, "status": "estimate", "note": "test"}}},
         r"rack_power_kw = 999(\.0)? lies outside its range"),
    ],
)
def test_bad_catalog_entries_are_named(tmp_path, file, changes, message):
    folder = _copy_catalog(tmp_path)
    _edit(folder / file, 0, **changes)
    with pytest.raises(CatalogError, match=message):
        load_catalog(folder)


def test_catalog_yaml_syntax_error_names_the_line(tmp_path):
    folder = _copy_catalog(tmp_path)
    (folder / "switches.yaml").write_text("- id: [unclosed\n")
    with pytest.raises(CatalogError, match=r"switches.yaml: YAML syntax error \(line \d+"):
        load_catalog(folder)
