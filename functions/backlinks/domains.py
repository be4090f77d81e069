"""Domain normalization at the edge: every host that enters the service gets one canonical form.

The canonical form is lowercase ASCII: IDN labels become punycode A-labels (IDNA 2008 with UTS #46
mapping), one trailing dot is removed, and a URL is reduced to its host with the port dropped.
Input that is not a usable public host name raises InvalidDomainError with the value and the reason.
It is never rewritten into another site.

Host name characters follow RFC 1123 (section 2.1): letters, digits and hyphens, with labels of 1 to
63 characters that neither start nor end with a hyphen. Underscores are rejected: they are valid in
DNS records such as `_dmarc`, but not in host names, and such hosts cannot serve a website reliably.

Public suffixes come from the Public Suffix List snapshot bundled with tldextract 5.4.0, with the
private section on, so `blogspot.com` and `github.io` are suffixes and each blog is its own domain.
The list is never fetched at run time.
"""

import ipaddress
import re

import idna
from tldextract import TLDExtract
from tldextract.tldextract import ExtractResult

from backlinks.errors import InvalidDomainError

MAX_HOST_LENGTH = 253
MAX_LABEL_LENGTH = 63

# suffix_list_urls=() keeps tldextract on its bundled snapshot, and cache_dir=None keeps it from
# writing a cache file (the home folder is read-only on Lambda).
#
# ".example" is reserved for documentation (RFC 2606) and is not in the list. It is accepted as a
# top-level domain so that examples and anonymized disavow files ("spam.example") normalize like
# real hosts; no live site can use it, so nothing real is affected. ".test", ".invalid" and
# ".localhost" stay rejected.
DOCUMENTATION_SUFFIXES = ("example",)
_EXTRACTOR = TLDExtract(
    suffix_list_urls=(),
    cache_dir=None,
    include_psl_private_domains=True,
    extra_suffixes=DOCUMENTATION_SUFFIXES,
)

# RFC 3986 scheme followed by "://".
_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_LDH_LABEL_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
_INVALID_LDH_CHAR_RE = re.compile(r"[^a-z0-9-]")
_NUMERIC_LABEL_RE = re.compile(r"^(?:[0-9]+|0x[0-9a-f]*)$")
_AUTHORITY_END_RE = re.compile(r"[/?#\\]")

# str.strip() with no argument removes Unicode whitespace but not U+FEFF, which a file read without
# "utf-8-sig" leaves in front of its first line.
_BYTE_ORDER_MARK = "\ufeff"
_WWW_PREFIX = "www."


def normalize_host(value: str) -> str:
    """Normalize a host name or URL to the canonical host, or raise InvalidDomainError.

    Accepts a bare host, "host:port", "host/path" and full URLs such as
    "https://host:8080/path?query". Rejects IP addresses, single-label hosts, hosts whose last
    label is not in the Public Suffix List and URLs with userinfo ("user@host").
    """
    if not isinstance(value, str):
        raise InvalidDomainError(repr(value), f"must be a string, not {type(value).__name__}")

    text = value.strip().strip(_BYTE_ORDER_MARK).strip()
    if not text:
        raise InvalidDomainError(value, "is empty")

    host = _extract_host(value, text)
    host = _encode_host(value, host)
    _check_host_structure(value, host)
    return host


def normalize_target(value: str) -> str:
    """Normalize a domain that a user asks to analyze, or raise InvalidDomainError.

    Applies canonical_referring_domain, so "www." is removed unless that leaves a public suffix,
    and rejects a bare public suffix such as "co.uk" or "github.io".
    """
    host = canonical_referring_domain(value)
    if is_public_suffix(host):
        raise InvalidDomainError(value, f"is a public suffix ({host}), shared by many sites")
    return host


def canonical_referring_domain(value: str) -> str:
    """Normalize a host from a DataForSEO item or a disavow entry, or raise InvalidDomainError.

    Removes one leading "www." unless the rest is a public suffix: "www.example.com" becomes
    "example.com", but "www.co.uk" stays as it is. A bare public suffix is returned unchanged,
    so callers that must not write one check is_public_suffix.
    """
    host = normalize_host(value)
    if host.startswith(_WWW_PREFIX):
        without_www = host[len(_WWW_PREFIX) :]
        if not is_public_suffix(without_www):
            return without_www
    return host


def registrable_domain(host: str) -> str | None:
    """Return the registrable domain of a normalized host, or None for a public suffix.

    Private suffixes count: "a.b.blogspot.com" returns "b.blogspot.com". The host must be the
    output of normalize_host, because no other check happens here.
    """
    registrable = _split(host).top_domain_under_public_suffix
    return registrable or None


def registrable_name(host: str) -> str:
    """Return the label of a normalized host just under its public suffix, in Unicode.

    "blog.acme-shop.co.uk" returns "acme-shop" and "xn--mnchen-3ya.de" returns "münchen". A host
    that is a public suffix returns its first label.
    """
    label = _split(host).domain or host.split(".", 1)[0]
    if label.startswith("xn--"):
        try:
            return label.encode("ascii").decode("idna")
        except UnicodeError:
            return label
    return label


