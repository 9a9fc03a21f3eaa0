"""Every numeric flag of every command: finite, and within a bound no real plan reaches.

:func:`harden` walks the click command that Typer builds and gives each ``int`` or
``float`` option a check (chained after any callback the command declares): NaN and
infinities are refused, and so is a value outside the flag's accepted range, with one
line that names the flag, the value and the range. A command declares nothing for
this; a flag whose range differs from the default is listed in :data:`FLAG_RANGES`.
"""

from __future__ import annotations

import math
import re
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import typer

from gigawatt.limits import MAX_SAMPLES, MAX_WORKERS

MAX_FLOAT = 1e15
"""A float flag's upper bound unless :data:`FLAG_RANGES` says otherwise."""
MAX_INT = 10**9
"""An int flag's upper bound unless :data:`FLAG_RANGES` says otherwise."""
MAX_GPUS = 10_000_000
"""The most GPUs a flag may name: beyond a 10 GW build-out's millions."""
MAX_TRIALS = 100_000
"""The most Monte Carlo trials ``reliability`` runs (a few seconds of a core)."""

FLAG_RANGES: dict[str, tuple[float | None, float]] = {
    "--gpus": (None, MAX_GPUS),
    "--hot-spares": (None, MAX_GPUS),
    "--tp": (None, MAX_GPUS), "--pp": (None, MAX_GPUS), "--dp": (None, MAX_GPUS),
    "--cp": (None, MAX_GPUS), "--ep": (None, MAX_GPUS),
    "--micro-batch": (None, 1 << 24), "--global-batch": (None, 1 << 24),
    "--seq-len": (None, 1 << 21), "--input-tokens": (None, 1 << 21),
    "--output-tokens": (None, 1 << 21),
    "--tokens": (None, 1e18),
    "--top": (None, 100),
    "--trials": (0, MAX_TRIALS),
    "--samples": (None, MAX_SAMPLES),
    "--workers": (1, MAX_WORKERS),
    "--seed": (0, 2**63 - 1),
    "--port": (1, 65535),
    "--days": (None, 36500),
    "--rack-age-days": (None, 36500),
    "--goodput": (None, 1), "--frontend-fraction": (None, 1), "--daily-active-share": (None, 1),
    "--oversubscription": (None, 100),
    "--rails": (None, 1024), "--planes": (None, 1024),
    "--peak-to-average": (None, 1000),
    "--users": (None, 1e11),
    "--rate-scale": (None, 1e6),
    "--usd-per-gpu-hour": (0, 1e6),
}
"""Accepted ranges of flags whose bounds are not the defaults: ``(low, high)``. A low of
None leaves the lower bound to the library, whose message says what is accepted."""


def flag_range(flag: str, kind: type) -> tuple[float | None, float]:
    """The accepted ``(low, high)`` of a flag of type ``kind`` (int or float); a low of
    None: checked by the library."""
    return FLAG_RANGES.get(flag, (None, MAX_INT if kind is int else MAX_FLOAT))


def _number_kind(annotation: Any) -> type | None:
    if annotation in (int, float):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType, list):
        kinds = {k for a in get_args(annotation) if (k := _number_kind(a))}
        return kinds.pop() if len(kinds) == 1 else None
    return None


def _checker(flag: str, kind: type,
             before: Callable[..., Any] | None) -> Callable[..., Any]:
    low, high = flag_range(flag, kind)
    accepted = f"{_shown(low)} to {_shown(high)}" if low is not None else f"at most {_shown(high)}"

    def check_one(value: Any) -> None:
        if isinstance(value, float) and not math.isfinite(value):
            raise typer.BadParameter(f"{value} is not a finite number; accepted: {accepted}")
        if isinstance(value, int | float) and (value > high or (low is not None and value < low)):
            raise typer.BadParameter(f"{_shown(value)} is out of range; accepted: {accepted}")

    def check(ctx: Any, param: Any, value: Any) -> Any:
        for item in value if isinstance(value, list | tuple) else (value,):
            check_one(item)
        return before(ctx, param, value) if before else value

    return check


