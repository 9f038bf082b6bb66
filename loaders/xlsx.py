"""XLSX uploads: the first visible sheet through openpyxl (read-only, cached formula values).

Cells become the text a CSV export would hold (dates ISO, whole numbers without ``.0``), so
one validator serves both formats.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import numpy as np
import openpyxl

from flowgraph.errors import InputError, Problem
from loaders.table import TRIM, Table, fatal, table_from_grid


def read_xlsx(raw: bytes, file: str, numeric: tuple[str, ...] = ()) -> Table:
    """Decode the first visible sheet of an XLSX workbook; an unreadable workbook is one problem.

    ``numeric`` is accepted like every reader's (``loaders/formats.py``) and not needed here:
    cells come back as the text a CSV export would hold.

    >>> import io, openpyxl
    >>> book = openpyxl.Workbook(); book.active.append(["a", "b"]); book.active.append([1.0, None])
    >>> buffer = io.BytesIO(); book.save(buffer)
    >>> t = read_xlsx(buffer.getvalue(), "t.xlsx")
    >>> t.header, [list(c) for c in t.data], t.rows.tolist()
    (['a', 'b'], [['1'], ['']], [2])
    """
    if not raw:
        raise fatal(file, "empty file")
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception:  # zipfile.BadZipFile, KeyError, lxml/XML errors: all mean the same
        raise fatal(file, "not a readable XLSX workbook") from None
    try:
        if not workbook.worksheets:
            raise fatal(file, "not a readable XLSX workbook (no worksheet)")
        # SPEC §1: the first *visible* sheet (a hidden lookup sheet often comes first).
        visible = [ws for ws in workbook.worksheets if ws.sheet_state == "visible"]
        if not visible:
            raise fatal(file, "every sheet of the workbook is hidden: unhide the data sheet")
        sheet = visible[0]
        cell_problems = _cell_problems(raw, getattr(sheet, "_worksheet_path", None), file)
        sheet.reset_dimensions()  # some writers store a wrong dimension; read what is there
        rows = [
            [_cell_text(value) for value in row]
            for row in sheet.iter_rows(min_row=1, values_only=True)
        ]
    except InputError:
        raise
    except Exception as e:  # BadZipFile, KeyError, XML ParseError, EOFError... mid-sheet
        raise fatal(file, f"not a readable XLSX workbook ({type(e).__name__})") from None
    finally:
        workbook.close()
    # Drop empty trailing cells (formatting can reach column XFD), then pad to the widest row.
    for row in rows:
        while row and row[-1] == "":
            row.pop()
    width = max((len(r) for r in rows), default=0)
    if width == 0:
        raise fatal(file, "empty file")
    grid_rows = [r[:width] + [""] * (width - len(r)) for r in rows]
    leading = 0
    while leading < len(grid_rows) and not any(grid_rows[leading]):
        leading += 1
    grid = [np.array(column, dtype=object) for column in zip(*grid_rows[leading:], strict=True)]
    table = table_from_grid(file, [c[0] for c in grid], [c[1:] for c in grid], leading, False)
    table.problems.extend(cell_problems)
    return table


_MERGED = re.compile(rb'<mergeCell\s+ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')
# A formula cell without a saved value: <c r="B2"><f>…</f></c> or <f>…</f><v/> (written by a
# program that does not calculate); with data_only openpyxl reads it as an empty cell.
_UNCACHED = re.compile(
    rb'<c\s+r="([A-Z]+)(\d+)"[^>]*>\s*<f[^>]*?(?:/>|>[^<]*</f>)\s*(?:<v\s*/>|<v></v>)?\s*</c>'
)


def _cell_problems(raw: bytes, sheet_path: str | None, file: str) -> list[Problem]:
    """Merged cells and formulas without a saved value in the data sheet: both read as empty
    cells, so say what they are and what to do in the spreadsheet program."""
    if sheet_path is None:
        return []
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            xml = archive.read(sheet_path)
    except (KeyError, zipfile.BadZipFile):
        return []
    problems = []
    for first_col, first_row, last_col, last_row in _MERGED.findall(xml):
        where = f"{first_col.decode()}{first_row.decode()}:{last_col.decode()}{last_row.decode()}"
        problems.append(
            Problem(
                file,
                int(first_row),
                None,
                f"cells {where} are merged: unmerge them and put the value in every cell "
                "(flowgraph reads one value per cell)",
            )
        )
    for col, row in _UNCACHED.findall(xml):
        problems.append(
            Problem(
                file,
                int(row),
                None,
                f"cell {col.decode()}{row.decode()} is a formula with no saved value: open the "
                "file in your spreadsheet program, let it calculate and save it again (or paste "
                "the values over the formulas)",
            )
        )
    return problems


def _cell_text(value: object) -> str:
    """A cell as the text a CSV export would hold (dates ISO, whole numbers without .0)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip(TRIM)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
