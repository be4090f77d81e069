"""Count the DataForSEO calls and cost of one Project Mode project over one month.

Usage, from the repository root: .venv/bin/python bench/project_cost_bench.py

The script starts the local runtime (moto server, DataForSEO emulator, HTTP gateway, queue pollers,
all on 127.0.0.1) and drives one project of a 10,000-domain profile over HTTP, as a user and the
schedule would:

1. activate the project for `rd10000.com` (the emulator serves exactly 10,000 live referring
   domains for it) and run one full refresh of up to 10,000 referring domains, which queues the
   spam score enrichment of every stored domain;
2. 30 daily delta pulls: for each day the emulator moves to that day and the daily dispatcher runs
   as its schedule would on that day, which queues one delta pull for the project;
3. one more enrichment request, as a monthly recheck of the spam scores would send it.

Calls are counted twice: by the emulator (HTTP calls per DataForSEO function, retries included)
and by the team's usage ledger (GET /v1/teams/current/usage), which records each response's cost
against its operation. The naive design that re-pulls the whole profile every day is not run: its
cost is computed as 30 times the measured cost of the full refresh's own calls plus one enrichment.
"""

import argparse
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPOSITORY / "functions"), str(REPOSITORY)]

from infra.local.runtime import LocalRuntime  # noqa: E402

TARGET = "rd10000.com"
PROJECT_ID = "cost-bench"
MAX_REFERRING_DOMAINS = 10_000
DAYS = 30
JOB_TIMEOUT_SECONDS = 600


def wait_for_job(api: httpx.Client, job_id: str) -> dict:
    deadline = time.monotonic() + JOB_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        response = api.get(f"/v1/jobs/{job_id}")
        response.raise_for_status()
        job = response.json()
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.5)
    raise SystemExit(f"job {job_id} did not finish within {JOB_TIMEOUT_SECONDS} s: {job}")


def require_done(job: dict) -> dict:
    if job["state"] != "done":
        raise SystemExit(f"job {job['job_id']} ({job['kind']}) failed: {job.get('error')}")
    return job


def ledger_by_operation(api: httpx.Client) -> dict[str, dict[str, float]]:
    """Sum the team's usage ledger of the current month by operation."""
    response = api.get("/v1/teams/current/usage")
    response.raise_for_status()
    totals: dict[str, dict[str, float]] = {}
    for item in response.json()["items"]:
        entry = totals.setdefault(item["operation"], {"calls": 0, "cost_usd": 0.0, "failed_calls": 0})
        entry["calls"] += item["calls"]
        entry["cost_usd"] += item["cost_usd"]
        entry["failed_calls"] += item["failed_calls"]
    return totals


class Phase:
    """The emulator's call counts and the ledger's totals between two snapshots."""

    def __init__(self, runtime: LocalRuntime, api: httpx.Client) -> None:
        self.runtime, self.api = runtime, api
        self.counts_before = Counter(runtime.emulator.call_counts())
        self.ledger_before = ledger_by_operation(api)
        self.started = time.monotonic()

    def finish(self, name: str) -> dict:
        counts = Counter(self.runtime.emulator.call_counts())
        counts.subtract(self.counts_before)
        ledger = ledger_by_operation(self.api)
        operations = {}
        for operation, values in ledger.items():
            before = self.ledger_before.get(operation, {"calls": 0, "cost_usd": 0.0, "failed_calls": 0})
            calls = values["calls"] - before["calls"]
            if calls:
                operations[operation] = {
                    "calls": calls,
                    "cost_usd": round(values["cost_usd"] - before["cost_usd"], 5),
                    "failed_calls": values["failed_calls"] - before["failed_calls"],
                }
        return {
            "phase": name,
            "seconds": time.monotonic() - self.started,
            "emulator_calls": {function: count for function, count in sorted(counts.items()) if count},
            "ledger": operations,
            "cost_usd": round(sum(values["cost_usd"] for values in operations.values()), 5),
        }


def print_phase(phase: dict) -> None:
    print(f"{phase['phase']}: ${phase['cost_usd']:.5f} in {phase['seconds']:.0f} s")
    print(f"  emulator calls: {phase['emulator_calls']}")
    for operation, values in sorted(phase["ledger"].items()):
        print(
            f"  ledger {operation}: {values['calls']} calls, ${values['cost_usd']:.5f},"
            f" {values['failed_calls']} failed"
        )


