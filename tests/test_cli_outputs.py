"""Every output is fit to hand on: the run store works for plans and sweeps, diffs are
complete, tables read at 80 and 200 columns, CSV has no Python reprs, one formatter names
every quantity, and the flags say what they do."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
import typer
import yaml

from gigawatt.cli import app

WIDTHS = (80, 200)


@pytest.fixture
def width(request, monkeypatch):
    monkeypatch.setenv("COLUMNS", str(request.param))
    return request.param


def _words_intact(text: str, cells: list[str]) -> None:
    """Every word of every cell appears whole in the output (no 'facilit y')."""
    flat = " ".join(text.split())
    for cell in cells:
        for word in cell.split():
            assert word in flat, f"{word!r} is broken or missing"


def _lines_fit(text: str, width: int) -> None:
    assert max(len(line.rstrip()) for line in text.splitlines()) <= width


def _plan(cli, *args: str) -> dict:
    return json.loads(cli("plan", *args, "--json", "--no-report").out)


def _edited(cli, tmp_path, name: str, edit) -> str:
    data = yaml.safe_load(cli("scenarios", "show", "openai-nvidia-10gw").out)
    edit(data)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def _sweep(cli, *args: str) -> dict:
    return json.loads(cli("sweep", *args, "--json", "--no-report").out)


# -- the run store: every kind of run ---------------------------------------------------------

def test_saved_sweeps_show_export_diff_and_list(cli):
    a = _sweep(cli, "--samples", "8", "--seed", "1")["run_id"]
    b = _sweep(cli, "--samples", "8", "--seed", "2")["run_id"]
    grid = _sweep(cli, "--vary", "facility.pue=1.1,1.3")["run_id"]
    shown = cli("runs", "show", a)
    assert shown.code == 0 and "Sweep of openai-nvidia-10gw" in shown.out
    assert "Capex (USD)" in shown.out
    rows = list(csv.DictReader(io.StringIO(cli("runs", "export", a, "--format", "csv").out)))
    assert {"output", "unit", "p10", "p50", "p90"} <= rows[0].keys()
    assert {r["output"]: r["unit"] for r in rows}["capex_usd"] == "USD"
    grid_rows = list(csv.DictReader(io.StringIO(cli("runs", "export", grid, "--csv").out)))
    assert [float(r["facility.pue"]) for r in grid_rows] == [1.1, 1.3]
    d = json.loads(cli("runs", "diff", a, b, "--json").out)
    assert d["kind"] == "sweep" and not d["identical"]
    assert {"field": "seed", "a": 1, "b": 2, "delta": 1, "ratio": 2.0} in d["settings"]
    assert "capex_usd.p50" in {o["field"] for o in d["outputs"]}
    assert "Outputs that differ" in cli("runs", "diff", a, b).out
    listed = cli("runs", "list")
    assert listed.out.count("sweep") == 3
    assert {r["kind"] for r in json.loads(cli("runs", "list", "--json").out)} == {"sweep"}


def test_a_plan_and_a_sweep_do_not_diff(cli):
    p = _plan(cli)["run_id"]
    s = _sweep(cli, "--samples", "4")["run_id"]
    r = cli("runs", "diff", p, s)
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1
    assert "runs diff compares two runs of one kind" in r.err


def test_diff_of_a_pue_change_covers_every_headline_output_and_assumption(cli, tmp_path):
    first = _plan(cli)
    base = first["run_id"]

    def pue(data):
        data["facility"]["pue"]["value"] = 1.3
    second = _plan(cli, _edited(cli, tmp_path, "pue", pue))
    edited = second["run_id"]
    d = json.loads(cli("runs", "diff", base, edited, "--json").out)
    outputs = {o["field"] for o in d["outputs"]}
    from gigawatt.compare import headline_keys

    changed = {k for k in headline_keys(first) if first.get(k) != second.get(k)}
    assert {"output_tokens_per_day", "network_power_mw", "gpus", "capex_usd",
            "it_gw"} <= changed
    assert changed <= outputs, changed - outputs  # every headline figure that moved
    assumed = {a["field"]: a for a in d["assumptions"]}
    assert assumed["facility.pue"]["a"] == 1.15 and assumed["facility.pue"]["b"] == 1.3
    text = cli("runs", "diff", base, edited).out
    assert "Assumptions that differ" in text and "Frontier run (days)" in text


def test_identical_runs_say_no_differences(cli):
    a, b = _plan(cli)["run_id"], _plan(cli)["run_id"]
    assert json.loads(cli("runs", "diff", a, b, "--json").out)["identical"] is True
    text = cli("runs", "diff", a, b).out
    assert "no differences" in text and "━" not in text


# -- tables at 80 and 200 columns ---------------------------------------------------------------

@pytest.mark.parametrize("width", WIDTHS, indirect=True)
def test_plan_tables_keep_words_and_the_basis_column(cli, tmp_path, width):
    from gigawatt.report.terminal import headline_rows

    def huge(data):
        for step in data["ramp"]["steps"]:
            step["facility_gw"] *= 100
    for args in ((), (_edited(cli, tmp_path, "huge", huge),)):
        r = json.loads(cli("plan", *args, "--json", "--no-report", "--no-save").out)
        text = cli("plan", *args, "--no-report", "--no-save").out
        _lines_fit(text, width)
        _words_intact(text, [cell for row in headline_rows(r) for cell in row])
    assert r["facility_gw"] == 1000


@pytest.mark.parametrize("width", WIDTHS, indirect=True)
def test_runs_list_and_diff_read_at_the_width(cli, width):
    ids = [_plan(cli)["run_id"], _plan(cli, "stargate-2025")["run_id"]]
    listed = cli("runs", "list").out
    _lines_fit(listed, width)
    assert all(i[:8] in listed for i in ids) and "stargate-2025" in listed
    if width >= 80:
        assert "━" in listed  # side by side, not the stacked fallback
    text = cli("runs", "diff", *ids).out
    _lines_fit(text, width)
    _words_intact(text, ["Facility power (GW)", "Schedule, compute and money by half-year"])


def test_a_table_too_wide_for_the_line_stacks_its_rows(monkeypatch, cli):
    from rich.console import Console

    from gigawatt.report.terminal import FittedTable

    t = FittedTable("T", ["name", "a", "b"], [("alpha", "x" * 30, "y" * 30)], numeric=(1, 2))
    narrow = Console(width=50, record=True)
    narrow.print(t)
    text = narrow.export_text()
    assert "a: " + "x" * 30 in text and "━" not in text
    wide = Console(width=120, record=True)
    wide.print(t)
    assert "━" in wide.export_text()


# -- CSV ------------------------------------------------------------------------------------

def test_csv_has_no_reprs_and_rounded_numbers(cli):
    text = cli("plan", "stargate-2025", "--csv", "--no-report", "--no-save").out
    assert "[" not in text and "'" not in text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["system_added"] == "gb200-nvl72"
    assert any(";" in r["system_added"] for r in rows)  # two platforms in one half-year
    for row in rows:
        for key, cell in row.items():
            if re.fullmatch(r"-?\d+\.\d+", cell or ""):
                digits = cell.lstrip("-").replace(".", "").lstrip("0")
                assert len(digits) <= 6, (key, cell)


# -- one formatter -------------------------------------------------------------------------

def test_sweep_tables_use_names_and_units(cli):
    text = cli("sweep", "--samples", "8", "--no-report", "--no-save").out
    assert "capex_usd" not in text and "usd_per_gpu_hour" not in text
    assert "Capex (USD)" in text and "Cost per GPU-hour (USD/GPU-h)" in text


def test_a_grid_prints_its_points_not_quantiles(cli):
    text = cli("sweep", "--vary", "facility.pue=1.1,1.3", "--no-report", "--no-save").out
    assert "P10" not in text and "P90" not in text
    assert "Grid over facility.pue" in text and "1.1" in text and "1.3" in text


def test_mfu_is_a_percentage_in_train_and_plan(cli):
    args = ("train", "--model", "gpt3-175b", "--gpu", "a100-sxm-80gb", "--gpus", "1024",
            "--seq-len", "2048", "--global-batch", "1536")
    train = cli(*args)
    assert train.code == 0, train.err
    mfu = json.loads(cli(*args, "--json").out)["mfu"]
    assert f"{mfu:.1%}" in train.out
    plan = cli("plan", "--no-report", "--no-save").out
    r = _plan(cli, "--no-save")
    assert f"MFU {r['training_mfu']:.1%}" in plan


def test_the_formatter(cli):
    from gigawatt.report.format import label, show

    assert label("capex_usd") == "Capex (USD)"
    assert show("capex_usd", 510.5e9) == "$510.5B"
    assert show("training_mfu", 0.543) == "54.3%"
    assert show("gpus", 2_208_888) == "2.21M"
    assert label("platforms.vr-nvl72.rack_power_kw") == "platforms.vr-nvl72.rack_power_kw (kW)"


# -- flags -----------------------------------------------------------------------------------

def test_version(cli):
    from gigawatt.version import __version__

    r = cli("--version")
    assert r.code == 0 and r.out.strip() == f"gigawatt {__version__}"


@pytest.mark.parametrize("args", [("plan", "--format", "json", "--csv"),
                                  ("plan", "--format", "csv", "--json"),
                                  ("infer", "--format", "csv", "--json")])
def test_conflicting_formats_are_one_line(cli, args):
    r = cli(*args)
    assert r.code == 2 and r.out == ""
    assert len(r.err.strip().splitlines()) == 1 and "ask for different formats" in r.err


def test_agreeing_formats_are_fine(cli):
    r = cli("plan", "--format", "json", "--json", "--no-report", "--no-save")
    assert r.code == 0 and json.loads(r.out)["gpus"] > 0


def _commands():
    command = typer.main.get_command(app)
    out = []

    def walk(c, path):
        if hasattr(c, "list_commands"):
            for name in c.list_commands(None):
                walk(c.get_command(None, name), [*path, name])
        else:
            out.append((path, c))
    walk(command, [])
    return out


def test_every_command_but_serve_takes_json_and_says_so(cli):
    for path, command in _commands():
        if path == ["serve"]:
            continue
        opts = {o for p in command.params for o in getattr(p, "opts", [])}
        assert "--json" in opts, path
        assert "--json" in cli(*path, "--help").out and "JSON" in cli(*path, "--help").out


def test_runs_export_takes_json(cli):
    run_id = _plan(cli)["run_id"]
    assert json.loads(cli("runs", "export", run_id, "--json").out)["run_id"] == run_id
    assert cli("runs", "export", run_id, "--json", "--format", "csv").code == 2


# -- progress ----------------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ("sweep", "--samples", "8", "--no-report", "--no-save"),
    ("reliability", "--gpus", "1024", "--gpu", "a100-sxm-80gb", "--days", "30",
     "--trials", "200"),
])
def test_progress_goes_to_stderr_and_json_stays_clean(cli, monkeypatch, args):
    monkeypatch.setenv("GIGAWATT_PROGRESS", "always")
    r = cli(*args, "--json")
    assert r.code == 0 and json.loads(r.out)  # stdout is the JSON document alone
    assert re.search(r"(sweep: samples|reliability: Monte Carlo trials)", r.err)
    assert re.search(r"\d+/\d+", r.err)
    monkeypatch.setenv("GIGAWATT_PROGRESS", "auto")  # stderr is not a terminal here
    assert cli(*args, "--json").err == ""


def test_progress_counts_every_sample_and_the_tornado():
    from gigawatt.scenario import load_scenario
    from gigawatt.sweep import sweep

    calls = []
    scenario = load_scenario("openai-nvidia-10gw")[0]
    result = sweep(scenario, samples=8, progress=lambda done, total: calls.append((done, total)))
    d = len(result.paths)
    assert calls[-1] == (8 + 2 * d + 1, 8 + 2 * d + 1)
    assert [c[0] for c in calls] == sorted(c[0] for c in calls)


@pytest.mark.parametrize("width", WIDTHS, indirect=True)
def test_listings_read_side_by_side_at_the_width(cli, width):
    rows = json.loads(cli("catalog", "list", "--json").out)
    text = cli("catalog", "list").out
    _lines_fit(text, width)
    _words_intact(text, [r["id"] for r in rows] + [r["name"] for r in rows])
    assert text.count("━") >= 8  # a table per kind, none stacked
    scenarios = cli("scenarios", "list").out
    _lines_fit(scenarios, width)
    assert "━" in scenarios
