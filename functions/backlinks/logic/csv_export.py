"""CSV export that spreadsheets open safely.

The file is UTF-8 with a byte order mark: without the BOM, Excel reads a CSV file in the system's
legacy code page and garbles non-ASCII text such as IDN hosts in Unicode or anchor texts. Rows end
with "\\r\\n" as RFC 4180 specifies.

Cells are protected against CSV (formula) injection as OWASP recommends. A text cell that starts
with "=", "+", "-", "@", a tab, a carriage return or a NUL character gets a leading single quote.
Spreadsheets then show it as text instead of evaluating it. The NUL character comes from OWASP
ASVS 5.0 requirement 1.2.10. Numbers are written unchanged, so a negative number stays a number.
"""

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from numbers import Number

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")
UTF8_BOM = b"\xef\xbb\xbf"


def build_csv(rows: Iterable[Mapping[str, object]], columns: Sequence[str]) -> bytes:
    """Build a CSV file with a header row of `columns` and one line per row.

    Each row contributes the values of `columns` in that order. A key missing from a row gives an
    empty cell and keys outside `columns` are left out. None becomes an empty cell, booleans become
    "true" and "false", and other values are written with str().
    """
    if not columns:
        raise ValueError("columns must name at least one column")

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_cell(column) for column in columns])
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in columns])
    # A lone surrogate (possible in text decoded from JSON) cannot be encoded, so it becomes "?".
    return UTF8_BOM + buffer.getvalue().encode("utf-8", errors="replace")


def _cell(value: object) -> str:
    if value is None:
        return ""
    # bool is checked before Number because bool is a subclass of int.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Number):
        return str(value)

    text = str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text
