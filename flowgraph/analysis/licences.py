"""Export licence detectors (SPEC §5 family cross_register, §7): exports of controlled products
held against the export licence register. Without ``export_licences.csv`` in the registry
(``registry.licences is None``) none runs; a licences file with only its header row means that
no licence was granted.

A licence is its holder's: an export by another enterprise (a group member included) naming it
is unlicensed, and does not count against the licence. Each export row is judged by the licence
it names, so a shipment exported in parts under two licences is licensed when each part is, and
each part counts against its own licence.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowgraph.analysis.derived import exceeds, period_text
from flowgraph.analysis.findings import make_findings
from flowgraph.analysis.registers import only_value, trade_rows
from flowgraph.config import Tolerances
from flowgraph.model import Registry, empty_findings

_LICENCE_KEY = ["licence_no", "enterprise_id", "product", "country"]


def controlled_on(products: pd.Series, dates: pd.Series, controls: pd.DataFrame) -> np.ndarray:
    """Whether each (product, date) is controlled: a row of ``controls`` names the product with
    valid_from <= date <= valid_to (valid_to NaT = open-ended).

    >>> from flowgraph.model import builtin_controls
    >>> controlled_on(pd.Series(["DY_OXIDE", "DY_OXIDE", "ND_OXIDE"]),
    ...     pd.to_datetime(pd.Series(["2025-04-03", "2025-04-04", "2025-06-01"])),
    ...     builtin_controls()).tolist()
    [False, True, False]
    """
    probe = pd.DataFrame(
        {"product": products.to_numpy(dtype=object), "date": pd.to_datetime(dates).to_numpy()}
    )
    probe["_row"] = np.arange(len(probe))
    joined = probe.merge(controls[["product", "valid_from", "valid_to"]], on="product")
    inside = (joined["date"] >= joined["valid_from"]) & (
        joined["valid_to"].isna() | (joined["date"] <= joined["valid_to"])
    )
    out = np.zeros(len(probe), dtype=bool)
    out[joined.loc[inside, "_row"].to_numpy()] = True
    return out


def _valid(frame: pd.DataFrame) -> pd.Series:
    return (frame["date"] >= frame["valid_from"]) & (
        frame["valid_to"].isna() | (frame["date"] <= frame["valid_to"])
    )


def _licensed(exports: pd.DataFrame, licences: pd.DataFrame) -> np.ndarray:
    """Per export row: names a licence row of its enterprise, product and country valid on
    the row's date."""
    probe = exports[_LICENCE_KEY + ["date"]].assign(_row=np.arange(len(exports)))
    joined = probe[probe["licence_no"].notna()].merge(
        licences[_LICENCE_KEY + ["valid_from", "valid_to"]], on=_LICENCE_KEY
    )
    out = np.zeros(len(exports), dtype=bool)
    out[joined.loc[_valid(joined), "_row"].to_numpy()] = True
    return out


def why_unlicensed(row, licences: pd.DataFrame) -> str:
    """Why one export row is unlicensed, for the finding's detail."""
    what = f"{row.product} to {row.country} on {row.date:%Y-%m-%d}"
    number = row.licence_no
    if number is None:
        return f"export of controlled {what} without a licence_no"
    rows = licences[licences["licence_no"] == number]
    if rows.empty:
        return f"export of controlled {what} names licence {number}, not in the register"
    holder = rows["enterprise_id"].iloc[0]
    if holder != row.enterprise_id:
        return f"export of controlled {what} names licence {number}, held by {holder}"
    cover = rows[(rows["product"] == row.product) & (rows["country"] == row.country)]
    if cover.empty:
        return f"export of controlled {what}: licence {number} does not cover it"
    first = cover.iloc[0]
    end = "open-ended" if pd.isna(first["valid_to"]) else f"{first['valid_to']:%Y-%m-%d}"
    return (
        f"export of controlled {what}: licence {number} is valid "
        f"{first['valid_from']:%Y-%m-%d} to {end}"
    )


