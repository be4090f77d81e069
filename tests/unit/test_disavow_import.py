from pathlib import Path

import pytest

from backlinks.errors import InvalidParameterError
from backlinks.logic.disavow_import import Action, LineKind, Reason, decode_upload, parse_disavow, split_lines

pytestmark = pytest.mark.usefixtures("socket_disabled")

CASES = Path(__file__).parents[1] / "fixtures" / "cases" / "disavow"


def outcome(line) -> tuple:
    return (line.action, line.reason, line.value)


@pytest.mark.parametrize(
    ("data", "text", "encoding"),
    [
        (b"\xef\xbb\xbfdomain:a.com", "domain:a.com", "utf-8-bom"),
        ("domain:a.com".encode("utf-16-le").join([b"\xff\xfe", b""]), "domain:a.com", "utf-16-le"),
        ("domain:a.com".encode("utf-16-be").join([b"\xfe\xff", b""]), "domain:a.com", "utf-16-be"),
        ("domain:bücher.de".encode(), "domain:bücher.de", "utf-8"),
    ],
)
def test_decode_by_bom(data, text, encoding):
    assert decode_upload(data) == (text, encoding)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "empty"),
        (b"domain:a.com\n\xe9", "byte offset 13"),
        (b"\xef\xbb\xbfab\xff", "byte offset 5"),
        (b"\xff\xfe\x00\xd8a\x00", "byte offset 2"),
        (b"\xff\xfe\x00\x00d\x00\x00\x00", "UTF-32"),
        (b"d\x00o\x00", "NUL byte at byte offset 1"),
    ],
)
def test_decode_rejects_with_offset(data, fragment):
    with pytest.raises(InvalidParameterError) as raised:
        decode_upload(data)

    assert fragment in raised.value.message


def test_split_lines_mixed_endings():
    assert split_lines("a\r\nb\rc\n\nd\n") == ["a", "b", "c", "", "d"]
    assert split_lines("a\u2028b") == ["a\u2028b"]


def test_bom_crlf_case():
    parsed = parse_disavow((CASES / "synthetic_bom_crlf.txt").read_bytes())

    lines = {line.number: line for line in parsed.lines}
    assert outcome(lines[1]) == (Action.NORMALIZED, None, "domain:example.com")
    assert outcome(lines[2]) == (Action.NORMALIZED, None, "domain:example.org")
    assert outcome(lines[3])[:2] == (Action.REJECTED, Reason.DUPLICATE)
    assert outcome(lines[4])[:2] == (Action.REJECTED, Reason.WILDCARD)
    assert outcome(lines[6]) == (Action.NORMALIZED, None, "domain:example.info")
    assert outcome(lines[8])[:2] == (Action.REJECTED, Reason.SCHEME_IN_DOMAIN)
    assert [warning["code"] for warning in lines[9].warnings] == ["keyword_case"]
    assert [warning["code"] for warning in lines[11].warnings] == ["whitespace"]
    assert lines[13].kind is LineKind.URL
    assert outcome(lines[13])[:2] == (Action.REJECTED, Reason.NOT_A_URL)
    assert (lines[14].kind, lines[15].kind) == (LineKind.COMMENT, LineKind.BLANK)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("DOMAIN: WWW.Bücher.DE. ", (Action.NORMALIZED, None, "domain:xn--bcher-kva.de")),
        ("domain:", (Action.REJECTED, Reason.MALFORMED_DOMAIN, None)),
        ("domain:a b.com", (Action.REJECTED, Reason.MALFORMED_DOMAIN, None)),
        ("domain:example.com:8080", (Action.REJECTED, Reason.MALFORMED_DOMAIN, None)),
        ("domain:example.com/path", (Action.REJECTED, Reason.PATH_IN_DOMAIN, None)),
        ("domain:blogspot.com", (Action.REJECTED, Reason.PUBLIC_SUFFIX, None)),
        ("domain:co.uk", (Action.REJECTED, Reason.PUBLIC_SUFFIX, None)),
        ("domain:a.blogspot.com", (Action.ACCEPTED, None, "domain:a.blogspot.com")),
        ("example.com", (Action.REJECTED, Reason.NOT_A_URL, None)),
        ("ftp://example.com/file", (Action.REJECTED, Reason.NOT_A_URL, None)),
        ("HTTP://Example.COM:80/Path#top", (Action.NORMALIZED, None, "http://example.com/Path")),
        ("https://example.com:8443/a", (Action.ACCEPTED, None, "https://example.com:8443/a")),
        ("https://example.com/ä", (Action.NORMALIZED, None, "https://example.com/%C3%A4")),
        ("https://example.com/\ufffd", (Action.REJECTED, Reason.REPLACEMENT_CHARACTER, None)),
        ("https://user@example.com/", (Action.REJECTED, Reason.BAD_HOST, None)),
        ("https://example.com/" + "a" * 2028, (Action.ACCEPTED, None, "https://example.com/" + "a" * 2028)),
        ("https://example.com/" + "a" * 2029, (Action.REJECTED, Reason.URL_TOO_LONG, None)),
    ],
)
def test_single_line_outcome(line, expected):
    (parsed,) = parse_disavow(line.encode()).lines

    assert outcome(parsed) == expected


def test_redundant_entries_rejected():
    content = (
        b"http://www.spam.com/a\n"
        b"domain:sub.spam.com\n"
        b"domain:spam.com\n"
        b"http://other.net/a\n"
        b"http://other.net/a\n"
        b"domain:WWW.spam.com\n"
    )

    lines = parse_disavow(content).lines

    assert [(line.action, line.reason) for line in lines] == [
        (Action.REJECTED, Reason.COVERED_BY_DOMAIN),
        (Action.REJECTED, Reason.COVERED_BY_DOMAIN),
        (Action.ACCEPTED, None),
        (Action.ACCEPTED, None),
        (Action.REJECTED, Reason.DUPLICATE),
        (Action.REJECTED, Reason.DUPLICATE),
    ]
    assert lines[0].message == "already covered by domain:spam.com on line 3"


def test_report_shape():
    (line,) = parse_disavow(b"domain:*.spam.com").lines

    assert line.report() == {
        "line": 1,
        "text": "domain:*.spam.com",
        "kind": "domain",
        "action": "rejected",
        "entry": None,
        "reason": "wildcard",
        "message": "wildcards are not part of the disavow format; 'domain:' already covers every "
        "subdomain, so write domain:spam.com",
        "warnings": [],
    }
