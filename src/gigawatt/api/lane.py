"""The run store's single lane: every store access of the service, one at a time.

DuckDB lets one process write a database file, and the run store opens a connection
per call. The service sends every call (writes and reads) through one thread, in
arrival order, so its requests never interleave transactions. While calls queue up,
the lane keeps one extra connection open: the store's own connections then join the
open database instead of opening and checkpointing the file each time (a burst of
saves runs about three times faster). When the queue drains the lane lets go of the
file, so the CLI can write to the same store between bursts.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from gigawatt.errors import StoreError
from gigawatt.store import DUCKDB_CONFIG, RunStore

if TYPE_CHECKING:
    import duckdb

T = TypeVar("T")

# Another process (the CLI) may hold the DuckDB file for a moment: the store's own
# connect waits for it with back-off (gigawatt.store.BUSY_TIMEOUT_S); these are extra
# whole-call retries, kept for a store that gave up while the file stayed busy.
STORE_BUSY_RETRIES = 1
STORE_BUSY_WAIT_S = 0.05


class StoreLane:
    """Run store calls in one thread, in arrival order."""

    def __init__(self, store: RunStore) -> None:
        self.store = store
        self._pool: ThreadPoolExecutor | None = None
        self._guard = threading.Lock()
        self._pending = 0
        self._held: duckdb.DuckDBPyConnection | None = None  # touched by the lane's thread only

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` (a ``RunStore`` method) in the lane and wait for its result."""
        with self._guard:  # the lane starts on first use, and again after close()
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gigawatt-store")
            self._pending += 1
            future = self._pool.submit(self._run, fn, *args)
        return await asyncio.wrap_future(future)

    def _run(self, fn: Callable[..., T], *args: Any) -> T:
        try:
            return self._patient(fn, *args)
        finally:
            with self._guard:
                self._pending -= 1
                backlog = self._pending > 0
            if backlog and self._held is None:
                self._held = self._hold()
            elif not backlog and self._held is not None:
                self._held.close()
                self._held = None

    def _hold(self) -> duckdb.DuckDBPyConnection | None:
        import duckdb

        try:  # same path, default configuration: the store's connections share this database
            return duckdb.connect(str(self.store.path), config=DUCKDB_CONFIG)
        except duckdb.Error:
            return None  # the file is busy elsewhere: the calls go on without the speed-up

    @staticmethod
    def _patient(fn: Callable[..., T], *args: Any) -> T:
        for _ in range(STORE_BUSY_RETRIES):
            try:
                return fn(*args)
            except StoreError as exc:
                if "another process held it" not in str(exc):
                    raise
                time.sleep(STORE_BUSY_WAIT_S)
        return fn(*args)

    def close(self) -> None:
        """Finish the queued calls and stop the lane's thread."""
        with self._guard:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
