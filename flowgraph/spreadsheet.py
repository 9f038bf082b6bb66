"""Exports for spreadsheets: CSV and XLSX that never turn uploaded text into a formula (SPEC §4).

A text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written
with a leading ``'``; numbers stay numbers. JSONL and the terminal tables carry text unchanged,
so only these writers neutralise.

>>> import pandas as pd
>>> frame = pd.DataFrame({"lot_id": ['=HYPERLINK("http://x","open")', "L-1"], "mass_kg": [-1.5, 2.0]})
>>> print(frame_to_csv(frame), end="")
lot_id,mass_kg
"'=HYPERLINK(""http://x"",""open"")",-1.5
L-1,2.0
"""

from __future__ import annotations

import os

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """``value`` with a leading ``'`` when it is text a spreadsheet would read as a formula.

    >>> neutralise("@SUM(1+1)"), neutralise("-3"), neutralise(-3), neutralise("L-1")
    ("'@SUM(1+1)", "'-3", -3, 'L-1')
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text columns are neutralised; numeric columns are untouched."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            continue
        if pd.api.types.is_datetime64_any_dtype(series):
            continue
        out[column] = series.map(neutralise, na_action="ignore")
    return out


def frame_to_csv(frame: pd.DataFrame) -> str:
    """``frame`` as CSV text (no index), text cells neutralised."""
    return neutralise_frame(frame).to_csv(index=False)


def write_xlsx(frame: pd.DataFrame, path: str | os.PathLike, *, sheet_name: str = "data") -> None:
    """Write ``frame`` to an XLSX workbook with openpyxl, text cells neutralised.

    Cells are written as values: openpyxl would store a text beginning with ``=`` as a formula,
    which the leading ``'`` prevents.
    """
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = sheet_name[:31]
    safe = neutralise_frame(frame)
    sheet.append([str(column) for column in safe.columns])
    for row in safe.itertuples(index=False, name=None):
        sheet.append([None if _is_missing(value) else value for value in row])
    book.save(path)


def _is_missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
