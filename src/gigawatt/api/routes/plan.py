"""``POST /api/plan``: the whole pipeline on a scenario, as ``gigawatt plan --json``."""

from __future__ import annotations

import copy
import weakref
from typing import Any

from fastapi import APIRouter
from pydantic import Field

from gigawatt.api.http import WRITE_ERRORS
from gigawatt.api.inputs import ScenarioInput, check_one_scenario, in_request, resolve_scenario
from gigawatt.api.service import Service, ServiceDep, TokenDep, TokenRequired
from gigawatt.api.view import plan_view
from gigawatt.errors import GigawattError
from gigawatt.scenario import builtin_scenarios

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
    try:
        return scenario.name, text, plan(scenario).to_dict()
    except GigawattError as exc:
        raise in_request(exc, scenario, given) from None


BUILTIN_PLANS: weakref.WeakKeyDictionary[Service, dict[str, dict[str, Any]]] = \
    weakref.WeakKeyDictionary()
"""Per app: a built-in scenario's plan and view, computed once (built-in files and the
catalog do not change while serving, and a plan is deterministic; the dashboard's first
page asks for the default plan on every load)."""


def _builtin(given: PlanRequest) -> str | None:
    check_one_scenario(given)  # the cached answer skips resolve_scenario, not its rules
    named = isinstance(given.scenario, str) and given.scenario_yaml is None
    return given.scenario if named and given.scenario in builtin_scenarios() else None


@router.post("/plan", responses=WRITE_ERRORS)
async def run_plan(body: PlanRequest, service: ServiceDep,
                   authorization: TokenDep = None) -> dict[str, Any]:
    """Run the pipeline on a built-in scenario or a scenario document.

    The result has the keys of ``gigawatt plan --json`` (``scenario``, ``facility_gw``,
    ``gpus``, ``capex_usd``, ``timeline``, ``run_id``, ...); ``run_id`` is null unless
    the run was saved. Saved runs land in the same run store as the CLI's. A build-out
    target no schedule reaches is a 422 of problem type ``infeasible`` at
    ``scenario.buildout.target``.
    """
    if body.save:
        service.authorize_write(authorization)
    cache = BUILTIN_PLANS.setdefault(service, {})
    builtin = _builtin(body)
    if builtin in cache:
        name, text, result = cache[builtin]["name"], cache[builtin]["text"], copy.deepcopy(
            cache[builtin]["result"])
    else:
        name, text, result = await service.compute(_plan, body)
        if builtin is not None:
            cache[builtin] = {"name": name, "text": text, "result": copy.deepcopy(result)}
    result["run_id"] = None
    if body.save:
        result["run_id"] = await service.lane.call(
            service.store.save, "plan", name, result["gigawatt_version"], text, result)
    if body.view:
        if builtin is not None and "view" not in cache[builtin]:
            cache[builtin]["view"] = await service.compute(plan_view, result)
        result["view"] = (copy.deepcopy(cache[builtin]["view"]) if builtin is not None
                          else await service.compute(plan_view, result))
    return result
