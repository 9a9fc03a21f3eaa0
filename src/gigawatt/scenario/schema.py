"""Pydantic schema of a scenario: the build-out schedule and every assumption it makes.

Each number a scenario assumes is an :class:`Assumption`: a value with its
``source`` or a ``note`` saying why it was chosen, so the report can list every
assumption next to where it came from. A plain number is accepted too and is
marked ``status: input`` (given without a source).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from gigawatt.catalog.schema import HALF_YEAR
from gigawatt.limits import MAX_COUNT, MAX_FACILITY_GW, MAX_ITEMS, MAX_SITE_GW
from gigawatt.validation import Frozen, NonNegativeFloat

MAX_CLAIMS = 200
"""The most claims a scenario may list (each may size a whole site)."""
MAX_SEQUENCE_TOKENS = 1 << 21
"""The longest training sequence a scenario may name, tokens."""
MAX_LATENCY_MS = 1e7
"""The longest latency limit a scenario may name, ms (about three hours)."""

AssumptionStatus = Literal[
    "official", "reported", "estimate", "derived", "disputed", "assumption", "input"
]


class Distribution(Frozen):
    """An uncertain number: exactly one of the forms below.

    ``uniform: [lo, hi]``, ``triangular: [lo, mode, hi]``, ``normal: [mean, sd]``,
    ``lognormal: [median, sigma]`` (sigma of the log), ``choice: [a, b, ...]`` (equally
    likely). A plain plan uses its central value: the midpoint, mode, mean, median, or the
    middle choice.
    """

    uniform: tuple[float, float] | None = None
    triangular: tuple[float, float, float] | None = None
    normal: tuple[float, float] | None = None
    lognormal: tuple[float, float] | None = None
    choice: tuple[float, ...] | None = Field(default=None, min_length=1, max_length=MAX_ITEMS)

    @model_validator(mode="after")
    def _one_valid_form(self) -> Distribution:
        given = [name for name in FORMS if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(FORMS)}; got {given or 'none'}")
        if self.uniform and self.uniform[0] > self.uniform[1]:
            raise ValueError(f"uniform: lo {self.uniform[0]:g} is above hi {self.uniform[1]:g}")
        if self.triangular and not (
                self.triangular[0] <= self.triangular[1] <= self.triangular[2]):
            raise ValueError("triangular: need lo <= mode <= hi, got "
                             f"{', '.join(f'{v:g}' for v in self.triangular)}")
        if self.normal and self.normal[1] < 0:
            raise ValueError(f"normal: sd {self.normal[1]:g} is negative")
        if self.lognormal and (self.lognormal[0] <= 0 or self.lognormal[1] < 0):
            raise ValueError("lognormal: need median > 0 and sigma >= 0, got "
                             f"{self.lognormal[0]:g}, {self.lognormal[1]:g}")
        return self

    @property
    def form(self) -> str:
        """Which form this is: ``uniform``, ``triangular``, ..."""
        return next(name for name in FORMS if getattr(self, name) is not None)

    @property
    def params(self) -> tuple[float, ...]:
        """The numbers of the form, as given."""
        values: tuple[float, ...] = getattr(self, self.form)
        return values

    def central(self) -> float:
        """The value a plain plan uses."""
        p = self.params
        if self.form == "uniform":
            return (p[0] + p[1]) / 2
        if self.form == "triangular":
            return p[1]
        if self.form == "choice":
            return sorted(p)[(len(p) - 1) // 2]
        return p[0]

    def bounds(self) -> tuple[float, float] | None:
        """The support where it is bounded (uniform, triangular, choice); None otherwise."""
        p = self.params
        if self.form in ("uniform", "triangular"):
            return p[0], p[-1]
        if self.form == "choice":
            return min(p), max(p)
        return None


FORMS = ("uniform", "triangular", "normal", "lognormal", "choice")


class Assumption(Frozen):
    """A number the scenario assumes, with where it comes from and how sure it is.

    ``distribution`` makes it uncertain for ``gigawatt sweep``; ``value`` is then its
    central value unless given.
    """

    value: float
    status: AssumptionStatus = "assumption"
    source: str | None = None
    note: str | None = None
    distribution: Distribution | None = None

    @model_validator(mode="before")
    @classmethod
    def _central_value(cls, data: Any) -> Any:
        if isinstance(data, dict) and "value" not in data and data.get("distribution"):
            dist = Distribution.model_validate(data["distribution"])
            return {**data, "value": dist.central()}
        return data

    @model_validator(mode="after")
    def _has_provenance(self) -> Assumption:
        require_provenance(self, "this value was")
        return self


def require_provenance(block: Assumption | Sourced, what: str) -> None:
    """Raise unless ``block`` has a source or a note, or is marked ``status: input``."""
    if block.status != "input" and not (block.source or block.note):
        raise ValueError(f"give a source or a note saying why {what} chosen")


def _plain_number(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"value": value, "status": "input"}
    if isinstance(value, dict) and value.keys() & set(FORMS):
        return {"distribution": value, "status": "input"}
    return value


@dataclass(frozen=True)
class InRange:
    """The accepted range of an Assumption's value, ``[low, high]`` (``(low, high]`` if
    ``low_open``); bounded distributions must lie inside it too."""

    low: float
    high: float
    low_open: bool = False

    def __call__(self, a: Assumption) -> Assumption:
        span = a.distribution.bounds() if a.distribution else None
        for what, v in (("value", a.value), *(("distribution bound", b) for b in span or ())):
            below = v <= self.low if self.low_open else v < self.low
            if below or v > self.high:
                left = "(" if self.low_open else "["
                raise ValueError(f"{what} {v:g} is out of range; accepted: "
                                 f"{left}{self.low:g}, {self.high:g}]")
        return a


def in_range(low: float, high: float, *, low_open: bool = False) -> AfterValidator:
    """A validator that an Assumption's value lies in ``[low, high]`` (``(low, high]``)."""
    return AfterValidator(InRange(low, high, low_open))


