"""The run store: every plan saved to an embedded DuckDB database, atomically.

Tables
------
runs      one row per run: id, time, kind, scenario name, gigawatt version,
          the scenario's YAML text and the result as JSON.
timeline  one row per run and half-year, with the timeline's numeric columns,
          so that SQL can query plans across runs.

A run is written in one transaction: a crash or Ctrl-C leaves either the whole
run or nothing. The database lives at ``$GIGAWATT_HOME/runs.duckdb``
(default ``~/.local/share/gigawatt/runs.duckdb``).

Concurrent writers: DuckDB lets one process at a time open the file, so a connection
that finds the file locked by another process retries with exponential back-off and
jitter for up to :data:`BUSY_TIMEOUT_S` before giving up (then the error says the run
was not saved). A file the system refuses (permission, space, a folder in its place)
and a damaged one each get their own one-line error naming the file and what to do.
Every connection runs with DuckDB's extension auto-install and
auto-load off, so opening a file never reaches the network.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import random
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gigawatt.errors import StoreError

if TYPE_CHECKING:
    import duckdb

TIMELINE_COLUMNS = (
    "facility_gw", "it_gw", "racks", "gpus", "gpu_dies", "nvlink_domains", "fp4_eflops",
    "fp8_eflops", "bf16_eflops", "hbm_pb", "capex_usd", "capex_systems_usd", "capex_network_usd",
    "capex_facility_usd", "investment_usd", "opex_usd_per_year", "energy_twh_per_year",
    "usd_per_gpu_hour",
)

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY,
    created_at TIMESTAMP NOT NULL,
    kind VARCHAR NOT NULL,
    scenario VARCHAR NOT NULL,
    version VARCHAR NOT NULL,
    scenario_yaml VARCHAR NOT NULL,
    result_json VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS timeline (
    run_id VARCHAR NOT NULL,
    period VARCHAR NOT NULL,
    {", ".join(f"{c} DOUBLE" for c in TIMELINE_COLUMNS)},
    PRIMARY KEY (run_id, period)
);
"""


DUCKDB_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    # A file that is not a DuckDB database (SQLite, Parquet) would otherwise make DuckDB
    # download a scanner extension over HTTP; gigawatt never needs one.
    "autoinstall_known_extensions": "false",
    "autoload_known_extensions": "false",
}
"""The settings of every connection to a run store (the service's lane uses them too:
DuckDB shares one database between connections only when their settings match)."""

BUSY_TIMEOUT_S = 60.0
"""How long a connection waits for another process to release the file, s."""
# DuckDB gives no errno: what went wrong is told by the reason in its message (the
# operating system's strerror, or DuckDB's own words for a lock).
_LOCKED = ("could not set lock", "conflicting lock", "lock on file")
_NO_ACCESS = ("permission denied", "read-only file system", "operation not permitted")
_NO_SPACE = ("no space left on device", "disk quota exceeded", "file too large")
_FOLDER = ("is a directory",)


class DamagedStore(StoreError):
    """A store file DuckDB cannot read (or one another process is still creating)."""


DAMAGED_RETRIES = 3
"""Tries of a save that finds the file unreadable: a file another process is creating
reads short for a moment; a damaged one stays so."""


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _says(exc: Exception, words: tuple[str, ...]) -> bool:
    return any(word in _first_line(exc).lower() for word in words)


def damaged(path: Path, exc: Exception) -> str:
    """The one line for a store file DuckDB cannot read: what it is, and what to do."""
    return (f"{path}: cannot open the run store, the file is damaged or not a DuckDB "
            f"database ({_first_line(exc)}); move it aside (or set GIGAWATT_HOME to another "
            "folder) and gigawatt starts a new store")


