"""``/api/scenarios``: the built-in scenarios, as ``gigawatt scenarios list|show``."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import PlainTextResponse, Response

from gigawatt.api.http import ERRORS, WRITE_ERRORS, JSONBody, bad_input
from gigawatt.api.inputs import ScenarioInput, in_request, resolve_scenario
from gigawatt.api.service import ServiceDep, TokenRequired
from gigawatt.catalog.browse import scenario_document, scenario_rows
from gigawatt.errors import GigawattError
from gigawatt.scenario import builtin_scenarios, load_scenario, scenario_to_yaml

router = APIRouter(tags=["scenarios"])


class DocumentFormat(StrEnum):
    """How a scenario comes back."""

    json = "json"
    yaml = "yaml"


@router.get("/scenarios", responses=ERRORS)
def scenarios_list() -> list[dict[str, Any]]:
    """The built-in scenarios: ``name``, ``title``, ``facility_gw``, ``last_period``."""
    return scenario_rows()


@router.get("/scenarios/{name}", responses={
    **ERRORS, 200: {"content": {"application/json": {}, "application/yaml": {}},
                    "description": "The scenario document"}})
def scenarios_show(
    name: Annotated[str, Path(description="a built-in scenario name", max_length=128)],
    format: Annotated[DocumentFormat, Query(description="json: the document 'POST /api/plan' "
                                            "accepts; yaml: the file 'gigawatt plan' reads")
                      ] = DocumentFormat.json,
) -> Response:
    """A built-in scenario as a JSON document (``scenarios show --json``) or as YAML."""
    if name not in builtin_scenarios():
        raise bad_input("name", f"unknown scenario {name!r}; accepted: "
                        f"{', '.join(builtin_scenarios())}", source="path", status=404)
    if format is DocumentFormat.yaml:
        return PlainTextResponse(scenario_to_yaml(load_scenario(name)[0]),
                                 media_type="application/yaml")
    return JSONBody(scenario_document(name))


def _checked(given: ScenarioInput) -> str:
    """The scenario's name once it is valid and its inputs gather as a plan's do (a
    build-out solved at its central values); raises as ``/api/plan`` would."""
    from gigawatt.pipeline import gather_inputs

    scenario, _ = resolve_scenario(given)
    try:
        gather_inputs(scenario)
    except GigawattError as exc:
        raise in_request(exc, scenario, given) from None
    return scenario.name


@router.post("/validate", responses=WRITE_ERRORS, dependencies=[TokenRequired])
async def scenarios_validate(body: ScenarioInput, service: ServiceDep) -> dict[str, Any]:
    """Check a scenario without planning it: 200 if valid, else 422 naming each field.

    Its inputs are gathered as ``gigawatt plan`` gathers them, so a build-out target no
    schedule reaches is the 422 of problem type ``infeasible`` at
    ``scenario.buildout.target`` that ``POST /api/plan`` gives.
    """
    return {"valid": True, "scenario": await service.compute(_checked, body)}
