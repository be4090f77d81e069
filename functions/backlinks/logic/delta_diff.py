"""The delta diff: compare a pull of changed backlinks with the stored ones and derive events.

Pure and in memory, so it can be tested with hypothesis and measured without DynamoDB.
"""

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from backlinks.models.projects import Event, EventType, StoredLink


def link_id(url_from: str, url_to: str) -> str:
    """Identify a backlink by its referring page and the linked URL (one vendor row per page)."""
    return hashlib.blake2b(f"{url_from}\x1f{url_to}".encode(), digest_size=12).hexdigest()


def event_id(link: StoredLink, event_type: EventType, change: str, at: datetime) -> str:
    """Hash of the change, so the same change processed twice gets the same id (and item key)."""
    text = f"{link.url_from}\x1f{link.url_to}\x1f{event_type.value}\x1f{change}\x1f{at.isoformat()}"
    return hashlib.blake2b(text.encode(), digest_size=10).hexdigest()


@dataclass
class DeltaResult:
    events: list[Event] = field(default_factory=list)
    links_to_store: list[StoredLink] = field(default_factory=list)
    # Attribute differences on pages with several links to the target: the vendor returns one of
    # them, so a difference can come from picking another duplicate and is not reported as an event.
    uncertain_changes: int = 0
    unknown_lost: int = 0


def _event(link: StoredLink, event_type: EventType, at: datetime, change: str = "", changes=None) -> Event:
    return Event(
        event_id=event_id(link, event_type, change, at),
        type=event_type,
        at=at,
        link_id=link.link_id,
        url_from=link.url_from,
        url_to=link.url_to,
        domain_from=link.domain_from,
        anchor=link.anchor,
        dofollow=link.dofollow,
        changes=changes or {},
    )


def attribute_changes(before: StoredLink, after: StoredLink) -> dict[str, dict[str, object]]:
    changes: dict[str, dict[str, object]] = {}
    if before.dofollow != after.dofollow:
        changes["dofollow"] = {"before": before.dofollow, "after": after.dofollow}
    if (before.anchor or "") != (after.anchor or ""):
        changes["anchor"] = {"before": before.anchor, "after": after.anchor}
    return changes


def diff_links(
    stored: Mapping[str, StoredLink],
    live_rows: Iterable[tuple[StoredLink, datetime]],
    lost_rows: Iterable[tuple[StoredLink, datetime]],
) -> DeltaResult:
    """Derive events from rows first seen (or re-indexed) and rows lost since the last pull.

    Each row comes with the vendor time of its change. `stored` contains at least the stored links of
    every row's id. A row that matches the stored state yields nothing, so a repeated pull adds no
    events. Live rows are applied before lost rows: a link gained and lost between two pulls yields
    both events.
    """
    result = DeltaResult()
    current: dict[str, StoredLink] = {}

    def known(identifier: str) -> StoredLink | None:
        return current.get(identifier) or stored.get(identifier)

    for row, at in live_rows:
        before = known(row.link_id)
        if before is not None and not before.is_active and at <= before.lost_at:
            # Seen before it was lost: the loss is the newer fact, so this is no regain.
            continue
        if before is None or not before.is_active:
            result.events.append(_event(row, EventType.GAINED, at))
            current[row.link_id] = row
            continue
        changes = attribute_changes(before, row)
        if not changes:
            continue
        updated = before.model_copy(
            update={"dofollow": row.dofollow, "anchor": row.anchor, "links_count": row.links_count}
        )
        current[row.link_id] = updated
        if before.links_count > 1 or row.links_count > 1:
            result.uncertain_changes += 1
            continue
        change = ";".join(f"{name}={values['after']}" for name, values in sorted(changes.items()))
        result.events.append(_event(updated, EventType.ATTRIBUTE_CHANGED, at, change, changes))

    for row, at in lost_rows:
        before = known(row.link_id)
        if before is None:
            result.unknown_lost += 1
            continue
        if not before.is_active:
            continue
        lost = before.model_copy(update={"lost_at": at})
        current[row.link_id] = lost
        result.events.append(_event(lost, EventType.LOST, at))

    result.links_to_store = list(current.values())
    return result
