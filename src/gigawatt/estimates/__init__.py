"""One estimate per stand-alone command: catalog IDs and model files in, a JSON-able result out.

Each binds catalog rows, model files and the calibrated constants (``data/*.yaml``) to the
pure models of :mod:`gigawatt.models`. The CLI, the API and the plan's stages call these.

- :mod:`~gigawatt.estimates.train`: ``gigawatt train`` (``train_json``, ``estimate_training``).
- :mod:`~gigawatt.estimates.infer`: ``gigawatt infer`` (``infer_json``, ``serving_capacity``).
- :mod:`~gigawatt.estimates.fabric`: ``gigawatt fabric`` (``fabric_json``, ``size_networks``).
- :mod:`~gigawatt.estimates.reliability`: ``gigawatt reliability`` (``reliability_json``,
  ``job_reliability``, ``fleet_reliability``), with the operations profiles of
  :mod:`~gigawatt.estimates.profiles`.
"""
