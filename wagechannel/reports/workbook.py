"""Writing workbooks safely: every workbook the application hands out is saved through
`workbook_bytes`, which first makes sure no cell holding our data is a formula.

openpyxl turns any string that starts with "=" into a formula, so a contractor named
`=HYPERLINK("http://…","点我")` would become a live link in the import template (formula or
CSV injection, OWASP). A cell starting with "=", "+", "-", "@", a tab or a carriage return is
written as an explicit string (an inline string, never a formula) and marked with Excel's own
quote prefix (the hidden leading apostrophe), so it stays text even when someone edits it.
"""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.cell.cell import Cell

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
