"""Key layout of the single table.

Team-owned items start with TEAM#<team_id>, so no query of one team can reach another team's items.
Shared caches of public third-party facts (DataForSEO summaries, new and lost series, spam scores)
are keyed by the domain alone and serve every team.
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


def timeseries_sk(granularity: str, day: str) -> str:
    """Sort key, under summary_pk, of a target's new and lost series fetched on `day` (YYYY-MM-DD, UTC)."""
    return f"TIMESERIES#{granularity}#{day}"


def score_pk(domain: str) -> str:
    return f"SCORE#{domain}"


SCORE_SK = "SCORE"

PROVIDER_PK = "PROVIDER#dataforseo"
PROVIDER_SK = "STATUS"

# Teams, subscriptions and API tokens. A token's own partition (TOKEN#<token_id>) is read by the
# authorizer before the team is known; the team's copy under TEAM#<team_id> serves the token list.
TEAM_SK = "TEAM"
SUBSCRIPTION_SK = "SUBSCRIPTION#backlinks"


def token_pk(token_id: str) -> str:
    return f"TOKEN#{token_id}"


TOKEN_SK = "TOKEN"


def team_token_sk(token_id: str) -> str:
    return f"TOKEN#{token_id}"


TEAM_TOKEN_PREFIX = "TOKEN#"


def team_project_prefix() -> str:
    """Sort key prefix of a team's project items under team_pk (written by Project Mode)."""
    return "PROJECT#"


def daily_counter_pk(team_id: str, day: str) -> str:
    """Counters of one team and one UTC day (YYYY-MM-DD), such as the lookups started."""
    return f"TEAM#{team_id}#COUNTER#{day}"


def monthly_spend_pk(team_id: str, month: str) -> str:
    """Running DataForSEO cost total of one team and one calendar month (YYYY-MM, UTC)."""
    return f"TEAM#{team_id}#SPEND#{month}"


SPEND_SK = "TOTAL"


# Project Mode --------------------------------------------------------------------------------------


def project_sk(project_id: str) -> str:
    """Sort key of a project item under team_pk; check_project_limit counts these."""
    return f"{team_project_prefix()}{project_id}"


def links_pk(scope: Scope, generation: str) -> str:
    """Partition of the backlinks (one item per referring page) of one generation of a project."""
    return f"{generation_pk(scope, generation)}#LINKS"


def link_sk(link_id: str) -> str:
    return f"LINK#{link_id}"


def events_pk(scope: Scope) -> str:
    """Partition of a project's event log, sorted by the time the change happened."""
    return f"{scope_pk(scope)}#EVENTS"


DUE_SHARDS = 8  # due items spread over this many partitions, each read by one Query


def due_pk(shard: int) -> str:
    return f"DUE#{shard}"


def due_sk(day: str, team_id: str, project_id: str) -> str:
    """Sort key of a project's daily pull due on `day` (YYYY-MM-DD), so one Query reads all due items."""
    return f"{day}#{team_id}#{project_id}"


# Keep lists (domains never disavowed) and disavow file versions.
KEEP_SK_PREFIX = "KEEP#"


def team_keep_list_pk(team_id: str) -> str:
    """Keep list that applies to every lookup and project of a team."""
    return f"TEAM#{team_id}#KEEP"


def scope_keep_list_pk(scope: Scope) -> str:
    """Keep list of one lookup or project."""
    return f"{scope_pk(scope)}#KEEP"


def keep_entry_sk(domain: str) -> str:
    return f"{KEEP_SK_PREFIX}{domain}"


def disavow_versions_pk(scope: Scope) -> str:
    """Versions of a lookup's or a project's disavow file, sorted by time through their ids."""
    return f"{scope_pk(scope)}#DISAVOW"


VERSION_SK_PREFIX = "VERSION#"


def disavow_version_sk(version_id: str) -> str:
    return f"{VERSION_SK_PREFIX}{version_id}"


# Anchors -------------------------------------------------------------------------------------------


def anchors_state_pk(scope: Scope) -> str:
    """Return the partition of the item that names a lookup's or a project's anchor sets and pull in flight."""
    return f"{scope_pk(scope)}#ANCHORS"


ANCHORS_STATE_SK = "STATE"


def anchor_set_pk(scope: Scope, set_id: str) -> str:
    """Return the partition of one stored set of anchors, in the order of their position (backlinks descending)."""
    return f"{scope_pk(scope)}#ANCHORS#{set_id}"


def anchor_sk(position: int) -> str:
    return f"ANCHOR#{position:06d}"
