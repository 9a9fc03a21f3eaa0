"""Calendar quarters: labels such as ``'2026Q3'``, their first days and their lengths."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

import numpy as np

QUARTER = re.compile(r"^(\d{4})Q([1-4])$")


def quarter_index(label: str) -> int:
    """``'2026Q3'`` -> 4 * 2026 + 2, so consecutive quarters differ by one."""
    match = QUARTER.match(label)
    if match is None:
        raise ValueError(f"not a quarter label: {label!r}; accepted: YYYYQn, e.g. 2026Q3")
    return 4 * int(match.group(1)) + int(match.group(2)) - 1


def quarter_label(index: int) -> str:
    """Inverse of :func:`quarter_index`: 8106 -> ``'2026Q3'``."""
    return f"{index // 4}Q{index % 4 + 1}"


def quarter_of(date: dt.date) -> int:
    """Index of the quarter that contains a date."""
    return 4 * date.year + (date.month - 1) // 3


def horizon(first: str, count: int) -> tuple[str, ...]:
    """``count`` consecutive quarter labels from ``first``."""
    start = quarter_index(first)
    return tuple(quarter_label(start + k) for k in range(count))


def _first_days(index: np.ndarray) -> np.ndarray:
    years, quarter = np.divmod(index, 4)
    months = (years - 1970).astype("datetime64[Y]").astype("datetime64[M]") + 3 * quarter
    return months.astype("datetime64[D]")


def quarter_days(labels: Sequence[str]) -> np.ndarray:
    """Length of each quarter in days (90 to 92)."""
    index = np.array([quarter_index(q) for q in labels], dtype=int)
    return (_first_days(index + 1) - _first_days(index)).astype(float)


def step_by_quarter(dates: Sequence[dt.date], values: Sequence[float],
                    labels: Sequence[str]) -> np.ndarray:
    """A step function of dates sampled per quarter.

    The value of quarter ``q`` is the value of the last step dated on or before the quarter's
    last day (a step counts from the quarter that contains its date), or 0 before the first.
    """
    step_q = np.array([quarter_of(d) for d in dates])
    index = np.array([quarter_index(q) for q in labels])
    pos = np.searchsorted(step_q, index, side="right") - 1
    padded = np.concatenate([[0.0], np.asarray(values, dtype=float)])
    return padded[pos + 1]
