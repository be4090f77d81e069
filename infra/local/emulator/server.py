"""An HTTP emulator of the DataForSEO Backlinks API for local runs and tests, bound to 127.0.0.1 only.

It serves ``POST /v3/backlinks/<function>/live`` for the functions in ``endpoints.ENDPOINTS`` with the
vendor's response envelope, status codes and limits, and control routes under ``/_emulator/`` that let
tests and other processes inject faults, read call counts and move the emulated day.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import logging
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from infra.local.emulator import endpoints

logger = logging.getLogger(__name__)

ALLOWED_HOSTS = ("127.0.0.1", "localhost")
API_VERSION = "0.1.20261101"
COST_PER_CALL = 0.02
COST_PER_ITEM = 0.00003
"""Derived from the vendor's published examples (0.02 per request plus 0.00003 per returned item)."""

MAX_CONCURRENT_REQUESTS = 30
MAX_CALLS_PER_MINUTE = 2000
DEFAULT_TIMEOUT_FAULT_DELAY = 5.0
FAULT_KINDS = ("status", "http", "timeout", "malformed")

STATUS_MESSAGES = {
    20000: "Ok.",
    40000: "You can set only one task at a time.",
    40100: "You are not authorized to access this resource. Please check your login and password.",
    40103: "Task execution failed. Please resubmit the task.",
    40200: "Payment Required.",
    40201: "Your account has been temporarily blocked. Please contact support.",
    40202: "Rate-limit per minute exceeded.",
    40203: "Cost limit exceeded.",
    40204: (
        "Access denied. Visit Plans and Subscriptions to activate your subscription and get access to this "
        "API: https://app.dataforseo.com/backlinks-subscription"
    ),
    40207: "Access denied. Your IP is not whitelisted.",
    40400: "Not Found.",
    40501: "Invalid Field.",
    40502: "POST Data Is Empty.",
    40503: "POST Data Is Invalid.",
    50000: "Internal Error.",
    50301: "Third-party service unavailable.",
    50401: "Internal Error - Timeout.",
}
_HTTP_ENVELOPE_CODES = {401: 40100, 402: 40200, 404: 40400, 500: 50000, 502: 50000, 503: 50301}
_ENVELOPE_LEVEL_STATUS_FAULTS = {40000, 40100, 40200, 40202, 40502, 40503}
"""Codes the emulator reports in the envelope with ``tasks: null``; other codes go into the task."""


@dataclass
class Fault:
    endpoint: str
    kind: str
    code: int | None
    remaining: int
    delay: float


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    emulator: DataForSEOEmulator

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out closes its socket before a "timeout" fault responds, which is expected.
        logger.debug("emulator connection closed by client", extra={"client": client_address}, exc_info=True)


