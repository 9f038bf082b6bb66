"""Reference rules for the customs register (SPEC §5 cross_register, §7), from the SPEC text.

Each rule is the plain reading: a trade row against the declaration its document names; per
declaration and product, the uploaded kilograms against the declared ones; a declaration no
upload names. The per-row work is done on columns (a national year has ~700,000 trade rows
and as many declaration lines), the findings themselves one by one. Sums run in row order
from 0.0 (``np.bincount``), as a loop adding each row would: the key does not depend on how
the rows are grouped.

Measurements: CUSTOMS_UNDECLARED the rows' REO; CUSTOMS_MASS_MISMATCH |uploaded - declared|
at the rows' REO per kg (the product's typical % when only customs has it); UNREPORTED_CUSTOMS
the declared mass at typical %.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowgraph.model import PRODUCTS
from flowgraph.synth.oracle.common import _f

_TYPICAL = {code: p.typical_reo_pct for code, p in PRODUCTS.items()}


def _one(values: list):
    """The value all of ``values`` share, else None."""
    distinct = set(values)
    return values[0] if len(distinct) == 1 and None not in distinct else None


def _groups(frame: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """Per row the number of its group of ``keys``, groups numbered in order of first row."""
    return frame.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()


def _sums(groups: np.ndarray, values: pd.Series, count: int) -> np.ndarray:
    return np.bincount(groups, weights=values.to_numpy(dtype=float), minlength=count)


def customs_findings(trade: pd.DataFrame, reporting: set, lines: pd.DataFrame, tol) -> list:
    """The customs findings. ``trade``: the import and export rows, earliest first, with
    ``prod`` (their lot's product) and ``reo``; ``lines``: the customs register with
    ``month`` ('YYYY-MM' of each line's date); ``reporting``: the (enterprise, period) pairs
    that have an upload."""
    trade = trade[trade["document_ref"].notna()].reset_index(drop=True)
    lines = lines.reset_index(drop=True)
    first = lines.drop_duplicates("declaration_no").set_index("declaration_no")
    docs = trade["document_ref"].astype(object)
    declarant = docs.map(first["enterprise_id"]).astype(object)
    direction = docs.map(first["direction"]).astype(object)
    owned = (
        declarant.notna()
        & (declarant == trade["enterprise_id"].astype(object))
        & (direction == trade["event_type"].astype(object))
    ).to_numpy()
    out = _undeclared(trade[~owned & trade["period"].isin(set(lines["month"])).to_numpy()])
    out += _mass_mismatch(trade[owned], lines, first, tol)
    out += _unreported(trade, lines, reporting)
    return out


def _undeclared(bad: pd.DataFrame) -> list[dict]:
    """CUSTOMS_UNDECLARED: per (enterprise, document) the rows naming no declaration of that
    enterprise in that direction, dated in a month the register covers."""
    out = []
    for (ent, doc), group in bad.groupby(["enterprise_id", "document_ref"], sort=False):
        out.append(
            _f(
                "CUSTOMS_UNDECLARED",
                period=group["period"].iloc[0],
                enterprise_id=ent,
                document_ref=doc,
                product=_one(group["prod"].tolist()),
                country=_one(group["country"].tolist()),
                reo_kg=sum(group["reo"].tolist()),
                detail="no such declaration",
            )
        )
    return out


def _mass_mismatch(owned: pd.DataFrame, lines: pd.DataFrame, first: pd.DataFrame, tol) -> list:
    """CUSTOMS_MASS_MISMATCH: per declaration its declarant names (same direction) and per
    product, the uploaded kg against the declared kg."""
    owned = owned.assign(doc=owned["document_ref"].astype(object), key=owned["prod"].astype(object))
    up_groups = _groups(owned, ["doc", "key"])
    up_first = owned.drop_duplicates(["doc", "key"])
    n_up = len(up_first)
    uploaded = pd.DataFrame(
        {
            "doc": up_first["doc"].to_numpy(),
            "key": up_first["key"].to_numpy(),
            "up_kg": _sums(up_groups, owned["mass_kg"], n_up),
            "up_reo": _sums(up_groups, owned["reo"], n_up),
            "first": up_first["period"].to_numpy(),
        }
    )
    named = lines[lines["declaration_no"].isin(set(owned["doc"]))]
    named = named.assign(doc=named["declaration_no"], key=named["product"])
    decl_groups = _groups(named, ["doc", "key"])
    decl_first = named.drop_duplicates(["doc", "key"])
    declared = pd.DataFrame(
        {
            "doc": decl_first["doc"].to_numpy(),
            "key": decl_first["key"].to_numpy(),
            "decl_kg": _sums(decl_groups, named["mass_kg"], len(decl_first)),
            "month": decl_first["month"].to_numpy(),
        }
    )
    both = uploaded.merge(declared, on=["doc", "key"], how="outer", indicator=True)
    has_up = (both["_merge"] != "right_only").to_numpy()
    has_decl = (both["_merge"] != "left_only").to_numpy()
    up_kg = np.where(has_up, both["up_kg"].to_numpy(dtype=float), 0.0)
    decl_kg = np.where(has_decl, both["decl_kg"].to_numpy(dtype=float), 0.0)
    diff = np.abs(up_kg - decl_kg)
    limit = np.maximum(decl_kg * tol.customs_pct / 100.0, tol.customs_min_kg)
    flagged = ~(diff - limit <= 1e-9 * np.maximum(1.0, limit))
    out = []
    for i in np.flatnonzero(flagged):
        r = both.iloc[i]
        doc, prod = r["doc"], r["key"]
        if has_up[i] and up_kg[i] > 0:
            per_kg = r["up_reo"] / up_kg[i]
        else:
            per_kg = _TYPICAL.get(prod, 0.0) / 100.0
        if has_decl[i]:
            mine = named[(named["doc"] == doc) & (named["key"] == prod)]
        else:
            mine = owned[(owned["doc"] == doc) & (owned["key"] == prod)]
        out.append(
            _f(
                "CUSTOMS_MASS_MISMATCH",
                period=r["first"] if has_up[i] else r["month"],
                enterprise_id=first.loc[doc, "enterprise_id"],
                document_ref=doc,
                product=prod,
                country=_one(mine["country"].tolist()),
                reo_kg=diff[i] * per_kg,
                detail="mass differs",
            )
        )
    return out


def _unreported(trade: pd.DataFrame, lines: pd.DataFrame, reporting: set) -> list[dict]:
    """UNREPORTED_CUSTOMS: a declaration of an enterprise with an upload for the month of its
    first line that no trade row of that enterprise and direction names."""
    names = set(
        zip(
            trade["enterprise_id"].astype(object),
            trade["event_type"].astype(object),
            trade["document_ref"].astype(object),
            strict=True,
        )
    )
    # the earliest month of each declaration by the months' ranks (few distinct months)
    rank, months = pd.factorize(lines["month"], sort=True)
    per_doc = (
        lines.assign(rank=rank)
        .groupby("declaration_no", sort=False)
        .agg(ent=("enterprise_id", "first"), direction=("direction", "first"), rank=("rank", "min"))
    )
    per_doc["month"] = np.asarray(months, dtype=object)[per_doc["rank"].to_numpy()]
    missing = [
        (ent, month) in reporting and (ent, direction, doc) not in names
        for doc, ent, direction, month in zip(
            per_doc.index, per_doc["ent"], per_doc["direction"], per_doc["month"], strict=True
        )
    ]
    out = []
    wanted = per_doc[np.array(missing, dtype=bool)]
    mine = lines[lines["declaration_no"].isin(set(wanted.index))]
    for doc, group in mine.groupby("declaration_no", sort=False):
        masses, products = group["mass_kg"].tolist(), group["product"].tolist()
        out.append(
            _f(
                "UNREPORTED_CUSTOMS",
                period=wanted.loc[doc, "month"],
                enterprise_id=wanted.loc[doc, "ent"],
                document_ref=doc,
                product=_one(products),
                country=_one(group["country"].tolist()),
                reo_kg=sum(
                    m * _TYPICAL.get(p, 0.0) / 100 for m, p in zip(masses, products, strict=True)
                ),
                detail="declared, never uploaded",
            )
        )
    return out
