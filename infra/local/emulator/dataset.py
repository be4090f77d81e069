"""Deterministic backlink data for the DataForSEO emulator.

Every value is derived from stable hashes (blake2b, shake_128) of the target, the referring domain and
the emulated day, never from Python's ``hash()`` or a clock, so two processes given the same target and
day return the same rows.

Model of one target:
- A number of live referring domains at day 0: 800-6000 from the target's hash, or exactly ``n`` for a
  target whose first label is ``rd<n>`` (for example ``rd100000.com``). About 8% more domains were
  lost before day 0 and carry a ``lost_date``.
- Each referring domain links from 1-40 referring pages (one backlinks/live row per page, each with
  ``links_count`` >= 1). A page is nofollow with the probability ``1 - dofollow_ratio(target)``.
- Churn: each live domain is lost on one day in 1..1000 (about 0.1% per day), and each day brings about
  0.1% new domains whose ``first_seen`` is on that day.
- A referring domain's spam score depends on its name only, so bulk_spam_score and referring_domains
  agree for every target.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

BASE_DATE = datetime(2026, 11, 1, tzinfo=UTC)
"""The emulated "today" at day 0."""

MIN_REFERRING_DOMAINS = 800
MAX_REFERRING_DOMAINS = 6000
MAX_EXPLICIT_REFERRING_DOMAINS = 500_000
"""Upper bound for ``rd<n>`` targets, so a typo cannot exhaust the emulator's memory."""

PRE_LOST_SHARE = 0.087
"""Domains lost before day 0, relative to the live count: 0.087 / 1.087 is 8% of all domains."""

CHURN_PERIOD_DAYS = 1000
"""Each live domain is lost on a day in 1..CHURN_PERIOD_DAYS, so about 0.1% are lost per day."""

MAX_PAGES_PER_DOMAIN = 40
_PAGE_BYTES_OFFSET = 40
_DIGEST_SIZE = _PAGE_BYTES_OFFSET + 3 * MAX_PAGES_PER_DOMAIN
_FIRST_SEEN_START = datetime(2016, 1, 1, tzinfo=UTC)
_VENDOR_TIME_FORMAT = "%Y-%m-%d %H:%M:%S +00:00"

WORDS = (
    "alpha", "amber", "apex", "arrow", "atlas", "aurora", "azure", "bay", "beacon", "berry", "bird",
    "blue", "bold", "bright", "brook", "cedar", "cherry", "city", "clear", "cloud", "coast", "coral",
    "craft", "crown", "crystal", "daily", "delta", "desert", "digital", "dream", "eagle", "earth", "east",
    "echo", "eco", "edge", "elite", "ember", "epic", "fast", "field", "fire", "first", "flex", "flow",
    "forest", "fox", "fresh", "future", "garden", "giant", "globe", "gold", "green", "grid", "harbor",
    "hawk", "health", "hill", "home", "hub", "idea", "iron", "island", "jade", "jet", "key", "kind",
    "lake", "land", "leaf", "legend", "light", "lime", "lion", "local", "logic", "lunar", "maple",
    "market", "media", "metro", "mint", "moon", "mountain", "native", "net", "nexus", "noble", "north",
    "nova", "oak", "ocean", "olive", "omega", "open", "orbit", "peak", "pine", "pixel", "planet", "prime",
    "pulse", "quest", "rapid", "red", "ridge", "river", "rock", "royal", "sage", "sea", "shop", "silver",
    "sky", "smart", "solar", "south", "spark", "spring", "star", "stone", "storm", "summit", "sun",
    "swift", "tech", "terra", "tiger", "top", "trail", "travel", "tree", "true", "urban", "valley",
    "vista", "wave", "west", "wild", "wind", "wise", "wolf", "world", "zen",
)  # fmt: skip
_SUBDOMAIN_LABELS = ("blog", "news", "shop", "forum", "m", "en", "docs", "community")
_TLDS = (
    ("com", 40), ("net", 9), ("org", 9), ("info", 5), ("de", 6), ("co.uk", 5), ("ru", 5), ("xyz", 4),
    ("top", 4), ("io", 3), ("fr", 2), ("pl", 2), ("nl", 2), ("it", 2), ("es", 2), ("online", 2),
    ("site", 2), ("in", 2), ("com.br", 1), ("com.au", 1), ("ca", 1), ("us", 1),
)  # fmt: skip
_TLD_TABLE = tuple(tld for tld, weight in _TLDS for _ in range(weight))
_IDN_LATIN_WORDS = ("bücher", "münchen", "köln", "zürich", "café", "españa", "straße", "smörgås", "größe")
_IDN_CYRILLIC_WORDS = ("новости", "магазин", "блог", "город", "мир", "книги", "дом", "сервис")
_IDN_TLDS = ("de", "com", "at", "ch", "es", "ru", "net")
_SPAMMY_TLDS = ("xyz", "top", "info", "site", "online")
_COUNTRIES = ("US", "US", "US", "DE", "GB", "FR", "RU", "IN", "NL", "BR", "CA", "PL", "", "", "")
_PLATFORMS = ("blogs", "cms", "news", "organization", "ecommerce", "message-boards", "unknown")
_SEMANTIC_LOCATIONS = ("article", "article", "section", "main", "footer", "aside", "")
_KEYWORDS = (
    "running shoes", "project management", "seo tools", "home insurance", "coffee beans",
    "web hosting", "travel deals", "vegan recipes", "password manager", "electric bikes",
)  # fmt: skip
_GENERIC_ANCHORS = (
    "click here",
    "read more",
    "this website",
    "here",
    "visit site",
    "source",
    "link",
    "website",
)

