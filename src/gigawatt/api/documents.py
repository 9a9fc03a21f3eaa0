"""The JSON Schemas of the documents a request may carry (a scenario, a model), as the
OpenAPI document states them, and the check that a document meets its schema.

Each schema is the pydantic model's, made honest for HTTP: a scenario's numbers in their
three forms (a plain number, a bare distribution, or ``{value, source|note, ...}``) with
their ranges, and every catalog reference an enum of the built-in catalog's IDs (a request
never names a file): the references the scenario editor's form lists as catalog choices
(:mod:`gigawatt.scenario.form`). Rules no JSON Schema states (a ramp that never goes
backwards, a platform available by its period, ...) are listed in :data:`SCENARIO_RULES`.
"""

from __future__ import annotations

import functools
from typing import Any

from pydantic import BaseModel

from gigawatt.api.http import ApiError, problem
from gigawatt.catalog import load_catalog
from gigawatt.scenario import Scenario
from gigawatt.scenario.form import CATALOG_FIELDS, CATALOG_KEYS, CATALOG_VALUES
from gigawatt.scenario.schema import accepted_range
from gigawatt.validation import field_path

SCENARIO_RULES = (
    "A scenario document: the JSON form of a scenario YAML file (GET /api/scenarios/{name}). "
    "Beyond this schema, each a 422 naming the field: exactly one of ramp and buildout; "
    "serving and demand together; training.max_site_facility_gw with a ramp; every assumption "
    "object with a source or a note unless status is input; distributions ordered (lo <= mode "
    "<= hi, sd >= 0, median > 0) and their bounds within the field's range; ramp periods "
    "increasing, facility_gw never going backwards and above 0 somewhere, each system "
    "available by its period and priced; build-out sites listed once, committed capacity "
    "within a listed site, a horizon running forward with the target inside it and within "
    "what the sites hold, no supply before a platform's release; claims' bounds matching "
    "their metric; a correlation matrix one row per input, symmetric and positive definite.")
"""The ``description`` of a scenario document: the cross-record rules it must meet."""


def _ids(kind: str) -> list[str]:
    return sorted(load_catalog().of_kind(kind))


def _number_forms(low: float | None, high: float | None, low_open: bool,
                  dist: dict[str, Any], assumption: dict[str, Any]) -> dict[str, Any]:
    bounds: dict[str, Any] = {}
    if low is not None:
        bounds["exclusiveMinimum" if low_open else "minimum"] = low
    if high is not None:
        bounds["maximum"] = high
    valued = {**assumption, "properties": {**assumption["properties"],
                                           "value": {"type": "number", **bounds}}}
    return {"anyOf": [{"type": "number", **bounds}, dist, valued]}


def _numbers(model: type[BaseModel], schema: dict[str, Any], defs: dict[str, Any]) -> None:
    """Replace each Assumption reference of ``model``'s fields by the number forms."""
    props = schema.get("properties", {})
    for name in props:
        try:
            span = accepted_range(model, name)  # type: ignore[arg-type]
            bounds: tuple[float | None, float | None, bool] = (span.low, span.high,
                                                               span.low_open)
        except KeyError:
            bounds = (None, None, False)
        holder = {"field": props[name]}
        _swap(holder, lambda b=bounds: _number_forms(b[0], b[1], b[2], defs["Distribution"],
                                                     defs["Assumption"]))
        props[name] = holder["field"]


