"""What the dashboard's pages need from the API: the editor's form and YAML, sweep charts,
the bibliography, and built-in plans computed once per app."""

from __future__ import annotations

import re

import pytest
import yaml
from fastapi.testclient import TestClient

from gigawatt.api import create_app
from gigawatt.api.documents import scenario_document_schema, scenario_models
from gigawatt.catalog import load_catalog
from gigawatt.catalog.sources import bibliography
from gigawatt.scenario import DEFAULT_SCENARIO
from gigawatt.scenario.form import CATALOG_FIELDS, CATALOG_KEYS, CATALOG_VALUES, scenario_form

LOCAL = "http://127.0.0.1"  # the server answers only its own (loopback) host names


@pytest.fixture
def client(private_store):
    with TestClient(create_app(), base_url=LOCAL) as c:
        yield c


def fields(spec):
    return {f["name"]: f["spec"] for f in spec["fields"]}


def test_form_types_each_field_from_the_schema():
    form = fields(scenario_form())
    facility = fields(form["facility"])
    assert facility["pue"] == {"kind": "assumption", "min": 1.0, "max": 3.0, "low_open": False}
    assert fields(form["finance"])["depreciation_years"]["max"] == 30.0
    step = fields(fields(form["ramp"])["steps"]["item"])
    assert step["system"] == {"kind": "choice", "catalog": "systems",
                              "options": sorted(load_catalog().systems)}
    assert step["period"]["kind"] == "string" and step["period"]["pattern"]
    assert step["facility_gw"]["kind"] == "number" and step["facility_gw"]["min"] == 0.0
    assert fields(form["serving"])["precision"] == {"kind": "choice",
                                                    "options": ["bf16", "fp8", "fp4"]}
    assert fields(form["training"])["seq_len"]["integer"] is True
    assert form["network"]["fields"][0]["spec"]["key"]["catalog"] == "systems"
    assert fields(form["network"])["switches"]["value"]["catalog"] == "switches"
    assert fields(form["buildout"])["sites"]["item"]["catalog"] == "sites"
    # Provenance is shown, never typed in as a number.
    for name in ("sources", "claims"):
        assert form[name]["kind"] == "readonly"
    assert fields(form["ramp"])["source"]["kind"] == "readonly"
    assert fields(form["ramp"])["steps"]["min_items"] == 1


def test_every_field_naming_catalog_ids_is_in_the_one_table():
    # The form's choices and the API schema's enums both read these tables; a field whose
    # description says it holds IDs (Claim.sites once did) must be listed.
    named = {(model, name) for model, kind in scenario_models().items()
             for name, info in kind.model_fields.items()
             if re.search(r"\bIDs?\b", info.description or "")}
    listed = CATALOG_FIELDS.keys() | CATALOG_KEYS.keys() | CATALOG_VALUES.keys()
    assert named and named <= listed, named - listed
    models = scenario_models()
    assert all(name in models[model].model_fields for model, name in listed)


def test_api_schema_enumerates_the_catalog_fields():
    schema = scenario_document_schema()
    catalog = load_catalog()
    claim = schema["properties"]["claims"]["items"]["properties"]
    assert claim["sites"]["items"]["enum"] == sorted(catalog.sites)
    assert schema["properties"]["platforms"]["propertyNames"]["enum"] == sorted(catalog.systems)


def test_editor_routes_serve_the_form_and_yaml_of_an_edited_document(client):
    assert client.get("/api/editor/form").json() == scenario_form()
    doc = client.get(f"/api/scenarios/{DEFAULT_SCENARIO}").json()
    doc["name"] = "my-edit"
    doc["facility"]["pue"] = {"value": 1.3, "status": "input"}
    r = client.post("/api/editor/yaml", json={"scenario": doc})
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"] == 'attachment; filename="my-edit.yaml"'
    back = yaml.safe_load(r.text)
    assert back["name"] == "my-edit" and back["facility"]["pue"]["value"] == 1.3


def test_editor_yaml_names_every_field_at_fault(client):
    doc = client.get(f"/api/scenarios/{DEFAULT_SCENARIO}").json()
    doc["name"] = "Not A Name"
    doc["facility"]["pue"]["value"] = 9
    doc["facility"]["utilisation"]["value"] = 1.5
    r = client.post("/api/editor/yaml", json={"scenario": doc})
    assert r.status_code == 422
    assert {p["field"] for p in r.json()["detail"]} == {
        "scenario.name", "scenario.facility.pue", "scenario.facility.utilisation"}


def test_sweep_view_returns_tornado_and_marked_histograms(client):
    r = client.post("/api/sweep", json={"samples": 16, "save": False, "view": True})
    assert r.status_code == 200, r.text
    figures = r.json()["view"]["figures"]
    assert {"tornado-capex_usd", "histogram-capex_usd"} <= set(figures)
    marks = [a["text"] for a in figures["histogram-capex_usd"]["layout"]["annotations"]]
    assert marks == ["P10", "P50", "P90"]
    assert "view" not in client.post("/api/sweep", json={"samples": 4, "save": False}).json()


def test_plan_view_has_the_report_tables(client):
    view = client.post("/api/plan", json={"save": False, "view": True}).json()["view"]
    assert set(view["tables"]) == {"timeline", "sites", "binding", "tranches", "assumptions",
                                   "sources"}
    assert view["tables"]["timeline"]["columns"][0] == "period"
    assert view["timeline_csv"].startswith("period,")


def test_sources_route_is_the_bibliography(client):
    rows = client.get("/api/sources").json()
    assert [r["id"] for r in rows] == list(bibliography())
    assert all(r["url"].startswith("http") for r in rows)


def test_a_builtin_plan_is_computed_once_per_app(private_store):
    from gigawatt.api.routes.plan import _plan

    def counting(c: TestClient) -> list[int]:
        """Count the plans the app's workers compute (they run in other processes)."""
        service = c.app.state.service
        real, calls = service.compute, []

        async def counted(fn, *args, **kwargs):
            if fn is _plan:
                calls.append(1)
            return await real(fn, *args, **kwargs)

        service.compute = counted
        return calls

    with TestClient(create_app(), base_url=LOCAL) as c:
        calls = counting(c)
        first = c.post("/api/plan", json={"save": False}).json()
        again = c.post("/api/plan", json={"save": False}).json()
        saved = c.post("/api/plan", json={}).json()  # saved: its own run ID, same figures
        assert len(calls) == 1
        assert first == again and saved["run_id"] and saved["capex_usd"] == first["capex_usd"]
        doc = c.get(f"/api/scenarios/{DEFAULT_SCENARIO}").json()
        c.post("/api/plan", json={"scenario": doc, "save": False})  # a document: computed
        assert len(calls) == 2
    with TestClient(create_app(), base_url=LOCAL) as c:  # a new app computes afresh
        calls = counting(c)
        c.post("/api/plan", json={"save": False})
        assert len(calls) == 1
