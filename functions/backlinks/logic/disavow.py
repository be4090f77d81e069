"""Google disavow file builder.

Google's format is UTF-8 plain text with one entry per line: `domain:<host>` (the host and all of
its subdomains) or a full URL, and `#` comment lines. Google rejects files over its size and line
limits, and an uploaded file replaces the previous list, so this builder never writes an empty file
and never cuts a file to fit: it raises instead.
"""

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from backlinks.domains import canonical_referring_domain, is_public_suffix
from backlinks.errors import EmptyExportError, ExportLimitError, InvalidDomainError

# Google documents "2 MB". We use the smaller reading, 2,000,000 bytes rather than 2 MiB
# (2,097,152 bytes), so the file passes under either reading.
GOOGLE_MAX_BYTES = 2_000_000
# Blank and comment lines count toward this limit.
GOOGLE_MAX_LINES = 100_000
# Applies to URL entries. A `domain:` line cannot reach it because a host has at most 253 characters.
GOOGLE_MAX_URL_LENGTH = 2048

DOMAIN_PREFIX = "domain:"
COMMENT_PREFIX = "# "

SKIP_INVALID = "invalid"
SKIP_PUBLIC_SUFFIX = "public_suffix"
SKIP_DUPLICATE = "duplicate"

# Bytes of "domain:" plus the line's "\n". Canonical hosts are ASCII, so one character is one byte.
_ENTRY_OVERHEAD_BYTES = len(DOMAIN_PREFIX) + 1


@dataclass(frozen=True)
class DisavowFile:
    """A disavow file ready for upload, with the counts shown to the user."""

    content: bytes  # UTF-8 without BOM, "\n" line endings, ends with a newline.
    entries: int  # Number of `domain:` lines.
    lines: int  # All lines, comments included.
    byte_count: int
    skipped: dict[str, int]  # Input domains not written, by reason: invalid, public_suffix, duplicate.


def build_disavow_file(domains: Iterable[str], *, comment_lines: Sequence[str] = ()) -> DisavowFile:
    """Build a disavow file with one sorted `domain:` line per distinct canonical host.

    Invalid hosts, bare public suffixes and duplicates (after canonicalization, so "WWW.Example.com"
    and "example.com" are one entry) are skipped and counted. Comment lines go first, each prefixed
    with "# ", and count toward the limits.

    Raises EmptyExportError when no entry remains, and ExportLimitError when the file would exceed
    GOOGLE_MAX_LINES or GOOGLE_MAX_BYTES.
    """
    # A single string is iterable too, and would be read one character per domain or comment.
    if isinstance(domains, str) or isinstance(comment_lines, str):
        raise TypeError("domains and comment_lines must be collections of strings, not a single string")

    max_lines = GOOGLE_MAX_LINES
    max_bytes = GOOGLE_MAX_BYTES

    comments = [_comment_line(text) for text in comment_lines]
    comment_bytes = sum(len(line.encode("utf-8")) + 1 for line in comments)
    _check_limits(len(comments), comment_bytes, max_lines, max_bytes, exact=True)

    hosts: set[str] = set()
    skipped = {SKIP_INVALID: 0, SKIP_PUBLIC_SUFFIX: 0, SKIP_DUPLICATE: 0}
    total_bytes = comment_bytes
    for value in domains:
        try:
            host = canonical_referring_domain(value)
        except InvalidDomainError:
            skipped[SKIP_INVALID] += 1
            continue
        if host in hosts:
            skipped[SKIP_DUPLICATE] += 1
            continue
        if is_public_suffix(host):
            skipped[SKIP_PUBLIC_SUFFIX] += 1
            continue

        hosts.add(host)
        total_bytes += len(host) + _ENTRY_OVERHEAD_BYTES
        # Stop at the first entry over a limit, so memory stays bounded by the limits however long
        # the input is. The counts in the error are then lower bounds.
        _check_limits(len(comments) + len(hosts), total_bytes, max_lines, max_bytes, exact=False)

    if not hosts:
        raise EmptyExportError(
            "the disavow file would contain no domain entries; uploading an empty file to Google "
            "Search Console replaces the existing disavow list with nothing, so no file was built",
            skipped=skipped,
        )

    lines = comments + [DOMAIN_PREFIX + host for host in sorted(hosts)]
    content = ("\n".join(lines) + "\n").encode("utf-8")
    return DisavowFile(
        content=content,
        entries=len(hosts),
        lines=len(lines),
        byte_count=len(content),
        skipped=skipped,
    )


def _comment_line(text: str) -> str:
    """Return "# <text>" with control characters and line separators replaced by spaces."""
    cleaned = "".join(" " if _breaks_line(character) else character for character in text)
    # A lone surrogate cannot be encoded as UTF-8, so it becomes "?".
    cleaned = cleaned.encode("utf-8", errors="replace").decode("utf-8")
    cleaned = cleaned.strip()
    return COMMENT_PREFIX + cleaned if cleaned else COMMENT_PREFIX.rstrip()


def _breaks_line(character: str) -> bool:
    # Covers "\n", "\r", the other C0 and C1 controls (NEL included), U+2028 and U+2029.
    if character == "\t":
        return False
    return unicodedata.category(character) in ("Cc", "Zl", "Zp")


def _check_limits(lines: int, byte_count: int, max_lines: int, max_bytes: int, *, exact: bool) -> None:
    at_least = "" if exact else "at least "
    if lines > max_lines:
        raise ExportLimitError(
            f"the disavow file would have {at_least}{lines:,} lines, but Google accepts at most "
            f"{max_lines:,} lines (comment lines count); disavow fewer domains or remove comment lines",
            lines=lines,
            limit=max_lines,
        )
    if byte_count > max_bytes:
        raise ExportLimitError(
            f"the disavow file would be {at_least}{byte_count:,} bytes, but Google accepts at most "
            f"{max_bytes:,} bytes; disavow fewer domains or shorten the comments",
            byte_count=byte_count,
            limit=max_bytes,
        )