ANCHOR_CLASSES = ("branded", "naked_url", "generic", "partial_match", "exact_match", "empty")
_ANCHOR_CLASS_BOUNDS = (90, 128, 166, 204, 230, 256)
"""Upper bounds (exclusive) of one page byte for each anchor class: 35/15/15/15/10/10 percent."""


def _u16(data: bytes, start: int) -> int:
    return data[start] << 8 | data[start + 1]


def _unit(data: bytes, start: int) -> float:
    """Map two bytes to a float in the open interval (0, 1)."""
    return (_u16(data, start) + 0.5) / 65536


def _digest(*parts: object, size: int = 16) -> bytes:
    text = "\x1f".join(str(part) for part in parts).encode()
    return hashlib.blake2b(text, digest_size=size, person=b"dfs-emulator").digest()


def format_vendor_time(value: datetime) -> str:
    """Format a datetime the way the vendor does: ``2019-11-15 12:57:46 +00:00``."""
    return value.astimezone(UTC).strftime(_VENDOR_TIME_FORMAT)


def parse_vendor_time(value: str) -> datetime:
    """Parse ``2019-11-15 12:57:46 +00:00``, an ISO 8601 string or a bare ``yyyy-mm-dd`` date as UTC."""
    text = value.strip()
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S %z")
    except ValueError:
        pass
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def today(day: int) -> datetime:
    """Return the emulated date (midnight UTC) of ``day``."""
    return BASE_DATE + timedelta(days=day)


def referring_domain_count(target: str) -> int:
    """Return the number of live referring domains of ``target`` at day 0."""
    first_label = target.split(".", 1)[0]
    if first_label.startswith("rd") and first_label[2:].isdigit():
        return min(int(first_label[2:]), MAX_EXPLICIT_REFERRING_DOMAINS)
    span = MAX_REFERRING_DOMAINS - MIN_REFERRING_DOMAINS + 1
    return MIN_REFERRING_DOMAINS + int.from_bytes(_digest("count", target, size=4)) % span


def dofollow_ratio(target: str) -> float:
    """Return the share of ``target``'s referring pages that link without nofollow (0.55-0.85)."""
    return 0.55 + 0.30 * _unit(_digest("dofollow", target), 0)


