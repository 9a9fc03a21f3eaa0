"""A scenario as a request gives it: a built-in name, a JSON document or YAML text.

Only built-in names are looked up; a request can never name a file on the server.
Schema problems are all reported at once, each with its field path, so the
dashboard's editor can show every message next to its field.
"""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gigawatt.api.http import ApiError, bad_input, problem, problem_from_error
from gigawatt.catalog import load_catalog
from gigawatt.errors import GigawattError, ScenarioError
from gigawatt.scenario import (
    DEFAULT_SCENARIO,
    Scenario,
    builtin_scenarios,
    load_scenario,
    scenario_to_yaml,
)
from gigawatt.scenario.checks import check_scenario
from gigawatt.validation import field_errors, field_path, parse_yaml


class ScenarioInput(BaseModel):
    """Which scenario: ``scenario`` (a built-in name or a document) or ``scenario_yaml``."""

    model_config = ConfigDict(extra="forbid", strict=True)  # no 0 for false, no 1 for "1"

    scenario: str | dict[str, Any] = Field(
        DEFAULT_SCENARIO,
        description="A built-in scenario name (GET /api/scenarios), or a scenario document: "
                    "the JSON form of a scenario YAML file (GET /api/scenarios/{name}).")
    scenario_yaml: str | None = Field(  # its size is bounded by the request body limit
        None, description="A scenario YAML document, as 'gigawatt plan FILE' reads it; "
                          "instead of 'scenario'.")


def resolve_scenario(given: ScenarioInput) -> tuple[Scenario, str]:
    """The validated, cross-checked scenario and the YAML text a saved run keeps.

    Raises :class:`ApiError` (422) naming every schema problem's field path, or the
    first cross-check problem's.
    """
    if given.scenario_yaml is not None:
        if "scenario" in given.model_fields_set:
            raise bad_input("scenario", "give either 'scenario' or 'scenario_yaml', not both")
        return _validated(_yaml_document(given.scenario_yaml), "scenario_yaml"), \
            given.scenario_yaml
    if isinstance(given.scenario, str):
        name = given.scenario
        if name not in builtin_scenarios():
            raise bad_input("scenario", f"unknown scenario {name!r}; accepted: a built-in name "
                            f"({', '.join(builtin_scenarios())}) or a scenario document")
        return load_scenario(name)
    scenario = _validated(given.scenario, "scenario")
    return scenario, scenario_to_yaml(scenario)


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
    try:
        check_scenario(scenario, load_catalog(), where)
    except ScenarioError as exc:
        raise ApiError(422, [problem_from_error(exc)]) from None
    return scenario
