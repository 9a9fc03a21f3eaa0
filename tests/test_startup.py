"""Start-up speed: the pickled catalog cache, lazy imports and single-command parsing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gigawatt.catalog import loader
from gigawatt.catalog.schema import KINDS


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


SHORT_COMMANDS = {
    "train": ["train", "--model", "llama3-8b", "--gpu", "h100-sxm", "--gpus", "8",
              "--global-batch", "64", "--json"],
    "infer": ["infer", "--model", "llama3-8b", "--gpu", "h100-sxm", "--gpus", "8", "--json"],
    "fabric": ["fabric", "--gpus", "4096", "--gpu", "gb200-nvl72", "--json"],
}


@pytest.mark.parametrize("name", SHORT_COMMANDS)
def test_a_short_command_imports_neither_the_pipeline_nor_rich(tmp_path: Path, name: str):
    # `gigawatt train` needs the catalog and the training model, nothing of the plan; with
    # the caches warm it parses no YAML and never imports pydantic (the catalog's records
    # unpickle without it; typer's own adapters are not built)
    code = ("import sys; from gigawatt.cli import run; "
            f"run({SHORT_COMMANDS[name]!r}); "
            "print(sorted(m for m in ('gigawatt.pipeline', 'gigawatt.scenario.schema', "
            "'rich', 'gigawatt.store', 'highspy', 'plotly', 'yaml', 'pydantic', "
            "'gigawatt.cli.plan', 'gigawatt.cli.sweep') if m in sys.modules))")
    env = {**os.environ, loader.CACHE_ENV: str(tmp_path / "cache")}
    cold = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                          capture_output=True, text=True).stdout
    assert "gigawatt.pipeline" not in cold.strip().splitlines()[-1]
    warm = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                          capture_output=True, text=True).stdout
    assert warm.strip().splitlines()[-1] == "[]"


def test_a_warm_plan_parses_no_yaml_and_builds_no_validator(tmp_path: Path):
    # the scenario, the reliability profiles, the bibliography and the yardstick come from
    # the user cache; building a pydantic validator loads its plugins (importlib.metadata)
    code = ("import sys; from gigawatt.cli import run; "
            "run(['plan', '--json', '--no-save', '--no-report']); "
            "print(sorted(m for m in ('yaml', 'pydantic.plugin._loader') if m in sys.modules))")
    env = {**os.environ, loader.CACHE_ENV: str(tmp_path / "cache")}
    for _ in range(2):
        out = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                             capture_output=True, text=True, cwd=tmp_path).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_every_catalog_entry_survives_plain_data_and_validation(catalog):
    # entries are plain dataclasses: what pydantic dumps, it validates back to an equal one
    from gigawatt.errors import CatalogError
    from gigawatt.validation import dump, validate

    for kind in KINDS:
        for entry in catalog.of_kind(kind).values():
            data = dump(entry, mode="json")
            assert validate(type(entry), data, entry.id, CatalogError) == entry, entry.id


def test_help_order_does_not_depend_on_the_command_run_first():
    code = ("import sys, typer; from gigawatt.cli import full_app, run; "
            "sys.argv[1:] and run(sys.argv[1:]); "
            "print(list(typer.main.get_command(full_app()).commands))")
    orders = {subprocess.run([sys.executable, "-c", code, *args], check=True,
                             capture_output=True, text=True).stdout.splitlines()[-1]
              for args in ([], ["fabric", "--help"], ["train", "--help"])}
    assert len(orders) == 1


def test_main_keeps_blas_to_one_thread_unless_the_user_chose(monkeypatch):
    from gigawatt import cli

    monkeypatch.setattr(sys, "argv", ["gigawatt", "--version"])
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    with pytest.raises(SystemExit):
        cli.main()
    assert os.environ["OPENBLAS_NUM_THREADS"] == "1"
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "4")
    with pytest.raises(SystemExit):
        cli.main()
    assert os.environ["OPENBLAS_NUM_THREADS"] == "4"


COERCED = {
    "int": ["0", "7", "1024", "007", "-3", "+5", " 12", "1_000", "1.0", "1e3", "x", "",
            "9" * 30, 4096, 3.5, True],
    "float": ["0", "1", "2.5", "15e12", "1.5E-3", ".5", "5.", "-1", "inf", "nan", "1_0",
              "0x10", "abc", 1.0, 2, True],
    "str": ["bf16", "", " padded ", "1", 7],
    "Path": [Path("gigawatt-out"), "out", "", Path("/no/such/folder"), "/"],
}


@pytest.mark.parametrize(("kind", "bounds"), [
    (int, (None, None)), (int, (1, None)), (int, (1, 100)), (float, (None, None)),
    (float, (0, 1)), (str, (None, None)), (Path, (None, None))])
def test_coercion_returns_what_typers_own_adapter_returns(kind, bounds):
    from typer._click.exceptions import BadParameter
    from typer._coercion import build_runtime_param, resolve_type_descriptor
    from typer.models import OptionInfo

    from gigawatt.cli.flags import Coercion

    descriptor = resolve_type_descriptor(kind, OptionInfo(min=bounds[0], max=bounds[1]))
    ours, theirs = Coercion(descriptor), build_runtime_param(descriptor)
    param = type("P", (), {"multiple": False, "nargs": 1})()
    for value in [None, *COERCED[kind.__name__]]:
        try:
            expected = theirs.coerce(value, param=param, ctx=None)
        except BadParameter as exc:
            with pytest.raises(BadParameter) as ours_error:
                ours.coerce(value, param=param, ctx=None)
            assert ours_error.value.message == exc.message, value
            continue
        got = ours.coerce(value, param=param, ctx=None)
        assert type(got) is type(expected) and repr(got) == repr(expected), value


def test_a_catalog_models_spec_equals_the_validated_one(catalog):
    from gigawatt.catalog.schema import ModelSpec
    from gigawatt.errors import CatalogError
    from gigawatt.validation import dump, validate

    for model in catalog.models.values():
        spec = model.spec()
        checked = validate(ModelSpec, dump(spec), model.id, CatalogError)
        assert spec == checked
        assert spec.transformer() == checked.transformer()


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
