"""Imported once by the compute workers' fork server: fill the library's caches there.

Every worker is forked from that server, so each starts with the catalog, the built-in
scenarios and the calibrated constants already read and the default plan's code paths
already imported, instead of paying for them on its first request.
"""

from __future__ import annotations

from gigawatt.catalog import ModelSpec, load_catalog
from gigawatt.pipeline import plan
from gigawatt.scenario import builtin_scenarios, load_scenario
from gigawatt.validation import record_adapter


def warm() -> None:
    """Read the catalog and every built-in scenario, build the model document's validator,
    and plan the default one."""
    load_catalog()
    record_adapter(ModelSpec)
    for name in builtin_scenarios():
        load_scenario(name)
    plan(load_scenario()[0])


warm()
