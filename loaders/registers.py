"""Registers of other authorities (SPEC §7): customs.csv, export_licences.csv, controls.csv.

Each file is optional in the registry folder; when present it is read and checked with the
same rules as the other registry files (every problem as FILE:ROW:COLUMN, nothing stored when
any file has one). Enterprises in these registers need not be in ``enterprises.csv``: customs
and MOFCOM keep every declarant and licence holder in the country, not only the platform's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from flowgraph import model
from flowgraph.errors import Problem
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

FILES = {
    "customs": ("customs.csv", model.CUSTOMS_COLUMNS),
    "licences": ("export_licences.csv", model.LICENCE_COLUMNS),
    "controls": ("controls.csv", model.CONTROL_COLUMNS),
}
_COUNTRY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def read_registers(folder: Path, problems: list[Problem], opener) -> dict[str, pd.DataFrame | None]:
    """The registers present in ``folder`` by name (None when the file is absent).

    ``opener(path, columns, problems)`` reads and header-checks a file the way the other
    registry files are (loaders.registry._open); problems are appended to ``problems``.
    """
    found: dict[str, pd.DataFrame | None] = {}
    for name, (file, columns) in FILES.items():
        path = folder / file
        if not path.exists():
            found[name] = None
            continue
        entry = opener(path, columns, problems)
        if entry is None:
            found[name] = None
            continue
        frame = {"customs": _customs, "licences": _licences, "controls": _controls}[name](entry)
        problems.extend(entry[2].sorted())
        found[name] = frame
    return found


def _required(columns, out: Collector, *names: str) -> None:
    for name in names:
        out.rows_where(columns[name] == "", name, f"{name} is required")


def _product(columns, out: Collector) -> None:
    product = columns["product"]
    known = codes_in(product, lambda code: code in model.PRODUCTS, product == "")
    out.rows_where(~known, "product", lambda i: f"unknown product code '{product[i]}'")


def _country(columns, out: Collector) -> None:
    country = columns["country"]
    ok = codes_in(country, lambda c: len(c) == 2 and set(c) <= _COUNTRY_CHARS, country == "")
    out.rows_where(
        ~ok,
        "country",
        lambda i: f"country '{country[i]}' is not a two-letter ISO 3166-1 code (e.g. CN)",
    )


def _date(columns, out: Collector, name: str, open_end: bool = False) -> np.ndarray:
    """Parsed ISO dates (NaT where empty or bad); ``open_end``: 9999-12-31 reads as no end."""
    text = columns[name]
    parsed = parse_dates(text)
    out.rows_where(
        parsed.bad_shape, name, lambda i: f"{name} '{text[i]}' is not an ISO date (YYYY-MM-DD)"
    )
    out.rows_where(parsed.not_real, name, lambda i: f"{name} '{text[i]}' is not a real date")
    beyond = parsed.too_early if open_end else parsed.too_early | parsed.too_late
    out.rows_where(
        beyond, name, lambda i: f"{name} '{text[i]}' is outside the years {FIRST_YEAR}-{LAST_YEAR}"
    )
    return parsed.dates


def _validity(columns, out: Collector) -> tuple[np.ndarray, np.ndarray]:
    start = _date(columns, out, "valid_from")
    end = _date(columns, out, "valid_to", open_end=True)
    out.rows_where(
        ~np.isnat(start) & ~np.isnat(end) & (end < start),
        "valid_to",
        lambda i: (
            f"valid_to {columns['valid_to'][i]} is before valid_from {columns['valid_from'][i]}"
        ),
    )
    return start, end


def _positive(columns, out: Collector, name: str) -> np.ndarray:
    text = columns[name]
    numbers, bad = parse_numbers(text, text == "")
    out.rows_where(bad, name, lambda i: number_problem(name, text[i]))
    out.rows_where(
        ~np.isnan(numbers) & ~(numbers > 0), name, lambda i: f"{name} must be > 0, got '{text[i]}'"
    )
    return numbers


def _first_rows(keys: np.ndarray, rows: np.ndarray) -> dict[object, int]:
    first: dict[object, int] = {}
    for key, row in zip(keys.tolist(), rows.tolist(), strict=True):
        first.setdefault(key, int(row))
    return first


def _same_as_first(keys, values, rows, out: Collector, column: str, what: str) -> None:
    """Every row of a key (declaration, licence) must carry its first row's ``values``."""
    present = (keys != "") & (values != "")
    if not present.any():
        return
    frame = pd.DataFrame({"k": keys[present], "v": values[present], "r": rows[present]})
    grouped = frame.groupby("k", sort=False)
    first_value = grouped["v"].transform("first").to_numpy(dtype=object)
    first_row = grouped["r"].transform("first").to_numpy()
    differs = np.zeros(len(keys), dtype=bool)
    differs[np.flatnonzero(present)] = frame["v"].to_numpy(dtype=object) != first_value
    at = np.full(len(keys), -1, dtype=np.int64)
    at[np.flatnonzero(present)] = np.arange(present.sum())
    out.rows_where(
        differs,
        column,
        lambda i: (
            f"{what} {keys[i]}: {column} '{values[i]}' differs from its first row "
            f"(row {first_row[at[i]]}: '{first_value[at[i]]}')"
        ),
    )


