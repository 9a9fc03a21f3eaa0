"""The physics: pure numpy models of training, serving, the network and failures.

No catalog, no YAML, no I/O: each model takes plain numbers or arrays and returns a frozen
result. :mod:`gigawatt.estimates` binds them to catalog rows; the plan's stages in
:mod:`gigawatt.pipeline` call those.

- :mod:`~gigawatt.models.perf`: FLOPs, memory, communication, training step time, serving.
- :mod:`~gigawatt.models.network`: NVLink domains and the rail-optimised scale-out fat tree.
- :mod:`~gigawatt.models.failures`: failure rates, job goodput and fleet failures.
- :mod:`~gigawatt.models.finance`: the capital recovery factor.
"""
