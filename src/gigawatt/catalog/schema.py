"""Schema of catalog entries: hardware and model rows, each with its source.

Every numeric field carries its unit in its name. Every entry states ``source``,
``as_of`` and ``status``. Where sources disagree, ``ranges`` keeps the span next
to the chosen value, which must lie inside it.

Entries are :class:`~gigawatt.records.Record` dataclasses, not pydantic models: a command
that reads the cached catalog never imports pydantic. The annotations are postponed and
name the bounded types of :mod:`gigawatt.validation` (finite, with an upper bound no real
entry reaches), resolved when a validator is built (:func:`gigawatt.validation.validate`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Literal

from gigawatt.models.perf.flops import Transformer
from gigawatt.records import Record, field_names

if TYPE_CHECKING:
    from pydantic import Field

    from gigawatt.validation import (
        Dimension,
        DimensionOrZero,
        NonNegativeFloat,
        NonNegativeInt,
        PositiveFloat,
        PositiveInt,
    )

Status = Literal["official", "reported", "estimate", "derived", "disputed"]
HALF_YEAR = re.compile(r"^(\d{4})H([12])$")


@dataclass(frozen=True, kw_only=True)
class Range(Record):
    """The span sources give for one field, and how sure we are of it."""

    low: float
    high: float
    status: Status
    note: Annotated[str, Field(min_length=1)]

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.low > self.high:
            raise ValueError(f"low {self.low} is above high {self.high}")


@dataclass(frozen=True, kw_only=True)
class Entry(Record):
    """Fields every catalog entry has."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")]
    name: Annotated[str, Field(min_length=1)]
    source: Annotated[str, Field(min_length=1, description="where the figures come from")]
    as_of: dt.date
    status: Status
    notes: str = ""
    ranges: dict[str, Range] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__post_init__()
        names = field_names(self)
        for name, span in self.ranges.items():
            value = getattr(self, name) if name in names else None
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise ValueError(f"ranges.{name}: not a numeric field of this entry")
            if not span.low <= value <= span.high:
                raise ValueError(
                    f"{name} = {value} lies outside its range {span.low} to {span.high}"
                )


PCIE_GEN5_X16_GB_PER_S = 2 * 32 * 16 * 128 / 130 / 8
"""Both directions of a PCIe Gen5 x16 link, GB/s (PCI-SIG PCI Express Base Specification
5.0: 32 GT/s per lane, 128b/130b coding)."""


@dataclass(frozen=True, kw_only=True)
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
    nvlink_gb_per_s: Annotated[NonNegativeFloat, Field(description="bidirectional, per package")]
    tdp_w: PositiveFloat
    exp2_tera_per_s: Annotated[PositiveFloat | None, Field(
        description=("softmax exponentials (MUFU.EX2) per second, 10^12: SMs x results per clock "
                     "per SM x boost clock"))] = None

    @property
    def scaleup_gb_per_s(self) -> float:
        """Bidirectional GB/s to the package's scale-up peers: NVLink, or PCIe Gen5 x16
        (32 GT/s x 16 lanes, 128b/130b, both ways: about 126 GB/s) for a GPU without it."""
        return self.nvlink_gb_per_s or PCIE_GEN5_X16_GB_PER_S


@dataclass(frozen=True, kw_only=True)
class System(Entry):
    """A deployable rack-scale system built from one accelerator type."""

    accelerator: str
    packages_per_rack: PositiveInt
    nvlink_domain_packages: Annotated[PositiveInt, Field(
        description="packages in one scale-up domain")]
    rack_power_kw: Annotated[PositiveFloat, Field(description="IT power of one rack, all trays")]
    rack_price_usd: PositiveFloat | None = None
    scaleout_gbps_per_package: PositiveFloat | None = None
    scaleout_rails: Annotated[PositiveInt | None, Field(
        description="GPU positions per node with their own scale-out NIC (rails)")] = None
    scaleout_switch: Annotated[str | None, Field(
        description="switch ID of the reference scale-out fabric")] = None
    nvlink_switch_trays_per_domain: Annotated[int | None, Field(
        ge=0, description="NVLink switch trays per domain; 0: NVSwitch on board")] = None
    available: Annotated[str, Field(
        pattern=HALF_YEAR.pattern, description="first volume half-year")]

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.packages_per_rack % self.nvlink_domain_packages and (
            self.nvlink_domain_packages % self.packages_per_rack
        ):
            raise ValueError(
                f"nvlink_domain_packages {self.nvlink_domain_packages} neither divides "
                f"nor is a multiple of packages_per_rack {self.packages_per_rack}"
            )


