"""Anchor distribution of a lookup or a project.

Two sources feed it. A project's full refresh aggregates the backlinks it stored by anchor text:
the heuristic set, limited to the links the refresh stored. A detailed pull reads DataForSEO's
anchors endpoint (queued through SQS, run by the anchors worker) and stores per-anchor counts,
dofollow and nofollow split, first seen and lost dates and the spam score. Reports use the detailed
set when there is one and name the source they show. Lookups store no backlinks, so they have no
heuristic set: their anchors come from a detailed pull only.

Both sources store at most MAX_ANCHORS anchors, the ones with the most backlinks first. Classes
(logic/anchor_classes.py) are computed when a report is read, because they depend on the caller's
keywords.
"""

import hashlib
import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from backlinks.dal.anchors import AnchorStore
from backlinks.dal.queues import send_messages
from backlinks.dal.store import decode_cursor, encode_cursor
from backlinks.dataforseo.client import CallContext
from backlinks.dataforseo.models import Anchor
from backlinks.errors import EmptyExportError, InvalidParameterError
from backlinks.logic import budget, jobs, provider, teams
from backlinks.logic.anchor_classes import ANCHOR_CLASSES, Classifier, collapse_whitespace
from backlinks.logic.exports import display_name, publish_spreadsheet, spreadsheet_content
from backlinks.models.anchors import MAX_ANCHORS, MAX_LOST_ANCHORS, AnchorRecord, AnchorSet, AnchorsMessage
from backlinks.models.projects import StoredLink
from backlinks.models.records import Job, JobKind, JobState, Scope, ScopeKind
from backlinks.observability import logger
from backlinks.services import Services

DATA_TTL = timedelta(days=90)
# A claim older than this is taken over: the worker's timeout is 5 minutes and SQS delivers a
# message at most 3 times, each after a 30-minute visibility timeout.
PULL_CLAIM_STALE_AFTER = timedelta(hours=2)
REPORT_FORMATS = ("json", "csv", "xlsx")
# Spreadsheet headers and the anchor_view field of each column. Headers name their units.
EXPORT_COLUMNS = (
    ("anchor", "anchor"),
    ("class", "class"),
    ("backlinks", "backlinks"),
    ("referring_domains", "referring_domains"),
    ("dofollow_referring_domains", "dofollow_referring_domains"),
    ("nofollow_referring_domains", "nofollow_referring_domains"),
    ("referring_pages", "referring_pages"),
    ("dofollow_referring_pages", "dofollow_referring_pages"),
    ("nofollow_referring_pages", "nofollow_referring_pages"),
    ("spam_score (0-100)", "spam_score"),
    ("rank (0-1000)", "rank"),
    ("first_seen", "first_seen"),
    ("lost_date", "lost_date"),
    ("is_active", "is_active"),
    ("variants", "variants"),
)


def anchor_store(services: Services) -> AnchorStore:
    return AnchorStore(services.store.table_name)


# --- detailed pulls ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PullRequestResult:
    job: Job
    already_running: bool


def estimate_pull_cost(max_anchors: int) -> float:
    """Upper bound: every requested live anchor exists (1000 a call), plus one full page of lost anchors."""
    calls = math.ceil(max_anchors / budget.ITEMS_PER_PAGE) + 1
    return budget.calls_cost(calls, max_anchors + MAX_LOST_ANCHORS)


