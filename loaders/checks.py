"""Vectorised building blocks shared by the upload and registry validators.

Everything works on object arrays of trimmed ``str`` ("" = empty cell). Values are
parsed once per *distinct* value where that is cheap (dates, codes), and problems are
built only from the rows a mask says failed, so a clean 100k-row file costs a few
numpy passes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from flowgraph.errors import Problem

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DECIMAL = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
NUMBER_HINT = "write digits with '.' for decimals and no units or separators, e.g. 1250.5"


class Collector:
    """Problems of one file, kept sortable by (row, column position).

    >>> c = Collector("f.csv", np.array([2, 3]), ("a", "b"))
    >>> c.rows_where(np.array([False, True]), "b", lambda i: f"bad {i}")
    >>> [str(p) for p in c.sorted()]
    ['f.csv:3:b: bad 1']
    """

    def __init__(self, file: str, rows: np.ndarray, column_order: Sequence[str]):
        self.file = file
        self.rows = rows
        self._order = {name: k for k, name in enumerate(column_order)}
        self._items: list[tuple[int, int, int, Problem]] = []

    def add(self, row: int | None, column: str | None, message: str) -> None:
        # File-level problems (row None) sort first, then by row, then by column position.
        key_row = -1 if row is None else row
        key_col = self._order.get(column, len(self._order)) if column else -1
        self._items.append(
            (key_row, key_col, len(self._items), Problem(self.file, row, column, message))
        )

    def rows_where(
        self, mask: np.ndarray, column: str | None, message: str | Callable[[int], str]
    ) -> None:
        """One problem per True in ``mask``; ``message(i)`` gets the row position."""
        for i in np.flatnonzero(mask):
            text = message(int(i)) if callable(message) else message
            self.add(int(self.rows[i]), column, text)

    def sorted(self) -> list[Problem]:
        return [item[3] for item in sorted(self._items, key=lambda t: t[:3])]

    def __len__(self) -> int:
        return len(self._items)


class ParsedDates(NamedTuple):
    """parse_dates' result: datetime64[ns] values (NaT where not valid) and the masks of why."""

    dates: np.ndarray
    bad_shape: np.ndarray  # not YYYY-MM-DD
    not_real: np.ndarray  # YYYY-MM-DD but no such day (2025-02-30)
    too_early: np.ndarray  # a real day before FIRST_YEAR
    too_late: np.ndarray  # a real day after LAST_YEAR (9999-12-31 "forever" in registries)


# The years a datetime64[ns] can hold (beyond them numpy silently wraps around).
FIRST_YEAR, LAST_YEAR = 1678, 2261


def parse_dates(values: np.ndarray) -> ParsedDates:
    """Strict ISO dates, parsed once per distinct value; empty cells are NaT in no mask.

    >>> p = parse_dates(np.array(["2025-02-28", "2025-02-30", "5/3/25", "9999-12-31", ""],
    ...                          dtype=object))
    >>> str(p.dates[0])[:10], p.bad_shape.tolist(), p.not_real.tolist(), p.too_late.tolist()
    ('2025-02-28', [False, False, True, False, False], [False, True, False, False, False], \
[False, False, False, True, False])
    """
    codes, uniques = pd.factorize(values)
    size = len(uniques)
    parsed = np.full(size, np.datetime64("NaT"), dtype="datetime64[ns]")
    masks = [np.zeros(size, dtype=bool) for _ in range(4)]
    bad_shape, not_real, too_early, too_late = masks
    for k, text in enumerate(uniques):
        if text == "":
            continue
        if not isinstance(text, str) or not _ISO_DATE.fullmatch(text):
            bad_shape[k] = True
            continue
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            not_real[k] = True
            continue
        if day.year < FIRST_YEAR:
            too_early[k] = True
        elif day.year > LAST_YEAR:
            too_late[k] = True
        else:
            parsed[k] = np.datetime64(day, "ns")
    if size == 0:
        codes = np.zeros(0, dtype=np.intp)
        parsed = np.zeros(1, dtype="datetime64[ns]")
        masks = [np.zeros(1, dtype=bool) for _ in range(4)]
    return ParsedDates(parsed[codes], *(mask[codes] for mask in masks))


