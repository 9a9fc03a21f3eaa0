"""The HTTP API in-process (FastAPI's test client): every endpoint, its errors, the token
rule, limits, and concurrent plans writing to one run store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest
import yaml
from fastapi.testclient import TestClient

from gigawatt.api import ServiceSettings, create_app, lane
from gigawatt.api.http import problem_from_error
from gigawatt.api.workers import Busy, ComputePool, Stopped
from gigawatt.errors import ScenarioError
from gigawatt.report.charts import plan_figures
from gigawatt.store import RunStore

PLAN_KEYS = {"scenario", "facility_gw", "it_gw", "gpus", "gpu_dies", "racks", "capex_usd",
             "investment_usd", "first_gw_date", "energy_twh_per_year", "timeline", "run_id"}
DEFAULT = "openai-nvidia-10gw"

LOCAL = "http://127.0.0.1"  # the tests' client names a loopback host, as a browser would


@pytest.fixture
def client(private_store):
    """The app on loopback, on the test's private run store (the CLI's default store)."""
    with TestClient(create_app(), base_url=LOCAL) as c:
        yield c


@pytest.fixture
def document(client):
    """The default scenario as the JSON document the editor starts from."""
    return client.get(f"/api/scenarios/{DEFAULT}").json()


def cli_json(cli, *args):
    r = cli(*args, "--json")
    assert r.code == 0, r.err
    return json.loads(r.out)


def only_problem(response, status=422):
    assert response.status_code == status, response.text
    problems = response.json()["detail"]
    assert len(problems) == 1, problems
    return problems[0]


# ---------- the OpenAPI document and the service ----------

def test_openapi_document_lists_every_endpoint(client):
    doc = client.get("/openapi.json").json()
    assert set(doc["paths"]) == {
        "/api/info", "/api/plan", "/api/validate", "/api/train", "/api/infer", "/api/fabric",
        "/api/reliability", "/api/sweep", "/api/catalog", "/api/catalog/{entry_id}",
        "/api/scenarios", "/api/scenarios/{name}", "/api/runs", "/api/runs/diff",
        "/api/runs/{run_id}", "/api/runs/{run_id}/view", "/api/runs/{run_id}/export",
        "/api/editor/form", "/api/editor/yaml", "/api/sources"}
    assert doc["info"]["title"] == "gigawatt"
    assert client.get("/docs").status_code == 404  # Swagger UI would load a CDN script


def test_info_on_loopback_needs_no_token(client):
    info = client.get("/api/info").json()
    assert info["token_required"] is False and info["writes_enabled"] is True
    assert info["default_scenario"] == DEFAULT


# ---------- plan ----------

def test_plan_of_a_builtin_is_the_cli_plan(client, cli):
    r = client.post("/api/plan", json={"save": False})
    assert r.status_code == 200, r.text
    api = r.json()
    assert api.keys() >= PLAN_KEYS and api["run_id"] is None
    local = cli_json(cli, "plan", "--no-save", "--no-report")
    local.pop("report_path")
    assert api == local
    assert RunStore().list_runs() == []


def test_saved_plan_lands_in_the_cli_run_store(client, cli):
    run_id = client.post("/api/plan", json={"scenario": DEFAULT}).json()["run_id"]
    assert run_id
    listed = cli_json(cli, "runs", "list")
    assert [r["run_id"] for r in listed] == [run_id]
    shown = cli_json(cli, "runs", "show", run_id)
    assert shown["result"]["run_id"] == run_id and shown["kind"] == "plan"


def test_plan_of_a_document_and_of_yaml(client, document):
    base = client.post("/api/plan", json={"save": False}).json()
    same = client.post("/api/plan", json={"scenario": document, "save": False}).json()
    assert same == base
    text = client.get(f"/api/scenarios/{DEFAULT}?format=yaml").text
    assert client.post("/api/plan", json={"scenario_yaml": text, "save": False}).json() == base
    document["facility"]["pue"]["value"] = 1.3
    hotter = client.post("/api/plan", json={"scenario": document, "save": False}).json()
    assert hotter["facility_gw"] == base["facility_gw"] and hotter["it_gw"] < base["it_gw"]


def test_plan_with_view_has_the_report_charts(client):
    r = client.post("/api/plan", json={"save": False, "view": True}).json()
    view = r["view"]
    assert set(view["figures"]) == set(plan_figures(r)) >= {"power", "gpus", "capex", "compute"}
    assert all(f["data"] and f["layout"]["title"] for f in view["figures"].values())
    assert view["headline_rows"][0][0] == "Facility power online"
    assert {c["verdict"] for c in view["claim_rows"]} <= {"within", "below", "above",
                                                         "not reached"}
    assert len(view["claim_rows"]) == len(r["claims"])


def _set(doc, path, value):
    node = doc
    for key in path[:-1]:
        node = node[key]
    if value is None:
        del node[path[-1]]
    else:
        node[path[-1]] = value


BAD_DOCUMENTS = {
    "out of range": (("facility", "pue", "value"), 9, "scenario.facility.pue",
                     "out of range; accepted: [1, 3]"),
    "missing": (("facility", "pue"), None, "scenario.facility.pue", "required field is missing"),
    "unknown field": (("facility", "colour"), "blue", "scenario.facility.colour",
                      "unknown field"),
    "not a number": (("ramp", "steps", 2, "facility_gw"), "lots",
                     "scenario.ramp.steps[2].facility_gw", "'lots' is not accepted"),
    "backwards": (("ramp", "steps", 1, "facility_gw"), 0.5,
                  "scenario.ramp.steps[1].facility_gw", "cannot go backwards"),
    "unknown system": (("ramp", "steps", 0, "system"), "x9", "scenario.ramp.steps[0].system",
                       "unknown system 'x9'"),
    "too early": (("ramp", "steps", 0, "period"), "2024H1", "scenario.ramp.steps[0].period",
                  "available from"),
}


@pytest.mark.parametrize("case", BAD_DOCUMENTS)
def test_invalid_document_is_422_naming_the_field_and_nothing_is_saved(client, document, case):
    path, value, field, reason = BAD_DOCUMENTS[case]
    _set(document, path, value)
    for url in ("/api/plan", "/api/validate"):
        problem = only_problem(client.post(url, json={"scenario": document}))
        assert problem["field"] == field and reason in problem["msg"], problem
        assert problem["loc"][:2] == ["body", "scenario"]
    assert RunStore().list_runs() == []


def test_every_schema_problem_is_reported_at_once(client, document):
    document["facility"]["pue"]["value"] = 9
    document["finance"]["depreciation_years"]["value"] = -1
    r = client.post("/api/plan", json={"scenario": document})
    assert r.status_code == 422
    assert {p["field"] for p in r.json()["detail"]} == {"scenario.facility.pue",
                                                        "scenario.finance.depreciation_years"}


BAD_REQUESTS = {
    "unknown name": ({"scenario": "nope"}, "scenario", "unknown scenario 'nope'"),
    "a path is not a name": ({"scenario": "/etc/passwd.yaml"}, "scenario", "unknown scenario"),
    "both inputs": ({"scenario": DEFAULT, "scenario_yaml": "name: x"}, "scenario",
                    "not both"),
    "yaml syntax": ({"scenario_yaml": "name: [x"}, "scenario_yaml", "YAML syntax error (line"),
    "yaml alias": ({"scenario_yaml": "a: &x [1]\nb: *x\n"}, "scenario_yaml", "aliases"),
    "yaml list": ({"scenario_yaml": "- 1\n"}, "scenario_yaml", "expected a mapping"),
    "not a mapping": ({"scenario": ["x"]}, "scenario", ""),
    "save not a boolean": ({"save": "maybe"}, "save", "boolean"),
    "no 0 for false": ({"save": 0}, "save", "boolean"),
    "unknown key": ({"scenarios": DEFAULT}, "scenarios", "Extra inputs"),
}


@pytest.mark.parametrize("case", BAD_REQUESTS)
def test_bad_plan_request_is_422_naming_the_field(client, case):
    body, field, text = BAD_REQUESTS[case]
    problems = client.post("/api/plan", json=body)
    assert problems.status_code == 422, problems.text
    assert any(p["field"] == field and text in p["msg"] for p in problems.json()["detail"])


def test_body_that_is_not_json_is_422(client):
    for content in (b"{not json", b"\xff\xfe\x00"):
        r = client.post("/api/plan", content=content,
                        headers={"Content-Type": "application/json"})
        assert r.status_code == 422, r.text
        assert r.json()["detail"][0]["loc"][0] == "body"


def test_library_messages_become_field_paths():
    p = problem_from_error(ScenarioError("scenario: platforms.vr-nvl72.rack_price_usd: required"))
    assert p.field == "scenario.platforms.vr-nvl72.rack_price_usd" and p.msg == "required"
    assert p.loc == ["body", "scenario", "platforms", "vr-nvl72", "rack_price_usd"]
    p = problem_from_error(ScenarioError("scenario: ramp.steps[3].period: too early"))
    assert p.loc == ["body", "scenario", "ramp", "steps", 3, "period"]
    p = problem_from_error(ScenarioError("unknown thing 'x'; accepted: y"))
    assert p.field == "" and p.msg == "unknown thing 'x'; accepted: y"


# ---------- limits ----------

def test_request_body_over_the_limit_is_413(private_store):
    with TestClient(create_app(ServiceSettings(max_body_bytes=2000)), base_url=LOCAL) as c:
        big = {"scenario_yaml": "x" * 3000}
        assert only_problem(c.post("/api/plan", json=big), 413)["type"] == "too_large"
        streamed = c.post("/api/plan", content=iter([b'{"scenario_yaml": "', b"x" * 3000, b'"}']),
                          headers={"Content-Type": "application/json"})
        assert streamed.status_code == 413, streamed.text
        assert c.post("/api/plan", json={"save": False}).status_code == 200


def test_a_plan_over_the_time_limit_is_503_and_saves_nothing(private_store):
    with TestClient(create_app(ServiceSettings(timeout_s=0.01)), base_url=LOCAL) as c:
        problem = only_problem(c.post("/api/plan", json={}), 503)
        assert problem["type"] == "timeout" and "0.01 s" in problem["msg"]
        assert "stopped" in problem["msg"]
        assert c.get("/api/runs").json() == []
        assert c.app.state.service.pool.processes == []  # its worker was killed


def test_a_computation_past_its_deadline_is_killed():
    pool = ComputePool(size=1, max_waiting=0, memory_bytes=None)
    try:
        assert pool.run(abs, (-3,), {}, timeout_s=30) == 3
        (pid,) = pool.processes
        started = time.monotonic()
        with pytest.raises(Stopped):
            pool.run(time.sleep, (30,), {}, timeout_s=0.5)
        assert time.monotonic() - started < 10
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # the process that ran it is gone, with its memory
        assert pool.run(abs, (-4,), {}, timeout_s=30) == 4  # a fresh worker takes over
    finally:
        pool.close()


def test_heavy_requests_beyond_the_limit_are_refused_at_once():
    pool = ComputePool(size=1, max_waiting=0, memory_bytes=None)
    try:
        with ThreadPoolExecutor(1) as threads:
            running = threads.submit(pool.run, time.sleep, (3,), {}, 30)
            deadline = time.monotonic() + 20
            while not pool.processes and time.monotonic() < deadline:
                time.sleep(0.05)  # until the first call holds the only worker
            started = time.monotonic()
            with pytest.raises(Busy):
                pool.run(abs, (1,), {}, timeout_s=30)
            assert time.monotonic() - started < 1
            assert running.result(timeout=30) is None
    finally:
        pool.close()


def test_a_worker_over_its_memory_limit_fails_cleanly():
    pool = ComputePool(size=1, max_waiting=0, memory_bytes=2 << 30)
    try:
        with pytest.raises(MemoryError):
            pool.run(bytearray, (8 << 30,), {}, timeout_s=60)
        assert pool.run(abs, (-5,), {}, timeout_s=30) == 5
    finally:
        pool.close()


def test_a_pool_closed_and_started_again_hands_out_live_workers():
    """An app's lifespan may run twice (two test clients, a reloaded server): the workers of
    the first are stopped and forgotten, none handed out again."""
    pool = ComputePool(size=2, max_waiting=0, memory_bytes=None)
    try:
        with ThreadPoolExecutor(2) as threads:  # two workers, both idle after
            calls = [threads.submit(pool.run, time.sleep, (0.5,), {}, 30) for _ in range(2)]
            assert [c.result(timeout=30) for c in calls] == [None, None]
        first = set(pool.processes)
        assert len(first) == 2
        pool.close()
        assert pool.processes == []
        pool.start()
        with ThreadPoolExecutor(2) as threads:
            calls = [threads.submit(pool.run, abs, (-n,), {}, 30) for n in (6, 7)]
            assert sorted(c.result(timeout=30) for c in calls) == [6, 7]
        assert first.isdisjoint(pool.processes)
    finally:
        pool.close()


def test_an_unreachable_run_store_is_503(tmp_path, monkeypatch):
    monkeypatch.setattr(lane, "STORE_BUSY_RETRIES", 2)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    app = create_app(ServiceSettings(store_path=blocker / "runs.duckdb"))
    with TestClient(app, base_url=LOCAL) as c:
        problem = only_problem(c.post("/api/plan", json={}), 503)
        assert problem["type"] == "store_unavailable"
        assert "cannot open the run store" in problem["msg"]
        assert c.get("/api/runs").status_code == 503
        assert c.post("/api/plan", json={"save": False}).status_code == 200


# ---------- the token rule ----------

@pytest.mark.parametrize("host, required", [
    ("127.0.0.1", False), ("127.0.0.2", False), ("::1", False), ("localhost", False),
    ("0.0.0.0", True), ("::", True), ("192.0.2.7", True), ("planner.example", True)])
def test_token_is_required_off_loopback(host, required):
    assert ServiceSettings(host=host).token_required is required


def test_writes_off_loopback_need_the_token(private_store):
    app = create_app(ServiceSettings(host="0.0.0.0", token="s3cret"))
    with TestClient(app, base_url=LOCAL) as c:
        assert c.get("/api/info").json()["token_required"] is True
        missing = c.post("/api/plan", json={})
        assert only_problem(missing, 401)["type"] == "unauthorized"
        assert missing.headers["WWW-Authenticate"] == "Bearer"
        for header in ("Bearer wrong", "s3cret", "Basic s3cret"):
            assert c.post("/api/plan", json={},
                          headers={"Authorization": header}).status_code == 401
        assert c.get("/api/runs").json() == []
        ok = c.post("/api/plan", json={}, headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200 and ok.json()["run_id"]
        # reads need no token; every computation does, saved or not
        assert c.post("/api/plan", json={"save": False}).status_code == 401
        for path in ("/api/validate", "/api/train", "/api/infer", "/api/sweep"):
            assert c.post(path, json={}).status_code == 401, path
        assert c.get("/api/fabric", params={"gpus": 8, "gpu": "b200"}).status_code == 401
        assert len(c.get("/api/runs").json()) == 1


def test_without_a_token_off_loopback_writes_are_disabled(private_store):
    with TestClient(create_app(ServiceSettings(host="0.0.0.0")), base_url=LOCAL) as c:
        assert c.get("/api/info").json()["writes_enabled"] is False
        r = c.post("/api/plan", json={}, headers={"Authorization": "Bearer anything"})
        assert "GIGAWATT_TOKEN" in only_problem(r, 403)["msg"]
        assert c.post("/api/plan", json={"save": False}).status_code == 403


def test_token_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("GIGAWATT_TOKEN", "abc")
    assert ServiceSettings.from_env("0.0.0.0", 9000).token == "abc"
    monkeypatch.setenv("GIGAWATT_TOKEN", "")
    assert ServiceSettings.from_env().token is None


# ---------- catalog and scenarios ----------

def test_catalog_matches_the_cli(client, cli):
    assert client.get("/api/catalog").json() == cli_json(cli, "catalog", "list")
    systems = client.get("/api/catalog", params={"kind": "systems"}).json()
    assert systems == cli_json(cli, "catalog", "list", "systems")
    assert {r["kind"] for r in systems} == {"systems"} and all(r["source"] for r in systems)
    entry = client.get("/api/catalog/vr-nvl72").json()
    assert entry == cli_json(cli, "catalog", "show", "vr-nvl72")
    assert entry["source"] and entry["ranges"]["rack_power_kw"]


def test_catalog_errors(client):
    problem = only_problem(client.get("/api/catalog", params={"kind": "gadgets"}))
    assert problem["field"] == "kind" and "accepted: accelerators" in problem["msg"]
    assert only_problem(client.get("/api/catalog", params={"kind": ""}))["field"] == "kind"
    problem = only_problem(client.get("/api/catalog/h999"), 404)
    assert problem["field"] == "entry_id" and "unknown catalog id 'h999'" in problem["msg"]


def test_scenarios_match_the_cli(client, cli):
    assert client.get("/api/scenarios").json() == cli_json(cli, "scenarios", "list")
    assert client.get(f"/api/scenarios/{DEFAULT}").json() == cli_json(
        cli, "scenarios", "show", DEFAULT)
    r = client.get(f"/api/scenarios/{DEFAULT}", params={"format": "yaml"})
    assert r.headers["content-type"].startswith("application/yaml")
    assert r.text == cli("scenarios", "show", DEFAULT).out
    assert yaml.safe_load(r.text)["name"] == DEFAULT


def test_scenario_errors(client):
    assert only_problem(client.get("/api/scenarios/nope"), 404)["field"] == "name"
    assert client.get("/api/scenarios/..%2F..%2Fetc%2Fpasswd").status_code == 404
    assert only_problem(client.get(f"/api/scenarios/{DEFAULT}",
                                   params={"format": "xml"}))["field"] == "format"
    assert client.post("/api/validate", json={"scenario": DEFAULT}).json() == {
        "valid": True, "scenario": DEFAULT}


# ---------- runs ----------

@pytest.fixture
def two_runs(client, document):
    a = client.post("/api/plan", json={"scenario": DEFAULT}).json()["run_id"]
    document["ramp"]["steps"][-1]["facility_gw"] = 12
    b = client.post("/api/plan", json={"scenario": document}).json()["run_id"]
    return a, b


def test_runs_list_show_diff_export_match_the_cli(client, cli, two_runs):
    a, b = two_runs
    assert client.get("/api/runs").json() == cli_json(cli, "runs", "list")
    assert client.get(f"/api/runs/{a}").json() == cli_json(cli, "runs", "show", a)
    assert client.get(f"/api/runs/{a[:6]}").json()["run_id"] == a
    diff = client.get("/api/runs/diff", params={"a": a, "b": b}).json()
    assert diff == cli_json(cli, "runs", "diff", a, b)
    # the built-in file and the editor's document differ only where the user edited
    assert diff["inputs"] == [{"field": "ramp.steps[6].facility_gw", "a": 10.0, "b": 12}]
    assert {"facility_gw", "gpus", "capex_usd"} <= {o["field"] for o in diff["outputs"]}
    assert client.get(f"/api/runs/{b}/export").json() == json.loads(
        cli("runs", "export", b).out)
    csv_text = client.get(f"/api/runs/{b}/export", params={"format": "csv"})
    assert csv_text.headers["content-type"].startswith("text/csv")
    assert csv_text.text == cli("runs", "export", b, "--format", "csv").out


def test_run_view_has_the_report_charts(client, two_runs):
    run = client.get(f"/api/runs/{two_runs[1]}").json()
    view = client.get(f"/api/runs/{two_runs[1]}/view").json()
    assert set(view["figures"]) == set(plan_figures(run["result"]))
    assert view["headline_rows"][0] == ["Facility power online", "12.00 GW", "by 2029H2"]


def test_run_errors(client, two_runs):
    a, _ = two_runs
    problem = only_problem(client.get("/api/runs/abcdef012345"), 404)
    assert problem["field"] == "run_id" and "not found" in problem["msg"]
    assert only_problem(client.get("/api/runs/NOT-HEX"))["field"] == "run_id"
    assert only_problem(client.get("/api/runs/diff", params={"a": a, "b": "0" * 12}),
                        404)["field"] == "b"
    assert only_problem(client.get("/api/runs/diff", params={"a": a}))["field"] == "b"
    assert only_problem(client.get(f"/api/runs/{a}/export",
                                   params={"format": "pdf"}))["field"] == "format"


def test_ambiguous_prefix_and_non_plan_runs(client, monkeypatch):
    store = RunStore()
    ids = iter(["abc0" + "0" * 28, "abc1" + "0" * 28])
    with monkeypatch.context() as patch:
        patch.setattr(uuid, "uuid4", lambda: SimpleNamespace(hex=next(ids)))
        for _ in range(2):
            store.save("plan", "x", "0", "name: x\n", {"timeline": []})
    # well-formed requests that conflict with what the store holds: 409, as documented
    problem = only_problem(client.get("/api/runs/abc"), 409)
    assert problem["field"] == "run_id" and "ambiguous" in problem["msg"]
    sweep = store.save("sweep", "x", "0", "name: x\n", {})
    assert client.get(f"/api/runs/{sweep}/view").json() == {"figures": {}}
    problem = only_problem(client.get("/api/runs/diff", params={"a": "abc0", "b": sweep}), 409)
    assert problem["field"] == "b" and "sweep" in problem["msg"]
    other = store.save("fabric", "x", "0", "name: x\n", {})
    assert "only plan and sweep runs" in only_problem(
        client.get(f"/api/runs/{other}/view"), 409)["msg"]
    responses = client.get("/openapi.json").json()["paths"]
    for path in ("/api/runs/{run_id}", "/api/runs/diff", "/api/runs/{run_id}/view"):
        assert "409" in responses[path]["get"]["responses"], path


def test_concurrent_plans_write_one_intact_store(client):
    """16 plans at once, with reads in between: every run saved whole, none lost."""
    def save(i):
        body = {"scenario": DEFAULT} if i % 2 else {"scenario_yaml": client.get(
            f"/api/scenarios/{DEFAULT}?format=yaml").text}
        r = client.post("/api/plan", json=body)
        assert r.status_code == 200, r.text
        listed = client.get("/api/runs")
        assert listed.status_code == 200
        return r.json()["run_id"]

    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(save, range(16)))
    assert len(set(ids)) == 16
    store = RunStore()
    assert {r["run_id"] for r in store.list_runs()} == set(ids)
    assert store.query("SELECT count(*), count(DISTINCT run_id) FROM timeline") == [(16 * 7, 16)]
    for run_id in ids:
        assert store.get(run_id)["result"]["run_id"] == run_id
    # the lane has let go of the file: another configuration (another process) may open it
    duckdb.connect(str(store.path), read_only=True).close()


# ---------- the dashboard's files ----------

def test_dashboard_page_and_assets_are_local(client):
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert '<script src="/static/app.js"' in page.text
    assert '"/assets/plotly.min.js"' in client.get("/static/app.js").text  # loaded by app.js
    plotly_js = client.get("/assets/plotly.min.js")
    assert plotly_js.status_code == 200 and len(plotly_js.content) > 1_000_000
    assert "javascript" in plotly_js.headers["content-type"]
    assert plotly_js.headers["content-encoding"] == "gzip"  # 4.6 MB travels as about 1.4 MB
    assert int(plotly_js.headers["content-length"]) < len(plotly_js.content) / 2
    plain = client.get("/assets/plotly.min.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == plotly_js.content
    for asset in ("/static/app.js", "/static/style.css"):
        assert client.get(asset).status_code == 200
    static = Path(__file__).resolve().parent.parent / "src" / "gigawatt" / "api" / "static"
    for path in static.iterdir():
        text = path.read_text()
        for loader in ('src="http', "src='http", 'href="http', "url(http", "@import", "import("):
            assert loader not in text, f"{path.name} loads {loader}..."


# ---------- the command and the import rule ----------

def _served(monkeypatch) -> list:
    """The uvicorn configs ``gigawatt serve`` would run, without starting a server."""
    import uvicorn

    configs: list = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, *a, **k: configs.append(self.config))
    return configs


def test_serve_command_binds_loopback_by_default(cli, monkeypatch):
    configs = _served(monkeypatch)
    r = cli("serve")
    assert r.code == 0, r.err
    config = configs[-1]
    assert config.host == "127.0.0.1" and config.port == 8000
    assert config.app.state.service.settings.token_required is False
    assert "http://127.0.0.1:8000/" in r.err


def test_serve_command_warns_off_loopback_without_token(cli, monkeypatch):
    configs = _served(monkeypatch)
    monkeypatch.delenv("GIGAWATT_TOKEN", raising=False)
    r = cli("serve", "--host", "0.0.0.0", "--port", "9000")
    assert r.code == 0 and "computing and saving are disabled" in r.err
    assert configs[-1].port == 9000
    monkeypatch.setenv("GIGAWATT_TOKEN", "t")
    r = cli("serve", "--host", "0.0.0.0")
    assert "disabled" not in r.err
    assert configs[-1].app.state.service.settings.token == "t"


def test_serve_command_rejects_a_bad_port(cli):
    r = cli("serve", "--port", "0")
    assert r.code == 2 and "--port" in r.err


def test_import_gigawatt_does_not_import_the_web_stack():
    code = ("import sys, gigawatt, gigawatt.cli; "
            "print(sorted(m for m in ('fastapi', 'uvicorn', 'starlette') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"



def test_an_idle_worker_never_holds_up_exit(tmp_path):
    # multiprocessing joins live non-daemon children at exit; an idle worker no pool tracks
    # any more (or a pool still referenced then) must not keep the process from exiting
    script = tmp_path / "leave_a_worker.py"
    script.write_text("import multiprocessing\n"
                      "from gigawatt.api.workers import _Worker\n"
                      "if __name__ == '__main__':\n"
                      "    w = _Worker(multiprocessing.get_context('forkserver'), None)\n"
                      "    print(w.process.pid)\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and done.stdout.strip().isdigit(), done.stderr
