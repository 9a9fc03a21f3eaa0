"""The plan: one module per stage, in the order the data flows.

``inputs`` (scenario + catalog -> values and ``schedule``) -> ``evaluate`` (``sizing``,
``scaleout``, ``economics``, ``serving``) -> ``frontier`` (the named training run) ->
``fleet_failures`` -> ``claims`` -> ``result`` (:class:`PlanResult`). :func:`plan` in
:mod:`~gigawatt.pipeline.plan` only composes them; ``sweep`` reruns ``evaluate`` on samples.
"""

from gigawatt.pipeline.evaluate import Evaluation, evaluate, outputs
from gigawatt.pipeline.inputs import Inputs, gather_inputs
from gigawatt.pipeline.plan import plan
from gigawatt.pipeline.result import PlanResult

__all__ = ["Evaluation", "Inputs", "PlanResult", "evaluate", "gather_inputs", "outputs", "plan"]