def store_error(path: Path, exc: Exception) -> StoreError | None:
    """The one line for what the file system refused (access, space, a folder in the file's
    place), naming the file and what to do; None for anything else."""
    reason = _first_line(exc)
    if _says(exc, _NO_ACCESS):
        return StoreError(f"{path}: cannot use the run store, permission denied ({reason}); "
                          f"give this user read and write access to {path.parent} and the "
                          "file, or set GIGAWATT_HOME to a folder it can write")
    if _says(exc, _NO_SPACE):
        return StoreError(f"{path}: cannot write the run store, out of space ({reason}); "
                          "free space there (or raise the quota or file size limit), or set "
                          "GIGAWATT_HOME to a folder on another disk")
    if _says(exc, _FOLDER):
        return StoreError(f"{path}: cannot open the run store, a folder is in the file's "
                          "place; move it aside, or set GIGAWATT_HOME to another folder")
    return None


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection to ``path`` with :data:`DUCKDB_CONFIG`, waiting while another
    process holds the file (up to :data:`BUSY_TIMEOUT_S`).

    Raises
    ------
    StoreError
        One line naming the file and what to do: it is still busy, cannot be created or
        reached (permission, space), or is not a run store (:class:`DamagedStore`).
    """
    import duckdb  # imported here: only commands that touch the store pay for it

    deadline = time.monotonic() + BUSY_TIMEOUT_S
    wait_s = 0.01
    while True:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            return duckdb.connect(str(path), config=DUCKDB_CONFIG)
        except OSError as exc:  # its folder cannot be made
            raise store_error(path, exc) or StoreError(
                f"{path}: cannot open the run store: {exc}") from None
        except duckdb.Error as exc:
            if not _says(exc, _LOCKED):
                raise store_error(path, exc) or DamagedStore(damaged(path, exc)) from None
            if time.monotonic() >= deadline:
                raise StoreError(f"{path}: cannot open the run store: another process held "
                                 f"it for over {BUSY_TIMEOUT_S:g} s ({_first_line(exc)}); "
                                 "stop that process, or set GIGAWATT_HOME to another folder"
                                 ) from None
        # Jitter keeps a crowd of waiting writers from retrying in step.
        time.sleep(wait_s * random.uniform(0.5, 1.5))
        wait_s = min(wait_s * 2, 0.25)


def non_finite_field(data: Any, path: str = "") -> str | None:
    """The path of the first NaN or infinity in a JSON-like value, or None if all finite."""
    if isinstance(data, float) and not math.isfinite(data):
        return path or "(top level)"
    if isinstance(data, dict):
        for key, value in data.items():
            found = non_finite_field(value, f"{path}.{key}" if path else str(key))
            if found:
                return found
    elif isinstance(data, list | tuple):
        for i, value in enumerate(data):
            found = non_finite_field(value, f"{path}[{i}]")
            if found:
                return found
    return None


def default_path() -> Path:
    """``$GIGAWATT_HOME/runs.duckdb``, else ``~/.local/share/gigawatt/runs.duckdb``."""
    home = os.environ.get("GIGAWATT_HOME")
    base = Path(home) if home else Path.home() / ".local" / "share" / "gigawatt"
    return base / "runs.duckdb"


@contextmanager
def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Run the block in one transaction: committed at its end, rolled back if it raises."""
    import duckdb

    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        with suppress(duckdb.TransactionException):  # a COMMIT that failed has ended it
            con.execute("ROLLBACK")
        raise


