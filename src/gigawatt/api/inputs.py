"""What requests give: a scenario (a built-in name, a JSON document or YAML text) and a
model (a catalog ID or a model document), and the base classes of request inputs.

Only built-in names are looked up; a request can never name a file on the server.
Schema problems are all reported at once, each with its field path, so the
dashboard's editor can show every message next to its field.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
)

from gigawatt.api.documents import check_document, scenario_document_schema
from gigawatt.api.http import ApiError, bad_input, problem, problem_from_error
from gigawatt.catalog import Catalog, load_catalog
from gigawatt.catalog.schema import ModelSpec
from gigawatt.errors import GigawattError, ScenarioError
from gigawatt.scenario import (
    DEFAULT_SCENARIO,
    Scenario,
    builtin_scenarios,
    load_scenario,
    scenario_to_yaml,
)
from gigawatt.scenario.checks import check_scenario
from gigawatt.validation import dump, field_errors, field_path, record_adapter
from gigawatt.yamlio import parse_yaml

T = TypeVar("T")


class BodyInput(BaseModel):
    """A JSON body: unknown keys refused, no coercion (no 0 for false, no 1 for "1"), and
    finite numbers only (Python's JSON reader takes NaN and Infinity)."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


def _whole(value: Any) -> Any:
    if isinstance(value, float):
        if not value.is_integer():  # NaN and infinities too
            raise ValueError(f"{value!r} is not a whole number; accepted: a whole number")
        return int(value)
    return value


Whole = Annotated[int, BeforeValidator(_whole)]
"""A whole number where a request takes one: JSON has a single number type, so ``8.0`` is 8;
``1.5`` is refused naming the field (strict bodies still refuse ``true`` and ``"8"``)."""

_JSON_BOUNDS = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum",
                "lt": "exclusiveMaximum"}


def json_bounds(node: Any) -> None:
    """Rename, in place, the bounds pydantic writes under their Python names (``ge``) into
    the JSON Schema of a nullable :data:`Whole` to JSON Schema's (``minimum``)."""
    if isinstance(node, dict):
        if node.get("type") == "integer":
            for python, name in _JSON_BOUNDS.items():
                if python in node:
                    node[name] = node.pop(python)
        for value in node.values():
            json_bounds(value)
    elif isinstance(node, list):
        for value in node:
            json_bounds(value)


class QueryInput(BaseModel):
    """Query parameters: unknown names refused, finite numbers only."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


ScenarioName = Annotated[str, Field(max_length=128, json_schema_extra={
    "enum": list(builtin_scenarios())})]
"""A built-in scenario's name (GET /api/scenarios)."""


ScenarioDocument = Annotated[dict[str, Any], WithJsonSchema(scenario_document_schema())]
"""A scenario document in a request: checked against its schema too, so nothing the schema
refuses is read leniently ("1.5" for a number)."""


class ScenarioInput(BodyInput):
    """Which scenario: ``scenario`` (a built-in name or a document) or ``scenario_yaml``,
    never both (the OpenAPI document says so with ``not: {required: [both]}``)."""

    model_config = ConfigDict(json_schema_extra={"not": {"required": ["scenario",
                                                                      "scenario_yaml"]}})

    scenario: ScenarioName | ScenarioDocument = Field(
        DEFAULT_SCENARIO,
        description="A built-in scenario name (GET /api/scenarios), or a scenario document: "
                    "the JSON form of a scenario YAML file (GET /api/scenarios/{name}).")
    scenario_yaml: str | None = Field(  # its size is bounded by the request body limit
        None, description="A scenario YAML document, as 'gigawatt plan FILE' reads it; "
                          "instead of 'scenario'.")


def check_one_scenario(given: ScenarioInput) -> None:
    """Raise 422 if the request gives both ``scenario`` and ``scenario_yaml`` (even null)."""
    if {"scenario", "scenario_yaml"} <= given.model_fields_set:
        raise bad_input("scenario", "give either 'scenario' or 'scenario_yaml', not both")


def resolve_scenario(given: ScenarioInput) -> tuple[Scenario, str]:
    """The validated, cross-checked scenario and the YAML text a saved run keeps.

    Raises :class:`ApiError` (422) naming every schema problem's field path, or the
    first cross-check problem's.
    """
    check_one_scenario(given)
    if given.scenario_yaml is not None:
        return _validated(_yaml_document(given.scenario_yaml), "scenario_yaml"), \
            given.scenario_yaml
    if isinstance(given.scenario, str):
        name = given.scenario
        if name not in builtin_scenarios():
            raise bad_input("scenario", f"unknown scenario {name!r}; accepted: a built-in name "
                            f"({', '.join(builtin_scenarios())}) or a scenario document")
        return load_scenario(name)
    scenario = _validated(given.scenario, "scenario")
    check_document(given.scenario, scenario_document_schema(), "scenario")
    return scenario, scenario_to_yaml(scenario)


