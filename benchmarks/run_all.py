"""Run every benchmark in benchmarks/ and print one table of their figures against targets.

Each ``bench_*.py`` runs in its own process with its default (quick) settings, its output
shown as it goes; the figures it records (see ``summary.py``) are gathered into one table:
measured value, target, the ratio to the target (measured / target for times, target /
measured for speed-ups: at most 1 means the target is met) and a verdict. A benchmark that
fails is listed as failed, and the script then exits 1.

    python benchmarks/run_all.py [--only NAME ...] [--peer-python PYTHON]

``--peer-python`` names a Python that has llm-analysis (the peer of the inference and
training benchmarks); without it each of them installs one into a temporary environment.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from summary import PREFIX

HERE = Path(__file__).resolve().parent
PEER_FLAG = {"bench_inference.py": "--peer-python", "bench_training.py": "--peer-python"}


def run_one(script: Path, extra: list[str]) -> tuple[int, float, list[dict[str, object]]]:
    """Run one benchmark; (exit code, seconds, the figures it recorded)."""
    start = time.perf_counter()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}  # its lines as they come, not at exit
    proc = subprocess.Popen([sys.executable, str(script), *extra], cwd=HERE, env=env,
                            stdout=subprocess.PIPE, text=True)
    figures = []
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith(PREFIX):
            figures.append(json.loads(line[len(PREFIX):]))
        else:
            sys.stdout.write("  " + line)
    return proc.wait(), time.perf_counter() - start, figures


def _number(x: float, unit: str) -> str:
    if unit == "s" and x < 1:
        return f"{x * 1e3:,.1f} ms"
    if unit == "s":
        return f"{x:,.2f} s"
    if unit == "x":
        return f"{x:,.0f}x"
    if not unit:
        return f"{x:,.0f}"
    return f"{x:,.3g} {unit}".strip()


def verdict(fig: dict[str, object]) -> tuple[str, str]:
    """(ratio, verdict) of one figure: ratio <= 1 meets the target."""
    target, value = fig["target"], float(fig["value"])  # type: ignore[arg-type]
    if target is None:
        return "-", "no target"
    t = float(target)  # type: ignore[arg-type]
    if t == 0:  # a count that must be zero
        return "-", "met" if value == 0 else "NOT met"
    ratio = value / t if fig["better"] == "lower" else t / value
    return f"{ratio:.3f}", "met" if ratio <= 1 else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", help="a benchmark name, e.g. bench_plan")
    parser.add_argument("--peer-python", help="a Python that has llm-analysis installed")
    args = parser.parse_args()
    scripts = sorted(HERE.glob("bench_*.py"))
    if args.only:
        scripts = [s for s in scripts if s.stem in args.only]
    rows: list[tuple[str, ...]] = []
    failed = []
    for script in scripts:
        print(f"== {script.name}", flush=True)
        extra = [PEER_FLAG[script.name], args.peer_python] if (
            args.peer_python and script.name in PEER_FLAG) else []
        code, seconds, figures = run_one(script, extra)
        if code:
            failed.append(script.name)
            rows.append((script.stem, f"FAILED (exit {code})", "-", "-", "-", "-"))
        for fig in figures:
            unit = str(fig["unit"])
            target = "-" if fig["target"] is None else (
                ("<= " if fig["better"] == "lower" else ">= ")
                + _number(float(fig["target"]), unit))  # type: ignore[arg-type]
            rows.append((script.stem, str(fig["measure"]),
                         _number(float(fig["value"]), unit),  # type: ignore[arg-type]
                         target, *verdict(fig)))
        print(f"   ({seconds:.1f} s)\n", flush=True)
    header = ("benchmark", "measure", "measured", "target", "ratio", "verdict")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print("Summary (ratio: measured / target for times, target / measured for speed-ups; "
          "at most 1 meets the target)")
    for r in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(r, widths, strict=True))))
    if failed:
        print(f"failed: {', '.join(failed)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
