"""Twins of the register queries: licence_usage and customs_reconciliation (same columns and
order as ``queries/NAME.cypher``)."""

from __future__ import annotations

import pandas as pd

from flowgraph.analysis.licences import licence_use
from flowgraph.analysis.registers import month_of, trade_rows

LICENCE_USAGE = [
    "licence_no", "enterprise_id", "product", "country", "valid_from", "valid_to", "period",
    "licensed_kg", "exported_kg", "cumulative_kg", "remaining_kg",
]  # fmt: skip
RECONCILIATION = [
    "enterprise_id", "period", "direction", "product", "declared_kg", "uploaded_kg",
    "difference_kg",
]  # fmt: skip


def _iso(values: pd.Series) -> pd.Series:
    text = pd.to_datetime(values).dt.strftime("%Y-%m-%d").astype(object)
    return text.where(pd.notna(values), None)


def licence_usage(data, licence_no: str | None = None, enterprise_id: str | None = None):
    """Per licence row and month: licensed, exported, cumulative and remaining kg (a row with
    period None for a licence row nothing was exported under)."""
    licences = data.registry.licences
    if licences is None or licences.empty:
        return pd.DataFrame(columns=LICENCE_USAGE)
    keep = pd.Series(True, index=licences.index)
    if licence_no is not None:
        keep &= licences["licence_no"] == licence_no
    if enterprise_id is not None:
        keep &= licences["enterprise_id"] == enterprise_id
    rows = licences[keep]
    if rows.empty:
        return pd.DataFrame(columns=LICENCE_USAGE)
    use = licence_use(data.events, data.registry)
    keys = ["licence_no", "product", "country"]
    if not use.empty:
        use = use.assign(period=use["date"].dt.strftime("%Y-%m"))
        monthly = use.groupby([*keys, "period"], as_index=False)["mass_kg"].sum()
    else:
        monthly = pd.DataFrame(columns=[*keys, "period", "mass_kg"])
    out = rows.merge(monthly, on=keys, how="left")
    out["exported_kg"] = out["mass_kg"].fillna(0.0).astype("float64")
    out = out.sort_values([*keys, "period"], kind="stable", na_position="last")
    out["cumulative_kg"] = out.groupby(keys, sort=False)["exported_kg"].cumsum()
    out["licensed_kg"] = out["quantity_kg"]
    out["remaining_kg"] = out["licensed_kg"] - out["cumulative_kg"]
    out["valid_from"] = _iso(out["valid_from"])
    out["valid_to"] = _iso(out["valid_to"])
    out["period"] = out["period"].astype(object).where(out["period"].notna(), None)
    return data.order(out[LICENCE_USAGE], ["licence_no", "product", "country", "period"])


def customs_reconciliation(data, enterprise_id: str | None = None, period: str | None = None):
    """Per enterprise, month, direction and product: declared vs uploaded kg."""
    customs = data.registry.customs
    if customs is None:
        return pd.DataFrame(columns=RECONCILIATION)
    declared = pd.DataFrame(
        {
            "enterprise_id": customs["enterprise_id"].to_numpy(dtype=object),
            "period": pd.Series(month_of(customs["date"]) if len(customs) else [], dtype="int64")
            .map(lambda m: f"{m // 12:04d}-{m % 12 + 1:02d}")
            .to_numpy(dtype=object),
            "direction": customs["direction"].to_numpy(dtype=object),
            "product": customs["product"].to_numpy(dtype=object),
            "declared": customs["mass_kg"].to_numpy(dtype="float64"),
            "uploaded": 0.0,
        }
    )
    rows = trade_rows(data.events)
    uploaded = pd.DataFrame(
        {
            "enterprise_id": rows["enterprise_id"].to_numpy(dtype=object),
            "period": rows["date"].dt.strftime("%Y-%m").to_numpy(dtype=object),
            "direction": rows["event_type"].to_numpy(dtype=object),
            "product": rows["product"].to_numpy(dtype=object),
            "declared": 0.0,
            "uploaded": rows["mass_kg"].to_numpy(dtype="float64"),
        }
    )
    both = pd.concat([declared, uploaded], ignore_index=True)
    if enterprise_id is not None:
        both = both[both["enterprise_id"] == enterprise_id]
    if period is not None:
        both = both[both["period"] == period]
    if both.empty:
        return pd.DataFrame(columns=RECONCILIATION)
    keys = ["enterprise_id", "period", "direction", "product"]
    out = both.groupby(keys, as_index=False, dropna=False)[["declared", "uploaded"]].sum()
    out = out.rename(columns={"declared": "declared_kg", "uploaded": "uploaded_kg"})
    out["difference_kg"] = (out["uploaded_kg"] - out["declared_kg"]).round(3)
    return data.order(out[RECONCILIATION], keys)