@dataclass(frozen=True, kw_only=True)
class Switch(Entry):
    """A scale-out network switch."""

    vendor: str
    fabric: Literal["infiniband", "ethernet"]
    ports: PositiveInt
    port_gbps: PositiveFloat
    co_packaged_optics: bool
    available: Annotated[str, Field(pattern=HALF_YEAR.pattern)]
    ports_per_cage: Annotated[PositiveInt, Field(
        description="logical ports sharing one pluggable cage (twin-port OSFP: 2)")] = 1
    power_w: Annotated[PositiveFloat | None, Field(
        description="box power without pluggable or co-packaged optics")] = None
    price_usd: Annotated[PositiveFloat | None, Field(
        description="box price without pluggable or co-packaged optics")] = None


@dataclass(frozen=True, kw_only=True)
class Optic(Entry):
    """A transceiver, a co-packaged optical engine, or a cable of the scale-out fabric."""

    form: Literal["pluggable", "co-packaged", "fiber-cable", "copper-cable"]
    gbps: Annotated[PositiveFloat, Field(
        description="bandwidth of the module or engine, all its ports")]
    ports: Annotated[PositiveInt, Field(description="logical ports one module serves")] = 1
    power_w: NonNegativeFloat
    price_usd: NonNegativeFloat


@dataclass(frozen=True, kw_only=True)
class MoE(Record):
    """Mixture-of-experts block of a model file."""

    routed_experts: Dimension
    active_experts: Dimension
    shared_experts: DimensionOrZero = 0
    expert_ffn_hidden_size: Dimension
    dense_layers: DimensionOrZero = 0
    shared_expert_ffn_hidden_size: Annotated[Dimension | None, Field(
        description="hidden size of each shared expert; default the expert's")] = None
    latent_size: Annotated[Dimension | None, Field(
        description="LatentMoE: experts run in this width (Nemotron 3 Super)")] = None
    expert_weight_bits: Annotated[float | None, Field(
        gt=0, le=16, description=("bits per routed-expert weight of a checkpoint quantised in its "
                                  "experts only (gpt-oss MXFP4: 4.25); served so wherever the "
                                  "serving precision is wider"))] = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.active_experts > self.routed_experts:
            raise ValueError(
                f"active_experts {self.active_experts} exceeds routed_experts "
                f"{self.routed_experts}"
            )


@dataclass(frozen=True, kw_only=True)
class Mamba(Record):
    """Mamba-2 layers of a hybrid model (Nemotron-H / Nemotron 3)."""

    heads: PositiveInt
    head_dim: PositiveInt = 64
    state_size: PositiveInt = 128
    groups: PositiveInt = 8


@dataclass(frozen=True, kw_only=True)
class LatentAttention(Record):
    """Multi-head latent attention (DeepSeek-V2/V3): K and V compressed to a latent."""

    kv_lora_rank: Dimension
    q_lora_rank: Annotated[DimensionOrZero, Field(description="0: Q is not compressed")] = 0
    rope_head_dim: Annotated[DimensionOrZero, Field(
        description="decoupled RoPE key per head")] = 0


@dataclass(frozen=True, kw_only=True)
class ModelSpec(Record):
    """A transformer's shape, as in a model file (see DESIGN.md)."""

    name: str
    layers: Dimension
    hidden_size: Dimension
    ffn_hidden_size: Dimension
    attention_heads: Dimension
    kv_heads: Dimension | None = None
    head_dim: Annotated[Dimension | None, Field(description="default hidden/heads")] = None
    vocab_size: Dimension
    gated_mlp: bool
    moe: MoE | None = None
    mla: LatentAttention | None = None
    hybrid_layer_pattern: Annotated[str | None, Field(
        pattern=r"^[ME*-]+$", description=("one character per layer: M Mamba-2, E MoE, * "
                                           "attention, - dense MLP"))] = None
    mamba: Mamba | None = None
    sliding_window: Annotated[PositiveInt | None, Field(
        description="sliding-window attention span in tokens")] = None
    sliding_window_layers: Annotated[int, Field(ge=0)] = 0
    mtp_layers: Annotated[int, Field(ge=0, description="multi-token-prediction modules")] = 0
    bf16_kv_cache_architectures: Annotated[tuple[str, ...], Field(
        description=("GPU generations on which the runtime keeps this model's KV cache in BF16 "
                     "when serving FP8"))] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.moe and self.moe.dense_layers > self.layers:
            raise ValueError(
                f"moe.dense_layers {self.moe.dense_layers} exceeds layers {self.layers}")
        pattern = self.hybrid_layer_pattern
        if pattern is not None:
            if len(pattern) != self.layers:
                raise ValueError(f"hybrid_layer_pattern has {len(pattern)} layers; layers is "
                                 f"{self.layers}")
            if "M" in pattern and self.mamba is None:
                raise ValueError("hybrid_layer_pattern has Mamba layers (M): give mamba.heads")
            if "E" in pattern and self.moe is None:
                raise ValueError("hybrid_layer_pattern has MoE layers (E): give moe")
        if self.head_dim is None and self.attention_heads > self.hidden_size:
            raise ValueError(
                f"attention_heads {self.attention_heads} leave no room in hidden_size "
                f"{self.hidden_size}; accepted: at most hidden_size heads, or a head_dim")

    def transformer(self) -> Transformer:
        """The shape as plain integers for the performance models."""
        return _transformer(self)


