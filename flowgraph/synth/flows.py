"""Normal monthly flows: mines and importers feed smelter-separators, whose oxides go to metal
and magnet makers, traders, exporters and non-reporting domestic buyers.

Calibration (CALIBRATION.md): extraction runs at 98% of each mine's quota (national quota
270,000 t REO, 2024) and smelting batches at 98% of each smelter's quota (254,000 t);
imports 132,931 product tonnes (Myanmar ion-adsorption concentrate and carbonate, monazite
from AU/MG/LA/US); smelting recovery 92.5-97.5% of REO, separation 96-99%, metal 95-98.5%,
magnets 94-98% (MIIT norms: smelting > 92%, separation > 96%).
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from flowgraph.model import MINERAL_PRODUCTS
from flowgraph.synth.catalog import (
    COUNTRIES,
    FEEDS,
    IMPORT_PORTS,
    IMPORTS,
    ION_PROFILE,
    LIGHT_PROFILE,
    MAGNET_OXIDES,
    METAL_OF,
    METALS,
    NOTES_ZH,
    PORTS,
    ROUTES,
    SEASON,
    USAGE,
    category,
    sample_pct,
)
from flowgraph.synth.sim import FastRng, Sim
from flowgraph.synth.world import Actor, World

EXTRACT_NOTE = {"BAST_CONC": "extract_BAST_CONC", "ION_ADS_CONC": "extract_ION_ADS_CONC"}


class Allocator:
    """Largest-deficit allocation: each pick goes to the member furthest below its share."""

    def __init__(self, rng: FastRng, weights: dict[str, float]):
        self.rng = rng
        self.keys = list(weights)
        self.w = [float(weights[k]) for k in self.keys]
        self.got = [0.0] * len(self.keys)

    def pick(self, amount: float) -> str:
        got, w = self.got, self.w
        if self.rng.random() < 0.25:  # some randomness; the deficit rule corrects the totals
            i = self.rng.integers(0, len(w))
        else:
            scores = [(g + amount) / wi for g, wi in zip(got, w, strict=True)]
            i = scores.index(min(scores))
        got[i] += amount
        return self.keys[i]


class Flows:
    """Drives the normal economy month by month on a :class:`Sim`."""

    def __init__(self, world: World, sim: Sim, scale: float):
        self.w = world
        self.sim = sim
        self.rng = sim.rng
        self.scale = scale
        self.a = world.actors
        self.mines = world.by_kind("mine")
        self.smelters = world.by_kind("smelter")
        self.separators = [s for s in self.smelters if s.pool == "ion"]
        # The stories pick old mine lots (plants.py): the ledger keeps their records for good.
        sim.lasting = frozenset(m.eid for m in self.mines)
        rng = self.rng
        # Annual extraction / smelting targets in kg REO (plants may raise one of each).
        self.mine_target = {m.short: m.mining_quota_t * 1000 * USAGE for m in self.mines}
        self.mine_extra: dict[str, np.ndarray] = {}
        self.smelt_target = {s.short: s.smelting_quota_t * 1000 * USAGE for s in self.smelters}
        self.smelt_done = {s.short: 0.0 for s in self.smelters}
        need = {s.eid: s.smelting_quota_t / 0.95 for s in self.smelters}
        self.mineral_alloc = {
            pool: Allocator(rng, {s.eid: need[s.eid] for s in self.smelters if s.pool == pool})
            for pool in ("light", "ion")
        }
        self.carbonate_alloc = Allocator(rng, {s.eid: s.size for s in self.separators})
        members = {
            "exporter": {a.eid: 1.0 for a in world.by_kind("exporter")},
            "trader": {a.eid: 1.0 for a in world.by_kind("trader")},
            "sink": {a.eid: 1.0 for a in world.by_kind("sink") if a.short != "RCY1"},
            "metal": {a.eid: 1.0 for a in world.by_kind("metal")},
            "magnet": {a.eid: 1.0 for a in world.by_kind("magnet")},
        }
        self.class_alloc = {cat: Allocator(rng, shares) for cat, shares in ROUTES.items()}
        self.member_alloc = {cls: Allocator(rng, m) for cls, m in members.items()}
        self.by_eid = {a.eid: a for a in world.actors.values()}
        self.noted = {a.eid for a in world.reporting if a.meta.get("encoding") == "gb18030"}

    # ---- helpers ------------------------------------------------------------------------
    def n(self, base: float, size: float = 1.0) -> int:
        return max(1, int(round(base * self.scale * size)))

    def day_in(self, m: int, lo: int, hi: int) -> int:
        """A day of month m between offsets lo..hi (clamped to the month)."""
        start, end = self.sim.month_start[m], self.sim.month_end[m]
        return min(end, start + self.rng.integers(lo, hi + 1))

    def note(self, eid: str, kind: str) -> str | None:
        if eid in self.noted and self.rng.random() < 0.5:
            return NOTES_ZH[kind]
        return None

    def destination(self, product: str, reo: float, source_kind: str) -> str:
        cat = "trader" if source_kind == "trader" else category(product)
        cls = self.class_alloc[cat].pick(reo)
        return self.member_alloc[cls].pick(reo)

    def ship_out(self, actor: Actor, lot: str, m10: int, earliest: int, m: int, to_fn) -> None:
        """Ship ``m10`` of a held lot in 1-3 parts, each to ``to_fn(reo)``, dated from earliest."""
        sim = self.sim
        parts = sim.split(m10, self.rng.pick([1, 1, 1, 2, 2, 3]))
        for part in parts:
            day = min(sim.month_end[m], earliest + self.rng.integers(0, 4))
            to = to_fn(sim.reo10(lot, part))
            sim.ship(actor.eid, actor.short, lot, part, to, day, note=self.note(actor.eid, "ship"))

    # ---- stages -------------------------------------------------------------------------
    def month(self, m: int) -> None:
        """Simulate month ``m`` (0-based over all the years)."""
        if m and m % 12 == 0:  # a new calendar year: smelting quotas start again
            self.smelt_done = dict.fromkeys(self.smelt_done, 0.0)
        self.mine_stage(m)
        self.import_stage(m)
        self.smelter_stage(m)
        self.metal_stage(m)
        self.magnet_stage(m)
        self.trader_stage(m)
        self.exporter_stage(m)

    def mine_monthly_reo(self, mine: Actor) -> np.ndarray:
        season = SEASON.copy()
        if mine.designated_to is not None:  # stops when the designation lapses (end of Sept)
            season[9:] = 0.0
        target = self.mine_target[mine.short] * season / season.sum()
        return target + self.mine_extra.get(mine.short, 0.0)  # indexed by calendar month

    def mine_stage(self, m: int) -> None:
        sim, rng = self.sim, self.rng
        for mine in self.mines:
            reo_kg = self.mine_monthly_reo(mine)[m % 12]
            if reo_kg > 0:
                n = self.n(6, math.sqrt(mine.size / 4.3))
                for frac in rng.dirichlet(n, 6.0):
                    pct = sample_pct(rng, mine.product)
                    m10 = max(1, round(reo_kg * frac * 100 / pct * 10))
                    sim.create(
                        mine.eid,
                        mine.short,
                        "extract",
                        self.day_in(m, 0, 12),
                        mine.product,
                        m10,
                        pct,
                        doc=mine.licence,
                        note=self.note(mine.eid, EXTRACT_NOTE.get(mine.product, "extract")),
                    )
            self.ship_minerals(mine, m)

    def ship_minerals(self, actor: Actor, m: int) -> None:
        sim, rng = self.sim, self.rng
        end = sim.month_end[m]
        for lot, held in sim.eligible(actor.eid, end - 2):
            product = sim.product[lot]
            if product == "MIXED_CARBONATE":
                alloc = self.carbonate_alloc
            else:
                alloc = self.mineral_alloc["ion" if product == "ION_ADS_CONC" else "light"]
            fresh = held[1] >= sim.month_start[m]
            m10 = held[0]
            if fresh and rng.random() < 0.4:  # partial: the rest goes next month
                m10 = max(1, int(m10 * rng.uniform(0.4, 0.8)))
            earliest = max(held[1] + 1, sim.month_start[m] + rng.integers(8, 18))
            self.ship_out(actor, lot, m10, min(earliest, end), m, alloc.pick)

    def import_stage(self, m: int) -> None:
        sim, rng = self.sim, self.rng
        for short, product, countries, tonnes in IMPORTS:
            imp = self.a[short]
            kg = tonnes * 1000 * SEASON[m % 12] / SEASON.sum()
            for frac in rng.dirichlet(self.n(1.5), 6.0):
                pct = sample_pct(rng, product)
                country = rng.pick(list(countries), list(countries.values()))
                sim.create(
                    imp.eid,
                    imp.short,
                    "import",
                    self.day_in(m, 0, 12),
                    product,
                    max(1, round(kg * frac * 10)),
                    pct,
                    country=country,
                    doc=sim.customs_ref(IMPORT_PORTS[short], 0),
                    note=self.note(imp.eid, "import"),
                )
        for short in ("IMP1", "IMP2", "IMP3"):
            self.ship_minerals(self.a[short], m)

    def run_batch(
        self,
        actor: Actor,
        day: int,
        inputs: list[tuple[str, int]],
        recovery: float,
        profile: dict[str, float],
    ) -> tuple[str, float, list[str]]:
        """Consume inputs, produce 1-4 lots whose REO = recovery x consumed REO (kg)."""
        sim, rng = self.sim, self.rng
        batch = sim.new_id("B", actor.short, day)
        consumed = 0.0
        for lot, m10 in inputs:
            consumed += sim.reo10(lot, m10)
            sim.consume(actor.eid, lot, m10, day, batch)
        produced_target = consumed * recovery
        names = list(profile)
        chosen = rng.sample(names, rng.integers(1, 5), [profile[k] for k in names])
        fracs = [profile[k] * rng.uniform(0.8, 1.2) for k in chosen]
        total = sum(fracs)
        made, lots = 0.0, []
        for product, frac in zip(chosen, fracs, strict=True):
            frac /= total
            pct = sample_pct(rng, product)
            m10 = round(produced_target * frac * 100 / pct)
            if m10 < 1:
                continue
            lots.append(
                sim.create(actor.eid, actor.short, "produce", day, product, m10, pct, batch=batch)
            )
            made += m10 * pct / 100
        return batch, made / 10.0, lots

    def gather(self, cands: deque, day: int, need10: float, max_lots: int = 8) -> list:
        """FIFO inputs worth ``need10`` REO (tenths of kg) from ``cands`` = eligible holdings
        sorted by availability (exhausted ones are dropped from the front as we go)."""
        sim = self.sim
        chosen = []
        while cands and cands[0][1][0] == 0:
            cands.popleft()
        for lot, held in cands:
            if need10 <= 0 or len(chosen) >= max_lots or held[1] > day:
                break
            if held[0] == 0:
                continue
            pct = sim.pct[lot]
            m10 = min(held[0], math.ceil(need10 * 100 / pct))
            if m10 >= 1:
                chosen.append((lot, m10))
                need10 -= m10 * pct / 100
        return chosen

    def smelter_stage(self, m: int) -> None:
        sim, rng = self.sim, self.rng
        end = sim.month_end[m]
        for s in self.smelters:
            remaining = self.smelt_target[s.short] - self.smelt_done[s.short]
            budget = max(0.0, remaining) / (12 - m % 12) / 0.95  # kg REO to consume this month
            n = self.n(6, math.sqrt(s.size / 2.6))
            profile = LIGHT_PROFILE if s.pool == "light" else ION_PROFILE
            cands = deque(sim.eligible(s.eid, end, MINERAL_PRODUCTS))
            for day in sorted(self.day_in(m, 12, 27) for _ in range(n)):
                inputs = self.gather(cands, day, budget / n * 10)
                if inputs:
                    _, made, _ = self.run_batch(s, day, inputs, rng.uniform(0.925, 0.975), profile)
                    self.smelt_done[s.short] += made
            if s.pool == "ion":  # separation of imported carbonate (not smelting: no mineral)
                cands = deque(sim.eligible(s.eid, end, {"MIXED_CARBONATE"}))
                for day in sorted(self.day_in(m, 12, 27) for _ in range(self.n(2))):
                    inputs = self.gather(cands, day, 1e12, 50)
                    if inputs:
                        self.run_batch(s, day, inputs, rng.uniform(0.96, 0.99), ION_PROFILE)
            self.returns_and_losses(s, m)
            self.ship_products(s, m, hold_prob=0.25, skip=FEEDS)

    def returns_and_losses(self, s: Actor, m: int) -> None:
        sim, rng = self.sim, self.rng
        start, end = sim.month_start[m], sim.month_end[m]
        if rng.random() < 0.12:  # an off-grade part of a mineral lot goes back to its sender
            for lot, held in sim.eligible(s.eid, end - 3, MINERAL_PRODUCTS):
                sender = sim.came_from.get((s.eid, lot))
                if sender and held[0] >= 20 and sim.creator.get(lot) == sender:
                    back = max(1, int(held[0] * rng.uniform(0.03, 0.08)))
                    day = min(end, max(held[1], start) + rng.integers(1, 4))
                    note = NOTES_ZH["return"] if s.eid in self.noted else "off-grade return"
                    sim.ship(s.eid, s.short, lot, back, sender, day, note=note)
                    break
        if rng.random() < 0.15:  # declared handling loss
            for lot, held in sim.eligible(s.eid, end - 1)[:1]:
                lost = max(1, int(held[0] * rng.uniform(0.002, 0.006)))
                if lost < held[0]:
                    note = NOTES_ZH["loss"] if s.eid in self.noted else "handling loss"
                    sim.loss(s.eid, lot, lost, min(end, max(held[1], start) + 1), note)

    def ship_products(
        self, actor: Actor, m: int, hold_prob: float, skip: frozenset = MINERAL_PRODUCTS
    ) -> None:
        sim, rng = self.sim, self.rng
        end = sim.month_end[m]
        for lot, held in sim.eligible(actor.eid, end - 1):
            product = sim.product[lot]
            if product in skip:
                continue
            fresh = held[1] >= sim.month_start[m]
            if fresh and rng.random() < hold_prob:
                continue  # held over the month end: shows as stock
            self.ship_out(
                actor,
                lot,
                held[0],
                max(held[1], sim.month_start[m]),
                m,
                lambda reo, p=product: self.destination(p, reo, actor.kind),
            )

    def convert(
        self, actor: Actor, m: int, inputs: frozenset, out_product, lo: float, hi: float
    ) -> None:
        """Batches turning held inputs into one product each (metals, magnets)."""
        sim, rng = self.sim, self.rng
        end = sim.month_end[m]
        held = [
            (lot, h) for lot, h in sim.eligible(actor.eid, end - 2, inputs) if rng.random() > 0.15
        ]
        groups: dict[str, list] = {}
        for lot, h in held:
            groups.setdefault(out_product(sim.product[lot]), []).append((lot, h[0], h[1]))
        for product, items in groups.items():
            n = min(len(items), self.n(2))
            for chunk in np.array_split(np.arange(len(items)), n):
                part = [items[i] for i in chunk]
                avail = max(sim.month_start[m], max(p[2] for p in part))
                day = min(end - 1, avail + rng.integers(0, 3))
                self.run_batch(
                    actor, day, [(p[0], p[1]) for p in part], rng.uniform(lo, hi), {product: 1.0}
                )

    def metal_stage(self, m: int) -> None:
        for actor in self.w.by_kind("metal"):
            self.convert(actor, m, MAGNET_OXIDES, METAL_OF.__getitem__, 0.95, 0.985)
            self.ship_products(actor, m, hold_prob=0.2, skip=MAGNET_OXIDES)

    def magnet_stage(self, m: int) -> None:
        for actor in self.w.by_kind("magnet"):
            self.convert(actor, m, METALS, lambda _p: "NDFEB_MAGNET", 0.94, 0.98)
            self.ship_products(actor, m, hold_prob=0.2, skip=METALS)

    def trader_stage(self, m: int) -> None:
        sim, rng = self.sim, self.rng
        for actor in self.w.by_kind("trader"):
            if rng.random() < 0.2:
                for lot, held in sim.eligible(actor.eid, sim.month_end[m] - 1)[:1]:
                    lost = max(1, int(held[0] * rng.uniform(0.001, 0.003)))
                    if lost < held[0]:
                        sim.loss(
                            actor.eid, lot, lost, max(held[1], sim.month_start[m]), "packaging loss"
                        )
            self.ship_products(actor, m, hold_prob=0.15, skip=frozenset())

    def exporter_stage(self, m: int) -> None:
        sim, rng = self.sim, self.rng
        end = sim.month_end[m]
        for actor in self.w.by_kind("exporter"):
            for lot, held in sim.eligible(actor.eid, end - 1):
                if held[1] >= sim.month_start[m] and rng.random() < 0.15:
                    continue
                cat = category(sim.product[lot])
                countries = COUNTRIES["light" if cat == "magox" else cat]
                for part in sim.split(held[0], rng.pick([1, 1, 2])):
                    day = min(end, max(held[1], sim.month_start[m]) + rng.integers(0, 4))
                    country = rng.pick(list(countries), list(countries.values()))
                    sim.export(
                        actor.eid,
                        actor.short,
                        lot,
                        part,
                        day,
                        country,
                        sim.customs_ref(PORTS[actor.short], 1),
                    )
