"""Decode CSV and XLSX files into trimmed text columns, keeping spreadsheet row numbers.

Both formats end up as the same ``Table``: the header names as written and one object
array of ``str`` per header position ("" = empty cell), data rows only (blank rows dropped),
with each row's spreadsheet row number (header = row 1). Validation works on that.

CSV goes through pandas' C parser (no Python loop per row); only a malformed CSV (ragged
rows) falls back to the ``csv`` module so every bad row can be named.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from flowgraph.errors import InputError, Problem

BOM = b"\xef\xbb\xbf"
# Whitespace that values are trimmed of (ASCII spaces and tabs; what spreadsheets leave behind).
TRIM = " \t"
# Blank lines before the header (pandas mishandles them) and the line ends pandas knows.
_LEADING_BLANK_LINES = re.compile(rb"(?:[ \t]*(?:\r\n|\r|\n))*")
_LINE_END = re.compile(rb"\r\n|\r|\n")
# Bytes that end a CSV field; a space or tab next to one means some value needs trimming.
_FIELD_EDGES = np.array([ord(c) for c in ',\r\n"'], dtype=np.uint8)


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


def read_table(
    path: str | Path, file: str, raw: bytes | None = None, numeric: tuple[str, ...] = ()
) -> Table:
    """Decode a ``.xlsx`` (by suffix) or CSV file; fatal problems raise InputError.

    ``file`` is the name used in problems; ``raw`` the file's bytes if already read.
    CSV columns named in ``numeric`` come back as float64 arrays when every value is a
    finite number (parsed in C: the biggest saving on a large file); otherwise as text
    like the rest, so the validator can quote the bad values.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "t.csv")
    >>> _ = open(p, "w").write("a , B\\n 1,2\\n\\n3,\\n")
    >>> t = read_table(p, "t.csv")
    >>> t.header, t.rows.tolist(), [list(c) for c in t.data]
    (['a', 'B'], [2, 4], [['1', '3'], ['2', '']])
    """
    if raw is None:
        raw = read_bytes(path, file)
    suffix = Path(path).suffix.lower()
    if suffix in (".xls", ".xlsb", ".ods"):
        raise fatal(file, f"{suffix} workbooks are not supported: save the sheet as .xlsx or .csv")
    if suffix == ".xlsx":
        from loaders.xlsx import read_xlsx  # openpyxl costs ~100 ms to import; CSV never needs it

        return read_xlsx(raw, file)
    return _read_csv(raw, file, numeric)


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


# ---------------------------------------------------------------- CSV


def _read_csv(raw: bytes, file: str, numeric: tuple[str, ...] = ()) -> Table:
    encoding = "utf-8"
    if raw.startswith(BOM):
        raw = raw[len(BOM) :]
        encoding = "utf-8-sig"  # the BOM is gone; utf-8-sig still names what the file was
    if not raw.strip():
        raise fatal(file, "empty file")
    if b"\x00" in raw:
        raise fatal(file, "not a CSV text file (binary?)")
    # pandas drops leading blank lines inconsistently, so strip them here and count them.
    leading = _LEADING_BLANK_LINES.match(raw)
    skipped = len(_LINE_END.findall(leading.group()))
    raw = raw[leading.end() :]
    candidates = ("utf-8",) if encoding == "utf-8-sig" else _candidate_encodings(raw)
    for candidate in candidates:
        try:
            header, data = _parse_fast(raw, candidate, numeric)
            break
        except UnicodeDecodeError:
            continue
        except (pd.errors.ParserError, pd.errors.ParserWarning, pd.errors.EmptyDataError):
            # pandas may stop at a bad row before meeting a bad byte: decode strictly here.
            remaining = candidates[candidates.index(candidate) :]
            return _parse_slow(_decode(raw, remaining, file), file, skipped)
    else:
        raise fatal(file, "not a CSV text file (binary?)")
    return table_from_grid(file, header, data, skipped, _needs_trim(raw))


def _candidate_encodings(raw: bytes) -> tuple[str, ...]:
    """UTF-8 then GB18030, or GB18030 alone when the first non-ASCII text is not UTF-8.

    A failed UTF-8 parse costs as much as a good one, so look at a few kB first.

    >>> _candidate_encodings("备注".encode("gb18030")), _candidate_encodings("备注".encode())
    (('gb18030',), ('utf-8', 'gb18030'))
    """
    if raw.isascii():
        return ("utf-8", "gb18030")
    first = int(np.argmax(np.frombuffer(raw, dtype=np.uint8) >= 0x80))
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(raw[first : first + 4096], final=False)  # a char cut at the end is fine
    except UnicodeDecodeError:
        return ("gb18030",)
    return ("utf-8", "gb18030")


def _needs_trim(raw: bytes) -> bool:
    """Whether any field may start or end with a space or tab (false positives are fine).

    Trimming every value is the slowest step on a big clean file, so look at the bytes
    next to each space/tab first (a few ms for 100k rows).

    >>> _needs_trim(b"a,b\\n1,x y\\n"), _needs_trim(b"a,b\\n1 ,2\\n")
    (False, True)
    """
    data = np.frombuffer(raw, dtype=np.uint8)
    blank = data == 32
    if b"\t" in raw:  # memchr: tabs are rare, so usually skip a second pass over the bytes
        blank |= data == 9
    spaces = np.flatnonzero(blank)
    if spaces.size == 0:
        return False
    if spaces[0] == 0 or spaces[-1] == len(data) - 1:
        return True
    neighbours = np.concatenate([data[spaces - 1], data[spaces + 1]])
    return bool(np.isin(neighbours, _FIELD_EDGES).any())


def _decode(raw: bytes, encodings: tuple[str, ...], file: str) -> str:
    for encoding in encodings:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise fatal(file, "not a CSV text file (binary?)")


def _parse_fast(
    raw: bytes, encoding: str, numeric: tuple[str, ...]
) -> tuple[list[str], list[np.ndarray]]:
    """pandas' C parser: (header cells, data columns). Raises ParserError on ragged rows."""
    if numeric:
        floats = _parse_with_floats(raw, encoding, numeric)
        if floats is not None:
            return floats
    frame = _read_csv_frame(io.BytesIO(raw), encoding, object)
    columns = [frame[c].to_numpy(dtype=object) for c in frame.columns]
    return [str(column[0]) for column in columns], [column[1:] for column in columns]


