"""Find, read, validate and cross-check scenarios; write them back as YAML."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from gigawatt import cache
from gigawatt.catalog import Catalog, load_catalog
from gigawatt.errors import ScenarioError
from gigawatt.scenario.checks import check_scenario
from gigawatt.scenario.schema import Scenario
from gigawatt.validation import validate
from gigawatt.yamlio import parse_yaml, read_yaml

DEFAULT_SCENARIO = "openai-nvidia-10gw"


def _data_dir() -> Path:
    return Path(str(resources.files("gigawatt.scenario") / "data"))


def builtin_scenarios() -> list[str]:
    """Names of the scenarios shipped inside the package."""
    return sorted(p.stem for p in _data_dir().glob("*.yaml"))


def scenario_path(name_or_path: str) -> Path:
    """The file for a built-in name, or the path as given."""
    builtin = _data_dir() / f"{name_or_path}.yaml"
    if builtin.is_file():
        return builtin
    path = Path(name_or_path)
    if path.suffix in {".yaml", ".yml"} or path.exists():
        return path
    raise ScenarioError(
        f"unknown scenario {name_or_path!r}; accepted: a built-in name "
        f"({', '.join(builtin_scenarios())}) or a path to a .yaml file"
    )


def parse_scenario(data: Any, where: str, catalog: Catalog | None = None) -> Scenario:
    """Validate parsed YAML into a cross-checked Scenario."""
    if not isinstance(data, dict):
        raise ScenarioError(f"{where}: expected a mapping of scenario fields, got "
                            f"{type(data).__name__}")
    scenario = validate(Scenario, data, where, ScenarioError)
    check_scenario(scenario, catalog or load_catalog(), where)
    return scenario


def load_scenario(name_or_path: str = DEFAULT_SCENARIO,
                  catalog: Catalog | None = None) -> tuple[Scenario, str]:
    """A scenario and its source text, from a built-in name or a YAML path.

    A built-in scenario checked against the built-in catalog is kept in the user cache
    (:func:`gigawatt.cache.memo`, keyed by its text and the code that validates it): building
    the scenario schema's validators was a tenth of a plan's start-up.
    """
    path = scenario_path(name_or_path)
    if path.parent != _data_dir():
        data = read_yaml(path, ScenarioError)
        return parse_scenario(data, str(path), catalog), path.read_text(encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    checked = catalog or load_catalog()
    scenario = cache.memo("scenario", (path.name, text),
                          lambda: scenario_from_text(text, str(path), checked), checked)
    return scenario, text


def scenario_from_text(text: str, where: str = "scenario",
                       catalog: Catalog | None = None) -> Scenario:
    """A scenario from YAML text (for the API and the run store)."""
    return parse_scenario(parse_yaml(text, where, ScenarioError), where, catalog)


def scenario_to_yaml(scenario: Scenario) -> str:
    """YAML that :func:`load_scenario` reads back into an equal Scenario."""
    import yaml  # PyYAML only when writing: a cached scenario is read without it

    data = scenario.model_dump(mode="json", exclude_none=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
