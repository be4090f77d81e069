import pytest
from hypothesis import given
from hypothesis import strategies as st

from backlinks.domains import (
    canonical_referring_domain,
    is_public_suffix,
    normalize_host,
    normalize_target,
    registrable_domain,
)
from backlinks.errors import InvalidDomainError

pytestmark = pytest.mark.usefixtures("socket_disabled")

# A host of 5 labels of 58 characters plus ".com": 5 * 59 + 3 = 298 characters, each label valid.
LONG_HOST = ".".join(["a" * 58] * 5) + ".com"

VALID_HOSTS = [
    ("example.com", "example.com"),
    ("  Example.COM  ", "example.com"),
    ("WWW.Example.COM.", "www.example.com"),
    ("Bücher.de", "xn--bcher-kva.de"),
    ("BÜCHER.DE", "xn--bcher-kva.de"),
    ("xn--bcher-kva.de", "xn--bcher-kva.de"),
    ("пример.рф", "xn--e1afmkfd.xn--p1ai"),
    ("ｅｘａｍｐｌｅ。ｃｏｍ", "example.com"),
    ("http://example.com:8080/path?q", "example.com"),
    ("https://Sub.Example.com/a/b#frag", "sub.example.com"),
    ("HTTPS://example.com", "example.com"),
    ("example.com:443", "example.com"),
    ("example.com/path", "example.com"),
    ("example.com?x=1", "example.com"),
    ("example.com:", "example.com"),
    ("//example.com/path", "example.com"),
    ("\ufeffexample.com", "example.com"),
    ("a.blogspot.com", "a.blogspot.com"),
    ("co.uk", "co.uk"),
    ("r3---sn-abc.googlevideo.com", "r3---sn-abc.googlevideo.com"),
    ("a" * 63 + ".com", "a" * 63 + ".com"),
]

INVALID_HOSTS = [
    ("", "is empty"),
    ("   ", "is empty"),
    ("https://user@x.com", "userinfo"),
    ("https://user:secret@x.com/", "userinfo"),
    ("example.com..", "more than one dot"),
    ("..example.com", "empty label"),
    ("example..com", "empty label"),
    ("192.168.0.1", "IP address"),
    ("http://192.168.0.1:80/", "IP address"),
    ("[::1]", "IP address"),
    ("http://[2001:db8::1]:8080/", "IP address"),
    ("::1", "IP address"),
    ("1.2.3", "numeric label"),
    ("localhost", "single-label"),
    ("http://localhost:3000", "single-label"),
    (LONG_HOST, "298 characters"),
    ("a" * 64 + ".com", "64 characters"),
    ("exa mple.com", "invalid character ' '"),
    ("under_score.example.com", "invalid character '_'"),
    ("*.example.com", "invalid character '*'"),
    ("ex%41mple.com", "invalid character '%'"),
    ("-example.com", "hyphen"),
    ("example-.com", "hyphen"),
    ("example.invalidtld", "unknown top-level domain"),
    ("xn--zz.com", "invalid punycode"),
    ("\ufffd.com", "internationalized"),
    ("http://http://example.com", "second scheme"),
    ("example.com:abc", "invalid port"),
    ("example.com:99999", "invalid port"),
    ("http://", "no host"),
    ("http:///path", "no host"),
]


@pytest.mark.parametrize(("value", "expected"), VALID_HOSTS)
def test_normalize_host_valid(value: str, expected: str) -> None:
    assert normalize_host(value) == expected


@pytest.mark.parametrize(("value", "reason_part"), INVALID_HOSTS)
def test_normalize_host_invalid(value: str, reason_part: str) -> None:
    with pytest.raises(InvalidDomainError) as caught:
        normalize_host(value)

    assert caught.value.value == value
    assert reason_part in caught.value.reason
    assert repr(value) in str(caught.value)
    assert caught.value.reason in str(caught.value)


def test_normalize_host_non_string() -> None:
    with pytest.raises(InvalidDomainError) as caught:
        normalize_host(None)  # type: ignore[arg-type]

    assert "must be a string" in caught.value.reason


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("WWW.Example.COM.", "example.com"),
        ("https://www.example.com/page", "example.com"),
        ("www.www.example.com", "www.example.com"),
        ("Bücher.de", "xn--bcher-kva.de"),
        ("a.blogspot.com", "a.blogspot.com"),
        ("shop.example.co.uk", "shop.example.co.uk"),
        ("www.com", "www.com"),
        ("www.co.uk", "www.co.uk"),
    ],
)
def test_normalize_target_valid(value: str, expected: str) -> None:
    assert normalize_target(value) == expected


