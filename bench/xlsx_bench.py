"""Measure the Excel (.xlsx) export of 100,000 referring domains.

Usage, from the repository root: .venv/bin/python bench/xlsx_bench.py [--repeat N]

Each run is a fresh Python subprocess. The child streams 100,000 generated rows of the export's
nine columns into logic/xlsx_export.build_xlsx (xlsxwriter in constant_memory mode) and reports:

- wall time of build_xlsx alone (time.perf_counter); the rows come from a generator, so making
  them is inside the timed call, as when the export reads them page by page from DynamoDB;
- peak RSS of the child (resource.getrusage(RUSAGE_SELF).ru_maxrss, KiB on Linux), interpreter and
  imports included. A "baseline" child that only imports and consumes the same generator shows how
  much of that peak the export adds;
- the tracemalloc peak of Python allocations during the call, in a separate child, because
  tracemalloc slows the code it traces.
"""

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPOSITORY / "functions"), str(REPOSITORY)]

from backlinks.logic.exports import spreadsheet_columns  # noqa: E402
from backlinks.logic.xlsx_export import build_xlsx  # noqa: E402

ROW_COUNT = 100_000
SEED = 20261204
THRESHOLD = 80
MODES = ("baseline", "xlsx")


def generate_rows(count: int = ROW_COUNT) -> Iterator[tuple]:
    """Yield rows shaped like the export's: domain, scores, flags, counts and ISO dates."""
    rng = random.Random(SEED)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    for index in range(count):
        spam_score = rng.choice((None, rng.randint(0, 100)))
        first_seen = start + timedelta(minutes=rng.randint(0, 2_000_000))
        yield (
            f"referrer-{index:06d}.example-{index % 97}.com",
            spam_score,
            spam_score is not None and spam_score >= THRESHOLD,
            index % 50 == 0,
            rng.randint(0, 1000),
            rng.randint(1, 50_000),
            rng.randint(0, 100),
            first_seen.isoformat(),
            (first_seen + timedelta(days=30)).isoformat() if index % 7 == 0 else None,
        )


def run_child(mode: str, trace: bool) -> dict:
    columns = spreadsheet_columns(THRESHOLD)
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    if mode == "baseline":
        size = sum(1 for _ in generate_rows())
    else:
        size = len(build_xlsx(generate_rows(), columns))
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if trace else None
    return {
        "mode": mode,
        "seconds": elapsed,
        "bytes": size,
        "max_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "tracemalloc_peak": peak,
    }


def spawn(mode: str, trace: bool = False) -> dict:
    command = [sys.executable, __file__, "--child", mode] + (["--trace"] if trace else [])
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per mode (default 3)")
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        print(json.dumps(run_child(arguments.child, arguments.trace)))
        return

    for mode in MODES:
        runs = [spawn(mode) for _ in range(arguments.repeat)]
        seconds = [run["seconds"] for run in runs]
        traced = spawn(mode, trace=True)
        output = "no file" if mode == "baseline" else f"output {runs[0]['bytes']:,} bytes"
        print(
            f"{mode}: {output} ({ROW_COUNT:,} rows), "
            f"wall time median {statistics.median(seconds):.3f} s "
            f"(min {min(seconds):.3f}, max {max(seconds):.3f}), "
            f"peak RSS {max(run['max_rss_kib'] for run in runs) / 1024:.1f} MiB, "
            f"tracemalloc peak {traced['tracemalloc_peak'] / 1e6:.1f} MB"
        )


if __name__ == "__main__":
    main()