def detect_unlicensed_export(
    events: pd.DataFrame, registry: Registry, tol: Tolerances = Tolerances()
) -> pd.DataFrame:
    """UNLICENSED_EXPORT: export rows of a product controlled on the row's date whose
    licence_no is empty or names no licence row of that enterprise, product and country valid
    on that date.

    One finding per export (enterprise_id, shipment_id); reo_kg: the REO of those rows; period:
    the first such row's month; licence_no, product, country: where one applies to them all.
    """
    licences = getattr(registry, "licences", None)
    if licences is None:
        return empty_findings()
    exports = trade_rows(events, ("export",))
    if exports.empty:
        return empty_findings()
    controlled = controlled_on(exports["product"], exports["date"], registry.controls_list())
    exports = exports[controlled]
    if exports.empty:
        return empty_findings()
    bad = exports[~_licensed(exports, licences)]
    if bad.empty:
        return empty_findings()
    bad = bad.sort_values(["date", "upload_id", "source_row"], kind="stable")
    records = []
    for (ent, shipment), group in bad.groupby(["enterprise_id", "shipment_id"], sort=False):
        first = next(group.itertuples(index=False))
        records.append(
            {
                "enterprise_id": ent,
                "shipment_id": shipment,
                "month": int(group["month"].iloc[0]),
                "reo_kg": float(group["reo"].sum()),
                "licence_no": only_value(group["licence_no"]),
                "product": only_value(group["product"]),
                "country": only_value(group["country"]),
                "detail": why_unlicensed(first, licences)
                + (f" (+{len(group) - 1} more rows)" if len(group) > 1 else ""),
            }
        )
    found = pd.DataFrame(records)
    found["period"] = period_text(found["month"])
    return make_findings("UNLICENSED_EXPORT", found)


def licence_use(events: pd.DataFrame, registry: Registry) -> pd.DataFrame:
    """Each licence row's use: its holder's export rows naming the licence, of its product to
    its country, dated within its validity (the rows LICENCE_EXCEEDED counts).

    Columns: the licence row's (licence_no, enterprise_id, product, country, quantity_kg,
    valid_from, valid_to) and the rows' date, month, mass_kg, reo, upload_id, source_row; in
    date order within each licence row.
    """
    licences = getattr(registry, "licences", None)
    exports = trade_rows(events, ("export",))
    if licences is None or licences.empty or exports.empty:
        return pd.DataFrame(columns=[*_LICENCE_KEY, "quantity_kg", "date", "month", "mass_kg"])
    named = exports[exports["licence_no"].notna()]
    joined = named.merge(
        licences[_LICENCE_KEY + ["quantity_kg", "valid_from", "valid_to"]], on=_LICENCE_KEY
    )
    joined = joined[_valid(joined).to_numpy()]
    return joined.sort_values(
        ["licence_no", "product", "country", "date", "upload_id", "source_row"], kind="stable"
    ).reset_index(drop=True)


def detect_licence_exceeded(
    events: pd.DataFrame, registry: Registry, tol: Tolerances = Tolerances()
) -> pd.DataFrame:
    """LICENCE_EXCEEDED: the holder's exports naming a licence, of its product to its country,
    dated within its validity, exceed its quantity_kg by more than licence_pct %.

    period: the month the running total (date order) first went over; reo_kg: the excess over
    quantity_kg at the rows' REO per kg.
    """
    use = licence_use(events, registry)
    if use.empty:
        return empty_findings()
    keys = ["licence_no", "product", "country"]
    use["cum"] = use.groupby(keys, sort=False)["mass_kg"].cumsum()
    use["over"] = exceeds(use["cum"], use["quantity_kg"] * (1.0 + tol.licence_pct / 100.0))
    totals = use.groupby(keys, sort=False).agg(
        enterprise_id=("enterprise_id", "first"),
        quantity=("quantity_kg", "first"),
        mass=("mass_kg", "sum"),
        reo=("reo", "sum"),
    )
    first_over = use[use["over"]].groupby(keys, sort=False)["month"].first().rename("month")
    hit = totals.join(first_over, how="inner").reset_index()
    if hit.empty:
        return empty_findings()
    excess = hit["mass"] - hit["quantity"]
    hit["reo_kg"] = excess * hit["reo"] / hit["mass"].where(hit["mass"] > 0, 1.0)
    hit["period"] = period_text(hit["month"])
    hit["detail"] = [
        f"exports of {p} to {c} under licence {n}: {m:,.1f} kg of {q:,.1f} kg licensed "
        f"({m / q * 100:.1f}%)"
        for n, p, c, m, q in zip(
            hit["licence_no"],
            hit["product"],
            hit["country"],
            hit["mass"],
            hit["quantity"],
            strict=True,
        )
    ]
    return make_findings("LICENCE_EXCEEDED", hit)