class DataForSEOEmulator:
    """The emulator process: start it, point a client at ``url``, stop it.

    ``max_concurrent_requests`` and ``max_calls_per_minute`` default to the vendor's limits; tests may
    lower them to reach 40202 quickly.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        latency_ms: int = 0,
        day: int = 0,
        max_concurrent_requests: int = MAX_CONCURRENT_REQUESTS,
        max_calls_per_minute: int = MAX_CALLS_PER_MINUTE,
    ) -> None:
        if host not in ALLOWED_HOSTS:
            raise ValueError(f"invalid host {host!r}: the emulator binds only to 127.0.0.1 or localhost")
        if day < 0:
            raise ValueError(f"invalid day {day}: the emulated day must be 0 or later")
        self._port = port
        self.latency_ms = latency_ms
        self._day = day
        self.max_concurrent_requests = max_concurrent_requests
        self.max_calls_per_minute = max_calls_per_minute
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._counts: Counter[str] = Counter()
        self._active = 0
        self._recent_calls: deque[float] = deque()
        self._task_ids = itertools.count(1)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -----------------------------------------------------------------------------------

    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        server = _Server(("127.0.0.1", self._port), _Handler)
        server.emulator = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="dfs-emulator", daemon=True)
        self._thread.start()
        logger.info("emulator started", extra={"url": self.url})

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None
        logger.info("emulator stopped")

    def serve_forever(self) -> None:
        """Run in the foreground until interrupted (used by ``python -m infra.local.emulator``)."""
        if self._server is None:
            self.start()
        try:
            while self._thread is not None and self._thread.is_alive():
                self._thread.join(timeout=0.5)
        finally:
            self.stop()

    def __enter__(self) -> DataForSEOEmulator:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # --- controls ------------------------------------------------------------------------------------

    def inject_fault(
        self,
        *,
        endpoint: str = "*",
        kind: str = "status",
        code: int | None = None,
        count: int = 1,
        delay: float = DEFAULT_TIMEOUT_FAULT_DELAY,
    ) -> None:
        """Make the next ``count`` calls to ``endpoint`` ("*" for any) fail.

        kind "status" returns the vendor status ``code`` (default 50000) in an HTTP 200 body: 40202 and
        the other envelope-level codes come with ``tasks: null``, the rest inside the task. "http" returns
        the HTTP status ``code`` (default 500). "timeout" waits ``delay`` seconds before responding.
        "malformed" returns a body that is not valid JSON.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"invalid fault kind {kind!r}: expected one of {', '.join(FAULT_KINDS)}")
        if endpoint != "*" and endpoint not in endpoints.ENDPOINTS:
            raise ValueError(
                f"invalid endpoint {endpoint!r}: expected '*' or one of {sorted(endpoints.ENDPOINTS)}"
            )
        if count < 1:
            raise ValueError(f"invalid count {count}: must be 1 or more")
        if code is None and kind == "http":
            code = 500
        elif code is None and kind == "status":
            code = 50000
        with self._lock:
            self._faults.append(Fault(endpoint, kind, code, count, delay))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def call_counts(self) -> dict[str, int]:
        with self._lock:
            counts = dict(self._counts)
        counts.setdefault("total", 0)
        return counts

    def reset_counts(self) -> None:
        with self._lock:
            self._counts.clear()
            self._recent_calls.clear()

    def set_day(self, day: int) -> None:
        if isinstance(day, bool) or not isinstance(day, int) or day < 0:
            raise ValueError(f"invalid day {day!r}: the emulated day must be an integer of 0 or later")
        with self._lock:
            self._day = day

    @property
    def day(self) -> int:
        return self._day

    # --- request processing (called by the handler) -----------------------------------------------

    def _take_fault(self, function: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.endpoint in ("*", function):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _admit(self, function: str) -> bool:
        """Count the call and apply the concurrency and per-minute limits; False means reject with 40202."""
        now = time.monotonic()
        with self._lock:
            self._counts[function] += 1
            self._counts["total"] += 1
            while self._recent_calls and now - self._recent_calls[0] > 60:
                self._recent_calls.popleft()
            if self._active >= self.max_concurrent_requests:
                return False
            if len(self._recent_calls) >= self.max_calls_per_minute:
                return False
            self._recent_calls.append(now)
            self._active += 1
            return True

    def _release(self) -> None:
        with self._lock:
            self._active -= 1

    def next_task_id(self) -> str:
        number = next(self._task_ids)
        return f"11011200-1535-0265-0000-{number:012x}"


def envelope(
    code: int,
    *,
    tasks: list[dict[str, Any]] | None,
    started: float,
    message: str | None = None,
) -> dict[str, Any]:
    """Build the vendor's top-level response object."""
    cost = round(sum(task["cost"] for task in tasks or []), 5)
    return {
        "version": API_VERSION,
        "status_code": code,
        "status_message": message or STATUS_MESSAGES.get(code, "Error."),
        "time": f"{time.monotonic() - started:.4f} sec.",
        "cost": cost,
        "tasks_count": len(tasks or []),
        "tasks_error": sum(1 for task in tasks or [] if task["status_code"] != 20000),
        "tasks": tasks,
    }


def task_object(
    emulator: DataForSEOEmulator,
    function: str,
    task: dict[str, Any],
    *,
    code: int,
    message: str,
    result: list[dict[str, Any]] | None,
    items: int,
    started: float,
) -> dict[str, Any]:
    cost = round(COST_PER_CALL + COST_PER_ITEM * items, 5) if code == 20000 else 0
    return {
        "id": emulator.next_task_id(),
        "status_code": code,
        "status_message": message,
        "time": f"{time.monotonic() - started:.4f} sec.",
        "cost": cost,
        "result_count": len(result or []),
        "path": ["v3", "backlinks", function, "live"],
        "data": {"api": "backlinks", "function": function, **task},
        "result": result,
    }


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes; Nagle would delay the second
    server_version = "DataForSEOEmulator/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class names it so
        logger.debug("emulator request", extra={"line": format % args})

    # --- responses ----------------------------------------------------------------------------------

    def _send_json(self, status: int, body: Any) -> None:
        self._send_raw(status, json.dumps(body).encode())

    def _send_raw(self, status: int, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    # --- routing ------------------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._read_body()
        emulator = self.server.emulator
        if self.path == "/_emulator/calls":
            self._send_json(200, emulator.call_counts())
        elif self.path == "/_emulator/day":
            self._send_json(200, {"day": emulator.day})
        else:
            self._send_json(404, {"error": f"not found: GET {self.path}"})

    def do_DELETE(self) -> None:
        self._read_body()
        if self.path == "/_emulator/faults":
            self.server.emulator.clear_faults()
            self._send_json(200, {"faults": 0})
        else:
            self._send_json(404, {"error": f"not found: DELETE {self.path}"})

    def do_POST(self) -> None:
        body = self._read_body()
        if self.path.startswith("/_emulator/"):
            self._control(body)
            return
        parts = self.path.split("?", 1)[0].strip("/").split("/")
        if len(parts) != 4 or parts[:2] != ["v3", "backlinks"] or parts[3] != "live":
            self._send_json(404, envelope(40400, tasks=None, started=time.monotonic()))
            return
        function = parts[2]
        if function not in endpoints.ENDPOINTS:
            self._send_json(404, envelope(40400, tasks=None, started=time.monotonic()))
            return
        self._api_call(function, body)

    def _control(self, body: bytes) -> None:
        emulator = self.server.emulator
        try:
            payload = json.loads(body) if body else {}
            if not isinstance(payload, dict):
                raise ValueError("the request body must be a JSON object")
            if self.path == "/_emulator/faults":
                emulator.inject_fault(**payload)
                self._send_json(200, {"ok": True})
            elif self.path == "/_emulator/calls/reset":
                emulator.reset_counts()
                self._send_json(200, {"ok": True})
            elif self.path == "/_emulator/day":
                emulator.set_day(payload.get("day"))
                self._send_json(200, {"day": emulator.day})
            else:
                self._send_json(404, {"error": f"not found: POST {self.path}"})
        except (TypeError, ValueError) as error:
            self._send_json(400, {"error": str(error)})

    # --- the API call -------------------------------------------------------------------------------

    def _authorized(self) -> bool:
        header = self.headers.get("Authorization", "")
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() != "basic" or not credentials:
            return False
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        login, separator, _ = decoded.partition(":")
        return bool(separator and login)

    def _api_call(self, function: str, body: bytes) -> None:
        emulator = self.server.emulator
        started = time.monotonic()
        if not emulator._admit(function):
            self._send_json(200, envelope(40202, tasks=None, started=started))
            return
        try:
            if not self._authorized():
                self._send_json(401, envelope(40100, tasks=None, started=started))
                return
            fault = emulator._take_fault(function)
            if emulator.latency_ms:
                time.sleep(emulator.latency_ms / 1000)
            if fault is not None and fault.kind == "timeout":
                time.sleep(fault.delay)
            elif fault is not None:
                self._send_fault(fault, function, started)
                return
            self._send_json(200, self._run(function, body, started))
        finally:
            emulator._release()

    def _send_fault(self, fault: Fault, function: str, started: float) -> None:
        if fault.kind == "malformed":
            self._send_raw(200, b'{"version": "' + API_VERSION.encode() + b'", "status_code": 200')
            return
        if fault.kind == "http":
            code = fault.code or 500
            body = envelope(_HTTP_ENVELOPE_CODES.get(code, 50000), tasks=None, started=started)
            self._send_json(code, body)
            return
        code = fault.code or 50000
        if code in _ENVELOPE_LEVEL_STATUS_FAULTS:
            self._send_json(200, envelope(code, tasks=None, started=started))
            return
        task = task_object(
            self.server.emulator,
            function,
            {},
            code=code,
            message=STATUS_MESSAGES.get(code, "Error."),
            result=None,
            items=0,
            started=started,
        )
        self._send_json(200, envelope(20000, tasks=[task], started=started))

    def _run(self, function: str, body: bytes, started: float) -> dict[str, Any]:
        try:
            posted = json.loads(body) if body else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            return envelope(40503, tasks=None, started=started)
        if posted is None or posted == []:
            return envelope(40502, tasks=None, started=started)
        if not isinstance(posted, list) or not all(isinstance(task, dict) for task in posted):
            return envelope(
                40503, tasks=None, started=started, message="POST Data Is Invalid: expected [ {task} ]."
            )
        if len(posted) > 1:
            return envelope(40000, tasks=None, started=started)
        task = posted[0]
        emulator = self.server.emulator
        try:
            result, items = endpoints.run_task(function, task, emulator.day)
        except endpoints.TaskError as error:
            failed = task_object(
                emulator,
                function,
                task,
                code=error.code,
                message=error.message,
                result=None,
                items=0,
                started=started,
            )
            return envelope(20000, tasks=[failed], started=started)
        done = task_object(
            emulator, function, task, code=20000, message="Ok.", result=result, items=items, started=started
        )
        return envelope(20000, tasks=[done], started=started)


__all__ = ["DataForSEOEmulator", "Fault"]
