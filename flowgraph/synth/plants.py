"""Planted anomalies: one small scripted story per SPEC §5 finding type, and what each should give.

Each story takes material from the running ledger (or brings in its own), does the wrong thing
once, and sends whatever it touched on to non-reporting domestic buyers, so a plant gives
exactly its own findings plus the cascades it declares (an unknown lot that is exported is also
an UNTRACEABLE_EXPORT; ore from a lapsed mine received by a smelter is also UNDESIGNATED_SUPPLY;
ore from an unregistered supplier is also an UNKNOWN_LOT). ``intended`` lists them all; the
answer key itself is computed from the events by :mod:`flowgraph.synth.oracle`, and the tests
hold the two equal.
"""

from __future__ import annotations

import numpy as np

from flowgraph.model import MINERAL_PRODUCTS
from flowgraph.synth.catalog import ION_PROFILE, LIGHT_PROFILE, MAGNET_OXIDES, METAL_OF, METALS
from flowgraph.synth.flows import Flows
from flowgraph.synth.world import Actor

# Month windows (0-based) in which each story may run.
WINDOWS = {
    "TRANSFORM_GAIN": range(1, 12),
    "TRANSFORM_LOSS": range(1, 12),
    "LOT_OVERDRAWN": range(1, 12),
    "TRANSIT_MISMATCH": range(1, 12),
    "UNCONFIRMED_SHIPMENT": range(1, 11),  # the receiver must upload the next month too
    "UNKNOWN_LOT": range(1, 12),
    "DUPLICATE_LOT": range(1, 12),
    "RECEIPT_WITHOUT_SHIPMENT": range(1, 12),
    "TIME_INVERSION": range(1, 12),
    "LINEAGE_CYCLE": range(1, 12),
    "UNDESIGNATED_EXTRACTION": range(9, 12),  # after the Shaoguan mine's designation lapsed
    "UNDESIGNATED_SMELTING": range(1, 12),
    "UNDESIGNATED_SUPPLY": range(1, 12),
    "UNDESIGNATED_SUPPLY_RESALE": range(2, 12),
}
COMPOUNDS = frozenset(ION_PROFILE) | frozenset(LIGHT_PROFILE) | METALS
QUOTA_MINES = ["CRM5", "NRM3", "XTM8"]
QUOTA_SMELTERS = ["CRS2", "NRS4", "GDS1"]


def plants_per_type(scale: float) -> int:
    """1 plant of each type below scale 2, 2 below 20, 3 from there on."""
    return 1 if scale < 2 else 2 if scale < 20 else 3