def spam_score(domain: str) -> int | None:
    """Return the spam score of ``domain`` (0-100), or None for the about 2% of domains without one.

    The mix is bimodal: about 78% of domains score 0-35 and 20% score 60-100.
    """
    data = hashlib.blake2b(domain.lower().encode(), digest_size=4, person=b"dfs-spam").digest()
    band = (data[0] << 8 | data[1]) / 65536
    value = data[2] << 8 | data[3]
    if band < 0.02:
        return None
    if band < 0.80:
        return value % 36
    return 60 + value % 41


def target_rank(target: str) -> int:
    return 100 + _u16(_digest("rank", target), 0) % 500


def tld_of(domain: str) -> str:
    for suffix in ("co.uk", "com.br", "com.au", "blogspot.com", "github.io"):
        if domain.endswith("." + suffix):
            return "com" if suffix == "blogspot.com" else suffix.rsplit(".", 1)[-1]
    return domain.rsplit(".", 1)[-1]


def main_domain(domain: str) -> str:
    """Return an approximation of the registrable domain, good enough for counting main domains."""
    labels = domain.split(".")
    for suffix in ("co.uk", "com.br", "com.au", "blogspot.com", "github.io"):
        if domain.endswith("." + suffix):
            return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def _idn_label(word: str) -> str:
    return "xn--" + word.encode("punycode").decode("ascii")


def generate_domain_name(data: bytes) -> str:
    """Build a valid lowercase host name from 16 hash bytes."""
    first = WORDS[_u16(data, 0) % len(WORDS)]
    second = WORDS[_u16(data, 2) % len(WORDS)]
    tld = _TLD_TABLE[_u16(data, 4) % len(_TLD_TABLE)]
    number = _u16(data, 6) % 100
    pattern = data[8] % 100
    if pattern < 55:
        return f"{first}{second}.{tld}"
    if pattern < 65:
        return f"{first}-{second}.{tld}"
    if pattern < 73:
        return f"{first}{second}{number}.{tld}"
    if pattern < 80:
        return f"www.{first}{second}.{tld}"
    if pattern < 86:
        return f"{_SUBDOMAIN_LABELS[data[9] % len(_SUBDOMAIN_LABELS)]}.{first}{second}.{tld}"
    if pattern < 91:
        return f"{first}{second}{number}.blogspot.com"
    if pattern < 95:
        return f"{first}-{second}.github.io"
    if pattern < 98:
        if data[10] % 3 == 0:
            cyrillic = _IDN_CYRILLIC_WORDS
            label = cyrillic[data[11] % len(cyrillic)] + cyrillic[data[12] % len(cyrillic)]
            return f"{_idn_label(label)}.ru"
        latin = _IDN_LATIN_WORDS[data[11] % len(_IDN_LATIN_WORDS)]
        return f"{_idn_label(latin + second)}.{_IDN_TLDS[data[12] % len(_IDN_TLDS)]}"
    return f"{first}{_u16(data, 6) % 10000}.{_SPAMMY_TLDS[data[9] % len(_SPAMMY_TLDS)]}"


class ReferringDomainRecord(NamedTuple):
    """One referring domain of a target as seen on one emulated day."""

    domain: str
    rank: int
    first_seen: datetime
    lost_date: datetime | None
    spam_score: int | None
    page_bytes: bytes
    """Three bytes per referring page: nofollow draw, anchor draw, links draw."""
    page_step_days: int
    country: str
    platform: str
    backlinks: int
    referring_pages: int
    referring_pages_nofollow: int

    @property
    def is_lost(self) -> bool:
        return self.lost_date is not None


class BacklinkRow(NamedTuple):
    """One referring page of a referring domain: the unit of backlinks/live."""

    domain_index: int
    page: int
    first_seen: datetime
    page_rank: int
    dofollow: bool
    links_count: int
    anchor_draw: int
    links_draw: int


