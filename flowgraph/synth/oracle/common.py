"""Helpers shared by the reference rules: one finding record, months, origins."""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowgraph.analysis.common import designated_on
from flowgraph.model import (
    FINDING_COLUMNS,
    FINDING_TYPES,
    MINERAL_PRODUCTS,
    Registry,
)


def _f(kind: str, **values) -> dict:
    row = {c: None for c in FINDING_COLUMNS}
    row.update(type=kind, family=FINDING_TYPES[kind], **values)
    row["reo_kg"] = round(float(row["reo_kg"] or 0.0), 3)
    return row


def _prev(period: str) -> str:
    y, m = int(period[:4]), int(period[5:7])
    return f"{y - 1}-12" if m == 1 else f"{y}-{m - 1:02d}"


def _next(period: str) -> str:
    y, m = int(period[:4]), int(period[5:7])
    return f"{y + 1}-01" if m == 12 else f"{y}-{m + 1:02d}"


def _smelting_batches(ev: pd.DataFrame) -> pd.Index:
    consumed = ev[(ev["event_type"] == "consume") & ev["prod"].isin(MINERAL_PRODUCTS)]
    return pd.Index(consumed["batch_id"].dropna().unique())


def _period_number(period: pd.Series) -> pd.Series:
    text = period.astype(str)
    return (text.str[:4].astype("int64") * 12 + text.str[5:7].astype("int64")).astype("int64")


def _valid_origin(created: pd.DataFrame, registry: Registry) -> np.ndarray:
    """Per creating row: a designated extraction, or an import with country and document."""
    extract = (created["event_type"] == "extract").to_numpy()
    designated = designated_on(registry, created["enterprise_id"], created["date"], "mining")
    imported = (
        (created["event_type"] == "import")
        & created["country"].notna()
        & created["document_ref"].notna()
    ).to_numpy()
    return (extract & designated) | imported
