"""Load the service: N concurrent clients on loopback send a bounded number of plan requests.

Starts ``gigawatt serve`` as its own process on a free loopback port with a fresh run
store, then each client thread sends its requests one after another over one
keep-alive connection. Prints p50 and p99 latency, throughput and the error count
against the target (16 clients: no errors, p99 under 1 s for a saved plan of the
default scenario), and checks that every successful plan was saved whole.

    python benchmarks/bench_serve.py [--clients 16] [--requests 25] [--no-save] [--view]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from loopback import free_port, wait_ready
from summary import record

P99_TARGET_S = 1.0
REQUEST_TIMEOUT_S = 30.0


def _client(port: int, body: bytes, count: int, latencies: list[float],
            errors: list[str], lock: threading.Lock) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
    for _ in range(count):
        start = time.perf_counter()
        try:
            conn.request("POST", "/api/plan", body, {"Content-Type": "application/json"})
            response = conn.getresponse()
            payload = response.read()
            elapsed = time.perf_counter() - start
            ok = response.status == 200 and json.loads(payload)["gpus"] > 0
            with lock:
                latencies.append(elapsed)
                if not ok:
                    errors.append(f"HTTP {response.status}: {payload[:200]!r}")
        except (OSError, http.client.HTTPException, ValueError, KeyError) as exc:
            with lock:
                errors.append(f"{type(exc).__name__}: {exc}")
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
    conn.close()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=10, help="per client")
    parser.add_argument("--no-save", dest="save", action="store_false",
                        help="plans are not written to the run store")
    parser.add_argument("--view", action="store_true", help="also ask for the charts")
    args = parser.parse_args()

    port = free_port()
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "GIGAWATT_HOME": home}
        server = subprocess.Popen(
            [sys.executable, "-m", "gigawatt", "serve", "--port", str(port)], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_ready(port, server, 30)
            body = json.dumps({"scenario": "openai-nvidia-10gw", "save": args.save,
                               "view": args.view}).encode()
            latencies: list[float] = []
            errors: list[str] = []
            lock = threading.Lock()
            _client(port, body, 3, [], [], lock)  # warm the server's imports and caches
            threads = [threading.Thread(target=_client,
                                        args=(port, body, args.requests, latencies, errors, lock))
                       for _ in range(args.clients)]
            start = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - start
        finally:
            server.terminate()
            server.wait(10)
        saved = None
        if args.save:
            from gigawatt.store import RunStore

            saved = len(RunStore(Path(home) / "runs.duckdb").list_runs()) - 3

    total = args.clients * args.requests
    p50, p99 = statistics.median(latencies), _percentile(latencies, 0.99)
    print(f"clients {args.clients}, requests {total} (save={args.save}, view={args.view}), "
          f"loopback, server in its own process")
    print(f"latency p50 {p50 * 1e3:8.1f} ms")
    print(f"latency p99 {p99 * 1e3:8.1f} ms   target {P99_TARGET_S * 1e3:.0f} ms, "
          f"ratio {p99 / P99_TARGET_S:.2f}")
    print(f"latency max {max(latencies) * 1e3:8.1f} ms")
    print(f"throughput  {total / wall:8.1f} plans/s over {wall:.2f} s")
    print(f"errors      {len(errors):8d}")
    record(f"POST /api/plan latency p99, {args.clients} clients", p99, "s", P99_TARGET_S)
    record("requests that failed", float(len(errors)), "", 0.0)
    if saved is not None:
        print(f"runs saved  {saved:8d} of {total - len(errors)} successful plans")
    for e in errors[:5]:
        print(f"  {e}")


if __name__ == "__main__":
    main()
