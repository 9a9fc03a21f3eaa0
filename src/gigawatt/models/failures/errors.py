"""The error reliability models raise for bad input."""

from __future__ import annotations

from gigawatt.errors import GigawattError


class ReliabilityError(GigawattError):
    """A reliability input is out of range: GPUs, days, a rate, an interval, trials."""
