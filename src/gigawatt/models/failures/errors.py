"""The error reliability models raise for bad input."""

from __future__ import annotations

from gigawatt.errors import GigawattError, InfeasibleError


class ReliabilityError(GigawattError):
    """A reliability input is out of range: GPUs, days, a rate, an interval, trials."""


class InfeasibleReliability(ReliabilityError, InfeasibleError):
    """A well-formed job the model cannot run: a checkpoint interval shorter than its
    write, or more simulated interruptions than the bound."""
