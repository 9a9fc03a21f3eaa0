"""``/api/editor``: what the dashboard's scenario editor needs beyond ``/api/scenarios``.

``GET /api/editor/form`` describes each scenario field (kind, range, choices; see
:func:`gigawatt.scenario.form.scenario_form`); ``POST /api/editor/yaml`` turns an edited
scenario document into the YAML file ``gigawatt plan FILE`` reads, after validating it
(422 naming every field at fault, as ``POST /api/validate``).
"""

from __future__ import annotations

import functools
from typing import Any

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from gigawatt.api.http import ERRORS
from gigawatt.api.inputs import ScenarioInput, resolve_scenario
from gigawatt.api.service import ServiceDep
from gigawatt.scenario.form import scenario_form

router = APIRouter(tags=["scenarios"])


@functools.cache
def _form() -> dict[str, Any]:
    return scenario_form()  # the schema and the built-in catalog do not change while serving


@router.get("/editor/form", responses=ERRORS)
def editor_form() -> dict[str, Any]:
    """Each scenario field's ``kind`` (object, list, map, assumption, number, string,
    choice, boolean, date, readonly), its range or pattern, and for catalog IDs the
    ``catalog`` kind and its ``options``."""
    return _form()


@router.post("/editor/yaml", responses={
    **ERRORS, 200: {"content": {"application/yaml": {}}, "description": "The scenario file"}})
async def editor_yaml(body: ScenarioInput, service: ServiceDep) -> PlainTextResponse:
    """A scenario document as the YAML file ``gigawatt plan FILE`` reads, named after it."""
    scenario, text = await service.compute(resolve_scenario, body)
    return PlainTextResponse(text, media_type="application/yaml", headers={
        "Content-Disposition": f'attachment; filename="{scenario.name}.yaml"'})