def request_pull(services: Services, scope: Scope, target: str, *, max_anchors: int) -> PullRequestResult:
    """Queue a detailed anchors pull, or return the one already running for this lookup or project.

    Raises before creating anything when the subscription, the provider or the budget refuses it.
    """
    team_id = scope.team_id
    teams.require_active_subscription(services, team_id)
    provider.require_provider_active(services)
    estimate = estimate_pull_cost(max_anchors)
    budget.check_budget(services, team_id, estimate)
    if not services.settings.anchors_queue_url:
        raise RuntimeError("ANCHORS_QUEUE_URL is not set in this function's environment")

    store = anchor_store(services)
    job_id = jobs.new_job_id()
    holder = store.claim_pull(scope, job_id, services.clock(), PULL_CLAIM_STALE_AFTER)
    if holder is not None:
        running = services.store.get_job(team_id, holder)
        if running is not None and not running.finished:
            return PullRequestResult(job=running, already_running=True)
        # The holder ended without releasing its claim (a crash between its last steps).
        store.release_pull(scope, holder)
        holder = store.claim_pull(scope, job_id, services.clock(), PULL_CLAIM_STALE_AFTER)
        if holder is not None:
            running = jobs.get_job(services, team_id, holder)
            return PullRequestResult(job=running, already_running=True)

    job = jobs.create_job(
        services,
        team_id=team_id,
        kind=JobKind.ANCHORS_PULL,
        target=target,
        parameters={
            "scope": scope.kind.value,
            "project_id": scope.key if scope.kind is ScopeKind.PROJECT else None,
            "max_anchors": max_anchors,
            "estimated_cost_usd": estimate,
        },
        job_id=job_id,
    )
    message = AnchorsMessage(
        team_id=team_id, job_id=job_id, target=target, scope=scope, max_anchors=max_anchors
    )
    try:
        send_messages(services.settings.anchors_queue_url, [message])
    except Exception:
        jobs.fail_job(services, job, "the anchors pull could not be queued: try again")
        store.release_pull(scope, job_id)
        raise
    return PullRequestResult(job=job, already_running=False)


def merge_vendor_anchors(rows: Iterable[Anchor]) -> list[AnchorRecord]:
    """Turn vendor anchor rows into records, one per text once whitespace is collapsed.

    Rows whose texts differ only in whitespace are summed (a domain using both spellings then counts
    twice). An anchor is lost only when every merged row is lost. Records come out with the most
    backlinks first.
    """
    merged: dict[str, AnchorRecord] = {}
    weights: dict[str, int] = {}
    score_sums: dict[str, int] = {}
    for row in rows:
        text = collapse_whitespace(row.anchor)
        record = AnchorRecord(
            anchor=text,
            backlinks=row.backlinks,
            referring_domains=row.referring_domains,
            nofollow_referring_domains=row.referring_domains_nofollow,
            referring_pages=row.referring_pages,
            nofollow_referring_pages=row.referring_pages_nofollow,
            first_seen=row.first_seen,
            lost_date=row.lost_date,
            spam_score=row.backlinks_spam_score,
            rank=row.rank,
        )
        if row.backlinks_spam_score is not None:
            weights[text] = weights.get(text, 0) + max(row.backlinks, 1)
            score_sums[text] = score_sums.get(text, 0) + row.backlinks_spam_score * max(row.backlinks, 1)
        existing = merged.get(text)
        merged[text] = record if existing is None else _combine(existing, record)
    for text, weight in weights.items():
        merged[text] = merged[text].model_copy(update={"spam_score": round(score_sums[text] / weight)})
    return sorted(merged.values(), key=lambda record: (-record.backlinks, record.anchor))


def _combine(first: AnchorRecord, second: AnchorRecord) -> AnchorRecord:
    lost = (
        None
        if first.lost_date is None or second.lost_date is None
        else max(first.lost_date, second.lost_date)
    )
    seen = [value for value in (first.first_seen, second.first_seen) if value is not None]
    ranks = [value for value in (first.rank, second.rank) if value is not None]
    return AnchorRecord(
        anchor=first.anchor,
        backlinks=first.backlinks + second.backlinks,
        referring_domains=first.referring_domains + second.referring_domains,
        nofollow_referring_domains=first.nofollow_referring_domains + second.nofollow_referring_domains,
        referring_pages=first.referring_pages + second.referring_pages,
        nofollow_referring_pages=first.nofollow_referring_pages + second.nofollow_referring_pages,
        first_seen=min(seen) if seen else None,
        lost_date=lost,
        rank=max(ranks) if ranks else None,
        variants=first.variants + second.variants,
    )


