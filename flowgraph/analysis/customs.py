"""Customs detectors (SPEC §5 family cross_register, §7): the uploads held against the customs
register. Without ``customs.csv`` in the registry (``registry.customs is None``) none runs.

A declaration belongs to its declarant and direction: another enterprise's rows naming it, or
rows of the other direction, are not "its" rows (they are CUSTOMS_UNDECLARED where the register
covers their month), so a declaration named by two enterprises is compared with its
declarant's rows only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowgraph.analysis.derived import exceeds, period_text
from flowgraph.analysis.findings import make_findings
from flowgraph.analysis.registers import (
    TYPICAL_PCT,
    month_of,
    only_value,
    only_values,
    trade_rows,
    upload_months,
)
from flowgraph.config import Tolerances
from flowgraph.model import Registry, empty_findings

_DECL = ["declaration_no", "direction", "enterprise_id"]
_ROW_DECL = ["document_ref", "event_type", "enterprise_id"]  # the same, on upload rows


def _register(registry: Registry) -> pd.DataFrame | None:
    customs = getattr(registry, "customs", None)
    if customs is None:
        return None
    return customs.assign(month=month_of(customs["date"]) if len(customs) else [])


def _named(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows that name a document (import/export rows always should)."""
    return rows[rows["document_ref"].notna()]


def detect_customs_undeclared(
    events: pd.DataFrame, registry: Registry, tol: Tolerances = Tolerances()
) -> pd.DataFrame:
    """CUSTOMS_UNDECLARED: import/export rows whose document_ref is no customs declaration of
    that enterprise in that direction, dated in a month the customs register covers.

    One finding per (enterprise_id, document_ref); period: the first such row's month; reo_kg:
    the rows' REO.
    """
    customs = _register(registry)
    if customs is None or customs.empty:
        return empty_findings()
    rows = _named(trade_rows(events))
    rows = rows[np.isin(rows["month"].to_numpy(), customs["month"].unique())]
    if rows.empty:
        return empty_findings()
    declared = customs[_DECL].drop_duplicates()
    declared.columns = _ROW_DECL
    joined = rows.merge(declared, on=_ROW_DECL, how="left", indicator=True)
    bad = joined[joined["_merge"] == "left_only"]
    if bad.empty:
        return empty_findings()
    owner = customs.drop_duplicates("declaration_no").set_index("declaration_no")
    bad = bad.sort_values(["date", "upload_id", "source_row"], kind="stable")
    records = []
    for (ent, doc), group in bad.groupby(["enterprise_id", "document_ref"], sort=False):
        directions = "/".join(sorted(group["event_type"].unique()))
        detail = (
            f"{len(group)} {directions} row(s), {group['mass_kg'].sum():,.1f} kg, name "
            f"{doc}: no {directions} declaration of {ent} in the customs register"
        )
        if doc in owner.index:
            other = owner.loc[doc]
            detail += f" (it is {other['enterprise_id']}'s {other['direction']} declaration)"
        records.append(
            {
                "enterprise_id": ent,
                "document_ref": doc,
                "month": int(group["month"].iloc[0]),
                "reo_kg": float(group["reo"].sum()),
                "product": only_value(group["product"]),
                "country": only_value(group["country"]),
                "detail": detail,
            }
        )
    found = pd.DataFrame(records)
    found["period"] = period_text(found["month"])
    return make_findings("CUSTOMS_UNDECLARED", found)