def is_public_suffix(host: str) -> bool:
    """Return whether a normalized host is itself a public suffix ("com", "co.uk", "github.io")."""
    parts = _split(host)
    return bool(parts.suffix) and not parts.domain


def _split(host: str) -> ExtractResult:
    return _EXTRACTOR.extract_str(host)


def _extract_host(value: str, text: str) -> str:
    """Cut the host out of a bare host or URL, rejecting userinfo, IP literals and bad ports."""
    rest = text
    scheme = _SCHEME_RE.match(rest)
    if scheme:
        rest = rest[scheme.end() :]
        if _SCHEME_RE.match(rest):
            raise InvalidDomainError(value, "contains a second scheme (for example 'http://http://')")
    elif rest.startswith("//"):
        rest = rest[2:]

    end = _AUTHORITY_END_RE.search(rest)
    authority = rest[: end.start()] if end else rest
    if not authority:
        raise InvalidDomainError(value, "has no host")
    if "@" in authority:
        raise InvalidDomainError(value, "contains userinfo ('user@host'); give the host alone")
    if authority.startswith("["):
        raise InvalidDomainError(value, "is an IP address literal, not a host name")
    if authority.count(":") > 1:
        if _is_ip_address(authority):
            raise InvalidDomainError(value, "is an IP address literal, not a host name")
        raise InvalidDomainError(value, "contains more than one ':'")

    host, _, port = authority.partition(":")
    # An empty port ("host:") is allowed by RFC 3986 and means the default port.
    if port and not (port.isascii() and port.isdigit() and int(port) <= 65535):
        raise InvalidDomainError(value, f"has an invalid port {port!r}")
    if not host:
        raise InvalidDomainError(value, "has no host")
    return host


def _encode_host(value: str, host: str) -> str:
    """Lowercase the host, drop one trailing dot and convert IDN labels to A-labels."""
    if host.isascii():
        host = host.lower()
    else:
        try:
            # UTS #46 mapping lowercases, applies NFC and maps full-width dots to ".".
            host = idna.uts46_remap(host, std3_rules=False, transitional=False)
        except idna.IDNAError as error:
            raise InvalidDomainError(
                value, f"is not a valid internationalized domain name: {error}"
            ) from error

    if host.endswith("."):
        host = host[:-1]
        if host.endswith("."):
            raise InvalidDomainError(value, "ends with more than one dot")

    # The port is gone, so only IPv4 remains possible: digits and dots.
    if host.replace(".", "").isdigit() and _is_ip_address(host):
        raise InvalidDomainError(value, "is an IP address, not a host name")

    labels = [_encode_label(value, label) for label in host.split(".")]
    return ".".join(labels)


def _encode_label(value: str, label: str) -> str:
    if not label:
        raise InvalidDomainError(value, "contains an empty label (a leading dot or two dots in a row)")

    if not label.isascii():
        try:
            return idna.alabel(label).decode("ascii")
        except idna.IDNAError as error:
            raise InvalidDomainError(
                value, f"has an invalid internationalized label {label!r}: {error}"
            ) from error

    _check_ldh_label(value, label)
    if label.startswith("xn--"):
        # An A-label given in ASCII must decode to a valid IDNA 2008 U-label.
        try:
            idna.ulabel(label)
        except idna.IDNAError as error:
            raise InvalidDomainError(value, f"has an invalid punycode label {label!r}: {error}") from error
    return label


def _check_ldh_label(value: str, label: str) -> None:
    if len(label) > MAX_LABEL_LENGTH:
        raise InvalidDomainError(
            value, f"has a label of {len(label)} characters (maximum {MAX_LABEL_LENGTH})"
        )
    if _LDH_LABEL_RE.match(label):
        return

    invalid = _INVALID_LDH_CHAR_RE.search(label)
    if invalid:
        raise InvalidDomainError(
            value,
            f"contains the invalid character {invalid.group()!r} "
            "(host names allow letters, digits, hyphens and dots, per RFC 1123)",
        )
    raise InvalidDomainError(value, f"has a label {label!r} that starts or ends with a hyphen")


def _check_host_structure(value: str, host: str) -> None:
    """Check the length, label count and public suffix of an encoded host."""
    if len(host) > MAX_HOST_LENGTH:
        raise InvalidDomainError(value, f"is {len(host)} characters long (maximum {MAX_HOST_LENGTH})")

    labels = host.split(".")
    # WHATWG URL parsing treats a host whose last label is a number as an IPv4 address ("1.2.3",
    # "0x7f.1"), so such a host never names a website.
    if _NUMERIC_LABEL_RE.match(labels[-1]):
        raise InvalidDomainError(value, "is an IP address or ends in a numeric label, not a host name")
    if len(labels) == 1:
        raise InvalidDomainError(
            value, "is a single-label host name; a site needs a name under a public suffix"
        )

    if not _split(host).suffix:
        raise InvalidDomainError(
            value, f"has an unknown top-level domain {labels[-1]!r} (not in the Public Suffix List)"
        )


def _is_ip_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
