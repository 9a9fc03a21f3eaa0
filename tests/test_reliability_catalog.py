"""Failure classes and platform rows in the catalog: sourced, complete, and checked."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from gigawatt.catalog import load_catalog
from gigawatt.catalog.loader import data_dir
from gigawatt.errors import CatalogError


def test_every_system_has_one_failure_row_and_newer_ones_are_estimates(catalog):
    assert {catalog.failure_platform(s).system for s in catalog.systems} == set(catalog.systems)
    for row in catalog.failure_platforms.values():
        assert row.source.strip()
        if row.system != "hgx-a100":
            assert row.status == "estimate", row.id
        assert row.ranges["infant_shape"].status == "estimate"


def test_failure_classes_cover_the_issue_list_and_shares_add_up(catalog):
    classes = catalog.failures
    assert set(classes) == {"fail-gpu", "fail-hbm", "fail-nvlink", "fail-scaleout", "fail-host",
                            "fail-power", "fail-software"}
    assert sum(c.hardware_share or 0 for c in classes.values()) == pytest.approx(1.0)
    assert [c.id for c in classes.values() if c.hardware_share is None] == ["fail-software"]


def _edit(tmp_path: Path, file: str, index: int, **changes: object) -> Path:
    folder = tmp_path / "catalog"
    shutil.copytree(data_dir(), folder)
    rows = yaml.safe_load((folder / file).read_text())
    rows[index].update(changes)
    (folder / file).write_text(yaml.safe_dump(rows, sort_keys=False))
    return folder


@pytest.mark.parametrize(("file", "changes", "message"), [
    ("failures.yaml", {"hardware_share": 0.5}, r"hardware_share adds up to 1\.14"),
    ("failures.yaml", {"hardware_share": -0.1}, r"\[0\]\.hardware_share: -0.1 is not accepted"),
    ("failures.yaml", {"hardware_share": float("nan")}, r"\[0\]\.hardware_share: nan"),
    ("failures.yaml", {"per": "rack"}, r"\[0\]\.per: 'rack' is not accepted"),
    ("failure_platforms.yaml", {"multipliers": {"fail-gpu": -2}},
     r"multipliers\.fail-gpu: -2 is not accepted"),
    ("failure_platforms.yaml", {"multipliers": {"fail-tpu": 2}},
     r"unknown failure class 'fail-tpu'"),
    ("failure_platforms.yaml", {"system": "hgx-h100"},
     r"system hgx-a100: expected exactly one row, found none"),
    ("failure_platforms.yaml", {"system": "dgx-z9"}, r"unknown system 'dgx-z9'"),
])
def test_bad_failure_rows_are_named(tmp_path, file, changes, message):
    with pytest.raises(CatalogError, match=message):
        load_catalog(_edit(tmp_path, file, 0, **changes))
