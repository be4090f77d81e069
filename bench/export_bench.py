"""Measure the disavow and CSV exports for 100,000 toxic domains.

Usage, from the repository root: .venv/bin/python bench/export_bench.py [--repeat N]

Each measurement runs in a fresh Python subprocess, so imports, caches and freed memory of one run
cannot affect the next. A child process generates the input, then runs one export and reports:

- wall time of the export call alone (time.perf_counter), input generation excluded;
- peak RSS of the whole child process (resource.getrusage(RUSAGE_SELF).ru_maxrss, in KiB on Linux),
  which includes the interpreter, the imports and the generated input. A "baseline" child that only
  imports and generates the input shows how much of that peak the export adds;
- the tracemalloc peak of Python allocations during the export call, measured in a separate child,
  because tracemalloc slows the code it traces.
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
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPOSITORY / "functions"), str(REPOSITORY)]

from backlinks.logic.csv_export import build_csv  # noqa: E402
from backlinks.logic.disavow import build_disavow_file  # noqa: E402

DOMAIN_COUNT = 100_000
SEED = 20260101
TLDS = ("com", "net", "org", "info", "xyz", "top", "ru", "de")
CSV_COLUMNS = ("domain", "spam_score", "backlinks", "first_seen", "is_toxic")
EXPORTS = ("baseline", "disavow", "csv")


def generate_hosts(count: int = DOMAIN_COUNT) -> list[str]:
    """Return `count` distinct canonical hosts such as "qk1f3.top", the same on every run.

    Hosts are short so that 100,000 `domain:` lines stay under 2,000,000 bytes.
    """
    rng = random.Random(SEED)
    letters = "abcdefghijklmnopqrstuvwxyz"
    hosts = []
    for index in range(count):
        # The base-36 index keeps the hosts distinct, and the random letters vary their first characters.
        name = "".join(rng.choices(letters, k=2)) + _base36(index)
        hosts.append(f"{name}.{rng.choice(TLDS)}")
    return hosts


def to_disavow_input(hosts: list[str]) -> list[str]:
    """Give every tenth host as a URL with "WWW." and a path, as DataForSEO items can.

    Such a URL canonicalizes to the same host, so the exporter also does the URL parsing.
    """
    return [f"https://WWW.{host}/spam-page" if index % 10 == 0 else host for index, host in enumerate(hosts)]


def generate_rows(hosts: list[str]) -> list[dict[str, object]]:
    rng = random.Random(SEED + 1)
    return [
        {
            "domain": host,
            "spam_score": rng.randint(80, 100),
            "backlinks": rng.randint(1, 5000),
            "first_seen": f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "is_toxic": True,
        }
        for host in hosts
    ]


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, remainder = divmod(number, 36)
        text = digits[remainder] + text
        if number == 0:
            return text


def run_child(export: str, trace: bool) -> dict[str, object]:
    """Run one export in this process and return its figures."""
    # Every child, the baseline included, generates both inputs, so the RSS difference to the
    # baseline is what the export itself adds.
    hosts = generate_hosts()
    domains = to_disavow_input(hosts)
    rows = generate_rows(hosts)

    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    if export == "disavow":
        # No comment line: 100,000 entries are exactly Google's line limit.
        disavow = build_disavow_file(domains)
        output_bytes, lines = disavow.byte_count, disavow.lines
    elif export == "csv":
        content = build_csv(rows, CSV_COLUMNS)
        output_bytes, lines = len(content), content.count(b"\r\n")
    else:
        output_bytes, lines = 0, 0
    seconds = time.perf_counter() - started

    figures: dict[str, object] = {"export": export, "seconds": seconds, "bytes": output_bytes, "lines": lines}
    if trace:
        figures["tracemalloc_peak_bytes"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    figures["max_rss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return figures


def measure(export: str, trace: bool) -> dict[str, object]:
    command = [sys.executable, __file__, "--child", export]
    if trace:
        command.append("--trace")
    completed = subprocess.run(command, capture_output=True, text=True, cwd=REPOSITORY)
    if completed.returncode != 0:
        raise SystemExit(
            f"the {export} measurement failed with exit code {completed.returncode}:\n{completed.stderr}"
        )
    return json.loads(completed.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per export, each in a new process")
    parser.add_argument("--child", choices=EXPORTS, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()

    if arguments.child:
        print(json.dumps(run_child(arguments.child, arguments.trace)))
        return

    if arguments.repeat < 1:
        parser.error("--repeat must be at least 1")

    print(f"{DOMAIN_COUNT:,} domains, {arguments.repeat} timed runs per export, each in a fresh subprocess")
    print("peak RSS: getrusage(RUSAGE_SELF).ru_maxrss of the child; tracemalloc: a separate traced child")
    baseline_runs = [measure("baseline", trace=False) for _ in range(arguments.repeat)]
    baseline_rss = max(int(run["max_rss_kib"]) for run in baseline_runs)
    print(f"baseline (imports + generated input): peak RSS {baseline_rss / 1024:.1f} MiB")

    for export in ("disavow", "csv"):
        runs = [measure(export, trace=False) for _ in range(arguments.repeat)]
        traced = measure(export, trace=True)
        seconds = sorted(float(run["seconds"]) for run in runs)
        peak_rss = max(int(run["max_rss_kib"]) for run in runs)
        added_rss = peak_rss - baseline_rss
        tracemalloc_peak = int(traced["tracemalloc_peak_bytes"])

        print(f"{export}: {runs[0]['lines']:,} lines, {runs[0]['bytes']:,} bytes")
        print(
            f"  wall time: median {statistics.median(seconds):.3f} s"
            f" (min {seconds[0]:.3f} s, max {seconds[-1]:.3f} s)"
        )
        print(f"  peak RSS: {peak_rss / 1024:.1f} MiB ({added_rss / 1024:+.1f} MiB over baseline)")
        print(f"  tracemalloc peak: {tracemalloc_peak / 1_000_000:.1f} MB")


if __name__ == "__main__":
    main()
