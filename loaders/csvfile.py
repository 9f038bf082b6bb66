"""CSV uploads and registry files: UTF-8, UTF-8 with BOM or GB18030, decoded to a ``Table``.

CSV goes through pandas' C parser (no Python loop per row); only a malformed CSV (ragged
rows) falls back to the ``csv`` module so every bad row can be named.
"""

from __future__ import annotations

import codecs
import csv
import io
import re

import numpy as np
import pandas as pd

from flowgraph.errors import InputError, Problem
from loaders.table import TRIM, Table, fatal, table_from_grid

BOM = b"\xef\xbb\xbf"
# Blank lines before the header (pandas mishandles them) and the line ends pandas knows.
_LEADING_BLANK_LINES = re.compile(rb"(?:[ \t]*(?:\r\n|\r|\n))*")
_LINE_END = re.compile(rb"\r\n|\r|\n")
# Bytes that end a CSV field; a space or tab next to one means some value needs trimming.
_FIELD_EDGES = np.array([ord(c) for c in ',\r\n"'], dtype=np.uint8)


def read_csv(raw: bytes, file: str, numeric: tuple[str, ...] = ()) -> Table:
    """Decode a CSV file's bytes; fatal problems (empty, binary, undecodable) raise InputError.

    CSV columns named in ``numeric`` come back as float64 arrays when every value is a
    finite number (parsed in C: the biggest saving on a large file); otherwise as text
    like the rest, so the validator can quote the bad values.

    >>> t = read_csv(b"a , B\\n 1,2\\n\\n3,\\n", "t.csv")
    >>> t.header, t.rows.tolist(), [list(c) for c in t.data]
    (['a', 'B'], [2, 4], [['1', '3'], ['2', '']])
    """
    encoding = "utf-8"
    if raw.startswith(BOM):
        raw = raw[len(BOM) :]
        encoding = "utf-8-sig"  # the BOM is gone; utf-8-sig still names what the file was
    if not raw.strip():
        raise fatal(file, "empty file")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_utf16(raw):
        raise fatal(
            file,
            'the file is UTF-16 text (Excel\'s "Unicode Text"); save it as "CSV UTF-8 (Comma '
            'delimited)" (or GB18030 CSV) in your spreadsheet program and load that',
        )
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


def _looks_utf16(raw: bytes) -> bool:
    """UTF-16 without a byte-order mark: ASCII text with a NUL after (or before) every byte.

    >>> _looks_utf16("event_id,date".encode("utf-16-le")), _looks_utf16(b"event_id,date")
    (True, False)
    """
    head = raw[:512]
    if len(head) < 4:
        return False
    odd, even = head[1::2], head[0::2]
    return odd.count(0) > 0.9 * len(odd) or even.count(0) > 0.9 * len(even)


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