def accepted_range(model: type[Frozen], field: str) -> InRange:
    """The :class:`InRange` declared on a field of ``model`` (for clipping samples)."""
    info = model.model_fields[field]
    pending: list[Any] = [*info.metadata, info.annotation]
    while pending:
        item = pending.pop()
        if isinstance(item, AfterValidator) and isinstance(item.func, InRange):
            return item.func
        pending.extend(get_args(item))
        pending.extend(getattr(item, "__metadata__", ()))
    raise KeyError(f"{model.__name__}.{field} declares no range")


Number = Annotated[Assumption, BeforeValidator(_plain_number)]
"""An Assumption, a plain number or a bare distribution (then ``status: input``)."""
Fraction = Annotated[Number, in_range(0.0, 1.0)]
Positive = Annotated[Number, in_range(0.0, 1e15, low_open=True)]
NonNegative = Annotated[Number, in_range(0.0, 1e15)]


DELAY_LIMIT = 8
"""Longest delay of a ramp step a sweep samples, half-years (never earlier: a platform's
availability is checked at the step's own period)."""


class RampStep(Frozen):
    """Cumulative facility power online at the end of a half-year, and the system added.

    ``facility_gw`` may be uncertain for ``gigawatt sweep``: give it as a distribution
    (``facility_gw: {triangular: [0.6, 1.0, 1.2]}``) or as ``{value, distribution}``; the
    plan uses the central value and the distribution is kept in ``distribution``.
    """

    period: str = Field(pattern=HALF_YEAR.pattern, description="e.g. 2026H2")
    facility_gw: float = Field(ge=0.0, le=MAX_FACILITY_GW,
                               description="cumulative, at the end of the period")
    system: str = Field(description="catalog system ID of the capacity added in this period")
    distribution: Distribution | None = Field(default=None, description=(
        "uncertainty of facility_gw, for gigawatt sweep (a sample below an earlier step's "
        "is raised to it: the ramp is cumulative)"))
    delay_half_years: Distribution | None = Field(default=None, description=(
        "uncertainty of the step's date for gigawatt sweep: half-years after period "
        "(rounded to whole half-years, 0 to 8; e.g. {choice: [0, 1, 2]}); the plan itself "
        "keeps period"))

    @model_validator(mode="after")
    def _delay_in_range(self) -> RampStep:
        span = self.delay_half_years.bounds() if self.delay_half_years else None
        for bound in span or ():
            if not 0 <= bound <= DELAY_LIMIT:
                raise ValueError(f"delay_half_years: distribution bound {bound:g} is out of "
                                 f"range; accepted: [0, {DELAY_LIMIT}]")
        return self

    @model_validator(mode="before")
    @classmethod
    def _uncertain_power(cls, data: Any) -> Any:
        given = data.get("facility_gw") if isinstance(data, dict) else None
        if not isinstance(given, dict):
            return data
        if given.keys() & set(FORMS):
            given = {"distribution": given}
        unknown = set(given) - {"value", "distribution", "status", "source", "note"}
        if unknown or "distribution" not in given:
            raise ValueError("facility_gw: give a number, a distribution or {value, "
                             f"distribution}}; got keys {sorted(given)}")
        dist = Distribution.model_validate(given["distribution"])
        bounds = dist.bounds()
        if bounds is not None and bounds[0] < 0:
            raise ValueError(f"facility_gw: distribution bound {bounds[0]:g} is out of range; "
                             "accepted: [0, inf)")
        return {**data, "facility_gw": given.get("value", dist.central()), "distribution": dist}


