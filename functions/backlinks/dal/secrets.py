"""DataForSEO credentials from Secrets Manager, read once at cold start."""

import json

from backlinks.dal.clients import secrets_client


def read_dataforseo_credentials(secret_arn: str) -> tuple[str, str]:
    """Return (login, password) from a secret whose JSON is {"login": ..., "password": ...}."""
    secret = secrets_client().get_secret_value(SecretId=secret_arn)
    try:
        values = json.loads(secret["SecretString"])
        return values["login"], values["password"]
    except (KeyError, TypeError, ValueError):
        # The message names the secret, never its content.
        raise RuntimeError(f"secret {secret_arn} must be JSON with the keys 'login' and 'password'") from None
