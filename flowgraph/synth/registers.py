"""The registers of other authorities for the synthetic year (SPEC §7), and their stories.

Built from the finished event table, so they agree with it to the tenth of a kilogram:

- customs: one declaration per import/export ``document_ref``, one line per product;
- controls: the built-in list's products, dated into the synthetic year (the day after the
  first export of a controlled product in April, so that export is the near miss "the day
  before the control date");
- licences: one per exporter of controlled products, a row per (product, country) with
  10-40% headroom, valid from the control date to the year's end; its number goes on the
  exports it covers (``licence_no``).

Stories (not in the clean world): an export whose declaration customs does not hold
(CUSTOMS_UNDECLARED), an import declared 2% heavier than uploaded (CUSTOMS_MASS_MISMATCH), a
declared export no upload shows (UNREPORTED_CUSTOMS), a controlled export without licence and
one under a licence granted to another member of the exporter's group (UNLICENSED_EXPORT), a licence used to 102%
(LICENCE_EXCEEDED). Near misses, in the clean world too: a declaration 0.4% off, a licence
used to 100.3%, the export the day before the control date, and a declaration by an
enterprise that never uploads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from flowgraph.model import BUILTIN_CONTROLS, BUILTIN_CONTROLS_BASIS, CREATING_TYPES

CONTROLLED = tuple(row[0] for row in BUILTIN_CONTROLS)


@dataclass
class Registers:
    """Records for customs.csv, export_licences.csv and controls.csv, and the stories' keys."""

    customs: list[dict] = field(default_factory=list)
    licences: list[dict] = field(default_factory=list)
    controls: list[dict] = field(default_factory=list)
    intended: list[dict] = field(default_factory=list)


def _lot_products(table: pd.DataFrame) -> pd.Series:
    """Each row's lot product: its lot's earliest creation's, else the row's own."""
    created = table[table["event_type"].isin(CREATING_TYPES) & table["product"].notna()]
    created = created.sort_values(["date", "upload_id", "source_row"], kind="stable")
    of_lot = created.drop_duplicates("lot_id").set_index("lot_id")["product"]
    return table["lot_id"].map(of_lot).fillna(table["product"])


def _iso(day: pd.Timestamp) -> str:
    return f"{day:%Y-%m-%d}"


def build_registers(
    table: pd.DataFrame,
    year: int,
    rng: np.random.Generator,
    *,
    clean: bool,
    groups: dict[str, str],
    outsiders: list[str],
    avoid_lots: set[str] | frozenset = frozenset(),
    years: int = 1,
) -> tuple[pd.DataFrame, Registers]:
    """(the table with ``licence_no`` on licensed exports and story changes, the registers).

    ``groups``: enterprise_id -> group name (a licence may be misused inside a group);
    ``outsiders``: enterprises that never upload (the customs near miss); ``avoid_lots``: lots
    of other stories, left alone. With ``years`` > 1 the controls (dated in the first year)
    stay in force, licences are granted per calendar year (numbers ``EL<year>…``, valid to
    31 December) and every year has its own customs declarations, stories and near misses.
    """
    table = table.copy()
    product = _lot_products(table)
    out = Registers()
    exports = table["event_type"] == "export"
    controlled_product = product.isin(CONTROLLED)
    # Control date: the day after the first April export of a controlled product.
    april = (
        exports
        & controlled_product
        & (table["date"] >= pd.Timestamp(f"{year}-04-02"))
        & (table["date"] < pd.Timestamp(f"{year}-05-01"))
    )
    first = table.loc[april, "date"].min()
    control_date = (
        first + pd.Timedelta(days=1)
        if pd.notna(first) and first.month == 4
        else pd.Timestamp(f"{year}-04-04")
    )
    basis = f"synthetic {year}: {BUILTIN_CONTROLS_BASIS}, dated into the synthetic year"
    out.controls = [
        {"product": p, "valid_from": _iso(control_date), "valid_to": "", "basis": basis}
        for p in CONTROLLED
    ]
    free = ~table["lot_id"].isin(avoid_lots)
    calendar_year = table["date"].dt.year
    for y in range(year, year + years):
        in_year = calendar_year == y
        start = control_date if y == year else pd.Timestamp(f"{y}-01-01")
        licensed = exports & controlled_product & (table["date"] >= control_date) & in_year
        out.licences += _licences(table, product, licensed, free, groups, y, start, rng, clean, out)
        part = table[in_year]
        out.customs += _customs(
            part, product[part.index], y, rng, clean, outsiders, free[part.index], out.intended
        )
    return table, out


