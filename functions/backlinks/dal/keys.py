"""Key layout of the single table.

Team-owned items start with TEAM#<team_id>, so no query of one team can reach another team's items.
Shared caches of public third-party facts (DataForSEO summaries, spam scores) are keyed by the
domain alone and serve every team.
"""

from backlinks.models.records import Scope, ScopeKind


def lookup_pk(team_id: str, target: str) -> str:
    return f"TEAM#{team_id}#LOOKUP#{target}"


LOOKUP_SK = "META"


def scope_pk(scope: Scope) -> str:
    """Partition prefix of a lookup's or a project's data."""
    if scope.kind is ScopeKind.PROJECT:
        return f"TEAM#{scope.team_id}#PROJECT#{scope.key}"
    return lookup_pk(scope.team_id, scope.key)


def generation_pk(scope: Scope, generation: str) -> str:
    """Partition of one generation of a lookup's or a project's referring domains."""
    return f"{scope_pk(scope)}#GEN#{generation}"


def referring_domain_sk(domain: str) -> str:
    return f"RD#{domain}"


def team_pk(team_id: str) -> str:
    return f"TEAM#{team_id}"


def job_sk(job_id: str) -> str:
    return f"JOB#{job_id}"


def job_chunks_pk(team_id: str, job_id: str) -> str:
    return f"TEAM#{team_id}#JOB#{job_id}"


def chunk_sk(chunk: int) -> str:
    return f"CHUNK#{chunk:06d}"


def usage_pk(team_id: str, month: str) -> str:
    """Usage ledger partition of one team and one calendar month (YYYY-MM, UTC)."""
    return f"TEAM#{team_id}#USAGE#{month}"


def exports_pk(team_id: str) -> str:
    return f"TEAM#{team_id}#EXPORTS"


def summary_pk(target: str) -> str:
    return f"TARGET#{target}"


SUMMARY_SK = "SUMMARY"


def score_pk(domain: str) -> str:
    return f"SCORE#{domain}"


SCORE_SK = "SCORE"

PROVIDER_PK = "PROVIDER#dataforseo"
PROVIDER_SK = "STATUS"
