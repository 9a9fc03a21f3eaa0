"""Start-up speed: the pickled catalog cache, lazy imports and single-command parsing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gigawatt.catalog import loader


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(loader.CACHE_ENV, str(folder))
    return folder


def test_cache_is_written_then_read(cache: Path):
    first = loader.cached_catalog(loader.data_dir())
    files = list(cache.glob("catalog-*.pickle"))
    assert len(files) == 1
    again = loader.cached_catalog(loader.data_dir())
    assert again is not first  # read back from the file, not the same object
    assert again.systems == first.systems and again.models == first.models
    assert again.system("vr-nvl72").packages_per_rack == 72


def test_changed_yaml_makes_a_new_key(tmp_path: Path, cache: Path):
    copy = tmp_path / "data"
    copy.mkdir()
    for f in loader.data_dir().glob("*.yaml"):
        (copy / f.name).write_bytes(f.read_bytes())
    key = loader.catalog_key(copy)
    assert key == loader.catalog_key(loader.data_dir())
    path = copy / "systems.yaml"
    path.write_text(path.read_text() + "\n# a comment changes the bytes\n")
    assert loader.catalog_key(copy) != key


def test_corrupt_cache_is_rebuilt(cache: Path):
    loader.cached_catalog(loader.data_dir())
    (path,) = cache.glob("catalog-*.pickle")
    path.write_bytes(b"not a pickle")
    catalog = loader.cached_catalog(loader.data_dir())
    assert "vr-nvl72" in catalog.systems
    assert path.read_bytes() != b"not a pickle"  # rewritten whole


def test_cache_off_and_unwritable_folder_still_load(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(loader.CACHE_ENV, "off")
    assert loader.cache_dir() is None
    assert "vr-nvl72" in loader.cached_catalog(loader.data_dir()).systems
    blocker = tmp_path / "file"
    blocker.write_text("a file where the folder would be")
    monkeypatch.setenv(loader.CACHE_ENV, str(blocker / "cache"))
    assert "vr-nvl72" in loader.cached_catalog(loader.data_dir()).systems


def test_a_short_command_imports_neither_the_pipeline_nor_rich(tmp_path: Path):
    # `gigawatt train` needs the catalog and the training model, nothing of the plan
    code = ("import sys; from gigawatt.cli import run; "
            "run(['train', '--model', 'llama3-8b', '--gpu', 'h100-sxm', '--gpus', '8', "
            "'--global-batch', '64', '--json']); "
            "print(sorted(m for m in ('gigawatt.pipeline', 'gigawatt.scenario.schema', "
            "'rich', 'gigawatt.store', 'highspy', 'plotly') if m in sys.modules))")
    env = {**os.environ, loader.CACHE_ENV: str(tmp_path / "cache")}
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                         capture_output=True, text=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_single_command_parsing_keeps_usage_and_errors(cli):
    r = cli("train", "--model", "llama3-8b")
    assert r.code == 2 and "Missing option '--gpu'" in r.err
    r = cli("nosuch")
    assert r.code == 2 and "No such command 'nosuch'" in r.err
    assert cli("catalog", "list", "--json").code == 0  # groups go through the whole app


def test_memo_computes_once_per_key_and_survives_a_corrupt_file(cache: Path):
    from gigawatt import cache as disk

    calls = []

    def compute(x: int):
        return lambda: calls.append(x) or {"x": x}

    assert disk.memo("t", ("a", 1), compute(1)) == {"x": 1}
    assert disk.memo("t", ("a", 1), compute(1)) == {"x": 1}
    assert disk.memo("t", ("a", 2), compute(2)) == {"x": 2}
    assert calls == [1, 2]
    for f in (cache / "t").glob("*.pickle"):
        f.write_bytes(b"\x80garbage")
    assert disk.memo("t", ("a", 1), compute(1)) == {"x": 1}
    assert calls == [1, 2, 1]


def test_cached_training_searches_give_the_same_plan(cache: Path, monkeypatch, announced):
    from gigawatt.pipeline import frontier, plan

    frontier._estimate.cache_clear()
    first = plan(announced).headline
    assert len(list((cache / "training-search").glob("*.pickle"))) >= 4
    frontier._estimate.cache_clear()
    again = plan(announced).headline  # read back from the files
    monkeypatch.setenv(loader.CACHE_ENV, "off")
    frontier._estimate.cache_clear()
    fresh = plan(announced).headline
    frontier._estimate.cache_clear()
    for key in ("training_days", "training_goodput", "largest_job_goodput",
                "training_parallelism", "first_period_training_days"):
        assert first[key] == again[key] == fresh[key], key


def test_builtin_scenario_is_cached_and_a_users_catalog_is_not(cache: Path):
    from gigawatt.catalog.loader import _read, data_dir
    from gigawatt.scenario import load_scenario

    first, text = load_scenario("openai-nvidia-10gw")
    assert len(list((cache / "scenario").glob("*.pickle"))) == 1
    again, again_text = load_scenario("openai-nvidia-10gw")  # read back from the file
    assert again == first and again_text == text
    own = _read(data_dir())  # equal to the built-in catalog, but not that object
    mine, _ = load_scenario("stargate-2025", catalog=own)
    assert len(list((cache / "scenario").glob("*.pickle"))) == 1
    assert mine.name
