"""Build a disavow file from the toxic referring domains and, optionally, an uploaded file.

The uploaded file keeps its comments, blank lines and order, so a hand-kept file stays readable.
Its entries are never dropped silently. A repeated or covered entry is dropped because another line
disavows the same pages. An entry on the keep list and an invalid line become comment lines. Toxic
domains that the file does not cover yet are appended in a section of their own.

Every file is checked against Google's limits (see logic/disavow.py). When a file comes within
FOLD_AT_FRACTION of a limit, the URL lines of one site are folded into one `domain:` line, largest
sites first. A file still over a limit raises ExportLimitError, and a file without entries raises
EmptyExportError: it is never cut.
"""

import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from backlinks.domains import canonical_referring_domain, is_public_suffix
from backlinks.errors import EmptyExportError, ExportLimitError, InvalidDomainError
from backlinks.logic.disavow import (
    DOMAIN_PREFIX,
    GOOGLE_MAX_BYTES,
    GOOGLE_MAX_LINES,
    SKIP_DUPLICATE,
    SKIP_INVALID,
    SKIP_PUBLIC_SUFFIX,
)
from backlinks.logic.disavow_import import (
    REDUNDANT_REASONS,
    Action,
    LineKind,
    ParsedFile,
    ParsedLine,
    Reason,
    covering_domain,
)
from backlinks.logic.keep_list import kept_by

# Folding starts when a file reaches 90 % of Google's line or byte limit, so a file that is merged
# again with a few more toxic domains still fits.
FOLD_AT_FRACTION = 0.9
MAX_LISTED_DOMAINS = 100  # suppressed or folded domains named in a response; the counts are complete


@dataclass(frozen=True)
class ToxicDomain:
    domain: str
    spam_score: int


@dataclass
class _Line:
    kind: LineKind
    text: str
    host: str | None = None
    source: ParsedLine | None = None


@dataclass
class DisavowDocument:
    """A linted disavow file and the counts shown to the user."""

    content: bytes  # UTF-8 without BOM, "\n" line endings, ends with a newline
    domain_entries: int
    url_entries: int
    lines: int
    byte_count: int
    skipped: dict[str, int]
    suppressed_by_keep_list: int = 0
    suppressed_domains: list[str] = field(default_factory=list)
    added_from_toxic: int = 0
    toxic_already_in_file: int = 0
    folded: list[dict] = field(default_factory=list)

    def counts(self) -> dict:
        return {
            "entries": self.domain_entries + self.url_entries,
            "domain_entries": self.domain_entries,
            "url_entries": self.url_entries,
            "lines": self.lines,
            "bytes": self.byte_count,
            "skipped": self.skipped,
            "suppressed_by_keep_list": self.suppressed_by_keep_list,
            "suppressed_domains": self.suppressed_domains[:MAX_LISTED_DOMAINS],
            "added_from_toxic": self.added_from_toxic,
            "toxic_already_in_file": self.toxic_already_in_file,
            "folded": self.folded[:MAX_LISTED_DOMAINS],
        }


def comment(text: str) -> str:
    """Return "# <text>" on one line: control characters and line separators become spaces."""
    return "# " + sanitize(text).strip() if text.strip() else "#"


def sanitize(text: str) -> str:
    cleaned = "".join(
        " " if character != "\t" and unicodedata.category(character) in ("Cc", "Zl", "Zp") else character
        for character in text
    )
    # A lone surrogate cannot be encoded as UTF-8, so it becomes "?".
    return cleaned.encode("utf-8", errors="replace").decode("utf-8")


