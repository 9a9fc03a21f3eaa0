"""``POST /api/plan``: the whole pipeline on a scenario, as ``gigawatt plan --json``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field

from gigawatt.api.http import WRITE_ERRORS
from gigawatt.api.inputs import ScenarioInput, resolve_scenario
from gigawatt.api.service import ServiceDep, TokenDep, TokenRequired
from gigawatt.api.view import plan_view

router = APIRouter(tags=["plan"], dependencies=[TokenRequired])


class PlanRequest(ScenarioInput):
    """A plan request: the scenario, and the CLI's ``--save/--no-save``."""

    save: bool = Field(True, description="Save the run to the run store (a write: off "
                                         "loopback it needs the token), like --save/--no-save.")
    view: bool = Field(False, description="Also return the report's charts and tables under "
                                          "'view' (as GET /api/runs/{run_id}/view does).")


def _plan(given: PlanRequest) -> tuple[str, str, dict[str, Any]]:
    from gigawatt.pipeline import plan

    scenario, text = resolve_scenario(given)
    return scenario.name, text, plan(scenario).to_dict()


@router.post("/plan", responses=WRITE_ERRORS)
async def run_plan(body: PlanRequest, service: ServiceDep,
                   authorization: TokenDep = None) -> dict[str, Any]:
    """Run the pipeline on a built-in scenario or a scenario document.

    The result has the keys of ``gigawatt plan --json`` (``scenario``, ``facility_gw``,
    ``gpus``, ``capex_usd``, ``timeline``, ``run_id``, ...); ``run_id`` is null unless
    the run was saved. Saved runs land in the same run store as the CLI's.
    """
    if body.save:
        service.authorize_write(authorization)
    name, text, result = await service.compute(_plan, body)
    result["run_id"] = None
    if body.save:
        result["run_id"] = await service.lane.call(
            service.store.save, "plan", name, result["gigawatt_version"], text, result)
    if body.view:
        result["view"] = await service.compute(plan_view, result)
    return result
