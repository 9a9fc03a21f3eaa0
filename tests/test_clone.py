"""A clone stands alone: `.ci/run` is `make test`, and `make test` sets up what its tests need
(the system Chromium of the browser test) instead of CI doing it behind its back."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_make_test_and_nothing_else():
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    assert lines == ["set -euo pipefail", 'cd "$(dirname "$0")/.."', "make test"]


def _dry_run(*args: str) -> str:
    return subprocess.run(["make", "-n", "-C", str(ROOT), *args], capture_output=True,
                          text=True, check=True).stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_test_installs_chromium_where_it_is_missing():
    assert "chromium" in _dry_run("test")
    plan = _dry_run("chromium", "CHROMIUM=/nonexistent/chromium")
    assert "apt-get install -y -qq chromium" in plan
    sudo = "" if os.getuid() == 0 else "sudo "
    assert f"{sudo}apt-get update" in plan.replace("  ", " ")


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_chromium_says_one_line_where_it_cannot_install(tmp_path):
    # no apt-get on PATH: one line naming the package, exit 0 (the browser test then fails)
    env = {**os.environ, "PATH": str(tmp_path)}
    make = shutil.which("make")
    assert make is not None
    r = subprocess.run([make, "-s", "-C", str(ROOT), "chromium", "CHROMIUM=/nonexistent/x"],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 1 and "install the 'chromium' package" in lines[0]


def test_make_bench_installs_the_bench_extra_and_runs_them_all():
    plan = _dry_run("bench", "-W", "pyproject.toml")
    assert "'.[bench]'" in plan and "benchmarks/run_all.py" in plan
