"""The disavow workflow over HTTP on the local runtime: uploads, merge, keep lists, limits, versions
and spreadsheet exports."""

import csv
import io
from pathlib import Path

import httpx
import pytest

from backlinks.logic.disavow import GOOGLE_MAX_BYTES, GOOGLE_MAX_LINES
from backlinks.logic.disavow_workflow import MAX_UPLOAD_BYTES
from tests.e2e.conftest import pull, xlsx_rows

pytestmark = pytest.mark.e2e

CASES = Path(__file__).parents[1] / "fixtures" / "cases" / "disavow"
TOXIC_TARGET = "disavow-example.com"
PLAIN_TARGET = "plain-disavow-example.net"
# Two comment lines head every generated file.
HEADER_LINES = 2
TEXT = {"Content-Type": "text/plain"}
JSON = {"Accept": "application/json"}


@pytest.fixture(scope="module")
def toxic_lookup(api):
    """A target pulled with full analysis: it has toxic referring domains."""
    job = pull(api, TOXIC_TARGET, limit=1200, full_analysis=True)
    assert job["state"] == "done", job
    return job


@pytest.fixture(scope="module")
def plain_lookup(api):
    """A target pulled without spam scores: no toxic domains, so a merge contains the upload alone."""
    job = pull(api, PLAIN_TARGET, limit=100, full_analysis=False)
    assert job["state"] == "done", job
    return job


def path(target: str, suffix: str) -> str:
    return f"/v1/backlinks/by-domain/{target}/{suffix}"


def upload(api, target: str, content: bytes, **params) -> httpx.Response:
    return api.post(path(target, "disavow-import"), content=content, headers=TEXT, params=params)


