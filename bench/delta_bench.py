"""Measure the delta diff of a pull of 20,000 changes against a profile of 1,000,000 stored links.

Usage, from the repository root: .venv/bin/python bench/delta_bench.py [--repeat N]

The diff is `logic/delta_diff.diff_links`, called as the delta worker (`logic/delta.run_delta`)
calls it: live rows and lost rows as (StoredLink, vendor time) pairs, and a mapping of the stored
links by link id. Two shapes of that mapping are measured:

- "worker": only the stored links whose ids occur in the pull, which is what the worker reads with
  `ProjectStore.get_links` (BatchGetItem), so its memory does not grow with the profile;
- "full": all 1,000,000 stored links of the profile in one dict, the upper bound for a worker that
  would load the whole profile.

Each measurement runs in a fresh Python subprocess. A child builds the inputs, then runs the diff
and reports the wall time of the `diff_links` call alone (time.perf_counter) and the peak RSS of
the whole child (resource.getrusage(RUSAGE_SELF).ru_maxrss, KiB on Linux). A baseline child of the
same shape only builds the inputs, so the difference is what the diff adds. The tracemalloc peak of
the diff call comes from a separate child, because tracemalloc slows the code it traces.

The profile and the pull are generated deterministically from the link index. The pull mixes
gained links (new and regained), lost links and attribute changes of dofollow or anchor. Some
changes are on pages with several links to the target, which the diff counts as uncertain. Rows
that repeat the stored state are what the two-day overlap of the worker's filters returns.
"""

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPOSITORY / "functions"), str(REPOSITORY)]

from backlinks.logic.delta_diff import diff_links, link_id  # noqa: E402
from backlinks.models.projects import StoredLink  # noqa: E402

PROFILE_LINKS = 1_000_000
TARGET = "example-shop.com"
# Every 20th stored link was lost before the last pull, so the profile contains inactive links too.
INACTIVE_EVERY = 20
LAST_PULL = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)

# The 20,000 rows of the pull, by kind. Stored links are picked at a stride, so the changes spread
# over the whole profile.
GAINED_NEW = 6_000  # link ids the profile does not contain
REGAINED = 500  # stored inactive links seen again after their loss
ATTRIBUTE_CHANGED = 3_500  # stored active links re-indexed with another dofollow or anchor
UNCHANGED = 2_000  # stored active links re-reported as they are (overlap window)
LOST = 7_500  # stored active links lost
LOST_AGAIN = 300  # stored inactive links reported lost again (overlap window)
LOST_UNKNOWN = 200  # lost rows of links the profile does not contain
PULL_ROWS = GAINED_NEW + REGAINED + ATTRIBUTE_CHANGED + UNCHANGED + LOST + LOST_AGAIN + LOST_UNKNOWN

SHAPES = ("worker", "full")
RUNS = ("baseline", "diff")
ANCHORS = ("example shop", "click here", "https://example-shop.com/", "", "best running shoes", "source")
TLDS = ("com", "net", "org", "de", "co.uk", "info", "xyz", "ru")


def referring_domain(index: int) -> str:
    """Return the referring domain of stored link `index`: about 3 links per domain."""
    number = index // 3
    return f"site{number * 7919 % 1_000_003:x}.{TLDS[number % len(TLDS)]}"


def profile_link(index: int) -> StoredLink:
    """Return stored link `index` of the profile, the same on every call and in every process."""
    domain = referring_domain(index)
    url_from = f"https://{domain}/blog/{2018 + index % 8}/post-{index}-{ANCHORS[index % 5][:8].strip()}"
    url_to = f"https://{TARGET}/products/item-{index % 997}"
    first_seen = datetime(2019, 1, 1, tzinfo=UTC) + timedelta(minutes=index * 2)
    lost_at = LAST_PULL - timedelta(days=1 + index % 300) if index % INACTIVE_EVERY == 0 else None
    return StoredLink(
        link_id=link_id(url_from, url_to),
        url_from=url_from,
        url_to=url_to,
        domain_from=domain,
        anchor=ANCHORS[index % len(ANCHORS)] or None,
        dofollow=index % 4 != 0,
        # One page in ten links to the target several times.
        links_count=1 + (index % 10 == 0) * (index % 3 + 1),
        rank=index * 31 % 1000,
        first_seen=first_seen,
        lost_at=lost_at,
    )