def build_document(
    *,
    header: Iterable[str],
    toxic: Iterable[ToxicDomain],
    keep: set[str],
    imported: ParsedFile | None = None,
    reasons: bool = False,
    reason_text: str = "",
) -> DisavowDocument:
    """Merge the uploaded file (if any) with the toxic domains minus the keep list, fold and lint.

    `header` contains the comment texts written first. With `reasons`, each toxic entry gets a comment line
    "spam score <n> <reason_text>" above it, and those lines count against the limits.
    """
    document = DisavowDocument(
        content=b"",
        domain_entries=0,
        url_entries=0,
        lines=0,
        byte_count=0,
        skipped={SKIP_INVALID: 0, SKIP_PUBLIC_SUFFIX: 0, SKIP_DUPLICATE: 0},
    )
    imported_lines = imported.lines if imported else []
    file_domains = _file_domains(imported_lines, keep)
    additions = _toxic_additions(toxic, keep, file_domains, document)

    lines = [_Line(LineKind.COMMENT, comment(text)) for text in header]
    lines += _imported_section(imported_lines, keep, additions, document)
    if additions and imported is not None:
        lines.append(_Line(LineKind.BLANK, ""))
        lines.append(_Line(LineKind.COMMENT, comment("Toxic referring domains added to the uploaded file")))
    for addition in sorted(additions.values(), key=lambda item: item.domain):
        if reasons:
            lines.append(_Line(LineKind.COMMENT, comment(f"spam score {addition.spam_score} {reason_text}")))
        lines.append(_Line(LineKind.DOMAIN, DOMAIN_PREFIX + addition.domain, host=addition.domain))
    document.added_from_toxic = len(additions)

    lines = fold_url_lines(lines, keep, document)
    _lint(lines, document)
    document.content = ("\n".join(line.text for line in lines) + "\n").encode("utf-8")
    return document


def _file_domains(imported_lines: list[ParsedLine], keep: set[str]) -> dict[str, int]:
    """Return the uploaded file's `domain:` hosts that stay in the file, with their line numbers."""
    return {
        line.host: line.number
        for line in imported_lines
        if line.kind is LineKind.DOMAIN
        and line.action in (Action.ACCEPTED, Action.NORMALIZED)
        and kept_by(line.host, keep) is None
    }


def _toxic_additions(
    toxic: Iterable[ToxicDomain], keep: set[str], file_domains: dict[str, int], document: DisavowDocument
) -> dict[str, ToxicDomain]:
    additions: dict[str, ToxicDomain] = {}
    for record in toxic:
        try:
            host = canonical_referring_domain(record.domain)
        except InvalidDomainError:
            document.skipped[SKIP_INVALID] += 1
            continue
        if host in additions:
            document.skipped[SKIP_DUPLICATE] += 1
            continue
        if is_public_suffix(host):
            document.skipped[SKIP_PUBLIC_SUFFIX] += 1
            continue
        if kept_by(host, keep):
            document.suppressed_by_keep_list += 1
            document.suppressed_domains.append(host)
            continue
        if covering_domain(host, file_domains):
            document.toxic_already_in_file += 1
            continue
        additions[host] = ToxicDomain(host, record.spam_score)
    return additions


def _imported_section(
    imported_lines: list[ParsedLine],
    keep: set[str],
    additions: dict[str, ToxicDomain],
    document: DisavowDocument,
) -> list[_Line]:
    lines: list[_Line] = []
    for parsed in imported_lines:
        if parsed.action is Action.KEPT:
            text = sanitize(parsed.value).rstrip() if parsed.kind is LineKind.COMMENT else ""
            lines.append(_Line(parsed.kind, text))
            continue
        if parsed.action is Action.REJECTED:
            if parsed.reason not in REDUNDANT_REASONS:
                note = f"rejected on upload, line {parsed.number} ({parsed.reason.value}): {parsed.original}"
                lines.append(_Line(LineKind.COMMENT, comment(note)))
            continue

        keeper = kept_by(parsed.host, keep)
        if keeper is not None:
            parsed.reject(Reason.KEEP_LIST, f"not disavowed: {keeper} is on the keep list")
            lines.append(
                _Line(
                    LineKind.COMMENT, comment(f"not disavowed, {keeper} is on the keep list: {parsed.value}")
                )
            )
            document.suppressed_by_keep_list += 1
            document.suppressed_domains.append(parsed.host)
            continue
        parent = covering_domain(
            parsed.host if parsed.kind is LineKind.URL else _parent(parsed.host), additions
        )
        if parent is not None:
            parsed.reject(
                Reason.COVERED_BY_DOMAIN,
                f"covered by domain:{parent}, added from the toxic referring domains",
            )
            continue
        lines.append(_Line(parsed.kind, parsed.value, host=parsed.host, source=parsed))
    return lines