class Ramp(Frozen):
    """The build-out ramp: steps in time order, with where the ramp comes from."""

    steps: list[RampStep] = Field(min_length=1, max_length=MAX_ITEMS)
    status: AssumptionStatus = "assumption"
    source: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _reaches_some_power(self) -> Ramp:
        if max(step.facility_gw for step in self.steps) <= 0:
            raise ValueError("steps: facility_gw is 0 in every step; accepted: a ramp that "
                             "reaches more than 0 GW")
        return self


class Facility(Frozen):
    """Site-level assumptions applied to every period."""

    pue: Annotated[Number, in_range(1.0, 3.0)]
    it_overhead_fraction: Fraction
    build_usd_per_mw_it: NonNegative
    utilisation: Fraction
    electricity_usd_per_mwh: NonNegative
    wue_l_per_kwh: Annotated[Number, in_range(0.0, 20.0)]
    grid_kg_co2_per_kwh: Annotated[Number, in_range(0.0, 2.0)]


class Platform(Frozen):
    """Scenario overrides of a catalog system's disputed or missing figures."""

    rack_power_kw: Positive | None = None
    rack_price_usd: NonNegative | None = None


class Network(Frozen):
    """How the scale-out fabric of each platform is built (``gigawatt.estimates.fabric``)."""

    switches: dict[str, str] = Field(
        default_factory=dict, max_length=MAX_ITEMS,
        description="system ID -> switch ID; default: the system's own")
    co_packaged_optics: bool = False
    oversubscription: float = Field(default=1.0, ge=1.0, le=100.0,
                                    description="at the leaf; 1 = none")


Precision = Literal["bf16", "fp8", "fp4"]


class Serving(Frozen):
    """What the fleet serves: a model at a precision, within latency limits."""

    share_of_fleet: Fraction = Field(description="share of each period's GPUs serving")
    model: str = Field(description="catalog model ID or a model YAML file")
    precision: Precision
    ttft_ms: float | None = Field(default=None, gt=0, le=MAX_LATENCY_MS)
    tpot_ms: float | None = Field(default=None, gt=0, le=MAX_LATENCY_MS)
    status: AssumptionStatus = "assumption"
    source: str | None = None
    note: str | None = None


class Training(Frozen):
    """The frontier run the plan times on each period's largest single-site job."""

    model: str = Field(description="catalog model ID or a model YAML file")
    tokens: Positive
    seq_len: int = Field(gt=0, le=MAX_SEQUENCE_TOKENS)
    global_batch: int = Field(gt=0, le=1 << 24, description="sequences per step")
    precision: Precision
    max_site_facility_gw: Annotated[Number, in_range(0.0, MAX_SITE_GW, low_open=True)
                                    ] | None = Field(default=None, description=(
        "the largest single site, facility GW; required with a ramp (a buildout's sites "
        "hold what they hold)"))
    profile: Literal["research", "production", "fault-tolerant"] = "production"
    yardstick_days: float = Field(default=90.0, gt=0, le=3650, description=(
        "wall-clock days of the frontier yardstick: the largest run a site completes in them"))
    detection_min: Positive | None = None
    restart_min: Positive | None = None
    status: AssumptionStatus = "assumption"
    source: str | None = None
    note: str | None = None



