"""Which reader decodes a file, by its suffix: the one table of input formats.

A new format is one module with ``read_x(raw: bytes, file: str, numeric=()) -> Table``
(see ``loaders/table.py``) plus one line in ``READERS``; ``flowgraph load`` then finds files
with that suffix in folders too. Readers are imported when first needed (openpyxl alone costs
~100 ms to import, and a CSV load never needs it).

>>> UPLOAD_SUFFIXES
('.csv', '.xlsx')
>>> reader_for("March.XLSX").__module__
'loaders.xlsx'
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from pathlib import Path

from loaders.table import Table, fatal, read_bytes

# suffix -> "module:function"; a file given by name with any other suffix is read as CSV.
READERS: dict[str, str] = {
    ".csv": "loaders.csvfile:read_csv",
    ".xlsx": "loaders.xlsx:read_xlsx",
}
DEFAULT_SUFFIX = ".csv"
# Formats people try that flowgraph does not read: a clear problem instead of garbled CSV.
UNSUPPORTED: dict[str, str] = {
    suffix: f"{suffix} workbooks are not supported: save the sheet as .xlsx or .csv"
    for suffix in (".xls", ".xlsb", ".ods")
}
UPLOAD_SUFFIXES: tuple[str, ...] = tuple(READERS)

Reader = Callable[..., Table]


def reader_for(path: str | Path) -> Reader:
    """The function that decodes ``path``, chosen by suffix (case-insensitive)."""
    target = READERS.get(Path(path).suffix.lower(), READERS[DEFAULT_SUFFIX])
    module, function = target.split(":")
    return getattr(import_module(module), function)


def read_table(
    path: str | Path, file: str, raw: bytes | None = None, numeric: tuple[str, ...] = ()
) -> Table:
    """Decode a file with the reader its suffix names; fatal problems raise InputError.

    ``file`` is the name used in problems; ``raw`` the file's bytes if already read;
    ``numeric`` the columns a reader may return as float64 when every value is a number.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "t.csv")
    >>> _ = open(p, "w").write("a , B\\n 1,2\\n\\n3,\\n")
    >>> t = read_table(p, "t.csv")
    >>> t.header, t.rows.tolist(), [list(c) for c in t.data]
    (['a', 'B'], [2, 4], [['1', '3'], ['2', '']])
    >>> read_table("old.xls", "old.xls", raw=b"x")
    Traceback (most recent call last):
    ...
    flowgraph.errors.InputError: old.xls: .xls workbooks are not supported: save the sheet as .xlsx or .csv
    """
    if raw is None:
        raw = read_bytes(path, file)
    suffix = Path(path).suffix.lower()
    if suffix in UNSUPPORTED:
        raise fatal(file, UNSUPPORTED[suffix])
    return reader_for(path)(raw, file, numeric)
