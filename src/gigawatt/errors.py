"""Errors gigawatt raises for bad input.

Each carries one line for the user: where (file, field path), what value, and
what is accepted. The CLI prints ``str(error)`` and exits with code 2.
"""

from __future__ import annotations


class GigawattError(Exception):
    """Base of every error caused by user input, not by a bug."""


class CatalogError(GigawattError):
    """A catalog file or entry is invalid, or an ID is unknown."""


class ScenarioError(GigawattError):
    """A scenario file is missing, unreadable or inconsistent."""


class InfeasibleError(GigawattError):
    """Input that is well-formed, each value in its range, but that the model or hardware
    cannot meet: no layout fits memory, a latency no batch reaches, a fabric beyond three
    switch tiers, a checkpoint interval shorter than its write, a build-out target no schedule
    reaches. The API answers it as 422 of
    problem type ``infeasible``; the CLI as any other bad input (exit code 2)."""


class StoreError(GigawattError):
    """The run store cannot find or save a run."""


def unknown_id(kind: str, value: str, known: list[str]) -> CatalogError:
    """An error for an ID that is not in the catalog, listing the accepted IDs."""
    return CatalogError(f"unknown {kind} {value!r}; accepted: {', '.join(sorted(known))}")
