"""Validating documents into frozen records, with one-line errors.

Catalog and scenario loaders share this edge (after :mod:`gigawatt.yamlio` has read the
YAML): a schema violation becomes a :class:`~gigawatt.errors.GigawattError` whose message
names the file, the field path, the value given and what is accepted.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from gigawatt.errors import GigawattError
from gigawatt.limits import MAX_COUNT, MAX_DIMENSION, MAX_QUANTITY
from gigawatt.records import RECORD_CONFIG, Record

M = TypeVar("M")
R = TypeVar("R", bound=Record)

# Every bound is a constant of gigawatt.limits; the error names it (pydantic's "less than or
# equal to ...").

Finite = Annotated[float, Field(allow_inf_nan=False)]
"""A finite float: NaN and infinities are refused, naming the field."""
Quantity = Annotated[float, Field(allow_inf_nan=False, ge=-MAX_QUANTITY, le=MAX_QUANTITY)]
"""A finite float within +-:data:`MAX_QUANTITY`."""
PositiveFloat = Annotated[float, Field(allow_inf_nan=False, gt=0, le=MAX_QUANTITY)]
NonNegativeFloat = Annotated[float, Field(allow_inf_nan=False, ge=0, le=MAX_QUANTITY)]
PositiveInt = Annotated[int, Field(gt=0, le=MAX_COUNT)]
NonNegativeInt = Annotated[int, Field(ge=0, le=MAX_COUNT)]
Dimension = Annotated[int, Field(gt=0, le=MAX_DIMENSION)]
"""A model dimension: a whole number in 1 to :data:`MAX_DIMENSION`."""
DimensionOrZero = Annotated[int, Field(ge=0, le=MAX_DIMENSION)]
"""A model dimension that is 0 where the feature is absent."""


class Frozen(BaseModel):
    """Base of the scenario's pydantic models (the catalog's are
    :class:`~gigawatt.records.Record` dataclasses): immutable, with :data:`RECORD_CONFIG`."""

    # defer_build (in RECORD_CONFIG): a model's validator is built on its first use, not at
    # import; most commands never build most of them.
    model_config = ConfigDict(frozen=True, **RECORD_CONFIG)  # type: ignore[typeddict-item]


def field_path(loc: tuple[int | str, ...]) -> str:
    """``('ramp', 2, 'facility_gw')`` -> ``'ramp[2].facility_gw'``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def describe(exc: ValidationError, where: str, prefix: tuple[int | str, ...] = ()) -> str:
    """One line for the first problem in a pydantic ValidationError."""
    loc, reason = field_errors(exc, prefix)[0]
    return f"{where}: {field_path(loc)}: {reason}"


def field_errors(exc: ValidationError, prefix: tuple[int | str, ...] = ()
                 ) -> list[tuple[tuple[int | str, ...], str]]:
    """Every problem in a pydantic ValidationError as (field location, reason), in order."""
    out = []
    for err in exc.errors(include_url=False):
        loc = prefix + field_location(err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        given = err.get("input")
        if err["type"] == "missing":
            reason = "required field is missing"
        elif err["type"] in ("extra_forbidden", "unexpected_keyword_argument"):
            reason = "unknown field"
        elif isinstance(given, dict | list):
            reason = msg
            loc += _named_field(msg, given)
        else:
            reason = f"{given!r} is not accepted: {msg}"
        out.append((loc, reason))
    return out


def _named_field(msg: str, given: Any) -> tuple[str, ...]:
    # A record-level check names the field it is about first ("attention_heads 16 leave
    # no room ..."): place the problem at that field when the record has it.
    first = msg.split(" ", 1)[0]
    if "_" not in first and "." not in first:  # a plain word ("value ...") is prose
        return ()
    parts = tuple(first.split("."))
    node = given
    for part in parts:
        if not isinstance(node, dict) or part not in node:
            return ()
        node = node[part]
    return parts


def field_location(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    """A pydantic error location without the names pydantic gives union members."""
    return tuple(p for p in loc if not _is_union_tag(p))


def _is_union_tag(part: int | str) -> bool:
    # pydantic inserts union member names such as 'float' or 'function-after[...]'.
    return isinstance(part, str) and ("[" in part or part in {"float", "int", "str", "date"})


def validate(model: type[M], data: Any, where: str, error: type[GigawattError],
             prefix: tuple[int | str, ...] = ()) -> M:
    """Validate ``data`` into ``model`` (a pydantic model or a :class:`Record`) or raise
    ``error`` with a one-line message."""
    try:
        if isinstance(model, type) and issubclass(model, Record):
            found: M = record_adapter(model).validate_python(data)
            return found
        return model.model_validate(data)  # type: ignore[attr-defined]
    except ValidationError as exc:
        raise error(describe(exc, where, prefix)) from None


_RECORD_NAMES = {"Annotated": Annotated, "Field": Field, "Finite": Finite, "Quantity": Quantity,
                 "PositiveFloat": PositiveFloat, "NonNegativeFloat": NonNegativeFloat,
                 "PositiveInt": PositiveInt, "NonNegativeInt": NonNegativeInt,
                 "Dimension": Dimension, "DimensionOrZero": DimensionOrZero}
"""The names a record's postponed annotations use beside its own module's."""


_ADAPTERS: dict[type[Record], TypeAdapter[Any]] = {}


def record_adapter(record: type[R]) -> TypeAdapter[R]:
    """The validator of a :class:`~gigawatt.records.Record` type, built on its first use with
    the constrained types of this module bound to the names its annotations give."""
    adapter = _ADAPTERS.get(record)
    if adapter is None:  # published only once built: a thread never sees a half-built one
        adapter = TypeAdapter(record)
        adapter.rebuild(_types_namespace=_RECORD_NAMES)
        _ADAPTERS[record] = adapter
    return adapter


def dump(record: Record, **options: Any) -> Any:
    """A record as plain data (pydantic's ``dump_python``; ``mode="json"`` for JSON types)."""
    return record_adapter(type(record)).dump_python(record, **options)
