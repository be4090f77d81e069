"""The main job end to end: Quick-Pull a domain with full analysis and download its disavow file.

Starts the local runtime (or uses a running API with --api-url), pulls the domain, shows progress
while spam enrichment runs, prints the summary and the toxic referring domains, then saves
disavow.txt and a CSV through their presigned URLs. With DFS_LOGIN and DFS_PASSWORD set, the pull
calls the real DataForSEO API (DFS_USE_SANDBOX=1 for its sandbox host).
"""

import argparse
import os
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx

POLL_SECONDS = 1.0
TIMEOUT_SECONDS = 600


def fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(1)


def check(response: httpx.Response, expected: tuple[int, ...]) -> dict:
    if response.status_code not in expected:
        fail(
            f"{response.request.method} {response.request.url.path} answered {response.status_code}: {response.text}"
        )
    return response.json()


def wait_for_job(api: httpx.Client, job_id: str) -> dict:
    deadline = time.monotonic() + TIMEOUT_SECONDS
    last_line = ""
    while time.monotonic() < deadline:
        job = check(api.get(f"/v1/jobs/{job_id}"), (200,))
        progress = job["progress"]
        stage = (
            "pulling referring domains" if progress["done"] == 0 else "scoring spam (chunks of 1000 domains)"
        )
        line = f"  job {job['state']:<8} {stage}: {progress['done']}/{progress['total']} steps"
        if line != last_line:
            print(line, flush=True)
            last_line = line
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(POLL_SECONDS)
    fail(f"job {job_id} did not finish within {TIMEOUT_SECONDS} s")


def download(url: str, path: Path) -> int:
    with httpx.Client(timeout=60, follow_redirects=True) as client:
        response = client.get(url)
    if response.status_code != 200:
        fail(f"download of {path.name} answered {response.status_code}")
    path.write_bytes(response.content)
    return len(response.content)


def validate_disavow(path: Path) -> tuple[int, int]:
    """Check the saved file line by line against Google's format; returns (entries, lines)."""
    content = path.read_bytes()
    if content.startswith(b"\xef\xbb\xbf"):
        fail("disavow.txt starts with a byte order mark")
    lines = content.decode("utf-8").splitlines()
    entries = 0
    for number, line in enumerate(lines, start=1):
        if line.startswith("#") or not line:
            continue
        if not line.startswith("domain:") or " " in line:
            fail(f"disavow.txt line {number} is not a domain: entry: {line!r}")
        entries += 1
    if len(content) > 2_000_000 or len(lines) > 100_000:
        fail("disavow.txt exceeds Google's limits")
    return entries, len(lines)


def path_segment(domain: str) -> str:
    """Return the domain as one URL path segment; a pasted URL is cut to its host first.

    The API normalizes the host itself (case, IDN, www., port). Only the part of a URL after the
    host cannot travel in a path segment, because API Gateway does not route an encoded slash.
    """
    host = urlsplit(domain).netloc if "://" in domain else domain.split("/")[0]
    return quote(host, safe="")


def run(api_url: str, token: str, domain: str, limit: int, threshold: int, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=api_url, timeout=60, headers=headers) as api:
        print(f"Quick-Pull of {domain} ({limit} referring domains, full analysis)", flush=True)
        started = check(
            api.post(
                f"/v1/backlinks/by-domain/{path_segment(domain)}/pull",
                json={"limit": limit, "full_analysis": True},
            ),
            (200, 202),
        )
        job = started["job"]
        if started["fast_path"]:
            print("  fresh data from the last hour: DataForSEO was not called", flush=True)
        job = wait_for_job(api, job["job_id"])
        if job["state"] == "failed":
            fail(f"the pull failed: {job['error']}")
        target = job["target"]

        summary = check(api.get(f"/v1/backlinks/by-domain/{target}"), (200,))
        ratio = summary["dofollow_ratio"]
        print(f"\nSummary of {target} (data fetched {summary['fetched_at']})")
        print(f"  rank               {summary['rank']}")
        print(f"  backlinks          {summary['backlinks']}")
        print(
            f"  referring domains  {summary['referring_domains']} (stored: {summary['stored_referring_domains']})"
        )
        print(f"  dofollow ratio     {'n/a' if ratio is None else f'{ratio:.1%}'}")
        print(f"  spam score         {summary['spam_score']}")

        scores = check(
            api.get(
                f"/v1/backlinks/by-domain/{target}/spam-scores", params={"min_spam": threshold, "limit": 1000}
            ),
            (200,),
        )
        toxic = scores["items"]
        print(
            f"\nToxic referring domains (spam score >= {threshold}): {len(toxic)}"
            f"{'+' if scores['next_cursor'] else ''} of {scores['referring_domains']};"
            f" scored {scores['scored']}, unknown {scores['unknown']}, unscored {scores['unscored']}"
        )
        for item in toxic[:15]:
            print(
                f"  {item['spam_score']:>3}  {item['domain']:<40} rank {item['rank']:>4}  backlinks {item['backlinks']}"
            )
        if len(toxic) > 15:
            print(f"  ... and {len(toxic) - 15} more")

        for fmt, name in (("txt", "disavow.txt"), ("csv", "toxic-domains.csv")):
            export = api.get(
                f"/v1/backlinks/by-domain/{target}/disavow-export",
                params={"threshold": threshold, "format": fmt},
                headers={"Accept": "application/json"},
            )
            if export.status_code == 409:
                print(f"\n{name}: {export.json()['message']}")
                continue
            export = check(export, (200,))
            size = download(export["url"], out / name)
            print(
                f"\nSaved {out / name}: {export['entries']} entries, {size} bytes (link valid until {export['expires_at']})"
            )
        if (out / "disavow.txt").exists():
            entries, lines = validate_disavow(out / "disavow.txt")
            print(
                f"disavow.txt checked: {entries} domain: entries in {lines} lines, UTF-8, within Google's limits"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--domain", default="example.com", help="domain to analyze (Unicode and URLs are accepted)"
    )
    parser.add_argument("--limit", type=int, default=1000, help="referring domains to pull, 1-10000")
    parser.add_argument(
        "--threshold", type=int, default=80, help="spam score from which a domain is toxic, 0-100"
    )
    parser.add_argument("--out", default="demo-output", help="folder for disavow.txt and the CSV")
    parser.add_argument(
        "--api-url",
        help="use an API that is already running instead of starting the local runtime "
        "(its token in BACKLINKS_API_TOKEN)",
    )
    args = parser.parse_args()

    if args.api_url:
        token = os.environ.get("BACKLINKS_API_TOKEN")
        if not token:
            fail("set BACKLINKS_API_TOKEN to an API token of the running API (make local prints one)")
        run(args.api_url, token, args.domain, args.limit, args.threshold, Path(args.out))
        return

    from infra.local.runtime import LocalRuntime

    real = bool(os.environ.get("DFS_LOGIN") and os.environ.get("DFS_PASSWORD"))
    print(
        "Starting the local runtime (moto on 127.0.0.1, "
        + ("real DataForSEO API" if real else "DataForSEO emulator")
        + ")"
    )
    with LocalRuntime(use_real_dataforseo=real, log_level="WARNING") as runtime:
        print(f"API at {runtime.url}\n", flush=True)
        run(runtime.url, runtime.token, args.domain, args.limit, args.threshold, Path(args.out))


if __name__ == "__main__":
    main()
