"""Request validation, filtering, sorting, paging and item rendering for each emulated endpoint.

``run_task`` turns one posted task into the ``result`` array of the vendor's response, or raises
``TaskError`` with the vendor's status code. Everything here is a pure function of the task, the
emulated day and the data in ``dataset``; listings are cached per (target, day, query).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from infra.local.emulator import dataset
from infra.local.emulator.dataset import BacklinkRow, ReferringDomainRecord, TargetProfile, format_vendor_time

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
MAX_BACKLINKS_OFFSET = 20_000
MAX_BULK_TARGETS = 1000
MAX_FILTER_CONDITIONS = 8
MAX_ORDER_RULES = 3
TIMESERIES_MIN_DATE = date(2019, 1, 30)

Row = Any
FieldGetter = Callable[[Row], Any]


class TaskError(Exception):
    """A task the vendor would reject, with the vendor's status code and message."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def invalid_field(name: str, detail: str = "") -> TaskError:
    message = f"Invalid Field: '{name}'."
    return TaskError(40501, f"{message} {detail}" if detail else message)


# --- shared request parsing -------------------------------------------------------------------------


def _normalize_target(value: str) -> str:
    text = value.strip().lower()
    if "://" in text:
        text = urlsplit(text).hostname or ""
    return text.removeprefix("www.").rstrip(".")


def parse_target(task: dict[str, Any]) -> str:
    value = task.get("target")
    if not isinstance(value, str) or not _normalize_target(value):
        raise invalid_field("target", "The target must be a domain, subdomain or URL.")
    return _normalize_target(value)


def _parse_int(task: dict[str, Any], name: str, default: int, low: int, high: int | None) -> int:
    value = task.get(name, default)
    if value is None:
        return default
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < low
        or (high is not None and value > high)
    ):
        upper = f" and {high}" if high is not None else " or more"
        raise invalid_field(name, f"The value must be an integer between {low}{upper}.")
    return value


def parse_limit(task: dict[str, Any]) -> int:
    return _parse_int(task, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)


def parse_status_type(task: dict[str, Any]) -> str:
    value = task.get("backlinks_status_type") or "live"
    if value not in ("live", "lost", "all"):
        raise invalid_field("backlinks_status_type", "Expected live, lost or all.")
    return value


def parse_order_by(
    task: dict[str, Any], fields: dict[str, FieldGetter], default: str
) -> list[tuple[str, bool]]:
    """Return (field, descending) pairs from ``order_by`` such as ``["rank,desc"]``."""
    rules = task.get("order_by") or [default]
    if not isinstance(rules, list) or len(rules) > MAX_ORDER_RULES:
        raise invalid_field("order_by", f"Expected a list of at most {MAX_ORDER_RULES} rules.")
    parsed = []
    for rule in rules:
        parts = rule.split(",") if isinstance(rule, str) else []
        if len(parts) != 2 or parts[0].strip() not in fields or parts[1].strip() not in ("asc", "desc"):
            raise invalid_field("order_by", f"Invalid rule {rule!r}; use '<field>,asc' or '<field>,desc'.")
        parsed.append((parts[0].strip(), parts[1].strip() == "desc"))
    return parsed


# --- filters ----------------------------------------------------------------------------------------

_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "<>": lambda a, b: a != b,
    ">": lambda a, b: a is not None and a > b,
    "<": lambda a, b: a is not None and a < b,
    ">=": lambda a, b: a is not None and a >= b,
    "<=": lambda a, b: a is not None and a <= b,
}
_LIST_OPERATORS = ("in", "not_in")
_LIKE_OPERATORS = ("like", "not_like", "ilike", "not_ilike")


def _like_pattern(value: str, ignore_case: bool) -> re.Pattern[str]:
    wildcards = {"%": ".*", "_": "."}
    parts = (wildcards.get(char) or re.escape(char) for char in value)
    return re.compile("".join(parts), re.IGNORECASE if ignore_case else 0)