def _shown(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() and abs(x) < 1e12 else f"{x:g}"


_DIGITS = re.compile(r"0|[1-9][0-9]{0,17}")
_DECIMAL = re.compile(r"[0-9]{1,30}(\.[0-9]{0,30})?([eE][+-]?[0-9]{1,3})?")


class Coercion:
    """Typer's conversion of one parameter's value, with its pydantic TypeAdapter built
    only for a value that needs one (paths never need one).

    Typer builds a TypeAdapter for every parameter of the command being run, given or not
    (21 for ``train``, and the first loads pydantic's plugin machinery): a tenth of a short
    command's run. A value left at its default, a string, or a plain decimal number within
    the option's ``min``/``max`` converts here to exactly what the adapter returns; every
    other value, and every error, goes through typer's own adapter.
    """

    def __init__(self, descriptor: Any) -> None:
        self.descriptor = descriptor
        self.full: Any = None

    def plain(self, value: Any) -> tuple[bool, Any]:
        """``(True, converted)`` for a value converted here, else ``(False, None)``."""
        kind, info = self.descriptor.annotation, self.descriptor.parameter_info
        if value is None or (kind is str and type(value) is str):
            return True, value
        if kind not in (int, float) or info.clamp:
            return False, None
        if type(value) is kind:
            number = value
        elif isinstance(value, str) and (_DIGITS if kind is int else _DECIMAL).fullmatch(value):
            number = kind(value)
        else:
            return False, None
        inside = ((info.min is None or number >= info.min)
                  and (info.max is None or number <= info.max))
        return inside, number if inside else None

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        """The value typer's own coercion returns, or its error."""
        done, converted = self.plain(value)
        if done:
            return converted
        kind, info = self.descriptor.annotation, self.descriptor.parameter_info
        if isinstance(kind, type) and issubclass(kind, Path) and self.descriptor.is_path:
            # typer's path adapter only wraps this call (its checks: exists, file or folder)
            from typer._param_types import coerce_cli_path

            return coerce_cli_path(value, info, path_type=info.path_type or kind, param=param,
                                   ctx=ctx)
        if self.full is None:
            from typer._coercion import build_runtime_param

            self.full = build_runtime_param(self.descriptor)
        return self.full.coerce(value, param=param, ctx=ctx)


def _simple(param: Any) -> bool:
    # one value, no parser of its own, not a file; and a typer that converts through
    # ``_runtime_param`` (set to None until first use)
    descriptor = getattr(param, "type_descriptor", None)
    return (descriptor is not None and getattr(param, "_runtime_param", 0) is None
            and not param.multiple and param.nargs == 1
            and descriptor.parameter_info.parser is None and descriptor.file_annotation is None)


def harden(command: Any) -> Any:
    """Give every numeric option of ``command`` (a click command or group, recursively)
    the finite-and-bounded check, and every single-valued parameter a :class:`Coercion`;
    returns ``command``."""
    for sub in getattr(command, "commands", {}).values():
        harden(sub)
    help_option = getattr(command, "get_help_option", None)
    if help_option is not None:  # built on first use; processed (None) on every run
        def with_coercion(ctx: Any, made: Callable[[Any], Any] = help_option) -> Any:
            option = made(ctx)
            if option is not None and _simple(option):
                option._runtime_param = Coercion(option.type_descriptor)
            return option

        command.get_help_option = with_coercion
    for param in getattr(command, "params", ()):
        if _simple(param):
            param._runtime_param = Coercion(param.type_descriptor)
        descriptor = getattr(param, "type_descriptor", None)
        kind = _number_kind(descriptor.annotation) if descriptor else None
        if kind is None:
            continue
        flag = next((o for o in param.opts if o.startswith("--")), param.opts[0])
        param.callback = _checker(flag, kind, param.callback)
    return command
