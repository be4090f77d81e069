"""Errors of the DataForSEO client, one class per way a caller must react.

DataForSEO reports most failures inside an HTTP 200 body, as a status code of the envelope or of a task.
``error_for_status`` maps such a code to a class; the client maps HTTP statuses and transport failures.
Messages never contain the API login, password or Authorization header.
"""

from __future__ import annotations

ACCOUNT_STATUS_CODES = frozenset({40100, 40200, 40201, 40203, 40207})
"""Not authorized, payment required, account blocked, cost limit reached, IP not whitelisted."""

RATE_LIMITED_STATUS_CODE = 40202
SUBSCRIPTION_INACTIVE_STATUS_CODE = 40204
RETRY_LATER_STATUS_CODES = frozenset({40103})
"""4xxxx codes that ask for a resubmission (40103: task execution failed)."""


class DataForSEOError(Exception):
    """A failed DataForSEO call. ``retryable`` is True when the same call may succeed later."""

    retryable: bool = False

    def __init__(self, message: str, *, endpoint: str, code: int | None = None) -> None:
        self.code = code
        self.endpoint = endpoint
        self.message = message
        super().__init__(self.__str__())

    def __str__(self) -> str:
        if self.code is None:
            return f"DataForSEO {self.endpoint} failed: {self.message}"
        return f"DataForSEO {self.endpoint} failed with {self.code}: {self.message}"

    def __reduce__(self):  # keep pickling (multiprocessing, Step Functions payloads) working
        return (_rebuild, (type(self), self.message, self.endpoint, self.code))


def _rebuild(cls: type[DataForSEOError], message: str, endpoint: str, code: int | None) -> DataForSEOError:
    return cls(message, endpoint=endpoint, code=code)


class RateLimitedError(DataForSEOError):
    """40202: more than 2000 calls per minute or more than 30 at once. Retried with backoff."""

    retryable = True


class ServerError(DataForSEOError):
    """5xxxx status codes, 40103 and HTTP 5xx: a vendor-side failure. Retried with backoff."""

    retryable = True


class TransportError(DataForSEOError):
    """Timeout, connection failure, or a body that is not the vendor's JSON envelope. Retried."""

    retryable = True


class SubscriptionInactiveError(DataForSEOError):
    """40204: the account has no active Backlinks subscription. Not retried: jobs stop until it is active."""


class AccountError(DataForSEOError):
    """Login, payment, blocked account, cost limit or IP whitelist problem (40100-40207, HTTP 401/402)."""


class RequestRejectedError(DataForSEOError):
    """Any other 4xxxx code, such as 40501 (invalid field): the request itself is wrong. Not retried."""


def error_for_status(code: int, message: str, *, endpoint: str) -> DataForSEOError:
    """Return the error for a DataForSEO status code other than 20000."""
    error_class: type[DataForSEOError]
    if code == RATE_LIMITED_STATUS_CODE:
        error_class = RateLimitedError
    elif code == SUBSCRIPTION_INACTIVE_STATUS_CODE:
        error_class = SubscriptionInactiveError
    elif code in ACCOUNT_STATUS_CODES:
        error_class = AccountError
    elif code in RETRY_LATER_STATUS_CODES or 50000 <= code < 60000:
        error_class = ServerError
    elif 40000 <= code < 50000:
        error_class = RequestRejectedError
    else:
        # NOTE: codes outside 4xxxx/5xxxx other than 20000 are not documented for live endpoints;
        # they are treated as a server-side problem and retried.
        error_class = ServerError
    return error_class(message or "no status message", endpoint=endpoint, code=code)


def error_for_http_status(
    status: int, message: str, *, endpoint: str, code: int | None = None
) -> DataForSEOError:
    """Return the error for an HTTP status other than 200 (``code`` is the envelope's, when there is one)."""
    error_class: type[DataForSEOError]
    if status in (401, 402, 403):
        error_class = AccountError
    elif status == 429:
        error_class = RateLimitedError
    elif status >= 500:
        error_class = ServerError
    else:
        error_class = RequestRejectedError
    return error_class(f"HTTP {status}: {message}", endpoint=endpoint, code=code)
