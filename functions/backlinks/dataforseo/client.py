"""HTTP client of the DataForSEO Backlinks API (v3 live endpoints).

Each call posts one task, ``[ {task} ]``, to ``{base_url}/v3/backlinks/<function>/live`` with HTTP Basic
auth. A call succeeds only when the HTTP status is 200, the envelope's ``status_code`` is 20000 and every
task's ``status_code`` is 20000: DataForSEO reports most failures inside an HTTP 200 body. Rate limits,
server errors and transport failures are retried with full-jitter exponential backoff; account,
subscription and request errors are raised at once. Every attempt that returns a parsable envelope is
reported to ``on_call`` with its cost, including failed ones.
"""

from __future__ import annotations

import base64
import copy
import json
import logging
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from backlinks.dataforseo.errors import (
    DataForSEOError,
    ServerError,
    TransportError,
    error_for_http_status,
    error_for_status,
)
from backlinks.dataforseo.models import (
    AnchorsPage,
    BacklinksPage,
    ReferringDomain,
    ReferringDomainsCollection,
    ReferringDomainsPage,
    SpamScoreResult,
    Summary,
    TimeseriesNewLostSummary,
)

logger = logging.getLogger(__name__)

USER_AGENT = "backlinks-service/0.1 (DataForSEO client)"
OK_STATUS_CODE = 20000
MAX_PAGE_SIZE = 1000
MAX_BULK_TARGETS = 1000
MAX_REFERRING_DOMAINS = 10_000
MAX_BACKLINKS_OFFSET = 20_000
"""backlinks/live accepts offsets up to 20,000; deeper pages need ``search_after_token``."""
TIMESERIES_GROUP_RANGES = ("day", "week", "month", "year")
TIMESERIES_MIN_DATE = date(2019, 1, 30)
"""The earliest date_from that the timeseries endpoints accept."""

ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass(frozen=True)
class CallContext:
    """The team, project and operation behind a call, so that its cost can be recorded against them."""

    team_id: str
    operation: str
    target: str | None = None
    job_id: str | None = None
    project_id: str | None = None


@dataclass(frozen=True)
class CallRecord:
    """One HTTP attempt that returned a parsable envelope, successful or not."""

    context: CallContext
    endpoint: str
    cost: float
    """The envelope's ``cost`` in USD (0 for most failures)."""
    status_code: int
    """The first task's status code, or the envelope's when ``tasks`` is null or empty."""
    items: int
    duration_ms: int


