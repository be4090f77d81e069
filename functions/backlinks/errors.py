"""Domain exceptions. The API maps each class to one status code in one place (handlers/api.py)."""


class ServiceError(Exception):
    """Base of the errors the API turns into a 4xx response with a fixed JSON body."""

    code = "error"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


MAX_SHOWN_VALUE = 300  # characters of an offending value that an error message repeats


def shown(value: object) -> str:
    """Return the value as an error message shows it, cut to MAX_SHOWN_VALUE characters."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= MAX_SHOWN_VALUE else text[:MAX_SHOWN_VALUE] + "..."


class InvalidDomainError(ServiceError):
    """A domain from a request, a vendor item or an upload is not a usable host name."""

    code = "invalid_domain"

    def __init__(self, value: str, reason: str) -> None:
        super().__init__(f"invalid domain {shown(value)!r}: {reason}", value=shown(value), reason=reason)
        self.value = value
        self.reason = reason


class InvalidParameterError(ServiceError):
    code = "invalid_parameter"

    def __init__(self, name: str, value: object, reason: str) -> None:
        super().__init__(
            f"invalid {name} {shown(value)!r}: {reason}", parameter=name, value=shown(value), reason=reason
        )


class NotFoundError(ServiceError):
    code = "not_found"


class ConflictError(ServiceError):
    code = "conflict"


class EmptyExportError(ServiceError):
    """An export would contain no entries. An empty disavow file uploaded to Google clears the list."""

    code = "empty_export"


class ExportLimitError(ServiceError):
    """An export would break a limit of the target format (Google's disavow limits)."""

    code = "export_limit_exceeded"


class ProviderUnavailableError(ServiceError):
    """DataForSEO refused the account: subscription inactive, credentials or balance."""

    code = "provider_unavailable"


class ProviderCallError(ServiceError):
    """A DataForSEO call made while the API caller waits failed: a vendor error, timeout or bad result."""

    code = "provider_call_failed"


class UnauthorizedError(ServiceError):
    """The request carries no valid API token for a team."""

    code = "unauthorized"


class LimitError(ServiceError):
    """A team reached a limit of its subscription. Details name the limit, the usage and the reset time."""

    code = "limit_exceeded"

    def __init__(
        self,
        message: str,
        *,
        limit_name: str,
        limit: object,
        usage: object,
        resets_at: str | None,
        **extra: object,
    ) -> None:
        super().__init__(
            message, limit_name=limit_name, limit=limit, usage=usage, resets_at=resets_at, **extra
        )
        self.resets_at = resets_at


class SubscriptionRequiredError(LimitError):
    """The team has no backlinks subscription, or it is not active."""

    code = "subscription_inactive"


class PlanLimitError(LimitError):
    """A request exceeds a fixed limit of the team's tier (projects, referring domains per refresh)."""

    code = "plan_limit_exceeded"


class BudgetExceededError(LimitError):
    """The estimated DataForSEO cost of a request exceeds what remains of the team's monthly budget."""

    code = "budget_exceeded"


class DailyLimitError(LimitError):
    """The team started as many lookups today as its tier allows."""

    code = "daily_limit_exceeded"


class PayloadTooLargeError(ServiceError):
    """An uploaded file is larger than the service accepts."""

    code = "payload_too_large"