@pytest.mark.parametrize("value", ["co.uk", "blogspot.com", "github.io", "https://CO.UK/", "pages.dev."])
def test_normalize_target_public_suffix(value: str) -> None:
    with pytest.raises(InvalidDomainError) as caught:
        normalize_target(value)

    assert caught.value.reason.startswith("is a public suffix")
    assert repr(value) in str(caught.value)


@pytest.mark.parametrize("value", ["localhost", "com."])
def test_normalize_target_single_label(value: str) -> None:
    with pytest.raises(InvalidDomainError) as caught:
        normalize_target(value)

    assert "single-label" in caught.value.reason


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("www.example.com", "example.com"),
        ("WWW.EXAMPLE.COM", "example.com"),
        ("http://www.Bücher.de/", "xn--bcher-kva.de"),
        ("www.co.uk", "www.co.uk"),
        ("www.blogspot.com", "www.blogspot.com"),
        ("blog.example.com", "blog.example.com"),
        ("co.uk", "co.uk"),
    ],
)
def test_canonical_referring_domain(value: str, expected: str) -> None:
    assert canonical_referring_domain(value) == expected


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("example.com", "example.com"),
        ("a.b.example.com", "example.com"),
        ("a.blogspot.com", "a.blogspot.com"),
        ("a.b.blogspot.com", "b.blogspot.com"),
        ("user.github.io", "user.github.io"),
        ("shop.example.co.uk", "example.co.uk"),
        ("xn--bcher-kva.de", "xn--bcher-kva.de"),
        ("co.uk", None),
        ("blogspot.com", None),
        ("com", None),
    ],
)
def test_registrable_domain(host: str, expected: str | None) -> None:
    assert registrable_domain(host) == expected


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("com", True),
        ("co.uk", True),
        ("blogspot.com", True),
        ("github.io", True),
        ("pages.dev", True),
        ("example.com", False),
        ("a.blogspot.com", False),
        ("www.co.uk", False),
    ],
)
def test_is_public_suffix(host: str, expected: bool) -> None:
    assert is_public_suffix(host) is expected


def test_blogspot_subdomain_is_own_site() -> None:
    host = normalize_target("a.blogspot.com")

    assert registrable_domain(host) == host
    assert registrable_domain("b.blogspot.com") != registrable_domain(host)


LDH_LABEL = st.from_regex(r"\A[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,20}[a-zA-Z0-9])?\Z")
UNICODE_LABEL = st.text(alphabet="abcxyzäöüßéçñøåłжзиκλμ", min_size=1, max_size=12)
SUFFIX = st.sampled_from(["com", "de", "co.uk", "blogspot.com", "github.io", "xn--p1ai", "рф", "COM"])
HOST_LIKE = st.builds(
    lambda labels, suffix, dot: ".".join([*labels, suffix]) + dot,
    st.lists(st.one_of(LDH_LABEL, UNICODE_LABEL), min_size=1, max_size=4),
    SUFFIX,
    st.sampled_from(["", "."]),
)
URL_LIKE = st.builds(
    lambda scheme, host, port, path: f"{scheme}{host}{port}{path}",
    st.sampled_from(["", "http://", "HTTPS://", "//"]),
    HOST_LIKE,
    st.sampled_from(["", ":8080", ":"]),
    st.sampled_from(["", "/", "/path?q=1", "#top"]),
)
ANY_INPUT = st.one_of(URL_LIKE, st.text(max_size=40))


def _normalize_or_none(value: str) -> str | None:
    try:
        return normalize_host(value)
    except InvalidDomainError:
        return None


@given(ANY_INPUT)
def test_normalize_host_idempotent(value: str) -> None:
    host = _normalize_or_none(value)
    if host is not None:
        assert normalize_host(host) == host


@given(ANY_INPUT)
def test_normalize_host_output_form(value: str) -> None:
    host = _normalize_or_none(value)
    if host is None:
        return

    assert host.isascii()
    assert host == host.lower()
    assert not host.endswith(".")
    assert ":" not in host
    assert "/" not in host
    assert len(host) <= 253


@given(URL_LIKE)
def test_canonical_referring_domain_idempotent(value: str) -> None:
    try:
        host = canonical_referring_domain(value)
    except InvalidDomainError:
        return

    assert canonical_referring_domain(host) == host


@given(st.text(max_size=40))
def test_normalize_host_raises_only_invalid_domain(value: str) -> None:
    try:
        normalize_host(value)
    except InvalidDomainError as error:
        assert error.value == value
        assert error.reason
