"""Load with saving: N concurrent loopback clients post plans that are saved, while CLI
plans write to the same run store; then count the runs the store holds.

Starts ``gigawatt serve`` as its own process on a free loopback port with a fresh run
store. Each client thread sends up to ``--requests`` saved plans over one keep-alive
connection, and stops early when ``--max-seconds`` have passed (the load is bounded in
count and in time). During the burst ``--cli-plans`` ``gigawatt plan`` processes save to
the same store. Prints p50/p99 latency, throughput, errors, and the runs found in the
store afterwards against the runs the clients and the CLI were told were saved.

    python benchmarks/bench_load.py [--clients 16] [--requests 10] [--max-seconds 120]
                                    [--cli-plans 2]
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

REQUEST_TIMEOUT_S = 120.0
SCENARIO = "openai-nvidia-10gw"


class Tally:
    """What the clients saw, under one lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.run_ids: set[str] = set()


def _client(port: int, body: bytes, count: int, stop_at: float, tally: Tally) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
    for _ in range(count):
        if time.monotonic() >= stop_at:
            break
        start = time.perf_counter()
        try:
            conn.request("POST", "/api/plan", body, {"Content-Type": "application/json"})
            response = conn.getresponse()
            payload = response.read()
            elapsed = time.perf_counter() - start
            result = json.loads(payload) if response.status == 200 else {}
            with tally.lock:
                tally.latencies.append(elapsed)
                if result.get("run_id"):
                    tally.run_ids.add(result["run_id"])
                else:
                    tally.errors.append(f"HTTP {response.status}: {payload[:200]!r}")
        except (OSError, http.client.HTTPException, ValueError) as exc:
            with tally.lock:
                tally.errors.append(f"{type(exc).__name__}: {exc}")
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
    conn.close()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=10, help="per client, at most")
    parser.add_argument("--max-seconds", type=float, default=120.0,
                        help="no request starts after this long")
    parser.add_argument("--cli-plans", type=int, default=2,
                        help="gigawatt plan processes saving during the burst")
    args = parser.parse_args()

    port = free_port()
    gigawatt = [sys.executable, "-m", "gigawatt"]
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "GIGAWATT_HOME": home}
        server = subprocess.Popen([*gigawatt, "serve", "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        tally = Tally()
        cli_ids: list[str] = []
        cli_errors: list[str] = []
        try:
            wait_ready(port, server, 120)
            body = json.dumps({"scenario": SCENARIO, "save": True}).encode()
            _client(port, body, 2, time.monotonic() + 60, tally)  # warm the workers
            warm_ids = set(tally.run_ids)
            tally = Tally()
            start = time.perf_counter()
            stop_at = time.monotonic() + args.max_seconds
            threads = [threading.Thread(target=_client,
                                        args=(port, body, args.requests, stop_at, tally))
                       for _ in range(args.clients)]
            for t in threads:
                t.start()
            plans = [subprocess.Popen([*gigawatt, "plan", SCENARIO, "--json", "--no-report"],
                                      env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True) for _ in range(args.cli_plans)]
            for t in threads:
                t.join()
            wall = time.perf_counter() - start
            for p in plans:
                out, err = p.communicate(timeout=600)
                if p.returncode == 0 and json.loads(out).get("run_id"):
                    cli_ids.append(json.loads(out)["run_id"])
                else:
                    cli_errors.append(err.strip()[:200])
        finally:
            server.terminate()
            server.wait(30)
        from gigawatt.store import RunStore

        found = {r["run_id"] for r in RunStore(Path(home) / "runs.duckdb").list_runs()}
    told = tally.run_ids | set(cli_ids)
    found -= warm_ids
    sent = len(tally.latencies) + len([e for e in tally.errors if not e.startswith("HTTP")])
    p50, p99 = statistics.median(tally.latencies), _percentile(tally.latencies, 0.99)
    print(f"clients {args.clients}, requests sent {sent} (at most {args.requests} each, "
          f"{args.max_seconds:g} s), saved plans, loopback, server in its own process, "
          f"{args.cli_plans} CLI plans during the burst")
    print(f"latency p50 {p50 * 1e3:9.1f} ms")
    print(f"latency p99 {p99 * 1e3:9.1f} ms")
    print(f"latency max {max(tally.latencies) * 1e3:9.1f} ms")
    print(f"throughput  {len(tally.latencies) / wall:9.2f} plans/s over {wall:.1f} s")
    print(f"errors      {len(tally.errors):9d} API, {len(cli_errors)} CLI")
    print(f"runs found  {len(found):9d} in the store; saves reported {len(told)}; "
          f"lost {len(told - found)}")
    for e in (tally.errors + cli_errors)[:5]:
        print(f"  {e}")


if __name__ == "__main__":
    main()
