"""Building, ordering and serialising findings tables (SPEC §5 columns)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from flowgraph.model import FAMILIES, FINDING_COLUMNS, FINDING_KEYS, FINDING_TYPES, empty_findings

_TEXT = ("type", "family", "period", "enterprise_id", "lot_id", "shipment_id", "batch_id")
_EXTRA = ("activity", "document_ref", "licence_no", "product", "country")  # extra key columns
# The key columns of every type, in the order findings of one type are sorted by.
_SORT_KEYS = (
    "shipment_id",
    "batch_id",
    "enterprise_id",
    "lot_id",
    "document_ref",
    "licence_no",
    "product",
    "country",
    "year",
    "activity",
)


def _nullable(values: pd.Series) -> pd.Series:
    values = values.astype("object")
    return values.where(values.notna(), None)


def make_findings(finding_type: str, data: pd.DataFrame) -> pd.DataFrame:
    """A findings table of ``finding_type`` from ``data`` (any subset of FINDING_COLUMNS).

    Missing columns become null, ``family`` comes from the type, ``reo_kg`` is clipped at 0.

    >>> f = make_findings("DUPLICATE_LOT", pd.DataFrame({"lot_id": ["L1"], "period": ["2024-01"],
    ...     "reo_kg": [5.0], "detail": ["lot created 2 times"]}))
    >>> f.loc[0, ["type", "family", "batch_id"]].tolist()
    ['DUPLICATE_LOT', 'untraceable_input', None]
    """
    if data.empty:
        return empty_findings()
    out = pd.DataFrame(index=range(len(data)))
    for column in FINDING_COLUMNS:
        if column in data.columns:
            out[column] = data[column].to_numpy()
        else:
            out[column] = None
    out["type"] = finding_type
    out["family"] = FINDING_TYPES[finding_type]
    return normalise(out)


def normalise(findings: pd.DataFrame) -> pd.DataFrame:
    """Coerce a findings table to the contract dtypes: text/None, reo_kg float >= 0, year int/None."""
    out = findings.reindex(columns=list(FINDING_COLUMNS)).copy()
    for column in (*_TEXT, "detail", *_EXTRA):
        out[column] = _nullable(out[column])
    out["reo_kg"] = pd.to_numeric(out["reo_kg"]).astype("float64").fillna(0.0).clip(lower=0.0)
    year = pd.to_numeric(out["year"].astype("object"), errors="coerce")
    out["year"] = pd.Series(
        [int(y) if not (y is None or math.isnan(y)) else None for y in year.astype("float64")],
        index=out.index,
        dtype="object",
    )
    return out.reset_index(drop=True)


def sort_findings(findings: pd.DataFrame) -> pd.DataFrame:
    """Order by family and type (SPEC §5 table order), then the type's key columns, then period."""
    if findings.empty:
        return findings.reset_index(drop=True)
    fam_rank = {f: i for i, f in enumerate(FAMILIES)}
    type_rank = {t: i for i, t in enumerate(FINDING_TYPES)}
    order = pd.DataFrame(
        {
            "_f": findings["family"].map(fam_rank),
            "_t": findings["type"].map(type_rank),
        },
        index=findings.index,
    )
    # Every key column of every type, as text, so one sort handles mixed types.
    for column in _SORT_KEYS:
        order[column] = findings[column].map(lambda v: "" if v is None else str(v))
    order["period"] = findings["period"].map(lambda v: "" if v is None else v)
    keys = ["_f", "_t", *_SORT_KEYS, "period"]
    idx = order.sort_values(keys, kind="stable").index
    return findings.loc[idx].reset_index(drop=True)


def finding_key(row: pd.Series | dict) -> tuple:
    """The identity of one finding: its type plus its SPEC §5 key values."""
    return (row["type"],) + tuple(row[k] for k in FINDING_KEYS[row["type"]])


def to_records(findings: pd.DataFrame, columns: Iterable[str] | None = None) -> list[dict]:
    """Findings as SPEC §5 dicts: every key present, None for missing, plain Python values.

    ``columns``: the keys, in order (default FINDING_COLUMNS; SPEC §6 adds finding_id, status).
    """
    columns = list(FINDING_COLUMNS if columns is None else columns)
    records = []
    for row in findings.reindex(columns=columns).itertuples(index=False):
        record = {}
        for column, value in zip(columns, row, strict=True):
            if value is None or (isinstance(value, float) and math.isnan(value)):
                record[column] = None
            elif isinstance(value, np.integer):
                record[column] = int(value)
            elif isinstance(value, np.floating | float):
                record[column] = round(float(value), 3)
            elif value is pd.NA:
                record[column] = None
            else:
                record[column] = value
        records.append(record)
    return records


def iter_jsonl(findings: pd.DataFrame, columns: Iterable[str] | None = None) -> Iterable[str]:
    """One JSON line per finding (SPEC §5), no NaN, non-ASCII text kept readable."""
    for record in to_records(findings, columns):
        yield json.dumps(record, ensure_ascii=False, allow_nan=False)


def filter_findings(
    findings: pd.DataFrame, *, period: str | None = None, year: int | str | None = None
) -> pd.DataFrame:
    """Keep findings of one month (``period``) and/or one calendar year.

    Every type is kept by the month it shows in (its ``period``); QUOTA_EXCEEDED, an annual
    finding, is kept for ``year`` by its ``year`` and for ``period`` by the month it was crossed.

    >>> f = make_findings("DUPLICATE_LOT", pd.DataFrame({"lot_id": ["A", "B"],
    ...     "period": ["2024-01", "2025-01"]}))
    >>> filter_findings(f, year=2025)["lot_id"].tolist()
    ['B']
    """
    if period is None and year is None:
        return findings
    fper = findings["period"].map(lambda p: "" if p is None else str(p))
    keep = pd.Series(True, index=findings.index)
    if period is not None:
        keep &= fper == period
    if year is not None:
        is_quota = findings["type"] == "QUOTA_EXCEEDED"
        fyear = findings["year"].map(lambda y: -1 if y is None else int(y))
        keep &= (~is_quota & (fper.str.slice(0, 4) == str(int(year)))) | (
            is_quota & (fyear == int(year))
        )
    return findings[keep.to_numpy()].reset_index(drop=True)
