"""Reads of referring domains and their spam scores, shared by Lookup Mode and Project Mode."""

from backlinks.models.records import DataView, ReferringDomain
from backlinks.services import Services

TOXIC_DEFAULT = 80


def list_referring_domains(
    services: Services,
    view: DataView,
    *,
    sort: str,
    descending: bool,
    limit: int,
    cursor: str | None,
    only_active: bool,
    min_spam_score: int | None,
) -> tuple[list[ReferringDomain], str | None]:
    return services.store.query_referring_domains(
        view.scope,
        view.generation,
        sort=sort,
        descending=descending,
        limit=limit,
        cursor=cursor,
        only_active=only_active,
        min_spam_score=min_spam_score,
    )


def spam_score_report(
    services: Services, view: DataView, *, min_spam: int, limit: int, cursor: str | None
) -> tuple[list[ReferringDomain], str | None, dict[str, int]]:
    """Return one page of toxic domains, the next cursor and the counts of scored and unscored domains.

    A domain with no score is never toxic: it counts as "unknown" when the vendor had no score for
    it and as "unscored" when it has not been checked yet.
    """
    store = services.store
    items, next_cursor = store.query_referring_domains(
        view.scope,
        view.generation,
        sort="spam_score",
        descending=True,
        limit=limit,
        cursor=cursor,
        min_spam_score=min_spam,
    )
    scored = store.count_scored_referring_domains(view.scope, view.generation)
    unknown = store.count_unknown_referring_domains(view.scope, view.generation)
    counts = {
        "referring_domains": view.stored_referring_domains,
        "scored": scored,
        "unknown": unknown,
        "unscored": max(view.stored_referring_domains - scored - unknown, 0),
    }
    return items, next_cursor, counts