def stored_indexes(count: int, start: int, active: bool) -> list[int]:
    """Return `count` indexes of active or inactive stored links, spread over the profile."""
    stride = PROFILE_LINKS // (count * 2)
    indexes = []
    index = start
    while len(indexes) < count:
        if (index % INACTIVE_EVERY != 0) == active:
            indexes.append(index)
        index = (index + stride) % PROFILE_LINKS
    return indexes


def pull_plan() -> dict[str, list[int]]:
    """Return the stored link indexes behind each kind of pull row, disjoint across kinds."""
    used: set[int] = set()
    plan = {}
    # Distinct offsets (and the "used" check) keep the kinds from picking the same stored link.
    for kind, count, start, active in (
        ("regained", REGAINED, 0, False),
        ("lost_again", LOST_AGAIN, 7, False),
        ("attribute_changed", ATTRIBUTE_CHANGED, 1, True),
        ("unchanged", UNCHANGED, 2, True),
        ("lost", LOST, 3, True),
    ):
        picked = [i for i in stored_indexes(count * 2, start, active) if i not in used][:count]
        if len(picked) != count:
            raise RuntimeError(f"could not pick {count} distinct stored links for {kind}")
        used.update(picked)
        plan[kind] = picked
    return plan


def new_link(number: int) -> StoredLink:
    """Return a link the profile does not contain: its referring page is new."""
    domain = f"newsite{number:x}.{TLDS[number % len(TLDS)]}"
    url_from = f"https://{domain}/articles/{number}"
    url_to = f"https://{TARGET}/"
    return StoredLink(
        link_id=link_id(url_from, url_to),
        url_from=url_from,
        url_to=url_to,
        domain_from=domain,
        anchor=ANCHORS[number % len(ANCHORS)] or None,
        dofollow=number % 3 != 0,
        rank=number % 500,
        first_seen=LAST_PULL + timedelta(minutes=number % 1440),
    )


def as_row(link: StoredLink, **changes: object) -> StoredLink:
    """Return the vendor row of a stored link as `stored_link` builds it: active, with `changes`."""
    return link.model_copy(update={"lost_at": None, **changes})


def build_pull() -> tuple[list[tuple[StoredLink, datetime]], list[tuple[StoredLink, datetime]], list[int]]:
    """Return the live rows, the lost rows and the stored link indexes the pull refers to."""
    plan = pull_plan()
    seen_at = LAST_PULL + timedelta(hours=20)
    live_rows = [(new_link(number), seen_at) for number in range(GAINED_NEW)]
    for index in plan["regained"]:
        live_rows.append((as_row(profile_link(index)), seen_at))
    for position, index in enumerate(plan["attribute_changed"]):
        link = profile_link(index)
        if position % 2:
            row = as_row(link, dofollow=not link.dofollow)
        else:
            row = as_row(link, anchor=f"{link.anchor or 'new anchor'} (edited)")
        live_rows.append((row, seen_at))
    for index in plan["unchanged"]:
        link = profile_link(index)
        live_rows.append((as_row(link), link.first_seen))

    lost_rows = []
    for index in plan["lost"]:
        lost_rows.append((as_row(profile_link(index)), seen_at))
    for index in plan["lost_again"]:
        link = profile_link(index)
        lost_rows.append((as_row(link), link.lost_at))
    for number in range(GAINED_NEW, GAINED_NEW + LOST_UNKNOWN):
        lost_rows.append((new_link(number), seen_at))

    if len(live_rows) + len(lost_rows) != PULL_ROWS:
        raise RuntimeError(f"the pull has {len(live_rows) + len(lost_rows)} rows, expected {PULL_ROWS}")
    referenced = sorted({index for indexes in plan.values() for index in indexes})
    return live_rows, lost_rows, referenced


def build_stored(shape: str, referenced: list[int]) -> dict[str, StoredLink]:
    """Return the `stored` mapping of one shape, keyed by link id."""
    indexes = range(PROFILE_LINKS) if shape == "full" else referenced
    stored = {}
    for index in indexes:
        link = profile_link(index)
        stored[link.link_id] = link
    return stored


