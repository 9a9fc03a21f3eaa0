"""Scenarios: the plans gigawatt evaluates, built in or read from YAML."""

from gigawatt.scenario.loader import (
    DEFAULT_SCENARIO,
    builtin_scenarios,
    load_scenario,
    scenario_from_text,
    scenario_to_yaml,
)
from gigawatt.scenario.schema import Assumption, Scenario

__all__ = ["DEFAULT_SCENARIO", "Assumption", "Scenario", "builtin_scenarios", "load_scenario",
           "scenario_from_text", "scenario_to_yaml"]