def run_pull(services: Services, message: AnchorsMessage) -> None:
    """Pull a target's anchors, store them as a new detailed set and switch the scope to it."""
    store = anchor_store(services)
    job = services.store.get_job(message.team_id, message.job_id, consistent=True)
    if job is None or job.finished:
        return
    state = store.get_state(message.scope, consistent=True)
    if state.detailed is not None and state.detailed.job_id == job.job_id:
        # A repeated delivery after the switch: only the job's end is missing.
        services.store.finish_job(job.team_id, job.job_id, JobState.DONE, services.clock())
        return
    services.store.start_job(job.team_id, job.job_id, services.clock())

    context = CallContext(
        team_id=message.team_id,
        operation="anchors",
        target=message.target,
        job_id=message.job_id,
        project_id=message.scope.key if message.scope.kind is ScopeKind.PROJECT else None,
    )
    # Live links give the counts users see. A live listing has no lost dates, so a second listing
    # of lost links adds the anchors whose links are all lost, with their lost date.
    live = read_listing(services, message, "live", message.max_anchors, context)
    lost = read_listing(services, message, "lost", MAX_LOST_ANCHORS, context)
    records = combine_listings(merge_vendor_anchors(live.rows), merge_vendor_anchors(lost.rows))
    now = services.clock()
    # An earlier delivery may have written more anchors before it failed. Those would outlive this
    # write at the positions it does not reach.
    store.delete_set(message.scope, job.job_id)
    store.put_anchors(message.scope, job.job_id, records, now + DATA_TTL)
    anchor_set = AnchorSet(
        set_id=job.job_id,
        source="detailed",
        built_at=now,
        anchors_total=live.total,
        anchors_stored=len(records),
        truncated=live.truncated,
        lost_anchors_total=lost.total,
        lost_truncated=lost.truncated,
        job_id=job.job_id,
    )

    previous = store.switch_detailed(message.scope, anchor_set, now + DATA_TTL)
    if previous is False:
        store.delete_set(message.scope, job.job_id)
        jobs.fail_job(services, job, "another anchors pull replaced this one, so its data was not used")
        return
    if previous is not None and previous.set_id != anchor_set.set_id:
        store.delete_set(message.scope, previous.set_id)

    result = {
        "anchors_total": live.total,
        "anchors_stored": len(records),
        "truncated": anchor_set.truncated,
        "lost_anchors": sum(1 for record in records if record.lost),
        "lost_anchors_total": lost.total,
        "lost_truncated": lost.truncated,
        "pages": live.pages + lost.pages,
    }
    services.store.merge_job_result(job.team_id, job.job_id, result, now)
    services.store.set_job_steps(job.team_id, job.job_id, total=1, done=1, now=now)
    services.store.finish_job(job.team_id, job.job_id, JobState.DONE, now)
    logger.info("anchors_pulled", extra={"team_id": job.team_id, "job_id": job.job_id, **result})


@dataclass
class Listing:
    rows: list[Anchor] = field(default_factory=list)
    total: int = 0
    pages: int = 0

    @property
    def truncated(self) -> bool:
        return len(self.rows) < self.total


def read_listing(
    services: Services, message: AnchorsMessage, status: str, max_items: int, context: CallContext
) -> Listing:
    """Read a target's anchors of live or of lost links, most backlinks first."""
    listing = Listing()
    for page in services.dataforseo().anchors_pages(
        message.target, max_items=max_items, backlinks_status_type=status, context=context
    ):
        listing.rows.extend(page.items)
        listing.total = page.total_count
        listing.pages += 1
    return listing


def combine_listings(live: list[AnchorRecord], lost: list[AnchorRecord]) -> list[AnchorRecord]:
    """Return the live anchors, then the anchors that have lost links only, marked lost.

    An anchor in both listings still has live links, so only its live counts are kept.
    """
    live_texts = {record.anchor for record in live}
    lost_only = [
        record.model_copy(update={"lost": True}) for record in lost if record.anchor not in live_texts
    ]
    return [
        *(record.model_copy(update={"lost": False, "lost_date": None}) for record in live),
        *lost_only,
    ]