def _parse_with_floats(
    raw: bytes, encoding: str, numeric: tuple[str, ...]
) -> tuple[list[str], list[np.ndarray]] | None:
    """Parse ``numeric`` columns straight to float64; None when that does not fit the file."""
    end = raw.find(b"\n")
    header_line = raw[: end if end >= 0 else len(raw)].decode(encoding).rstrip("\r")
    if end < 0 or '"' in header_line or "\r" in header_line:
        return None  # no data rows, a quoted header, a bare CR: the plain path copes
    header = next(csv.reader([header_line]))
    wanted = {k for k, name in enumerate(header) if name.strip(TRIM).lower() in numeric}
    if not wanted:
        return None
    dtypes = {k: (np.float64 if k in wanted else object) for k in range(len(header))}
    try:
        frame = _read_csv_frame(io.BytesIO(raw[end + 1 :]), encoding, dtypes)
    except (pd.errors.ParserError, pd.errors.ParserWarning, pd.errors.EmptyDataError):
        return None
    except UnicodeDecodeError:
        raise
    except ValueError:  # a value that is not a number: take the text path to quote it
        return None
    if frame.shape[1] != len(header):
        return None
    data = []
    for k, column in enumerate(frame.columns):
        values = frame[column].to_numpy()
        if k in wanted and (values.dtype != np.float64 or not np.isfinite(values).all()):
            return None  # NaN, inf, 1e400: the text path names them as written
        data.append(values if k in wanted else values.astype(object, copy=False))
    return header, data


def _read_csv_frame(source: io.BytesIO, encoding: str, dtype) -> pd.DataFrame:
    # header=None: the header row is data here, so pandas never guesses an index column or
    # truncates rows (the ParserWarning cases); ragged rows raise ParserError instead. No
    # warnings.catch_warnings: it is process-global and loads may run in threads.
    return pd.read_csv(
        source,
        header=None,
        dtype=dtype,
        na_filter=False,
        keep_default_na=False,
        skip_blank_lines=False,
        encoding=encoding,
        encoding_errors="strict",
        engine="c",
        low_memory=False,  # one chunk: ~10% faster, no chunk concatenation
    )


def _parse_slow(text: str, file: str, skipped: int) -> Table:
    """Ragged or badly quoted CSV: parse record by record and name every bad row."""
    problems: list[Problem] = []
    records: list[list[str]] = []
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error:
        # Broken quoting swallows the rest of the file, so that is the one problem to fix.
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        try:
            for record in reader:
                records.append(record)
        except csv.Error as e:
            row = skipped + len(records) + 1
            message = (
                "unterminated quoted field: a '\"' opened on this row never closes"
                if "unexpected end of data" in str(e)
                else f"malformed CSV quoting ({e})"
            )
            raise InputError(Problem(file, row, None, message)) from None
    if not records:
        raise InputError(problems or [Problem(file, None, None, "empty file")])
    width = len(records[0])
    grid_rows: list[list[str]] = []
    for index, record in enumerate(records):
        extra = record[width:]
        if any(value.strip(TRIM) for value in extra):
            problems.append(
                Problem(
                    file,
                    skipped + index + 1,
                    None,
                    f"row has {len(record)} values but the header has {width} columns",
                )
            )
        record = record[:width] + [""] * (width - len(record))
        grid_rows.append(record)
    grid = [np.array(column, dtype=object) for column in zip(*grid_rows, strict=True)]
    table = table_from_grid(file, [c[0] for c in grid], [c[1:] for c in grid], skipped, True)
    table.problems.extend(problems)
    return table


# ---------------------------------------------------------------- common


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