class DataForSEOClient:
    """Synchronous DataForSEO Backlinks client; use it as a context manager or call ``close()``."""

    def __init__(
        self,
        base_url: str,
        login: str,
        password: str,
        *,
        timeout: float = 60.0,
        max_retries: int = 4,
        backoff_base: float = 0.5,
        backoff_max: float = 20.0,
        on_call: Callable[[CallRecord], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        http_client: httpx.Client | None = None,
    ) -> None:
        if not login or not password:
            raise ValueError("DataForSEO login and password are required")
        if max_retries < 0:
            raise ValueError(f"invalid max_retries {max_retries}: must be 0 or more")
        self._base_url = base_url.rstrip("/")
        token = base64.b64encode(f"{login}:{password}".encode()).decode("ascii")
        self._headers = {
            "Authorization": f"Basic {token}",
            "User-Agent": USER_AGENT,
            "Content-Type": "application/json",
        }
        self._secrets = (login, password, token)
        self._timeout = timeout
        self._max_retries = max_retries
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        self._on_call = on_call
        self._sleep = sleep
        self._random = random.Random()
        self._owns_http = http_client is None
        self._http = http_client if http_client is not None else httpx.Client(timeout=timeout)

    def __repr__(self) -> str:
        return f"DataForSEOClient(base_url={self._base_url!r})"

    def __enter__(self) -> DataForSEOClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP connection pool, unless the caller passed its own ``http_client``."""
        if self._owns_http:
            self._http.close()

    def with_limits(self, *, timeout: float, max_retries: int) -> DataForSEOClient:
        """Return a client with another timeout and retry budget that shares this one's pool and hook.

        The returned client never closes the shared connection pool, so close this client instead.
        """
        if timeout <= 0:
            raise ValueError(f"invalid timeout {timeout}: must be above 0 seconds")
        if max_retries < 0:
            raise ValueError(f"invalid max_retries {max_retries}: must be 0 or more")
        limited = copy.copy(self)
        limited._timeout = timeout
        limited._max_retries = max_retries
        limited._owns_http = False
        return limited

    # --- endpoints -----------------------------------------------------------------------------------

    def summary(self, target: str, *, context: CallContext) -> Summary:
        """Fetch the backlink profile overview of ``target`` (live backlinks)."""
        task = {"target": target, "internal_list_limit": 10, "backlinks_status_type": "live"}
        return self._parse(self._call("summary", task, context), Summary, "summary")

    def referring_domains_page(
        self,
        target: str,
        *,
        limit: int = MAX_PAGE_SIZE,
        offset: int = 0,
        order_by: Sequence[str] = ("rank,desc",),
        filters: list | None = None,
        context: CallContext,
    ) -> ReferringDomainsPage:
        """Fetch one page of ``target``'s live referring domains."""
        _check_page_size("limit", limit)
        if offset < 0:
            raise ValueError(f"invalid offset {offset}: must be 0 or more")
        task: dict[str, Any] = {
            "target": target,
            "limit": limit,
            "offset": offset,
            "order_by": list(order_by),
        }
        if filters:
            task["filters"] = filters
        result = self._call("referring_domains", task, context)
        return self._parse(result, ReferringDomainsPage, "referring_domains")

    def collect_referring_domains(
        self, target: str, *, max_items: int, page_size: int = MAX_PAGE_SIZE, context: CallContext
    ) -> ReferringDomainsCollection:
        """Read up to ``max_items`` referring domains page by page (rank descending), each domain once.

        Pages can overlap when the vendor's data changes between calls, so a domain seen on an earlier
        page is dropped and counted in ``duplicates_dropped``. The result can hold fewer items than the
        vendor's ``total_count``; the caller records that gap.
        """
        if not 1 <= max_items <= MAX_REFERRING_DOMAINS:
            raise ValueError(f"invalid max_items {max_items}: must be between 1 and {MAX_REFERRING_DOMAINS}")
        _check_page_size("page_size", page_size)
        items: list[ReferringDomain] = []
        seen: set[str] = set()
        duplicates = 0
        pages = 0
        total_count = 0
        offset = 0
        while offset < max_items:
            limit = min(page_size, max_items - offset)
            page = self.referring_domains_page(target, limit=limit, offset=offset, context=context)
            pages += 1
            total_count = page.total_count
            for item in page.items:
                key = item.domain.lower()
                if key in seen:
                    duplicates += 1
                    continue
                seen.add(key)
                items.append(item)
            offset += limit
            if len(page.items) < limit or offset >= page.total_count:
                break
        if duplicates:
            logger.info(
                "dataforseo duplicate referring domains dropped",
                extra={"target": target, "duplicates": duplicates, "team_id": context.team_id},
            )
        return ReferringDomainsCollection(
            items=items, total_count=total_count, pages=pages, duplicates_dropped=duplicates
        )

    def backlinks_pages(
        self,
        target: str,
        *,
        max_items: int,
        page_size: int = MAX_PAGE_SIZE,
        filters: list | None = None,
        order_by: Sequence[str] = ("first_seen,desc",),
        mode: str = "as_is",
        backlinks_status_type: str = "live",
        context: CallContext,
    ) -> Iterator[BacklinksPage]:
        """Yield pages of ``target``'s backlinks until ``max_items`` rows or the end of the listing.

        Pages are addressed by ``offset`` while ``offset + limit`` stays within 20,000, then by the
        ``search_after_token`` of the previous page with the same parameters.
        """
        if max_items < 1:
            raise ValueError(f"invalid max_items {max_items}: must be 1 or more")
        _check_page_size("page_size", page_size)
        base_task: dict[str, Any] = {
            "target": target,
            "mode": mode,
            "order_by": list(order_by),
            "backlinks_status_type": backlinks_status_type,
        }
        if filters:
            base_task["filters"] = filters
        returned = 0
        offset = 0
        token: str | None = None
        while returned < max_items:
            limit = min(page_size, max_items - returned)
            task = {**base_task, "limit": limit}
            if offset + limit <= MAX_BACKLINKS_OFFSET:
                task["offset"] = offset
            elif token:
                task["search_after_token"] = token
            else:
                logger.warning(
                    "dataforseo backlinks paging stopped without search_after_token",
                    extra={"target": target, "offset": offset, "team_id": context.team_id},
                )
                return
            page = self._parse(self._call("backlinks", task, context), BacklinksPage, "backlinks")
            yield page
            returned += len(page.items)
            offset += len(page.items)
            token = page.search_after_token
            if len(page.items) < limit:
                return
            if "search_after_token" in task and not token:
                return

    def anchors_pages(
        self,
        target: str,
        *,
        max_items: int,
        page_size: int = MAX_PAGE_SIZE,
        backlinks_status_type: str = "all",
        order_by: Sequence[str] = ("backlinks,desc",),
        context: CallContext,
    ) -> Iterator[AnchorsPage]:
        """Yield pages of ``target``'s anchors (by ``offset``) until ``max_items`` or the end of the listing."""
        if max_items < 1:
            raise ValueError(f"invalid max_items {max_items}: must be 1 or more")
        _check_page_size("page_size", page_size)
        offset = 0
        while offset < max_items:
            limit = min(page_size, max_items - offset)
            task = {
                "target": target,
                "limit": limit,
                "offset": offset,
                "order_by": list(order_by),
                "backlinks_status_type": backlinks_status_type,
            }
            page = self._parse(self._call("anchors", task, context), AnchorsPage, "anchors")
            yield page
            offset += len(page.items)
            if len(page.items) < limit or offset >= page.total_count:
                return

    def bulk_spam_score(self, targets: Sequence[str], *, context: CallContext) -> dict[str, int]:
        """Return ``{target: spam_score}`` for the targets the vendor has a score for.

        A target without an item or with a null score is left out: its score is unknown, not 0.
        """
        if isinstance(targets, str):
            raise TypeError("targets must be a sequence of domains, not one string")
        if not targets:
            raise ValueError("bulk_spam_score needs at least one target")
        if len(targets) > MAX_BULK_TARGETS:
            raise ValueError(
                f"too many targets for bulk_spam_score: {len(targets)}; "
                f"split them into calls of at most {MAX_BULK_TARGETS}"
            )
        result = self._call("bulk_spam_score", {"targets": list(targets)}, context)
        parsed = self._parse(result, SpamScoreResult, "bulk_spam_score")
        return {
            item.target: item.spam_score
            for item in parsed.items
            if isinstance(item.spam_score, int) and not isinstance(item.spam_score, bool)
        }

    def timeseries_new_lost_summary(
        self, target: str, *, date_from: date, date_to: date, group_range: str, context: CallContext
    ) -> TimeseriesNewLostSummary:
        """Fetch the backlinks and referring domains ``target`` gained and lost per period.

        For week, month and year the vendor returns whole periods that overlap the range, each dated
        at its last day, and 0 for periods without data.
        """
        if group_range not in TIMESERIES_GROUP_RANGES:
            raise ValueError(
                f"invalid group_range {group_range!r}: expected one of {', '.join(TIMESERIES_GROUP_RANGES)}"
            )
        if date_from < TIMESERIES_MIN_DATE:
            raise ValueError(f"invalid date_from {date_from}: the earliest is {TIMESERIES_MIN_DATE}")
        if date_from > date_to:
            raise ValueError(f"invalid date range: date_from {date_from} is after date_to {date_to}")
        task = {
            "target": target,
            "date_from": date_from.isoformat(),
            "date_to": date_to.isoformat(),
            "group_range": group_range,
        }
        result = self._call("timeseries_new_lost_summary", task, context)
        return self._parse(result, TimeseriesNewLostSummary, "timeseries_new_lost_summary")

    # --- transport -----------------------------------------------------------------------------------

    def _call(self, function: str, task: dict[str, Any], context: CallContext) -> dict[str, Any]:
        """Post one task with retries and return the first ``result`` entry of the task."""
        endpoint = f"backlinks/{function}/live"
        attempt = 0
        while True:
            try:
                return self._attempt(function, endpoint, task, context)
            except DataForSEOError as error:
                if not error.retryable or attempt >= self._max_retries:
                    logger.warning(
                        "dataforseo call failed",
                        extra={
                            "endpoint": endpoint,
                            "code": error.code,
                            "error": str(error),
                            "attempts": attempt + 1,
                            "team_id": context.team_id,
                            "operation": context.operation,
                            "job_id": context.job_id,
                        },
                    )
                    raise
                delay = self._random.uniform(0, min(self._backoff_max, self._backoff_base * 2**attempt))
                attempt += 1
                logger.info(
                    "dataforseo call retried",
                    extra={
                        "endpoint": endpoint,
                        "code": error.code,
                        "error": str(error),
                        "attempt": attempt,
                        "delay_s": round(delay, 3),
                        "team_id": context.team_id,
                        "job_id": context.job_id,
                    },
                )
                self._sleep(delay)

    def _attempt(
        self, function: str, endpoint: str, task: dict[str, Any], context: CallContext
    ) -> dict[str, Any]:
        url = f"{self._base_url}/v3/backlinks/{function}/live"
        started = time.monotonic()
        try:
            response = self._http.post(
                url, content=json.dumps([task]), headers=self._headers, timeout=self._timeout
            )
        except httpx.TimeoutException:
            raise TransportError(f"request timed out after {self._timeout:g} s", endpoint=endpoint) from None
        except httpx.HTTPError as error:
            message = self._redact(f"{type(error).__name__}: {error}")
            raise TransportError(f"request failed: {message}", endpoint=endpoint) from None
        duration_ms = int((time.monotonic() - started) * 1000)

        body = self._decode(response)
        if body is not None:
            self._record(body, endpoint, context, duration_ms)
        if response.status_code != 200:
            code, message = _envelope_status(body)
            reason = message or response.reason_phrase or "unexpected HTTP status"
            raise error_for_http_status(
                response.status_code, self._redact(reason), endpoint=endpoint, code=code
            )
        if body is None:
            raise TransportError("response is not a DataForSEO JSON envelope", endpoint=endpoint)
        return self._check(body, endpoint)

    def _decode(self, response: httpx.Response) -> dict[str, Any] | None:
        """Return the JSON envelope, or None when the body is not one."""
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return None
        if not isinstance(body, dict) or not isinstance(body.get("status_code"), int):
            return None
        return body

    def _check(self, body: dict[str, Any], endpoint: str) -> dict[str, Any]:
        """Raise for a failed envelope or task and return the first task's first result."""
        code, message = _envelope_status(body)
        if code != OK_STATUS_CODE:
            raise error_for_status(code, self._redact(message), endpoint=endpoint)
        tasks = body.get("tasks")
        if not isinstance(tasks, list) or not tasks:
            # An envelope that reports success without tasks is never read as an empty result.
            raise ServerError("the response has status 20000 but no tasks", endpoint=endpoint)
        for task in tasks:
            if not isinstance(task, dict) or not isinstance(task.get("status_code"), int):
                raise TransportError("a task in the response has no status_code", endpoint=endpoint)
            if task["status_code"] != OK_STATUS_CODE:
                task_message = str(task.get("status_message") or "")
                raise error_for_status(task["status_code"], self._redact(task_message), endpoint=endpoint)
        result = tasks[0].get("result")
        if not isinstance(result, list) or not result or not isinstance(result[0], dict):
            raise TransportError("the task has status 20000 but no result", endpoint=endpoint)
        return result[0]

    def _record(self, body: dict[str, Any], endpoint: str, context: CallContext, duration_ms: int) -> None:
        if self._on_call is None:
            return
        tasks = body.get("tasks")
        first_task = tasks[0] if isinstance(tasks, list) and tasks and isinstance(tasks[0], dict) else None
        status_code = body["status_code"]
        if first_task is not None and isinstance(first_task.get("status_code"), int):
            status_code = first_task["status_code"]
        cost = body.get("cost")
        record = CallRecord(
            context=context,
            endpoint=endpoint,
            cost=float(cost) if isinstance(cost, int | float) and not isinstance(cost, bool) else 0.0,
            status_code=status_code,
            items=_count_items(first_task),
            duration_ms=duration_ms,
        )
        self._on_call(record)

    def _parse(self, result: dict[str, Any], model: type[ModelT], function: str) -> ModelT:
        try:
            return model.model_validate(result)
        except ValidationError as error:
            fields = ", ".join(".".join(str(part) for part in item["loc"]) for item in error.errors()[:5])
            raise TransportError(
                f"unexpected result shape (invalid fields: {fields})", endpoint=f"backlinks/{function}/live"
            ) from None

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret:
                text = text.replace(secret, "***")
        return text


def _check_page_size(name: str, value: int) -> None:
    if not 1 <= value <= MAX_PAGE_SIZE:
        raise ValueError(f"invalid {name} {value}: must be between 1 and {MAX_PAGE_SIZE}")


def _envelope_status(body: dict[str, Any] | None) -> tuple[int | None, str]:
    if body is None:
        return None, ""
    return body.get("status_code"), str(body.get("status_message") or "")


def _count_items(task: dict[str, Any] | None) -> int:
    """Count the items in a task's results (``items_count`` when given, else the length of ``items``)."""
    if task is None or not isinstance(task.get("result"), list):
        return 0
    total = 0
    for result in task["result"]:
        if not isinstance(result, dict):
            continue
        if isinstance(result.get("items_count"), int):
            total += result["items_count"]
        elif isinstance(result.get("items"), list):
            total += len(result["items"])
        else:
            total += 1
    return total
