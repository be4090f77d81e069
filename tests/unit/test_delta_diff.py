"""The delta diff: gained, lost and attribute_changed events, idempotency and the duplicate caveat."""

from datetime import UTC, datetime

import pytest

from backlinks.logic.delta_diff import diff_links, link_id
from backlinks.models.projects import StoredLink

pytestmark = pytest.mark.usefixtures("socket_disabled")

T1 = datetime(2026, 11, 2, tzinfo=UTC)
T2 = datetime(2026, 11, 3, tzinfo=UTC)


def link(
    page: int, *, dofollow: bool = True, anchor: str = "a", links_count: int = 1, lost_at=None
) -> StoredLink:
    url_from = f"https://ref.example/{page}/"
    return StoredLink(
        link_id=link_id(url_from, "https://target.example/"),
        url_from=url_from,
        url_to="https://target.example/",
        domain_from="ref.example",
        anchor=anchor,
        dofollow=dofollow,
        links_count=links_count,
        lost_at=lost_at,
    )


def test_new_link_is_gained():
    result = diff_links({}, [(link(1), T1)], [])

    assert [e.type.value for e in result.events] == ["gained"]
    assert result.links_to_store == [link(1)]


def test_stored_link_lost():
    stored = {link(1).link_id: link(1)}
    result = diff_links(stored, [], [(link(1), T2)])

    assert [e.type.value for e in result.events] == ["lost"]
    assert result.links_to_store[0].lost_at == T2


def test_dofollow_flip_is_attribute_changed():
    stored = {link(1).link_id: link(1)}
    result = diff_links(stored, [(link(1, dofollow=False), T2)], [])

    (event,) = result.events
    assert event.type.value == "attribute_changed"
    assert event.changes == {"dofollow": {"before": True, "after": False}}


def test_change_on_duplicate_page_not_event():
    stored = {link(1).link_id: link(1, links_count=2)}
    result = diff_links(stored, [(link(1, anchor="b", links_count=2), T2)], [])

    assert result.events == []
    assert result.uncertain_changes == 1
    assert result.links_to_store[0].anchor == "b"


def test_repeated_pull_adds_nothing():
    stored = {link(1).link_id: link(1)}
    first = diff_links(stored, [(link(2), T1), (link(1, dofollow=False), T2)], [(link(1), T2)])
    stored.update({item.link_id: item for item in first.links_to_store})

    second = diff_links(stored, [(link(2), T1), (link(1, dofollow=False), T2)], [(link(1), T2)])

    assert len(first.events) == 3
    assert second.events == []


def test_unknown_lost_is_counted():
    result = diff_links({}, [], [(link(9), T2)])

    assert result.events == []
    assert result.unknown_lost == 1
