"""Start-up and doctor cost, side by side in one run (this machine is shared and noisy).

    .venv/bin/python bench/bench_startup.py [--runs N]

Prints medians of N runs for:
  - `python -c pass`                 (the interpreter's own floor, for scale)
  - `sriovctl --version`             (target: under 0.3 s)
  - `sriovctl check -f json` on the 4 PF x 64 VF host, as a directory and as a tarball
                                     (target: under 1 s)
  - `sriovctl plan -f examples/site/site.yaml` for that host (three groups, 192 VFs
                                     claimed, nova's device_spec rendered and re-matched)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SITE = HERE.parent / "examples/site/site.yaml"
sys.path.insert(0, str(HERE.parent / "tests"))

from hostbuilder import big_host  # noqa: E402


def timed(argv: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - t)
    return times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    exe = os.path.join(os.path.dirname(sys.executable), "sriovctl")
    with tempfile.TemporaryDirectory() as tmp:
        root = big_host(Path(tmp) / "root").build()
        tarball = big_host(Path(tmp) / "root2").tarball(Path(tmp) / "big.tar.gz")
        cases = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "sriovctl --version": [exe, "--version"],
            "check -f json (256 VFs, dir)": [exe, "check", "--root", str(root), "-f", "json"],
            "check -f json (256 VFs, tar.gz)": [exe, "check", "--root", str(tarball), "-f",
                                                "json"],
            "plan site.yaml (256 VFs, dir)": [exe, "plan", "-f", str(SITE), "--root", str(root),
                                              "--host", "compute-big-0", "-f", "json"],
        }
        # Interleave the cases so a burst of load on the shared machine hits all of them.
        results: dict[str, list[float]] = {k: [] for k in cases}
        for _ in range(args.runs):
            for name, argv in cases.items():
                results[name] += timed(argv, 1)
    floor = statistics.median(results["python -c pass"])
    print(f"{'case':36} {'median':>9} {'min':>9} {'vs python':>10}")
    for name, times in results.items():
        med = statistics.median(times)
        print(f"{name:36} {med * 1000:8.1f}ms {min(times) * 1000:8.1f}ms {med / floor:9.1f}x")


if __name__ == "__main__":
    main()