def toxic_domains(api, target: str, threshold: int = 80) -> list[str]:
    domains, cursor = [], None
    while True:
        params = {"limit": 1000, "min_spam": threshold, **({"cursor": cursor} if cursor else {})}
        body = api.get(path(target, "spam-scores"), params=params).json()
        domains += [item["domain"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return domains


def download_lines(url: str) -> list[str]:
    response = httpx.get(url)
    assert response.status_code == 200
    assert not response.content.startswith(b"\xef\xbb\xbf")
    return response.content.decode("utf-8").split("\n")[:-1]


def by_line(report: dict) -> dict[int, dict]:
    return {line["line"]: line for line in report["lines"]}


# Uploads and their per-line reports -------------------------------------------------------------


def test_bom_crlf_upload_report(api, plain_lookup):
    response = upload(api, PLAIN_TARGET, (CASES / "synthetic_bom_crlf.txt").read_bytes(), report="all")

    assert response.status_code == 200, response.text
    body = response.json()
    lines = by_line(body)
    assert body["encoding"] == "utf-8-bom"
    assert len(lines) == 15
    # The BOM does not cost the first line.
    assert lines[1]["action"] == "normalized"
    assert lines[1]["entry"] == "domain:example.com"
    assert [warning["code"] for warning in lines[1]["warnings"]] == ["lowercase"]
    assert lines[2]["entry"] == "domain:example.org"
    assert [warning["code"] for warning in lines[2]["warnings"]] == ["www_removed"]
    assert (lines[3]["action"], lines[3]["reason"]) == ("rejected", "duplicate")
    assert "line 2" in lines[3]["message"]
    assert lines[4]["reason"] == "wildcard"
    assert "domain:spam-example.net" in lines[4]["message"]
    assert lines[6]["entry"] == "domain:example.info"
    assert [warning["code"] for warning in lines[6]["warnings"]] == ["trailing_slash"]
    assert lines[8]["reason"] == "scheme_in_domain"
    assert lines[10]["reason"] == "duplicate"
    assert lines[13]["reason"] == "not_a_url"
    assert (lines[14]["kind"], lines[14]["action"]) == ("comment", "kept")
    assert (lines[15]["kind"], lines[15]["action"]) == ("blank", "kept")
    # Malformed but recognizable lines are normalized, each with a warning naming the fix.
    expected_warnings = {
        5: "trailing_dot",
        7: "whitespace",
        9: "keyword_case",
        11: "whitespace",
        12: "punycode",
    }
    for number, code in expected_warnings.items():
        assert lines[number]["action"] == "normalized", lines[number]
        assert [warning["code"] for warning in lines[number]["warnings"]] == [code]
    assert lines[12]["entry"] == "domain:xn--bcher-kva.example"
    assert body["upload"]["rejected_by_reason"] == {
        "duplicate": 2,
        "wildcard": 1,
        "scheme_in_domain": 1,
        "not_a_url": 1,
    }


def test_bom_crlf_merged_file(api, plain_lookup):
    body = upload(api, PLAIN_TARGET, (CASES / "synthetic_bom_crlf.txt").read_bytes()).json()

    lines = download_lines(body["version"]["url"])
    entries = [line for line in lines if line and not line.startswith("#")]
    assert sorted(entries) == [
        "domain:example.com",
        "domain:example.info",
        "domain:example.org",
        "domain:leading-space.example",
        "domain:space-after-colon.example",
        "domain:trailing-dot.example",
        "domain:upper-keyword.example",
        "domain:xn--bcher-kva.example",
    ]
    assert "# rejected on upload, line 4 (wildcard): domain:*.spam-example.net" in lines
    assert "# comment line" in lines
    assert body["merged"]["entries"] == 8
    assert body["merged"]["lines"] == len(lines)
    assert body["version"]["source"] == "import"


def test_utf16_upload_detected_by_bom(api, plain_lookup):
    response = upload(api, PLAIN_TARGET, (CASES / "synthetic_utf16le_bom.txt").read_bytes())

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["encoding"] == "utf-16-le"
    assert body["upload"]["accepted"] == 2
    assert body["lines"] == []
    lines = download_lines(body["version"]["url"])
    assert lines[HEADER_LINES:] == ["domain:example.com", "domain:example.net"]


def test_url_lines_report(api, plain_lookup):
    body = upload(api, PLAIN_TARGET, (CASES / "url_lines_problems.txt").read_bytes()).json()

    lines = by_line(body)
    assert sorted(lines) == [2, 5, 6, 7, 9, 10]
    assert (lines[2]["reason"], lines[2]["message"]) == (
        "bad_host",
        "invalid host: is an IP address, not a host name",
    )
    assert lines[5]["reason"] == lines[6]["reason"] == "not_a_url"
    assert "unknown top-level domain 'onli2ne'" in lines[7]["message"]
    assert lines[9]["action"] == "accepted"
    assert [warning["code"] for warning in lines[9]["warnings"]] == ["replacement_character"]
    assert "second scheme" in lines[10]["message"]
    entries = [line for line in download_lines(body["version"]["url"]) if line and not line.startswith("#")]
    assert entries == [
        "http://sports-example.com/2013/06/09/some-article/",
        "http://persian-example.com/%D9%84%D9%88%D8%A7%D8%B2%D9%85-%D9%85%D9%86%D8%B2%D9%84/",
        "http://games-example.com/slime-in-wonderland/??",
        "http://news-example.com/noticia.asp?id=1597186&t=Monorean%EF%BF%BD-ou-o-m%EF%BF%BDtodo",
    ]


def test_merge_keeps_comments_and_toxic(api, toxic_lookup):
    content = (CASES / "petroglyph_structure.txt").read_bytes()
    toxic = toxic_domains(api, TOXIC_TARGET)
    assert toxic

    body = upload(api, TOXIC_TARGET, content).json()

    lines = download_lines(body["version"]["url"])
    original = content.decode("utf-8").split("\n")[:-1]
    # Every comment and blank line of the upload survives, in its order.
    kept = [
        line
        for line in lines[HEADER_LINES : HEADER_LINES + len(original)]
        if not line.startswith("# rejected")
    ]
    assert kept[:5] == original[:5]
    assert "domain:lazor.parish-example.org" in lines
    assert "domain:prlog.example.ru" in lines
    # Every entry of the hand-kept file stays an entry: nothing already disavowed is lost.
    for domain in ("urlm.example", "professional-review.example", "starovyna.example"):
        assert f"domain:{domain}" in lines
    assert not [line for line in lines if line.startswith("# rejected")]
    entries = [line for line in lines if line and not line.startswith("#")]
    assert len(entries) == len(set(entries))
    assert set(entries) >= {f"domain:{domain}" for domain in toxic}
    assert body["merged"]["added_from_toxic"] == len(toxic)


def test_upload_entry_already_toxic(api, toxic_lookup):
    toxic = sorted(toxic_domains(api, TOXIC_TARGET))
    content = f"domain:{toxic[0]}\nhttps://www.{toxic[1]}/page.html\n".encode()

    body = upload(api, TOXIC_TARGET, content).json()

    lines = by_line(body)
    assert list(lines) == [2]
    assert lines[2]["reason"] == "covered_by_domain"
    assert body["merged"]["toxic_already_in_file"] == 1
    entries = [line for line in download_lines(body["version"]["url"]) if line and not line.startswith("#")]
    assert entries.count(f"domain:{toxic[0]}") == 1
    assert len(entries) == len(toxic)


def test_invalid_utf8_names_byte_offset(api, plain_lookup):
    response = upload(api, PLAIN_TARGET, b"domain:example.com\n\xe9t\xe9.example.com\n")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_parameter"
    assert "byte offset 19" in response.json()["message"]


def test_upload_of_rejected_lines_only(api, plain_lookup):
    response = upload(api, PLAIN_TARGET, b"domain:*.example.com\n")

    assert response.status_code == 409
    assert response.json()["error"] == "empty_export"


def test_upload_content_type_checked(api, plain_lookup):
    response = api.post(
        path(PLAIN_TARGET, "disavow-import"),
        content=b"domain:example.com\n",
        headers={"Content-Type": "image/png"},
    )

    assert response.status_code == 415
    assert "'image/png'" in response.json()["message"]


def test_upload_size_limited(api, plain_lookup):
    response = upload(api, PLAIN_TARGET, b"#" * (MAX_UPLOAD_BYTES + 1))

    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"
    assert response.json()["details"]["limit"] == MAX_UPLOAD_BYTES


def test_upload_as_octet_stream(api, plain_lookup):
    response = api.post(
        path(PLAIN_TARGET, "disavow-import"),
        content=b"\xfe\xff\x00d\x00o\x00m\x00a\x00i\x00n\x00:\x00a\x00.\x00d\x00e\x00\n",
        headers={"Content-Type": "application/octet-stream"},
    )

    assert response.status_code == 200, response.text
    assert response.json()["encoding"] == "utf-16-be"
    assert response.json()["merged"]["entries"] == 1


# Google's limits ------------------------------------------------------------------------------


def domain_lines(count: int) -> bytes:
    return "".join(f"domain:d{index:05x}.io\n" for index in range(count)).encode()


def test_limit_at_max_lines(api, plain_lookup):
    response = upload(api, PLAIN_TARGET, domain_lines(GOOGLE_MAX_LINES - HEADER_LINES))

    assert response.status_code == 200, response.text
    assert response.json()["merged"]["lines"] == GOOGLE_MAX_LINES
    assert len(download_lines(response.json()["version"]["url"])) == GOOGLE_MAX_LINES


def test_limit_beyond_max_lines(api, plain_lookup):
    response = upload(api, PLAIN_TARGET, domain_lines(GOOGLE_MAX_LINES - HEADER_LINES + 1))

    assert response.status_code == 422
    assert response.json()["error"] == "export_limit_exceeded"
    assert response.json()["details"] == {"lines": GOOGLE_MAX_LINES + 1, "limit": GOOGLE_MAX_LINES}
    assert "100,001 lines" in response.json()["message"]


def long_urls(count: int, *, hosts: int, length: int = 1990) -> list[str]:
    urls = []
    for index in range(count):
        prefix = f"https://site{index % hosts}-example.com/page/{index}/"
        urls.append(prefix + "a" * (length - len(prefix)))
    return urls


def test_limit_at_max_bytes(api, plain_lookup):
    content = "\n".join(long_urls(990, hosts=990)) + "\n"
    first = upload(api, PLAIN_TARGET, content.encode()).json()
    padding = GOOGLE_MAX_BYTES - first["merged"]["bytes"]
    assert padding > 2

    response = upload(api, PLAIN_TARGET, ("#" + "x" * (padding - 2) + "\n" + content).encode())

    assert response.status_code == 200, response.text
    assert response.json()["merged"]["bytes"] == GOOGLE_MAX_BYTES
    assert response.json()["merged"]["folded"] == []
    assert len(httpx.get(response.json()["version"]["url"]).content) == GOOGLE_MAX_BYTES


def test_limit_beyond_max_bytes(api, plain_lookup):
    # One URL per site, so no site can be folded into a domain: line.
    response = upload(api, PLAIN_TARGET, ("\n".join(long_urls(1010, hosts=1010)) + "\n").encode())

    assert response.status_code == 422
    assert response.json()["details"]["limit"] == GOOGLE_MAX_BYTES
    assert response.json()["details"]["byte_count"] > GOOGLE_MAX_BYTES


def test_near_limit_folds_url_lines(api, plain_lookup):
    urls = long_urls(1000, hosts=4)

    response = upload(api, PLAIN_TARGET, ("\n".join(urls) + "\n").encode())

    assert response.status_code == 200, response.text
    body = response.json()
    # 1000 URLs of 1990 characters pass 90 % of 2,000,000 bytes; folding one site of 250 URLs
    # brings the file below it, so folding stops there.
    assert body["merged"]["folded"] == [{"domain": "site0-example.com", "urls": 250}]
    entries = [line for line in download_lines(body["version"]["url"]) if line and not line.startswith("#")]
    assert entries == ["domain:site0-example.com"] + [url for url in urls if "//site0-" not in url]
    assert body["merged"]["bytes"] < 0.9 * GOOGLE_MAX_BYTES
    assert [line["line"] for line in body["lines"]] == list(range(1, 1001, 4))
    assert {line["warnings"][-1]["code"] for line in body["lines"]} == {"folded_into_domain"}


# Keep lists --------------------------------------------------------------------------------------


def test_team_keep_list_suppresses_export(api, toxic_lookup):
    toxic = sorted(toxic_domains(api, TOXIC_TARGET))
    kept = toxic[0]
    put = api.put(f"/v1/keep-list/{kept.upper()}", json={"note": "our partner"})
    try:
        assert put.status_code == 200, put.text
        assert put.json()["domain"] == kept
        listed = api.get("/v1/keep-list").json()["items"]
        assert [(item["domain"], item["note"]) for item in listed] == [(kept, "our partner")]

        body = api.get(path(TOXIC_TARGET, "disavow-export"), headers=JSON).json()

        assert body["suppressed_by_keep_list"] == 1
        assert body["suppressed_domains"] == [kept]
        entries = [line for line in download_lines(body["url"]) if not line.startswith("#")]
        assert entries == [f"domain:{domain}" for domain in toxic[1:]]
    finally:
        assert api.delete(f"/v1/keep-list/{kept}").status_code == 200
    assert api.delete(f"/v1/keep-list/{kept}").status_code == 404
    assert api.get("/v1/keep-list").json()["items"] == []


def test_lookup_keep_list_and_upload(api, toxic_lookup):
    keep_path = path(TOXIC_TARGET, "keep-list/partner-example.org")
    assert api.put(keep_path).status_code == 200
    try:
        body = upload(api, TOXIC_TARGET, b"domain:blog.partner-example.org\n").json()

        assert by_line(body)[1]["reason"] == "keep_list"
        lines = download_lines(body["version"]["url"])
        assert "domain:blog.partner-example.org" not in lines
        assert (
            "# not disavowed, partner-example.org is on the keep list: domain:blog.partner-example.org"
            in lines
        )
        assert [item["domain"] for item in api.get(path(TOXIC_TARGET, "keep-list")).json()["items"]] == [
            "partner-example.org"
        ]
        # The list belongs to this lookup only.
        assert api.get("/v1/keep-list").json()["items"] == []
    finally:
        assert api.delete(keep_path).status_code == 200


@pytest.mark.parametrize(("domain", "status"), [("co.uk", 400), ("bad_host.com", 400)])
def test_keep_list_rejects_bad_domains(api, domain, status):
    response = api.put(f"/v1/keep-list/{domain}")

    assert response.status_code == status
    assert response.json()["error"] == "invalid_domain"
    assert domain in response.json()["message"]


# Reasons and versions ----------------------------------------------------------------------------


def test_export_reasons_comment_each_entry(api, toxic_lookup):
    body = api.get(path(TOXIC_TARGET, "disavow-export"), params={"reasons": "true"}, headers=JSON).json()

    lines = download_lines(body["url"])
    entries = lines[HEADER_LINES:]
    assert len(entries) == 2 * body["entries"]
    for reason, entry in zip(entries[::2], entries[1::2], strict=True):
        assert reason.startswith("# spam score ")
        assert "(threshold 80), backlink data fetched " in reason
        assert entry.startswith("domain:")
    assert body["lines"] == len(lines)
    assert body["reasons"] is True


def test_versions_listed_and_diffed(api, toxic_lookup):
    toxic = sorted(toxic_domains(api, TOXIC_TARGET))
    first = api.get(path(TOXIC_TARGET, "disavow-export"), headers=JSON).json()
    api.put(f"/v1/backlinks/by-domain/{TOXIC_TARGET}/keep-list/{toxic[-1]}")
    try:
        second = api.get(path(TOXIC_TARGET, "disavow-export"), headers=JSON).json()
    finally:
        api.delete(f"/v1/backlinks/by-domain/{TOXIC_TARGET}/keep-list/{toxic[-1]}")

    listed = api.get(path(TOXIC_TARGET, "disavow-versions"), params={"limit": 2}).json()
    assert [item["version_id"] for item in listed["items"]] == [second["version_id"], first["version_id"]]
    assert listed["items"][0]["entries"] == len(toxic) - 1
    assert listed["next_cursor"]
    diff = api.get(
        path(TOXIC_TARGET, "disavow-versions/diff"),
        params={"from": first["version_id"], "to": second["version_id"]},
    ).json()
    assert diff["removed"] == [f"domain:{toxic[-1]}"]
    assert diff["added"] == []
    assert (diff["added_count"], diff["removed_count"], diff["unchanged_count"]) == (0, 1, len(toxic) - 1)

    undo = api.get(
        path(TOXIC_TARGET, "disavow-versions/diff"),
        params={"from": second["version_id"], "to": first["version_id"]},
    ).json()
    assert undo["added"] == [f"domain:{toxic[-1]}"]


def test_version_download(api, toxic_lookup):
    export = api.get(path(TOXIC_TARGET, "disavow-export"), headers=JSON).json()
    version_path = path(TOXIC_TARGET, f"disavow-versions/{export['version_id']}")

    redirect = api.get(version_path)
    described = api.get(version_path, headers=JSON).json()

    assert redirect.status_code == 302
    assert httpx.get(redirect.headers["location"]).content == httpx.get(export["url"]).content
    assert described["version_id"] == export["version_id"]
    assert described["source"] == "export"
    assert described["entries"] == export["entries"]
    assert "key" not in described


@pytest.mark.parametrize(
    ("version_id", "status"), [("not-a-version", 400), ("20200101T000000000000Z-00000000", 404)]
)
def test_unknown_version(api, toxic_lookup, version_id, status):
    response = api.get(path(TOXIC_TARGET, f"disavow-versions/{version_id}"))

    assert response.status_code == status
    assert version_id in response.json()["message"]


# Spreadsheets ------------------------------------------------------------------------------------


def test_xlsx_export_of_all_domains(api, toxic_lookup):
    body = api.get(
        path(TOXIC_TARGET, "disavow-export"), params={"format": "xlsx", "rows": "all"}, headers=JSON
    ).json()

    rows = xlsx_rows(httpx.get(body["url"]).content)
    assert rows[0] == [
        "domain",
        "spam_score (0-100)",
        "is_toxic (spam_score >= 80)",
        "on_keep_list (true = never disavowed)",
        "rank (0-1000)",
        "backlinks (count)",
        "backlinks_spam_score (0-100)",
        "first_seen (UTC, ISO 8601)",
        "lost_date (UTC, ISO 8601)",
    ]
    assert len(rows) - 1 == body["entries"] == toxic_lookup["result"]["referring_domains_stored"]
    assert body["filename"].endswith(".xlsx")
    toxic = {row[0] for row in rows[1:] if row[2] == "1"}
    assert toxic == set(toxic_domains(api, TOXIC_TARGET))


def test_csv_export_header_has_units(api, toxic_lookup):
    body = api.get(path(TOXIC_TARGET, "disavow-export"), params={"format": "csv"}, headers=JSON).json()

    rows = list(csv.reader(io.StringIO(httpx.get(body["url"]).content.decode("utf-8-sig"))))
    assert rows[0][1] == "spam_score (0-100)"
    assert rows[0][4] == "rank (0-1000)"
    assert {row[2] for row in rows[1:]} == {"true"}
    assert len(rows) - 1 == len(toxic_domains(api, TOXIC_TARGET))
