"""The regulator's registry (SPEC §2): enterprises.csv, designations.csv, quotas.csv, and the
optional registers of SPEC §7 (customs.csv, export_licences.csv, controls.csv: loaders.registers).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from flowgraph import model
from flowgraph.errors import InputError, Problem
from loaders.checks import (
    FIRST_YEAR,
    LAST_YEAR,
    Collector,
    codes_in,
    number_problem,
    parse_dates,
    parse_numbers,
    text_column,
)
from loaders.formats import read_table
from loaders.table import Table, map_columns

FILES = ("enterprises.csv", "designations.csv", "quotas.csv")
_YEAR = re.compile(r"[0-9]{4}")
_OUTSIDE = f"outside the years {FIRST_YEAR}-{LAST_YEAR}"


def read_registry(directory: str | Path) -> model.Registry:
    """Read and validate the three registry files in ``directory``, and the SPEC §7 registers
    present there (an absent register is None in the Registry).

    Raises InputError with every problem of all the files (a missing required file is one).

    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> for name, text in [("enterprises.csv", "enterprise_id,name,province,group,roles\\n"
    ...                     "E1,Mine A,Jiangxi,G1,mine; smelter\\n"),
    ...                    ("designations.csv", "enterprise_id,activity,licence_no,valid_from,valid_to\\n"
    ...                     "E1,mining,M-1,2024-01-01,\\n"),
    ...                    ("quotas.csv", "enterprise_id,year,activity,quota_t_reo\\nE1,2025,mining,1200\\n")]:
    ...     _ = open(os.path.join(d, name), "w").write(text)
    >>> reg = read_registry(d)
    >>> reg.enterprises.loc[0, "roles"], reg.quotas.loc[0, "year"], reg.designations.loc[0, "valid_to"]
    ('mine;smelter', np.int64(2025), NaT)
    """
    folder = Path(directory)
    problems: list[Problem] = []
    if not folder.is_dir():
        raise InputError(Problem(str(directory), None, None, "no such folder"))
    tables: dict[str, tuple[Table, dict[str, np.ndarray], Collector] | None] = {}
    for name, known in zip(
        FILES,
        (model.ENTERPRISE_COLUMNS, model.DESIGNATION_COLUMNS, model.QUOTA_COLUMNS),
        strict=True,
    ):
        tables[name] = _open(folder / name, known, problems)

    enterprises, ids = _enterprises(tables["enterprises.csv"])
    designations = _designations(tables["designations.csv"], ids)
    quotas = _quotas(tables["quotas.csv"], ids)
    for entry in tables.values():
        if entry is not None:
            problems.extend(entry[2].sorted())
    from loaders.registers import read_registers  # it imports from here

    registers = read_registers(folder, problems, _open)
    if problems:
        raise InputError(problems)
    return model.Registry(
        enterprises=enterprises, designations=designations, quotas=quotas, **registers
    )


def _open(path: Path, known: tuple[str, ...], problems: list[Problem]):
    file = str(path)
    if not path.is_file():
        problems.append(Problem(file, None, None, "missing registry file"))
        return None
    try:
        table = read_table(path, file)
    except InputError as e:
        problems.extend(e.problems)
        return None
    columns, header_problems, _, _ = map_columns(table, known)  # extra columns: harmless
    out = Collector(file, table.rows, known)
    for problem in [*table.problems, *header_problems]:
        out.add(problem.row, problem.column, problem.message)
    for name in known:
        if name not in columns:
            out.add(table.header_row, name, f"missing required column {name}")
            columns[name] = np.full(table.n_rows, "", dtype=object)
    return table, columns, out


def _required(columns, out, *names: str) -> None:
    for name in names:
        out.rows_where(columns[name] == "", name, f"{name} is required")


def _enterprises(entry) -> tuple[pd.DataFrame, set[str] | None]:
    if entry is None:  # unreadable: ids unknown, so other files are not checked against them
        return model.Registry.empty().enterprises, None
    table, columns, out = entry
    ids = columns["enterprise_id"]
    _required(columns, out, "enterprise_id")
    _duplicates(ids, ids != "", table.rows, out, "enterprise_id", lambda v: f"enterprise_id '{v}'")
    roles = np.array(
        [";".join(r.strip() for r in text.split(";") if r.strip()) for text in columns["roles"]],
        dtype=object,
    )
    allowed = set(model.ROLES)
    ok = codes_in(roles, lambda text: all(r in allowed for r in text.split(";") if r))
    out.rows_where(
        ~ok,
        "roles",
        lambda i: (
            f"roles '{columns['roles'][i]}' must be ';'-separated from: {', '.join(model.ROLES)}"
        ),
    )
    frame = pd.DataFrame(
        {
            "enterprise_id": text_column(ids, table.n_rows),
            "name": text_column(columns["name"], table.n_rows),
            "province": text_column(columns["province"], table.n_rows),
            "group": text_column(columns["group"], table.n_rows),
            "roles": pd.Series(roles, dtype=object),  # "" = no roles, so .str methods just work
        }
    )
    return frame, set(ids[ids != ""].tolist())


def _activity(columns, out) -> None:
    activity = columns["activity"]
    ok = codes_in(activity, lambda a: a in model.ACTIVITIES)
    out.rows_where(
        ~ok & (activity != ""),
        "activity",
        lambda i: f"activity '{activity[i]}' must be mining or smelting",
    )


def _known_enterprise(columns, out, ids: set[str] | None) -> None:
    if ids is None:
        return
    values = columns["enterprise_id"]
    known = codes_in(values, lambda v: v in ids)
    out.rows_where(
        ~known & (values != ""),
        "enterprise_id",
        lambda i: f"enterprise_id '{values[i]}' is not in enterprises.csv",
    )


def _designations(entry, ids: set[str] | None) -> pd.DataFrame:
    if entry is None:
        return model.Registry.empty().designations
    table, columns, out = entry
    _required(columns, out, "enterprise_id", "activity", "licence_no", "valid_from")
    _known_enterprise(columns, out, ids)
    _activity(columns, out)
    dates = {}
    for name in ("valid_from", "valid_to"):
        text = columns[name]
        parsed = parse_dates(text)
        out.rows_where(
            parsed.bad_shape,
            name,
            lambda i, t=text, c=name: f"{c} '{t[i]}' is not an ISO date (YYYY-MM-DD)",
        )
        out.rows_where(
            parsed.not_real, name, lambda i, t=text, c=name: f"{c} '{t[i]}' is not a real date"
        )
        # valid_to 9999-12-31 is the usual way to write "no end": the same as empty.
        beyond = parsed.too_early | parsed.too_late if name == "valid_from" else parsed.too_early
        out.rows_where(beyond, name, lambda i, t=text, c=name: f"{c} '{t[i]}' is {_OUTSIDE}")
        dates[name] = parsed.dates
    start, end = dates["valid_from"], dates["valid_to"]
    out.rows_where(
        ~np.isnat(start) & ~np.isnat(end) & (end < start),
        "valid_to",
        lambda i: (
            f"valid_to {columns['valid_to'][i]} is before valid_from {columns['valid_from'][i]}"
        ),
    )
    n = table.n_rows
    return pd.DataFrame(
        {
            "enterprise_id": text_column(columns["enterprise_id"], n),
            "activity": text_column(columns["activity"], n),
            "licence_no": text_column(columns["licence_no"], n),
            "valid_from": pd.Series(start, dtype="datetime64[ns]"),
            "valid_to": pd.Series(end, dtype="datetime64[ns]"),
        }
    )


def _quotas(entry, ids: set[str] | None) -> pd.DataFrame:
    if entry is None:
        return model.Registry.empty().quotas
    table, columns, out = entry
    _required(columns, out, *model.QUOTA_COLUMNS)
    _known_enterprise(columns, out, ids)
    _activity(columns, out)
    year_text = columns["year"]
    year_ok = codes_in(year_text, lambda y: bool(_YEAR.fullmatch(y)))
    out.rows_where(
        ~year_ok & (year_text != ""),
        "year",
        lambda i: f"year '{year_text[i]}' is not a 4-digit year",
    )
    years = np.where(year_ok, year_text, "0").astype(np.int64)
    quota_text = columns["quota_t_reo"]
    quota, bad = parse_numbers(quota_text, quota_text == "")
    out.rows_where(bad, "quota_t_reo", lambda i: number_problem("quota_t_reo", quota_text[i]))
    out.rows_where(
        ~np.isnan(quota) & np.signbit(quota),
        "quota_t_reo",
        lambda i: f"quota_t_reo must be >= 0, got '{quota_text[i]}'",
    )
    key = pd.Series(columns["enterprise_id"] + "\x1f" + year_text + "\x1f" + columns["activity"])
    complete = (columns["enterprise_id"] != "") & year_ok & (columns["activity"] != "")
    _duplicates(
        key.to_numpy(dtype=object),
        complete,
        table.rows,
        out,
        "year",
        lambda v: "quota for {} {} {}".format(*v.split("\x1f")),
    )
    n = table.n_rows
    return pd.DataFrame(
        {
            "enterprise_id": text_column(columns["enterprise_id"], n),
            "year": pd.Series(years, dtype="int64"),
            "activity": text_column(columns["activity"], n),
            "quota_t_reo": pd.Series(quota, dtype="float64"),
        }
    )


def _duplicates(values, valid, rows, out, column, describe) -> None:
    """Report every later repeat of a key, naming the row of its first occurrence."""
    series = pd.Series(values, dtype=object)
    later = series.duplicated(keep="first").to_numpy() & valid
    if not later.any():
        return
    first_row: dict[object, int] = {}
    for i in np.flatnonzero(valid & ~later):
        first_row.setdefault(values[i], int(rows[i]))
    out.rows_where(
        later,
        column,
        lambda i: f"duplicate {describe(values[i])} (first on row {first_row[values[i]]})",
    )
