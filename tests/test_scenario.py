"""Scenarios: the built-in default, round trips, and one-line errors for bad files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from gigawatt.errors import ScenarioError
from gigawatt.scenario import (
    builtin_scenarios,
    load_scenario,
    scenario_from_text,
    scenario_to_yaml,
)
from gigawatt.scenario.loader import scenario_path


def test_default_is_built_in():
    assert "openai-nvidia-10gw" in builtin_scenarios()


def test_default_reaches_10_gw_with_vera_rubin_first(announced):
    steps = announced.ramp.steps
    assert steps[0].system == "vr-nvl72" and steps[0].period == "2026H2"
    assert steps[-1].facility_gw >= 10


def test_every_default_assumption_has_a_source_or_note(announced, announced_plan):
    for row in announced_plan.assumptions:
        assert row.source and row.source != "given without a source", row.field
    assert announced.ramp.note


def test_yaml_round_trip_is_exact(announced):
    assert scenario_from_text(scenario_to_yaml(announced)) == announced


def _default_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(scenario_path("openai-nvidia-10gw").read_text())
    return data


def _write(tmp_path: Path, data: Any) -> str:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return str(path)


def _mutate(data: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    *parents, last = dotted.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if value is _DELETE:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return data


_DELETE = object()

BAD = [
    ("missing field", "facility.pue", _DELETE, r"facility\.pue: required field is missing"),
    ("negative power", "ramp.steps.1.facility_gw", -2.0,
     r"ramp\.steps\[1\]\.facility_gw: -2\.0 is not accepted: .*greater than or equal to 0"),
    ("unknown system", "ramp.steps.0.system", "tpu-v9",
     r"ramp\.steps\[0\]\.system: unknown system 'tpu-v9'; accepted: .*vr-nvl72"),
    ("ramp backwards", "ramp.steps.3.facility_gw", 3.0,
     r"ramp\.steps\[3\]\.facility_gw: 3 is below the previous step's 3\.5"),
    ("periods out of order", "ramp.steps.1.period", "2026H1",
     r"ramp\.steps\[1\]\.period: '2026H1' does not come after '2026H2'"),
    ("bad period label", "ramp.steps.0.period", "2026-Q3",
     r"ramp\.steps\[0\]\.period: '2026-Q3' is not accepted"),
    ("pue out of range", "facility.pue.value", 0.8,
     r"facility\.pue: value 0\.8 is out of range; accepted: \[1, 3\]"),
    ("assumption without provenance", "facility.utilisation", {"value": 0.8},
     r"facility\.utilisation: give a source or a note"),
    ("unknown field", "facility.colour", "blue", r"facility\.colour: unknown field"),
    ("system before it ships", "ramp.steps.0.system", "vr-ultra-nvl144",
     r"ramp\.steps\[0\]\.period: vr-ultra-nvl144 is available from 2027H2, not 2026H2"),
    ("unpriced platform", "platforms.vr-ultra-nvl144.rack_price_usd", _DELETE,
     r"platforms\.vr-ultra-nvl144\.rack_price_usd: required"),
    ("unknown platform", "platforms.tpu-v9", {}, r"platforms\.tpu-v9: unknown system"),
]


@pytest.mark.parametrize(("case", "field", "value", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_scenario_is_one_clear_line(tmp_path, case, field, value, message):
    path = _write(tmp_path, _mutate(_default_data(), field, value))
    with pytest.raises(ScenarioError, match=message) as info:
        load_scenario(path)
    text = str(info.value)
    assert "\n" not in text
    assert text.startswith(path)


def test_yaml_syntax_error_names_line(tmp_path):
    path = _write(tmp_path, "name: x\nramp: [unclosed\n")
    with pytest.raises(ScenarioError, match=r"bad\.yaml: YAML syntax error \(line 3, column 1\)"):
        load_scenario(path)


def test_missing_path():
    with pytest.raises(ScenarioError, match=r"nowhere\.yaml: file not found"):
        load_scenario("nowhere.yaml")


def test_unknown_name_lists_builtins():
    with pytest.raises(ScenarioError, match=r"unknown scenario 'nope'; accepted: .*nvidia-10gw"):
        load_scenario("nope")


def test_top_level_must_be_a_mapping(tmp_path):
    with pytest.raises(ScenarioError, match="expected a mapping of scenario fields, got list"):
        load_scenario(_write(tmp_path, "- 1\n- 2\n"))


def test_plain_numbers_are_accepted_as_inputs(tmp_path):
    data = _mutate(_default_data(), "facility.pue", 1.3)
    scenario, _ = load_scenario(_write(tmp_path, data))
    assert scenario.facility.pue.value == 1.3
    assert scenario.facility.pue.status == "input"
