"""Shared fixtures: a private run store per test, the default scenario and its plan."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from gigawatt.catalog import Catalog, load_catalog
from gigawatt.cli import run
from gigawatt.pipeline import PlanResult, plan
from gigawatt.scenario import Scenario, load_scenario


@pytest.fixture(autouse=True)
def private_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own GIGAWATT_HOME, so no test touches the user's run store."""
    home = tmp_path / "gigawatt-home"
    monkeypatch.setenv("GIGAWATT_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="session")
def announced() -> Scenario:
    """The built-in default scenario: the OpenAI-NVIDIA 10 GW letter of intent."""
    return load_scenario("openai-nvidia-10gw")[0]


@pytest.fixture(scope="session")
def announced_plan(announced: Scenario) -> PlanResult:
    return plan(announced)


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run ``gigawatt ARGS`` in-process and capture its exit code, stdout and stderr."""

    def invoke(*args: str) -> CliResult:
        code = run(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return invoke
