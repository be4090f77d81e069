"""Run the local runtime in the foreground: python -m infra.local --port 8000. Ctrl-C stops it."""

import argparse
import os
import signal
import threading

from backlinks.settings import Settings
from infra.local.runtime import LocalRuntime


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the backlinks API and its workers on 127.0.0.1.")
    parser.add_argument(
        "--port", type=int, default=8000, help="port of the API on 127.0.0.1 (0 picks a free one)"
    )
    parser.add_argument(
        "--latency-ms", type=int, default=0, help="delay the DataForSEO emulator adds to each call"
    )
    parser.add_argument(
        "--log-level", default="INFO", help="log level of the handlers (DEBUG, INFO, WARNING)"
    )
    args = parser.parse_args()

    real = bool(os.environ.get("DFS_LOGIN") and os.environ.get("DFS_PASSWORD"))
    runtime = LocalRuntime(
        port=args.port,
        use_real_dataforseo=real,
        emulator_latency_ms=args.latency_ms,
        log_level=args.log_level,
    )
    runtime.start()
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    provider = (
        f"DataForSEO at {Settings.from_env(dict(os.environ, **runtime.env)).dfs_base_url}"
        if real
        else (f"DataForSEO emulator at {runtime.emulator.url}")
    )
    print(f"API listening on {runtime.url}  (OpenAPI: {runtime.url}/v1/openapi.json)", flush=True)
    print(f"AWS services (moto) at {runtime.aws_endpoint_url}; {provider}", flush=True)
    print(
        f"Team {runtime.default_team_id!r} (tier {runtime.default_tier}); send this header with every request:\n"
        f"  Authorization: Bearer {runtime.token}",
        flush=True,
    )
    print("Press Ctrl-C to stop.", flush=True)
    try:
        stopped.wait()
    finally:
        runtime.stop()
        print("stopped", flush=True)


if __name__ == "__main__":
    main()
