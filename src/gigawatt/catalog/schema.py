"""Pydantic schema of catalog entries: hardware and model rows, each with its source.

Every numeric field carries its unit in its name. Every entry states ``source``,
``as_of`` and ``status``. Where sources disagree, ``ranges`` keeps the span next
to the chosen value, which must lie inside it.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import Field, model_validator

from gigawatt.models.perf.flops import Transformer

# Finite, bounded versions of pydantic's types (the names pydantic gives them): every
# number in a catalog row or a model file has an upper bound no real entry reaches.
from gigawatt.validation import (
    MAX_DIMENSION,
    Dimension,
    Frozen,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
)

Status = Literal["official", "reported", "estimate", "derived", "disputed"]
HALF_YEAR = re.compile(r"^(\d{4})H([12])$")


class Range(Frozen):
    """The span sources give for one field, and how sure we are of it."""

    low: float
    high: float
    status: Status
    note: str = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.low > self.high:
            raise ValueError(f"low {self.low} is above high {self.high}")
        return self


class Entry(Frozen):
    """Fields every catalog entry has."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")
    name: str = Field(min_length=1)
    source: str = Field(min_length=1, description="where the figures come from")
    as_of: dt.date
    status: Status
    notes: str = ""
    ranges: dict[str, Range] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _ranges_hold_values(self) -> Entry:
        for name, span in self.ranges.items():
            value = getattr(self, name, None) if name in type(self).model_fields else None
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise ValueError(f"ranges.{name}: not a numeric field of this entry")
            if not span.low <= value <= span.high:
                raise ValueError(
                    f"{name} = {value} lies outside its range {span.low} to {span.high}"
                )
        return self


class Accelerator(Entry):
    """One GPU package (which may hold several compute dies); dense Tensor Core peaks."""

    vendor: str
    architecture: str
    dies: PositiveInt
    bf16_dense_tflops: PositiveFloat
    fp8_dense_tflops: PositiveFloat | None = None
    fp4_dense_tflops: PositiveFloat | None = None
    hbm_gb: PositiveFloat
    hbm_tb_per_s: PositiveFloat
    nvlink_gb_per_s: NonNegativeFloat = Field(description="bidirectional, per package")
    tdp_w: PositiveFloat


class System(Entry):
    """A deployable rack-scale system built from one accelerator type."""

    accelerator: str
    packages_per_rack: PositiveInt
    nvlink_domain_packages: PositiveInt = Field(description="packages in one scale-up domain")
    rack_power_kw: PositiveFloat = Field(description="IT power of one rack, all trays")
    rack_price_usd: PositiveFloat | None = None
    scaleout_gbps_per_package: PositiveFloat | None = None
    scaleout_rails: PositiveInt | None = Field(
        default=None, description="GPU positions per node with their own scale-out NIC (rails)")
    scaleout_switch: str | None = Field(
        default=None, description="switch ID of the reference scale-out fabric")
    nvlink_switch_trays_per_domain: int | None = Field(
        default=None, ge=0, description="NVLink switch trays per domain; 0: NVSwitch on board")
    available: str = Field(pattern=HALF_YEAR.pattern, description="first volume half-year")

    @model_validator(mode="after")
    def _domain_fits(self) -> System:
        if self.packages_per_rack % self.nvlink_domain_packages and (
            self.nvlink_domain_packages % self.packages_per_rack
        ):
            raise ValueError(
                f"nvlink_domain_packages {self.nvlink_domain_packages} neither divides "
                f"nor is a multiple of packages_per_rack {self.packages_per_rack}"
            )
        return self


class Switch(Entry):
    """A scale-out network switch."""

    vendor: str
    fabric: Literal["infiniband", "ethernet"]
    ports: PositiveInt
    port_gbps: PositiveFloat
    co_packaged_optics: bool
    available: str = Field(pattern=HALF_YEAR.pattern)
    ports_per_cage: PositiveInt = Field(
        default=1, description="logical ports sharing one pluggable cage (twin-port OSFP: 2)")
    power_w: PositiveFloat | None = Field(
        default=None, description="box power without pluggable or co-packaged optics")
    price_usd: PositiveFloat | None = Field(
        default=None, description="box price without pluggable or co-packaged optics")