def _swap(node: Any, forms: Any) -> None:
    if isinstance(node, dict):
        for key, value in list(node.items()):
            if isinstance(value, dict) and value.get("$ref") == "#/$defs/Assumption":
                node[key] = forms()
            else:
                _swap(value, forms)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            if isinstance(value, dict) and value.get("$ref") == "#/$defs/Assumption":
                node[i] = forms()
            else:
                _swap(value, forms)


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(defs[node["$ref"].rsplit("/", 1)[1]], defs)
        return {k: _inline(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


def scenario_models() -> dict[str, type[BaseModel]]:
    """Every pydantic model a scenario document holds, by class name (``Scenario``,
    ``RampStep``, ``Claim``, ...)."""
    out: dict[str, type[BaseModel]] = {}
    pending: list[type[BaseModel]] = [Scenario]
    while pending:
        model = pending.pop()
        out[model.__name__] = model
        for info in model.model_fields.values():
            for kind in _classes(info.annotation):
                if kind.__name__ not in out:
                    pending.append(kind)
    return out


def _classes(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    args = getattr(annotation, "__args__", ()) or ()
    origin = getattr(annotation, "__origin__", None)
    found = [c for a in args for c in _classes(a)]
    return found + (_classes(origin) if origin is not None and origin is not annotation else [])


@functools.cache
def scenario_document_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario document over HTTP (see the module's docstring)."""
    schema = Scenario.model_json_schema()
    defs = schema.pop("$defs")
    defs["Distribution"] = {**defs["Distribution"], "minProperties": 1, "maxProperties": 1,
                            "properties": {k: v["anyOf"][0] for k, v in
                                           defs["Distribution"]["properties"].items()}}
    defs["Assumption"]["properties"]["distribution"] = {"$ref": "#/$defs/Distribution"}
    defs["Assumption"] = _inline(defs["Assumption"], defs)
    distribution = _inline(defs["Distribution"], defs)
    models = scenario_models()
    for name, model in models.items():
        if name in defs and name != "Assumption":
            _numbers(model, defs[name], {"Distribution": distribution,
                                         "Assumption": defs["Assumption"]})
    defs["RampStep"]["properties"]["facility_gw"] = _number_forms(
        0.0, defs["RampStep"]["properties"]["facility_gw"]["maximum"], False, distribution,
        defs["Assumption"])
    _catalog_ids({**defs, "Scenario": schema})
    return {**_untitled(_inline(schema, defs)), "title": "ScenarioDocument",
            "description": SCENARIO_RULES}


def _catalog_ids(defs: dict[str, Any]) -> None:
    """Make each field that names catalog entries an enum of their IDs, in place: the
    fields the editor's form offers as catalog choices (:data:`CATALOG_FIELDS`, and a
    mapping's keys and values), so the two never list different fields. A model is a
    catalog ID here: a request never names a file."""
    def prop(where: tuple[str, str]) -> dict[str, Any]:
        model, name = where
        found: dict[str, Any] = defs[model]["properties"][name]
        return found

    for (model, name), kind in CATALOG_FIELDS.items():
        field = prop((model, name))
        if kind == "models":
            defs[model]["properties"][name] = {"type": "string", "enum": _ids(kind),
                                               "description": "a catalog model ID"}
        else:
            (field["items"] if field.get("type") == "array" else field)["enum"] = _ids(kind)
    for where, kind in CATALOG_KEYS.items():
        prop(where)["propertyNames"] = {"enum": _ids(kind)}
    for where, kind in CATALOG_VALUES.items():
        prop(where)["additionalProperties"] = {"type": "string", "enum": _ids(kind)}


def _untitled(node: Any) -> Any:
    # pydantic's automatic titles repeat the field names: left out of a document this size
    if isinstance(node, dict):
        return {k: _untitled(v) for k, v in node.items()
                if not (k == "title" and isinstance(v, str))}
    if isinstance(node, list):
        return [_untitled(v) for v in node]
    return node


def shared_documents(doc: dict[str, Any]) -> None:
    """Put each titled document schema (``ScenarioDocument``, ``ModelDocument``) of an OpenAPI
    document into its components once, in place, and refer to it wherever it appeared."""
    components = doc.setdefault("components", {}).setdefault("schemas", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if node.get("title") in DOCUMENT_TITLES and "properties" in node:
                components[node["title"]] = node
                return {"$ref": f"#/components/schemas/{node['title']}"}
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    doc["paths"] = walk(doc["paths"])
    for name in list(components):
        if name not in DOCUMENT_TITLES:
            components[name] = walk(components[name])


DOCUMENT_TITLES = ("ScenarioDocument", "ModelDocument")
"""The document schemas the OpenAPI document states once, as components."""


def check_document(data: Any, schema: dict[str, Any], where: str) -> None:
    """Raise 422 naming each place ``data`` breaks ``schema`` (what pydantic's lax reading
    would let through: ``"1.5"`` for a number, a null where none is allowed, ...)."""
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

    errors = sorted(Draft202012Validator(schema).iter_errors(data),
                    key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        raise ApiError(422, [problem(field_path((where, *e.absolute_path)), _short(e.message))
                             for e in errors[:20]])


def _short(message: str, most: int = 300) -> str:
    return message if len(message) <= most else message[:most] + " ..."


