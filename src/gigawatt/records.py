"""Input records that load without pydantic: frozen dataclasses, validated on demand.

A command that reads the cached catalog only unpickles its entries; defining them as
pydantic models would import pydantic (a third of a short command's start-up) just to
rebuild objects that were validated when the cache was written. A :class:`Record` is a
plain ``dataclass(frozen=True, kw_only=True)`` whose annotations are postponed strings:
they name the constrained types of :mod:`gigawatt.validation` (``PositiveFloat``,
``Annotated[..., Field(ge=0)]``), which :func:`gigawatt.validation.record_adapter`
resolves when it builds the record's validator. Pydantic validates the fields with
:data:`RECORD_CONFIG`, then runs ``__post_init__``: the cross-field checks.
"""

from __future__ import annotations

import dataclasses
from typing import Any

RECORD_CONFIG: dict[str, Any] = {"extra": "forbid", "str_strip_whitespace": True,
                                 "allow_inf_nan": False, "defer_build": True}
"""Every input record's validation settings: unknown fields refused, strings stripped, NaN
and infinities refused in every float field (nested ones too), the validator built on its
first use. The scenario's pydantic models (:class:`gigawatt.validation.Frozen`) share them."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class Record:
    """Base of the catalog's records. Subclasses are ``dataclass(frozen=True, kw_only=True)``
    and chain ``super().__post_init__()`` in their checks (an entry may have two bases)."""

    __pydantic_config__ = RECORD_CONFIG

    def __post_init__(self) -> None:
        """Cross-field checks of subclasses; a ``ValueError`` names the field first."""


def field_names(record: Record | type[Record]) -> tuple[str, ...]:
    """The record's field names, in order."""
    return tuple(f.name for f in dataclasses.fields(record))
