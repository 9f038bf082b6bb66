"""The ledger of the synthetic years: holdings per (enterprise, lot) and the events that move them.

Masses are kept in integer tenths of a kilogram so that book stock is exact and what is
written to the files (one decimal) is what the books say. Days are 0-based from 1 January of
the first year and months 0-based over all the years (month 12 = January of the second year):
one ledger runs through the year ends, so stock, shipments in transit and lineage carry over.
Every outflow is checked against what the enterprise holds and dated no earlier than the
holding became available, so the clean world never overdraws or inverts time.
"""

from __future__ import annotations

import bisect
import calendar
import math
import random
from collections import defaultdict

import numpy as np


class FastRng:
    """Scalar random draws via :mod:`random` (numpy's per-call overhead dominates otherwise).

    Seeded from a numpy generator, so one seed still fixes everything.
    """

    def __init__(self, seed_from: np.random.Generator):
        self.r = random.Random(int(seed_from.integers(0, 2**63)))
        self.random = self.r.random  # the bound method itself: one call less per draw

    def random(self) -> float:  # replaced per instance in __init__ (documents the API)
        return self.r.random()

    def integers(self, lo: int, hi: int) -> int:
        """An int in [lo, hi)."""
        return lo + int(self.random() * (hi - lo))

    def uniform(self, a: float, b: float) -> float:
        return self.r.uniform(a, b)

    def normal(self, mu: float, sigma: float) -> float:
        return self.r.gauss(mu, sigma)

    def pick(self, items: list, weights: list[float] | None = None):
        if weights is None:
            return items[self.r.randrange(len(items))]
        return self.r.choices(items, weights=weights)[0]

    def sample(self, items: list, k: int, weights: list[float]) -> list:
        """k distinct items, drawn with probability proportional to weight."""
        items, weights, out = list(items), list(weights), []
        for _ in range(min(k, len(items))):
            i = self.r.choices(range(len(items)), weights=weights)[0]
            out.append(items.pop(i))
            weights.pop(i)
        return out

    def dirichlet(self, n: int, alpha: float) -> list[float]:
        g = [self.r.gammavariate(alpha, 1.0) for _ in range(n)]
        total = sum(g)
        return [x / total for x in g]

    def permutation(self, n: int) -> list[int]:
        return self.r.sample(range(n), n)


# One event row: (enterprise, type, day, lot, product, mass10, reo_pct, counterparty, shipment,
# batch, country, document_ref, note)
Row = tuple