def licence_table(events: pd.DataFrame, registry: Registry) -> pd.DataFrame:
    """Per licence row of the register: licensed, used (the exports LICENCE_EXCEEDED counts)
    and remaining kg, and the share used. Empty without a licence register.

    Columns: licence_no, enterprise_id, product, country, valid_from, valid_to, end_user,
    licensed_kg, used_kg, remaining_kg, used_pct; in register order.
    """
    columns = [
        *_LICENCE_KEY, "valid_from", "valid_to", "end_user",
        "licensed_kg", "used_kg", "remaining_kg", "used_pct",
    ]  # fmt: skip
    licences = getattr(registry, "licences", None)
    if licences is None or licences.empty:
        return pd.DataFrame(columns=columns)
    use = licence_use(events, registry)
    used = (
        use.groupby(["licence_no", "product", "country"])["mass_kg"].sum()
        if not use.empty
        else pd.Series(dtype="float64")
    )
    out = licences.copy()
    keys = pd.MultiIndex.from_frame(out[["licence_no", "product", "country"]])
    out["licensed_kg"] = out["quantity_kg"]
    out["used_kg"] = used.reindex(keys).fillna(0.0).to_numpy() if len(used) else 0.0
    out["remaining_kg"] = out["licensed_kg"] - out["used_kg"]
    out["used_pct"] = out["used_kg"] / out["licensed_kg"].where(out["licensed_kg"] > 0) * 100
    return out[columns].reset_index(drop=True)


def export_licence_status(events) -> np.ndarray:
    """Per row of the event table (or prepared view): "licensed" or "unlicensed" for an export
    of a product controlled on its date (UNLICENSED_EXPORT's test, row by row), "" for every
    other row and for every row when the registry holds no licence register.

    >>> from flowgraph.model import events_frame, registry_from_records
    >>> from flowgraph.analysis.prepared import PreparedEvents
    >>> ev = events_frame([{"event_type": "export", "date": "2025-05-02", "enterprise_id": "X",
    ...     "lot_id": "L", "product": "DY_OXIDE", "mass_kg": 5, "country": "JP",
    ...     "document_ref": "D", "shipment_id": "S"}])
    >>> export_licence_status(PreparedEvents(ev, registry_from_records(licences=[]))).tolist()
    ['unlicensed']
    """
    from flowgraph.analysis.prepared import prepared

    view = prepared(events)
    out = np.full(len(view.events), "", dtype=object)
    licences = view.registry.licences
    if licences is None:
        return out
    rows = np.flatnonzero(view.is_type("export"))
    part = view.events.iloc[rows]
    frame = pd.DataFrame(
        {
            "licence_no": part["licence_no"]
            .astype(object)
            .where(part["licence_no"].notna(), None)
            .to_numpy(),
            "enterprise_id": part["enterprise_id"].to_numpy(dtype=object),
            "product": view.lot_product_of(rows),
            "country": part["country"].to_numpy(dtype=object),
            "date": part["date"].to_numpy(),
        }
    )
    controlled = controlled_on(frame["product"], frame["date"], view.registry.controls_list())
    licensed = _licensed(frame, licences)
    out[rows[controlled & licensed]] = "licensed"
    out[rows[controlled & ~licensed]] = "unlicensed"
    return out