def _coerce(value: Any, sample_is_datetime: bool) -> Any:
    if sample_is_datetime and isinstance(value, str):
        try:
            return dataset.parse_vendor_time(value)
        except ValueError:
            raise invalid_field(
                "filters", f"Invalid date {value!r}; use 'yyyy-mm-dd hh:mm:ss +00:00'."
            ) from None
    return value


def _compile_condition(condition: list[Any], fields: dict[str, FieldGetter], datetime_fields: set[str]):
    field, operator, value = condition
    if field not in fields:
        raise invalid_field("filters", f"Unknown filter field {field!r}.")
    getter = fields[field]
    is_datetime = field in datetime_fields
    if operator in _COMPARISONS:
        compare = _COMPARISONS[operator]
        expected = _coerce(value, is_datetime)
        return lambda row: compare(getter(row), expected)
    if operator in _LIST_OPERATORS:
        if not isinstance(value, list):
            raise invalid_field("filters", f"The operator {operator!r} needs a list value.")
        members = {_coerce(item, is_datetime) for item in value}
        negate = operator == "not_in"
        return lambda row: (getter(row) in members) != negate
    if operator in _LIKE_OPERATORS:
        if not isinstance(value, str):
            raise invalid_field("filters", f"The operator {operator!r} needs a string value.")
        pattern = _like_pattern(value, ignore_case=operator.endswith("ilike"))
        negate = operator.startswith("not_")
        return lambda row: (
            (getter(row) is not None and pattern.fullmatch(str(getter(row))) is not None) != negate
        )
    raise invalid_field("filters", f"Unknown filter operator {operator!r}.")


def _is_condition(item: Any) -> bool:
    return (
        isinstance(item, list)
        and len(item) == 3
        and isinstance(item[0], str)
        and item[0] not in ("and", "or")
    )


def compile_filters(
    filters: Any, fields: dict[str, FieldGetter], datetime_fields: set[str]
) -> Callable[[Row], bool] | None:
    """Compile the vendor's filter form into a predicate; ``and`` binds tighter than ``or``."""
    if not filters:
        return None
    if not isinstance(filters, list):
        raise invalid_field("filters", "Expected a list.")
    count = [0]

    def compile_expression(expression: list[Any]) -> Callable[[Row], bool]:
        if _is_condition(expression):
            count[0] += 1
            return _compile_condition(expression, fields, datetime_fields)
        if not expression or len(expression) % 2 == 0:
            raise invalid_field("filters", "Conditions must be joined by 'and' or 'or'.")
        groups: list[list[Callable[[Row], bool]]] = [[compile_expression(expression[0])]]
        for connector, operand in zip(expression[1::2], expression[2::2], strict=True):
            if connector not in ("and", "or") or not isinstance(operand, list):
                raise invalid_field("filters", "Conditions must be joined by 'and' or 'or'.")
            if connector == "or":
                groups.append([])
            groups[-1].append(compile_expression(operand))
        return lambda row: any(all(predicate(row) for predicate in group) for group in groups)

    predicate = compile_expression(filters)
    if count[0] > MAX_FILTER_CONDITIONS:
        raise invalid_field("filters", f"At most {MAX_FILTER_CONDITIONS} filters are allowed.")
    return predicate


def sort_rows(
    rows: list[Row], order: Sequence[tuple[str, bool]], fields: dict[str, FieldGetter]
) -> list[Row]:
    """Sort by each rule in turn; None sorts lowest, and the input order breaks ties."""
    result = list(rows)
    for field, descending in reversed(order):
        getter = fields[field]

        def key(row: Row, getter: FieldGetter = getter) -> tuple[bool, Any]:
            value = getter(row)
            return (value is not None, value if value is not None else 0)

        result.sort(key=key, reverse=descending)
    return result


# --- cached listings --------------------------------------------------------------------------------


