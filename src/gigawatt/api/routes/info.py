"""``GET /api/info``: what the dashboard asks first: version, token rule, limits."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from gigawatt.api.service import ServiceDep
from gigawatt.scenario import DEFAULT_SCENARIO
from gigawatt.version import __version__

router = APIRouter(tags=["service"])


@router.get("/info")
def info(service: ServiceDep) -> dict[str, Any]:
    """The version, the default scenario, whether writes need a token, and the limits."""
    s = service.settings
    return {"version": __version__, "default_scenario": DEFAULT_SCENARIO,
            "token_required": s.token_required,
            "writes_enabled": not s.token_required or s.token is not None,
            "max_body_bytes": s.max_body_bytes, "timeout_s": s.timeout_s}
