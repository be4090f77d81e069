"""Parse an uploaded disavow file into normalized entries and a per-line report.

The encoding comes from the byte order mark: UTF-8, UTF-16 LE or UTF-16 BE. A file without a BOM
must be strict UTF-8, because guessing a legacy code page would turn hosts into other hosts. Lines
may end with "\\n", "\\r\\n" or "\\r".

Each line gets one action: comment and blank lines are "kept", entries are "accepted" unchanged,
"normalized" (rewritten, with a warning per change) or "rejected" with a reason code. Google's
format has `domain:<host>` lines (the host and all of its subdomains), full URLs and `#` comments.
"""

import re
from collections.abc import Container
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import quote

from backlinks.domains import canonical_referring_domain, is_public_suffix, normalize_host
from backlinks.errors import InvalidDomainError, InvalidParameterError, shown
from backlinks.logic.disavow import DOMAIN_PREFIX, GOOGLE_MAX_URL_LENGTH

UTF8_BOM = b"\xef\xbb\xbf"
UTF16_LE_BOM = b"\xff\xfe"
UTF16_BE_BOM = b"\xfe\xff"
UTF32_LE_BOM = b"\xff\xfe\x00\x00"
UTF32_BE_BOM = b"\x00\x00\xfe\xff"

_LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")
_URL_SCHEME_RE = re.compile(r"^(https?)://", re.IGNORECASE)
_ANY_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:/")
_WHITESPACE_RE = re.compile(r"\s")
# Characters a URL may carry unencoded (RFC 3986 reserved and unreserved, plus "%").
_URL_SAFE = "!#$%&'()*+,/:;=?@[]~-._"
_REPLACEMENT_CHARACTER = "\ufffd"
_ENCODED_REPLACEMENT_CHARACTER = "%EF%BF%BD"


class LineKind(StrEnum):
    COMMENT = "comment"
    BLANK = "blank"
    DOMAIN = "domain"
    URL = "url"


class Action(StrEnum):
    KEPT = "kept"
    ACCEPTED = "accepted"
    NORMALIZED = "normalized"
    REJECTED = "rejected"


class Reason(StrEnum):
    """Reason codes of rejected lines."""

    MALFORMED_DOMAIN = "malformed_domain"
    WILDCARD = "wildcard"
    SCHEME_IN_DOMAIN = "scheme_in_domain"
    PATH_IN_DOMAIN = "path_in_domain"
    BAD_HOST = "bad_host"
    PUBLIC_SUFFIX = "public_suffix"
    NOT_A_URL = "not_a_url"
    URL_TOO_LONG = "url_too_long"
    REPLACEMENT_CHARACTER = "replacement_character"
    DUPLICATE = "duplicate"
    COVERED_BY_DOMAIN = "covered_by_domain"
    KEEP_LIST = "keep_list"


# Rejections that lose nothing because the same entry, or a wider one, stays in the file.
REDUNDANT_REASONS = frozenset({Reason.DUPLICATE, Reason.COVERED_BY_DOMAIN})


@dataclass
class ParsedLine:
    """One line of an uploaded file, what was done with it and the text it contributes."""

    number: int  # 1-based
    original: str
    kind: LineKind
    action: Action
    value: str | None = None  # normalized entry: "domain:<host>" or the URL; the text of a comment
    host: str | None = None  # canonical host of a `domain:` line, normalized host of a URL
    reason: Reason | None = None
    message: str | None = None
    warnings: list[dict] = field(default_factory=list)

    def reject(self, reason: Reason, message: str) -> None:
        self.action = Action.REJECTED
        self.reason = reason
        self.message = message

    def report(self) -> dict:
        return {
            "line": self.number,
            "text": shown(self.original),
            "kind": self.kind.value,
            "action": self.action.value,
            "entry": self.value if self.kind in (LineKind.DOMAIN, LineKind.URL) else None,
            "reason": self.reason.value if self.reason else None,
            "message": self.message,
            "warnings": self.warnings,
        }


