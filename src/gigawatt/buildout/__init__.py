"""Build-out optimiser: which platform to install at which site in which quarter.

A linear programme over sites, platforms and quarters, solved with HiGHS (``highspy``, imported
only in :mod:`gigawatt.buildout.lp`)::

    from gigawatt.buildout import BuildoutProblem, optimise_buildout
    result = optimise_buildout(problem)      # BuildoutProblem of plain arrays
    result.to_dict()["timeline"]

The programme is assembled in stages from named blocks (:mod:`gigawatt.buildout.blocks`):
``create_model``, ``define_site_power_limits``, ``define_site_size_limits``,
``define_build_lead_times``, ``define_supply_limits``, ``define_capital_limits``,
``define_target`` and an objective, then ``build()``, ``solve()`` and :func:`extract`.
:class:`Resolver` solves many programmes of one shape (a sweep's samples) in one kept solver,
warm-started from the central solution's basis (:func:`central_basis`).
"""

from gigawatt.buildout.blocks import BuildoutModel, formulate
from gigawatt.buildout.lp import Basis
from gigawatt.buildout.optimise import (
    Resolver,
    central_basis,
    explain_infeasible,
    extract,
    optimise_buildout,
)
from gigawatt.buildout.problem import (
    BuildoutError,
    BuildoutProblem,
    InfeasibleBuildout,
    Money,
    Objective,
    Platforms,
    Sites,
    Target,
)
from gigawatt.buildout.quarters import horizon
from gigawatt.buildout.result import Binding, BuildoutResult

__all__ = [
    "Basis",
    "Binding",
    "BuildoutError",
    "BuildoutModel",
    "BuildoutProblem",
    "BuildoutResult",
    "InfeasibleBuildout",
    "Money",
    "Objective",
    "Platforms",
    "Resolver",
    "Sites",
    "Target",
    "central_basis",
    "explain_infeasible",
    "extract",
    "formulate",
    "horizon",
    "optimise_buildout",
]
