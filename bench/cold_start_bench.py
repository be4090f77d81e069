"""Measure the cold import time of each Lambda entry module against a bare `import boto3`.

Each measurement runs in a fresh Python process, as a cold start does, and the median of several
runs is reported. Usage: python bench/cold_start_bench.py [--runs 7]
"""

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from infra.definitions import API_HANDLER, QUEUES  # noqa: E402

PROBE = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def import_seconds(module: str, runs: int) -> float:
    env = dict(
        os.environ,
        PYTHONPATH=f"{ROOT / 'functions'}:{ROOT}",
        POWERTOOLS_SERVICE_NAME="backlinks",
        POWERTOOLS_METRICS_NAMESPACE="Backlinks",
        POWERTOOLS_TRACE_DISABLED="true",
        AWS_DEFAULT_REGION="us-east-1",
        PYTHONDONTWRITEBYTECODE="",
    )
    samples = []
    for _ in range(runs):
        output = subprocess.run(
            [sys.executable, "-c", PROBE.format(module=module)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        samples.append(float(output.stdout.strip()))
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh processes per module")
    args = parser.parse_args()

    modules = {"boto3 (baseline)": "boto3"}
    for handler in (API_HANDLER, *(queue.consumer_handler for queue in QUEUES)):
        modules[handler] = handler.rsplit(".", 1)[0]
    for label, module in modules.items():
        print(
            f"{label:<45} {import_seconds(module, args.runs) * 1000:7.0f} ms (median of {args.runs})",
            flush=True,
        )


if __name__ == "__main__":
    main()