class Operations(Frozen):
    """How the fleet runs its training jobs: an operations profile (reliability_profiles.yaml)
    and any of its figures replaced, e.g. ``{checkpoint_target: peer, hot_spare_fraction:
    0.05}`` (names as ``gigawatt reliability --json``'s ``operations``; checked when the plan
    runs). Replaces ``training.profile`` where given."""

    profile: Literal["research", "production", "fault-tolerant"] = "production"
    overrides: dict[str, float | bool | str] = Field(default_factory=dict)
    status: AssumptionStatus = "assumption"
    source: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _has_provenance(self) -> Operations:
        if self.status != "input" and not (self.source or self.note):
            raise ValueError("give a source or a note saying why these operations were chosen")
        return self


class DemandKind(Frozen):
    """One kind of request (chat, reasoning, agents, API): its published rate, how it is
    projected, its token shape and its latency limits.

    The fleet decodes ``output + hidden`` tokens per request; ``hidden`` are the reasoning
    tokens a reasoning model writes and the user never sees.
    """

    kind: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    requests_per_day: Positive
    as_of: str = Field(pattern=HALF_YEAR.pattern, description="half-year of the rate")
    growth_per_year: Annotated[Number, in_range(-1.0, 100.0)]
    input_tokens_per_request: Positive
    output_tokens_per_request: Positive
    hidden_tokens_per_request: NonNegative = Field(
        default_factory=lambda: Assumption(
            value=0.0, note="none given: a model that writes no hidden reasoning tokens"))
    ttft_ms: float | None = Field(default=None, gt=0)
    tpot_ms: float | None = Field(default=None, gt=0)
    users: bool = Field(default=False, description=(
        "requests made by the weekly users (chat, reasoning): counted in users served"))

    @model_validator(mode="after")
    def _not_sampled(self) -> DemandKind:
        fixed_numbers(self, "demand is not sampled by gigawatt sweep")
        return self


class Demand(Frozen):
    """Users into load, and how the user base grows (the serving stage's demand).

    With ``kinds``, the serving stage serves each kind with its own shape and limits and
    the user fields describe the people behind the ``users`` kinds; without, one kind is
    built from the user fields (``U a q`` requests a day of ``n_in``, ``n_out`` tokens).
    """

    weekly_active_users: Positive
    as_of: str = Field(pattern=HALF_YEAR.pattern, description="half-year of the user count")
    user_growth_per_year: Annotated[Number, in_range(-1.0, 100.0)]
    daily_active_share: Fraction
    requests_per_active_user_per_day: Positive
    input_tokens_per_request: Positive
    output_tokens_per_request: Positive
    peak_to_average: Annotated[Number, in_range(1.0, 1000.0)]
    kinds: list[DemandKind] = Field(default_factory=list)



class Finance(Frozen):
    """How capital turns into a yearly cost."""

    depreciation_years: Annotated[Number, in_range(1.0, 30.0)]
    facility_life_years: Annotated[Number, in_range(1.0, 60.0)]
    maintenance_fraction_per_year: Fraction
    wacc: Annotated[Number, in_range(0.0, 1.0)] | None = Field(default=None, description=(
        "weighted average cost of capital, per year; adds $/GPU-hour and $/M tokens with "
        "capital recovered at this rate"))


def fixed_numbers(model: Frozen, why: str) -> None:
    """Raise if any Assumption field of ``model`` carries a distribution."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, Assumption) and value.distribution is not None:
            raise ValueError(f"{name}: {why}; accepted: a number")


class Investment(Frozen):
    """An investor's money released as deployment passes each threshold (the terms may carry
    distributions for ``gigawatt sweep``)."""

    investor: str
    usd_per_tranche: NonNegative
    gw_per_tranche: Positive
    cap_usd: NonNegative


Metric = Literal[
    "gpus", "gpu_dies", "capex_usd_per_gw", "vendor_usd_per_gw", "first_gw_date",
    "investment_usd", "site_optics_pluggable_mw", "site_optics_cpo_mw",
    "first_gw_buildable_date",
]
DATE_METRICS = ("first_gw_date", "first_gw_buildable_date")
SITE_METRICS = ("site_optics_pluggable_mw", "site_optics_cpo_mw")
"""Metrics of a hypothetical site of ``at_gpus`` GPUs of the scenario's first platform."""


