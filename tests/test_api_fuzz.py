"""Schema-based fuzzing of the API from its own OpenAPI document: no input gives a 500, and
every request the document calls valid is accepted.

schemathesis generates requests (valid and invalid) for every operation and checks
the responses against the document: status codes and bodies as documented, no server
errors, schema-invalid input refused and schema-valid input accepted. Rules JSON Schema
cannot state (one field bounded by another, a document's cross-record rules) are written in
the operations' descriptions; :data:`RULES` drops the generated "valid" requests that break
one, and ``test_each_documented_rule_is_a_422_naming_its_field`` shows that each is refused.
Bounded: a few examples per operation, no shrinking phase.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from gigawatt.api import ServiceSettings, create_app
from gigawatt.api.http import ApiError
from gigawatt.api.inputs import ScenarioInput, resolve_model, resolve_scenario
from gigawatt.catalog import load_catalog
from gigawatt.errors import GigawattError
from gigawatt.pipeline import gather_inputs
from gigawatt.sweep.sampling import uncertain_inputs
from gigawatt.validation import MAX_API_POOLED_SAMPLES, MAX_API_SAMPLES, no_user_files

# The schema is read at import time, so the app gets its own store folder here.
_STORE_DIR = tempfile.TemporaryDirectory(prefix="gigawatt-fuzz-")
# schemathesis's ASGI client sends "Host: testserver": a name the server is told to answer.
APP = create_app(ServiceSettings(store_path=Path(_STORE_DIR.name) / "runs.duckdb",
                                 allowed_hosts=("testserver",)))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def _remove_store() -> Iterator[None]:
    yield
    _STORE_DIR.cleanup()


def _refused(fn: Callable[..., Any], *args: Any) -> bool:
    try:
        with no_user_files():
            fn(*args)
    except (ApiError, GigawattError):
        return True
    return False


def scenario_rules(body: dict[str, Any]) -> bool:
    """A scenario document or YAML text that breaks the scenario's own rules (a ramp that
    goes backwards, systems the catalog lacks, ...; as POST /api/validate checks them)."""
    given_ = {k: body[k] for k in ("scenario", "scenario_yaml") if k in body}
    if isinstance(given_.get("scenario"), str) and "scenario_yaml" not in given_:
        return False
    return _refused(resolve_scenario, ScenarioInput.model_validate(given_))


def model_rules(body: dict[str, Any]) -> bool:
    """A model document that breaks its cross-field rules (heads within hidden_size, ...)."""
    model = body.get("model")
    return isinstance(model, dict) and _refused(resolve_model, model, load_catalog())


def infer_rules(body: dict[str, Any]) -> bool:
    """seq_len at least input_tokens + output_tokens; one demand (users or tokens_per_day)."""
    tokens = body.get("input_tokens", 1024) + body.get("output_tokens", 256)
    return (model_rules(body) or (body.get("seq_len") is not None and body["seq_len"] < tokens)
            or (body.get("users") is not None and body.get("tokens_per_day") is not None))


def sweep_rules(body: dict[str, Any]) -> bool:
    """The scenario's rules; vary's paths numeric fields of the scenario, its grid bounded."""
    if scenario_rules(body) or not body.get("vary"):
        return scenario_rules(body)
    given_ = {k: body[k] for k in ("scenario", "scenario_yaml") if k in body}
    scenario, _ = resolve_scenario(ScenarioInput.model_validate(given_))
    inputs = gather_inputs(scenario, load_catalog())
    known = {*inputs.values, *uncertain_inputs(scenario, inputs)}
    limit = MAX_API_POOLED_SAMPLES if body.get("backend") == "process" else MAX_API_SAMPLES
    return (any(path not in known for path in body["vary"])
            or math.prod(map(len, body["vary"].values())) > limit)


def fabric_rules(query: dict[str, Any]) -> bool:
    """planes, when given, carry gbps_per_gpu: planes x the switch's port Gb/s >= it."""
    if query.get("planes") is None:
        return False
    catalog = load_catalog()
    system = catalog.resolve_gpu(query["gpu"])
    switch = catalog.switches[query.get("switch") or system.scaleout_switch]
    gbps = float(query.get("gbps_per_gpu") or system.scaleout_gbps_per_package or 0)
    return int(query["planes"]) * switch.port_gbps < gbps


def reliability_rules(query: dict[str, Any]) -> bool:
    """checkpoint_gb and storage_gb_per_s together or not at all."""
    return ("checkpoint_gb" in query) != ("storage_gb_per_s" in query)


RULES: dict[tuple[str, str], Callable[[dict[str, Any]], bool]] = {
    ("POST", "/api/plan"): scenario_rules,
    ("POST", "/api/validate"): scenario_rules,
    ("POST", "/api/editor/yaml"): scenario_rules,
    ("POST", "/api/sweep"): sweep_rules,
    ("GET", "/api/fabric"): fabric_rules,
    ("POST", "/api/train"): model_rules,
    ("POST", "/api/infer"): infer_rules,
    ("GET", "/api/reliability"): reliability_rules,
}
"""Per operation: whether a request breaks a rule its description states (True: drop it)."""


FEASIBILITY_LIMITED = {"/api/train", "/api/infer", "/api/fabric", "/api/reliability"}
"""Operations whose well-formed requests may still be infeasible for the hardware asked
about (a layout that fits no GPU's memory, a latency no batch reaches, a fabric beyond three
tiers, a checkpoint interval shorter than its write): each is a 422 naming the field, but no
rule on the request alone predicts it, so "valid input accepted" is not checked there."""


@schema.hook
def filter_case(context: Any, case: Any) -> bool:
    if not case.meta.generation.mode.is_positive:
        return True  # invalid requests must be refused whatever they hold
    rule = RULES.get((case.method.upper(), case.path))
    data = case.query if case.method.upper() == "GET" else case.body
    return rule is None or not isinstance(data, dict) or not rule(data)


@schema.parametrize()
@settings(max_examples=12, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_api_answers_every_generated_request_without_a_server_error(case):
    # A process-pool sweep runs a whole plan per sample, whatever the sample count: seconds
    # each. The fuzzing keeps sweeps vectorised; test_api_capabilities.py runs the pool.
    if isinstance(case.body, dict) and case.body.get("backend") == "process":
        case.body = {**case.body, "backend": "vectorised"}
    excluded = [positive_data_acceptance] if case.path in FEASIBILITY_LIMITED else []
    case.call_and_validate(excluded_checks=excluded)


def test_fuzzing_covers_every_capability():
    operations = {(op.method.upper(), op.path)
                  for op in (result.ok() for result in schema.get_all_operations())}
    assert operations >= {("POST", "/api/plan"), ("POST", "/api/train"), ("POST", "/api/infer"),
                          ("GET", "/api/fabric"), ("GET", "/api/reliability"),
                          ("POST", "/api/sweep"), ("GET", "/api/runs/diff")}