def abandon_pull(services: Services, message: AnchorsMessage, reason: str) -> None:
    """Fail the job with the reason users read and free the scope for another pull."""
    job = services.store.get_job(message.team_id, message.job_id)
    if job is not None:
        jobs.fail_job(services, job, reason)
    anchor_store(services).release_pull(message.scope, message.job_id)


# --- the heuristic set of a project's full refresh --------------------------------------------------


@dataclass
class _LinkGroup:
    backlinks: int = 0
    pages: int = 0
    nofollow_pages: int = 0
    domains: set[str] = field(default_factory=set)
    nofollow_domains: set[str] = field(default_factory=set)
    first_seen: datetime | None = None
    rank: int = 0
    score_sum: int = 0
    scored_links: int = 0


class LinkAnchorAggregator:
    """Aggregates a generation's stored backlinks by anchor text, one link at a time."""

    def __init__(self) -> None:
        self._groups: dict[str, _LinkGroup] = {}
        self.links = 0

    def add(self, link: StoredLink) -> None:
        self.links += 1
        group = self._groups.setdefault(collapse_whitespace(link.anchor), _LinkGroup())
        group.backlinks += link.links_count
        group.pages += 1
        group.domains.add(link.domain_from)
        if not link.dofollow:
            group.nofollow_pages += 1
            group.nofollow_domains.add(link.domain_from)
        if link.first_seen is not None and (group.first_seen is None or link.first_seen < group.first_seen):
            group.first_seen = link.first_seen
        group.rank = max(group.rank, link.rank)
        if link.spam_score is not None:
            group.score_sum += link.spam_score
            group.scored_links += 1

    @property
    def distinct_anchors(self) -> int:
        return len(self._groups)

    def records(self, limit: int = MAX_ANCHORS) -> list[AnchorRecord]:
        """Return the `limit` anchors with the most backlinks, most first."""
        records = [
            AnchorRecord(
                anchor=text,
                backlinks=group.backlinks,
                referring_domains=len(group.domains),
                nofollow_referring_domains=len(group.nofollow_domains),
                referring_pages=group.pages,
                nofollow_referring_pages=group.nofollow_pages,
                first_seen=group.first_seen,
                spam_score=round(group.score_sum / group.scored_links) if group.scored_links else None,
                rank=group.rank,
            )
            for text, group in self._groups.items()
        ]
        records.sort(key=lambda record: (-record.backlinks, record.anchor))
        return records[:limit]


def heuristic_set_id(generation: str) -> str:
    return f"links-{generation}"


def write_heuristic_set(
    services: Services, scope: Scope, generation: str, aggregator: LinkAnchorAggregator
) -> AnchorSet:
    """Store the anchors of a generation's links. Reports use the set once publish_heuristic_set names it."""
    now = services.clock()
    records = aggregator.records()
    set_id = heuristic_set_id(generation)
    anchor_store(services).put_anchors(scope, set_id, records, now + DATA_TTL)
    return AnchorSet(
        set_id=set_id,
        source="heuristic",
        built_at=now,
        anchors_total=aggregator.distinct_anchors,
        anchors_stored=len(records),
        truncated=aggregator.distinct_anchors > len(records),
        generation=generation,
        links_counted=aggregator.links,
    )


def publish_heuristic_set(services: Services, scope: Scope, anchor_set: AnchorSet) -> None:
    """Make a written heuristic set the one reports use (when no detailed set exists) and delete the old one."""
    store = anchor_store(services)
    previous = store.put_heuristic(scope, anchor_set, anchor_set.built_at + DATA_TTL)
    if previous is not None and previous.set_id != anchor_set.set_id:
        store.delete_set(scope, previous.set_id)


def discard_heuristic_set(services: Services, scope: Scope, generation: str) -> None:
    anchor_store(services).delete_set(scope, heuristic_set_id(generation))


# --- reports ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportQuery:
    keywords: tuple[str, ...] = ()
    brand_terms: tuple[str, ...] = ()
    anchor_class: str | None = None
    include_lost: bool = False
    limit: int = 100
    cursor: str | None = None