def _licences(table, product, licensed, free, groups, year, start, rng, clean, out) -> list:
    """The year's licence rows (one number per exporter, a row per product and country, valid
    from ``start`` to 31 December), their numbers set on ``table``'s exports, and the year's
    licence stories and near miss."""
    # Licences: one number per exporter, one row per (product, country).
    use = table[licensed].assign(_product=product[licensed])
    numbers: dict[str, str] = {}
    rows: dict[tuple[str, str, str], dict] = {}
    for ent, prod, country, mass in zip(
        use["enterprise_id"], use["_product"], use["country"], use["mass_kg"], strict=True
    ):
        number = numbers.setdefault(ent, f"EL{year}{len(numbers) + 1:05d}")
        row = rows.setdefault(
            (number, prod, country),
            {
                "licence_no": number,
                "enterprise_id": ent,
                "product": prod,
                "country": country,
                "quantity_kg": 0.0,
                "valid_from": _iso(start),
                "valid_to": f"{year}-12-31",
                "end_user": f"end user {country}-{len(rows) + 1}",
            },
        )
        row["quantity_kg"] += mass
    table.loc[licensed, "licence_no"] = table.loc[licensed, "enterprise_id"].map(numbers)
    licence_keys = sorted(rows)
    for key in licence_keys:
        rows[key]["_used"] = rows[key]["quantity_kg"]
        rows[key]["quantity_kg"] = round(rows[key]["_used"] * rng.uniform(1.1, 1.4), 1)

    candidates = list(np.flatnonzero((licensed & free).to_numpy()))
    rng.shuffle(candidates)
    touched: set[tuple[str, str, str]] = set()
    exceed_pick = None
    if not clean and len(candidates) >= 2:
        # UNLICENSED_EXPORT: no licence_no at all ...
        i = table.index[candidates.pop()]
        key = (table.at[i, "licence_no"], product[i], table.at[i, "country"])
        rows[key]["_used"] -= table.at[i, "mass_kg"]
        touched.add(key)
        table.at[i, "licence_no"] = None
        out.intended.append(
            {
                "type": "UNLICENSED_EXPORT",
                "enterprise_id": table.at[i, "enterprise_id"],
                "shipment_id": table.at[i, "shipment_id"],
            }
        )
        # ... and under a licence granted to another member of its group (the group's smelter,
        # say): licences are granted to a legal person, so this export is unlicensed too.
        first_shipment = out.intended[-1]["shipment_id"]
        for position in list(candidates):
            j = table.index[position]
            ent = table.at[j, "enterprise_id"]
            members = sorted(
                e for e, g in groups.items() if g and g == groups.get(ent) and e != ent
            )
            if not members or table.at[j, "shipment_id"] == first_shipment:
                continue
            candidates.remove(position)
            key = (table.at[j, "licence_no"], product[j], table.at[j, "country"])
            rows[key]["_used"] -= table.at[j, "mass_kg"]
            touched.add(key)
            number = f"EL{year}G{len(numbers) + 1:04d}"
            sibling = (number, product[j], table.at[j, "country"])
            rows[sibling] = {
                "licence_no": number,
                "enterprise_id": members[0],
                "product": product[j],
                "country": table.at[j, "country"],
                "quantity_kg": round(table.at[j, "mass_kg"] * 1.2, 1),
                "valid_from": _iso(start),
                "valid_to": f"{year}-12-31",
                "end_user": f"end user {table.at[j, 'country']}-group",
                "_used": 0.0,
            }
            licence_keys.append(sibling)
            touched.add(sibling)
            table.at[j, "licence_no"] = number
            out.intended.append(
                {
                    "type": "UNLICENSED_EXPORT",
                    "enterprise_id": ent,
                    "shipment_id": table.at[j, "shipment_id"],
                }
            )
            break
    # LICENCE_EXCEEDED at 102% (story) and a near miss at 100.3% (clean world too).
    spare = [k for k in licence_keys if k not in touched and rows[k]["_used"] > 100]
    rng.shuffle(spare)
    if spare:
        near = spare.pop()
        rows[near]["quantity_kg"] = round(rows[near]["_used"] / 1.003, 1)
    if spare and not clean:
        exceed_pick = spare.pop()
        rows[exceed_pick]["quantity_kg"] = round(rows[exceed_pick]["_used"] / 1.02, 1)
        number, prod, country = exceed_pick
        out.intended.append(
            {"type": "LICENCE_EXCEEDED", "licence_no": number, "product": prod, "country": country}
        )
    return [{k: v for k, v in rows[key].items() if k != "_used"} for key in licence_keys]