class Planter:
    """Schedules and runs the stories; ``intended`` collects (type, key...) dicts."""

    def __init__(self, flows: Flows, rng: np.random.Generator, scale: float):
        self.f = flows
        self.sim = flows.sim
        self.rng = rng
        self.a = flows.a
        self.n = plants_per_type(scale)
        self.intended: list[dict] = []
        self.busy_lots: set[str] = set()
        self.year = flows.w.year
        self.years = flows.sim.years
        self.pending: dict[int, list[str]] = {}
        for y in range(self.years):  # every year its own stories (months counted over years)
            for kind, window in WINDOWS.items():
                months = rng.choice(list(window), size=self.n, replace=len(window) < self.n)
                for m in months:
                    self.pending.setdefault(12 * y + int(m), []).append(kind)
        self.sinks = [a.eid for a in flows.w.by_kind("sink") if a.short != "RCY1"]
        # Month-end counts to understate: n a year, in months drawn now (files are written
        # month by month); a month without a suitable count passes them to the next.
        self.stock_due: dict[int, int] = {}
        for y in range(self.years):
            for m in rng.choice(12, size=self.n):
                self.stock_due[12 * y + int(m)] = self.stock_due.get(12 * y + int(m), 0) + 1

    # ---- setup --------------------------------------------------------------------------
    def configure(self) -> None:
        """Raise some quotas' usage past the quota (QUOTA_EXCEEDED, mining and smelting)."""
        f = self.f
        years = range(self.year, self.year + self.years)
        for short in QUOTA_MINES[: self.n]:
            mine = self.a[short]
            extra = np.zeros(12)
            extra[10:] = mine.mining_quota_t * 1000 * 0.035  # +7% in November-December
            f.mine_extra[short] = extra
            for y in years:
                self.want("QUOTA_EXCEEDED", enterprise_id=mine.eid, year=y, activity="mining")
        for short in QUOTA_SMELTERS[: self.n]:
            s = self.a[short]
            f.smelt_target[short] = s.smelting_quota_t * 1000 * 1.06
            alloc = f.mineral_alloc[s.pool]
            alloc.w[alloc.keys.index(s.eid)] *= 1.12
            for k, y in enumerate(years):
                self.pending.setdefault(12 * k + 11, []).append("SMELTING_TOP_UP:" + short)
                self.want("QUOTA_EXCEEDED", enterprise_id=s.eid, year=y, activity="smelting")

    def want(self, kind: str, **key) -> None:
        self.intended.append({"type": kind, **key})

    # ---- running --------------------------------------------------------------------------
    def before_month(self, m: int) -> None:
        """Run the stories due this month; one that finds no material retries next month."""
        for kind in self.pending.pop(m, []):
            if kind.startswith("SMELTING_TOP_UP:"):
                self.smelting_top_up(m, self.a[kind.split(":")[1]])
                continue
            done = getattr(self, "plant_" + kind.lower())(m)
            if not done and m % 12 < 11:  # retried within its year (windows are per year)
                self.pending.setdefault(m + 1, []).append(kind)

    def day(self, m: int, offset: int) -> int:
        return self.sim.month_start[m] + offset

    def find(self, kind: str, m: int, products=None, min_m10: int = 100) -> tuple:
        """A random (actor, lot, held) of ``kind`` with stock available before month m.

        ``kind`` may list fallbacks ("metal|magnet"): small worlds hold little stock."""
        for one in kind.split("|"):
            found = self._find(one, m, products, min_m10)
            if found[0] is not None:
                return found
        return None, None, None

    def _find(self, kind: str, m: int, products, min_m10: int) -> tuple:
        sim = self.sim
        actors = self.f.w.by_kind(kind)
        order = self.rng.permutation(len(actors))
        for i in order:
            actor = actors[i]
            if actor.designated_to is not None:
                continue
            cands = [
                (lot, h)
                for lot, h in sim.eligible(actor.eid, sim.month_start[m] - 1, products)
                if h[0] >= min_m10 and lot not in self.busy_lots and lot in sim.pct
            ]
            if cands:
                lot, held = cands[int(self.rng.integers(len(cands)))]
                self.busy_lots.add(lot)
                return actor, lot, held
        return None, None, None

    def sink(self) -> str:
        return self.sinks[int(self.rng.integers(len(self.sinks)))]

    def dump(self, actor: Actor, lots: list[str], day: int) -> None:
        """Send everything an actor holds of ``lots`` to domestic buyers (no cascade)."""
        for lot in lots:
            held = self.sim.hold[actor.eid].get(lot)
            if held:
                self.sim.ship(actor.eid, actor.short, lot, held[0], self.sink(), day)

    def smelter_of(self, pool: str) -> Actor:
        cands = [s for s in self.f.smelters if s.pool == pool]
        return cands[int(self.rng.integers(len(cands)))]

    # ---- stories ----------------------------------------------------------------------------
    def smelting_top_up(self, m: int, smelter: Actor) -> None:
        """December: an importer's extra lot takes the smelter to >= 103% of its quota
        whatever its supply was (small worlds are supply-limited)."""
        sim = self.sim
        short = smelter.short
        missing = smelter.smelting_quota_t * 1000 * 1.03 - self.f.smelt_done[short]
        if missing <= 0:
            return
        ion = smelter.pool == "ion"
        imp = self.a["IMP1" if ion else "IMP2"]
        product = "ION_ADS_CONC" if ion else "MONAZITE_CONC"
        pct = 91.0 if ion else 58.0
        d = self.day(m, 1)
        m10 = round(missing / 0.93 * 100 / pct * 10) + 1
        lot = sim.create(
            imp.eid,
            imp.short,
            "import",
            d,
            product,
            m10,
            pct,
            country="MM" if ion else "AU",
            doc=sim.customs_ref(7208, 0),
        )
        self.busy_lots.add(lot)
        sim.ship(imp.eid, imp.short, lot, m10, smelter.eid, d, transit=1)
        self._smelt_and_dump(smelter, lot, d + 3)

    def plant_transform_gain(self, m: int) -> bool:
        """A metal maker's batch yields 6-12% more REO than went in; the metal is sold at home."""
        actor, lot, held = self.find("metal|magnet", m, MAGNET_OXIDES | METALS)
        if actor is None:
            return False
        d = self.day(m, 3)
        product = METAL_OF.get(self.sim.product[lot], "NDFEB_MAGNET")
        batch, _, outs = self.f.run_batch(
            actor, d, [(lot, held[0] // 2)], self.rng.uniform(1.06, 1.12), {product: 1.0}
        )
        self.dump(actor, outs, d + 1)
        self.want("TRANSFORM_GAIN", batch_id=batch)
        return True

    def plant_transform_loss(self, m: int) -> bool:
        """A smelter's batch reports 70-80% recovery (REO going missing)."""
        actor, lot, held = self.find("smelter", m, MINERAL_PRODUCTS)
        if actor is None:
            return False
        d = self.day(m, 3)
        profile = LIGHT_PROFILE if actor.pool == "light" else ION_PROFILE
        batch, made, outs = self.f.run_batch(
            actor, d, [(lot, max(1, held[0] * 2 // 5))], self.rng.uniform(0.70, 0.80), profile
        )
        self.f.smelt_done[actor.short] += made
        self.dump(actor, outs, d + 1)
        self.want("TRANSFORM_LOSS", batch_id=batch)
        return True

    def plant_lot_overdrawn(self, m: int) -> bool:
        """A trader sells a lot whole and then sells 25-35% more of it."""
        actor, lot, held = self.find("trader|exporter", m)
        if actor is None:
            return False
        d = self.day(m, 2)
        whole = held[0]
        self.sim.ship(actor.eid, actor.short, lot, whole, self.sink(), d)
        extra = max(1, int(whole * self.rng.uniform(0.25, 0.35)))
        self.sim.ship(actor.eid, actor.short, lot, extra, self.sink(), d + 2, take=False)
        self.want("LOT_OVERDRAWN", enterprise_id=actor.eid, lot_id=lot)
        return True

    def plant_transit_mismatch(self, m: int) -> bool:
        """4-7% of a concentrate shipment vanishes between mine and smelter."""
        mine, lot, held = self.find("mine", m, MINERAL_PRODUCTS, min_m10=20_000)
        if mine is None:
            return False
        to = self.smelter_of(mine.pool)
        shipment = self.sim.ship(
            mine.eid,
            mine.short,
            lot,
            held[0] // 2,
            to.eid,
            self.day(m, 3),
            transit=2,
            receive=float(self.rng.uniform(0.93, 0.96)),
        )
        self.want("TRANSIT_MISMATCH", shipment_id=shipment)
        return True

    def plant_unconfirmed_shipment(self, m: int) -> bool:
        """A mine ships concentrate to a smelter that never records it."""
        mine, lot, held = self.find("mine", m, MINERAL_PRODUCTS, min_m10=20_000)
        if mine is None:
            return False
        to = self.smelter_of(mine.pool)
        shipment = self.sim.ship(
            mine.eid, mine.short, lot, held[0] // 2, to.eid, self.day(m, 4), receive="none"
        )
        self.want("UNCONFIRMED_SHIPMENT", shipment_id=shipment)
        return True

    def plant_receipt_without_shipment(self, m: int) -> bool:
        """A smelter books concentrate 'from' a mine that never shipped it (a real lot id)."""
        mine, lot, held = self.find("mine", m, MINERAL_PRODUCTS, min_m10=20_000)
        if mine is None:
            return False
        to = self.smelter_of(mine.pool)
        d = self.day(m, 5)
        shipment = self.sim.new_id("S", mine.short, d)
        self.sim.receive_only(
            to.eid, lot, self.sim.product[lot], max(1, held[0] // 2), mine.eid, d, shipment
        )
        self.want("RECEIPT_WITHOUT_SHIPMENT", shipment_id=shipment)
        return True

    def plant_unknown_lot(self, m: int) -> bool:
        """Oxide of no recorded origin (a recycler's) enters via a trader and is exported."""
        sim = self.sim
        trader = self.f.w.by_kind("trader")[int(self.rng.integers(4))]
        exporter = self.f.w.by_kind("exporter")[int(self.rng.integers(5))]
        recycler = self.a["RCY1"]
        d = self.day(m, 2)
        lot = sim.new_id("L", recycler.short, d)
        product = str(self.rng.choice(["PRND_OXIDE", "ND_OXIDE", "DY_OXIDE"]))
        m10 = int(self.rng.integers(30_000, 120_000))
        sim.pct[lot] = 99.0  # the product's typical value: what the rules use for it
        sim.receive_only(
            trader.eid, lot, product, m10, recycler.eid, d, sim.new_id("S", recycler.short, d)
        )
        sim.ship(trader.eid, trader.short, lot, m10, exporter.eid, d + 1, transit=1)
        got = sim.hold[exporter.eid][lot][0]
        export = sim.export(
            exporter.eid, exporter.short, lot, got, d + 4, "JP", sim.customs_ref(2200, 1)
        )
        self.busy_lots.add(lot)
        self.want("UNKNOWN_LOT", lot_id=lot)
        self.want("UNTRACEABLE_EXPORT", shipment_id=export)
        return True

    def plant_duplicate_lot(self, m: int) -> bool:
        """A mine books a new extraction under an old lot number."""
        sim = self.sim
        skip = {*QUOTA_MINES, "CRM6"}  # CRM6: the near-miss mine at 99.95% of its quota
        mines = [x for x in self.f.mines if x.designated_to is None and x.short not in skip]
        mine = mines[int(self.rng.integers(len(mines)))]
        old = [
            lot for lot, who in sim.creator.items() if who == mine.eid and lot not in self.busy_lots
        ]
        if not old:
            return False
        lot = old[int(self.rng.integers(len(old)))]
        self.busy_lots.add(lot)
        pct = sim.pct[lot]
        m10 = max(1, round(mine.mining_quota_t * 1000 * 0.004 * 100 / pct * 10))
        sim.create(
            mine.eid,
            mine.short,
            "extract",
            self.day(m, 1),
            sim.product[lot],
            m10,
            pct,
            lot=lot,
            doc=mine.licence,
        )
        self.want("DUPLICATE_LOT", lot_id=lot)
        return True

    def plant_time_inversion(self, m: int) -> bool:
        """An exporter declares an export three days before it received the goods."""
        sim = self.sim
        for _ in range(10):
            smelter, lot, held = self.find("smelter", m, set(ION_PROFILE) | set(LIGHT_PROFILE))
            if smelter is None:
                return False
            exporters = [e for e in self.f.w.by_kind("exporter") if not sim.has_held(e.eid, lot)]
            if exporters:
                break
        else:
            return False
        exporter = exporters[int(self.rng.integers(len(exporters)))]
        # Dated the 1st: any receipt of this lot the normal flows book later this month is
        # dated after it, and earlier receipts would show in sim.has_held.
        d = self.day(m, 0)
        sim.ship(smelter.eid, smelter.short, lot, held[0], exporter.eid, d, transit=3)
        got = sim.hold[exporter.eid][lot][0]
        sim.export(exporter.eid, exporter.short, lot, got, d, "KR", sim.customs_ref(4200, 1))
        self.want("TIME_INVERSION", enterprise_id=exporter.eid, lot_id=lot)
        return True

    def plant_lineage_cycle(self, m: int) -> bool:
        """Remelting on paper: metal lot A -> B -> A, all on one day, topped up with oxide C
        when a maker holds some (else both steps at 100.2%, inside the gain tolerance)."""
        sim = self.sim
        actor, c_lot, held = self.find("metal|magnet|trader", m, COMPOUNDS, min_m10=20_000)
        if actor is None:
            metals = self.f.w.by_kind("metal")
            actor, held = metals[int(self.rng.integers(len(metals)))], [45_000]
        d = self.day(m, 4)
        a_lot, b_lot = sim.new_id("L", actor.short, d), sim.new_id("L", actor.short, d)
        b1, b2 = sim.new_id("B", actor.short, d), sim.new_id("B", actor.short, d)
        pa, pb = 116.0, 115.5
        a1 = min(int(self.rng.integers(5_000, 15_000)), held[0] // 3)  # tenths of kg
        if c_lot is None:
            r1 = r2 = 1.002
            b = round(a1 * pa * r1 / pb)
            a2, c = max(a1, round(b * pb * r2 / pa)), 0
        else:
            r1, r2 = 0.98, 0.97
            b = round(a1 * pa * r1 / pb)
            a2 = 2 * a1
            c = round((a2 * pa / r2 - b * pb) / sim.pct[c_lot])
            if c <= 0 or c > held[0]:
                return False
        metal = "PRND_METAL"
        sim.emit(actor.eid, "consume", d, a_lot, metal, a1, None, None, None, b1, None, None, None)
        sim.emit(actor.eid, "produce", d, b_lot, metal, b, pb, None, None, b1, None, None, None)
        sim.emit(actor.eid, "consume", d, b_lot, metal, b, None, None, None, b2, None, None, None)
        if c:
            sim.consume(actor.eid, c_lot, c, d, b2)
        for lot, pct in ((a_lot, pa), (b_lot, pb)):
            sim.pct[lot], sim.product[lot], sim.creator[lot] = pct, metal, actor.eid
        sim.emit(actor.eid, "produce", d, a_lot, metal, a2, pa, None, None, b2, None, None, None)
        if a2 > a1:
            sim.hold[actor.eid][a_lot] = [a2 - a1, d]
        self.busy_lots.update({a_lot, b_lot})
        self.dump(actor, [a_lot], d + 1)
        self.want("LINEAGE_CYCLE", lot_id=min(a_lot, b_lot))
        return True

    def plant_undesignated_extraction(self, m: int) -> bool:
        """The Shaoguan mine keeps digging after its designation lapsed; a smelter takes it."""
        sim = self.sim
        mine = self.a["GDMA"]
        d = self.day(m, 2)
        pct = round(float(self.rng.uniform(89, 93)), 2)
        lot = sim.create(
            mine.eid,
            mine.short,
            "extract",
            d,
            "ION_ADS_CONC",
            int(self.rng.integers(30_000, 50_000)),
            pct,
            doc=mine.licence,
        )
        self.busy_lots.add(lot)
        smelter = self.smelter_of("ion")
        shipment = sim.ship(
            mine.eid, mine.short, lot, sim.hold[mine.eid][lot][0], smelter.eid, d + 1, transit=1
        )
        self._smelt_and_dump(smelter, lot, d + 4)
        self.want("UNDESIGNATED_EXTRACTION", enterprise_id=mine.eid, lot_id=lot)
        self.want("UNDESIGNATED_SUPPLY", shipment_id=shipment)
        return True

    def _smelt_and_dump(self, smelter: Actor, lot: str, d: int) -> str:
        held = self.sim.hold[smelter.eid][lot]
        ion = self.sim.product[lot] == "ION_ADS_CONC"
        profile = ION_PROFILE if ion else LIGHT_PROFILE
        batch, made, outs = self.f.run_batch(
            smelter, d, [(lot, held[0])], self.rng.uniform(0.93, 0.97), profile
        )
        if smelter.kind == "smelter":
            self.f.smelt_done[smelter.short] += made
        self.dump(smelter, outs, d + 1)
        return batch

    def plant_undesignated_smelting(self, m: int) -> bool:
        """A metal maker (no smelting designation) buys concentrate and cracks it itself."""
        sim = self.sim
        mine, lot, held = self.find("mine", m, MINERAL_PRODUCTS, min_m10=20_000)
        if mine is None:
            return False
        metals = self.f.w.by_kind("metal")
        maker = metals[int(self.rng.integers(len(metals)))]
        d = self.day(m, 3)
        sim.ship(
            mine.eid, mine.short, lot, max(1, min(held[0] // 3, 600_000)), maker.eid, d, transit=1
        )
        batch = self._smelt_and_dump(maker, lot, d + 3)
        self.want("UNDESIGNATED_SMELTING", batch_id=batch)
        return True

    def plant_undesignated_supply_resale(self, m: int) -> bool:
        """A trader sells a smelter concentrate of a real mine lot it never received (laundered
        ore under a legitimate lot number): also LOT_OVERDRAWN at the trader."""
        sim = self.sim
        mines = {x.eid for x in self.f.mines}
        lots = [
            lot
            for lot, who in sim.creator.items()
            if who in mines and lot not in self.busy_lots and sim.product[lot] != "ION_ADS_CONC"
        ]
        if not lots:
            return False
        lot = lots[int(self.rng.integers(len(lots)))]
        self.busy_lots.add(lot)
        traders = self.f.w.by_kind("trader")
        trader = traders[int(self.rng.integers(len(traders)))]
        if sim.has_held(trader.eid, lot):
            return False
        to = self.smelter_of("light")
        shipment = sim.ship(
            trader.eid,
            trader.short,
            lot,
            int(self.rng.integers(50_000, 150_000)),
            to.eid,
            self.day(m, 5),
            transit=2,
            take=False,
        )
        self.want("UNDESIGNATED_SUPPLY", shipment_id=shipment)
        self.want("LOT_OVERDRAWN", enterprise_id=trader.eid, lot_id=lot)
        return True

    def plant_undesignated_supply(self, m: int) -> bool:
        """A smelter takes ion-adsorption ore from a supplier absent from the registry."""
        sim = self.sim
        smelter = self.smelter_of("ion")
        d = self.day(m, 3)
        lot = sim.new_id("L", "YNBS", d)
        sim.pct[lot] = 92.0  # no creating event: the rules use the product's typical value
        shipment = sim.new_id("S", "YNBS", d)
        sim.receive_only(
            smelter.eid,
            lot,
            "ION_ADS_CONC",
            int(self.rng.integers(40_000, 90_000)),
            self.f.w.outsider,
            d,
            shipment,
        )
        self.busy_lots.add(lot)
        self._smelt_and_dump(smelter, lot, d + 2)
        self.want("UNDESIGNATED_SUPPLY", shipment_id=shipment)
        self.want("UNKNOWN_LOT", lot_id=lot)
        return True

    # ---- at a month's end ---------------------------------------------------------------------
    def stock_mismatch(self, m: int, stock: list[list], period: str) -> None:
        """Understate the month's due stock counts by 8-15% (declared < book)."""
        due = self.stock_due.pop(m, 0)
        if not due:
            return
        cands = [
            i for i, row in enumerate(stock) if row[5] >= 20_000 and row[3] not in self.busy_lots
        ]
        k = min(due, len(cands))
        if k < due and m % 12 < 11:
            self.stock_due[m + 1] = self.stock_due.get(m + 1, 0) + due - k
        if not k:
            return
        for i in self.rng.choice(cands, size=k, replace=False):
            row = stock[int(i)]
            row[5] = int(row[5] * self.rng.uniform(0.85, 0.92))
            self.busy_lots.add(row[3])
            self.want("STOCK_MISMATCH", enterprise_id=row[0], lot_id=row[3], period=period)
