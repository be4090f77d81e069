import io
import zipfile

import pytest

from backlinks.errors import EmptyExportError, ExportLimitError
from backlinks.logic.disavow import GOOGLE_MAX_BYTES, GOOGLE_MAX_LINES
from backlinks.logic.disavow_import import Action, Reason, parse_disavow
from backlinks.logic.disavow_merge import ToxicDomain, build_document
from backlinks.logic.xlsx_export import build_xlsx

pytestmark = pytest.mark.usefixtures("socket_disabled")


def lines_of(document) -> list[str]:
    return document.content.decode("utf-8").split("\n")[:-1]


def test_merge_exact_content():
    parsed = parse_disavow(
        b"# kept by hand\n\ndomain:old-spam.com\nhttp://www.toxic.net/page\ndomain:*.bad.org\nhttp://partner.org/x\n"
    )

    document = build_document(
        header=["Header"],
        toxic=[ToxicDomain("toxic.net", 90), ToxicDomain("old-spam.com", 85), ToxicDomain("new.io", 99)],
        keep={"partner.org"},
        imported=parsed,
        reasons=True,
        reason_text="(threshold 80)",
    )

    assert lines_of(document) == [
        "# Header",
        "# kept by hand",
        "",
        "domain:old-spam.com",
        "# rejected on upload, line 5 (wildcard): domain:*.bad.org",
        "# not disavowed, partner.org is on the keep list: http://partner.org/x",
        "",
        "# Toxic referring domains added to the uploaded file",
        "# spam score 99 (threshold 80)",
        "domain:new.io",
        "# spam score 90 (threshold 80)",
        "domain:toxic.net",
    ]
    assert (parsed.lines[3].action, parsed.lines[3].reason) == (Action.REJECTED, Reason.COVERED_BY_DOMAIN)
    assert parsed.lines[5].reason is Reason.KEEP_LIST
    counts = document.counts()
    assert (counts["entries"], counts["added_from_toxic"], counts["toxic_already_in_file"]) == (3, 2, 1)
    assert counts["suppressed_by_keep_list"] == 1
    assert counts["lines"] == 12
    assert counts["bytes"] == len(document.content)


def test_keep_list_covers_subdomains():
    document = build_document(
        header=[], toxic=[ToxicDomain("a.kept.com", 90), ToxicDomain("spam.com", 90)], keep={"kept.com"}
    )

    assert lines_of(document) == ["domain:spam.com"]
    assert document.suppressed_domains == ["a.kept.com"]


def test_everything_kept_is_empty_export():
    with pytest.raises(EmptyExportError) as raised:
        build_document(header=["h"], toxic=[ToxicDomain("spam.com", 90)], keep={"spam.com"})

    assert raised.value.details["suppressed_by_keep_list"] == 1


def test_line_limit_exact_and_beyond():
    hosts = [ToxicDomain(f"d{index:05x}.io", 90) for index in range(GOOGLE_MAX_LINES - 1)]

    assert build_document(header=["h"], toxic=hosts, keep=set()).lines == GOOGLE_MAX_LINES
    with pytest.raises(ExportLimitError) as raised:
        build_document(header=["h", "second"], toxic=hosts, keep=set())
    assert raised.value.details == {"lines": GOOGLE_MAX_LINES + 1, "limit": GOOGLE_MAX_LINES}


def test_reasons_count_against_limit():
    hosts = [ToxicDomain(f"d{index:05x}.io", 90) for index in range(GOOGLE_MAX_LINES // 2)]

    with pytest.raises(ExportLimitError):
        build_document(header=["h"], toxic=hosts, keep=set(), reasons=True)


def test_byte_limit_with_fold_skipped_for_single_urls():
    urls = "".join(f"https://s{index}.com/{'a' * 1990}\n" for index in range(1010)).encode()

    with pytest.raises(ExportLimitError) as raised:
        build_document(header=[], toxic=[], keep=set(), imported=parse_disavow(urls))

    assert raised.value.details["limit"] == GOOGLE_MAX_BYTES


def test_fold_skips_kept_site():
    urls = "".join(f"https://s{index % 2}.com/{index}/{'a' * 1990}\n" for index in range(1000)).encode()

    document = build_document(header=[], toxic=[], keep={"blog.s0.com"}, imported=parse_disavow(urls))

    assert document.folded == [{"domain": "s1.com", "urls": 500}]
    assert document.byte_count <= 0.9 * GOOGLE_MAX_BYTES


def test_xlsx_cells_are_text_not_formulas():
    content = build_xlsx([('=HYPERLINK("x")', 5, True, None)], ["domain", "n", "flag", "empty"])

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet
    assert '<c r="A2" t="inlineStr"><is><t>=HYPERLINK("x")</t></is></c>' in sheet
    assert 't="b"' in sheet
