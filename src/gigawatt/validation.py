"""Reading YAML and validating it into frozen pydantic models, with one-line errors.

Catalog and scenario loaders share this edge: a YAML syntax error, a missing
file or a schema violation becomes a :class:`~gigawatt.errors.GigawattError`
whose message names the file, the field path, the value given and what is
accepted.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gigawatt.errors import GigawattError

if TYPE_CHECKING:
    import yaml

M = TypeVar("M", bound=BaseModel)

# Bounds every input number meets: far beyond any real plan, close enough that no stage
# allocates or loops without limit. The error names the bound (pydantic's "less than or
# equal to ...").
MAX_QUANTITY = 1e15
"""The largest plain quantity a schema field takes (USD, MW, tokens, ...)."""
MAX_COUNT = 10**9
"""The largest count a schema field takes (GPUs, racks, ports, sequences, ...)."""
MAX_DIMENSION = 1 << 20
"""The largest model dimension (layers, hidden size, heads, experts, vocabulary)."""
MAX_FACILITY_GW = 1000.0
"""The most facility power a ramp step may name, GW (a tenth of the world's generation
capacity; the announced build-outs are 10 GW)."""
MAX_SITE_GW = 100.0
"""The most facility power one site may hold, GW."""
MAX_ITEMS = 1000
"""The most entries a list or mapping of a scenario may hold (ramp steps, claims, ...)."""
MAX_SAMPLES = 200_000
"""The most samples or grid points one sweep runs: twice the 100,000 samples a whole-plan
sweep of the default scenario takes in seconds; the bound keeps memory to a few GB."""
MAX_API_SAMPLES = 20_000
"""The most samples (or grid points) one vectorised sweep over HTTP runs: a shared service
answers each request in about a second (the CLI takes :data:`MAX_SAMPLES`)."""
MAX_API_POOLED_SAMPLES = 200
"""The most samples one process-pool sweep over HTTP runs: each sample (and each tornado
end) is a whole scalar plan, with the stages that do not vectorise (a training search)."""
MAX_WORKERS = 256
"""The most worker processes (or Ray tasks in flight) a pooled sweep starts."""
MAX_YAML_BYTES = 1 << 20
"""The largest YAML document read, bytes."""
MAX_YAML_DEPTH = 32
"""The deepest nesting of a YAML document (a scenario needs six levels)."""
MAX_YAML_ALIASES = 100
"""The most alias references (``*name``) a YAML document may hold: aliases let a few
bytes expand into a huge document."""

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


class Frozen(BaseModel):
    """Base of every input record: immutable, unknown fields rejected, finite numbers only
    (NaN and infinities are refused in every float field, nested ones included)."""

    # defer_build: a model's validator is built on its first use, not at import; a command
    # that reads the cached catalog (:mod:`gigawatt.catalog.loader`) never builds most of them.
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True,
                              allow_inf_nan=False, defer_build=True)


_USER_FILES = ContextVar("gigawatt_user_files", default=True)
_PACKAGE_DIR = Path(__file__).resolve().parent


@contextlib.contextmanager
def no_user_files() -> Iterator[None]:
    """Within this block :func:`read_yaml` reads only the package's own data files.

    The HTTP service computes every request inside it, so no request can make the
    server read, or reveal the existence of, a file it names.
    """
    token = _USER_FILES.set(False)
    try:
        yield
    finally:
        _USER_FILES.reset(token)


def forbid_user_files() -> None:
    """For the rest of this process (a service's worker), read only the package's files."""
    _USER_FILES.set(False)


def user_files_allowed() -> bool:
    """Whether files named by the user may be read here (False inside the service)."""
    return _USER_FILES.get()


def read_yaml(path: Path, error: type[GigawattError]) -> Any:
    """Parse a YAML file, turning I/O and syntax errors into one-line ``error``s."""
    if not _USER_FILES.get() and not path.resolve().is_relative_to(_PACKAGE_DIR):
        raise error("files are not read over HTTP; accepted: a catalog ID, a built-in name "
                    "or an inline document")
    if not path.exists():
        raise error(f"{path}: file not found")
    if not path.is_file():
        raise error(f"{path}: not a file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read: {exc}") from None
    return parse_yaml(text, str(path), error)


@functools.cache
def _loader() -> type[yaml.SafeLoader]:
    """libyaml's safe loader when PyYAML was built with it (several times faster); both safe.
    PyYAML is imported here: a command whose data comes from the cache never needs it."""
    import yaml

    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return loader


def parse_yaml(text: str, where: str, error: type[GigawattError]) -> Any:
    """Parse YAML text; a syntax error names the line and column.

    Documents over :data:`MAX_YAML_BYTES`, nested deeper than :data:`MAX_YAML_DEPTH`
    or with more than :data:`MAX_YAML_ALIASES` aliases are refused before they are
    built, and so are numbers too long to convert: each is one line, never a
    RecursionError or a document that expands beyond memory.
    """
    import yaml

    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_YAML_BYTES:
        raise error(f"{where}: the document is {size:,} bytes; accepted: at most "
                    f"{MAX_YAML_BYTES:,}")
    try:
        _check_shape(text, where, error)
        return yaml.load(text, Loader=_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise error(f"{where}: YAML syntax error{at}: {problem}") from None
    except (ValueError, OverflowError) as exc:  # int('9' * 5000): over Python's digit limit
        raise error(f"{where}: a number is not accepted: {str(exc).splitlines()[0]}") from None
    except RecursionError:  # the depth check above makes this unreachable; kept as a guard
        raise error(f"{where}: the document is nested too deeply; accepted: at most "
                    f"{MAX_YAML_DEPTH} levels") from None


def _check_shape(text: str, where: str, error: type[GigawattError]) -> None:
    # The event stream comes from an iterative parser (libyaml's when PyYAML has it, about
    # 20x faster than the pure-Python one), so measuring depth here cannot itself recurse;
    # the composer that the load runs afterwards does.
    import yaml

    depth = aliases = 0
    for event in yaml.parse(text, Loader=_loader()):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark else 0
                raise error(f"{where}: the document is nested over {MAX_YAML_DEPTH} levels "
                            f"deep (line {line}); accepted: at most {MAX_YAML_DEPTH}")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_YAML_ALIASES:
                raise error(f"{where}: over {MAX_YAML_ALIASES} YAML aliases (*name); "
                            f"accepted: at most {MAX_YAML_ALIASES}")


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
    """Validate ``data`` into ``model`` or raise ``error`` with a one-line message."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise error(describe(exc, where, prefix)) from None
