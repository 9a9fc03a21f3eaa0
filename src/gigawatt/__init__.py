"""gigawatt: plan and simulate gigawatt-scale AI factories.

The public API::

    from gigawatt import load_scenario, plan
    scenario, _ = load_scenario("openai-nvidia-10gw")
    result = plan(scenario)
    result.to_dict()["gpus"]
"""

from gigawatt.catalog import Catalog, load_catalog
from gigawatt.errors import CatalogError, GigawattError, ScenarioError, StoreError
from gigawatt.pipeline import PlanResult, plan
from gigawatt.scenario import Scenario, builtin_scenarios, load_scenario, scenario_to_yaml
from gigawatt.store import RunStore
from gigawatt.version import __version__

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