def parse_numbers(values: np.ndarray, empty: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Strict decimal numbers: (float64 with NaN where empty or bad, bad mask).

    Bad = not a plain decimal (``12kg``, ``1,5``, ``1_000``) or not finite (``NaN``,
    ``inf``, ``1e400``). ``-0`` parses as -0.0 (callers check the sign with np.signbit).

    >>> v, bad = parse_numbers(np.array(["1.5", "1e400", "1,5", ""], dtype=object),
    ...                        np.array([False, False, False, True]))
    >>> v[0], bad.tolist()
    (np.float64(1.5), [False, True, True, False])
    """
    numbers = np.full(len(values), np.nan)
    present = np.flatnonzero(~empty)
    if present.size == 0:
        return numbers, np.zeros(len(values), dtype=bool)
    texts = values[present]
    try:
        parsed = texts.astype(np.float64)  # C loop over float(); rejects most junk at once
    except (ValueError, TypeError):
        parsed = np.array([_float_or_nan(v) for v in texts.tolist()], dtype=np.float64)
    wrong = ~np.isfinite(parsed)
    # float() also accepts "1_000" and full-width digits; catch those strictly, looking at
    # single values only when the column has such characters at all.
    joined = "".join(texts[~wrong].tolist())
    if "_" in joined or not joined.isascii():
        strict = np.array([bool(_DECIMAL.fullmatch(v)) for v in texts.tolist()], dtype=bool)
        wrong |= ~strict
    parsed[wrong] = np.nan
    numbers[present] = parsed
    bad = np.zeros(len(values), dtype=bool)
    bad[present] = wrong
    return numbers, bad


def _float_or_nan(text: str) -> float:
    try:
        return float(text)
    except (ValueError, TypeError):
        return float("nan")


def number_problem(column: str, text: str) -> str:
    """The message for a value parse_numbers rejected.

    >>> number_problem("mass_kg", "1e400")
    "mass_kg '1e400' is not a finite number"
    """
    if _DECIMAL.fullmatch(text) or text.strip("+-").lower() in ("nan", "inf", "infinity"):
        return f"{column} '{text}' is not a finite number"
    return f"{column} '{text}' is not a number ({NUMBER_HINT})"


def majority(values: np.ndarray, valid: np.ndarray) -> object | None:
    """The most frequent value among ``valid`` rows; ties go to the first seen.

    >>> majority(np.array(["b", "a", "a", "b", "c"], dtype=object), np.ones(5, dtype=bool))
    'b'
    """
    if not valid.any():
        return None
    first = values[np.argmax(valid)]
    if (values[valid] == first).all():  # the usual file: one value throughout, no hashing
        return first
    codes, uniques = pd.factorize(values[valid])
    counts = np.bincount(codes, minlength=len(uniques))
    return uniques[int(np.argmax(counts))]


def codes_in(
    values: np.ndarray, allowed: Callable[[str], bool], skip: np.ndarray | None = None
) -> np.ndarray:
    """Mask of rows whose value passes ``allowed`` (called once per distinct value).

    Rows in ``skip`` (e.g. empty cells) are not looked at and come out True.

    >>> codes_in(np.array(["a", "b", "a"], dtype=object), lambda v: v == "a").tolist()
    [True, False, True]
    """
    ok = np.ones(len(values), dtype=bool)
    index = np.flatnonzero(~skip) if skip is not None else np.arange(len(values))
    if index.size == 0:
        return ok
    codes, uniques = pd.factorize(values[index])
    passes = np.array([bool(allowed(u)) for u in uniques], dtype=bool)
    ok[index] = passes[codes]
    return ok


def text_column(values: np.ndarray | None, n: int, empty: np.ndarray | None = None) -> pd.Series:
    """Object column with None for empty cells (pandas 3 would otherwise infer ``str``)."""
    if values is None:
        return pd.Series(np.full(n, None, dtype=object), dtype=object, copy=False)
    if empty is None:
        empty = values == ""
    return pd.Series(np.where(empty, None, values), dtype=object, copy=False)