def _transformer(m: ModelSpec) -> Transformer:
    moe = m.moe
    pattern = m.hybrid_layer_pattern
    if pattern is not None:
        hybrid = {"mamba_layers": pattern.count("M"), "hybrid_attention_layers": pattern.count("*")}
        moe_layers = pattern.count("E")
    else:
        hybrid = {}
        moe_layers = m.layers - moe.dense_layers if moe else 0
    mamba = {"mamba_heads": m.mamba.heads, "mamba_head_dim": m.mamba.head_dim,
             "mamba_state": m.mamba.state_size, "mamba_groups": m.mamba.groups} if m.mamba else {}
    return Transformer(
        layers=m.layers,
        hidden=m.hidden_size,
        ffn=m.ffn_hidden_size,
        heads=m.attention_heads,
        kv_heads=m.kv_heads or m.attention_heads,
        head_dim=m.head_dim or m.hidden_size // m.attention_heads,
        vocab=m.vocab_size,
        gated=m.gated_mlp,
        moe_layers=moe_layers,
        experts=moe.routed_experts if moe else 0,
        active_experts=moe.active_experts if moe else 0,
        shared_experts=moe.shared_experts if moe else 0,
        expert_ffn=moe.expert_ffn_hidden_size if moe else 0,
        q_lora_rank=m.mla.q_lora_rank if m.mla else 0,
        kv_lora_rank=m.mla.kv_lora_rank if m.mla else 0,
        rope_head_dim=m.mla.rope_head_dim if m.mla else 0,
        shared_expert_ffn=(moe.shared_expert_ffn_hidden_size or 0) if moe else 0,
        moe_latent=(moe.latent_size or 0) if moe else 0,
        window=m.sliding_window or 0,
        window_layers=m.sliding_window_layers,
        mtp_layers=m.mtp_layers,
        expert_weight_bits=(moe.expert_weight_bits or 0.0) if moe else 0.0,
        bf16_kv_architectures=m.bf16_kv_cache_architectures,
        **hybrid, **mamba,
    )


@dataclass(frozen=True, kw_only=True)
class Model(Entry, ModelSpec):
    """A catalog model: its shape (as a model file gives it) plus where it is published."""

    def spec(self) -> ModelSpec:
        """The shape alone, as a model file would give it, named by the entry's ID (its
        fields passed the same checks when this entry was validated)."""
        shape = {f: getattr(self, f) for f in field_names(ModelSpec) if f != "name"}
        return ModelSpec(name=self.id, **shape)


@dataclass(frozen=True, kw_only=True)
class FailureClass(Entry):
    """A class of components whose failure interrupts a training job.

    ``per`` is what the count of such components scales with in a job: its GPU packages,
    its hosts, its scale-out (NIC) ports and leaf switches, which only a job spanning more
    than one NVLink domain uses, its scale-up domains (a failure takes the whole domain),
    the job itself (software, configuration, collective hangs, storage: a rate per job-day
    with a weak scale term), or planned maintenance (a rate the operations profile sets).
    ``hardware_share`` splits the measured node hardware failure rate of the reference
    platform; ``job_share`` splits the calibrated per-job rate.
    """

    per: Literal["gpu", "host", "scaleout_port", "switch", "domain", "job", "maintenance"]
    hardware_share: Annotated[float | None, Field(ge=0, le=1)] = None
    replace_fraction: Annotated[float, Field(
        ge=0, le=1, description="share needing a part swapped")]
    part: Annotated[str | None, Field(description="the part swapped, for spares")] = None
    job_share: Annotated[float | None, Field(
        ge=0, le=1, description=("share of the calibrated per-job rate (per = job); the job "
                                 "classes' shares add to 1"))] = None
    effect: Annotated[Literal["interrupt", "slowdown"], Field(
        description=("interrupt: the job stops; slowdown: a straggler slows every step until "
                     "detected"))] = "interrupt"
    rate_per_part_year: Annotated[NonNegativeFloat | None, Field(
        description="a hand-written rate per part per year, for a class neither share covers"
    )] = None
    slowdown: Annotated[float | None, Field(
        ge=0, le=1, description="share of the job's throughput a straggler costs while undetected"
    )] = None