def _customs(entry) -> pd.DataFrame:
    table, columns, out = entry
    _required(columns, out, *model.CUSTOMS_COLUMNS)
    direction = columns["direction"]
    ok = codes_in(direction, lambda d: d in model.DIRECTIONS, direction == "")
    out.rows_where(
        ~ok, "direction", lambda i: f"direction '{direction[i]}' must be import or export"
    )
    dates = _date(columns, out, "date")
    _product(columns, out)
    mass = _positive(columns, out, "mass_kg")
    _country(columns, out)
    # A declaration has one declarant, one direction and one date; its lines may differ in
    # product and country. A line that disagrees with the declaration's first line is wrong.
    number = columns["declaration_no"]
    for name in ("enterprise_id", "direction", "date"):
        _same_as_first(number, columns[name], table.rows, out, name, "declaration")
    n = table.n_rows
    return pd.DataFrame(
        {
            "declaration_no": text_column(number, n),
            "direction": text_column(direction, n),
            "enterprise_id": text_column(columns["enterprise_id"], n),
            "date": pd.Series(dates, dtype="datetime64[ns]"),
            "product": text_column(columns["product"], n),
            "mass_kg": pd.Series(mass, dtype="float64"),
            "country": text_column(columns["country"], n),
        }
    )


def _licences(entry) -> pd.DataFrame:
    table, columns, out = entry
    _required(columns, out, "licence_no", "enterprise_id", "product", "country", "quantity_kg")
    _required(columns, out, "valid_from")
    _product(columns, out)
    _country(columns, out)
    quantity = _positive(columns, out, "quantity_kg")
    start, end = _validity(columns, out)
    number, holder = columns["licence_no"], columns["enterprise_id"]
    key = pd.Series(number + "\x1f" + columns["product"] + "\x1f" + columns["country"])
    complete = (number != "") & (columns["product"] != "") & (columns["country"] != "")
    keys = key.to_numpy(dtype=object)
    later = key.duplicated(keep="first").to_numpy() & complete
    first = _first_rows(keys[complete & ~later], table.rows[complete & ~later])
    out.rows_where(
        later,
        "licence_no",
        lambda i: (
            "duplicate licence row {} {} {}".format(*keys[i].split("\x1f"))
            + f" (first on row {first[keys[i]]})"
        ),
    )
    # A licence is granted to one enterprise: another holder on a later row is a mistake.
    _same_as_first(number, holder, table.rows, out, "enterprise_id", "licence")
    n = table.n_rows
    return pd.DataFrame(
        {
            "licence_no": text_column(number, n),
            "enterprise_id": text_column(holder, n),
            "product": text_column(columns["product"], n),
            "country": text_column(columns["country"], n),
            "quantity_kg": pd.Series(quantity, dtype="float64"),
            "valid_from": pd.Series(start, dtype="datetime64[ns]"),
            "valid_to": pd.Series(end, dtype="datetime64[ns]"),
            "end_user": text_column(columns["end_user"], n),
        }
    )


def _controls(entry) -> pd.DataFrame:
    table, columns, out = entry
    _required(columns, out, "product", "valid_from")
    _product(columns, out)
    start, end = _validity(columns, out)
    n = table.n_rows
    return pd.DataFrame(
        {
            "product": text_column(columns["product"], n),
            "valid_from": pd.Series(start, dtype="datetime64[ns]"),
            "valid_to": pd.Series(end, dtype="datetime64[ns]"),
            "basis": text_column(columns["basis"], n),
        }
    )
