"""Excel (.xlsx) export written row by row, so 100,000 rows fit a Lambda's memory.

xlsxwriter's constant_memory mode flushes each row to a temporary file in `tmpdir` (/tmp on Lambda)
once the next row starts, so memory stays flat while the rows stream in. Rows must therefore arrive
in order. Text cells go through write_string and are stored as text: Excel never evaluates them as
formulas, whatever character they start with.
"""

import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from numbers import Number

import xlsxwriter

SHEET_NAME = "Referring domains"
MAX_CELL_CHARACTERS = 32_767  # Excel's limit for the text of one cell
COLUMN_WIDTH = 22


def build_xlsx(
    rows: Iterable[Sequence[object]],
    headers: Sequence[str],
    *,
    tmpdir: str | None = None,
    sheet_name: str = SHEET_NAME,
) -> bytes:
    """Write a one-sheet workbook: a bold, frozen header row, then one row per item of `rows`.

    None becomes an empty cell, bool a TRUE/FALSE cell, numbers number cells and everything else
    (dates included, as ISO 8601 text) a text cell.
    """
    if not headers:
        raise ValueError("headers must name at least one column")

    output = io.BytesIO()
    options = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    if tmpdir:
        options["tmpdir"] = tmpdir
    workbook = xlsxwriter.Workbook(output, options)
    sheet = workbook.add_worksheet(sheet_name)
    bold = workbook.add_format({"bold": True})
    sheet.set_column(0, len(headers) - 1, COLUMN_WIDTH)
    sheet.freeze_panes(1, 0)

    for column, header in enumerate(headers):
        sheet.write_string(0, column, header, bold)
    for row_number, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            _write_cell(sheet, row_number, column, value)

    workbook.close()
    return output.getvalue()


def _write_cell(sheet, row: int, column: int, value: object) -> None:
    if value is None:
        return
    # bool is checked before Number because bool is a subclass of int.
    if isinstance(value, bool):
        sheet.write_boolean(row, column, value)
    elif isinstance(value, Number):
        sheet.write_number(row, column, value)
    elif isinstance(value, datetime | date):
        sheet.write_string(row, column, value.isoformat())
    else:
        sheet.write_string(row, column, str(value)[:MAX_CELL_CHARACTERS])