def run(runtime: LocalRuntime, api: httpx.Client) -> None:
    runtime.emulator.set_day(0)
    runtime.emulator.reset_counts()
    response = api.post("/v1/backlinks", json={"tracking_project_id": PROJECT_ID, "target": TARGET})
    response.raise_for_status()

    phase = Phase(runtime, api)
    response = api.post(
        f"/v1/backlinks/{PROJECT_ID}/full-refresh", json={"max_referring_domains": MAX_REFERRING_DOMAINS}
    )
    response.raise_for_status()
    estimate = response.json()["estimated_cost_usd"]
    refresh = require_done(wait_for_job(api, response.json()["job"]["job_id"]))
    enrichment = require_done(wait_for_job(api, refresh["result"]["enrichment_job_id"]))
    full_refresh = phase.finish("full refresh with its enrichment")
    print(
        f"full refresh: {refresh['result']['referring_domains_stored']:,} referring domains,"
        f" {refresh['result']['links_stored']:,} links, {refresh['result']['pages']} pages;"
        f" estimate shown to the user ${estimate:.5f}"
    )
    print(
        f"enrichment: {enrichment['result'].get('domains_to_score')} domains,"
        f" {enrichment['result'].get('domains_stale')} stale, {enrichment['result'].get('chunks')} chunks"
    )
    print_phase(full_refresh)

    phase = Phase(runtime, api)
    rows, events = Counter(), Counter()
    start = datetime.now(UTC)
    for day in range(1, DAYS + 1):
        runtime.emulator.set_day(day)
        dispatched = runtime.run_dispatcher(start + timedelta(days=day))
        if len(dispatched["job_ids"]) != 1:
            raise SystemExit(f"day {day}: the dispatcher queued {dispatched['job_ids']}, expected one job")
        job = require_done(wait_for_job(api, dispatched["job_ids"][0]))
        result = job["result"]
        rows.update({"first_seen": result["rows_first_seen"], "lost": result["rows_lost"]})
        events.update({name: result[name] for name in ("gained", "lost", "attribute_changed")})
        events.update(
            {"uncertain_changes": result["uncertain_changes"], "unknown_lost": result["unknown_lost"]}
        )
    deltas = phase.finish(f"{DAYS} daily delta pulls")
    print(f"delta rows read: {dict(rows)}; events: {dict(events)}")
    print_phase(deltas)

    phase = Phase(runtime, api)
    response = api.post(f"/v1/backlinks/{PROJECT_ID}/spam-scores/refresh")
    response.raise_for_status()
    recheck = require_done(wait_for_job(api, response.json()["job"]["job_id"]))
    repeated = phase.finish("enrichment requested again on the last day")
    print(
        f"repeated enrichment: {recheck['result'].get('domains_to_score')} domains,"
        f" {recheck['result'].get('domains_stale')} stale"
    )
    print_phase(repeated)

    refresh_only = full_refresh["ledger"].get("full_refresh", {"calls": 0, "cost_usd": 0.0})
    enrichment_cost = full_refresh["ledger"].get("spam_enrichment", {"cost_usd": 0.0})["cost_usd"]
    project_month = full_refresh["cost_usd"] + deltas["cost_usd"]
    naive_month = DAYS * refresh_only["cost_usd"] + enrichment_cost
    print()
    print(
        f"full refresh calls alone (operation full_refresh): {refresh_only['calls']}, ${refresh_only['cost_usd']:.5f}"
    )
    print(f"one enrichment (operation spam_enrichment): ${enrichment_cost:.5f}")
    print(f"delta pulls: ${deltas['cost_usd']:.5f} for {DAYS} days, ${deltas['cost_usd'] / DAYS:.5f} a day")
    print(f"project month (full refresh + enrichment + {DAYS} deltas, measured): ${project_month:.5f}")
    print(f"naive month ({DAYS} x full refresh + one enrichment, computed): ${naive_month:.5f}")
    print(f"ratio naive / project: {naive_month / project_month:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    with LocalRuntime(log_level="WARNING") as runtime:
        headers = {"Authorization": f"Bearer {runtime.token}"}
        with httpx.Client(base_url=runtime.url, timeout=60, headers=headers) as api:
            run(runtime, api)


if __name__ == "__main__":
    main()
