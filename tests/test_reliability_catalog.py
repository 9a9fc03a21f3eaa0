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


def test_failure_classes_cover_the_issue_list_with_one_unit_each(catalog):
    classes = catalog.failures
    per = {c.id: c.per for c in classes.values()}
    assert per == {
        "fail-gpu": "gpu", "fail-hbm": "gpu", "fail-nvlink": "domain",
        "fail-scaleout": "scaleout_port", "fail-switch": "switch", "fail-host": "host",
        "fail-power": "domain", "fail-job-software": "job", "fail-job-collective": "job",
        "fail-job-storage": "job", "planned-maintenance": "maintenance", "straggler": "host"}
    assert sum(c.hardware_share or 0 for c in classes.values()) == pytest.approx(1.0)
    assert sum(c.job_share or 0 for c in classes.values()) == pytest.approx(1.0)
    hardware = {"gpu", "host", "scaleout_port", "switch", "domain"}
    for c in classes.values():
        # every class has exactly one way to get its rate: a hardware share, a job share,
        # the profile's planned restarts, or a hand-written rate (stragglers)
        ways = [c.hardware_share is not None, c.job_share is not None,
                c.per == "maintenance", c.rate_per_part_year is not None]
        assert sum(ways) == 1, c.id
        assert (c.hardware_share is not None) == (c.per in hardware and c.effect == "interrupt")
        assert c.source.strip() and c.status


def test_no_platform_scales_a_class_by_an_error_count(catalog):
    """Delta's 3.2x counts H100 memory errors, not interruptions: no multiplier uses it."""
    for row in catalog.failure_platforms.values():
        assert 3.2 not in row.multipliers.values(), row.id
    assert catalog.failure_platform("hgx-h100").multipliers.get("fail-hbm", 1.0) == 1.0


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
