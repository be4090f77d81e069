"""The DataForSEO credentials, kept in Secrets Manager outside the stack."""

from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

DFS_SECRET_NAME_CONTEXT = "dfs_secret_name"
DEFAULT_DFS_SECRET_NAME = "backlinks/dataforseo"


def import_dfs_secret(scope: Construct, construct_id: str) -> secretsmanager.ISecret:
    """Reference the existing secret named by context dfs_secret_name.

    The secret's value is JSON: {"login": "...", "password": "..."}. The stack never creates or reads
    it, so the credentials stay out of the template and the cloud assembly.
    """
    name = scope.node.try_get_context(DFS_SECRET_NAME_CONTEXT) or DEFAULT_DFS_SECRET_NAME
    # NOTE: an imported name gives a partial ARN (no "-xxxxxx" suffix). GetSecretValue accepts it as
    # long as the name itself does not end in a hyphen and six characters.
    return secretsmanager.Secret.from_secret_name_v2(scope, construct_id, name)
