"""Monthly upload files (SPEC §1): find them, hash them, read and validate them."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from flowgraph import model
from flowgraph.errors import InputError, Problem
from loaders.checks import Collector
from loaders.formats import READERS, read_table
from loaders.table import map_columns, read_bytes
from loaders.validate import validate_upload


def read_upload(path: str | Path, display_name: str | None = None) -> model.Upload:
    """Read and validate one upload file (CSV or XLSX); raise InputError with every problem.

    ``display_name`` (default ``str(path)``) names the file in problems and in the Upload.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "mar.csv")
    >>> _ = open(p, "w").write("event_id,event_type,date,enterprise_id,lot_id,product,mass_kg\\n"
    ...                        "1,loss,2025-03-05,E1,L1,BAST_CONC,5\\n")
    >>> up = read_upload(p, "mar.csv")
    >>> up.identity, len(up.events), up.file_name
    (('E1', '2025-03'), 1, 'mar.csv')
    """
    file = str(path) if display_name is None else display_name
    raw = read_bytes(path, file)
    table = read_table(path, file, raw, numeric=("mass_kg",))
    columns, header_problems, notes, empty = map_columns(table, model.UPLOAD_COLUMNS)
    out = Collector(file, table.rows, model.UPLOAD_COLUMNS)
    for problem in [*table.problems, *header_problems]:
        out.add(problem.row, problem.column, problem.message)
    _hint_separator(table.header, columns, out)
    if _hint_registry_file(table.header, columns, out, table.header_row) or _hint_header_row(
        table, columns, out
    ):
        # The title row's cells are not columns: their "unknown column" / "no header" notes
        # and the "missing required column" lines would only bury the one line that helps.
        kept = [p for p in out.sorted() if "missing required column" not in p.message]
        error = InputError(kept)
        error.warnings = []
        raise error
    result = validate_upload(columns, table.rows, out, table.header_row, empty)
    if len(out) or result.events is None:
        error = InputError(out.sorted())
        error.warnings = notes  # unknown columns are worth knowing for a rejected file too
        raise error
    assert result.enterprise_id is not None and result.period is not None  # no problems => set
    return model.Upload(
        file_name=file,
        sha256=hashlib.sha256(raw).hexdigest(),
        enterprise_id=result.enterprise_id,
        period=result.period,
        events=result.events,
        warnings=notes,
    )


def _hint_separator(header: list[str], columns: dict, out: Collector) -> None:
    """A European-locale export (';') or a TSV reads as one column: say so, not just 'missing'."""
    if len(header) != 1 or any(name in columns for name in model.ALWAYS_REQUIRED):
        return
    for separator, name in ((";", "semicolons"), ("\t", "tabs")):
        if separator in header[0]:
            out.add(None, None, f"columns must be separated by commas, not {name}")


# The registry's files (SPEC §2, §7) by their columns that no upload has.
_REGISTRY_FILES = {
    name: frozenset(schema) - frozenset(model.UPLOAD_COLUMNS)
    for name, schema in (
        ("enterprises.csv", model.ENTERPRISE_COLUMNS),
        ("designations.csv", model.DESIGNATION_COLUMNS),
        ("quotas.csv", model.QUOTA_COLUMNS),
        ("customs.csv", model.CUSTOMS_COLUMNS),
        ("export_licences.csv", model.LICENCE_COLUMNS),
        ("controls.csv", model.CONTROL_COLUMNS),
    )
}


def _hint_registry_file(header: list[str], columns: dict, out: Collector, header_row: int) -> bool:
    """A registry file given to ``load`` (e.g. the whole folder of a synth world) fails every
    row on columns it never had: say what it is and how to load it, in one line. True when it
    did."""
    if all(name in columns for name in model.ALWAYS_REQUIRED):
        return False
    names = {cell.strip().casefold() for cell in header}
    matches = {file: len(own & names) for file, own in _REGISTRY_FILES.items()}
    best = max(matches, key=matches.get)
    if matches[best] < 2:
        return False
    out.add(
        header_row,
        None,
        f"this is a registry file (the columns of {best}), not a monthly upload: load the "
        "registry's folder with 'flowgraph registry load DIR'",
    )
    return True


def _hint_header_row(table, columns: dict, out: Collector) -> bool:
    """A title row above the header (a report heading, a blank-looking first line) reads as a
    header of unknown columns: say which row looks like the real header, not only what is
    missing. True when it did."""
    if any(name in columns for name in model.ALWAYS_REQUIRED) or table.n_rows == 0:
        return False
    known = {name.casefold() for name in model.UPLOAD_COLUMNS}
    for i in range(min(10, table.n_rows)):
        cells = {str(column[i]).strip().casefold() for column in table.data}
        if len(cells & known) >= 3:
            out.add(
                table.header_row,
                None,
                f"row {table.header_row} is not the header (none of its cells is a column name); "
                f"row {int(table.rows[i])} looks like the header: delete the rows above it in your "
                "spreadsheet program and save again",
            )
            return True
    return False


def sha256_file(path: str | Path) -> str:
    """SHA-256 hex digest of a file's bytes, read in chunks.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "x")
    >>> _ = open(p, "wb").write(b"abc")
    >>> sha256_file(p)[:16]
    'ba7816bf8f01cfea'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def find_upload_files(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given plus ``*.csv``/``*.xlsx`` found recursively in folders, in the order
    given (each folder's files sorted by path), each file once (where it first appears): the
    order they are stored in, so of two revisions of a month the later one given wins.

    Hidden files and folders and Excel lock files (``~$*``) are skipped inside folders, and
    symlinks found inside a folder are not followed (a folder cannot pull in files from
    elsewhere). A path that does not exist raises InputError.

    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> for name in ("b.CSV", "a.xlsx", "~$a.xlsx", ".h.csv", "n.txt"):
    ...     _ = open(os.path.join(d, name), "w").write("")
    >>> [p.name for p in find_upload_files([d])]
    ['a.xlsx', 'b.CSV']
    >>> [p.name for p in find_upload_files([os.path.join(d, "b.CSV"), d])]
    ['b.CSV', 'a.xlsx']
    """
    found: dict[Path, None] = {}  # insertion-ordered set
    missing: list[Problem] = []
    for given in paths:
        path = Path(os.path.normpath(given))  # "a/./b.csv" and "a/b.csv" are one file
        if path.is_dir():
            found.update(dict.fromkeys(p for p in sorted(_walk(path)) if p not in found))
        elif path.exists():
            found.setdefault(path)
        else:
            missing.append(Problem(str(given), None, None, "no such file or folder"))
    if missing:
        raise InputError(missing)
    return list(found)


def _walk(folder: Path) -> Iterable[Path]:
    # os.walk does not descend into symlinked folders by default; symlinked files are skipped.
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if name.startswith((".", "~$")) or not name.lower().endswith(tuple(READERS)):
                continue
            candidate = Path(root, name)
            if candidate.is_symlink():
                continue
            yield candidate