@dataclass
class ParsedFile:
    encoding: str
    lines: list[ParsedLine]

    def entries(self) -> list[ParsedLine]:
        """Return the accepted and normalized `domain:` and URL lines, in file order."""
        return [line for line in self.lines if line.action in (Action.ACCEPTED, Action.NORMALIZED)]


def decode_upload(data: bytes) -> tuple[str, str]:
    """Decode an uploaded file by its byte order mark; return (text, encoding name).

    Raises InvalidParameterError (400) naming the byte offset of the first invalid byte.
    """
    if not data:
        raise InvalidParameterError("file", "", "the uploaded file is empty")
    if data.startswith((UTF32_LE_BOM, UTF32_BE_BOM)):
        raise InvalidParameterError(
            "file", data[:4].hex(" "), "UTF-32 is not supported; save the file as UTF-8"
        )

    if data.startswith(UTF8_BOM):
        encoding, codec, bom_length = "utf-8-bom", "utf-8", len(UTF8_BOM)
    elif data.startswith(UTF16_LE_BOM):
        encoding, codec, bom_length = "utf-16-le", "utf-16-le", len(UTF16_LE_BOM)
    elif data.startswith(UTF16_BE_BOM):
        encoding, codec, bom_length = "utf-16-be", "utf-16-be", len(UTF16_BE_BOM)
    else:
        encoding, codec, bom_length = "utf-8", "utf-8", 0

    try:
        text = data[bom_length:].decode(codec, errors="strict")
    except UnicodeDecodeError as error:
        offset = bom_length + error.start
        bad = data[offset : offset + 4].hex(" ")
        raise InvalidParameterError(
            "file",
            bad,
            f"is not valid {encoding.upper()} at byte offset {offset}: {error.reason}; save the file "
            "as UTF-8 (Google's format), or as UTF-16 with a byte order mark",
        ) from None

    if bom_length == 0 and "\0" in text:
        offset = data.index(b"\0")
        raise InvalidParameterError(
            "file",
            data[max(offset - 1, 0) : offset + 3].hex(" "),
            f"contains a NUL byte at byte offset {offset}; this looks like UTF-16 without a byte "
            "order mark: save the file as UTF-8",
        )
    return text, encoding


def split_lines(text: str) -> list[str]:
    """Split on "\\r\\n", "\\r" or "\\n"; a final line break does not start another line."""
    lines = _LINE_BREAK_RE.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def parse_disavow(data: bytes) -> ParsedFile:
    """Decode and parse an uploaded disavow file; rejects duplicates and entries covered by a `domain:` line."""
    text, encoding = decode_upload(data)
    parsed = [parse_line(number, line) for number, line in enumerate(split_lines(text), start=1)]
    mark_redundant(parsed)
    return ParsedFile(encoding=encoding, lines=parsed)


def parse_line(number: int, original: str) -> ParsedLine:
    """Classify and normalize one line without looking at the other lines."""
    text = original.strip().strip("\ufeff").strip()
    if not text:
        return ParsedLine(number, original, LineKind.BLANK, Action.KEPT, value="")
    if text.startswith("#"):
        return ParsedLine(number, original, LineKind.COMMENT, Action.KEPT, value=text)
    if text[: len(DOMAIN_PREFIX)].lower() == DOMAIN_PREFIX:
        return _parse_domain_line(number, original, text)
    return _parse_url_line(number, original, text)


def _warning(code: str, message: str) -> dict:
    return {"code": code, "message": message}


