"""Pydantic schema of a scenario: the build-out ramp and every assumption it makes.

Each number a scenario assumes is an :class:`Assumption`: a value with its
``source`` or a ``note`` saying why it was chosen, so the report can list every
assumption next to where it came from. A plain number is accepted too and is
marked ``status: input`` (given without a source).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from gigawatt.catalog.schema import HALF_YEAR
from gigawatt.validation import Frozen

AssumptionStatus = Literal[
    "official", "reported", "estimate", "derived", "disputed", "assumption", "input"
]


class Assumption(Frozen):
    """A number the scenario assumes, with where it comes from."""

    value: float
    status: AssumptionStatus = "assumption"
    source: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _has_provenance(self) -> Assumption:
        if self.status != "input" and not (self.source or self.note):
            raise ValueError("give a source or a note saying why this value was chosen")
        return self


def _plain_number(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"value": value, "status": "input"}
    return value


def in_range(low: float, high: float, *, low_open: bool = False) -> AfterValidator:
    """A validator that an Assumption's value lies in ``[low, high]`` (``(low, high]``)."""

    def check(a: Assumption) -> Assumption:
        below = a.value <= low if low_open else a.value < low
        if below or a.value > high:
            left = "(" if low_open else "["
            raise ValueError(
                f"value {a.value:g} is out of range; accepted: {left}{low:g}, {high:g}]")
        return a

    return AfterValidator(check)


Number = Annotated[Assumption, BeforeValidator(_plain_number)]
"""An Assumption, or a plain number (then ``status: input``)."""
Fraction = Annotated[Number, in_range(0.0, 1.0)]
Positive = Annotated[Number, in_range(0.0, 1e15, low_open=True)]
NonNegative = Annotated[Number, in_range(0.0, 1e15)]


class RampStep(Frozen):
    """Cumulative facility power online at the end of a half-year, and the system added."""

    period: str = Field(pattern=HALF_YEAR.pattern, description="e.g. 2026H2")
    facility_gw: float = Field(ge=0.0, description="cumulative, at the end of the period")
    system: str = Field(description="catalog system ID of the capacity added in this period")


class Ramp(Frozen):
    """The build-out ramp: steps in time order, with where the ramp comes from."""

    steps: list[RampStep] = Field(min_length=1)
    status: AssumptionStatus = "assumption"
    source: str | None = None
    note: str | None = None


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
    network_usd_per_rack: NonNegative | None = None


class Finance(Frozen):
    """How capital turns into a yearly cost."""

    depreciation_years: Annotated[Number, in_range(1.0, 30.0)]
    facility_life_years: Annotated[Number, in_range(1.0, 60.0)]
    maintenance_fraction_per_year: Fraction


class Investment(Frozen):
    """An investor's money released as deployment passes each threshold."""

    investor: str
    usd_per_tranche: NonNegative
    gw_per_tranche: Positive
    cap_usd: NonNegative


Metric = Literal[
    "gpus", "gpu_dies", "capex_usd_per_gw", "vendor_usd_per_gw", "first_gw_date",
    "investment_usd",
]


class Claim(Frozen):
    """A figure from the announcement, to be set beside the model's."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    claim: str
    who: str
    source: str
    metric: Metric
    low: float | dt.date
    high: float | dt.date | None = None

    @model_validator(mode="after")
    def _consistent_bounds(self) -> Claim:
        is_date = self.metric == "first_gw_date"
        for bound in (self.low, self.high):
            if bound is not None and isinstance(bound, dt.date) != is_date:
                want = "an ISO date" if is_date else "a number"
                raise ValueError(f"bounds of metric {self.metric} must be {want}")
        if self.high is not None and self.high < self.low:  # type: ignore[operator]
            raise ValueError(f"high {self.high} is below low {self.low}")
        return self


class Scenario(Frozen):
    """A whole build-out plan: what is built when, and every assumption it needs."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    description: str = ""
    sources: list[str] = Field(default_factory=list)
    ramp: Ramp
    facility: Facility
    platforms: dict[str, Platform] = Field(default_factory=dict)
    finance: Finance
    investment: Investment | None = None
    claims: list[Claim] = Field(default_factory=list)
