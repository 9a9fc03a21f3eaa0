"""Reading YAML and validating it into frozen pydantic models, with one-line errors.

Catalog and scenario loaders share this edge: a YAML syntax error, a missing
file or a schema violation becomes a :class:`~gigawatt.errors.GigawattError`
whose message names the file, the field path, the value given and what is
accepted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from gigawatt.errors import GigawattError

M = TypeVar("M", bound=BaseModel)


class Frozen(BaseModel):
    """Base of every input record: immutable, unknown fields rejected."""

    # defer_build: a model's validator is built on its first use, not at import; a command
    # that reads the cached catalog (:mod:`gigawatt.catalog.loader`) never builds most of them.
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True,
                              defer_build=True)


def read_yaml(path: Path, error: type[GigawattError]) -> Any:
    """Parse a YAML file, turning I/O and syntax errors into one-line ``error``s."""
    if not path.exists():
        raise error(f"{path}: file not found")
    if not path.is_file():
        raise error(f"{path}: not a file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read: {exc}") from None
    return parse_yaml(text, str(path), error)


def parse_yaml(text: str, where: str, error: type[GigawattError]) -> Any:
    """Parse YAML text; a syntax error names the line and column.

    libyaml's loader when PyYAML was built with it (several times faster), else PyYAML's own.
    """
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)  # a safe loader: plain data only
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise error(f"{where}: YAML syntax error{at}: {problem}") from None


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
        elif err["type"] == "extra_forbidden":
            reason = "unknown field"
        elif isinstance(given, dict | list):
            reason = msg
        else:
            reason = f"{given!r} is not accepted: {msg}"
        out.append((loc, reason))
    return out


def field_location(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    """A pydantic error location without the names pydantic gives union members."""
    return tuple(p for p in loc if not _is_union_tag(p))


def _is_union_tag(part: int | str) -> bool:
    # pydantic inserts union member names such as 'float' or 'function-after[...]'.
    return isinstance(part, str) and ("[" in part or part in {"float", "int", "str", "date"})


def validate(model: type[M], data: Any, where: str, error: type[GigawattError],
             prefix: tuple[int | str, ...] = ()) -> M:
    """Validate ``data`` into ``model`` or raise ``error`` with a one-line message."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise error(describe(exc, where, prefix)) from None