def _parse_domain_line(number: int, original: str, text: str) -> ParsedLine:
    line = ParsedLine(number, original, LineKind.DOMAIN, Action.ACCEPTED)
    if text != original:
        line.warnings.append(_warning("whitespace", "leading or trailing whitespace removed"))
    if not text.startswith(DOMAIN_PREFIX):
        line.warnings.append(_warning("keyword_case", "keyword written in lowercase as 'domain:'"))

    raw = text[len(DOMAIN_PREFIX) :]
    value = raw.strip()
    if value != raw:
        line.warnings.append(_warning("whitespace", "whitespace after 'domain:' removed"))

    if not value:
        line.reject(Reason.MALFORMED_DOMAIN, "no host after 'domain:'")
        return line
    if _WHITESPACE_RE.search(value):
        line.reject(Reason.MALFORMED_DOMAIN, f"the host {shown(value)!r} contains whitespace")
        return line
    if "*" in value:
        line.reject(
            Reason.WILDCARD,
            "wildcards are not part of the disavow format; 'domain:' already covers every subdomain, "
            f"so write domain:{shown(value.lstrip('*.'))}",
        )
        return line
    if _ANY_SCHEME_RE.match(value):
        line.reject(
            Reason.SCHEME_IN_DOMAIN,
            "a 'domain:' line takes a host, not a URL: write domain:<host> for the whole site, or the "
            "full URL on a line of its own for one page",
        )
        return line

    if value.endswith("/") and not any(mark in value[:-1] for mark in "/?#"):
        value = value[:-1]
        line.warnings.append(_warning("trailing_slash", "trailing '/' removed"))
    if any(mark in value for mark in "/?#\\"):
        line.reject(
            Reason.PATH_IN_DOMAIN,
            "a 'domain:' line takes a host without a path or query; put a URL on a line of its own",
        )
        return line
    if ":" in value:
        line.reject(Reason.MALFORMED_DOMAIN, f"the host {shown(value)!r} contains a port or a ':'")
        return line

    try:
        exact = normalize_host(value)
        host = canonical_referring_domain(value)
    except InvalidDomainError as error:
        line.reject(Reason.BAD_HOST, f"invalid host: {error.reason}")
        return line
    if is_public_suffix(host):
        line.reject(
            Reason.PUBLIC_SUFFIX,
            f"{host} is a public suffix or a shared platform whose sites have different owners; "
            f"disavow the individual site instead (domain:<name>.{host})",
        )
        return line

    line.warnings.extend(_host_warnings(value, exact, host))
    line.host = host
    line.value = DOMAIN_PREFIX + host
    if line.warnings:
        line.action = Action.NORMALIZED
    return line


def _host_warnings(value: str, exact: str, host: str) -> list[dict]:
    warnings = []
    if value.endswith("."):
        warnings.append(_warning("trailing_dot", "trailing '.' removed"))
    if not value.isascii():
        warnings.append(_warning("punycode", f"internationalized host written as {exact}"))
    elif value.rstrip(".") != value.rstrip(".").lower():
        warnings.append(_warning("lowercase", "host written in lowercase"))
    if exact != host:
        warnings.append(
            _warning(
                "www_removed",
                f"'www.' removed: domain:{host} covers {exact} and every other subdomain of {host}",
            )
        )
    return warnings


