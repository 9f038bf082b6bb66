"""What every input format decodes to: a ``Table`` of trimmed text columns with spreadsheet
row numbers, and the format-independent steps on it (reading bytes, dropping blank rows,
matching header names to known columns).

A reader (``loaders/csvfile.py``, ``loaders/xlsx.py``, listed in ``loaders/formats.py``) turns
a file's bytes into a Table; validation works on that, whatever the format was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from flowgraph.errors import InputError, Problem

# Whitespace that values are trimmed of (ASCII spaces and tabs; what spreadsheets leave behind).
TRIM = " \t"


@dataclass
class Table:
    """A decoded file: header names as written, text columns, spreadsheet rows.

    >>> t = Table("f.csv", ["a"], 1, [np.array(["x"], dtype=object)], np.array([2]))
    >>> t.n_rows
    1
    """

    file: str
    header: list[str]
    header_row: int
    data: list[np.ndarray]
    rows: np.ndarray
    problems: list[Problem] = field(default_factory=list)
    empty: list[np.ndarray] | None = None  # per column: value == "" (computed once, reused)

    def __post_init__(self) -> None:
        if self.empty is None:
            self.empty = [column == "" for column in self.data]

    @property
    def n_rows(self) -> int:
        return len(self.rows)


def read_bytes(path: str | Path, file: str) -> bytes:
    """A file's bytes; a missing or unreadable file is an InputError naming ``file``.

    >>> read_bytes("/nonexistent/x.csv", "x.csv")
    Traceback (most recent call last):
    ...
    flowgraph.errors.InputError: x.csv: no such file
    """
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(Problem(file, None, None, "no such file")) from None
    except IsADirectoryError:
        raise InputError(Problem(file, None, None, "is a folder, not a file")) from None
    except OSError as e:
        raise InputError(Problem(file, None, None, f"cannot read file: {e.strerror}")) from None


def fatal(file: str, message: str) -> InputError:
    """The error for a file that cannot be read at all (one problem, no row).

    >>> str(fatal("a.csv", "empty file"))
    'a.csv: empty file'
    """
    return InputError(Problem(file, None, None, message))


def table_from_grid(
    file: str, header: list[str], data: list[np.ndarray], skipped: int, trim: bool
) -> Table:
    """Trim values, drop blank rows (keeping row numbers) and wrap up a Table.

    ``data`` holds object arrays of str, or float64 arrays for columns parsed as numbers.
    """
    text = [column.dtype == object for column in data]
    if trim:
        data = [
            np.array([value.strip(TRIM) for value in column], dtype=object) if is_text else column
            for column, is_text in zip(data, text, strict=True)
        ]
    header = [str(name).strip(TRIM) for name in header]
    n = len(data[0]) if data else 0
    rows = np.arange(n, dtype=np.int64) + (skipped + 2)
    empty = [
        column == "" if is_text else np.zeros(n, dtype=bool)
        for column, is_text in zip(data, text, strict=True)
    ]
    if n:
        blank = np.logical_and.reduce(empty) if empty else np.zeros(n, dtype=bool)
        if blank.any():
            keep = ~blank
            data = [column[keep] for column in data]
            empty = [mask[keep] for mask in empty]
            rows = rows[keep]
    return Table(file, header, skipped + 1, data, rows, empty=empty)


def map_columns(
    table: Table, known: tuple[str, ...]
) -> tuple[dict[str, np.ndarray], list[Problem], list[str], dict[str, np.ndarray]]:
    """Match header names (trimmed, case-insensitive) to ``known`` columns.

    Returns (columns by canonical name, header problems, warnings, empty-cell masks by
    canonical name). A duplicate name is a problem at the header row; an unknown column is
    a warning and ignored.

    >>> t = Table("f.csv", ["A", "zz", "a"], 1, [np.array([], dtype=object)] * 3, np.array([]))
    >>> cols, problems, warns, _ = map_columns(t, ("a",))
    >>> list(cols), [str(p) for p in problems], warns
    (['a'], ["f.csv:1:a: duplicate column 'a' (columns 1 and 3)"], ["f.csv: unknown column 'zz' ignored"])
    """
    columns: dict[str, np.ndarray] = {}
    empties: dict[str, np.ndarray] = {}
    first_at: dict[str, int] = {}
    problems: list[Problem] = []
    notes: list[str] = []
    assert table.empty is not None
    for position, (name, values, empty) in enumerate(
        zip(table.header, table.data, table.empty, strict=True)
    ):
        canonical = name.strip(TRIM).lower()
        if not canonical:
            if not empty.all():
                notes.append(f"{table.file}: column {position + 1} has no header; ignored")
            continue
        if canonical in first_at:
            problems.append(
                Problem(
                    table.file,
                    table.header_row,
                    canonical,
                    f"duplicate column '{canonical}' "
                    f"(columns {first_at[canonical] + 1} and {position + 1})",
                )
            )
            continue
        first_at[canonical] = position
        if canonical in known:
            columns[canonical] = values
            empties[canonical] = empty
        else:
            notes.append(f"{table.file}: unknown column '{name}' ignored")
    return columns, problems, notes, empties