@dataclass(frozen=True, kw_only=True)
class FailurePlatform(Entry):
    """How one system's failure rates differ from the reference platform's."""

    system: str
    gpus_per_host: PositiveInt
    scaleout_ports_per_gpu: NonNegativeFloat = 1.0
    multipliers: Annotated[dict[str, NonNegativeFloat], Field(
        description="failure class id -> rate multiplier; missing = 1")] = field(
        default_factory=dict)
    infant_shape: Annotated[float, Field(
        gt=0, le=1, description="Weibull shape of new racks' failures")]
    burn_in_days: Annotated[NonNegativeFloat, Field(description="rack age when the rate settles")]
    leaf_down_ports: Annotated[PositiveInt, Field(
        description="scale-out ports below one leaf switch: the hosts a switch failure takes")] = 32


@dataclass(frozen=True, kw_only=True)
class PowerStep(Record):
    """Facility power a site can draw from a date on (grid connection or on-site plant)."""

    date: dt.date
    facility_mw: Annotated[NonNegativeFloat, Field(description="cumulative, from this date on")]
    status: Status
    note: str = ""


SiteStage = Literal["announced", "under-construction", "operating", "withdrawn"]
Confidence = Literal["high", "medium", "low"]


@dataclass(frozen=True, kw_only=True)
class PublishedSite(Record):
    """What has been published about a site's size, beside which the model is shown.

    A count given only in words ("hundreds of thousands") is a ``low``-``high`` range.
    """

    accelerators: Annotated[str, Field(description="the chips as published, in words")]
    system: Annotated[str | None, Field(
        description=("catalog system the model sizes the site with: the published one, or a "
                     "stand-in"))] = None
    stand_in: Annotated[bool, Field(description="system is not the published chip")] = False
    gpus_low: NonNegativeFloat | None = None
    gpus_high: NonNegativeFloat | None = None
    facility_mw_low: NonNegativeFloat | None = None
    facility_mw_high: NonNegativeFloat | None = None
    capex_usd_low: NonNegativeFloat | None = None
    capex_usd_high: NonNegativeFloat | None = None
    capex_covers: Annotated[str, Field(description="what the published capex includes")] = ""
    capex_scope: Annotated[Literal["facility", "all"], Field(
        description=("facility: buildings, power and cooling only (compared with the model's "
                     "facility capex); all: the whole site, systems included"))] = "all"
    at_facility_mw: Annotated[PositiveFloat | None, Field(
        description=("the facility power the published figures describe (a phase); the model "
                     "sizes the site at it when comparing; the site's largest power where "
                     "left out"))] = None
    date: dt.date
    source: Annotated[str, Field(min_length=1)]
    confidence: Confidence
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class Site(Entry):
    """A data-center campus: where it is, its power ramp, its size and its running costs."""

    partner: Annotated[str, Field(description="who builds, leases or operates it")]
    location: str
    region: Annotated[str, Field(
        description="US state (two letters) or country, for energy prices")]
    stage: SiteStage
    power_ramp: Annotated[list[PowerStep], Field(min_length=1)]
    max_facility_mw: Annotated[PositiveFloat, Field(
        description="largest facility power it can hold")]
    committed_mw: Annotated[NonNegativeFloat, Field(
        description="facility power already under construction and financed")] = 0.0
    pue: Annotated[float, Field(ge=1.0, le=3.0)]
    electricity_usd_per_mwh: PositiveFloat
    lead_time_months: Annotated[NonNegativeInt, Field(
        description="from committing a new hall to energising it")]
    estimated: Annotated[dict[str, str], Field(
        description="field -> how its value was estimated")] = field(default_factory=dict)
    tenant: Annotated[str | None, Field(description="whose models the site runs")] = None
    published: PublishedSite | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
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
        unknown = sorted(set(self.estimated) - set(field_names(self)))
        if unknown:
            raise ValueError(f"estimated names unknown fields {unknown}")


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
