"""gigawatt: plan and simulate gigawatt-scale AI factories.

The public API::

    from gigawatt import load_scenario, plan
    scenario, _ = load_scenario("openai-nvidia-10gw")
    result = plan(scenario)
    result.to_dict()["gpus"]
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from gigawatt.version import __version__

if TYPE_CHECKING:
    from gigawatt.catalog import Catalog, load_catalog
    from gigawatt.errors import CatalogError, GigawattError, ScenarioError, StoreError
    from gigawatt.pipeline import PlanResult, plan  # type: ignore[no-redef]
    from gigawatt.scenario import Scenario, builtin_scenarios, load_scenario, scenario_to_yaml
    from gigawatt.store import RunStore

# Imported on first use (PEP 562): a CLI command that needs only the catalog does not pay
# for the pipeline, the scenario schema or the run store at start-up.
_LAZY = {
    "Catalog": "gigawatt.catalog", "load_catalog": "gigawatt.catalog",
    "CatalogError": "gigawatt.errors", "GigawattError": "gigawatt.errors",
    "ScenarioError": "gigawatt.errors", "StoreError": "gigawatt.errors",
    "PlanResult": "gigawatt.pipeline", "plan": "gigawatt.pipeline",
    "Scenario": "gigawatt.scenario", "builtin_scenarios": "gigawatt.scenario",
    "load_scenario": "gigawatt.scenario", "scenario_to_yaml": "gigawatt.scenario",
    "RunStore": "gigawatt.store",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'gigawatt' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


__all__ = [
    "Catalog",
    "CatalogError",
    "GigawattError",
    "PlanResult",
    "RunStore",
    "Scenario",
    "ScenarioError",
    "StoreError",
    "__version__",
    "builtin_scenarios",
    "load_catalog",
    "load_scenario",
    "plan",
    "scenario_to_yaml",
]
