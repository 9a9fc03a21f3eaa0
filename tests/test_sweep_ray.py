"""Ray across nodes: a local two-node cluster on loopback (a head and a second node process,
started here, stopped in the fixture), the sweep's numbers against the process backend.

The cluster is stopped by signalling the processes it started (those naming its own temp
dir, and their children), not by ``ray stop --force``, which stops every Ray on the machine:
a parallel test's local Ray (``tests/test_sweep.py``) or anyone else's.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("ray")
RAY = Path(sys.executable).with_name("ray")
START_S = 60


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ray(env: dict[str, str], *args: str) -> None:
    subprocess.run([str(RAY), *args], env=env, check=True, timeout=START_S,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _started_under(temp: Path) -> set[int]:
    """Running processes whose command line names ``temp``, and all their descendants
    (Linux /proc)."""
    parent: dict[int, int] = {}
    marked: set[int] = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                command = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{entry}/stat") as f:
                state, ppid = f.read().rsplit(")", 1)[1].split()[:2]
        except (OSError, ValueError, IndexError):
            continue
        if state == "Z":  # exited, waiting to be reaped: nothing left to stop
            continue
        parent[int(entry)] = int(ppid)
        if str(temp) in command:
            marked.add(int(entry))
    grown = True
    while grown:
        children = {pid for pid, ppid in parent.items() if ppid in marked} - marked
        marked |= children
        grown = bool(children)
    return marked


def _stop(temp: Path, grace_s: float = 3.0) -> set[int]:
    """SIGTERM the cluster's processes, SIGKILL what is left after ``grace_s``; the leftovers."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in _started_under(temp):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)
        deadline = time.monotonic() + grace_s
        while _started_under(temp) and time.monotonic() < deadline:
            time.sleep(0.2)
    return _started_under(temp)


DRIVER = """
import json, sys
import numpy as np
import ray
from gigawatt.scenario import load_scenario
from gigawatt.sweep import sweep

address = sys.argv[1]
scenario = load_scenario("stargate-2025")[0]
# one sampled input the programme reads: 3 samples (a grid, no tornado)
vary = {"platforms.vr-nvl72.rack_power_kw": [150.0, 190.0, 220.0]}
runs = {"ray": sweep(scenario, vary=vary, backend="ray", workers=2, ray_address=address)}
nodes = len([n for n in ray.nodes() if n["Alive"]])
runs["process"] = sweep(scenario, vary=vary, backend="process", workers=2)
# the vectorised backend's per-sample programmes, on the cluster and in this process
rows = {"platforms.vr-nvl72.rack_power_kw": list(np.linspace(150.0, 220.0, 70))}
runs["vectorised-ray"] = sweep(scenario, vary=rows, ray_address=address)
runs["vectorised-here"] = sweep(scenario, vary=rows, workers=1)
print(json.dumps({"nodes": nodes, **{k: {"note": r.note, "outputs": {
    name: v.tolist() for name, v in r.outputs.items()}} for k, r in runs.items()}}))
"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """``HOST:PORT`` of a head and a second node, one CPU each, on 127.0.0.1."""
    temp = tmp_path_factory.mktemp("ray")
    # a token of its own: every node and this driver must hold it (none else can join)
    auth = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
    env = {**os.environ, **auth, "RAY_TMPDIR": str(temp), "RAY_USAGE_STATS_ENABLED": "0",
           "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    address = f"127.0.0.1:{_free_port()}"
    common = ("--num-cpus=1", "--node-ip-address=127.0.0.1", "--disable-usage-stats")
    try:
        _ray(env, "start", "--head", f"--port={address.rpartition(':')[2]}",
             "--include-dashboard=false", f"--temp-dir={temp}", *common)
        _ray(env, "start", f"--address={address}", *common)
        yield address, env
    finally:
        left = _stop(temp)
        assert not left, f"Ray processes left running: {sorted(left)}"


def test_a_sweep_on_two_ray_nodes_matches_the_process_backend(cluster):
    # the driver runs in a process of its own: Ray reads its token from the environment at
    # start, and a driver there leaves this process's Ray (if any) alone
    address, env = cluster
    done = subprocess.run([sys.executable, "-c", DRIVER, address], env=env, timeout=180,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    runs = json.loads(done.stdout.strip().splitlines()[-1])
    assert runs["nodes"] == 2
    for name, values in runs["process"]["outputs"].items():
        np.testing.assert_array_equal(runs["ray"]["outputs"][name], values, err_msg=name)
    assert "Ray cluster" in runs["vectorised-ray"]["note"]
    assert "one process" in runs["vectorised-here"]["note"]
    for name, values in runs["vectorised-here"]["outputs"].items():
        np.testing.assert_array_equal(runs["vectorised-ray"]["outputs"][name], values,
                                      err_msg=name)
