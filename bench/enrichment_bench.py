"""Enrich 100,000 referring domains on the local runtime and count what it costs.

Stores a synthetic lookup of N referring domains (a pull stops at 10,000, so the bench writes them
directly), starts an enrichment over HTTP, waits for its job and reports wall time, DataForSEO
calls and DynamoDB requests. Then runs the enrichment again: within 30 days it must make no
DataForSEO call. Usage: python bench/enrichment_bench.py [--domains 100000]
"""

import argparse
import math
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "functions"), str(ROOT)]
# Powertools reads these when the service modules are imported, before the runtime starts.
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "backlinks")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Backlinks")
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")

from backlinks.dal.clients import dynamodb_requests  # noqa: E402
from backlinks.dal.store import Store  # noqa: E402
from backlinks.models.records import ReferringDomain, Scope, Summary  # noqa: E402
from infra.local.runtime import LocalRuntime  # noqa: E402

TEAM = "local"
TARGET = "bench-example.com"


def store_lookup(store: Store, count: int) -> None:
    now = datetime.now(UTC)
    generation = "bench-generation"
    records = (
        ReferringDomain(domain=f"ref{index:07d}.example-bench.com", rank=index % 1000)
        for index in range(count)
    )
    store.put_referring_domains(Scope.lookup(TEAM, TARGET), generation, records, now + timedelta(days=1))
    store.claim_lookup_pull(TEAM, TARGET, generation, now, timedelta(hours=1))
    store.switch_generation(
        TEAM,
        TARGET,
        job_id=generation,
        summary=Summary(target=TARGET, fetched_at=now),
        stored_referring_domains=count,
        vendor_total_count=count,
        expires_at=now + timedelta(days=1),
    )


def enrich(api: httpx.Client) -> tuple[dict, float]:
    started = time.perf_counter()
    response = api.post(f"/v1/backlinks/by-domain/{TARGET}/enrich-spam-scores")
    if response.status_code != 202:
        raise SystemExit(f"enrichment was not accepted: {response.status_code} {response.text}")
    job_id = response.json()["job"]["job_id"]
    while True:
        response = api.get(f"/v1/jobs/{job_id}")
        if response.status_code != 200:
            raise SystemExit(f"job status failed: {response.status_code} {response.text}")
        job = response.json()
        if job["state"] in ("done", "failed"):
            return job, time.perf_counter() - started
        time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=100_000, help="referring domains to enrich")
    args = parser.parse_args()

    with LocalRuntime(log_level="ERROR") as runtime, httpx.Client(
        base_url=runtime.url, timeout=900, headers={"Authorization": f"Bearer {runtime.token}"}
    ) as api:
        store = Store(runtime.env["TABLE_NAME"])
        print(f"storing {args.domains} referring domains ...", flush=True)
        store_lookup(store, args.domains)

        for run in ("first run", "second run"):
            runtime.emulator.reset_counts()
            dynamodb_requests.reset()
            job, seconds = enrich(api)
            calls = runtime.emulator.call_counts().get("bulk_spam_score", 0)
            writes = dynamodb_requests.counts["BatchWriteItem"]
            reads = dynamodb_requests.counts["BatchGetItem"]
            stale = job["result"].get("domains_stale", 0)
            print(
                f"{run}: job {job['state']}, {seconds:.1f} s, {job['result'].get('chunks')} chunks, "
                f"{stale} domains to check, bulk_spam_score calls {calls} (expected {math.ceil(stale / 1000)}), "
                f"BatchWriteItem {writes} ({writes / args.domains:.4f} per domain), BatchGetItem {reads}, "
                f"all DynamoDB requests {sum(dynamodb_requests.counts.values())}",
                flush=True,
            )
            if job["state"] != "done" or calls != math.ceil(stale / 1000):
                raise SystemExit("unexpected result")


if __name__ == "__main__":
    main()