class _ListingCache:
    """A small thread-safe LRU of filtered and sorted listings."""

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._items: OrderedDict[tuple[Any, ...], list[Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_build(self, key: tuple[Any, ...], build: Callable[[], list[Any]]) -> list[Any]:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = build()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value


_listings = _ListingCache()


def _query_key(*parts: Any) -> tuple[Any, ...]:
    return tuple(json.dumps(part, sort_keys=True, default=str) for part in parts)


# --- referring_domains ------------------------------------------------------------------------------

_DOMAIN_FIELDS: dict[str, FieldGetter] = {
    "domain": lambda record: record.domain,
    "rank": lambda record: record.rank,
    "backlinks": lambda record: record.backlinks,
    "first_seen": lambda record: record.first_seen,
    "lost_date": lambda record: record.lost_date,
    "backlinks_spam_score": lambda record: record.spam_score,
    "referring_pages": lambda record: record.referring_pages,
    "referring_pages_nofollow": lambda record: record.referring_pages_nofollow,
}
_DOMAIN_DATETIME_FIELDS = {"first_seen", "lost_date"}


def _image_links(record: ReferringDomainRecord) -> int:
    data = record.page_bytes
    return sum(
        dataset.links_count_of(data[3 * page + 2])
        for page in range(record.referring_pages)
        if dataset.anchor_class_of(data[3 * page + 1]) == "empty"
    )


def _nofollow_links(record: ReferringDomainRecord, dofollow_share: float) -> int:
    data = record.page_bytes
    threshold = dofollow_share * 256
    return sum(
        dataset.links_count_of(data[3 * page + 2])
        for page in range(record.referring_pages)
        if data[3 * page] >= threshold
    )


def render_referring_domain(record: ReferringDomainRecord, profile: TargetProfile) -> dict[str, Any]:
    image_links = _image_links(record)
    nofollow_links = _nofollow_links(record, profile.dofollow_ratio)
    attributes = {"nofollow": nofollow_links} if nofollow_links else None
    links_types = {"anchor": record.backlinks - image_links}
    if image_links:
        links_types["image"] = image_links
    return {
        "type": "backlinks_referring_domain",
        "domain": record.domain,
        "rank": record.rank,
        "backlinks": record.backlinks,
        "first_seen": format_vendor_time(record.first_seen),
        "lost_date": format_vendor_time(record.lost_date) if record.lost_date else None,
        "backlinks_spam_score": record.spam_score,
        "broken_backlinks": 0,
        "broken_pages": 0,
        "referring_domains": 1,
        "referring_domains_nofollow": 1 if record.referring_pages_nofollow else 0,
        "referring_main_domains": 1,
        "referring_main_domains_nofollow": 1 if record.referring_pages_nofollow else 0,
        "referring_ips": 1,
        "referring_subnets": 1,
        "referring_pages": record.referring_pages,
        "referring_pages_nofollow": record.referring_pages_nofollow,
        "referring_links_tld": {dataset.tld_of(record.domain): record.backlinks},
        "referring_links_types": links_types,
        "referring_links_attributes": attributes,
        "referring_links_platform_types": {record.platform: record.backlinks},
        "referring_links_semantic_locations": {"": record.backlinks},
        "referring_links_countries": {record.country: record.backlinks},
    }


def referring_domains(task: dict[str, Any], day: int) -> tuple[list[dict[str, Any]], int]:
    target = parse_target(task)
    limit = parse_limit(task)
    offset = _parse_int(task, "offset", 0, 0, None)
    status_type = parse_status_type(task)
    order = parse_order_by(task, _DOMAIN_FIELDS, "rank,desc")
    predicate = compile_filters(task.get("filters"), _DOMAIN_FIELDS, _DOMAIN_DATETIME_FIELDS)
    profile = dataset.target_profile(target, day)

    def build() -> list[Any]:
        records = [profile.domains[i] for i in profile.domain_indexes(status_type)]
        if predicate is not None:
            records = [record for record in records if predicate(record)]
        return sort_rows(records, order, _DOMAIN_FIELDS)

    key = ("referring_domains", target, day, *_query_key(status_type, order, task.get("filters")))
    listing = _listings.get_or_build(key, build)
    page = listing[offset : offset + limit]
    items = [render_referring_domain(record, profile) for record in page]
    result = {"target": target, "total_count": len(listing), "items_count": len(items), "items": items}
    return [result], len(items)


# --- backlinks --------------------------------------------------------------------------------------


def _backlink_fields(profile: TargetProfile) -> dict[str, FieldGetter]:
    domains = profile.domains
    today = profile.today

    def last_seen(row: BacklinkRow) -> datetime:
        lost_date = domains[row.domain_index].lost_date
        return lost_date if lost_date is not None else today - timedelta(hours=1 + row.links_draw % 23)

    return {
        "domain_from": lambda row: domains[row.domain_index].domain,
        "first_seen": lambda row: row.first_seen,
        "last_seen": last_seen,
        "lost_date": lambda row: domains[row.domain_index].lost_date,
        "is_lost": lambda row: domains[row.domain_index].lost_date is not None,
        "dofollow": lambda row: row.dofollow,
        "rank": lambda row: row.page_rank,
        "page_from_rank": lambda row: row.page_rank,
        "domain_from_rank": lambda row: domains[row.domain_index].rank,
        "backlink_spam_score": lambda row: domains[row.domain_index].spam_score,
        "links_count": lambda row: row.links_count,
        "anchor": lambda row: row_anchor(profile, row),
        "item_type": lambda row: "image" if dataset.anchor_class_of(row.anchor_draw) == "empty" else "anchor",
    }


_BACKLINK_DATETIME_FIELDS = {"first_seen", "last_seen", "lost_date"}
_BACKLINK_MODES = ("as_is", "one_per_domain", "one_per_anchor")
_URL_TO_PATHS = ("", "blog/", "pricing/", "about/", "features/", "blog/getting-started/")


def _encode_token(position: int, signature: str) -> str:
    raw = json.dumps({"position": position, "query": signature}).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii")


def _decode_token(token: Any, signature: str) -> int:
    try:
        payload = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
        position = payload["position"]
        query = payload["query"]
    except (ValueError, KeyError, TypeError, AttributeError):
        raise invalid_field("search_after_token", "The token is not one this API returned.") from None
    if query != signature or not isinstance(position, int) or position < 0:
        raise invalid_field(
            "search_after_token", "The token belongs to another query; repeat the original parameters."
        )
    return position


def render_backlink(
    row: BacklinkRow, profile: TargetProfile, fields: dict[str, FieldGetter]
) -> dict[str, Any]:
    record = profile.domains[row.domain_index]
    anchor_class = dataset.anchor_class_of(row.anchor_draw)
    is_image = anchor_class == "empty"
    words = dataset.WORDS
    slug = f"{words[(row.anchor_draw * 31 + row.page) % len(words)]}-{words[row.links_draw % len(words)]}"
    url_from = f"https://{record.domain}/{slug}-{row.page + 1}/"
    url_to = f"https://{profile.target}/{_URL_TO_PATHS[row.links_draw % len(_URL_TO_PATHS)]}"
    attributes = None if row.dofollow else ["nofollow"]
    lost = record.lost_date is not None
    return {
        "type": "backlink",
        "domain_from": record.domain,
        "url_from": url_from,
        "url_from_https": True,
        "domain_to": profile.target,
        "url_to": url_to,
        "url_to_https": True,
        "tld_from": dataset.tld_of(record.domain),
        "is_new": dataset.is_new_on(row.first_seen, profile.day),
        "is_lost": lost,
        "backlink_spam_score": record.spam_score,
        "rank": row.page_rank,
        "page_from_rank": row.page_rank,
        "domain_from_rank": record.rank,
        "domain_from_platform_type": [record.platform],
        "domain_from_is_ip": False,
        "domain_from_ip": f"203.0.113.{row.domain_index % 254 + 1}",
        "domain_from_country": record.country or None,
        "page_from_external_links": 5 + row.anchor_draw % 60,
        "page_from_internal_links": 10 + row.links_draw % 120,
        "page_from_size": 20_000 + row.anchor_draw * 311,
        "page_from_encoding": "utf-8",
        "page_from_language": "en",
        "page_from_title": slug.replace("-", " ").title(),
        "page_from_status_code": 404 if lost else 200,
        "first_seen": format_vendor_time(row.first_seen),
        "prev_seen": format_vendor_time(fields["last_seen"](row) - timedelta(days=7)),
        "last_seen": format_vendor_time(fields["last_seen"](row)),
        "item_type": "image" if is_image else "anchor",
        "attributes": attributes,
        "dofollow": row.dofollow,
        "original": row.page == 0,
        "alt": "" if is_image else None,
        "image_url": f"https://{record.domain}/images/{slug}.png" if is_image else None,
        "anchor": row_anchor(profile, row),
        "text_pre": None,
        "text_post": None,
        "semantic_location": "article",
        "links_count": row.links_count,
        "group_count": 0,
        "is_broken": False,
        "url_to_status_code": 200,
        "url_to_spam_score": dataset.spam_score(profile.target),
        "url_to_redirect_target": None,
        "ranked_keywords_info": {
            "page_from_keywords_count_top_3": 0,
            "page_from_keywords_count_top_10": row.anchor_draw % 3,
            "page_from_keywords_count_top_100": row.anchor_draw % 17,
        },
        "is_indirect_link": False,
        "indirect_link_path": None,
    }


def backlinks(task: dict[str, Any], day: int) -> tuple[list[dict[str, Any]], int]:
    target = parse_target(task)
    limit = parse_limit(task)
    offset = _parse_int(task, "offset", 0, 0, None)
    if offset > MAX_BACKLINKS_OFFSET:
        raise invalid_field(
            "offset", f"The maximum offset is {MAX_BACKLINKS_OFFSET}; use search_after_token to read further."
        )
    status_type = parse_status_type(task)
    mode = task.get("mode") or "as_is"
    if mode not in _BACKLINK_MODES:
        raise invalid_field("mode", "Expected as_is, one_per_domain or one_per_anchor.")
    profile = dataset.target_profile(target, day)
    fields = _backlink_fields(profile)
    order = parse_order_by(task, fields, "rank,desc")
    predicate = compile_filters(task.get("filters"), fields, _BACKLINK_DATETIME_FIELDS)
    query = _query_key(status_type, mode, order, task.get("filters"))
    signature = hashlib.blake2b("\x1f".join((target, *query)).encode(), digest_size=8).hexdigest()

    def build() -> list[Any]:
        selected = set(profile.domain_indexes(status_type)) if status_type != "all" else None
        rows = [row for row in profile.backlink_rows() if selected is None or row.domain_index in selected]
        if predicate is not None:
            rows = [row for row in rows if predicate(row)]
        rows = sort_rows(rows, order, fields)
        if mode != "as_is":
            group_key = fields["domain_from"] if mode == "one_per_domain" else fields["anchor"]
            seen: set[Any] = set()
            unique = []
            for row in rows:
                value = group_key(row)
                if value not in seen:
                    seen.add(value)
                    unique.append(row)
            rows = unique
        return rows

    listing = _listings.get_or_build(("backlinks", target, day, *query), build)
    token = task.get("search_after_token")
    start = _decode_token(token, signature) if token else offset
    page = listing[start : start + limit]
    end = start + len(page)
    items = [render_backlink(row, profile, fields) for row in page]
    result = {
        "target": target,
        "mode": mode,
        "custom_mode": None,
        "total_count": len(listing),
        "items_count": len(items),
        "items": items,
        "search_after_token": _encode_token(end, signature) if end < len(listing) else None,
    }
    return [result], len(items)


# --- summary ----------------------------------------------------------------------------------------


def _top(counter: Counter[str], limit: int) -> dict[str, int]:
    return dict(counter.most_common(limit))


def summary(task: dict[str, Any], day: int) -> tuple[list[dict[str, Any]], int]:
    target = parse_target(task)
    status_type = parse_status_type(task)
    list_limit = _parse_int(task, "internal_list_limit", 10, 1, 1000)
    profile = dataset.target_profile(target, day)
    records = [profile.domains[i] for i in profile.domain_indexes(status_type)]

    threshold = profile.dofollow_ratio * 256
    tld, types, attributes, platforms, countries = Counter(), Counter(), Counter(), Counter(), Counter()
    main_domains: set[str] = set()
    main_domains_nofollow: set[str] = set()
    scores = []
    for record in records:
        main = dataset.main_domain(record.domain)
        main_domains.add(main)
        if record.referring_pages_nofollow:
            main_domains_nofollow.add(main)
        if record.spam_score is not None:
            scores.append(record.spam_score)
        tld[dataset.tld_of(record.domain)] += record.backlinks
        platforms[record.platform] += record.backlinks
        countries[record.country] += record.backlinks
        data = record.page_bytes
        for page in range(record.referring_pages):
            links = dataset.links_count_of(data[3 * page + 2])
            is_image = dataset.anchor_class_of(data[3 * page + 1]) == "empty"
            types["image" if is_image else "anchor"] += links
            if data[3 * page] >= threshold:
                attributes["nofollow"] += links
            if data[3 * page + 2] & 1:
                attributes["noopener"] += links

    info_digest = hashlib.blake2b(f"info\x1f{target}".encode(), digest_size=8).digest()
    backlinks_total = sum(record.backlinks for record in records)
    result = {
        "target": target,
        "first_seen": format_vendor_time(min(record.first_seen for record in records)) if records else None,
        "lost_date": None,
        "rank": dataset.target_rank(target),
        "backlinks": backlinks_total,
        "backlinks_spam_score": round(sum(scores) / len(scores)) if scores else 0,
        "crawled_pages": 500 + info_digest[0] * 40,
        "info": {
            "server": ("nginx", "cloudflare", "apache")[info_digest[1] % 3],
            "cms": None,
            "platform_type": ["unknown"],
            "ip_address": f"198.51.100.{info_digest[2] % 254 + 1}",
            "country": "US",
            "is_ip": False,
            "target_spam_score": dataset.spam_score(target),
        },
        "internal_links_count": 10_000 + info_digest[3] * 100,
        "external_links_count": 2_000 + info_digest[4] * 50,
        "broken_backlinks": info_digest[5] % 50,
        "broken_pages": info_digest[6] % 40,
        "referring_domains": len(records),
        "referring_domains_nofollow": sum(1 for record in records if record.referring_pages_nofollow),
        "referring_main_domains": len(main_domains),
        "referring_main_domains_nofollow": len(main_domains_nofollow),
        "referring_ips": round(len(records) * 0.92),
        "referring_subnets": round(len(records) * 0.71),
        "referring_pages": sum(record.referring_pages for record in records),
        "referring_pages_nofollow": sum(record.referring_pages_nofollow for record in records),
        "referring_links_tld": _top(tld, list_limit),
        "referring_links_types": _top(types, list_limit),
        "referring_links_attributes": _top(attributes, list_limit),
        "referring_links_platform_types": _top(platforms, list_limit),
        "referring_links_semantic_locations": {"article": backlinks_total},
        "referring_links_countries": _top(countries, list_limit),
    }
    return [result], 1


# --- anchors ----------------------------------------------------------------------------------------

_ANCHOR_FIELDS: dict[str, FieldGetter] = {
    name: (lambda item, name=name: item[name])
    for name in ("anchor", "rank", "backlinks", "first_seen", "referring_domains", "referring_pages")
}


def _anchor_aggregates(profile: TargetProfile, status_type: str) -> list[dict[str, Any]]:
    selected = set(profile.domain_indexes(status_type))
    groups: dict[str, dict[str, Any]] = {}
    for row in profile.backlink_rows():
        if row.domain_index not in selected:
            continue
        record = profile.domains[row.domain_index]
        text = row_anchor(profile, row)
        group = groups.setdefault(
            text,
            {"anchor": text, "rank": 0, "backlinks": 0, "first_seen": row.first_seen, "domains": set(),
             "nofollow_domains": set(), "referring_pages": 0, "referring_pages_nofollow": 0, "scores": [],
             "lost_dates": []},
        )  # fmt: skip
        group["rank"] = max(group["rank"], row.page_rank)
        group["backlinks"] += row.links_count
        group["first_seen"] = min(group["first_seen"], row.first_seen)
        group["domains"].add(record.domain)
        group["referring_pages"] += 1
        if not row.dofollow:
            group["nofollow_domains"].add(record.domain)
            group["referring_pages_nofollow"] += 1
        if record.spam_score is not None:
            group["scores"].append(record.spam_score)
        group["lost_dates"].append(record.lost_date)
    for group in groups.values():
        group["referring_domains"] = len(group["domains"])
        # Like the vendor: an anchor is lost when every link that carries it is lost.
        lost = group.pop("lost_dates")
        group["lost_date"] = max(lost) if all(lost) else None
    return list(groups.values())


def row_anchor(profile: TargetProfile, row: BacklinkRow) -> str:
    """Return the anchor text of one backlink row.

    On "anchor-edge" targets, some links of lost domains carry an anchor that no live link uses,
    so the anchors listing has anchors whose links are all lost.
    """
    record = profile.domains[row.domain_index]
    if profile.target.startswith("anchor-edge") and record.lost_date is not None and row.links_draw % 2 == 0:
        return dataset.LOST_ONLY_ANCHOR
    return dataset.anchor_text(profile.target, dataset.anchor_class_of(row.anchor_draw), row.links_draw >> 5)


def render_anchor(group: dict[str, Any]) -> dict[str, Any]:
    scores = group["scores"]
    domains = len(group["domains"])
    nofollow_domains = len(group["nofollow_domains"])
    return {
        "type": "backlinks_anchor",
        "anchor": group["anchor"],
        "rank": group["rank"],
        "backlinks": group["backlinks"],
        "first_seen": format_vendor_time(group["first_seen"]),
        "lost_date": format_vendor_time(group["lost_date"]) if group["lost_date"] else None,
        "backlinks_spam_score": round(sum(scores) / len(scores)) if scores else None,
        "broken_backlinks": 0,
        "broken_pages": 0,
        "referring_domains": domains,
        "referring_domains_nofollow": nofollow_domains,
        "referring_main_domains": domains,
        "referring_main_domains_nofollow": nofollow_domains,
        "referring_ips": domains,
        "referring_subnets": domains,
        "referring_pages": group["referring_pages"],
        "referring_pages_nofollow": group["referring_pages_nofollow"],
        "referring_links_tld": None,
        "referring_links_types": None,
        "referring_links_attributes": None,
        "referring_links_platform_types": None,
        "referring_links_semantic_locations": None,
        "referring_links_countries": None,
    }


def anchors(task: dict[str, Any], day: int) -> tuple[list[dict[str, Any]], int]:
    target = parse_target(task)
    limit = parse_limit(task)
    offset = _parse_int(task, "offset", 0, 0, None)
    status_type = parse_status_type(task)
    order = parse_order_by(task, _ANCHOR_FIELDS, "backlinks,desc")
    predicate = compile_filters(task.get("filters"), _ANCHOR_FIELDS, {"first_seen"})
    profile = dataset.target_profile(target, day)

    def build() -> list[Any]:
        groups = _anchor_aggregates(profile, status_type)
        if predicate is not None:
            groups = [group for group in groups if predicate(group)]
        return sort_rows(groups, order, _ANCHOR_FIELDS)

    key = ("anchors", target, day, *_query_key(status_type, order, task.get("filters")))
    listing = _listings.get_or_build(key, build)
    items = [render_anchor(group) for group in listing[offset : offset + limit]]
    result = {"target": target, "total_count": len(listing), "items_count": len(items), "items": items}
    return [result], len(items)


# --- bulk_spam_score --------------------------------------------------------------------------------


def bulk_spam_score(task: dict[str, Any], day: int) -> tuple[list[dict[str, Any]], int]:
    targets = task.get("targets")
    if not isinstance(targets, list) or not targets or not all(isinstance(t, str) and t for t in targets):
        raise invalid_field("targets", "Expected a non-empty list of domains, subdomains or URLs.")
    if len(targets) > MAX_BULK_TARGETS:
        raise invalid_field(
            "targets", f"At most {MAX_BULK_TARGETS} targets per task; {len(targets)} were sent."
        )
    items = []
    for target in targets:
        host = urlsplit(target).hostname if "://" in target else target
        score = dataset.spam_score((host or target).strip().rstrip("."))
        if score is not None:
            items.append({"type": "backlinks_bulk_spam_score", "target": target, "spam_score": score})
    return [{"items_count": len(items), "items": items}], len(items)


# --- timeseries_new_lost_summary --------------------------------------------------------------------


def _parse_date(task: dict[str, Any], name: str, default: date) -> date:
    value = task.get(name)
    if value is None:
        return default
    try:
        parsed = date.fromisoformat(value)
    except (TypeError, ValueError):
        raise invalid_field(name, "Use the format yyyy-mm-dd.") from None
    if parsed < TIMESERIES_MIN_DATE:
        raise invalid_field(name, f"The earliest date is {TIMESERIES_MIN_DATE.isoformat()}.")
    return parsed


def timeseries_new_lost_summary(task: dict[str, Any], day: int) -> tuple[list[dict[str, Any]], int]:
    target = parse_target(task)
    current = dataset.today(day).date()
    date_to = _parse_date(task, "date_to", current)
    date_from = _parse_date(task, "date_from", date_to - timedelta(days=365))
    if date_from > date_to:
        raise invalid_field("date_from", "date_from must not be later than date_to.")
    group_range = task.get("group_range") or "month"
    if group_range not in ("day", "week", "month", "year"):
        raise invalid_field("group_range", "Expected day, week, month or year.")
    profile = dataset.target_profile(target, day)

    # As at the vendor, weeks, months and years are whole periods. The first one starts before
    # date_from when date_from is not its first day, and the last one ends after date_to.
    buckets: dict[date, dict[str, Any]] = {}
    cursor = date_from
    while cursor <= date_to:
        end = dataset.period_end(cursor, group_range)
        buckets[end] = {"new": [], "lost": []}
        cursor = end + timedelta(days=1)

    def bucket_of(value: datetime) -> dict[str, Any] | None:
        return buckets.get(dataset.period_end(value.date(), group_range))

    for record in profile.domains:
        new_bucket = bucket_of(record.first_seen)
        if new_bucket is not None:
            new_bucket["new"].append(record)
        lost_bucket = bucket_of(record.lost_date) if record.lost_date is not None else None
        if lost_bucket is not None:
            lost_bucket["lost"].append(record)

    items = []
    for end, bucket in buckets.items():
        new, lost = bucket["new"], bucket["lost"]
        items.append(
            {
                "type": "backlinks_timeseries_new_lost_summary",
                "date": format_vendor_time(datetime(end.year, end.month, end.day, tzinfo=dataset.UTC)),
                "new_backlinks": sum(record.backlinks for record in new),
                "lost_backlinks": sum(record.backlinks for record in lost),
                "new_referring_domains": len(new),
                "lost_referring_domains": len(lost),
                "new_referring_main_domains": len({dataset.main_domain(record.domain) for record in new}),
                "lost_referring_main_domains": len({dataset.main_domain(record.domain) for record in lost}),
            }
        )
    result = {
        "target": target,
        "date_from": date_from.isoformat(),
        "date_to": date_to.isoformat(),
        "group_range": group_range,
        "items_count": len(items),
        "items": items,
    }
    return [result], len(items)


ENDPOINTS: dict[str, Callable[[dict[str, Any], int], tuple[list[dict[str, Any]], int]]] = {
    "summary": summary,
    "referring_domains": referring_domains,
    "backlinks": backlinks,
    "bulk_spam_score": bulk_spam_score,
    "anchors": anchors,
    "timeseries_new_lost_summary": timeseries_new_lost_summary,
}


def run_task(function: str, task: dict[str, Any], day: int) -> tuple[list[dict[str, Any]], int]:
    """Return the ``result`` array for one task and the number of items it returns (for the cost)."""
    return ENDPOINTS[function](task, day)
