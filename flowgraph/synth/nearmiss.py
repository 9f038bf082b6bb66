"""Near misses: things that look like anomalies but sit just inside SPEC §5 tolerances.

They run in the clean world too (which must still give no finding), so a detector that is
off by a tolerance, a strict/non-strict comparison or a unit shows up as an extra finding:
a batch yielding 100.4% (gain threshold 100.5%), one yielding 86% (loss threshold 85%),
a shipment received 0.4% short (0.5%), a 100 kg shipment received 0.9 kg short (1 kg floor),
a stock count 0.4% low, and a mine at 99.95% of its quota.
"""

from __future__ import annotations

import numpy as np

from flowgraph.model import MINERAL_PRODUCTS
from flowgraph.synth.catalog import LIGHT_PROFILE, MAGNET_OXIDES, METAL_OF
from flowgraph.synth.flows import Flows
from flowgraph.synth.plants import Planter

QUOTA_EDGE_MINE = "CRM6"  # mined to 99.95% of its quota
MONTHS = {"gain": 3, "loss": 4, "transit": 5, "floor": 6}


class NearMisses(Planter):
    """Reuses the planter's helpers; plants nothing that the rules should report."""

    def __init__(self, flows: Flows, rng: np.random.Generator):
        self.f = flows
        self.sim = flows.sim
        self.rng = rng
        self.a = flows.a
        self.intended = []
        self.busy_lots: set[str] = set()
        self.edge_years: set[str] = set()
        self.sinks = [a.eid for a in flows.w.by_kind("sink") if a.short != "RCY1"]

    def configure(self) -> None:
        mine = self.a[QUOTA_EDGE_MINE]
        self.f.mine_target[QUOTA_EDGE_MINE] = mine.mining_quota_t * 1000 * 0.9995

    def before_month(self, m: int) -> None:
        for kind, month in MONTHS.items():
            if month == m % 12:  # in every year
                getattr(self, "near_" + kind)(m)

    def near_gain(self, m: int) -> None:
        actor, lot, held = self.find("metal", m, MAGNET_OXIDES)
        if actor is not None:
            product = METAL_OF[self.sim.product[lot]]
            self.f.run_batch(actor, self.day(m, 3), [(lot, held[0])], 1.004, {product: 1.0})

    def near_loss(self, m: int) -> None:
        actor, lot, held = self.find("smelter", m, MINERAL_PRODUCTS)
        if actor is not None and actor.pool == "light":
            _, made, _ = self.f.run_batch(
                actor, self.day(m, 3), [(lot, held[0] // 2)], 0.86, LIGHT_PROFILE
            )
            self.f.smelt_done[actor.short] += made

    def near_transit(self, m: int) -> None:
        mine, lot, held = self.find("mine", m, MINERAL_PRODUCTS, min_m10=100_000)
        if mine is not None:
            to = [s for s in self.f.smelters if s.pool == mine.pool][0]
            self.sim.ship(
                mine.eid,
                mine.short,
                lot,
                held[0] // 2,
                to.eid,
                self.day(m, 3),
                transit=2,
                receive=0.996,
            )

    def near_floor(self, m: int) -> None:
        trader, lot, held = self.find("trader", m, min_m10=2_000)
        if trader is not None:
            exporter = self.f.w.by_kind("exporter")[0]
            self.sim.ship(
                trader.eid,
                trader.short,
                lot,
                1_000,
                exporter.eid,
                self.day(m, 3),
                transit=1,
                receive=0.991,
            )

    def stock_edge(self, stock: list[list], period: str, busy: set[str]) -> int | None:
        """One month-end count a year 0.4% below book (tolerance 0.5%), in the first month
        that has a count of at least 2 t of a lot no story uses; returns its index."""
        year = period[:4]
        if year in self.edge_years:
            return None
        for i, row in enumerate(stock):
            if row[5] >= 20_000 and row[3] not in busy:
                row[5] = round(row[5] * 0.996)
                self.busy_lots.add(row[3])
                self.edge_years.add(year)
                return i
        return None