def anchor_class_of(draw: int) -> str:
    for name, bound in zip(ANCHOR_CLASSES, _ANCHOR_CLASS_BOUNDS, strict=True):
        if draw < bound:
            return name
    raise AssertionError("a byte is always below 256")


def links_count_of(draw: int) -> int:
    return 1 + (draw % 7 == 0) + (draw % 13 == 0)


# Anchor texts that trip up software: a formula, a leading plus sign, Unicode with a no-break space,
# and two spellings that differ only in whitespace. Targets whose name starts with "anchor-edge"
# use them instead of their partial-match anchors.
EDGE_ANCHORS = (
    '=HYPERLINK("https://evil.example/","win")',
    "+49 deals",
    "Straße  für\u00a0Läufer",
    "Straße für Läufer",
    " \tspaced   out ",
)


# The anchor of some lost links on "anchor-edge" targets, which no live link uses.
LOST_ONLY_ANCHOR = "Spring sale 2024"


def target_keyword(target: str) -> str:
    """Return the keyword a target's exact-match and partial-match anchors are built from."""
    return _KEYWORDS[_u16(_digest("keyword", target), 0) % len(_KEYWORDS)]


def anchor_text(target: str, anchor_class: str, variant: int) -> str:
    """Return the anchor text of one link. ``empty`` stands for image links and links without text."""
    brand = target.split(".", 1)[0]
    keyword = target_keyword(target)
    if anchor_class == "partial_match" and target.startswith("anchor-edge"):
        return EDGE_ANCHORS[variant % len(EDGE_ANCHORS)]
    choices = {
        "branded": (brand.capitalize(), brand, f"{brand.capitalize()} official site", target),
        "naked_url": (f"https://{target}/", target, f"www.{target}", f"https://www.{target}"),
        "generic": _GENERIC_ANCHORS,
        "partial_match": (f"best {keyword} guide", f"{keyword} reviews", f"cheap {keyword} online"),
        "exact_match": (keyword,),
        "empty": ("",),
    }[anchor_class]
    return choices[variant % len(choices)]


_NAME_BYTES = 16


class _TargetBase:
    """Day-independent names and digests of a target's referring domains, with churn extended lazily.

    Names come from one shake_128 stream per target, 16 bytes per candidate, and a name that is
    already taken is drawn again from a per-name digest. Each domain also gets ``_DIGEST_SIZE`` bytes of
    properties from a second stream.
    """

    def __init__(self, target: str) -> None:
        self.target = target
        self.live_count = referring_domain_count(target)
        self.pre_lost_count = round(self.live_count * PRE_LOST_SHARE)
        self._names: set[str] = {target}
        self.base = self._generate("base", self.live_count + self.pre_lost_count)
        self.new_by_day: list[list[tuple[str, bytes]]] = [[]]
        self._lock = threading.Lock()

    def _generate(self, key: str, count: int) -> list[tuple[str, bytes]]:
        name_stream = hashlib.shake_128(f"names\x1f{self.target}\x1f{key}".encode()).digest(
            _NAME_BYTES * count
        )
        prop_stream = hashlib.shake_128(f"props\x1f{self.target}\x1f{key}".encode()).digest(
            _DIGEST_SIZE * count
        )
        names = self._names
        generated: list[tuple[str, bytes]] = []
        for index in range(count):
            name = generate_domain_name(name_stream[_NAME_BYTES * index : _NAME_BYTES * (index + 1)])
            attempt = 0
            while name in names:
                attempt += 1
                name = generate_domain_name(_digest(self.target, key, index, attempt))
            names.add(name)
            generated.append((name, prop_stream[_DIGEST_SIZE * index : _DIGEST_SIZE * (index + 1)]))
        return generated

    def new_domains(self, day: int) -> list[tuple[str, bytes]]:
        """Return the domains that appear on ``day`` (day >= 1), generating earlier days first."""
        with self._lock:
            while len(self.new_by_day) <= day:
                current = len(self.new_by_day)
                draw = _unit(_digest("new", self.target, current), 0)
                count = 1 + int(self.live_count * 0.002 * draw)
                self.new_by_day.append(self._generate(f"new-{current}", count))
            return self.new_by_day[day]


