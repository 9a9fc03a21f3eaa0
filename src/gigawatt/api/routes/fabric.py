"""``GET /api/fabric``: the network for N GPUs, as ``gigawatt fabric --json``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field

from gigawatt.api.http import WRITE_ERRORS
from gigawatt.api.inputs import MAX_GPUS, GpuId, QueryInput, catalog_ids
from gigawatt.api.service import ServiceDep, TokenRequired
from gigawatt.estimates.fabric import fabric_json

router = APIRouter(tags=["fabric"], dependencies=[TokenRequired])

SwitchId = Annotated[str, Field(min_length=1, max_length=128, json_schema_extra={
    "enum": catalog_ids("switches")})]


class FabricQuery(QueryInput):
    """The inputs of ``gigawatt fabric``, by the flags' names in snake case."""

    gpus: int = Field(ge=0, le=MAX_GPUS, description="GPU packages in the cluster.")
    gpu: GpuId
    switch: SwitchId | None = Field(None, description="Scale-out switch ID; the system's "
                                    "reference switch if left out.")
    rails: int | None = Field(None, ge=1, le=1024, description="Rails: GPU positions per "
                              "node with their own leaves.")
    planes: int | None = Field(None, ge=1, le=64, description="Independent fabric planes; the "
                               "fewest the GPU's bandwidth needs if left out.")
    oversubscription: float = Field(1.0, ge=1, le=1024, description="Leaf downlink over "
                                    "uplink bandwidth; 1 is non-blocking.")
    cpo: bool = Field(False, description="Co-packaged optics on the switch side.")
    copper_leaf: bool = Field(False, description="Passive copper from GPU to leaf (leaf "
                                                 "inside the rack).")
    gbps_per_gpu: float | None = Field(None, ge=1, le=1e6, description="Scale-out Gb/s per "
                                       "GPU; the system's NICs if left out.")
    frontend_fraction: float = Field(0.0, ge=0, le=1, description="Front-end network as a "
                                     "share of this fabric's capex and power, reported apart.")


@router.get("/fabric", responses=WRITE_ERRORS)
async def fabric(q: Annotated[FabricQuery, Query()], service: ServiceDep) -> dict[str, Any]:
    """Scale-up domains and the rail-optimised scale-out fabric for N GPUs: the keys of
    ``gigawatt fabric --json`` (``tiers``, ``leaf_switches``, ``spine_switches``,
    ``core_switches``, ``switches``, ``transceivers``, ``cables``, ``power_kw``,
    ``bisection_tbps``, ``capex_usd``, ...)."""
    return await service.answer(q, "query", fabric_json, **q.model_dump())