def detect_customs_mass_mismatch(
    events: pd.DataFrame, registry: Registry, tol: Tolerances = Tolerances()
) -> pd.DataFrame:
    """CUSTOMS_MASS_MISMATCH: per declaration its declarant's uploads name (same direction) and
    per product, uploaded and declared masses differ by > max(customs_pct % of the declared
    mass, customs_min_kg); a product on one side only counts 0 on the other.

    reo_kg: the difference at the rows' REO per kg (the product's typical REO % where only
    customs has the product); period: the month of the product's first upload row, else the
    declaration's.
    """
    customs = _register(registry)
    if customs is None or customs.empty:
        return empty_findings()
    rows = _named(trade_rows(events))
    if rows.empty:
        return empty_findings()
    rows = rows.rename(columns={"document_ref": "declaration_no", "event_type": "direction"})
    keys = [*_DECL, "product"]
    rows = rows.sort_values(["date", "upload_id", "source_row"], kind="stable")
    uploaded = (
        rows.groupby(keys, sort=False)
        .agg(
            up_kg=("mass_kg", "sum"),
            up_reo=("reo", "sum"),
            up_month=("month", "first"),
        )
        .reset_index()
    )
    # Same groups in the same order (sort=False on the same frame): the column lines up.
    uploaded["up_country"] = only_values(rows, keys, "country").to_numpy()
    declared = customs.merge(uploaded[_DECL].drop_duplicates(), on=_DECL, how="inner")
    if declared.empty:
        return empty_findings()
    lines = declared.groupby(keys, sort=False).agg(
        decl_kg=("mass_kg", "sum"), decl_month=("month", "min")
    )
    lines["country"] = only_values(declared, keys, "country").to_numpy()
    lines = lines.reset_index()
    in_register = uploaded.merge(declared[_DECL].drop_duplicates(), on=_DECL, how="inner")
    both = lines.merge(in_register, on=keys, how="outer")
    decl_kg = both["decl_kg"].fillna(0.0).to_numpy()
    up_kg = both["up_kg"].fillna(0.0).to_numpy()
    diff = np.abs(up_kg - decl_kg)
    over = exceeds(diff, np.maximum(decl_kg * tol.customs_pct / 100.0, tol.customs_min_kg))
    hit = both[over].copy()
    if hit.empty:
        return empty_findings()
    up = up_kg[over]
    per_kg = np.where(
        up > 0,
        hit["up_reo"].fillna(0.0).to_numpy() / np.where(up > 0, up, 1.0),
        hit["product"].map(TYPICAL_PCT).astype("float64").fillna(0.0).to_numpy() / 100.0,
    )
    hit["reo_kg"] = diff[over] * per_kg
    # Every key has a side: the product's first upload row, else its declaration lines.
    month = hit["up_month"].fillna(hit["decl_month"]).astype("int64")
    hit["period"] = period_text(month)
    hit["country"] = hit["country"].where(hit["decl_kg"].notna(), hit["up_country"])
    hit["document_ref"] = hit["declaration_no"]
    hit["detail"] = [
        f"{d} {n}: {p} uploaded {u:,.1f} kg, declared {c:,.1f} kg"
        for d, n, p, u, c in zip(
            hit["direction"],
            hit["declaration_no"],
            hit["product"],
            hit["up_kg"].fillna(0.0),
            hit["decl_kg"].fillna(0.0),
            strict=True,
        )
    ]
    return make_findings("CUSTOMS_MASS_MISMATCH", hit)


def detect_unreported_customs(
    events: pd.DataFrame, registry: Registry, tol: Tolerances = Tolerances()
) -> pd.DataFrame:
    """UNREPORTED_CUSTOMS: a declaration dated in a month for which its enterprise has a current
    upload, that no current row of that enterprise in that direction names.

    reo_kg: the declared mass at each product's typical REO %; period: the declaration's month.
    """
    customs = _register(registry)
    if customs is None or customs.empty:
        return empty_findings()
    customs = customs.assign(
        reo=customs["mass_kg"] * customs["product"].map(TYPICAL_PCT).astype("float64") / 100.0
    )
    decl = customs.groupby(_DECL, sort=False).agg(
        month=("month", "min"), date=("date", "min"), mass=("mass_kg", "sum"), reo_kg=("reo", "sum")
    )
    for column in ("product", "country"):
        decl[column] = only_values(customs, _DECL, column).to_numpy()
    decl = decl.reset_index()
    decl = decl.merge(upload_months(events), on=["enterprise_id", "month"], how="inner")
    rows = _named(trade_rows(events))[_ROW_DECL].drop_duplicates()
    rows.columns = _DECL
    named = decl.merge(rows, on=_DECL, how="left", indicator=True)["_merge"] == "both"
    bad = decl[~named.to_numpy()].copy()
    if bad.empty:
        return empty_findings()
    bad["document_ref"] = bad["declaration_no"]
    bad["period"] = period_text(bad["month"])
    bad["detail"] = [
        f"{d} declaration {n} of {t:%Y-%m-%d} ({m:,.1f} kg) is in no {d} row of {e}'s uploads"
        for d, n, t, m, e in zip(
            bad["direction"],
            bad["declaration_no"],
            bad["date"],
            bad["mass"],
            bad["enterprise_id"],
            strict=True,
        )
    ]
    return make_findings("UNREPORTED_CUSTOMS", bad)