@lru_cache(maxsize=16)
def _target_base(target: str) -> _TargetBase:
    return _TargetBase(target)


def _build_record(
    name: str, digest: bytes, *, first_seen: datetime, lost_date: datetime | None, dofollow_share: float
) -> ReferringDomainRecord:
    page_draw = ((digest[6] << 8 | digest[7]) + 0.5) / 65536
    pages = min(MAX_PAGES_PER_DOMAIN, 1 + int(-math.log(page_draw) * 1.5))
    page_bytes = digest[_PAGE_BYTES_OFFSET : _PAGE_BYTES_OFFSET + 3 * pages]
    nofollow_threshold = dofollow_share * 256
    nofollow_pages = 0
    for draw in page_bytes[0::3]:
        if draw >= nofollow_threshold:
            nofollow_pages += 1
    backlinks = 0
    for draw in page_bytes[2::3]:
        backlinks += 1 + (draw % 7 == 0) + (draw % 13 == 0)
    rank_draw = ((digest[0] << 8 | digest[1]) + 0.5) / 65536
    return ReferringDomainRecord(
        name,
        min(1000, int(1000 * rank_draw**8)),  # power law: median about 4, 25% above 100
        first_seen,
        lost_date,
        spam_score(name),
        page_bytes,
        digest[14] % 30,
        _COUNTRIES[digest[16] % len(_COUNTRIES)],
        _PLATFORMS[digest[17] % len(_PLATFORMS)],
        backlinks,
        pages,
        nofollow_pages,
    )


class _BaseRecords:
    """Day-0 records of a target's base domains, with the day each live one is lost by churn."""

    def __init__(self, target: str) -> None:
        base = _target_base(target)
        share = dofollow_ratio(target)
        span_seconds = int((BASE_DATE - _FIRST_SEEN_START).total_seconds()) - 86400
        self.records: list[ReferringDomainRecord] = []
        churn: list[tuple[int, int]] = []
        for index, (name, digest) in enumerate(base.base):
            offset = (digest[2] << 24 | digest[3] << 16 | digest[4] << 8 | digest[5]) % span_seconds
            first_seen = _FIRST_SEEN_START + timedelta(seconds=offset)
            lost_date: datetime | None = None
            if index >= base.live_count:
                lost_seconds = (BASE_DATE - first_seen).total_seconds() * _unit(digest, 8)
                lost_date = first_seen + timedelta(seconds=int(lost_seconds))
            else:
                churn.append((1 + _u16(digest, 10) % CHURN_PERIOD_DAYS, index))
            self.records.append(
                _build_record(name, digest, first_seen=first_seen, lost_date=lost_date, dofollow_share=share)
            )
        churn.sort()
        self.churn = churn
        self.churn_days = [lost_day for lost_day, _ in churn]


@lru_cache(maxsize=16)
def _base_records(target: str) -> _BaseRecords:
    return _BaseRecords(target)


