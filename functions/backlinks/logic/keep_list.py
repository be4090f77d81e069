"""Keep lists: domains that no disavow file of a team, or of one lookup or project, ever contains.

A team-wide list applies to every lookup and project of the team, and each lookup or project has a
list of its own. An entry covers the domain and its subdomains, the way a `domain:` line does, so
keeping "example.com" also keeps "blog.example.com".
"""

from backlinks.dal import keys
from backlinks.dal.disavow import DisavowStore
from backlinks.domains import normalize_target
from backlinks.errors import NotFoundError
from backlinks.logic.disavow_import import covering_domain
from backlinks.models.records import Scope
from backlinks.services import Services

MAX_NOTE_LENGTH = 500


def keep_list_pk(team_id: str, scope: Scope | None) -> str:
    """Partition of the team-wide list (scope None) or of one lookup's or project's list."""
    if scope is None:
        return keys.team_keep_list_pk(team_id)
    return keys.scope_keep_list_pk(scope)


def add_entry(services: Services, team_id: str, scope: Scope | None, domain: str, note: str | None) -> dict:
    """Add or replace an entry; raises InvalidDomainError (400) for a bad host or a public suffix."""
    host = normalize_target(domain)
    added_at = services.clock()
    DisavowStore(services.store.table_name).put_keep_entry(keep_list_pk(team_id, scope), host, note, added_at)
    return {"domain": host, "note": note, "added_at": added_at.isoformat(), "list": _list_name(scope)}


def remove_entry(services: Services, team_id: str, scope: Scope | None, domain: str) -> str:
    """Remove an entry and return its host; raises NotFoundError (404) when the list lacks it."""
    host = normalize_target(domain)
    if not DisavowStore(services.store.table_name).delete_keep_entry(keep_list_pk(team_id, scope), host):
        raise NotFoundError(f"{host} is not on the {_list_name(scope)} keep list", domain=host)
    return host


def list_entries(
    services: Services, team_id: str, scope: Scope | None, *, limit: int, cursor: str | None
) -> tuple[list[dict], str | None]:
    return DisavowStore(services.store.table_name).list_keep_entries(
        keep_list_pk(team_id, scope), limit=limit, cursor=cursor
    )


# NOTE: keep lists have no size limit yet, and every export reads both lists in full.
def effective_keep_list(services: Services, scope: Scope) -> set[str]:
    """Return the team-wide entries and the scope's own entries together (two Queries)."""
    store = DisavowStore(services.store.table_name)
    return store.keep_domains(keys.team_keep_list_pk(scope.team_id)) | store.keep_domains(
        keys.scope_keep_list_pk(scope)
    )


def kept_by(host: str, keep: set[str]) -> str | None:
    """Return the keep-list entry that covers `host` (the same host or a parent), or None."""
    if not keep:
        return None
    return covering_domain(host, keep)


def _list_name(scope: Scope | None) -> str:
    return "team" if scope is None else scope.kind.value
