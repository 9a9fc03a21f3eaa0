"""Heavy requests run in worker processes that can be stopped: bounded in time, memory and
number.

A thread cannot be stopped from outside, so a computation that runs past its time limit
in a thread keeps its core and its memory until it finishes on its own. The service
instead sends each computation to one of at most ``size`` worker processes. Past the
deadline the worker is killed (its memory goes with it) and a fresh one replaces it on
the next call. A worker may use at most ``memory_bytes`` of address space: a request that
needs more fails with a ``MemoryError`` in the worker instead of swapping the machine.
Calls beyond ``size`` wait their turn, up to ``max_waiting`` of them; more are refused
at once (the route answers 503 with ``Retry-After``).

Workers read no file a request names (:func:`gigawatt.yamlio.forbid_user_files`):
a model or scenario from a request is a catalog ID, a built-in name or a document.
Workers start from a fork server that has imported the library once, so a replacement
is ready in a fraction of a second.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.util
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

PRELOAD = ["gigawatt.api.workers", "gigawatt.api.inputs", "gigawatt.api.view",
           "gigawatt.sweep", "gigawatt.estimates.train", "gigawatt.estimates.infer",
           "gigawatt.estimates.fabric", "gigawatt.estimates.reliability",
           "gigawatt.api.warmup"]
"""Modules the fork server imports once, so that each worker starts warm."""


class Busy(Exception):
    """Every worker is busy and the waiting line is full."""


class Stopped(Exception):
    """The computation passed its deadline, or its worker died; it was stopped."""


def _serve(conn: Connection, memory_bytes: int | None) -> None:
    """A worker's loop: receive ``(fn, args, kwargs)``, send ``(ok, value)``."""
    import resource

    from gigawatt.yamlio import forbid_user_files

    forbid_user_files()
    if memory_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    while True:
        try:
            fn, args, kwargs = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply: tuple[bool, Any] = (True, fn(*args, **kwargs))
        except MemoryError:
            reply = (False, MemoryError(f"the computation needed over "
                                        f"{(memory_bytes or 0) / 2**30:g} GiB"))
        except Exception as exc:
            reply = (False, exc)
        try:
            conn.send(reply)
        except Exception as exc:  # an exception or result that does not pickle
            conn.send((False, RuntimeError(f"{type(exc).__name__}: {exc}")))


class _Worker:
    # Not a daemon: a process-pool sweep starts processes of its own. The pool's finalizer
    # (multiprocessing's, run at exit before it joins its children) stops the workers.
    def __init__(self, ctx: Any, memory_bytes: int | None) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child, memory_bytes), daemon=False,
                                   name=WORKER_NAME)
        self.process.start()
        child.close()

    def stop(self) -> None:
        if self.conn.closed:  # stopped already (the pool closed while it was computing)
            return
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()
        self.process.close()


WORKER_NAME = "gigawatt-compute"


def _kill_workers_at_exit() -> None:
    """Kill every compute worker still alive: multiprocessing joins its non-daemon children
    at exit, and an idle worker waits for work for ever. Runs first among its exit steps."""
    for process in multiprocessing.active_children():
        if process.name == WORKER_NAME:
            process.kill()


multiprocessing.util.Finalize(None, _kill_workers_at_exit, exitpriority=100)


class ComputePool:
    """At most ``size`` worker processes; a call waits for one, up to ``max_waiting``."""

    def __init__(self, size: int, max_waiting: int, memory_bytes: int | None) -> None:
        self.size = size
        self.max_waiting = max_waiting
        self.memory_bytes = memory_bytes
        self._ctx = multiprocessing.get_context("forkserver")
        self._lock = threading.Lock()
        self._free = threading.Semaphore(size)
        self._idle: list[_Worker] = []
        self._waiting = 0
        self._all: set[_Worker] = set()
        # multiprocessing joins every live non-daemon child at exit, after running the
        # finalizers it knows of: stopping the workers there keeps exit from waiting on them
        self._finalizer = multiprocessing.util.Finalize(
            self, ComputePool._stop_all, args=(self._all, self._idle), exitpriority=10)

    def start(self) -> None:
        """Start one worker now (the server does at start-up), so that the first call does
        not wait for a process; the others start when calls need them."""
        with self._lock:
            missing = min(self.size, 1) - len(self._all)
        for _ in range(max(0, missing)):
            worker = _Worker(self._ctx, self.memory_bytes)
            with self._lock:
                self._all.add(worker)
                self._idle.append(worker)

    def run(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
            timeout_s: float, wait_s: float | None = None) -> Any:
        """``fn(*args, **kwargs)`` in a worker within ``timeout_s``, after waiting at most
        ``wait_s`` (default ``timeout_s``) for a worker to become free.

        Raises
        ------
        Busy
            ``max_waiting`` calls are already waiting for a worker.
        Stopped
            The deadline passed (the worker was killed) or the worker died.
        Exception
            Whatever ``fn`` raised (a MemoryError past the memory limit).
        """
        waited = timeout_s if wait_s is None else wait_s
        wait_until = time.monotonic() + waited
        if not self._free.acquire(blocking=False):
            with self._lock:
                if self._waiting >= self.max_waiting:
                    raise Busy(f"{self.size} computations running and {self._waiting} "
                               "waiting")
                self._waiting += 1
            try:
                if not self._free.acquire(timeout=max(0.0, wait_until - time.monotonic())):
                    raise Busy(f"no worker became free within {waited:g} s")
            finally:
                with self._lock:
                    self._waiting -= 1
        try:
            return self._call(fn, args, kwargs, time.monotonic() + timeout_s)
        finally:
            self._free.release()

    def _call(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
              deadline: float) -> Any:
        with self._lock:
            worker = self._idle.pop() if self._idle else None
        if worker is None:
            worker = _Worker(self._ctx, self.memory_bytes)
            with self._lock:
                self._all.add(worker)
        try:
            worker.conn.send((fn, args, kwargs))
            if not worker.conn.poll(max(0.0, deadline - time.monotonic())):
                raise Stopped("the deadline passed")
            ok, value = worker.conn.recv()
        except (EOFError, OSError, Stopped) as exc:
            self._discard(worker)
            raise Stopped(str(exc) or "the worker stopped") from None
        except BaseException:
            self._discard(worker)
            raise
        with self._lock:
            self._idle.append(worker)
        if not ok:
            raise value
        return value

    def _discard(self, worker: _Worker) -> None:
        with self._lock:
            self._all.discard(worker)
        worker.stop()

    @property
    def processes(self) -> list[int]:
        """The process IDs of the live workers (for tests and diagnostics)."""
        with self._lock:
            return [w.process.pid for w in self._all if w.process.pid is not None]

    def close(self) -> None:
        """Stop every worker and forget it, idle ones included: the pool may start again (an
        app's lifespan entered twice) and must not hand out a stopped worker."""
        with self._lock:
            workers = set(self._all)
            self._all.difference_update(workers)
            self._idle[:] = [w for w in self._idle if w not in workers]
        for worker in workers:
            worker.stop()

    @staticmethod
    def _stop_all(workers: set[_Worker], idle: list[_Worker]) -> None:
        for worker in list(workers):
            worker.stop()
        workers.clear()
        idle.clear()


def set_preload() -> None:
    """Have the fork server import the library once (before it first starts)."""
    multiprocessing.get_context("forkserver").set_forkserver_preload(PRELOAD)
