"""Run the DataForSEO emulator in the foreground: ``python -m infra.local.emulator --port 8765``."""

import argparse
import logging

from infra.local.emulator.server import ALLOWED_HOSTS, DataForSEOEmulator


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m infra.local.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", choices=ALLOWED_HOSTS, help="address to bind to")
    parser.add_argument("--port", type=int, default=8765, help="TCP port; 0 picks a free port (default 8765)")
    parser.add_argument("--latency-ms", type=int, default=0, help="delay added to every API call, in ms")
    parser.add_argument("--day", type=int, default=0, help="emulated day: days after 2026-11-01 (default 0)")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    emulator = DataForSEOEmulator(args.host, args.port, latency_ms=args.latency_ms, day=args.day)
    emulator.start()
    print(f"DataForSEO emulator listening on {emulator.url} (Ctrl-C stops it)", flush=True)
    try:
        emulator.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()


if __name__ == "__main__":
    main()