def _parse_url_line(number: int, original: str, text: str) -> ParsedLine:
    line = ParsedLine(number, original, LineKind.URL, Action.ACCEPTED)
    if text != original:
        line.warnings.append(_warning("whitespace", "leading or trailing whitespace removed"))

    scheme = _URL_SCHEME_RE.match(text)
    if not scheme:
        hint = ""
        if not _ANY_SCHEME_RE.match(text) and "/" not in text and " " not in text:
            hint = f"; to disavow the whole site write domain:{shown(text)}"
        line.reject(
            Reason.NOT_A_URL,
            "not a comment, a 'domain:' line or a URL starting with http:// or https://" + hint,
        )
        return line
    if _WHITESPACE_RE.search(text):
        line.reject(
            Reason.NOT_A_URL,
            "the URL contains whitespace; if the space belongs to the address, write it as %20",
        )
        return line
    if _REPLACEMENT_CHARACTER in text:
        line.reject(
            Reason.REPLACEMENT_CHARACTER,
            "the URL contains U+FFFD replacement characters: it was damaged by a wrong text encoding",
        )
        return line

    try:
        host = normalize_host(text)
    except InvalidDomainError as error:
        line.reject(Reason.BAD_HOST, f"invalid host: {error.reason}")
        return line

    url = _normalize_url(text, scheme.group(1).lower(), host, line)
    if len(url) > GOOGLE_MAX_URL_LENGTH:
        line.reject(
            Reason.URL_TOO_LONG,
            f"the URL has {len(url):,} characters, but Google accepts at most {GOOGLE_MAX_URL_LENGTH:,}; "
            f"disavow the site with domain:{canonical_referring_domain(host)} instead",
        )
        return line
    if _ENCODED_REPLACEMENT_CHARACTER in url.upper():
        line.warnings.append(
            _warning(
                "replacement_character",
                "the URL contains %EF%BF%BD (an encoded U+FFFD), a sign of a wrong text encoding; "
                "check that it matches the linking page",
            )
        )

    line.host = host
    line.value = url
    if any(warning["code"] != "replacement_character" for warning in line.warnings):
        line.action = Action.NORMALIZED
    return line


def _normalize_url(text: str, scheme: str, host: str, line: ParsedLine) -> str:
    """Rebuild the URL with a lowercase scheme and the canonical host; the path keeps its case."""
    rest = text[text.index("://") + 3 :]
    end = min((rest.find(mark) for mark in "/?#" if mark in rest), default=len(rest))
    authority, tail = rest[:end], rest[end:]
    port = authority.rpartition(":")[2] if ":" in authority else ""

    if "#" in tail:
        tail = tail[: tail.index("#")]
        line.warnings.append(_warning("fragment_removed", "'#' fragment removed (Google ignores it)"))
    if not tail.isascii():
        tail = quote(tail, safe=_URL_SAFE)
        line.warnings.append(_warning("percent_encoded", "non-ASCII characters percent-encoded"))

    default_port = {"http": "80", "https": "443"}[scheme]
    authority_out = host if port in ("", default_port) else f"{host}:{port}"
    url = f"{scheme}://{authority_out}{tail or '/'}"
    if not text.startswith(scheme + "://") or authority != authority_out or not tail:
        line.warnings.append(
            _warning("url_normalized", "scheme and host written in lowercase canonical form")
        )
    return url


def covering_domain(host: str, domains: Container[str]) -> str | None:
    """Return the `domain:` host in `domains` equal to `host` or a parent of it, or None."""
    labels = host.split(".")
    for start in range(len(labels) - 1):
        candidate = ".".join(labels[start:])
        if candidate in domains:
            return candidate
    return None


def mark_redundant(lines: list[ParsedLine]) -> None:
    """Reject repeated entries and entries that a `domain:` line of the same file already covers."""
    domains: dict[str, int] = {}
    for line in lines:
        if line.kind is LineKind.DOMAIN and line.action is not Action.REJECTED:
            if line.host in domains:
                line.reject(Reason.DUPLICATE, f"repeats domain:{line.host} of line {domains[line.host]}")
            else:
                domains[line.host] = line.number

    urls: dict[str, int] = {}
    for line in lines:
        if line.action is Action.REJECTED or line.kind not in (LineKind.DOMAIN, LineKind.URL):
            continue
        if line.kind is LineKind.DOMAIN:
            parent_host = ".".join(line.host.split(".")[1:])
            parent = covering_domain(parent_host, domains) if "." in parent_host else None
        else:
            parent = covering_domain(line.host, domains)
            if parent is None and line.value in urls:
                line.reject(Reason.DUPLICATE, f"repeats the URL of line {urls[line.value]}")
                continue
            urls.setdefault(line.value, line.number)
        if parent is not None:
            line.reject(
                Reason.COVERED_BY_DOMAIN,
                f"already covered by domain:{parent} on line {domains[parent]}",
            )
