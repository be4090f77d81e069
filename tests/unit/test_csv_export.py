import csv
import io
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backlinks.logic.csv_export import build_csv

pytestmark = pytest.mark.usefixtures("socket_disabled")

BOM = b"\xef\xbb\xbf"


def _parse(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def test_csv_exact_content() -> None:
    rows = [
        {"domain": "example.com", "spam_score": 85, "is_toxic": True, "first_seen": None},
        {"domain": "xn--bcher-kva.de", "spam_score": 12.5, "is_toxic": False, "first_seen": "2026-01-31"},
    ]

    content = build_csv(rows, ["domain", "spam_score", "is_toxic", "first_seen"])

    assert content == (
        BOM + b"domain,spam_score,is_toxic,first_seen\r\n"
        b"example.com,85,true,\r\n"
        b"xn--bcher-kva.de,12.5,false,2026-01-31\r\n"
    )


def test_csv_header_only() -> None:
    assert build_csv([], ["domain", "spam_score"]) == BOM + b"domain,spam_score\r\n"


def test_csv_no_columns_rejected() -> None:
    with pytest.raises(ValueError, match="at least one column"):
        build_csv([{"a": 1}], [])


def test_csv_column_selection() -> None:
    content = build_csv([{"b": "2", "extra": "ignored"}], ["a", "b"])

    assert content == BOM + b"a,b\r\n,2\r\n"


def test_csv_unicode_text() -> None:
    content = build_csv([{"anchor": "Bücher kaufen – günstig"}], ["anchor"])

    assert content == BOM + "anchor\r\nBücher kaufen – günstig\r\n".encode()


def test_csv_quoting() -> None:
    content = build_csv([{"anchor": 'say "hi", then\nleave'}], ["anchor"])

    assert content == BOM + b'anchor\r\n"say ""hi"", then\nleave"\r\n'
    assert _parse(content) == [["anchor"], ['say "hi", then\nleave']]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("\0cmd", "'\0cmd"),
        ("-5", "'-5"),
        ("a=b", "a=b"),
        ("'quoted", "'quoted"),
        ("", ""),
    ],
)
def test_csv_formula_text_prefixed(value: str, expected: str) -> None:
    content = build_csv([{"cell": value}], ["cell"])

    assert _parse(content)[1] == [expected]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(-5, "-5"), (0, "0"), (-1.5, "-1.5"), (Decimal("-0.25"), "-0.25"), (True, "true"), (False, "false")],
)
def test_csv_numbers_unchanged(value: object, expected: str) -> None:
    content = build_csv([{"cell": value}], ["cell"])

    assert _parse(content)[1] == [expected]


def test_csv_header_prefixed() -> None:
    content = build_csv([], ["=cmd"])

    assert content == BOM + b"'=cmd\r\n"


def test_csv_lone_surrogate_replaced() -> None:
    content = build_csv([{"cell": "bad \ud800 text"}], ["cell"])

    assert _parse(content)[1] == ["bad ? text"]


@given(st.lists(st.text(max_size=20), min_size=1, max_size=5))
def test_csv_cells_never_formula(values: list[str]) -> None:
    columns = [f"c{index}" for index in range(len(values))]
    row = dict(zip(columns, values, strict=True))

    content = build_csv([row], columns)
    parsed = _parse(content)

    assert content.startswith(BOM)
    assert len(parsed) == 2
    for written, original in zip(parsed[1], values, strict=True):
        assert not written.startswith(("=", "+", "-", "@", "\t", "\r", "\0"))
        assert written in (original, "'" + original)
