"""Measure the anchor work that runs in memory: the report over a full set and the refresh aggregation.

Usage, from the repository root: .venv/bin/python bench/anchors_bench.py

- report: classify 10,000 anchors (the most a set stores) with 5 keywords and sum the classes, as
  every GET .../anchors does after reading the set. Reading the set from DynamoDB is not included.
- aggregate: group 500,000 stored links by anchor text, as a project's full refresh does for its
  heuristic set (10 pages of at most 50,000 links), and keep the 10,000 with the most backlinks.

Each runs in a fresh Python subprocess that reports the wall time of the measured call alone
(time.perf_counter) and the peak RSS of the child (ru_maxrss, KiB on Linux). A "baseline" child only
imports and generates the input, so the difference is what the measured call adds.
"""

import json
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPOSITORY / "functions"), str(REPOSITORY)]

from backlinks.logic.anchor_classes import Classifier  # noqa: E402
from backlinks.logic.anchors import LinkAnchorAggregator, class_summary  # noqa: E402
from backlinks.models.anchors import MAX_ANCHORS, AnchorRecord  # noqa: E402
from backlinks.models.projects import StoredLink  # noqa: E402

SEED = 20261204
LINKS = 500_000
DISTINCT_LINK_ANCHORS = 60_000
KEYWORDS = ("running shoes", "trail runners", "marathon training", "best sneakers", "shoe store")
WORDS = ("best", "cheap", "running", "shoes", "review", "guide", "store", "online", "buy", "trail", "sale")
RUNS = 3


def anchor_texts(count: int, rng: random.Random) -> list[str]:
    """Return `count` distinct texts that mix every class: brand, URLs, generic, keyword-like, other."""
    fixed = [
        "Acme",
        "acme shop",
        "https://acme-shop.com/",
        "www.acme-shop.com",
        "click here",
        "",
        "read more",
    ]
    texts = list(fixed)
    while len(texts) < count:
        words = rng.choices(WORDS, k=rng.randint(1, 5))
        texts.append(" ".join(words) + f" {len(texts)}")
    return texts[:count]


def report_input() -> list[AnchorRecord]:
    rng = random.Random(SEED)
    return [
        AnchorRecord(anchor=text, backlinks=rng.randint(1, 500), referring_domains=rng.randint(1, 100))
        for text in anchor_texts(MAX_ANCHORS, rng)
    ]


def aggregate_input() -> list[StoredLink]:
    rng = random.Random(SEED)
    texts = anchor_texts(DISTINCT_LINK_ANCHORS, rng)
    return [
        StoredLink(
            link_id=f"{index:x}",
            url_from=f"https://d{index % 40_000}.example/p{index}",
            url_to="https://acme-shop.com/",
            domain_from=f"d{index % 40_000}.example",
            anchor=rng.choice(texts),
            dofollow=index % 3 != 0,
            links_count=1 + index % 4,
            spam_score=index % 101,
        )
        for index in range(LINKS)
    ]


def child(kind: str) -> None:
    data = aggregate_input() if kind in ("aggregate", "baseline-aggregate") else report_input()
    started = time.perf_counter()
    if kind == "report":
        classifier = Classifier.for_target("acme-shop.com", keywords=KEYWORDS)
        rows = [(record, classifier.classify(record.anchor)) for record in data]
        class_summary(rows)
    elif kind == "aggregate":
        aggregator = LinkAnchorAggregator()
        for link in data:
            aggregator.add(link)
        aggregator.records()
    elapsed = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": elapsed, "peak_mib": peak_kib / 1024}))


def measure(kind: str) -> list[dict]:
    results = []
    for _ in range(RUNS):
        output = subprocess.run(
            [sys.executable, __file__, "--child", kind], check=True, capture_output=True, text=True
        ).stdout
        results.append(json.loads(output))
    return results


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
        return
    for kind, baseline in (("report", "baseline-report"), ("aggregate", "baseline-aggregate")):
        runs = measure(kind)
        base = statistics.median(run["peak_mib"] for run in measure(baseline))
        seconds = [run["seconds"] for run in runs]
        peak = statistics.median(run["peak_mib"] for run in runs)
        print(
            f"{kind}: {statistics.median(seconds):.3f} s median ({min(seconds):.3f} to {max(seconds):.3f}), "
            f"peak RSS {peak:.1f} MiB ({peak - base:+.1f} MiB over the {base:.1f} MiB baseline)"
        )


if __name__ == "__main__":
    main()