class Sim:
    """Ledger + event log. ``reporting`` = enterprise ids that upload (receipts are recorded).

    ``years`` consecutive calendar years from ``year``; ``now`` is the month being simulated
    (the driver sets it), which dates customs declaration numbers."""

    def __init__(self, year: int, rng: FastRng, reporting: set[str], years: int = 1):
        self.year = year
        self.years = years
        self.rng = rng
        self.reporting = reporting
        self.now = 0
        starts, ends = [], []
        day = 0
        for y in range(year, year + years):
            for month in range(1, 13):
                n = calendar.monthrange(y, month)[1]
                starts.append(day)
                ends.append(day + n - 1)
                day += n
        self.month_start = starts
        self.month_end = ends
        self.last_day = ends[-1]
        # Per day its month and per month the ids' "YYMM" (ids are made for most events).
        self._month_of_day = [
            m for m, (a, b) in enumerate(zip(starts, ends, strict=True)) for _ in range(a, b + 1)
        ]
        self._yymm = [f"{(year + i // 12) % 100:02d}{i % 12 + 1:02d}" for i in range(len(starts))]
        self.rows: list[Row] = []
        self.hold: dict[str, dict[str, list]] = defaultdict(dict)  # ent -> lot -> [m10, avail]
        self.pct: dict[str, float] = {}
        self.product: dict[str, str] = {}
        self.creator: dict[str, str] = {}
        self.came_from: dict[tuple[str, str], str] = {}  # (receiver, lot) -> sender
        # lot -> the enterprises that have held it, one bit each (a set of (enterprise, lot)
        # pairs took ~2 entries of ~100 bytes per lot: a third of the ledger at scale 1000)
        self.touched: dict[str, int] = {}
        self._bit: dict[str, int] = {}
        # Creators whose lots the stories may pick up long after they are gone (the mines:
        # plants scan sim.creator for old mine lots); :meth:`forget` keeps those lots' records.
        self.lasting: frozenset[str] = frozenset()
        self._seq: dict[str, int] = defaultdict(int)
        self.noise_on = True

    # ---- identifiers -------------------------------------------------------------------
    def new_id(self, prefix: str, short: str, day: int) -> str:
        key = prefix + short
        n = self._seq[key] = self._seq[key] + 1
        return f"{key}{self._yymm[self.month_of(day)]}{n:05d}"

    def customs_ref(self, port: int, flow: int) -> str:
        """18-digit customs declaration number: port(4) + year(4) + flow(1) + serial(9)."""
        self._seq["customs"] += 1
        serial = self.rng.integers(0, 10**6) * 1000 + self._seq["customs"] % 1000
        return f"{port:04d}{self.year + self.now // 12}{flow}{serial:09d}"

    def month_of(self, day: int) -> int:
        if 0 <= day <= self.last_day:
            return self._month_of_day[day]
        return max(0, bisect.bisect_right(self.month_start, day) - 1)

    # ---- ledger ------------------------------------------------------------------------
    def _add(self, ent: str, lot: str, m10: int, avail: int) -> None:
        held = self.hold[ent].get(lot)
        if held is None:
            self.hold[ent][lot] = [m10, avail]
        else:
            held[0] += m10
            held[1] = max(held[1], avail)
        bit = self._bit.get(ent)
        if bit is None:
            bit = self._bit[ent] = 1 << len(self._bit)
        self.touched[lot] = self.touched.get(lot, 0) | bit

    def has_held(self, ent: str, lot: str) -> bool:
        """Whether ``ent`` has ever held ``lot`` (been credited any of it).

        >>> sim = Sim(2024, FastRng(np.random.default_rng(0)), {"E1"})
        >>> lot = sim.create("E1", "E1", "extract", 3, "BAST_CONC", 100, 55.0)
        >>> sim.has_held("E1", lot), sim.has_held("E2", lot)
        (True, False)
        """
        return bool(self.touched.get(lot, 0) & self._bit.get(ent, 0))

    def forget(self, book: dict[tuple[str, str], int], rows: list[tuple]) -> int:
        """Drop the per-lot records (pct, product, creator, touched) of the lots that are gone:
        no enterprise holds them, ``book`` (the month-end book stock) has no entry for them,
        no pending row names them, and their creator is not in :attr:`lasting`. Nothing reads
        a gone lot again: every event takes from a holding, the books of later months start
        from ``book``, and the stories' only look-ups of old lots are of mine lots.

        ``rows`` = the month's final rows: only a lot they name can have gone since the last
        month's end (records are made, and holdings and books change, only with a row), so
        only those are looked at. Returns how many lots were forgotten.

        >>> sim = Sim(2024, FastRng(np.random.default_rng(0)), {"E1"})
        >>> lot = sim.create("E1", "E1", "extract", 3, "BAST_CONC", 100, 55.0)
        >>> sim.take("E1", lot, 100)
        >>> rows, sim.rows = sim.rows, []
        >>> sim.forget({("E1", lot): 100}, rows), sim.forget({}, rows), sim.product
        (0, 1, {})
        """
        live = {lot for lots in self.hold.values() for lot in lots}
        live.update(lot for _, lot in book)
        live.update(r[3] for r in self.rows)
        lasting, creator = self.lasting, self.creator
        gone = [
            lot
            for lot in {r[3] for r in rows}
            if lot not in live and creator.get(lot) not in lasting
        ]
        for records in (self.pct, self.product, self.touched, creator):
            for lot in gone:
                records.pop(lot, None)
        return len(gone)

    def take(self, ent: str, lot: str, m10: int) -> None:
        held = self.hold[ent][lot]
        if m10 > held[0] or m10 <= 0:
            raise AssertionError(f"ledger: {ent} takes {m10} of {lot}, holds {held[0]}")
        held[0] -= m10
        if held[0] == 0:  # emptied: forget it (only held lots are ever returned to a sender)
            del self.hold[ent][lot]
            self.came_from.pop((ent, lot), None)

    def eligible(self, ent: str, day: int, products: frozenset | set | None = None) -> list:
        """[(lot, held)] available at ``day`` (oldest first), optionally of given products."""
        out = [
            (lot, h)
            for lot, h in self.hold[ent].items()
            if h[1] <= day and (products is None or self.product[lot] in products)
        ]
        out.sort(key=lambda x: x[1][1])
        return out

    def emit(self, *row) -> None:
        self.rows.append(row)

    # ---- events --------------------------------------------------------------------------
    def create(
        self,
        ent: str,
        short: str,
        etype: str,
        day: int,
        product: str,
        m10: int,
        pct: float,
        *,
        lot: str | None = None,
        batch: str | None = None,
        country: str | None = None,
        doc: str | None = None,
        note: str | None = None,
    ) -> str:
        lot = lot or self.new_id("L", short, day)
        if lot not in self.pct:
            self.pct[lot] = pct
            self.product[lot] = product
            self.creator[lot] = ent
        self.emit(ent, etype, day, lot, product, m10, pct, None, None, batch, country, doc, note)
        self._add(ent, lot, m10, day)
        return lot

    def ship(
        self,
        ent: str,
        short: str,
        lot: str,
        m10: int,
        to: str,
        day: int,
        *,
        transit: int | None = None,
        receive: str | float = "normal",
        note: str | None = None,
        take: bool = True,
    ) -> str:
        """Ship part of a lot; a reporting receiver records the receipt (weighing noise inside
        tolerance) unless the receipt would fall after the last year. ``receive`` = "none" drops the
        receipt (planted), a float scales the received mass (planted transit mismatch)."""
        if take:
            self.take(ent, lot, m10)
        shipment = self.new_id("S", short, day)
        product = self.product[lot]
        self.emit(ent, "ship", day, lot, product, m10, None, to, shipment, None, None, None, note)
        if to not in self.reporting or receive == "none":
            return shipment
        if transit is None:
            transit = self.rng.integers(1, 5)
        arrive = day + transit
        # A receipt may fall in the shipping month or the next one only.
        arrive = min(arrive, self.month_end[min(self.month_of(day) + 1, len(self.month_end) - 1)])
        if arrive > self.last_day:
            return shipment
        if isinstance(receive, float):
            got = max(1, round(m10 * receive))
        else:
            got = self.noisy(m10)
        self.emit(
            to, "receive", arrive, lot, product, got, None, ent, shipment, None, None, None, None
        )
        self._add(to, lot, got, arrive)
        self.came_from[(to, lot)] = ent
        return shipment

    def noisy(self, m10: int) -> int:
        """Weighing noise well inside SPEC tolerance max(0.5%, 1 kg): up to +-0.2%."""
        if not self.noise_on or self.rng.random() < 0.4:
            return m10
        got = round(m10 * (1.0 + self.rng.uniform(-0.002, 0.002)))
        return max(1, got)

    def receive_only(
        self, ent: str, lot: str, product: str, m10: int, sender: str, day: int, shipment: str
    ) -> None:
        self.product.setdefault(lot, product)
        self.emit(
            ent, "receive", day, lot, product, m10, None, sender, shipment, None, None, None, None
        )
        self._add(ent, lot, m10, day)
        self.came_from[(ent, lot)] = sender

    def export(
        self,
        ent: str,
        short: str,
        lot: str,
        m10: int,
        day: int,
        country: str,
        doc: str,
        *,
        take: bool = True,
    ) -> str:
        if take:
            self.take(ent, lot, m10)
        shipment = self.new_id("X", short, day)
        self.emit(
            ent,
            "export",
            day,
            lot,
            self.product[lot],
            m10,
            None,
            None,
            shipment,
            None,
            country,
            doc,
            None,
        )
        return shipment

    def consume(self, ent: str, lot: str, m10: int, day: int, batch: str) -> None:
        self.take(ent, lot, m10)
        self.emit(
            ent,
            "consume",
            day,
            lot,
            self.product[lot],
            m10,
            None,
            None,
            None,
            batch,
            None,
            None,
            None,
        )

    def loss(self, ent: str, lot: str, m10: int, day: int, note: str) -> None:
        self.take(ent, lot, m10)
        self.emit(
            ent, "loss", day, lot, self.product[lot], m10, None, None, None, None, None, None, note
        )

    def reo10(self, lot: str, m10: int) -> float:
        """REO of m10 tenths-of-kg of a lot, in tenths of kg."""
        return m10 * self.pct[lot] / 100.0

    def split(self, m10: int, parts: int) -> list[int]:
        """Split a mass into up to ``parts`` positive integer parts (a lot shipped in parts)."""
        parts = max(1, min(parts, m10))
        if parts == 1:
            return [m10]
        weights = self.rng.dirichlet(parts, 4.0)
        cuts, acc = [0], 0.0
        for w in weights[:-1]:
            acc += w
            cuts.append(math.floor(acc * m10))
        cuts.append(m10)
        return [b - a for a, b in zip(cuts, cuts[1:], strict=False) if b > a]


SIGN = {
    "extract": 1,
    "import": 1,
    "produce": 1,
    "receive": 1,
    "ship": -1,
    "export": -1,
    "consume": -1,
    "loss": -1,
}