def in_request(exc: GigawattError, scenario: Scenario, given: ScenarioInput
               ) -> ApiError | GigawattError:
    """A pipeline's error that names the scenario (``scenario NAME: buildout.target: ...``)
    as a 422 at the request field the scenario came in, so an infeasible build-out is at
    ``scenario.buildout.target``; any other error as it is."""
    prefix = f"scenario {scenario.name}: "
    if not str(exc).startswith(prefix):
        return exc
    where = "scenario_yaml" if given.scenario_yaml is not None else "scenario"
    return ApiError(422, [problem_from_error(
        exc, text=f"{where}: {str(exc).removeprefix(prefix)}")])


def _yaml_document(text: str) -> Any:
    try:  # aliases let a few bytes of YAML expand into a huge document: not accepted here
        aliased = any(isinstance(e, yaml.AliasEvent) for e in yaml.parse(text, yaml.SafeLoader))
    except yaml.YAMLError:
        aliased = False  # parse_yaml below reports the syntax error with its line and column
    if aliased:
        raise bad_input("scenario_yaml", "YAML aliases (*name) are not accepted")
    try:
        return parse_yaml(text, "scenario_yaml", ScenarioError)
    except GigawattError as exc:
        raise ApiError(422, [problem_from_error(exc)]) from None


def _validated(data: Any, where: str) -> Scenario:
    if not isinstance(data, dict):
        raise bad_input(where, f"expected a mapping of scenario fields, got {type(data).__name__}")
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ApiError(422, [problem(field_path(loc), reason)
                             for loc, reason in field_errors(exc, (where,))]) from None
    catalog = load_catalog()
    check_catalog_models(scenario, catalog, where)
    try:
        check_scenario(scenario, catalog, where)
    except ScenarioError as exc:
        raise ApiError(422, [problem_from_error(exc)]) from None
    return scenario


FILES_NOT_READ = "files are not read over HTTP"
"""What a 422 says when a request names something that is not a catalog ID or document."""


def check_catalog_models(scenario: Scenario, catalog: Catalog, where: str) -> None:
    """Raise 422 unless every model the scenario names is a catalog model ID.

    On the command line a scenario may name a model YAML file; over HTTP nothing is read
    from the server's disk, and nothing is said about what exists there.
    """
    problems = [
        problem(f"{where}.{section}.model", f"{block.model!r} is not a catalog model ID; "
                f"{FILES_NOT_READ}; accepted: {', '.join(sorted(catalog.models))}")
        for section, block in (("serving", scenario.serving), ("training", scenario.training))
        if block is not None and block.model not in catalog.models
    ]
    if problems:
        raise ApiError(422, problems)


MAX_SEED = 2**53 - 1
"""The largest random seed a request may give: the largest whole number every JSON reader
holds exactly (a bigger one may arrive as a neighbour, or refused as over 2**63 - 1)."""
MAX_GPUS = 10_000_000
"""The most GPUs a capability request may name: beyond a 10 GW build-out's millions."""


def catalog_ids(*kinds: str) -> list[str]:
    """The built-in catalog's IDs of these kinds: the values the OpenAPI document lists for
    a field that names a catalog entry (the library checks them and names the field)."""
    catalog = load_catalog()
    return sorted(entry_id for kind in kinds for entry_id in catalog.of_kind(kind))


GpuId = Annotated[str, Field(
    min_length=1, max_length=128, json_schema_extra={"enum": catalog_ids("accelerators",
                                                                         "systems")},
    description="An accelerator or system ID (GET /api/catalog?kind=systems), e.g. vr-nvl72.")]
"""A request's ``gpu`` field."""
ModelId = Annotated[str, Field(min_length=1, max_length=128, json_schema_extra={
    "enum": catalog_ids("models")})]
"""A request's ``model`` field when it names a catalog model."""
MAX_TOKENS_PER_SEQUENCE = 1 << 21
"""The longest sequence a request may name (``seq_len``, ``input_tokens``), tokens."""


def one_of(values: Iterable[str], default: str | None, description: str) -> Any:
    """A string field whose accepted values the OpenAPI document lists; the library checks
    them, so a value outside is a 422 with the library's message."""
    return Field(default, description=description, max_length=64,
                 json_schema_extra={"enum": list(values)})


