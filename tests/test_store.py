"""The run store: atomic writes, prefixes, isolation by GIGAWATT_HOME."""

from __future__ import annotations

import duckdb
import pytest

from gigawatt.errors import StoreError
from gigawatt.store import RunStore, default_path

RESULT = {"facility_gw": 1.0, "gpus": 10, "capex_usd": 5.0,
          "timeline": [{"period": "2026H2", "facility_gw": 1.0, "gpus": 10}]}


def test_default_path_follows_gigawatt_home(private_store):
    assert default_path() == private_store / "runs.duckdb"


def test_save_and_get(tmp_path):
    store = RunStore(tmp_path / "runs.duckdb")
    run_id = store.save("plan", "toy", "0", "name: toy\n", RESULT)
    got = store.get(run_id)
    assert got["result"]["gpus"] == 10 and got["result"]["run_id"] == run_id
    assert store.query("SELECT period, gpus FROM timeline") == [("2026H2", 10.0)]


def test_failed_write_leaves_no_half_run(tmp_path, monkeypatch):
    store = RunStore(tmp_path / "runs.duckdb")
    real = duckdb.DuckDBPyConnection.executemany

    def crash(self, *args, **kwargs):
        raise KeyboardInterrupt  # as if the user pressed Ctrl-C between the two inserts

    monkeypatch.setattr(duckdb.DuckDBPyConnection, "executemany", crash)
    with pytest.raises(KeyboardInterrupt):
        store.save("plan", "toy", "0", "name: toy\n", RESULT)
    monkeypatch.setattr(duckdb.DuckDBPyConnection, "executemany", real)
    assert store.list_runs() == []
    assert store.query("SELECT count(*) FROM timeline") == [(0,)]


def test_ambiguous_prefix_is_an_error(tmp_path, monkeypatch):
    store = RunStore(tmp_path / "runs.duckdb")
    ids = iter(["abc111111111", "abc222222222"])

    class FakeUuid:
        def __init__(self) -> None:
            self.hex = next(ids)

    monkeypatch.setattr("gigawatt.store.uuid.uuid4", FakeUuid)
    store.save("plan", "a", "0", "x", RESULT)
    store.save("plan", "b", "0", "x", RESULT)
    with pytest.raises(StoreError, match="ambiguous"):
        store.get("abc")
    assert store.get("abc1")["scenario"] == "a"


def test_unwritable_location_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StoreError, match="cannot open the run store"):
        RunStore(blocker / "runs.duckdb").list_runs()