def check_choice(name: str, value: str | None, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        raise InvalidParameterError(name, value, f"expected one of {', '.join(allowed)}")


def _classified(
    services: Services, scope: Scope, anchor_set: AnchorSet, classifier: Classifier, include_lost: bool
) -> Iterator[tuple[AnchorRecord, str]]:
    for record in anchor_store(services).iter_anchors(scope, anchor_set.set_id):
        if include_lost or record.is_active:
            yield record, classifier.classify(record.anchor)


def class_summary(rows: list[tuple[AnchorRecord, str]]) -> list[dict]:
    """Count anchors, backlinks, referring domains and pages per class, every class listed.

    A domain or page that links with anchors of two classes counts in both, so the per-class
    referring domains can add up to more than the target has.
    """
    total_backlinks = sum(record.backlinks for record, _ in rows)
    summary = []
    for name in ANCHOR_CLASSES:
        members = [record for record, anchor_class in rows if anchor_class == name]
        backlinks = sum(record.backlinks for record in members)
        summary.append(
            {
                "class": name,
                "anchors": len(members),
                "backlinks": backlinks,
                "referring_domains": sum(record.referring_domains for record in members),
                "referring_pages": sum(record.referring_pages for record in members),
                "share_of_backlinks": round(backlinks / total_backlinks, 4) if total_backlinks else 0.0,
                "share_of_anchors": round(len(members) / len(rows), 4) if rows else 0.0,
            }
        )
    return summary


def anchor_view(record: AnchorRecord, anchor_class: str) -> dict:
    return {
        "anchor": record.anchor,
        "class": anchor_class,
        "backlinks": record.backlinks,
        "referring_domains": record.referring_domains,
        "dofollow_referring_domains": record.dofollow_referring_domains,
        "nofollow_referring_domains": record.nofollow_referring_domains,
        "referring_pages": record.referring_pages,
        "dofollow_referring_pages": record.dofollow_referring_pages,
        "nofollow_referring_pages": record.nofollow_referring_pages,
        "first_seen": record.first_seen.isoformat() if record.first_seen else None,
        "lost_date": record.lost_date.isoformat() if record.lost_date else None,
        "is_active": record.is_active,
        "spam_score": record.spam_score,
        "rank": record.rank,
        "variants": record.variants,
    }


def set_view(anchor_set: AnchorSet | None) -> dict | None:
    if anchor_set is None:
        return None
    return {
        "built_at": anchor_set.built_at.isoformat(),
        "anchors_total": anchor_set.anchors_total,
        "anchors_stored": anchor_set.anchors_stored,
        "truncated": anchor_set.truncated,
        "lost_anchors_total": anchor_set.lost_anchors_total,
        "lost_truncated": anchor_set.lost_truncated,
        "job_id": anchor_set.job_id,
        "generation": anchor_set.generation,
        "links_counted": anchor_set.links_counted,
    }


def anchor_report(services: Services, scope: Scope, target: str, query: ReportQuery) -> dict:
    """Return the anchor classes and one page of anchors, from the detailed set when there is one."""
    check_choice("anchor_class", query.anchor_class, ANCHOR_CLASSES)
    classifier = Classifier.for_target(target, keywords=query.keywords, brand_terms=query.brand_terms)
    state = anchor_store(services).get_state(scope)
    current = state.current(services.clock() - DATA_TTL)
    body = {
        "target": target,
        "source": current.source if current else "none",
        "data": set_view(current),
        "refresh_in_progress": state.active_job_id,
        "keywords": list(classifier.keywords),
        "brand_terms": list(classifier.brand_terms),
        "include_lost": query.include_lost,
        "anchor_class": query.anchor_class,
    }
    if current is None:
        return {
            **body,
            "classes": class_summary([]),
            "items": [],
            "next_cursor": None,
            "message": f"no anchor data for {target} yet: {refresh_hint(scope, target)}",
        }

    # NOTE: every report reads the whole set (at most 11,000 items, a few Query pages) because the
    # classes depend on the request's keywords. A larger cap would need stored classes or an index.
    rows = list(_classified(services, scope, current, classifier, query.include_lost))
    selected = [row for row in rows if query.anchor_class is None or row[1] == query.anchor_class]
    listing_pk = listing_key(scope, current, classifier, query)
    offset = 0
    if query.cursor:
        offset = decode_cursor(query.cursor, listing_pk).get("offset")
        if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
            raise InvalidParameterError("cursor", query.cursor, "not a cursor returned by this API")
    page = selected[offset : offset + query.limit]
    end = offset + len(page)
    next_cursor = encode_cursor({"pk": listing_pk, "offset": end}) if end < len(selected) else None
    return {
        **body,
        "classes": class_summary(rows),
        "items": [anchor_view(record, anchor_class) for record, anchor_class in page],
        "next_cursor": next_cursor,
    }


def overview(services: Services, scope: Scope) -> dict:
    """Return the source and set of a lookup's or a project's anchors, without reading the anchors."""
    state = anchor_store(services).get_state(scope)
    current = state.current(services.clock() - DATA_TTL)
    return {
        "source": current.source if current else "none",
        "data": set_view(current),
        "refresh_in_progress": state.active_job_id,
    }


def listing_key(scope: Scope, anchor_set: AnchorSet, classifier: Classifier, query: ReportQuery) -> str:
    """Name the listing a cursor belongs to: the set and every parameter that selects or classifies."""
    selection = json.dumps(
        [classifier.keywords, classifier.brand_terms, query.anchor_class, query.include_lost],
        ensure_ascii=False,
    )
    digest = hashlib.sha256(selection.encode()).hexdigest()[:16]
    return f"{scope.kind.value}#{scope.key}#{anchor_set.set_id}#{digest}"


def refresh_hint(scope: Scope, target: str) -> str:
    if scope.kind is ScopeKind.PROJECT:
        return f"POST /v1/backlinks/{scope.key}/anchors/refresh pulls them from DataForSEO"
    return f"POST /v1/backlinks/by-domain/{target}/anchors/refresh pulls them from DataForSEO"


def export_anchors(services: Services, scope: Scope, target: str, query: ReportQuery, fmt: str) -> dict:
    """Write every selected anchor (not one page) to a CSV or Excel file, with anchor texts as text."""
    check_choice("anchor_class", query.anchor_class, ANCHOR_CLASSES)
    classifier = Classifier.for_target(target, keywords=query.keywords, brand_terms=query.brand_terms)
    current = anchor_store(services).get_state(scope).current(services.clock() - DATA_TTL)
    if current is None:
        raise EmptyExportError(
            f"no anchor data for {target} yet: {refresh_hint(scope, target)}", target=target
        )
    rows = [
        (record, anchor_class)
        for record, anchor_class in _classified(services, scope, current, classifier, query.include_lost)
        if query.anchor_class is None or anchor_class == query.anchor_class
    ]
    if not rows:
        raise EmptyExportError(
            f"no anchors of {target} match this selection: choose another anchor_class or set include_lost",
            target=target,
        )

    def row_tuples() -> Iterator[tuple]:
        for record, anchor_class in rows:
            view = anchor_view(record, anchor_class)
            yield tuple(view[field_name] for _, field_name in EXPORT_COLUMNS)

    headers = tuple(header for header, _ in EXPORT_COLUMNS)
    content = spreadsheet_content(row_tuples(), headers, fmt, sheet_name="Anchors")
    filename = f"anchors-{display_name(target)}-{services.clock().date().isoformat()}.{fmt}"
    counts = {"entries": len(rows), "lines": len(rows) + 1, "bytes": len(content)}
    download = publish_spreadsheet(
        services,
        scope,
        target,
        fmt=fmt,
        filename=filename,
        content=content,
        record={"kind": "anchors", "source": current.source, "set_id": current.set_id, **counts},
    )
    return {
        "url": download.url,
        "expires_at": download.expires_at.isoformat(),
        "format": fmt,
        "filename": filename,
        "source": current.source,
        "data_built_at": current.built_at.isoformat(),
        **counts,
    }
