"""SPEC §1 validation of one monthly upload, vectorised over its rows.

Only contract violations are rejected here. Findings (SPEC §5: lots created twice or never,
overdrawn lots, dates out of order, cycles, undesignated enterprises...) are the
detectors' business, and rules that need other uploads (event ids across an enterprise's
uploads, a batch split over uploads) are checked by the store loader.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from flowgraph import model
from loaders.checks import (
    FIRST_YEAR,
    LAST_YEAR,
    Collector,
    codes_in,
    majority,
    number_problem,
    parse_dates,
    parse_numbers,
    text_column,
)

_COUNTRY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_TYPE_LIST = ", ".join(model.EVENT_TYPES)


@dataclass
class Validated:
    """The event table of a file that passed (or the best guess for one that did not)."""

    events: pd.DataFrame | None
    enterprise_id: str | None
    period: str | None


def validate_upload(
    columns: dict[str, np.ndarray],
    rows: np.ndarray,
    out: Collector,
    header_row: int,
    empty: dict[str, np.ndarray] | None = None,
) -> Validated:
    """Check every SPEC §1 rule on trimmed text columns; add problems to ``out``.

    ``columns`` maps canonical upload column names (only those present) to object arrays
    of ``str`` ("" = empty); ``rows`` are the spreadsheet rows; ``empty`` the columns'
    ``== ""`` masks if already known.

    >>> cols = {c: np.array([v], dtype=object) for c, v in dict(event_id="1",
    ...     event_type="loss", date="2025-03-05", enterprise_id="E1", lot_id="L1",
    ...     product="BAST_CONC", mass_kg="5").items()}
    >>> out = Collector("f.csv", np.array([2]), model.UPLOAD_COLUMNS)
    >>> v = validate_upload(cols, np.array([2]), out, 1)
    >>> len(out), v.period, v.events.loc[0, "mass_kg"]
    (0, '2025-03', np.float64(5.0))
    """
    n = len(rows)
    if empty is None:
        empty = {name: values == "" for name, values in columns.items()}
    for name in model.ALWAYS_REQUIRED:
        if name not in columns:
            out.add(header_row, name, f"missing required column {name}")
    if n == 0:
        out.add(None, None, "no events (the file has a header but no data rows)")
        return Validated(None, None, None)

    def required(name: str, mask: np.ndarray) -> None:
        if name in columns:
            out.rows_where(mask & empty[name], name, f"{name} is required")

    # event_type first: most other rules depend on it.
    types = np.full(n, -1, dtype=np.int64)
    if "event_type" in columns:
        codes, uniques = pd.factorize(columns["event_type"])
        lookup = np.array([_type_index(u) for u in uniques], dtype=np.int64)
        types = lookup[codes]
        values = columns["event_type"]
        out.rows_where(
            (types < 0) & ~empty["event_type"],
            "event_type",
            lambda i: f"unknown event_type '{values[i]}' (expected one of: {_TYPE_LIST})",
        )
        required("event_type", np.ones(n, dtype=bool))
    is_type = {t: types == k for k, t in enumerate(model.EVENT_TYPES)}
    creating = is_type["extract"] | is_type["import"] | is_type["produce"]

    _check_type_columns(columns, empty, is_type, types, out, header_row)

    # event_id: present and unique within the file (later duplicates are the wrong ones).
    if "event_id" in columns:
        required("event_id", np.ones(n, dtype=bool))
        _check_duplicates(columns["event_id"], empty["event_id"], rows, out)

    period, dates = _check_dates(columns, empty, is_type["stock"], out, n)
    enterprise = _check_enterprise(columns, empty, is_type, out)

    if "lot_id" in columns:
        required("lot_id", np.ones(n, dtype=bool))
    _check_product(columns, empty, types, creating, out, header_row)
    mass, reo = _check_numbers(columns, empty, is_type["stock"], out, n)

    if "country" in columns:
        country = columns["country"]
        ok = codes_in(country, lambda c: len(c) == 2 and set(c) <= _COUNTRY_CHARS, empty["country"])
        out.rows_where(
            ~ok,
            "country",
            lambda i: f"country '{country[i]}' is not a two-letter ISO 3166-1 code (e.g. CN)",
        )
    # A batch with only consume rows (a loss) or only produce rows (a gain) loads: the
    # detectors report it (SPEC §1); that it is reported whole is checked across uploads.
    if "licence_no" in columns:  # SPEC §1: the export licence of an export; empty elsewhere
        out.rows_where(
            ~is_type["export"] & ~empty["licence_no"] & (types >= 0),
            "licence_no",
            lambda i: f"licence_no is for export rows only, not {model.EVENT_TYPES[types[i]]}",
        )

    numbers = {"date": dates, "mass_kg": mass, "reo_pct": reo}
    data = {
        c: pd.Series(numbers[c], copy=False)
        if c in numbers
        else text_column(columns.get(c), n, empty.get(c))
        for c in model.UPLOAD_COLUMNS
    }
    data["period"] = pd.Series(np.full(n, period, dtype=object), dtype=object, copy=False)
    data["upload_id"] = pd.Series(np.zeros(n, dtype=np.int64), copy=False)
    data["source_row"] = pd.Series(rows.astype(np.int64), copy=False)
    # copy=False: consolidating 12 object columns into one block would cost more than all
    # the checks above together.
    events = pd.DataFrame(data, copy=False)
    return Validated(events, enterprise, period)


def _type_index(value: object) -> int:
    try:
        return model.EVENT_TYPES.index(value)  # type: ignore[arg-type]
    except ValueError:
        return -1


def _check_type_columns(columns, empty, is_type, types, out, header_row) -> None:
    """Columns required per event type: a missing column once, else each empty cell."""
    needed: dict[str, list[str]] = {}
    for event_type, names in model.REQUIRED_BY_TYPE.items():
        for name in names:
            needed.setdefault(name, []).append(event_type)
    for name, event_types in needed.items():
        present = [t for t in event_types if is_type[t].any()]
        if not present:
            continue
        if name not in columns:
            out.add(
                header_row, name, f"missing column {name}, required for {', '.join(present)} rows"
            )
            continue
        mask = np.zeros(len(types), dtype=bool)
        for t in present:
            mask |= is_type[t]
        out.rows_where(
            mask & empty[name],
            name,
            lambda i, name=name: f"{name} is required on {model.EVENT_TYPES[types[i]]} rows",
        )


def _check_duplicates(values, empty, rows, out) -> None:
    if pd.Index(values, dtype=object).is_unique:  # the common case, and 2x cheaper
        return
    series = pd.Series(values, dtype=object)
    later = series.duplicated(keep="first").to_numpy() & ~empty
    if not later.any():
        return
    repeated = pd.unique(values[later])
    firsts = np.flatnonzero(series.isin(repeated).to_numpy() & ~later)
    first_row = {values[i]: int(rows[i]) for i in firsts}
    out.rows_where(
        later,
        "event_id",
        lambda i: f"duplicate event_id '{values[i]}' (first on row {first_row[values[i]]})",
    )


def _check_dates(columns, empty, is_stock, out, n) -> tuple[str | None, np.ndarray]:
    if "date" not in columns:
        return None, np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    text = columns["date"]
    parsed = parse_dates(text)
    dates = parsed.dates
    out.rows_where(empty["date"], "date", "date is required")
    out.rows_where(
        parsed.bad_shape, "date", lambda i: f"date '{text[i]}' is not an ISO date (YYYY-MM-DD)"
    )
    out.rows_where(parsed.not_real, "date", lambda i: f"date '{text[i]}' is not a real date")
    out.rows_where(
        parsed.too_early | parsed.too_late,
        "date",
        lambda i: f"date '{text[i]}' is outside the years {FIRST_YEAR}-{LAST_YEAR}",
    )
    valid = ~np.isnat(dates)
    months = dates.astype("datetime64[M]")
    month = majority(months.view(np.int64), valid)
    if month is None:
        return None, dates
    period = str(np.datetime64(int(month), "M"))
    out.rows_where(
        valid & (months.view(np.int64) != month),
        "date",
        lambda i: f"date {text[i]} outside the file's period {period}",
    )
    month_end = (months + 1).astype("datetime64[D]") - np.timedelta64(1, "D")
    last_day = dates.astype("datetime64[D]") == month_end
    out.rows_where(
        is_stock & valid & ~last_day,
        "date",
        lambda i: f"stock must be dated the last day of the month ({month_end[i]}), not {text[i]}",
    )
    return period, dates


def _check_enterprise(columns, empty, is_type, out) -> str | None:
    if "enterprise_id" not in columns:
        return None
    values = columns["enterprise_id"]
    out.rows_where(empty["enterprise_id"], "enterprise_id", "enterprise_id is required")
    enterprise = majority(values, ~empty["enterprise_id"])
    if enterprise is None:
        return None
    out.rows_where(
        (values != enterprise) & ~empty["enterprise_id"],
        "enterprise_id",
        lambda i: (
            f"enterprise_id '{values[i]}' differs from the file's enterprise "
            f"'{enterprise}' (one enterprise per file)"
        ),
    )
    if "counterparty_id" in columns:
        counterparty = columns["counterparty_id"]
        own = (is_type["ship"] | is_type["receive"]) & (counterparty == values)
        out.rows_where(
            own & ~empty["counterparty_id"],
            "counterparty_id",
            lambda i: f"counterparty_id '{counterparty[i]}' is the uploading enterprise itself",
        )
    return str(enterprise)


def _check_product(columns, empty, types, creating, out, header_row) -> None:
    """Known codes; required on creating rows (done per type) and on rows of lots not created here."""
    if "product" in columns:
        product = columns["product"]
        known = codes_in(product, lambda code: code in model.PRODUCTS, empty["product"])
        out.rows_where(
            ~known,
            "product",
            lambda i: f"unknown product code '{product[i]}'",
        )
    if "lot_id" not in columns:
        return
    lots = columns["lot_id"]
    candidates = (types >= 0) & ~creating & ~empty["lot_id"]
    if "product" in columns:
        candidates &= empty["product"]
    if not candidates.any():
        return
    created = pd.unique(lots[creating & ~empty["lot_id"]])
    orphan = candidates & ~pd.Series(lots, dtype=object).isin(created).to_numpy()
    if not orphan.any():
        return
    if "product" not in columns:
        if creating.any():
            return  # already reported as required for the creating rows
        out.add(
            header_row,
            "product",
            "missing column product, required for rows whose lot is not created in this file",
        )
        return
    out.rows_where(
        orphan,
        "product",
        lambda i: f"product is required: lot '{lots[i]}' is not created in this file",
    )


def _check_numbers(columns, empty, is_stock, out, n) -> tuple[np.ndarray, np.ndarray]:
    """mass_kg (> 0, stock >= 0) and reo_pct (0 < x <= 120, wherever given) as float64."""
    mass = np.full(n, np.nan)
    reo = np.full(n, np.nan)
    if "mass_kg" in columns:
        mass, bad, show = _numbers(columns["mass_kg"], empty["mass_kg"])
        out.rows_where(empty["mass_kg"], "mass_kg", "mass_kg is required")
        out.rows_where(bad, "mass_kg", lambda i: number_problem("mass_kg", show(i)))
        ok = ~np.isnan(mass)
        out.rows_where(
            ok & ~is_stock & ~(mass > 0),
            "mass_kg",
            lambda i: f"mass_kg must be > 0, got '{show(i)}'",
        )
        out.rows_where(
            ok & is_stock & np.signbit(mass),
            "mass_kg",
            lambda i: f"mass_kg must be >= 0 on stock rows, got '{show(i)}'",
        )
    if "reo_pct" in columns:
        text_reo = columns["reo_pct"]
        reo, bad = parse_numbers(text_reo, empty["reo_pct"])
        out.rows_where(bad, "reo_pct", lambda i: number_problem("reo_pct", text_reo[i]))
        out.rows_where(
            ~np.isnan(reo) & ~((reo > 0) & (reo <= 120)),
            "reo_pct",
            lambda i: f"reo_pct must be > 0 and <= 120, got '{text_reo[i]}'",
        )
    return mass, reo


def _numbers(values: np.ndarray, empty: np.ndarray):
    """(floats, bad mask, text of row i): the loader may already have parsed the column."""
    if values.dtype == np.float64:
        numbers = values
        return (
            numbers,
            ~np.isfinite(numbers),
            lambda i: np.format_float_positional(numbers[i], trim="-"),
        )
    numbers, bad = parse_numbers(values, empty)
    return numbers, bad, lambda i: values[i]
