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
    JointKeys,
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
    keys = JointKeys(rows, _ROW_DECL, customs, _DECL)
    bad = rows[
        ~keys.member(keys.left, keys.right)
    ]  # no declaration of that enterprise and direction
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
    rows = rows.sort_values(["date", "upload_id", "source_row"], kind="stable")
    # (declaration, direction, enterprise, product) as one integer on both sides
    keys = JointKeys(rows, [*_ROW_DECL, "product"], customs, [*_DECL, "product"])
    uploaded = _sums(
        keys.left,
        rows,
        ~keys.left_missing,
        up_kg=("mass_kg", "sum"),
        up_reo=("reo", "sum"),
        up_month=("month", "first"),
        up_country=("country", "only"),
    )
    decl = keys.prefix(3)  # per key its (declaration, direction, enterprise)
    customs_decl, uploaded_decl = decl[keys.right], decl[uploaded["_key"].to_numpy()]
    named = _member(customs_decl, uploaded_decl)
    lines = _sums(
        keys.right,
        customs,
        named & ~keys.right_missing,
        decl_kg=("mass_kg", "sum"),
        decl_month=("month", "min"),
        country=("country", "only"),
    )
    in_register = uploaded[_member(uploaded_decl, customs_decl[named])]
    both = lines.merge(in_register, on="_key", how="outer")
    decl_kg = both["decl_kg"].fillna(0.0).to_numpy()
    up_kg = both["up_kg"].fillna(0.0).to_numpy()
    diff = np.abs(up_kg - decl_kg)
    over = exceeds(diff, np.maximum(decl_kg * tol.customs_pct / 100.0, tol.customs_min_kg))
    hit = both[over].copy()
    if hit.empty:
        return empty_findings()
    columns = [*_DECL, "product"]
    for column, values in zip(columns, keys.decode(hit["_key"]), strict=True):
        hit[column] = values
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
    # in the order a merge on the text keys gives (the findings' sort keeps ties in it)
    return make_findings("CUSTOMS_MASS_MISMATCH", hit.sort_values(columns, kind="stable"))


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
    rows = _named(trade_rows(events))
    keys = JointKeys(rows, _ROW_DECL, customs, _DECL)
    decl = _sums(
        keys.right,
        customs,
        ~keys.right_missing,
        month=("month", "min"),
        date=("date", "min"),
        mass=("mass_kg", "sum"),
        reo_kg=("reo", "sum"),
        product=("product", "only"),
        country=("country", "only"),
    )
    for column, values in zip(_DECL, keys.decode(decl["_key"]), strict=True):
        decl[column] = values
    decl = decl[_has_upload(decl, upload_months(events))]
    named = keys.member(decl["_key"].to_numpy(), keys.left)
    bad = decl[~named].copy()
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


def _sums(
    key: np.ndarray, frame: pd.DataFrame, rows: np.ndarray, **columns: tuple[str, str]
) -> pd.DataFrame:
    """Per distinct ``key`` of the ``rows`` (mask) of ``frame`` (in order of first appearance;
    one key per row of ``frame``) the named aggregates of ``frame``'s columns; ``"only"``: the
    group's one value, else None (``registers.only_values``). Column ``_key`` holds the key."""
    plain = {name: agg for name, agg in columns.items() if agg[1] != "only"}
    data = {"_key": key[rows], **{c: frame[c].to_numpy()[rows] for c, _ in columns.values()}}
    table = pd.DataFrame(data)
    out = table.groupby("_key", sort=False).agg(**plain)
    for name, (column, how) in columns.items():
        if how == "only":
            out[name] = only_values(table, ["_key"], column).to_numpy()
    return out.reset_index()


def _has_upload(decl: pd.DataFrame, months: pd.DataFrame) -> np.ndarray:
    """Per declaration: its enterprise has a current upload for its month."""
    pairs = pd.MultiIndex.from_arrays(
        [months["enterprise_id"].astype(object), months["month"].astype(np.int64)]
    )
    keys = pd.MultiIndex.from_arrays(
        [decl["enterprise_id"].astype(object), decl["month"].astype(np.int64)]
    )
    return keys.isin(pairs)


def _member(keys: np.ndarray, of: np.ndarray) -> np.ndarray:
    """Per key of ``keys`` (dense codes): whether it is among ``of``."""
    present = np.zeros(max(int(keys.max(initial=-1)), int(of.max(initial=-1))) + 1, dtype=bool)
    present[of] = True
    return present[keys]
