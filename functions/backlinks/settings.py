"""Runtime settings, read from the environment once per process and validated.

Logic never reads os.environ: handlers build a Settings at cold start and pass what is needed on.
"""

import os
from functools import lru_cache

from pydantic import BaseModel, Field, HttpUrl, SecretStr, ValidationError

DFS_PRODUCTION_URL = "https://api.dataforseo.com"
DFS_SANDBOX_URL = "https://sandbox.dataforseo.com"


class SettingsError(RuntimeError):
    """Raised at cold start when the environment is incomplete or invalid."""


class Settings(BaseModel):
    table_name: str = Field(min_length=3)
    exports_bucket: str = Field(min_length=3)
    pull_queue_url: str = Field(min_length=1)
    spam_queue_url: str = Field(min_length=1)
    # Project Mode: the delta pull queue and the full refresh state machine. Empty in functions
    # that never use them; the code that needs one fails with a clear message when it is missing.
    delta_queue_url: str = ""
    anchors_queue_url: str = ""
    full_refresh_state_machine_arn: str = ""
    default_team_id: str = "local"
    dfs_base_url: HttpUrl = HttpUrl(DFS_PRODUCTION_URL)
    dfs_login: SecretStr | None = None
    dfs_password: SecretStr | None = None
    dfs_secret_arn: str | None = None
    dfs_timeout_seconds: float = Field(default=60.0, gt=0)
    dfs_max_retries: int = Field(default=4, ge=0, le=10)
    # DataForSEO calls made while an API caller waits (velocity time series) use the smaller of these
    # and the two values above. At most 2 attempts of 10 s and one backoff of at most 0.5 s leave
    # about 8 s of API Gateway's 29-second limit for the table reads and writes.
    # NOTE: httpx applies the timeout to each connect, read and write, not to the whole request, so a
    # response that arrives slowly in small parts can take longer.
    dfs_request_timeout_seconds: float = Field(default=10.0, gt=0, le=10)
    dfs_request_max_retries: int = Field(default=1, ge=0, le=1)
    presign_expiry_seconds: int = Field(default=900, ge=60, le=3600)
    summary_fresh_seconds: int = Field(default=3600, ge=0)
    score_max_age_days: int = Field(default=30, ge=1)
    lookup_ttl_days: int = Field(default=90, ge=1)
    # The queues' maxReceiveCount; a worker fails the job on the delivery that would be the last.
    max_receive_count: int = Field(default=3, ge=1)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Settings":
        env = os.environ if environ is None else environ
        base_url = env.get("DFS_BASE_URL") or (
            DFS_SANDBOX_URL if env.get("DFS_USE_SANDBOX", "").lower() in ("1", "true", "yes") else None
        )
        values = {
            "table_name": env.get("TABLE_NAME", ""),
            "exports_bucket": env.get("EXPORTS_BUCKET", ""),
            "pull_queue_url": env.get("PULL_QUEUE_URL", ""),
            "spam_queue_url": env.get("SPAM_QUEUE_URL", ""),
            "delta_queue_url": env.get("DELTA_QUEUE_URL", ""),
            "anchors_queue_url": env.get("ANCHORS_QUEUE_URL", ""),
            "full_refresh_state_machine_arn": env.get("FULL_REFRESH_STATE_MACHINE_ARN", ""),
            "default_team_id": env.get("DEFAULT_TEAM_ID", "local"),
            "dfs_login": env.get("DFS_LOGIN") or None,
            "dfs_password": env.get("DFS_PASSWORD") or None,
            "dfs_secret_arn": env.get("DFS_SECRET_ARN") or None,
        }
        if base_url:
            values["dfs_base_url"] = base_url
        for key, name in (
            ("dfs_timeout_seconds", "DFS_TIMEOUT_SECONDS"),
            ("dfs_max_retries", "DFS_MAX_RETRIES"),
            ("dfs_request_timeout_seconds", "DFS_REQUEST_TIMEOUT_SECONDS"),
            ("dfs_request_max_retries", "DFS_REQUEST_MAX_RETRIES"),
            ("presign_expiry_seconds", "PRESIGN_EXPIRY_SECONDS"),
            ("summary_fresh_seconds", "SUMMARY_FRESH_SECONDS"),
            ("max_receive_count", "MAX_RECEIVE_COUNT"),
        ):
            if env.get(name):
                values[key] = env[name]
        try:
            return cls(**values)
        except ValidationError as error:
            fields = ", ".join(".".join(str(part) for part in item["loc"]) for item in error.errors())
            raise SettingsError(f"invalid or missing settings: {fields}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