class TargetProfile:
    """All referring domains of a target on one emulated day, live and lost, plus derived indexes.

    The day-0 records are built once per target. A later day copies them, marks the domains lost by
    churn up to that day and appends the domains that appeared since day 0.
    """

    def __init__(self, target: str, day: int) -> None:
        if day < 0:
            raise ValueError(f"invalid day {day}: the emulated day must be 0 or later")
        self.target = target
        self.day = day
        self.today = today(day)
        self.dofollow_ratio = dofollow_ratio(target)

        base = _target_base(target)
        base_records = _base_records(target)
        records = list(base_records.records)
        lost_count = bisect.bisect_right(base_records.churn_days, day)
        for lost_day, index in base_records.churn[:lost_count]:
            digest = base.base[index][1]
            lost_date = today(lost_day) + timedelta(seconds=_u16(digest, 12))
            records[index] = records[index]._replace(lost_date=lost_date)

        for new_day in range(1, day + 1):
            for name, digest in base.new_domains(new_day):
                lost_day = new_day + 1 + _u16(digest, 10) % CHURN_PERIOD_DAYS
                lost_date = today(lost_day) + timedelta(seconds=_u16(digest, 12)) if lost_day <= day else None
                first_seen = today(new_day) + timedelta(seconds=_u16(digest, 4))
                records.append(
                    _build_record(
                        name,
                        digest,
                        first_seen=first_seen,
                        lost_date=lost_date,
                        dofollow_share=self.dofollow_ratio,
                    )
                )
        self.domains: tuple[ReferringDomainRecord, ...] = tuple(records)
        self._lock = threading.Lock()
        self._rows: tuple[BacklinkRow, ...] | None = None

    def domain_indexes(self, status_type: str) -> list[int]:
        """Return the indexes of the domains that match ``backlinks_status_type`` (live, lost or all)."""
        if status_type == "all":
            return list(range(len(self.domains)))
        want_lost = status_type == "lost"
        return [i for i, record in enumerate(self.domains) if (record.lost_date is not None) == want_lost]

    def backlink_rows(self) -> tuple[BacklinkRow, ...]:
        """Return one row per referring page of every domain, built once per profile."""
        with self._lock:
            if self._rows is None:
                self._rows = tuple(self._iter_rows())
            return self._rows

    def _iter_rows(self) -> Iterator[BacklinkRow]:
        latest = self.today - timedelta(seconds=1)
        nofollow_threshold = self.dofollow_ratio * 256
        for index, record in enumerate(self.domains):
            data = record.page_bytes
            step = timedelta(days=record.page_step_days)
            ceiling = max(record.first_seen, latest)
            for page in range(record.referring_pages):
                links_draw = data[3 * page + 2]
                first_seen = min(record.first_seen + page * step, ceiling)
                dofollow = data[3 * page] < nofollow_threshold
                flip_day = attribute_flip_day(record.domain, page)
                if flip_day <= self.day:
                    # The page changed its link's dofollow attribute on flip_day and was re-indexed.
                    dofollow = not dofollow
                    first_seen = min(
                        max(first_seen, today(flip_day) + timedelta(seconds=_u16(data, 0))), ceiling
                    )
                yield BacklinkRow(
                    index,
                    page,
                    first_seen,
                    max(0, record.rank - (page * 7) % (record.rank + 1)),
                    dofollow,
                    links_count_of(links_draw),
                    data[3 * page + 1],
                    links_draw,
                )


ATTRIBUTE_FLIP_PERIOD_DAYS = 400
"""Each referring page flips its dofollow attribute once, on a day in 1..this, so about 0.25% a day."""


def attribute_flip_day(domain: str, page: int) -> int:
    """Return the emulated day on which the page's link changes dofollow to nofollow or back."""
    return 1 + _u16(_digest("flip", domain, page), 0) % ATTRIBUTE_FLIP_PERIOD_DAYS


@lru_cache(maxsize=32)
def target_profile(target: str, day: int) -> TargetProfile:
    """Return the cached profile of ``target`` on ``day``."""
    return TargetProfile(target, day)


def is_new_on(first_seen: datetime, day: int) -> bool:
    """Return True when ``first_seen`` lies within the 30 days before the emulated ``day``."""
    return first_seen >= today(day) - timedelta(days=30)


def period_end(value: date, group_range: str) -> date:
    """Return the last day of the day, week, month or year that contains ``value``."""
    if group_range == "day":
        return value
    if group_range == "week":
        return value + timedelta(days=6 - value.weekday())
    if group_range == "month":
        following = date(value.year + value.month // 12, value.month % 12 + 1, 1)
        return following - timedelta(days=1)
    if group_range == "year":
        return date(value.year, 12, 31)
    raise ValueError(f"invalid group_range {group_range!r}: expected day, week, month or year")
