"""``GET /api/sources``: the bibliography, as ``gigawatt catalog sources --json``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from gigawatt.api.http import ERRORS
from gigawatt.catalog.sources import bibliography

router = APIRouter(tags=["catalog"])


@router.get("/sources", responses=ERRORS)
def sources_list() -> list[dict[str, Any]]:
    """Every source catalog entries, scenarios and constants cite by S-number: ``id``,
    ``title``, ``publisher``, ``date``, ``url`` and ``also`` (further copies)."""
    return [s.to_dict() for s in bibliography().values()]
