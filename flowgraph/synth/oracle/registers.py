"""Reference rules for the cross_register family (SPEC §5, §7), written from the SPEC text;
nothing here comes from ``flowgraph.analysis``. The trade rows (import and export) with
their lot's grade and product; the customs rules in :mod:`.customs`; the licence rules here,
with plain loops over the export records.

Measurements: UNLICENSED_EXPORT the rows' REO; LICENCE_EXCEEDED the excess over quantity_kg
at the rows' REO per kg (the customs ones: :mod:`.customs`).
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from flowgraph.model import CREATING_TYPES, PRODUCTS, Registry, builtin_controls
from flowgraph.synth.oracle.common import _f
from flowgraph.synth.oracle.common import of_lot as lot_value
from flowgraph.synth.oracle.customs import _one, customs_findings

_TYPICAL = {code: p.typical_reo_pct for code, p in PRODUCTS.items()}


_MONTHS: dict = {}


def _month(day) -> str:
    """'YYYY-MM' of a date (memoised: the same few hundred days recur in every register)."""
    got = _MONTHS.get(day)
    if got is None:
        got = _MONTHS[day] = f"{pd.Timestamp(day):%Y-%m}"
    return got


def _rows(events: pd.DataFrame) -> tuple[pd.DataFrame, set[tuple[str, str]]]:
    """The import/export rows with their lot's product (``prod``) and REO kg (``reo``) by
    SPEC §1, earliest first (date, upload, row), and the (enterprise, period) pairs that
    have an upload."""
    trade = events[events["event_type"].isin(("import", "export"))]
    trade = trade.sort_values(["date", "upload_id", "source_row"], kind="stable")
    # Only the lots that trade rows name are looked up: their creations are all it takes.
    # (only the columns read: a filter of the whole table copies every column)
    creating = events.loc[
        events["event_type"].isin(CREATING_TYPES) & events["lot_id"].isin(trade["lot_id"].unique()),
        ["lot_id", "reo_pct", "product", "date", "upload_id", "source_row"],
    ]
    creating = creating.sort_values(["date", "upload_id", "source_row"], kind="stable")
    graded = creating[creating["reo_pct"].notna()].drop_duplicates("lot_id")
    named = creating[creating["product"].notna()].drop_duplicates("lot_id")
    # SPEC §1 per row: a creating row with a grade its own; else its lot's grade; else its
    # own; else the product's typical one (0 for a product without one). The lot's grade and
    # product looked up by the lot's code (of_lot), not by hashing the ids.
    own = trade["reo_pct"].astype(float)
    of_lot = lot_value(trade["lot_id"], graded["lot_id"], graded["reo_pct"]).astype(float)
    typical = trade["product"].astype(object).map(_TYPICAL).astype(float).fillna(0.0)
    creates = trade["event_type"].isin(CREATING_TYPES) & own.notna()
    pct = own.where(creates, of_lot.where(of_lot.notna(), own.where(own.notna(), typical)))
    product = lot_value(trade["lot_id"], named["lot_id"], named["product"].astype(object))
    columns = [c for c in _READ if c in trade.columns]
    rows = trade[columns].assign(
        reo=trade["mass_kg"] * pct / 100.0,
        prod=product.where(product.notna(), trade["product"].astype(object)),
    )
    pairs = events[["enterprise_id", "period"]].drop_duplicates()
    reporting = set(zip(pairs["enterprise_id"], pairs["period"], strict=True))
    return rows, reporting


# The columns the register rules read from a trade row.
_READ = (
    "event_type",
    "enterprise_id",
    "date",
    "period",
    "mass_kg",
    "shipment_id",
    "country",
    "document_ref",
    "licence_no",
)


def _with_month(customs: pd.DataFrame) -> pd.DataFrame:
    """The declaration lines with their 'YYYY-MM' (``month``)."""
    dates = customs["date"]
    if dates.isna().any():  # not from a loaded register (it requires dates): one by one
        return customs.assign(month=[_month(day) for day in dates])
    return customs.assign(month=pd.to_datetime(dates).dt.strftime("%Y-%m").astype(object))


def _records(frame: pd.DataFrame) -> list[dict]:
    """``frame.to_dict("records")`` built column by column (the same values, in less time)."""
    columns = list(frame.columns)
    values = zip(*(frame[c].tolist() for c in columns), strict=True)
    return [dict(zip(columns, row, strict=True)) for row in values]


def cross_register(events: pd.DataFrame, registry: Registry, tol) -> list[dict]:
    """Every cross_register finding of SPEC §5 (only where the register concerned is loaded)."""
    if registry.customs is None and registry.licences is None:
        return []
    rows, reporting = _rows(events)
    out: list[dict] = []
    if registry.customs is not None:
        out += customs_findings(rows, reporting, _with_month(registry.customs), tol)
    if registry.licences is not None:
        controls = registry.controls if registry.controls is not None else builtin_controls()
        # Only an export of a product some control or licence names can be unlicensed or
        # count against a licence: the rest are never read (most of them, as records).
        named = set(controls["product"]) | set(registry.licences["product"])
        exports = rows[(rows["event_type"] == "export") & rows["prod"].isin(named)]
        exports = _records(exports)
        out += _licences(exports, registry.licences.to_dict("records"), controls, tol)
    return out


def _inside(day, start, end) -> bool:
    return start <= day and (end is None or end != end or pd.isna(end) or day <= end)


def _licences(exports: list[dict], licences: list[dict], controls: pd.DataFrame, tol) -> list[dict]:
    out = []
    control_rows = controls.to_dict("records")

    by_key = defaultdict(list)
    for lic in licences:
        by_key[(lic["licence_no"], lic["enterprise_id"], lic["product"], lic["country"])].append(
            lic
        )

    # UNLICENSED_EXPORT
    bad = defaultdict(list)
    for r in exports:
        controlled = any(
            c["product"] == r["prod"] and _inside(r["date"], c["valid_from"], c["valid_to"])
            for c in control_rows
        )
        if not controlled:
            continue
        key = (r["licence_no"], r["enterprise_id"], r["prod"], r["country"])
        ok = r["licence_no"] is not None and any(
            _inside(r["date"], lic["valid_from"], lic["valid_to"]) for lic in by_key.get(key, [])
        )
        if not ok:
            bad[(r["enterprise_id"], r["shipment_id"])].append(r)
    for (ent, shipment), group in bad.items():
        out.append(
            _f(
                "UNLICENSED_EXPORT",
                period=group[0]["period"],
                enterprise_id=ent,
                shipment_id=shipment,
                licence_no=_one([r["licence_no"] for r in group]),
                product=_one([r["prod"] for r in group]),
                country=_one([r["country"] for r in group]),
                reo_kg=sum(r["reo"] for r in group),
                detail="no valid licence",
            )
        )

    # LICENCE_EXCEEDED
    naming = defaultdict(list)
    for r in exports:
        naming[(r["licence_no"], r["enterprise_id"], r["prod"], r["country"])].append(r)
    for lic in licences:
        key = (lic["licence_no"], lic["enterprise_id"], lic["product"], lic["country"])
        used = [
            r for r in naming.get(key, []) if _inside(r["date"], lic["valid_from"], lic["valid_to"])
        ]
        total, crossed = 0.0, None
        line = lic["quantity_kg"] * (1 + tol.licence_pct / 100.0)
        for r in used:
            total += r["mass_kg"]
            if crossed is None and total - line > 1e-9 * max(1.0, line):
                crossed = r["period"]
        if crossed is None:
            continue
        reo = sum(r["reo"] for r in used)
        out.append(
            _f(
                "LICENCE_EXCEEDED",
                period=crossed,
                enterprise_id=lic["enterprise_id"],
                licence_no=lic["licence_no"],
                product=lic["product"],
                country=lic["country"],
                reo_kg=(total - lic["quantity_kg"]) * reo / total,
                detail="licence exceeded",
            )
        )
    return out