MAX_MODEL_DIMENSION = 1 << 20
"""The largest whole number a model document may hold (layers, sizes, heads, experts)."""
MODEL_DOCUMENT = ("A catalog model ID (GET /api/catalog?kind=models), or a model document: "
                  "the JSON form of a model file (name, layers, hidden_size, ffn_hidden_size, "
                  "attention_heads, kv_heads, vocab_size, gated_mlp, moe, ...).")
"""The description of a request's ``model`` field."""


def _inlined(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            return _inlined(defs[node["$ref"].rsplit("/", 1)[1]], defs)
        out = {k: _inlined(v, defs) for k, v in node.items() if k != "$defs"}
        if out.get("type") == "integer":  # every whole number of a model is a dimension
            out["maximum"] = min(out.get("maximum", MAX_MODEL_DIMENSION), MAX_MODEL_DIMENSION)
        return out
    if isinstance(node, list):
        return [_inlined(v, defs) for v in node]
    return node


def model_document_schema() -> dict[str, Any]:
    """The JSON Schema of a model document: :class:`ModelSpec`'s, every whole number at most
    :data:`MAX_MODEL_DIMENSION`, nested records inlined (the OpenAPI document has no place for
    their definitions)."""
    schema = record_adapter(ModelSpec).json_schema()
    return {**_inlined(schema, schema.get("$defs", {})), "title": "ModelDocument",
            "description": MODEL_DOCUMENT_RULES}


MODEL_DOCUMENT_RULES = (
    "A model document. Beyond this schema: attention_heads at most hidden_size unless head_dim "
    "is given; moe.active_experts at most moe.routed_experts; moe.dense_layers at most layers; "
    "hybrid_layer_pattern one character per layer, with mamba when it has M layers; and the "
    "shape must run on the GPU asked for (a 422 names the field otherwise).")

ModelDocument = Annotated[dict[str, Any], WithJsonSchema(model_document_schema())]
"""A model document in a request: validated strictly (no "8" for 8), as its schema says."""


class ModelInput(BodyInput):
    """A request about one model: a catalog ID or a model document."""

    model: ModelId | ModelDocument = Field(description=MODEL_DOCUMENT)


def with_model(fn: Callable[..., T], given: ModelInput) -> T:
    """``fn(model, **fields, catalog=...)``: the request's model resolved (see
    :func:`resolve_model`), its other fields ``fn``'s keyword arguments."""
    catalog = load_catalog()
    model = resolve_model(given.model, catalog)
    return fn(model, **given.model_dump(exclude={"model"}), catalog=catalog)


def resolve_model(model: str | dict[str, Any], catalog: Catalog, field: str = "model"
                  ) -> str | ModelSpec:
    """A catalog model ID, or a model document validated into a :class:`ModelSpec`.

    Raises :class:`ApiError` (422) for an unknown ID (a request never names a file on
    the server), naming every schema problem's field path, or a dimension over
    :data:`MAX_MODEL_DIMENSION` or one that leaves no room for a head.
    """
    if isinstance(model, str):
        if model not in catalog.models:
            raise bad_input(field, f"unknown model {model!r} ({FILES_NOT_READ}); accepted: a "
                                   f"catalog model ID ({', '.join(sorted(catalog.models))}) "
                                   "or a model document")
        return model
    try:  # strict, as the document's schema says; 8.0 is 8 there too (see Whole)
        spec = record_adapter(ModelSpec).validate_json(json.dumps(_whole_floats(model)),
                                                       strict=True)
    except ValidationError as exc:
        raise ApiError(422, [problem(field_path(loc), reason)
                             for loc, reason in field_errors(exc, (field,))]) from None
    problems = [problem(f"{field}.{path}", f"{value} is over the {MAX_MODEL_DIMENSION:,} this "
                        f"service accepts")
                for path, value in _whole_numbers(dump(spec)) if value > MAX_MODEL_DIMENSION]
    if spec.head_dim is None and spec.attention_heads > spec.hidden_size:
        problems.append(problem(f"{field}.attention_heads", f"{spec.attention_heads} heads "
                                f"leave no room in hidden_size {spec.hidden_size}; accepted: at "
                                "most hidden_size heads, or a head_dim"))
    if problems:
        raise ApiError(422, problems)
    return spec


def _whole_floats(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _whole_floats(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_whole_floats(v) for v in node]
    return int(node) if isinstance(node, float) and node.is_integer() else node


def _whole_numbers(data: dict[str, Any], prefix: str = "") -> list[tuple[str, int]]:
    out = []
    for key, value in data.items():
        if isinstance(value, dict):
            out += _whole_numbers(value, f"{prefix}{key}.")
        elif isinstance(value, int) and not isinstance(value, bool):
            out.append((prefix + key, value))
    return out
