"""``/api/scenarios``: the built-in scenarios, as ``gigawatt scenarios list|show``."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import PlainTextResponse, Response

from gigawatt.api.http import ERRORS, WRITE_ERRORS, JSONBody, bad_input
from gigawatt.api.inputs import ScenarioInput, resolve_scenario
from gigawatt.api.service import ServiceDep, TokenRequired
from gigawatt.catalog.browse import scenario_document, scenario_rows
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


@router.post("/validate", responses=WRITE_ERRORS, dependencies=[TokenRequired])
async def scenarios_validate(body: ScenarioInput, service: ServiceDep) -> dict[str, Any]:
    """Check a scenario without planning it: 200 if valid, else 422 naming each field."""
    scenario, _ = await service.compute(resolve_scenario, body)
    return {"valid": True, "scenario": scenario.name}
