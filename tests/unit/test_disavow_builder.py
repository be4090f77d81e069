from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backlinks.domains import is_public_suffix, normalize_host
from backlinks.errors import EmptyExportError, ExportLimitError
from backlinks.logic import disavow
from backlinks.logic.disavow import (
    GOOGLE_MAX_BYTES,
    GOOGLE_MAX_LINES,
    build_disavow_file,
)

pytestmark = pytest.mark.usefixtures("socket_disabled")


def _twelve_character_hosts(count: int) -> list[str]:
    """Return distinct hosts such as "h000042.info": each makes a 20-byte `domain:` line."""
    return [f"h{index:06d}.info" for index in range(count)]


def test_disavow_exact_content() -> None:
    result = build_disavow_file(
        ["spam.example.com", "Bücher.de", "https://www.toxic.net/page?x=1", "a.blogspot.com"],
        comment_lines=["Toxic domains", "Exported by the backlinks service"],
    )

    assert result.content == (
        b"# Toxic domains\n"
        b"# Exported by the backlinks service\n"
        b"domain:a.blogspot.com\n"
        b"domain:spam.example.com\n"
        b"domain:toxic.net\n"
        b"domain:xn--bcher-kva.de\n"
    )
    assert result.entries == 4
    assert result.lines == 6
    assert result.byte_count == len(result.content)
    assert result.skipped == {"invalid": 0, "public_suffix": 0, "duplicate": 0}


def test_disavow_file_format() -> None:
    result = build_disavow_file(["example.com"])

    assert not result.content.startswith(b"\xef\xbb\xbf")
    assert b"\r" not in result.content
    assert result.content.endswith(b"\n")
    assert result.content.decode("utf-8") == "domain:example.com\n"


def test_disavow_variants_collapse() -> None:
    variants = [
        "example.com",
        "EXAMPLE.COM",
        "www.example.com",
        "WWW.Example.Com.",
        "http://www.example.com:8080/path",
        "bücher.de",
        "BÜCHER.DE",
        "xn--bcher-kva.de",
        "www.bücher.de",
    ]

    result = build_disavow_file(variants)

    assert result.content == b"domain:example.com\ndomain:xn--bcher-kva.de\n"
    assert result.entries == 2
    assert result.skipped["duplicate"] == 7


def test_disavow_public_suffix_skipped() -> None:
    result = build_disavow_file(["co.uk", "blogspot.com", "GitHub.IO.", "a.blogspot.com"])

    assert result.content == b"domain:a.blogspot.com\n"
    assert result.skipped["public_suffix"] == 3


def test_disavow_www_public_suffix_kept() -> None:
    # "www.co.uk" is a registrable domain of its own, so it is written and not reduced to "co.uk".
    result = build_disavow_file(["www.co.uk"])

    assert result.content == b"domain:www.co.uk\n"


def test_disavow_invalid_skipped() -> None:
    result = build_disavow_file(
        ["example.com", "", "localhost", "192.168.0.1", "exa mple.com", "example.invalidtld", None]  # type: ignore[list-item]
    )

    assert result.content == b"domain:example.com\n"
    assert result.skipped == {"invalid": 6, "public_suffix": 0, "duplicate": 0}


@pytest.mark.parametrize("domains", [[], ["co.uk", "localhost", ""]])
def test_disavow_empty_rejected(domains: list[str]) -> None:
    with pytest.raises(EmptyExportError) as caught:
        build_disavow_file(domains, comment_lines=["comment only"])

    assert "empty" in caught.value.message
    assert "replaces the existing disavow list" in caught.value.message


def test_disavow_comment_sanitized() -> None:
    result = build_disavow_file(
        ["example.com"],
        comment_lines=["line one\nline two\r\nthree", "sep\u2028x\x85y", "", "  padded  ", "tab\tkept"],
    )

    assert result.content.decode("utf-8").splitlines() == [
        "# line one line two  three",
        "# sep x y",
        "#",
        "# padded",
        "# tab\tkept",
        "domain:example.com",
    ]
    assert result.lines == 6


def test_disavow_comment_lone_surrogate() -> None:
    result = build_disavow_file(["example.com"], comment_lines=["bad \ud800 text"])

    assert result.content == b"# bad ? text\ndomain:example.com\n"


def test_disavow_lines_at_limit() -> None:
    result = build_disavow_file(_twelve_character_hosts(GOOGLE_MAX_LINES))

    assert result.lines == 100_000
    assert result.entries == 100_000
    assert result.content.count(b"\n") == 100_000


def test_disavow_lines_over_limit() -> None:
    with pytest.raises(ExportLimitError) as caught:
        build_disavow_file(_twelve_character_hosts(GOOGLE_MAX_LINES + 1))

    assert "100,001 lines" in caught.value.message
    assert "100,000" in caught.value.message
    assert caught.value.details["limit"] == 100_000


