"""``GET /api/fabric``: the network for N GPUs, as ``gigawatt fabric --json``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field, field_validator

from gigawatt.api.http import COMPUTE_ERRORS
from gigawatt.api.inputs import MAX_GPUS, GpuId, QueryInput, Whole, catalog_ids
from gigawatt.api.service import ServiceDep, TokenRequired
from gigawatt.catalog import load_catalog
from gigawatt.estimates.fabric import fabric_json
from gigawatt.models.network.tree import planes_needed

router = APIRouter(tags=["fabric"], dependencies=[TokenRequired])

def gbps_options() -> list[float]:
    """The scale-out Gb/s per GPU that the catalog's single-port pluggables serve over every
    catalog switch: a NIC speed times the planes the bandwidth takes (1, 2, 4 or 8)."""
    catalog = load_catalog()
    speeds = {o.gbps for o in catalog.optics.values() if o.form == "pluggable" and o.ports == 1}
    ports = {s.port_gbps for s in catalog.switches.values()}
    return sorted(g for g in {s * k for s in speeds for k in (1, 2, 4, 8)}
                  if all(g / float(planes_needed(g, port)) in speeds for port in ports))


GBPS_OPTIONS = gbps_options()
_GBPS_ENUM: list[Any] = list(GBPS_OPTIONS)


SwitchId = Annotated[str, Field(min_length=1, max_length=128, json_schema_extra={
    "enum": catalog_ids("switches")})]


class FabricQuery(QueryInput):
    """The inputs of ``gigawatt fabric``, by the flags' names in snake case."""

    gpus: Whole = Field(ge=0, le=MAX_GPUS, description="GPU packages in the cluster.")
    gpu: GpuId
    switch: SwitchId | None = Field(None, description="Scale-out switch ID; the system's "
                                    "reference switch if left out.")
    rails: Whole | None = Field(None, ge=1, le=1024, description="Rails: GPU positions per "
                              "node with their own leaves.")
    planes: Whole | None = Field(None, ge=1, le=64, description="Independent fabric planes; the "
                               "fewest the GPU's bandwidth needs if left out.")
    oversubscription: float = Field(1.0, ge=1, le=1024, description="Leaf downlink over "
                                    "uplink bandwidth; 1 is non-blocking.")
    cpo: bool = Field(False, description="Co-packaged optics on the switch side.")
    copper_leaf: bool = Field(False, description="Passive copper from GPU to leaf (leaf "
                                                 "inside the rack).")
    gbps_per_gpu: float | None = Field(None, json_schema_extra={"enum": _GBPS_ENUM},
                                       description="Scale-out Gb/s per GPU; the system's NICs "
                                       "if left out.")
    frontend_fraction: float = Field(0.0, ge=0, le=1, description="Front-end network as a "
                                     "share of this fabric's capex and power, reported apart.")

    @field_validator("gbps_per_gpu")
    @classmethod
    def _a_nic_speed(cls, gbps: float | None) -> float | None:
        if gbps is not None and gbps not in GBPS_OPTIONS:
            raise ValueError(f"{gbps:g} Gb/s is no NIC of the catalog's pluggables on every "
                             f"switch; accepted: {', '.join(f'{g:g}' for g in GBPS_OPTIONS)}")
        return gbps


@router.get("/fabric", responses=COMPUTE_ERRORS)
async def fabric(q: Annotated[FabricQuery, Query()], service: ServiceDep) -> dict[str, Any]:
    """Scale-up domains and the rail-optimised scale-out fabric for N GPUs: the keys of
    ``gigawatt fabric --json`` (``tiers``, ``leaf_switches``, ``spine_switches``,
    ``core_switches``, ``switches``, ``transceivers``, ``cables``, ``power_kw``,
    ``bisection_tbps``, ``capex_usd``, ...).

    Rules beyond the schema, each a 422 naming the field: planes, when given, carry
    gbps_per_gpu on the switch's ports (planes x port Gb/s >= it). Infeasible, a 422 of
    problem type ``infeasible`` naming gpus: more GPUs than the switch reaches in three tiers
    with these rails, planes and oversubscription."""
    return await service.answer(q, "query", fabric_json, **q.model_dump())