class Optic(Entry):
    """A transceiver, a co-packaged optical engine, or a cable of the scale-out fabric."""

    form: Literal["pluggable", "co-packaged", "fiber-cable", "copper-cable"]
    gbps: PositiveFloat = Field(description="bandwidth of the module or engine, all its ports")
    ports: PositiveInt = Field(default=1, description="logical ports one module serves")
    power_w: NonNegativeFloat
    price_usd: NonNegativeFloat


class MoE(Frozen):
    """Mixture-of-experts block of a model file."""

    routed_experts: Dimension
    active_experts: Dimension
    shared_experts: int = Field(default=0, ge=0, le=MAX_DIMENSION)
    expert_ffn_hidden_size: Dimension
    dense_layers: int = Field(default=0, ge=0, le=MAX_DIMENSION)

    @model_validator(mode="after")
    def _active_within_routed(self) -> MoE:
        if self.active_experts > self.routed_experts:
            raise ValueError(
                f"active_experts {self.active_experts} exceeds routed_experts "
                f"{self.routed_experts}"
            )
        return self


class LatentAttention(Frozen):
    """Multi-head latent attention (DeepSeek-V2/V3): K and V compressed to a latent."""

    kv_lora_rank: Dimension
    q_lora_rank: int = Field(default=0, ge=0, le=MAX_DIMENSION,
                             description="0: Q is not compressed")
    rope_head_dim: int = Field(default=0, ge=0, le=MAX_DIMENSION,
                               description="decoupled RoPE key per head")


class ModelSpec(Frozen):
    """A transformer's shape, as in a model file (see DESIGN.md)."""

    name: str
    layers: Dimension
    hidden_size: Dimension
    ffn_hidden_size: Dimension
    attention_heads: Dimension
    kv_heads: Dimension | None = None
    head_dim: Dimension | None = Field(default=None, description="default hidden/heads")
    vocab_size: Dimension
    gated_mlp: bool
    moe: MoE | None = None
    mla: LatentAttention | None = None

    @model_validator(mode="after")
    def _layers_cover_dense(self) -> ModelSpec:
        if self.moe and self.moe.dense_layers > self.layers:
            raise ValueError(
                f"moe.dense_layers {self.moe.dense_layers} exceeds layers {self.layers}")
        if self.head_dim is None and self.attention_heads > self.hidden_size:
            raise ValueError(
                f"attention_heads {self.attention_heads} leave no room in hidden_size "
                f"{self.hidden_size}; accepted: at most hidden_size heads, or a head_dim")
        return self

    def transformer(self) -> Transformer:
        """The shape as plain integers for the performance models."""
        return _transformer(self)


def _transformer(m: ModelSpec) -> Transformer:
    moe = m.moe
    return Transformer(
        layers=m.layers,
        hidden=m.hidden_size,
        ffn=m.ffn_hidden_size,
        heads=m.attention_heads,
        kv_heads=m.kv_heads or m.attention_heads,
        head_dim=m.head_dim or m.hidden_size // m.attention_heads,
        vocab=m.vocab_size,
        gated=m.gated_mlp,
        moe_layers=m.layers - moe.dense_layers if moe else 0,
        experts=moe.routed_experts if moe else 0,
        active_experts=moe.active_experts if moe else 0,
        shared_experts=moe.shared_experts if moe else 0,
        expert_ffn=moe.expert_ffn_hidden_size if moe else 0,
        q_lora_rank=m.mla.q_lora_rank if m.mla else 0,
        kv_lora_rank=m.mla.kv_lora_rank if m.mla else 0,
        rope_head_dim=m.mla.rope_head_dim if m.mla else 0,
    )