def test_disavow_comment_lines_count() -> None:
    hosts = _twelve_character_hosts(GOOGLE_MAX_LINES - 1)

    result = build_disavow_file(hosts, comment_lines=["one comment"])
    assert result.lines == 100_000

    with pytest.raises(ExportLimitError) as caught:
        build_disavow_file(hosts, comment_lines=["one comment", "two comments"])
    assert "100,001 lines" in caught.value.message


def test_disavow_bytes_at_limit() -> None:
    # 100,000 lines of exactly 20 bytes ("domain:" + 12 characters + "\n").
    result = build_disavow_file(_twelve_character_hosts(GOOGLE_MAX_LINES))

    assert result.byte_count == 2_000_000
    assert len(result.content) == 2_000_000


def test_disavow_bytes_over_limit() -> None:
    hosts = _twelve_character_hosts(GOOGLE_MAX_LINES - 1) + ["h1234567.info"]

    with pytest.raises(ExportLimitError) as caught:
        build_disavow_file(hosts)

    assert "2,000,001 bytes" in caught.value.message
    assert "2,000,000" in caught.value.message
    assert caught.value.details["limit"] == GOOGLE_MAX_BYTES


def test_disavow_comment_bytes_count() -> None:
    entry_bytes = len(b"domain:example.com\n")
    # The comment line is "# " + text + "\n", and each "é" is 2 bytes in UTF-8.
    text_bytes = GOOGLE_MAX_BYTES - entry_bytes - 3
    text = "é" * (text_bytes // 2) + "x" * (text_bytes % 2)

    result = build_disavow_file(["example.com"], comment_lines=[text])
    assert result.byte_count == GOOGLE_MAX_BYTES

    with pytest.raises(ExportLimitError) as caught:
        build_disavow_file(["example.com"], comment_lines=[text + "x"])
    assert "2,000,001 bytes" in caught.value.message


def test_disavow_comments_alone_over_limit() -> None:
    with pytest.raises(ExportLimitError) as caught:
        build_disavow_file(["example.com"], comment_lines=["c"] * (GOOGLE_MAX_LINES + 1))

    assert "100,001 lines" in caught.value.message


def test_disavow_single_string_rejected() -> None:
    with pytest.raises(TypeError, match="not a single string"):
        build_disavow_file("example.com")

    with pytest.raises(TypeError, match="not a single string"):
        build_disavow_file(["example.com"], comment_lines="one comment")  # type: ignore[arg-type]


def test_disavow_generator_input() -> None:
    result = build_disavow_file(host for host in ["b.example.com", "a.example.com"])

    assert result.content == b"domain:a.example.com\ndomain:b.example.com\n"


HOST_INPUT = st.one_of(
    st.builds(
        lambda name, suffix, www: f"{www}{name}.{suffix}",
        st.from_regex(r"\A[a-zA-Z0-9]{1,10}\Z"),
        st.sampled_from(["com", "CO.UK", "blogspot.com", "de", "unknowntld"]),
        st.sampled_from(["", "www.", "WWW.", "https://"]),
    ),
    st.sampled_from(["co.uk", "github.io", "localhost", "bücher.de", "[::1]", ""]),
    st.text(max_size=15),
)


@settings(max_examples=200, deadline=None)
@given(
    domains=st.lists(HOST_INPUT, max_size=30),
    comments=st.lists(st.text(max_size=20), max_size=3),
    max_lines=st.integers(min_value=1, max_value=20),
    max_bytes=st.integers(min_value=10, max_value=400),
)
def test_disavow_output_within_limits(
    domains: list[str], comments: list[str], max_lines: int, max_bytes: int
) -> None:
    # Small limits make both the accepted and the rejected paths reachable with short inputs.
    with (
        mock.patch.object(disavow, "GOOGLE_MAX_LINES", max_lines),
        mock.patch.object(disavow, "GOOGLE_MAX_BYTES", max_bytes),
    ):
        try:
            result = build_disavow_file(domains, comment_lines=comments)
        except (EmptyExportError, ExportLimitError):
            return

    assert result.lines <= max_lines
    assert result.byte_count <= max_bytes
    assert result.entries + sum(result.skipped.values()) == len(domains)

    text = result.content.decode("utf-8")
    assert text.endswith("\n")
    lines = text.split("\n")[:-1]
    assert len(lines) == result.lines

    entries = [line.removeprefix("domain:") for line in lines if line.startswith("domain:")]
    assert len(entries) == result.entries
    assert entries == sorted(set(entries))
    for line in lines:
        assert line == "#" or line.startswith("# ") or line.startswith("domain:")
    for host in entries:
        assert normalize_host(host) == host
        assert not is_public_suffix(host)