def _customs(table, product, year, rng, clean, outsiders, free, intended) -> list[dict]:
    trade = table[table["event_type"].isin(("import", "export")) & table["document_ref"].notna()]
    trade = trade.assign(_product=product[trade.index])
    lines = trade.groupby(
        ["document_ref", "event_type", "enterprise_id", "_product"], sort=False
    ).agg(date=("date", "min"), mass=("mass_kg", "sum"), country=("country", "first"))
    lines = lines.reset_index()
    first_date = lines.groupby("document_ref")["date"].transform("min")
    records = [
        {
            "declaration_no": doc,
            "direction": direction,
            "enterprise_id": ent,
            "date": _iso(day),
            "product": prod,
            "mass_kg": round(mass, 1),
            "country": country,
        }
        for doc, direction, ent, prod, day, mass, country in zip(
            lines["document_ref"],
            lines["event_type"],
            lines["enterprise_id"],
            lines["_product"],
            first_date,
            lines["mass"],
            lines["country"],
            strict=True,
        )
    ]
    single = lines.groupby("document_ref")["_product"].transform("size") == 1
    free_docs = set(trade.loc[free[trade.index], "document_ref"]) - set(
        trade.loc[~free[trade.index], "document_ref"]
    )
    pick = [
        k
        for k in range(len(records))
        if single.iloc[k]
        and records[k]["declaration_no"] in free_docs
        and records[k]["mass_kg"] > 200
    ]
    rng.shuffle(pick)
    imports = [k for k in pick if records[k]["direction"] == "import"]
    exports = [k for k in pick if records[k]["direction"] == "export"]
    reporters = sorted(set(table["enterprise_id"]))
    month = int(rng.integers(1, 11))
    if imports:  # near miss: declared 0.4% heavier
        near = imports.pop()
        records[near]["mass_kg"] = round(records[near]["mass_kg"] * 1.004, 1)
    if outsiders:  # near miss: a declaration by an enterprise with no uploads
        records.append(
            {
                "declaration_no": f"2233{year}1{rng.integers(10**8, 10**9):09d}",
                "direction": "export",
                "enterprise_id": outsiders[0],
                "date": f"{year}-{month:02d}-15",
                "product": "ND_OXIDE",
                "mass_kg": 1200.0,
                "country": "DE",
            }
        )
    if clean:
        return records
    drop = None
    if exports:  # CUSTOMS_UNDECLARED: customs never received the export's declaration
        drop = exports.pop()
        intended.append(
            {
                "type": "CUSTOMS_UNDECLARED",
                "enterprise_id": records[drop]["enterprise_id"],
                "document_ref": records[drop]["declaration_no"],
            }
        )
    if imports:  # CUSTOMS_MASS_MISMATCH: declared 2% heavier than uploaded
        k = imports.pop()
        records[k]["mass_kg"] = round(records[k]["mass_kg"] * 1.02, 1)
        intended.append(
            {
                "type": "CUSTOMS_MASS_MISMATCH",
                "enterprise_id": records[k]["enterprise_id"],
                "document_ref": records[k]["declaration_no"],
                "product": records[k]["product"],
            }
        )
    # UNREPORTED_CUSTOMS: a declared export of an enterprise that uploads that month
    exporters = sorted(set(table.loc[table["event_type"] == "export", "enterprise_id"]))
    uploading = set(table.loc[table["date"].dt.month == month, "enterprise_id"])
    # The first exporter that uploads that month (small worlds have months without one).
    ent = next((e for e in exporters + reporters if e in uploading), reporters[0])
    number = f"2233{year}1{rng.integers(10**8, 10**9):09d}"
    records.append(
        {
            "declaration_no": number,
            "direction": "export",
            "enterprise_id": ent,
            "date": f"{year}-{month:02d}-20",
            "product": "ND_OXIDE",
            "mass_kg": 2500.0,
            "country": "US",
        }
    )
    intended.append({"type": "UNREPORTED_CUSTOMS", "document_ref": number})
    if drop is not None:
        records.pop(drop)
    return records
