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
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
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


def default_path() -> Path:
    """``$GIGAWATT_HOME/runs.duckdb``, else ``~/.local/share/gigawatt/runs.duckdb``."""
    home = os.environ.get("GIGAWATT_HOME")
    base = Path(home) if home else Path.home() / ".local" / "share" / "gigawatt"
    return base / "runs.duckdb"


class RunStore:
    """Save, list, fetch and compare runs in one DuckDB file."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()

    @contextmanager
    def _connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        import duckdb  # imported here: only commands that touch the store pay for it

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            con = duckdb.connect(str(self.path))
        except (OSError, duckdb.Error) as exc:
            raise StoreError(f"{self.path}: cannot open the run store: {exc}") from None
        try:
            con.execute(SCHEMA)
            yield con
        finally:
            con.close()

    def save(self, kind: str, scenario: str, version: str, scenario_yaml: str,
             result: dict[str, Any]) -> str:
        """Write one run in a single transaction and return its ID (stored as its ``run_id``)."""
        run_id = uuid.uuid4().hex[:12]
        result = {**result, "run_id": run_id}
        rows = [
            (run_id, row["period"], *[row.get(c) for c in TIMELINE_COLUMNS])
            for row in result.get("timeline", [])
        ]
        with self._connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute(
                    "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [run_id, dt.datetime.now(dt.UTC).replace(tzinfo=None), kind, scenario,
                     version, scenario_yaml, json.dumps(result)],
                )
                if rows:
                    marks = ", ".join("?" * (2 + len(TIMELINE_COLUMNS)))
                    con.executemany(f"INSERT INTO timeline VALUES ({marks})", rows)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        return run_id

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