class RunStore:
    """Save, list, fetch and compare runs in one DuckDB file."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()

    @contextmanager
    def _connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        import duckdb

        con = connect(self.path)
        try:
            try:
                con.execute(SCHEMA)
            except duckdb.Error as exc:
                raise store_error(self.path, exc) or StoreError(
                    f"{self.path}: the run store cannot be used ({_first_line(exc)}); move it "
                    "aside and gigawatt starts a new store") from None
            try:
                yield con
            except (duckdb.IOException, duckdb.TransactionException) as exc:
                # a commit that cannot write (no space); a truncated file opens, then fails
                # to read: damaged
                found = store_error(self.path, exc)
                if found is not None:
                    raise found from None
                if isinstance(exc, duckdb.IOException):
                    raise DamagedStore(damaged(self.path, exc)) from None
                raise
        finally:
            con.close()

    def save(self, kind: str, scenario: str, version: str, scenario_yaml: str,
             result: dict[str, Any]) -> str:
        """Write one run in a single transaction and return its ID (stored as its ``run_id``).

        Raises
        ------
        StoreError
            The result holds a NaN or an infinity (named by its field path), or the store
            cannot be written; either way the message says the run was not saved.
        """
        bad = non_finite_field(result)
        if bad:
            raise StoreError(f"run not saved: result field {bad} is not a finite number")
        run_id = uuid.uuid4().hex[:12]
        result = {**result, "run_id": run_id}
        rows = [
            (run_id, row["period"], *[row.get(c) for c in TIMELINE_COLUMNS])
            for row in result.get("timeline", [])
        ]
        import duckdb

        try:
            for attempt in range(DAMAGED_RETRIES):
                try:
                    self._write(run_id, kind, scenario, version, scenario_yaml, result, rows)
                    break
                except DamagedStore:
                    if attempt == DAMAGED_RETRIES - 1:
                        raise
                    time.sleep(0.1 * (attempt + 1))
        except StoreError as exc:
            raise StoreError(f"run not saved: {exc}") from None
        except duckdb.Error as exc:
            raise StoreError(f"run not saved: {self.path}: {_first_line(exc)}") from None
        return run_id

    def _write(self, run_id: str, kind: str, scenario: str, version: str, scenario_yaml: str,
               result: dict[str, Any], rows: list[tuple[Any, ...]]) -> None:
        with self._connect() as con, _transaction(con):
            con.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?)",
                [run_id, dt.datetime.now(dt.UTC).replace(tzinfo=None), kind, scenario,
                 version, scenario_yaml, json.dumps(result)],
            )
            if rows:
                marks = ", ".join("?" * (2 + len(TIMELINE_COLUMNS)))
                con.executemany(f"INSERT INTO timeline VALUES ({marks})", rows)

    def delete(self, run_id: str) -> None:
        """Remove one run (its row and its timeline) in a single transaction: how a save
        is undone when the report that goes with it cannot be written."""
        with self._connect() as con, _transaction(con):
            con.execute("DELETE FROM timeline WHERE run_id = ?", [run_id])
            con.execute("DELETE FROM runs WHERE run_id = ?", [run_id])

    def list_runs(self) -> list[dict[str, Any]]:
        """All runs, newest first, with their headline figures."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT run_id, created_at, kind, scenario, version, result_json FROM runs "
                "ORDER BY created_at DESC"
            ).fetchall()
        out = []
        for run_id, created, kind, scenario, version, result_json in rows:
            result = json.loads(result_json)
            out.append({
                "run_id": run_id, "created_at": created.isoformat(timespec="seconds"),
                "kind": kind, "scenario": scenario, "version": version,
                "facility_gw": result.get("facility_gw"), "gpus": result.get("gpus"),
                "capex_usd": result.get("capex_usd"),
            })
        return out

    def get(self, run_id: str) -> dict[str, Any]:
        """One run by ID or unique ID prefix: its metadata, scenario text and result."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT run_id, created_at, kind, scenario, version, scenario_yaml, result_json "
                "FROM runs WHERE starts_with(run_id, ?)", [run_id]
            ).fetchall()
        if not rows:
            raise StoreError(f"run {run_id!r} not found; see 'gigawatt runs list'")
        if len(rows) > 1:
            raise StoreError(f"run prefix {run_id!r} is ambiguous: "
                             f"{', '.join(r[0] for r in rows)}")
        rid, created, kind, scenario, version, text, result_json = rows[0]
        return {"run_id": rid, "created_at": created.isoformat(timespec="seconds"), "kind": kind,
                "scenario": scenario, "version": version, "scenario_yaml": text,
                "result": json.loads(result_json)}

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run read-only SQL against the store (for scripts and tests)."""
        with self._connect() as con:
            return con.execute(sql, params or []).fetchall()