class Claim(Frozen):
    """A figure from the announcement, to be set beside the model's."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    claim: str
    who: str
    source: str
    metric: Metric
    low: float | dt.date
    high: float | dt.date | None = None
    at_gpus: int | None = Field(default=None, gt=0, le=MAX_COUNT,
                                description="site size of a site metric")
    quote: str | None = Field(default=None, description="the source's own words, verbatim")
    reading: str | None = Field(default=None, description=(
        "how the claim's words become the range, where sources disagree"))
    sites: list[str] = Field(default_factory=list, description=(
        "catalog site IDs whose published power ramps a buildable-date metric counts"))

    @model_validator(mode="after")
    def _consistent_bounds(self) -> Claim:
        if (self.metric in SITE_METRICS) != (self.at_gpus is not None):
            raise ValueError(f"at_gpus is required with the metrics {', '.join(SITE_METRICS)} "
                             "and accepted only with them")
        is_date = self.metric in DATE_METRICS
        for bound in (self.low, self.high):
            if bound is not None and isinstance(bound, dt.date) != is_date:
                want = "an ISO date" if is_date else "a number"
                raise ValueError(f"bounds of metric {self.metric} must be {want}")
        if (self.metric == "first_gw_buildable_date") != bool(self.sites):
            raise ValueError("sites (catalog site IDs) are required with the metric "
                             "first_gw_buildable_date and accepted only with it")
        if self.high is not None and self.high < self.low:  # type: ignore[operator]
            raise ValueError(f"high {self.high} is below low {self.low}")
        return self


QUARTER_LABEL = r"^\d{4}Q[1-4]$"
"""A calendar quarter, ``2026Q3`` (see :mod:`gigawatt.buildout.quarters`)."""


class Sourced(Frozen):
    """Where a block of figures comes from: a source or a note, unless given as plain input."""

    status: AssumptionStatus = "assumption"
    source: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _has_provenance(self) -> Sourced:
        require_provenance(self, "these values were")
        return self


def _period_keys(value: Any) -> Any:
    # YAML reads an unquoted year (2027) as a number; periods are labels.
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    return value


class Amounts(Sourced):
    """An amount per period, each period a year (``'2027'``), half-year (``'2027H1'``) or
    quarter (``'2027Q3'``); the optimiser spreads each evenly over its quarters.

    ``distribution``: the uncertainty of the total, for ``gigawatt sweep``; a sample scales
    every period by ``sample / total``.
    """

    per_period: Annotated[dict[str, NonNegativeFloat], BeforeValidator(_period_keys)] = Field(
        min_length=1, max_length=MAX_ITEMS)
    distribution: Distribution | None = None

    @model_validator(mode="after")
    def _scalable(self) -> Amounts:
        if self.distribution is None:
            return self
        span = self.distribution.bounds()
        if span is not None and span[0] < 0:
            raise ValueError(f"distribution bound {span[0]:g} is out of range; accepted: "
                             "[0, 1e+15]")
        if not self.total > 0:
            raise ValueError("distribution: the amounts total 0, so there is nothing to "
                             "scale; accepted: a distribution on amounts whose total is > 0")
        return self

    @property
    def total(self) -> float:
        """Sum over every period given."""
        return float(sum(self.per_period.values()))


class BuildoutPlatform(Frozen):
    """A platform the optimiser may install: when it can, and how many racks are delivered."""

    release: str | None = Field(default=None, pattern=QUARTER_LABEL, description=(
        "first quarter it can be installed; default: the first quarter of the catalog's "
        "'available' half-year"))
    supply_racks: Amounts


class BuildoutTarget(Sourced):
    """Facility power that must be online by the end of a quarter."""

    facility_gw: float = Field(gt=0.0, le=MAX_FACILITY_GW)
    quarter: str = Field(pattern=QUARTER_LABEL)


class Buildout(Sourced):
    """The schedule as an optimisation over sites, supply and money (instead of a ``ramp``).

    ``gigawatt plan`` solves the build-out linear programme (:mod:`gigawatt.buildout`):
    which platform to install at which listed site in which quarter, within each site's
    power, size and lead time, the racks delivered and the money available.
    """

    sites: list[str] = Field(min_length=1, max_length=MAX_ITEMS, description="catalog site IDs")
    first_quarter: str = Field(pattern=QUARTER_LABEL)
    last_quarter: str = Field(pattern=QUARTER_LABEL)
    objective: Literal["compute", "cost"] = Field(
        default="compute", description="compute: most EFLOP-days over the horizon; cost: "
                                       "meet the target at least capex plus electricity")
    target: BuildoutTarget | None = None
    precision: Precision = Field(default="fp8", description="the compute the objective counts")
    platforms: dict[str, BuildoutPlatform] = Field(min_length=1, max_length=MAX_ITEMS)
    capital_usd: Amounts
    committed_mw: dict[str, NonNegative] = Field(
        default_factory=dict, max_length=MAX_ITEMS,
        description="site ID -> facility MW already financed, in place of the catalog's "
                    "committed_mw")
    site_power_share: Annotated[Number, in_range(0.0, 1.0, low_open=True)] | None = Field(
        default=None, description="share of every listed site's power ramp that arrives "
                                  "(default 1: as the catalog has it); may carry a "
                                  "distribution for gigawatt sweep")

    @model_validator(mode="after")
    def _cost_needs_target(self) -> Buildout:
        if self.objective == "cost" and self.target is None:
            raise ValueError("objective 'cost' needs a target: {facility_gw, quarter}")
        for site, mw in self.committed_mw.items():
            if mw.distribution is not None:
                raise ValueError(f"committed_mw.{site}: the programme is solved at fixed "
                                 "figures, so gigawatt sweep does not sample it; accepted: a "
                                 "number")
        return self


class RankCorrelation(Sourced):
    """Rank (Spearman) correlations between uncertain inputs, for ``gigawatt sweep``.

    ``inputs`` are sweep paths (``platforms.vr-nvl72.rack_power_kw``); ``matrix`` is their
    correlation matrix: symmetric, ones on the diagonal, entries in [-1, 1], positive definite.
    Samples are paired to it by the Iman-Conover method (:mod:`gigawatt.sweep.sampling`).
    """

    inputs: list[str] = Field(min_length=2)
    matrix: list[list[float]]

    @field_validator("inputs")
    @classmethod
    def _distinct(cls, inputs: list[str]) -> list[str]:
        if len(set(inputs)) != len(inputs):
            raise ValueError("each input may appear once")
        return inputs

    @field_validator("matrix")
    @classmethod
    def _valid_matrix(cls, matrix: list[list[float]], info: ValidationInfo) -> list[list[float]]:
        import numpy as np

        d = len(info.data.get("inputs") or ())
        m = np.array(matrix, dtype=float) if d and all(len(r) == d for r in matrix) else None
        if m is None or m.shape != (d, d):
            raise ValueError(f"must be {d} x {d}, one row and column per input")
        if not np.all(np.isfinite(m)) or np.any(np.abs(m) > 1):
            raise ValueError("entries must lie in [-1, 1]")
        if not np.allclose(np.diag(m), 1.0):
            raise ValueError("the diagonal must be 1")
        if not np.allclose(m, m.T):
            raise ValueError("must be symmetric")
        smallest = float(np.linalg.eigvalsh(m)[0])
        if smallest <= 1e-10:
            raise ValueError(f"not positive definite (smallest eigenvalue {smallest:.3g}); "
                             "accepted: a valid correlation matrix")
        return matrix


class Scenario(Frozen):
    """A whole build-out plan: what is built when, and every assumption it needs.

    The schedule is either a ``ramp`` (facility power per half-year, given) or a
    ``buildout`` (sites, supply and money, optimised); exactly one of the two.
    """

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    description: str = ""
    sources: list[str] = Field(default_factory=list, max_length=MAX_ITEMS)
    ramp: Ramp | None = None
    buildout: Buildout | None = None
    facility: Facility
    platforms: dict[str, Platform] = Field(default_factory=dict, max_length=MAX_ITEMS)
    network: Network = Field(default_factory=Network)
    serving: Serving | None = None
    demand: Demand | None = None
    training: Training | None = None
    operations: Operations | None = None
    finance: Finance
    investment: Investment | None = None
    claims: list[Claim] = Field(default_factory=list, max_length=MAX_CLAIMS)
    correlation: RankCorrelation | None = None

    @model_validator(mode="after")
    def _one_schedule(self) -> Scenario:
        if (self.ramp is None) == (self.buildout is None):
            raise ValueError("give exactly one of ramp (facility power per half-year) and "
                             "buildout (sites, supply and money, optimised)")
        if self.ramp and self.training and self.training.max_site_facility_gw is None:
            raise ValueError("training.max_site_facility_gw: required with a ramp (the "
                             "largest single site, facility GW); accepted: a number")
        return self

    @model_validator(mode="after")
    def _serving_has_demand(self) -> Scenario:
        if (self.serving is None) != (self.demand is None):
            raise ValueError("serving and demand go together: give both or neither")
        return self
