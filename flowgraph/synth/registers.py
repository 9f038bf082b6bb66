"""The registers of other authorities for the synthetic years (SPEC §7), and their stories.

Built month by month from the event tables as they are written (:class:`RegisterBook`), so
they agree with the uploads to the tenth of a kilogram:

- customs: one declaration per import/export ``document_ref``, one line per product;
- controls: the built-in list's products, dated into the first synthetic year (the day after
  the first export of a controlled product in April, so that export is the near miss "the day
  before the control date"), in force from then on;
- licences: one number per exporter of controlled products and calendar year, a row per
  (product, country) with 10-40% headroom, valid from the control date (later years: from
  1 January) to 31 December; its number goes on the exports it covers (``licence_no``).

Stories (not in the clean world), every year: an export whose declaration customs does not
hold (CUSTOMS_UNDECLARED), an import declared 2% heavier than uploaded (CUSTOMS_MASS_MISMATCH),
a declared export no upload shows (UNREPORTED_CUSTOMS), a controlled export without licence
and one under a licence granted to another member of the exporter's group (UNLICENSED_EXPORT;
in a month drawn at the year's start, as the uploads are written month by month), a licence
used to 102% (LICENCE_EXCEEDED). Near misses, in the clean world too: a declaration 0.4% off,
a licence used to 100.3%, the export the day before the control date, and a declaration by
an enterprise that never uploads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from flowgraph.model import BUILTIN_CONTROLS, BUILTIN_CONTROLS_BASIS, CUSTOMS_COLUMNS

CONTROLLED = tuple(row[0] for row in BUILTIN_CONTROLS)
_LINE_KEYS = ["document_ref", "event_type", "enterprise_id", "_product"]
# A customs row's fields (CUSTOMS_COLUMNS) by position.
_DIRECTION, _ENTERPRISE, _PRODUCT, _MASS = 1, 2, 4, 5


@dataclass
class Registers:
    """Records for customs.csv, export_licences.csv and controls.csv, and the stories' keys.

    A compact book (``RegisterBook(compact=True)``) keeps customs as tuples in
    CUSTOMS_COLUMNS order in ``customs_rows`` instead (~0.7 M declarations a year at scale
    1000: as dicts ~0.25 GB, as tuples ~0.1 GB)."""

    customs: list[dict] = field(default_factory=list)
    customs_rows: list[tuple] = field(default_factory=list)
    licences: list[dict] = field(default_factory=list)
    controls: list[dict] = field(default_factory=list)
    intended: list[dict] = field(default_factory=list)


def _iso(day: pd.Timestamp) -> str:
    return f"{day:%Y-%m-%d}"


class RegisterBook:
    """Keeps the registers while the months are written: :meth:`month` before a month's files
    are written (it sets ``licence_no`` on the month's table), :meth:`year_end` after each
    December. ``product_of`` maps a lot to the product of the event that created it."""

    def __init__(
        self,
        year: int,
        rng: np.random.Generator,
        *,
        clean: bool,
        groups: dict[str, str],
        outsiders: list[str],
        product_of: dict[str, str],
        compact: bool = False,
    ):
        self.year = year
        self.compact = compact
        self.rng = rng
        self.clean = clean
        self.groups = groups
        self.outsiders = outsiders
        self.product_of = product_of
        self.out = Registers()
        self.control_date: pd.Timestamp | None = None
        self._new_year(year)

    def _new_year(self, y: int) -> None:
        self.y = y
        self.numbers: dict[str, str] = {}
        self.rows: dict[tuple[str, str, str], dict] = {}
        self.touched: set[tuple[str, str, str]] = set()
        self.lines: list[pd.DataFrame] = []
        self.uploads: set[tuple[str, int]] = set()  # (enterprise, month 1-12)
        self.exporters: set[str] = set()
        # The two UNLICENSED_EXPORT stories run in a month drawn now (after April in the
        # first year: controls start then); retried the next month if it has no candidate.
        first = 4 if y == self.year else 0
        self.story_month = None if self.clean else int(self.rng.integers(first, 12))
        self.stories = [] if self.clean else ["none", "sibling"]

    # ---- a month ------------------------------------------------------------------------------
    def month(self, m: int, table: pd.DataFrame, busy: set[str], enterprises: set[str]) -> None:
        """Register what month ``m`` (0-based over the years) of ``table`` declares; set its
        exports' ``licence_no``; run the year's licence stories when due. ``table`` may hold
        only the month's import and export rows (in the order of the full table: that order
        feeds the stories' draws); ``enterprises`` = every enterprise with an event in it."""
        exports = (table["event_type"] == "export").to_numpy()
        # The lot's product only where a rule reads it (imports and exports): a few rows.
        trade = exports | (table["event_type"] == "import").to_numpy()
        of = self.product_of
        product = table["product"].copy()
        pairs = zip(table["lot_id"][trade], product[trade], strict=True)
        product[trade] = [of.get(lot, p) for lot, p in pairs]
        controlled = product.isin(CONTROLLED).to_numpy()
        if self.control_date is None and m % 12 == 3 and m < 12:
            april = exports & controlled & (table["date"] >= pd.Timestamp(f"{self.year}-04-02"))
            first = table.loc[april, "date"].min()
            self.control_date = (
                first + pd.Timedelta(days=1)
                if pd.notna(first)
                else pd.Timestamp(f"{self.year}-04-04")
            )
            basis = (
                f"synthetic {self.year}: {BUILTIN_CONTROLS_BASIS}, dated into the synthetic year"
            )
            self.out.controls = [
                {
                    "product": p,
                    "valid_from": _iso(self.control_date),
                    "valid_to": "",
                    "basis": basis,
                }
                for p in CONTROLLED
            ]
        free = ~table["lot_id"].isin(busy).to_numpy()
        if self.control_date is not None:
            licensed = exports & controlled & (table["date"] >= self.control_date).to_numpy()
            self._licence(table, product, licensed)
            if self.stories and self.story_month is not None and m % 12 >= self.story_month:
                self._unlicensed(table, product, licensed & free, busy)
        self._customs_lines(table, product, free)
        month = m % 12 + 1
        self.uploads |= {(e, month) for e in enterprises}
        self.exporters |= set(table.loc[exports, "enterprise_id"])

    def _licence(self, table: pd.DataFrame, product: pd.Series, licensed: np.ndarray) -> None:
        """One number per exporter (in order of its first licensed export), one row per
        (product, country) accumulating the mass its exports use."""
        use = table[licensed]
        y = self.y
        start = self.control_date if y == self.year else pd.Timestamp(f"{y}-01-01")
        for ent, prod, country, mass in zip(
            use["enterprise_id"], product[licensed], use["country"], use["mass_kg"], strict=True
        ):
            number = self.numbers.setdefault(ent, f"EL{y}{len(self.numbers) + 1:05d}")
            row = self.rows.get((number, prod, country))
            if row is None:  # a new (licence, product, country): not one per export row
                row = self.rows[number, prod, country] = {
                    "licence_no": number,
                    "enterprise_id": ent,
                    "product": prod,
                    "country": country,
                    "quantity_kg": 0.0,
                    "valid_from": _iso(start),
                    "valid_to": f"{y}-12-31",
                    "end_user": f"end user {country}-{len(self.rows) + 1}",
                }
            row["quantity_kg"] += mass
        table.loc[licensed, "licence_no"] = table.loc[licensed, "enterprise_id"].map(self.numbers)

    def _unlicensed(self, table, product, candidates: np.ndarray, busy: set[str]) -> None:
        positions = list(np.flatnonzero(candidates))
        self.rng.shuffle(positions)
        y = self.y
        if self.stories and self.stories[0] == "none" and positions:
            # UNLICENSED_EXPORT: no licence_no at all ...
            i = table.index[positions.pop()]
            key = (table.at[i, "licence_no"], product[i], table.at[i, "country"])
            self.rows[key]["_minus"] = self.rows[key].get("_minus", 0.0) + table.at[i, "mass_kg"]
            self.touched.add(key)
            table.at[i, "licence_no"] = None
            busy.add(table.at[i, "lot_id"])
            self._want("UNLICENSED_EXPORT", table, i)
            self.stories.pop(0)
        if self.stories == ["sibling"]:
            # ... and under a licence granted to another member of its group (the group's
            # smelter, say): licences are granted to a legal person, so this is unlicensed too.
            for position in positions:
                j = table.index[position]
                ent = table.at[j, "enterprise_id"]
                group = self.groups.get(ent)
                members = sorted(e for e, g in self.groups.items() if g and g == group and e != ent)
                if not members:
                    continue
                key = (table.at[j, "licence_no"], product[j], table.at[j, "country"])
                row = self.rows[key]
                row["_minus"] = row.get("_minus", 0.0) + table.at[j, "mass_kg"]
                self.touched.add(key)
                number = f"EL{y}G{len(self.numbers) + 1:04d}"
                sibling = (number, product[j], table.at[j, "country"])
                self.rows[sibling] = {
                    "licence_no": number,
                    "enterprise_id": members[0],
                    "product": product[j],
                    "country": table.at[j, "country"],
                    "quantity_kg": round(table.at[j, "mass_kg"] * 1.2, 1),
                    "valid_from": _iso(
                        self.control_date if y == self.year else pd.Timestamp(f"{y}-01-01")
                    ),
                    "valid_to": f"{y}-12-31",
                    "end_user": f"end user {table.at[j, 'country']}-group",
                    "_fixed": True,
                }
                self.touched.add(sibling)
                table.at[j, "licence_no"] = number
                busy.add(table.at[j, "lot_id"])
                self._want("UNLICENSED_EXPORT", table, j)
                self.stories = []
                break

    def _want(self, kind: str, table: pd.DataFrame, i) -> None:
        self.out.intended.append(
            {
                "type": kind,
                "enterprise_id": table.at[i, "enterprise_id"],
                "shipment_id": table.at[i, "shipment_id"],
            }
        )

    def _customs_lines(self, table: pd.DataFrame, product: pd.Series, free: np.ndarray) -> None:
        """The month's declaration lines (a declaration is dated on one day: never split)."""
        trade = table["event_type"].isin(("import", "export")) & table["document_ref"].notna()
        trade = trade.to_numpy()
        if not trade.any():
            return
        part = table.loc[trade, ["document_ref", "event_type", "enterprise_id", "date"]]
        part = part.assign(
            _product=product[trade].to_numpy(),
            mass=table.loc[trade, "mass_kg"].to_numpy(),
            country=table.loc[trade, "country"].to_numpy(),
            busy=~free[trade],
        )
        lines = part.groupby(_LINE_KEYS, sort=False).agg(
            date=("date", "min"),
            mass=("mass", "sum"),
            country=("country", "first"),
            busy=("busy", "any"),
        )
        self.lines.append(lines.reset_index())

    # ---- the year's end -----------------------------------------------------------------------
    def year_end(self) -> None:
        """Licence quantities and stories, the year's customs declarations and stories."""
        rows, rng = self.rows, self.rng
        keys = sorted(rows)
        for key in keys:  # headroom on what the exporter shipped; _used: what names the licence
            row = rows[key]
            if row.get("_fixed"):
                row["_used"] = 0.0
                continue
            row["_used"] = row["quantity_kg"] - row.get("_minus", 0.0)
            row["quantity_kg"] = round(row["quantity_kg"] * rng.uniform(1.1, 1.4), 1)
        # LICENCE_EXCEEDED at 102% (story) and a near miss at 100.3% (clean world too).
        spare = [k for k in keys if k not in self.touched and rows[k]["_used"] > 100]
        rng.shuffle(spare)
        if spare:
            near = spare.pop()
            rows[near]["quantity_kg"] = round(rows[near]["_used"] / 1.003, 1)
        if spare and not self.clean:
            pick = spare.pop()
            rows[pick]["quantity_kg"] = round(rows[pick]["_used"] / 1.02, 1)
            number, prod, country = pick
            self.out.intended.append(
                {
                    "type": "LICENCE_EXCEEDED",
                    "licence_no": number,
                    "product": prod,
                    "country": country,
                }
            )
        self.out.licences += [
            {k: v for k, v in rows[key].items() if not k.startswith("_")} for key in keys
        ]
        rows = self._year_customs()
        if self.compact:
            self.out.customs_rows += rows
        else:
            self.out.customs += [dict(zip(CUSTOMS_COLUMNS, row, strict=True)) for row in rows]
        self._new_year(self.y + 1)

    def _year_customs(self) -> list[tuple]:
        rng, year, intended = self.rng, self.y, self.out.intended
        lines = pd.concat(self.lines, ignore_index=True) if self.lines else None
        self.lines = []  # the months' parts are in ``lines`` now (~0.1 GB at scale 1000)
        records: list[tuple] = []  # CUSTOMS_COLUMNS
        pick: list[int] = []
        if lines is not None:
            first_date = lines.groupby("document_ref")["date"].transform("min")
            # One string per date, shared by its declarations (~0.7 M records at scale 1000).
            codes, days = pd.factorize(first_date)
            iso = [_iso(day) for day in days]
            records = [
                (doc, direction, ent, iso[day], prod, round(mass, 1), country)
                # Python lists: iterating pandas' Arrow-backed text columns costs ~1 us a value
                for doc, direction, ent, prod, day, mass, country in zip(
                    lines["document_ref"].tolist(),
                    lines["event_type"].tolist(),
                    lines["enterprise_id"].tolist(),
                    lines["_product"].tolist(),
                    codes.tolist(),
                    lines["mass"].tolist(),
                    lines["country"].tolist(),
                    strict=True,
                )
            ]
            single = (lines.groupby("document_ref")["_product"].transform("size") == 1).to_numpy()
            busy_doc = lines.groupby("document_ref")["busy"].transform("any").to_numpy()
            heavy = (lines["mass"] > 200).to_numpy()
            pick = list(np.flatnonzero(single & ~busy_doc & heavy))
        rng.shuffle(pick)
        imports = [k for k in pick if records[k][_DIRECTION] == "import"]
        exports = [k for k in pick if records[k][_DIRECTION] == "export"]
        reporters = sorted({e for e, _ in self.uploads})
        month = int(rng.integers(1, 11))
        if imports:  # near miss: declared 0.4% heavier
            near = imports.pop()
            records[near] = _with_mass(records[near], round(records[near][_MASS] * 1.004, 1))
        if self.outsiders:  # near miss: a declaration by an enterprise with no uploads
            records.append(
                (
                    f"2233{year}1{rng.integers(10**8, 10**9):09d}",
                    "export",
                    self.outsiders[0],
                    f"{year}-{month:02d}-15",
                    "ND_OXIDE",
                    1200.0,
                    "DE",
                )
            )
        if self.clean or not reporters:
            return records
        drop = None
        if exports:  # CUSTOMS_UNDECLARED: customs never received the export's declaration
            drop = exports.pop()
            intended.append(
                {
                    "type": "CUSTOMS_UNDECLARED",
                    "enterprise_id": records[drop][_ENTERPRISE],
                    "document_ref": records[drop][0],
                }
            )
        if imports:  # CUSTOMS_MASS_MISMATCH: declared 2% heavier than uploaded
            k = imports.pop()
            records[k] = _with_mass(records[k], round(records[k][_MASS] * 1.02, 1))
            intended.append(
                {
                    "type": "CUSTOMS_MASS_MISMATCH",
                    "enterprise_id": records[k][_ENTERPRISE],
                    "document_ref": records[k][0],
                    "product": records[k][_PRODUCT],
                }
            )
        # UNREPORTED_CUSTOMS: a declared export of an enterprise that uploads that month (the
        # first exporter that does; small worlds have months without one).
        exporters = sorted(self.exporters)
        ent = next((e for e in exporters + reporters if (e, month) in self.uploads), reporters[0])
        number = f"2233{year}1{rng.integers(10**8, 10**9):09d}"
        records.append((number, "export", ent, f"{year}-{month:02d}-20", "ND_OXIDE", 2500.0, "US"))
        intended.append({"type": "UNREPORTED_CUSTOMS", "document_ref": number})
        if drop is not None:
            records.pop(drop)
        return records


def _with_mass(row: tuple, mass: float) -> tuple:
    """A customs row (CUSTOMS_COLUMNS) with another mass_kg."""
    return row[:_MASS] + (mass,) + row[_MASS + 1 :]
