"""Writing workbooks safely: every workbook the application hands out is saved through
`workbook_bytes`, which first makes sure no cell holding our data is a formula.

openpyxl turns any string that starts with "=" into a formula, so a contractor named
`=HYPERLINK("http://…","点我")` would become a live link in the import template (formula or
CSV injection, OWASP). A cell starting with "=", "+", "-", "@", a tab or a carriage return is
written as an explicit string (an inline string, never a formula) and marked with Excel's own
quote prefix (the hidden leading apostrophe), so it stays text even when someone edits it.

Large workbooks (the ledger) are streamed instead, through openpyxl's write-only mode:
`StreamedSheet` neutralises each text cell as it is written, the same way.
"""
from __future__ import annotations

import io
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell, WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from wagechannel.clock import CHINA

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(cell: Cell) -> bool:
    """Make a text cell that a spreadsheet would evaluate plain text; returns whether it had to."""
    value = cell.value
    if not isinstance(value, str):
        return False
    if cell.data_type == "s" and not value.startswith(FORMULA_STARTS):
        return False
    cell.data_type = "s"  # openpyxl writes it as an inline string, not a formula or an error
    cell.quotePrefix = True
    return True


def neutralise(workbook: Workbook) -> int:
    """neutralise_cell for every cell of every sheet; returns how many were changed."""
    changed = 0
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell, Cell):
                    changed += neutralise_cell(cell)
    return changed


def workbook_bytes(workbook: Workbook) -> bytes:
    """The .xlsx file of a workbook, with no cell of it a formula."""
    neutralise(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- streaming: openpyxl's write-only mode, neutralised the same way --------------------------

TEXT, INTEGER, YUAN, DATE, DATETIME = "text", "int", "yuan", "date", "datetime"
NUMBER_FORMATS = {YUAN: "#,##0.00", DATE: "yyyy-mm-dd",
                  DATETIME: "yyyy-mm-dd hh:mm"}


@dataclass(frozen=True)
class Column:
    """A column of a streamed sheet: its header, width (in characters) and kind of value.
    Values are given as they are kept: yuan columns take integer fen, date-time columns aware
    datetimes (written in China's local time: a spreadsheet keeps no zone)."""

    title: str
    width: float = 12
    kind: str = TEXT


class StreamedSheet:
    """A write-only sheet: the header row bold and frozen, widths set, numbers and dates as real
    numbers and dates with their formats, and every text cell that a spreadsheet would run as a
    formula written as text with the quote prefix (as `neutralise_cell` does)."""

    def __init__(self, workbook: Workbook, title: str, columns: Sequence[Column]) -> None:
        self.sheet = workbook.create_sheet(title)
        self.columns = list(columns)
        for index, column in enumerate(self.columns, 1):
            self.sheet.column_dimensions[get_column_letter(index)].width = column.width
        self.sheet.freeze_panes = "A2"
        header = []
        for column in self.columns:
            cell = self._text_cell(column.title)
            cell.font = Font(bold=True)
            header.append(cell)
        self.sheet.append(header)
        # One styled cell per formatted column, reused row after row: write-only mode writes a
        # row out as soon as it is appended.
        self._formatted: list[WriteOnlyCell | None] = []
        for column in self.columns:
            if column.kind in (TEXT, INTEGER):  # whole numbers read right as they are
                self._formatted.append(None)
            else:
                cell = WriteOnlyCell(self.sheet)
                cell.number_format = NUMBER_FORMATS[column.kind]
                self._formatted.append(cell)
        self._kinds = [column.kind for column in self.columns]
        self.rows = 0

    def _text_cell(self, value: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.sheet, value=value)
        neutralise_cell(cell)
        return cell

    def append(self, values: Sequence[Any]) -> None:
        row: list[Any] = []
        for value, kind, formatted in zip(values, self._kinds, self._formatted):
            if value is None:
                row.append(None)
            elif formatted is None:
                if isinstance(value, str) and value.startswith(FORMULA_STARTS):
                    row.append(self._text_cell(value))
                else:
                    row.append(value)
            else:
                formatted.value = _cell_value(value, kind)
                row.append(formatted)
        self.sheet.append(row)
        self.rows += 1


def _cell_value(value: Any, kind: str) -> Any:
    if kind == YUAN:
        return value / 100
    if kind == DATETIME and isinstance(value, datetime):
        return value.astimezone(CHINA).replace(tzinfo=None) if value.tzinfo else value
    return value


def streamed_workbook() -> Workbook:
    """A write-only workbook: add StreamedSheet(...)s, then `save_streamed`."""
    return Workbook(write_only=True)


def save_streamed(workbook: Workbook) -> IO[bytes]:
    """Save a write-only workbook into a temporary file (on disk past a few megabytes) and
    return it rewound, for a response to stream or a command to copy."""
    target: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    workbook.save(target)
    target.seek(0)
    return target


SPOOL_BYTES = 4 * 1024 * 1024
