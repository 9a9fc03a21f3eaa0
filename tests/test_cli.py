"""The command line, in-process: contract keys, formats, the run store and bad input."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import yaml

from gigawatt.store import RunStore

PLAN_KEYS = {"scenario", "facility_gw", "it_gw", "gpus", "gpu_dies", "racks", "capex_usd",
             "investment_usd", "first_gw_date", "energy_twh_per_year", "timeline", "run_id"}


def test_plan_json_has_the_contract_keys(cli, tmp_path):
    r = cli("plan", "--json", "--out", str(tmp_path))
    assert r.code == 0, r.err
    d = json.loads(r.out)
    assert d.keys() >= PLAN_KEYS
    assert d["run_id"] and d["facility_gw"] >= 10
    assert Path(d["report_path"]).is_file()


def test_plan_table_shows_the_headline(cli, tmp_path):
    r = cli("plan", "--out", str(tmp_path))
    assert r.code == 0, r.err
    for text in ("Facility power online", "GPU packages", "Claims check", "Timeline",
                 "HTML report:", "Run saved:"):
        assert text in r.out
    assert (tmp_path / "openai-nvidia-10gw.html").is_file()


def test_plan_csv_is_the_timeline(cli, tmp_path):
    r = cli("plan", "--csv", "--no-report", "--no-save")
    assert r.code == 0, r.err
    rows = list(csv.DictReader(io.StringIO(r.out)))
    assert rows[0]["period"] == "2026H2" and rows[-1]["facility_gw"] == "10"
    assert not list(tmp_path.glob("*.html"))


def test_no_save_leaves_the_store_empty(cli, tmp_path):
    r = cli("plan", "--json", "--no-save", "--no-report")
    assert json.loads(r.out)["run_id"] is None
    assert RunStore().list_runs() == []


@pytest.mark.parametrize("name", ["openai-nvidia-10gw", "stargate-2025", "openai-2026-reset"])
def test_scenarios_show_round_trips_through_plan(cli, tmp_path, name):
    r = cli("scenarios", "show", name)
    assert r.code == 0
    path = tmp_path / "mine.yaml"
    path.write_text(r.out)
    direct = json.loads(cli("plan", name, "--json", "--no-save", "--no-report").out)
    copied = json.loads(cli("plan", str(path), "--json", "--no-save", "--no-report").out)
    for key in ("gpus", "capex_usd", "facility_gw", "timeline", "sites", "binding"):
        assert copied[key] == direct[key], key


def test_edited_scenario_changes_the_plan(cli, tmp_path):
    data = yaml.safe_load(cli("scenarios", "show", "openai-nvidia-10gw").out)
    data["name"] = "cheap-racks"
    data["platforms"]["vr-nvl72"]["rack_power_kw"]["value"] = 130
    path = tmp_path / "cheap.yaml"
    path.write_text(yaml.safe_dump(data))
    base = json.loads(cli("plan", "--json", "--no-report").out)
    edited = json.loads(cli("plan", str(path), "--json", "--no-report").out)
    assert edited["scenario"] == "cheap-racks"
    assert edited["gpus"] > base["gpus"]
    d = json.loads(cli("runs", "diff", base["run_id"], edited["run_id"], "--json").out)
    fields = {row["field"] for row in d["inputs"]}
    assert "platforms.vr-nvl72.rack_power_kw.value" in fields and "name" in fields
    assert "gpus" in {row["field"] for row in d["outputs"]}
    first = d["timeline"][0]
    assert first["period"] == "2026H2" and first["gpus"]["b"] > first["gpus"]["a"]
    assert "facility_gw" not in first  # the schedule itself did not change
    assert "Schedule, compute and money" in cli("runs", "diff", base["run_id"],
                                                edited["run_id"]).out


def test_runs_diff_of_the_letter_of_intent_and_stargate(cli):
    base = json.loads(cli("plan", "--json", "--no-report").out)
    stargate = json.loads(cli("plan", "stargate-2025", "--json", "--no-report").out)
    d = json.loads(cli("runs", "diff", base["run_id"], stargate["run_id"], "--json").out)
    inputs = {row["field"] for row in d["inputs"]}
    assert "buildout.sites[0]" in inputs and "ramp.steps[0].period" in inputs
    outputs = {row["field"]: row for row in d["outputs"]}
    assert outputs["schedule_from"]["a"] == "ramp" and outputs["schedule_from"]["b"] == "buildout"
    for key in ("facility_gw", "capex_usd", "fp8_eflops", "first_gw_date"):
        assert key in outputs, key
    rows = {row["period"]: row for row in d["timeline"]}
    # Stargate starts in 2025 on Blackwell at Abilene; the letter of intent in 2026H2 on Rubin
    assert rows["2025H1"]["facility_gw"]["a"] is None and rows["2025H1"]["facility_gw"]["b"] > 0
    assert rows["2025H1"]["system_added"]["b"] == ["gb200-nvl72"]
    assert rows["2026H2"]["system_added"]["a"] == ["vr-nvl72"]
    for key in ("facility_gw", "capex_usd", "fp8_eflops"):
        assert key in rows["2027H2"], key
    sites = {row["site"]: row for row in d["sites"]}
    assert sites["stargate-abilene"]["facility_mw"]["a"] is None
    assert sites["stargate-abilene"]["facility_mw"]["b"] > 1000
    text = cli("runs", "diff", base["run_id"], stargate["run_id"]).out
    assert "Schedule, compute and money" in text and "Sites at the end" in text
    assert "gb200-nvl72" in text


def test_runs_list_show_export(cli, tmp_path):
    run_id = json.loads(cli("plan", "--json", "--no-report").out)["run_id"]
    listed = json.loads(cli("runs", "list", "--json").out)
    assert [r["run_id"] for r in listed] == [run_id]
    shown = json.loads(cli("runs", "show", run_id[:6], "--json").out)
    assert shown["result"]["run_id"] == run_id and "ramp:" in shown["scenario_yaml"]
    exported = json.loads(cli("runs", "export", run_id).out)
    assert exported["gpus"] == shown["result"]["gpus"]
    table = cli("runs", "export", run_id, "--format", "csv").out
    assert table.splitlines()[0].startswith("period,")
    assert "Timeline" in cli("runs", "show", run_id).out


def test_timeline_is_queryable_with_sql(cli):
    run_id = json.loads(cli("plan", "--json", "--no-report").out)["run_id"]
    rows = RunStore().query("SELECT max(gpus), count(*) FROM timeline WHERE run_id = ?", [run_id])
    assert rows[0][1] == 7 and rows[0][0] > 2e6


def test_catalog_commands(cli):
    listed = json.loads(cli("catalog", "list", "systems", "--json").out)
    assert "vr-nvl72" in {row["id"] for row in listed}
    shown = json.loads(cli("catalog", "show", "vr-nvl72", "--json").out)
    assert shown["kind"] == "systems" and shown["source"] and shown["ranges"]["rack_power_kw"]
    assert "Ranges given by sources" in cli("catalog", "show", "vr-nvl72").out
    assert "llama3-405b" in cli("catalog", "list").out


def test_scenarios_list(cli):
    rows = json.loads(cli("scenarios", "list", "--json").out)
    assert rows[0]["name"] == "openai-nvidia-10gw" and rows[0]["schedule"] == "ramp"
    assert {r["name"]: r["schedule"] for r in rows[1:]} == {
        "openai-2026-reset": "buildout", "stargate-2025": "buildout"}


def _one_line_error(r) -> None:
    assert r.code == 2
    assert r.out == ""
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r.err
    assert lines[0].startswith("gigawatt: error: ")
    assert "Traceback" not in r.err


BAD_FILES = {
    "missing field": ("facility", "pue", None, "facility.pue: required field is missing"),
    "negative power": ("ramp", "steps", [{"period": "2026H2", "facility_gw": -1,
                                          "system": "vr-nvl72"}], "facility_gw: -1"),
    "unknown system": ("ramp", "steps", [{"period": "2026H2", "facility_gw": 1,
                                          "system": "x9"}], "unknown system 'x9'"),
    "ramp backwards": ("ramp", "steps", [
        {"period": "2026H2", "facility_gw": 2, "system": "vr-nvl72"},
        {"period": "2027H1", "facility_gw": 1, "system": "vr-nvl72"}], "cannot go backwards"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_scenario_file_one_line_exit_2_nothing_saved(cli, tmp_path, case):
    section, key, value, message = BAD_FILES[case]
    data = yaml.safe_load(cli("scenarios", "show", "openai-nvidia-10gw").out)
    if value is None:
        del data[section][key]
    else:
        data[section][key] = value
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    r = cli("plan", str(path), "--out", str(tmp_path / "out"))
    _one_line_error(r)
    assert str(path) in r.err and message in r.err
    assert RunStore().list_runs() == []
    assert not (tmp_path / "out").exists()


def test_yaml_syntax_error_and_missing_path(cli, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("ramp: {steps: [\n")
    r = cli("plan", str(path))
    _one_line_error(r)
    assert "YAML syntax error (line" in r.err
    r = cli("plan", str(tmp_path / "absent.yaml"))
    _one_line_error(r)
    assert "file not found" in r.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("plan", "--format", "xml"), "'xml' is not one of"),
        (("plan", "--bogus"), "No such option: --bogus"),
        (("catalog", "show", "h999"), "unknown catalog id 'h999'; accepted:"),
        (("catalog", "list", "gadgets"), "unknown catalog kind 'gadgets'"),
        (("runs", "show", "deadbeef"), "run 'deadbeef' not found"),
        (("plan", "--json", "--csv"), "--json and --csv cannot be used together"),
        (("frobnicate",), "No such command"),
    ],
)
def test_bad_flags_and_ids_are_one_line(cli, args, message):
    r = cli(*args)
    _one_line_error(r)
    assert message in r.err


def test_help_lists_commands(cli):
    r = cli("--help")
    assert r.code == 0
    for command in ("plan", "catalog", "scenarios", "runs"):
        assert command in r.out