def _parent(host: str) -> str:
    return host.partition(".")[2]


def fold_url_lines(lines: list[_Line], keep: set[str], document: DisavowDocument) -> list[_Line]:
    """Fold URL lines of one site into a `domain:` line, largest sites first, until the file is
    below FOLD_AT_FRACTION of both limits. Sites on the keep list, or with a kept subdomain, stay."""
    line_count = len(lines)
    byte_count = sum(len(line.text.encode("utf-8")) + 1 for line in lines)
    if not _near_limit(line_count, byte_count):
        return lines

    groups: dict[str, list[int]] = defaultdict(list)
    for index, line in enumerate(lines):
        if line.kind is LineKind.URL:
            site = canonical_referring_domain(line.host)
            if not is_public_suffix(site):
                groups[site].append(index)

    removed: set[int] = set()
    replacements: dict[int, _Line] = {}
    for site, indexes in sorted(groups.items(), key=lambda group: (-len(group[1]), group[0])):
        if not _near_limit(line_count, byte_count):
            break
        if len(indexes) < 2 or kept_by(site, keep) or any(entry.endswith("." + site) for entry in keep):
            continue
        folded_line = _Line(LineKind.DOMAIN, DOMAIN_PREFIX + site, host=site)
        replacements[indexes[0]] = folded_line
        removed.update(indexes[1:])
        byte_count += (
            len(folded_line.text) + 1 - sum(len(lines[index].text.encode("utf-8")) + 1 for index in indexes)
        )
        line_count -= len(indexes) - 1
        document.folded.append({"domain": site, "urls": len(indexes)})
        for index in indexes:
            source = lines[index].source
            if source is not None:
                source.action = Action.NORMALIZED
                source.warnings.append(
                    {
                        "code": "folded_into_domain",
                        "message": f"the file neared Google's limits, so the URLs of {site} became domain:{site}",
                    }
                )

    return [replacements.get(index, line) for index, line in enumerate(lines) if index not in removed]


def _near_limit(line_count: int, byte_count: int) -> bool:
    return (
        line_count > FOLD_AT_FRACTION * GOOGLE_MAX_LINES or byte_count > FOLD_AT_FRACTION * GOOGLE_MAX_BYTES
    )


def _lint(lines: list[_Line], document: DisavowDocument) -> None:
    document.domain_entries = sum(1 for line in lines if line.kind is LineKind.DOMAIN)
    document.url_entries = sum(1 for line in lines if line.kind is LineKind.URL)
    document.lines = len(lines)
    document.byte_count = sum(len(line.text.encode("utf-8")) + 1 for line in lines)

    if document.domain_entries + document.url_entries == 0:
        raise EmptyExportError(
            "the disavow file would contain no entries; uploading an empty file to Google Search "
            "Console replaces the existing disavow list with nothing, so no file was built",
            skipped=document.skipped,
            suppressed_by_keep_list=document.suppressed_by_keep_list,
        )
    folded = (
        f" after folding the URLs of {len(document.folded)} sites into domain: lines"
        if document.folded
        else ""
    )
    if document.lines > GOOGLE_MAX_LINES:
        raise ExportLimitError(
            f"the disavow file would have {document.lines:,} lines{folded}, but Google accepts at most "
            f"{GOOGLE_MAX_LINES:,} lines (comment and blank lines count); disavow fewer entries, turn "
            "reasons off or remove comment lines",
            lines=document.lines,
            limit=GOOGLE_MAX_LINES,
        )
    if document.byte_count > GOOGLE_MAX_BYTES:
        raise ExportLimitError(
            f"the disavow file would be {document.byte_count:,} bytes{folded}, but Google accepts at most "
            f"{GOOGLE_MAX_BYTES:,} bytes; disavow fewer entries, turn reasons off or shorten comments",
            byte_count=document.byte_count,
            limit=GOOGLE_MAX_BYTES,
        )
