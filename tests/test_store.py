"""The run store: atomic writes, prefixes, isolation by GIGAWATT_HOME, and one line naming
the file and what to do for each way the file system can refuse it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

import gigawatt
from gigawatt import store as store_module
from gigawatt.errors import StoreError
from gigawatt.store import DamagedStore, RunStore, default_path

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


# ---------- what the file system refuses, each its own line (not "damaged") ----------

DAC_CAPABILITIES = (1, 2)
"""CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH: what lets root read and write any file whatever
its mode; a root test run drops them, so the modes bind as they would for a user."""


def _without_root_overrides() -> None:  # in the child, before exec
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for capability in DAC_CAPABILITIES:
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@pytest.fixture
def shared_dir(tmp_path: Path) -> Iterator[Path]:
    """A folder whose modes the test changes, restored afterwards so pytest can remove it."""
    yield tmp_path
    for sub in [tmp_path, *tmp_path.rglob("*")]:
        if not sub.is_symlink():
            sub.chmod(0o755 if sub.is_dir() else 0o644)


def _save_unprivileged(path: Path) -> str:
    """stderr of a process that saves a run to ``path`` without root's overrides."""
    code = ("import sys; from pathlib import Path; from gigawatt.store import RunStore\n"
            "try: RunStore(Path(sys.argv[1])).save('plan', 'x', '0', 'x: 1', "
            "{'gpus': 1, 'timeline': []})\n"
            "except Exception as e: print(type(e).__name__, e, file=sys.stderr)")
    src = str(Path(gigawatt.__file__).parents[1])
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": src}, timeout=60,
                          check=True,
                          preexec_fn=_without_root_overrides if os.geteuid() == 0 else None)
    return done.stderr.strip()


@pytest.mark.parametrize("inside", ["runs.duckdb", "new/runs.duckdb"])
def test_a_read_only_folder_is_a_permission_error_not_a_damaged_store(shared_dir, inside):
    folder = shared_dir / "home"
    folder.mkdir()
    folder.chmod(0o555)
    err = _save_unprivileged(folder / inside)
    assert err.startswith("StoreError run not saved: ") and len(err.splitlines()) == 1, err
    assert f"{folder / inside}: cannot use the run store, permission denied" in err
    assert "give this user read and write access" in err and "damaged" not in err


def test_a_read_only_store_file_is_a_permission_error_not_a_damaged_store(shared_dir):
    path = shared_dir / "runs.duckdb"
    RunStore(path).save("plan", "x", "0", "x: 1", {"gpus": 1, "timeline": []})
    path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    err = _save_unprivileged(path)
    assert "permission denied" in err and "damaged" not in err, err
    assert len(RunStore(path).list_runs()) == 1


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_a_full_disk_is_its_own_error_and_saves_nothing(tmp_path):
    path = tmp_path / "runs.duckdb"
    RunStore(path).list_runs()  # the store exists; its write-ahead log lands on a full disk
    wal = path.with_name(path.name + ".wal")
    wal.symlink_to("/dev/full")
    with pytest.raises(StoreError) as info:
        RunStore(path).save("plan", "x", "0", "x: 1", {"gpus": 1, "timeline": []})
    message = str(info.value)
    assert not isinstance(info.value, DamagedStore) and len(message.splitlines()) == 1
    assert message.startswith(f"run not saved: {path}: cannot write the run store, out of "
                              "space (")
    assert "No space left on device" in message and "free space there" in message
    wal.unlink()
    assert RunStore(path).list_runs() == []


def test_garbage_bytes_are_a_damaged_store(tmp_path):
    path = tmp_path / "runs.duckdb"
    path.write_bytes(os.urandom(64 << 10))
    with pytest.raises(DamagedStore, match=r"damaged or not a DuckDB database.*move it aside"):
        RunStore(path).list_runs()


def test_a_folder_in_the_files_place_is_its_own_error(tmp_path):
    (tmp_path / "runs.duckdb").mkdir()
    with pytest.raises(StoreError) as info:
        RunStore(tmp_path / "runs.duckdb").list_runs()
    assert not isinstance(info.value, DamagedStore)
    assert "a folder is in the file's place" in str(info.value)


def test_a_store_locked_by_another_process_says_so_and_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_S", 0.3)
    path = tmp_path / "runs.duckdb"
    RunStore(path).list_runs()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('held', flush=True); time.sleep(30)", str(path)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreError) as info:
            RunStore(path).save("plan", "x", "0", "x: 1", {"gpus": 1, "timeline": []})
    finally:
        holder.kill()
        holder.communicate()
    message = str(info.value)
    assert not isinstance(info.value, DamagedStore) and len(message.splitlines()) == 1
    assert f"{path}: cannot open the run store: another process held it" in message
    assert f"(PID {holder.pid})" in message and "stop that process" in message
