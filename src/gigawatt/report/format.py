"""Human-readable numbers for tables: one place for rounding and suffixes."""

from __future__ import annotations

from typing import Any


def count(x: Any) -> str:
    """12345678 -> '12.35M'; 4567 -> '4,567'."""
    if x is None:
        return "-"
    v = float(x)
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if abs(v) >= scale:
            return f"{v / scale:,.2f}{suffix}"
    return f"{v:,.0f}"


def usd(x: Any) -> str:
    """629e9 -> '$629.3B'; 6.44 -> '$6.44'."""
    if x is None:
        return "-"
    v = float(x)
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= scale:
            return f"${v / scale:,.1f}{suffix}"
    return f"${v:,.2f}"


def num(x: Any, digits: int = 2) -> str:
    """A plain number with thousands separators."""
    if x is None:
        return "-"
    return f"{float(x):,.{digits}f}"


def systems(x: Any) -> str:
    """The platforms a period adds: a list (runs saved by earlier versions: one ID or None)."""
    if isinstance(x, list | tuple):
        return ", ".join(x) or "-"
    return x or "-"


def value(x: Any) -> str:
    """Any claim or assumption value: dates as they are, large numbers compact."""
    if isinstance(x, int | float) and not isinstance(x, bool):
        v = float(x)
        if abs(v) >= 1e6:
            return count(v) if abs(v) < 1e9 else f"{v / 1e9:,.1f}B"
        if abs(v) >= 1e3:
            return f"{v:,.0f}"
        return f"{v:,.4g}"
    return "-" if x is None else str(x)


def claimed_range(claim: dict[str, Any]) -> str:
    """What a claim says: ``a to b``, ``at least a``, or ``a``."""
    low, high = claimed(claim, "low"), claimed(claim, "high")
    if claim["high"] is None:
        return f"at least {low}"
    return low if claim["high"] == claim["low"] else f"{low} to {high}"


def claimed(claim: dict[str, Any], key: str) -> str:
    """A claim's bound or model value, in dollars where the metric is money."""
    x = claim[key]
    if x is None:
        return "-"
    if "usd" in claim["metric"]:
        return usd(x)
    return value(x) + (" MW" if claim["metric"].endswith("_mw") else "")
