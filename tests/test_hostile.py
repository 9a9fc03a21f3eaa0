"""Hostile input and load: generated attacks on the scenario schema, the flags and the API,
concurrent writers on one run store, damaged stores, and no network at run time.

The strategies do not list cases: they take a real scenario document and set any numeric
leaf to NaN, an infinity, a negative number, zero or 1e308, put a wrong type at any
leaf, add an unknown key to any mapping, or nest a value thousands of levels deep.
"""

from __future__ import annotations

import copy
import http.server
import json
import math
import os
import sqlite3
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import pytest
import yaml
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gigawatt import store as store_module
from gigawatt.api import ServiceSettings, create_app
from gigawatt.catalog.browse import scenario_document
from gigawatt.cli.flags import harden
from gigawatt.errors import StoreError
from gigawatt.store import RunStore

LOCAL = "http://127.0.0.1"
SCENARIO = "stargate-2025"
DOC = scenario_document(SCENARIO)  # a build-out: sites, supply, money
RAMP_DOC = scenario_document("openai-nvidia-10gw")  # a ramp, serving, training, investment
HOSTILE_SETTINGS = settings(max_examples=20, deadline=None, derandomize=True, database=None,
                            suppress_health_check=list(HealthCheck))


def leaves(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    """Every leaf of a JSON document with its path."""
    if isinstance(doc, dict):
        return [leaf for k, v in doc.items() for leaf in leaves(v, (*path, k))]
    if isinstance(doc, list):
        return [leaf for i, v in enumerate(doc) for leaf in leaves(v, (*path, i))]
    return [(path, doc)]


def mappings(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path of every mapping in a JSON document."""
    out = []
    if isinstance(doc, dict):
        out.append(path)
        for k, v in doc.items():
            out += mappings(v, (*path, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += mappings(v, (*path, i))
    return out


DEEP = "DEEP-NESTING-PLACEHOLDER"


def put(doc: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    node: Any = out
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return out


def dotted(path: tuple[Any, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


# Each attack: (document, the field path it attacks, whether the result must be refused).
FORBIDDEN = st.sampled_from([math.nan, math.inf, -math.inf])
EDGE = st.sampled_from([-1.0, 0, 1e308])
WRONG_TYPE = st.sampled_from(["x", [1, 2], {"k": 1}, None])


def attacks_on(doc: dict[str, Any]) -> st.SearchStrategy[tuple[dict[str, Any], tuple[Any, ...],
                                                                bool]]:
    numeric = [p for p, v in leaves(doc) if isinstance(v, int | float)
               and not isinstance(v, bool)]
    every = [p for p, _ in leaves(doc)]
    original = dict(leaves(doc))

    def wrong(path: tuple[Any, ...], value: Any) -> bool:  # "x" for a name is no attack
        return value is not None and not (isinstance(value, str)
                                          and isinstance(original[path], str))

    return st.one_of(
        st.tuples(st.sampled_from(numeric), FORBIDDEN).map(
            lambda a: (put(doc, a[0], a[1]), a[0], True)),
        st.tuples(st.sampled_from(numeric), EDGE).map(
            lambda a: (put(doc, a[0], a[1]), a[0], False)),
        st.tuples(st.sampled_from(every), WRONG_TYPE).map(
            lambda a: (put(doc, a[0], a[1]), a[0], wrong(*a))),
        st.sampled_from(mappings(doc)).map(
            lambda p: (put(doc, (*p, "zz_unknown"), 1), (*p, "zz_unknown"), True)),
        st.sampled_from(every).map(lambda p: (put(doc, p, DEEP), p, True)),
    )


attacks = st.one_of(attacks_on(RAMP_DOC), attacks_on(DOC))


def as_yaml(doc: dict[str, Any]) -> str:
    text = yaml.safe_dump(doc, sort_keys=False)
    return text.replace(DEEP, "[" * 2000 + "]" * 2000)


def as_json(doc: dict[str, Any]) -> str:
    text = json.dumps({"scenario": doc, "save": True})  # NaN and Infinity as Python writes
    return text.replace(f'"{DEEP}"', "[" * 2000 + "]" * 2000)


def assert_one_line(err: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gigawatt: error: "), err
    assert "Traceback" not in err and "Warning" not in err, err


def finite_json(data: Any) -> bool:
    return all(not isinstance(v, float) or math.isfinite(v) for _, v in leaves(data))


# ---------- the CLI ----------

@HOSTILE_SETTINGS
@given(attack=attacks)
def test_hostile_scenario_files_are_one_line_and_save_nothing(cli, tmp_path, attack):
    doc, path, must_refuse = attack
    file = tmp_path / "hostile.yaml"
    file.write_text(as_yaml(doc))
    before = len(RunStore().list_runs())
    r = cli("plan", str(file), "--json", "--no-report")
    after = len(RunStore().list_runs())
    if r.code == 0 and not must_refuse:
        assert finite_json(json.loads(r.out)) and after == before + 1
        return
    assert r.code == 2, (dotted(path), r.err)
    assert_one_line(r.err)
    assert r.out == "" and after == before, dotted(path)


COMMANDS = {  # the smallest valid call of each computing command
    "train": ["--model", "llama3-8b", "--gpu", "h100-sxm", "--gpus", "8", "--global-batch", "8"],
    "infer": ["--model", "llama3-8b", "--gpu", "h100-sxm"],
    "fabric": ["--gpus", "64", "--gpu", "b200"],
    "reliability": ["--gpus", "64", "--gpu", "h100-sxm", "--days", "1", "--trials", "10"],
    "sweep": [SCENARIO, "--samples", "5", "--no-save", "--no-report"],
    "plan": ["openai-nvidia-10gw", "--no-report"],  # saves: a refused flag must save nothing
    "compare": ["--workload", "serve:llama3-8b", "--platform", "hgx-h100"],
    "site": ["--power-mw", "100", "--system", "hgx-h100", "--pue", "1.2"],
}
"""``serve`` is left out: its one number (``--port``), if accepted, starts a server."""


def numeric_flags() -> list[tuple[str, str]]:
    import typer

    from gigawatt.cli import app
    from gigawatt.cli.flags import _number_kind

    root = harden(typer.main.get_command(app))
    out = []
    for name in COMMANDS:
        for param in root.commands[name].params:
            kind = getattr(param, "type_descriptor", None)
            if kind is not None and _number_kind(kind.annotation) is not None:
                out.append((name, next(o for o in param.opts if o.startswith("--"))))
    return out


FLAGS = numeric_flags()


def test_every_command_has_numeric_flags_to_attack():
    import typer

    from gigawatt.cli import app

    root = harden(typer.main.get_command(app))
    assert {name for name, _ in FLAGS} == set(COMMANDS)
    assert set(root.commands) - set(COMMANDS) <= {"serve", "catalog", "runs", "scenarios"}
    assert len(FLAGS) > 50


REFUSED = ["nan", "inf", "-inf", "1e308", "9" * 40, "abc"]
"""Values no numeric flag accepts."""
EDGES = ["-1", "0"]
"""Values some flags accept (``--hot-spares 0``): then the result is finite JSON."""


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_hostile_flags_are_one_line_exit_2(cli, command):
    flags = [name for cmd, name in FLAGS if cmd == command]

    @settings(max_examples=3 * len(flags), deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(name=st.sampled_from(flags), value=st.sampled_from(REFUSED + EDGES))
    def attack(name: str, value: str) -> None:
        args = list(COMMANDS[command])
        if name in args:  # replace the flag's value, not give it twice
            args[args.index(name) + 1] = value
        else:
            args += [name, value]
        before = len(RunStore().list_runs())
        r = cli(command, *args, "--json")
        if value in EDGES and r.code == 0:
            assert finite_json(json.loads(r.out)), (name, r.out[:200])
            return
        assert r.code == 2, (command, name, value, r.out[:200])
        assert_one_line(r.err)
        assert r.out == "" and len(RunStore().list_runs()) == before, (command, name, value)

    attack()


def test_digits_that_python_reads_but_int_does_not_are_one_line(cli):
    # '²'.isdigit() is True, int('²') raises: a count in a text flag is ASCII digits only
    base = COMMANDS["train"]
    for flag, value in (("--recompute", "layers:²"), ("--sharding", "hsdp:²")):
        r = cli("train", *base, flag, value, "--json")
        assert r.code == 2 and flag in r.err, (flag, r.err)
        assert_one_line(r.err)


def test_documents_that_would_crash_the_parser_are_one_line(cli, tmp_path):
    cases = {
        "deep.yaml": "a: " + "[" * 2000 + "]" * 2000,
        "digits.yaml": "name: x\nfacility: {pue: " + "9" * 5000 + "}\n",
        "aliases.yaml": "a: &a [1]\n" + "".join(f"b{i}: *a\n" for i in range(200)),
        "huge.yaml": "title: '" + "x" * (2 << 20) + "'\n",
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        r = cli("plan", str(tmp_path / name), "--json", "--no-report")
        assert r.code == 2, name
        assert_one_line(r.err)
        assert name in r.err
    assert RunStore().list_runs() == []


def test_unbounded_quantities_say_their_bound(cli, tmp_path):
    doc = put(RAMP_DOC, ("ramp", "steps", 0, "facility_gw"), 1e11)
    (tmp_path / "big.yaml").write_text(yaml.safe_dump(doc))
    r = cli("plan", str(tmp_path / "big.yaml"), "--json", "--no-report")
    assert r.code == 2 and "ramp.steps[0].facility_gw" in r.err and "1000" in r.err
    model = {"name": "m", "layers": 2, "hidden_size": 8, "ffn_hidden_size": 16,
             "attention_heads": 16, "vocab_size": 100, "gated_mlp": True}
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(model))
    r = cli("infer", "--model", str(tmp_path / "m.yaml"), "--gpu", "h100-sxm", "--json")
    assert r.code == 2 and "attention_heads" in r.err
    assert_one_line(r.err)
    (tmp_path / "m.yaml").write_text(yaml.safe_dump({**model, "hidden_size": 1 << 40}))
    r = cli("infer", "--model", str(tmp_path / "m.yaml"), "--gpu", "h100-sxm", "--json")
    assert r.code == 2 and "hidden_size" in r.err and "1048576" in r.err
    r = cli("sweep", SCENARIO, *[f"--vary=facility.pue={','.join(['1.1'] * 10)}"] * 1,
            "--vary", "facility.utilisation=" + ",".join(["0.5"] * 10),
            "--vary", "facility.it_overhead_fraction=" + ",".join(["0.1"] * 10),
            "--vary", "facility.wue_l_per_kwh=" + ",".join(["1"] * 10),
            "--vary", "facility.grid_kg_co2_per_kwh=" + ",".join(["0.3"] * 10),
            "--vary", "finance.depreciation_years=" + ",".join(["5"] * 10),
            "--json", "--no-save", "--no-report")
    assert r.code == 2 and "grid points" in r.err and "200,000" in r.err


# ---------- the run store ----------

def test_out_that_cannot_hold_the_report_is_refused_before_any_work(cli, tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    for out in (a_file, a_file / "below"):
        r = cli("plan", SCENARIO, "--json", "--out", str(out))
        assert r.code == 2 and "--out" in r.err
        assert_one_line(r.err)
    assert RunStore().list_runs() == []


def test_a_report_that_fails_undoes_the_save(cli, tmp_path, monkeypatch):
    def broken(*args: Any, **kwargs: Any) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("gigawatt.report.html.write_html", broken)
    r = cli("plan", SCENARIO, "--json", "--out", str(tmp_path / "out"))
    assert r.code == 2 and "not saved" in r.err and "No space left" in r.err
    assert_one_line(r.err)
    assert RunStore().list_runs() == []


def test_a_save_that_fails_still_prints_the_result(cli, monkeypatch):
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_S", 0.3)
    holder = subprocess.Popen(  # another process holds the store's file
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('held', flush=True); time.sleep(30)", str(RunStore().path)],
        stdout=subprocess.PIPE, text=True)
    try:
        RunStore().path.parent.mkdir(parents=True, exist_ok=True)
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        r = cli("plan", SCENARIO, "--json", "--no-report")
    finally:
        holder.kill()
        holder.communicate()
    assert r.code == 2 and "run not saved" in r.err
    assert_one_line(r.err)
    result = json.loads(r.out)  # the computed plan is not thrown away
    assert result["run_id"] is None and result["gpus"] > 0


def test_a_busy_store_is_waited_for(monkeypatch):
    path = RunStore().path
    path.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('held', flush=True); time.sleep(1.5); c.close()", str(path)],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    run_id = RunStore().save("plan", "x", "0", "x: 1", {"gpus": 1, "timeline": []})
    holder.communicate()
    assert RunStore().get(run_id)["result"]["gpus"] == 1


def test_eight_concurrent_cli_plans_five_rounds_lose_no_run(tmp_path):
    """Forty saves from eight command-line processes at a time, on one store file. Each is
    a process of its own, as in real use: a process forked from this one would inherit
    the DuckDB state earlier tests left in it, which no real command has."""
    env = {**os.environ, "GIGAWATT_HOME": str(tmp_path / "shared")}
    printed = []
    for _ in range(5):
        procs = [subprocess.Popen([sys.executable, "-m", "gigawatt", "plan",
                                   "openai-nvidia-10gw", "--json", "--no-report"],
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for _ in range(8)]
        for p in procs:
            out, err = p.communicate(timeout=300)
            assert p.returncode == 0, err[-500:]
            printed.append(json.loads(out)["run_id"])
    runs = RunStore(tmp_path / "shared" / "runs.duckdb").list_runs()
    assert len(runs) == 40 and {r["run_id"] for r in runs} == set(printed)


def test_a_result_with_nan_is_never_saved():
    with pytest.raises(StoreError, match=r"not saved: result field timeline\[1\]\.gpus"):
        RunStore().save("plan", "x", "0", "x: 1",
                        {"timeline": [{"period": "a", "gpus": 1.0},
                                      {"period": "b", "gpus": math.nan}]})
    assert RunStore().list_runs() == []


@pytest.mark.parametrize("damage", ["garbage", "truncated", "truncated plan"])
def test_a_damaged_store_is_one_line_naming_the_file(cli, damage):
    path = RunStore().path
    if damage == "garbage":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(64 << 10))
    else:  # a whole plan's store, cut: it opens, then fails to read (an IOException)
        if damage == "truncated plan":
            assert cli("plan", SCENARIO, "--json", "--no-report").code == 0
        else:
            RunStore().save("plan", "x", "0", "x: 1", {"gpus": 1, "timeline": []})
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 3])
    for args in (("runs", "list"), ("plan", SCENARIO, "--json", "--no-report")):
        r = cli(*args)
        assert r.code == 2, (args, r.err)
        assert_one_line(r.err)
        assert str(path) in r.err and "move it aside" in r.err


class _Counting(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Counting.hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_duckdb_reaches_no_network_for_a_file_that_is_not_duckdb(tmp_path, monkeypatch):
    # The extension repository is pointed at a local server that counts requests. With the
    # store's settings nothing is asked for; the same file with auto-install on asks.
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    repo = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        sqlite_file = tmp_path / "runs.duckdb"
        with sqlite3.connect(sqlite_file) as con:
            con.execute("CREATE TABLE t (x)")
        _Counting.hits.clear()
        monkeypatch.setitem(store_module.DUCKDB_CONFIG, "custom_extension_repository", repo)
        with pytest.raises(StoreError, match="move it aside"):
            RunStore(sqlite_file).list_runs()
        assert _Counting.hits == []
        control = {**store_module.DUCKDB_CONFIG, "autoinstall_known_extensions": "true",
                   "autoload_known_extensions": "true"}
        with pytest.raises(duckdb.Error):
            duckdb.connect(str(sqlite_file), config=control)
        assert _Counting.hits, "the control never reached the counting server"
    finally:
        server.shutdown()
        server.server_close()


# ---------- the API ----------

@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Any:
    store = tmp_path_factory.mktemp("hostile-api") / "runs.duckdb"
    with TestClient(create_app(ServiceSettings(store_path=store)), base_url=LOCAL) as c:
        yield c


@HOSTILE_SETTINGS
@given(attack=attacks)
def test_hostile_documents_are_4xx_naming_the_field(api, attack):
    doc, path, must_refuse = attack
    before = len(api.get("/api/runs").json())
    r = api.post("/api/plan", content=as_json(doc),
                 headers={"Content-Type": "application/json"})
    after = len(api.get("/api/runs").json())
    assert r.status_code < 500, (dotted(path), r.text[:300])
    if r.status_code == 200 and not must_refuse:
        assert finite_json(r.json()) and after == before + 1
        return
    assert 400 <= r.status_code < 500 and after == before, dotted(path)
    fields = [p["field"] for p in r.json()["detail"]]
    if DEEP in json.dumps(doc):  # Python's JSON reader cannot place it: the body is named
        # FastAPI's reader gives up on some depths itself (answered as a body that is not
        # JSON), Python's recursion limit on others: either way the body is named
        assert r.json()["detail"][0]["loc"] == ["body"]
        assert r.json()["detail"][0]["msg"] in ("the body is nested too deeply",
                                                "the body is not JSON text in UTF-8")
        return
    here = "scenario." + dotted(path)
    assert any((here.startswith(f) and f.startswith("scenario")) or f.startswith(here)
               for f in fields), (here, fields)


API_CALLS = {  # the smallest valid request of each computing endpoint, as the CLI's COMMANDS
    ("POST", "/api/train"): {"model": "llama3-8b", "gpu": "h100-sxm", "gpus": 8,
                             "global_batch": 8},
    ("POST", "/api/infer"): {"model": "llama3-8b", "gpu": "h100-sxm"},
    ("GET", "/api/fabric"): {"gpus": 64, "gpu": "b200"},
    ("GET", "/api/reliability"): {"gpus": 64, "gpu": "h100-sxm", "days": 1, "trials": 10},
    ("POST", "/api/sweep"): {"scenario": SCENARIO, "samples": 5, "save": False},
    ("POST", "/api/plan"): {"scenario": SCENARIO},
}


def numeric_fields() -> list[tuple[tuple[str, str], str]]:
    """Every number a computing endpoint takes, from the OpenAPI document."""
    doc = create_app().openapi()  # the document /openapi.json serves, with no worker started
    schemas = doc["components"]["schemas"]
    out = []
    for method, path in API_CALLS:
        op = doc["paths"][path][method.lower()]
        if method == "GET":
            props = {p["name"]: p["schema"] for p in op["parameters"]}
        else:
            ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            props = schemas[ref.rsplit("/", 1)[1]]["properties"]
        for name, prop in props.items():
            kinds = {b.get("type") for b in prop.get("anyOf", [prop])}
            if kinds & {"integer", "number"}:
                out.append(((method, path), name))
    return out


API_NUMBERS = numeric_fields()


def test_every_endpoint_has_numbers_to_attack():
    assert {endpoint for endpoint, _ in API_NUMBERS} == set(API_CALLS) - {("POST", "/api/plan")}
    assert len(API_NUMBERS) > 40


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(field=st.sampled_from(API_NUMBERS),
       value=st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -1, 0, 10**40, -10**40,
                              1.5, "abc", True, [1], {"k": 1}]))
def test_hostile_request_fields_are_4xx_naming_the_field(api, field, value):
    (method, path), name = field
    given_ = {**API_CALLS[(method, path)], name: value}
    before = len(api.get("/api/runs").json())
    if method == "GET":
        r = api.get(path, params={k: json.dumps(v) if not isinstance(v, str) else v
                                  for k, v in given_.items()})
    else:  # NaN and Infinity as Python's JSON writer spells them
        r = api.post(path, content=json.dumps(given_),
                     headers={"Content-Type": "application/json"})
    assert r.status_code < 500, (path, name, value, r.text[:300])
    if r.status_code == 200:  # -1, 0 and 1.5 suit some fields: the answer is then finite
        assert value in (-1, 0, 1.5) and finite_json(r.json()), (path, name, value)
        return
    assert 400 <= r.status_code < 500
    assert name in [p["field"] for p in r.json()["detail"]], (path, name, value, r.text[:300])
    assert len(api.get("/api/runs").json()) == before


def test_files_are_not_read_over_http(api):
    for field in ("training", "serving"):
        for value in ("/etc/passwd", "/etc", "/no/such/file.yaml", "../../runs.duckdb"):
            doc = put(DOC, (field, "model"), value)
            for endpoint in ("/api/validate", "/api/plan", "/api/sweep"):
                r = api.post(endpoint, json={"scenario": doc, "save": False}
                             if endpoint != "/api/validate" else {"scenario": doc})
                assert r.status_code == 422, (endpoint, r.text)
                (problem,) = r.json()["detail"]
                assert problem["field"] == f"scenario.{field}.model"
                assert "files are not read over HTTP" in problem["msg"]
                assert "root:" not in r.text and "not found" not in r.text
    r = api.post("/api/train", json={"model": "/etc/passwd", "gpu": "h100-sxm", "gpus": 8,
                                     "global_batch": 8})
    assert r.status_code == 422 and "files are not read over HTTP" in r.text


def test_only_trusted_host_names_are_answered(private_store):
    with TestClient(create_app(), base_url="http://evil.example") as c:
        r = c.get("/api/info")
        assert r.status_code == 400 and r.json()["detail"][0]["field"] == "Host"
        assert c.get("/").status_code == 400
    for host in ("localhost:8000", "127.0.0.1", "[::1]:8000"):
        with TestClient(create_app(), base_url=f"http://{host}") as c:
            assert c.get("/api/info").status_code == 200, host
    app = create_app(ServiceSettings(allowed_hosts=("planner.example",)))
    with TestClient(app, base_url="http://planner.example:8000") as c:
        assert c.get("/api/info").status_code == 200


def test_deeply_nested_json_is_4xx(api):
    body = '{"scenario": ' + "[" * 5000 + "]" * 5000 + "}"
    r = api.post("/api/validate", content=body, headers={"Content-Type": "application/json"})
    assert 400 <= r.status_code < 500, r.text[:200]


def test_many_concurrent_api_saves_lose_no_run(private_store):
    with TestClient(create_app(), base_url=LOCAL) as c, ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda _: c.post("/api/plan", json={"scenario": SCENARIO}),
                                range(16)))
        assert [r.status_code for r in replies] == [200] * 16
        ids = {r.json()["run_id"] for r in replies}
        assert len(ids) == 16 and {r["run_id"] for r in c.get("/api/runs").json()} == ids