class Model(Entry, ModelSpec):
    """A catalog model: its shape (as a model file gives it) plus where it is published."""

    def spec(self) -> ModelSpec:
        """The shape alone, as a model file would give it."""
        fields = set(ModelSpec.model_fields) - {"name"}
        return ModelSpec(name=self.id, **{f: getattr(self, f) for f in fields})


class FailureClass(Entry):
    """A class of components whose failure interrupts a training job.

    ``per`` is what the count of such components scales with in a job: its GPU packages,
    its hosts, or its scale-out (NIC) ports, which only a job spanning more than one
    NVLink domain uses. ``hardware_share`` splits the measured node hardware failure
    rate of the reference platform; a class without one (software) is calibrated.
    """

    per: Literal["gpu", "host", "scaleout_port"]
    hardware_share: float | None = Field(default=None, ge=0, le=1)
    replace_fraction: float = Field(ge=0, le=1, description="share needing a part swapped")
    part: str | None = Field(default=None, description="the part swapped, for spares")


class FailurePlatform(Entry):
    """How one system's failure rates differ from the reference platform's."""

    system: str
    gpus_per_host: PositiveInt
    scaleout_ports_per_gpu: NonNegativeFloat = 1.0
    multipliers: dict[str, NonNegativeFloat] = Field(
        default_factory=dict, description="failure class id -> rate multiplier; missing = 1")
    infant_shape: float = Field(gt=0, le=1, description="Weibull shape of new racks' failures")
    burn_in_days: NonNegativeFloat = Field(description="rack age when the rate settles")
class PowerStep(Frozen):
    """Facility power a site can draw from a date on (grid connection or on-site plant)."""

    date: dt.date
    facility_mw: NonNegativeFloat = Field(description="cumulative, from this date on")
    status: Status
    note: str = ""


SiteStage = Literal["announced", "under-construction", "operating", "withdrawn"]


class Site(Entry):
    """A data-center campus: where it is, its power ramp, its size and its running costs."""

    partner: str = Field(description="who builds, leases or operates it")
    location: str
    region: str = Field(description="US state (two letters) or country, for energy prices")
    stage: SiteStage
    power_ramp: list[PowerStep] = Field(min_length=1)
    max_facility_mw: PositiveFloat = Field(description="largest facility power it can hold")
    committed_mw: NonNegativeFloat = Field(
        default=0.0, description="facility power already under construction and financed")
    pue: float = Field(ge=1.0, le=3.0)
    electricity_usd_per_mwh: PositiveFloat
    lead_time_months: NonNegativeInt = Field(
        description="from committing a new hall to energising it")
    estimated: dict[str, str] = Field(
        default_factory=dict, description="field -> how its value was estimated")

    @model_validator(mode="after")
    def _ramp_goes_forward(self) -> Site:
        ramp = self.power_ramp
        for i in range(1, len(ramp)):
            prev, step = ramp[i - 1], ramp[i]
            if step.date <= prev.date:
                raise ValueError(
                    f"power_ramp[{i}].date {step.date} does not come after {prev.date}; "
                    "accepted: dates in increasing order")
            if step.facility_mw < prev.facility_mw:
                raise ValueError(
                    f"power_ramp[{i}].facility_mw {step.facility_mw:g} MW on {step.date} is "
                    f"below the {prev.facility_mw:g} MW of {prev.date}; a site's power ramp "
                    "must not go backwards")
        if self.committed_mw > self.max_facility_mw:
            raise ValueError(
                f"committed_mw {self.committed_mw:g} exceeds max_facility_mw "
                f"{self.max_facility_mw:g}")
        unknown = sorted(set(self.estimated) - set(type(self).model_fields))
        if unknown:
            raise ValueError(f"estimated names unknown fields {unknown}")
        return self


KINDS: dict[str, type[Entry]] = {
    "accelerators": Accelerator,
    "systems": System,
    "switches": Switch,
    "optics": Optic,
    "models": Model,
    "failures": FailureClass,
    "failure_platforms": FailurePlatform,
    "sites": Site,
}
"""Catalog file stem -> entry type. One YAML file per kind under ``catalog/data``."""