def run_child(shape: str, run: str, trace: bool) -> dict[str, object]:
    """Build the inputs of one shape in this process, run the diff unless this is the baseline."""
    started = time.perf_counter()
    live_rows, lost_rows, referenced = build_pull()
    stored = build_stored(shape, referenced)
    build_seconds = time.perf_counter() - started

    figures: dict[str, object] = {
        "shape": shape,
        "run": run,
        "stored_links": len(stored),
        "live_rows": len(live_rows),
        "lost_rows": len(lost_rows),
        "build_seconds": build_seconds,
    }
    if run == "diff":
        if trace:
            tracemalloc.start()
        started = time.perf_counter()
        result = diff_links(stored, live_rows, lost_rows)
        figures["seconds"] = time.perf_counter() - started
        if trace:
            figures["tracemalloc_peak_bytes"] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        figures["events"] = dict(Counter(event.type.value for event in result.events))
        figures["links_to_store"] = len(result.links_to_store)
        figures["uncertain_changes"] = result.uncertain_changes
        figures["unknown_lost"] = result.unknown_lost
    figures["max_rss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return figures


def measure(shape: str, run: str, trace: bool = False) -> dict[str, object]:
    command = [sys.executable, __file__, "--child", shape, run]
    if trace:
        command.append("--trace")
    completed = subprocess.run(command, capture_output=True, text=True, cwd=REPOSITORY)
    if completed.returncode != 0:
        raise SystemExit(
            f"the {shape} {run} measurement failed with exit code {completed.returncode}:\n{completed.stderr}"
        )
    return json.loads(completed.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeat", type=int, default=3, help="timed runs per measurement, each in a new process"
    )
    parser.add_argument("--child", nargs=2, metavar=("SHAPE", "RUN"), help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()

    if arguments.child:
        shape, run = arguments.child
        if shape not in SHAPES or run not in RUNS:
            parser.error(f"invalid child {shape} {run}: expected one of {SHAPES} and one of {RUNS}")
        print(json.dumps(run_child(shape, run, arguments.trace)))
        return

    if arguments.repeat < 1:
        parser.error("--repeat must be at least 1")

    print(
        f"profile of {PROFILE_LINKS:,} stored links, pull of {PULL_ROWS:,} rows,"
        f" {arguments.repeat} runs per measurement, each in a fresh subprocess"
    )
    for shape in SHAPES:
        baselines = [measure(shape, "baseline") for _ in range(arguments.repeat)]
        runs = [measure(shape, "diff") for _ in range(arguments.repeat)]
        traced = measure(shape, "diff", trace=True)
        baseline_rss = max(int(run["max_rss_kib"]) for run in baselines)
        peak_rss = max(int(run["max_rss_kib"]) for run in runs)
        seconds = sorted(float(run["seconds"]) for run in runs)
        build = sorted(float(run["build_seconds"]) for run in baselines)
        first = runs[0]

        print(
            f"{shape}: stored mapping of {first['stored_links']:,} links,"
            f" {first['live_rows']:,} live rows, {first['lost_rows']:,} lost rows"
        )
        print(f"  input build (baseline children): median {statistics.median(build):.2f} s")
        print(
            f"  diff wall time: median {statistics.median(seconds):.3f} s"
            f" (min {seconds[0]:.3f} s, max {seconds[-1]:.3f} s)"
        )
        print(f"  baseline peak RSS: {baseline_rss / 1024:.1f} MiB")
        print(
            f"  diff peak RSS: {peak_rss / 1024:.1f} MiB ({(peak_rss - baseline_rss) / 1024:+.1f} MiB over baseline)"
        )
        print(
            f"  tracemalloc peak of the diff call: {int(traced['tracemalloc_peak_bytes']) / 1_000_000:.1f} MB"
        )
        print(
            f"  events: {first['events']}, links to store: {first['links_to_store']:,},"
            f" uncertain changes: {first['uncertain_changes']:,}, unknown lost: {first['unknown_lost']:,}"
        )


if __name__ == "__main__":
    main()
