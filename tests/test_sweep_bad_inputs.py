"""Bad sweep input, generated: a distribution whose support leaves its field's range, a target
on an unknown output, a correlation matrix that is not positive definite. Each is one line on
stderr naming the field, exit code 2, nothing on stdout."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gigawatt.sweep.analysis import ALIASES
from gigawatt.sweep.evaluation import output_names
from gigawatt.sweep.sampling import field_range

FIELDS = ("facility.pue", "facility.utilisation", "facility.it_overhead_fraction",
          "facility.wue_l_per_kwh", "facility.grid_kg_co2_per_kwh",
          "platforms.vr-nvl72.rack_power_kw", "serving.share_of_fleet", "training.tokens",
          "demand.user_growth_per_year", "investment.usd_per_tranche")
"""Fields of the default scenario that may carry a distribution, each with a range."""
CHECKS = settings(max_examples=25, deadline=None, derandomize=True,
                  suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def default_data(announced):
    return announced.model_dump(mode="json", exclude_none=True)


def _one_line_exit_2(cli, tmp_path, data, *extra):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    r = cli("sweep", str(path), "--samples", "10", "--json", "--no-save", "--no-report",
            *extra)
    assert r.code == 2 and r.out == "", (r.code, r.out[:200], r.err)
    assert len(r.err.strip().splitlines()) == 1, r.err
    return r.err


@st.composite
def outside(draw):
    """``(field, distribution)`` whose support has a bound outside the field's range."""
    path = draw(st.sampled_from(FIELDS))
    low, high = field_range(path)
    scale = max(abs(low), abs(high), 1.0) if high < 1e6 else max(abs(low), 1.0) * 1e6
    gap = draw(st.floats(1e-3, 10.0)) * scale
    below = draw(st.booleans()) or high >= 1e15 / 2  # above 1e15 overflows nothing useful
    bad = low - gap if below else high + gap
    inside = draw(st.floats(low, min(high, low + scale), exclude_min=True))
    lo, hi = sorted((bad, inside))
    form = draw(st.sampled_from(("uniform", "triangular", "choice")))
    params = {"uniform": [lo, hi], "triangular": [lo, inside, hi], "choice": [lo, inside, hi]}
    return path, bad, {form: params[form]}


@CHECKS
@given(case=outside())
def test_a_support_outside_its_field_is_named(cli, tmp_path, default_data, case):
    path, bad, distribution = case
    data = yaml.safe_load(yaml.safe_dump(default_data))
    *parents, last = path.split(".")
    node = data
    for part in parents:
        node = node[part]
    node[last] = {"value": node[last]["value"], "distribution": distribution, "status": "input"}
    err = _one_line_exit_2(cli, tmp_path, data)
    assert f"{path}: distribution bound {bad:g} is out of range; accepted:" in err


NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,24}", fullmatch=True)


@CHECKS
@given(name=NAMES, op=st.sampled_from(("<=", "<", ">=", ">")),
       value=st.floats(-1e9, 1e9, allow_nan=False))
def test_a_target_on_an_unknown_output_is_named(cli, announced, name, op, value):
    assume(ALIASES.get(name, name) not in output_names(announced))
    r = cli("sweep", "--samples", "10", "--target", f"{name}{op}{value!r}", "--no-save",
            "--no-report")
    assert r.code == 2 and r.out == ""
    assert len(r.err.strip().splitlines()) == 1, r.err
    assert "--target" in r.err and f"unknown output {name!r}; accepted:" in r.err


CORRELATED = ("facility.pue", "facility.utilisation", "finance.depreciation_years")
ENTRY = st.integers(-100, 100).map(lambda k: k / 100)  # exact in YAML


@CHECKS
@given(a=ENTRY, b=ENTRY, c=ENTRY)
def test_a_correlation_that_is_not_positive_definite_is_named(cli, tmp_path, default_data,
                                                              a, b, c):
    matrix = [[1.0, a, b], [a, 1.0, c], [b, c, 1.0]]
    assume(np.linalg.eigvalsh(np.array(matrix))[0] <= 1e-10)
    data = {**default_data, "correlation": {"inputs": list(CORRELATED), "matrix": matrix,
                                            "status": "input"}}
    err = _one_line_exit_2(cli, tmp_path, data)
    assert "correlation.matrix" in err and "not positive definite" in err
